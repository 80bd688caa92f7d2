//! Curated prompts: what a vTOC operator asks an agent for, as templates over the tools
//! and resources. Hand-written, small, and tied to the contract by name: each prompt lists
//! the tools and resources it uses, and is offered only when all of them exist and the
//! caller may use them (`tests/e2e/contract.rs` checks that they all exist today).

use super::{Asker, Bridge, Origin};
use crate::guard::policy::Scope;
use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

/// Where a prompt argument's values come from, for `completion/complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Like the variable of a resource template (the resource of this tool).
    Variable { tool: &'static str, variable: &'static str },
    /// The items of a list tool: their `value` field, labelled by `labels`.
    Items { list_tool: &'static str, value: &'static str, labels: &'static [&'static str] },
}

#[derive(Debug)]
pub struct PromptArg {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub source: Source,
}

/// A resource the prompt embeds: the resource of `tool`, its variables filled from the
/// prompt's arguments (`(variable, argument)` pairs).
#[derive(Debug)]
pub struct Embed {
    pub tool: &'static str,
    pub from: &'static [(&'static str, &'static str)],
}

#[derive(Debug)]
pub struct PromptSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub arguments: &'static [PromptArg],
    /// Tools the text needs the agent to call; the prompt is offered only to callers that
    /// may call them. (Write tools it may propose, such as update_poi, are not listed: the
    /// prompt is useful on a read-only server too.)
    pub tools: &'static [&'static str],
    /// Resources read (through the guardrails) and embedded in the first message.
    pub embeds: &'static [Embed],
    /// The instructions; `{name}` is replaced by the argument `name`.
    pub text: &'static str,
}

pub static PROMPTS: [PromptSpec; 3] = [
    PromptSpec {
        name: "station_briefing",
        title: "Station briefing",
        description: "A shift-handover briefing on one station: status, open tasks, recent activity, what needs attention.",
        arguments: &[PromptArg {
            name: "station",
            description: "Station slug, e.g. ops-center",
            required: true,
            source: Source::Variable { tool: "read_station", variable: "station_slug" },
        }],
        tools: &["station_brief", "station_timeline", "list_poi"],
        embeds: &[Embed { tool: "read_station", from: &[("station_slug", "station")] }],
        text: "Brief me on station `{station}` for a shift handover. The station record is attached.\n\
1. Call station_brief with station_slug `{station}` for its metrics, open tasks and latest timeline entries.\n\
2. Summarise: the station's state; open tasks by priority and due time (flag any overdue); what happened recently \
(telemetry, agent actions, POI alerts).\n\
3. Flag POI alerts of risk level watch or hostile (list_poi has the risk levels) and telemetry sources that went quiet.\n\
4. End with at most three recommended next actions. Change nothing.",
    },
    PromptSpec {
        name: "poi_triage",
        title: "POI triage",
        description: "Review one person of interest: identifiers against the IMEI watchlist, and a recommended risk level.",
        arguments: &[PromptArg {
            name: "poi_id",
            description: "POI id",
            required: true,
            source: Source::Variable { tool: "get_poi", variable: "poi_id" },
        }],
        tools: &["get_poi", "check_imei"],
        embeds: &[Embed { tool: "get_poi", from: &[("poi_id", "poi_id")] }],
        text: "Triage person of interest {poi_id}. Its record, with identifiers, is attached.\n\
1. Review its category, risk level (info, watch, hostile), notes and whether it is active.\n\
2. For each identifier of type imei, call check_imei: note which are blacklisted or whitelisted, and their labels.\n\
3. Recommend a risk level with your reasons.\n\
4. Do not change anything. If a change is warranted, propose the exact update_poi call and wait for the user \
(it needs a server with writes enabled).",
    },
    PromptSpec {
        name: "imei_check",
        title: "IMEI check",
        description: "Is an IMEI on the watchlist, and what is known about it.",
        arguments: &[PromptArg {
            name: "imei",
            description: "The IMEI (15 digits)",
            required: true,
            source: Source::Items { list_tool: "list_imei_watchlist", value: "identifier_value", labels: &["label"] },
        }],
        tools: &["check_imei", "get_poi"],
        embeds: &[Embed { tool: "check_imei", from: &[("imei", "imei")] }],
        text: "Check IMEI {imei} against the watchlist. The lookup is attached: `{\"result\": null}` means it is not listed.\n\
- If it is listed: say whether it is whitelisted or blacklisted, give its label, and if it is linked to a POI \
(linked_poi_id), fetch that POI with get_poi and summarise it.\n\
- If it is not listed: say so, and offer to add it with create_imei_watch_entry; do not add it without the user's \
go-ahead.",
    },
];

/// The prompt named `name`.
pub fn find(name: &str) -> Option<&'static PromptSpec> {
    PROMPTS.iter().find(|p| p.name == name)
}

/// The tools and resources a prompt needs that this build does not have.
pub fn missing(prompt: &PromptSpec) -> Vec<String> {
    let tools: Vec<&str> = crate::bridge::tools::all().map(|t| t.name).collect();
    let has_resource = |tool: &str| crate::bridge::resources::all().any(|r| r.tool == tool);
    let mut out: Vec<String> =
        prompt.tools.iter().filter(|t| !tools.contains(t)).map(|t| format!("tool `{t}`")).collect();
    for e in prompt.embeds {
        if !has_resource(e.tool) {
            out.push(format!("the resource of tool `{}`", e.tool));
        }
    }
    for a in prompt.arguments {
        let ok = match a.source {
            Source::Variable { tool, variable } => crate::bridge::resources::all()
                .any(|r| r.tool == tool && r.variables.iter().any(|v| v.name == variable)),
            Source::Items { list_tool, .. } => tools.contains(&list_tool),
        };
        if !ok {
            out.push(format!("the completion source of argument `{}`", a.name));
        }
    }
    out
}

/// The instructions with the arguments filled in.
pub fn render(prompt: &PromptSpec, arguments: &std::collections::BTreeMap<String, String>) -> String {
    arguments.iter().fold(prompt.text.to_string(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
}

impl Bridge {
    /// `prompts/list`: the prompts whose tools a caller with `scope` may all call.
    pub fn prompts_for(&self, scope: Scope) -> Vec<Prompt> {
        self.inner
            .prompts
            .iter()
            .filter(|p| self.permits_all(p, scope))
            .map(|p| {
                let arguments = p
                    .arguments
                    .iter()
                    .map(|a| PromptArgument::new(a.name).with_description(a.description).with_required(a.required))
                    .collect();
                Prompt::new(p.name, Some(p.description), Some(arguments)).with_title(p.title)
            })
            .collect()
    }

    fn permits_all(&self, prompt: &PromptSpec, scope: Scope) -> bool {
        let policy = &self.guardrails().policy;
        prompt.tools.iter().chain(prompt.embeds.iter().map(|e| &e.tool)).all(|name| {
            crate::bridge::tools::all().find(|t| t.name == *name).is_some_and(|t| policy.permits(t, scope).is_ok())
        })
    }

    /// `prompts/get`: the instructions, with each embedded resource read through the
    /// guardrails as the caller. A missing argument is `-32602`; so is an argument that
    /// names nothing (the embedded read's own error).
    pub async fn prompt(&self, name: &str, arguments: JsonObject, asker: &Asker) -> Result<GetPromptResult, ErrorData> {
        let Some(prompt) = self.inner.prompts.iter().copied().find(|p| p.name == name) else {
            return Err(ErrorData::invalid_params(
                format!("no prompt named `{name}`; prompts/list shows the prompts"),
                Some(serde_json::json!({ "prompt": name })),
            ));
        };
        if !self.permits_all(prompt, asker.caller.scope) {
            return Err(ErrorData::invalid_request(
                format!("prompt `{name}` uses tools this caller may not call"),
                Some(serde_json::json!({ "prompt": name })),
            ));
        }
        let mut values = std::collections::BTreeMap::new();
        for a in prompt.arguments {
            match arguments.get(a.name) {
                Some(Value::String(s)) if !s.trim().is_empty() => {
                    values.insert(a.name.to_string(), s.trim().to_string());
                }
                Some(Value::Number(n)) => {
                    values.insert(a.name.to_string(), n.to_string());
                }
                _ if a.required => {
                    return Err(ErrorData::invalid_params(
                        format!("prompt `{name}` needs the argument `{}` ({})", a.name, a.description),
                        Some(serde_json::json!({ "prompt": name, "argument": a.name })),
                    ));
                }
                _ => {}
            }
        }
        let mut messages = vec![PromptMessage::new_text(Role::User, render(prompt, &values))];
        for embed in prompt.embeds {
            let Some(resource) = crate::bridge::resources::all().find(|r| r.tool == embed.tool) else { continue };
            let filled: Vec<(&str, &str)> =
                embed.from.iter().filter_map(|(var, arg)| values.get(*arg).map(|v| (*var, v.as_str()))).collect();
            let uri = crate::bridge::resources::fill(resource.uri, &filled);
            let read = self.read(&uri, asker, Origin::Prompt).await?;
            for contents in read.contents {
                let (uri, mime_type, text) = match contents {
                    rmcp::model::ResourceContents::TextResourceContents { uri, mime_type, text, .. } => {
                        (uri, mime_type, text)
                    }
                    _ => continue,
                };
                messages.push(PromptMessage::new_resource(Role::User, uri, mime_type, Some(text), None, None, None));
            }
        }
        Ok(GetPromptResult::new(messages).with_description(prompt.description))
    }
}
