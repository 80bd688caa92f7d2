//! Curated prompts: what a vTOC operator asks an agent for, as templates over the tools
//! and resources. Hand-written, small, and tied to the contract by name: each prompt lists
//! the tools and resources it uses, and is offered only when all of them exist and the
//! caller may use them (`tests/e2e/contract.rs` checks that they all exist today).

use super::{Asker, Bridge, Origin};
use crate::guard::policy::Scope;
use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

pub use crate::codegen::profile::{Embed, PROMPTS, PromptArg, PromptSpec, Source};

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
