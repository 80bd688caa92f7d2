//! vTOC's profile: the hand-written parts of the bridge that name operations or tools of
//! vTOC's API, and what each needs. `build.rs` checks every part against the spec it is
//! building: a part whose needs are missing is left out of the build with a warning that
//! names what is missing (and, for an operation, its likely successor), so a renamed or
//! removed operation never breaks the build, and the runtime sees only the parts that are
//! in (`cfg(vtoc_part = "...")`; prompts are also filtered when the bridge starts).
//!
//! Pure data and one check: no I/O.

use super::ir::Ir;

/// A hand-written part that needs particular operations (by operationId, because it calls
/// the typed client's methods named after them) or tools (by name).
#[derive(Debug)]
pub struct Part {
    /// The `cfg(vtoc_part = ...)` value.
    pub name: &'static str,
    /// What it is, for the build's warning.
    pub what: &'static str,
    pub operations: &'static [&'static str],
    pub tools: &'static [&'static str],
}

/// Every hand-written part that is not a prompt.
pub const PARTS: &[Part] = &[
    Part {
        name: "station_brief",
        what: "the hand-written tool `station_brief` (src/bridge/custom.rs)",
        operations: &[
            "station_dashboard_api_v1_stations__station_slug__dashboard_get",
            "station_task_queue_api_v1_stations__station_slug__tasks_get",
            "station_timeline_api_v1_stations__station_slug__timeline_get",
        ],
        tools: &[],
    },
    Part {
        name: "vtoc_instructions",
        what: "vTOC's server instructions (src/bridge/server.rs; generic ones are served instead)",
        operations: &[],
        tools: &["list_stations", "read_station", "station_dashboard", "list_poi", "get_poi", "check_imei"],
    },
];

/// The tool names the hand-written parts add when they are in.
pub const HAND_WRITTEN_TOOLS: &[(&str, &str)] = &[("station_brief", "station_brief")];

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

/// What the check decided for one part or prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub name: &'static str,
    /// Empty: the part is in. Otherwise what it lacks, in words.
    pub missing: Vec<String>,
}

/// Check every part and prompt against a lowered spec. Parts first: a prompt may need a
/// hand-written tool.
pub fn check(ir: &Ir) -> (Vec<Verdict>, Vec<Verdict>) {
    let operations: Vec<(String, super::ir::Method, String)> = ir
        .tools
        .iter()
        .map(|t| (t.operation_id.clone(), t.method, t.path.clone()))
        .chain(ir.exclusions.iter().map(|e| (e.operation_id.clone(), e.method, e.path.clone())))
        .collect();
    let mut tools: Vec<&str> = ir.tools.iter().map(|t| t.name.as_str()).collect();
    let parts: Vec<Verdict> = PARTS
        .iter()
        .map(|part| {
            let mut missing: Vec<String> = Vec::new();
            for id in part.operations {
                if ir.tools.iter().any(|t| t.operation_id == *id) {
                    continue;
                }
                missing.push(match ir.exclusions.iter().find(|e| e.operation_id == *id) {
                    Some(e) => format!("operation `{id}` is excluded ({})", e.reason),
                    None => format!(
                        "operation `{id}` is not in the spec{}",
                        super::lower::likely_successor(id, &operations)
                            .map(|(other, why)| format!("; it is most likely `{other}` ({why})"))
                            .unwrap_or_default()
                    ),
                });
            }
            for tool in part.tools {
                if !tools.contains(tool) {
                    missing.push(format!("tool `{tool}` is not generated"));
                }
            }
            Verdict { name: part.name, missing }
        })
        .collect();
    for (part, tool) in HAND_WRITTEN_TOOLS {
        if parts.iter().any(|v| v.name == *part && v.missing.is_empty()) {
            tools.push(tool);
        }
    }
    let has_resource = |tool: &str, variable: Option<&str>| {
        ir.resources.iter().any(|r| r.tool == tool && variable.is_none_or(|v| r.variables.iter().any(|x| x.name == v)))
    };
    let prompts = PROMPTS
        .iter()
        .map(|p| {
            let mut missing: Vec<String> =
                p.tools.iter().filter(|t| !tools.contains(t)).map(|t| format!("tool `{t}`")).collect();
            for e in p.embeds {
                if !has_resource(e.tool, None) {
                    missing.push(format!("the resource of tool `{}`", e.tool));
                }
            }
            for a in p.arguments {
                let ok = match a.source {
                    Source::Variable { tool, variable } => has_resource(tool, Some(variable)),
                    Source::Items { list_tool, .. } => tools.contains(&list_tool),
                };
                if !ok {
                    missing.push(format!("the completion source of argument `{}`", a.name));
                }
            }
            Verdict { name: p.name, missing }
        })
        .collect();
    (parts, prompts)
}
