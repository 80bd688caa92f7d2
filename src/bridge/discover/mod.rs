//! The discovery surface for large APIs. Every tool in `tools/list` costs the model tokens
//! on every turn; past a budget, a caller is served three meta-tools instead:
//!
//! - `search_tools {query, limit?}`: the tools for a task in plain words, ranked
//!   ([`search`]), each as one short line of facts;
//! - `describe_tool {name, part?}`: one tool's full definition (arguments, output,
//!   annotations), or, when it is over the result limit, a summary of it and the parts to
//!   ask for (`part`, a JSON Pointer) ([`describe`]);
//! - `call_tool {name, arguments}`: runs the tool through the one guarded call path, exactly
//!   as a direct `tools/call` of it (scope, policy, arguments, confirmation, context, audit,
//!   limits, queue); the audit line names the tool that ran. Searches and descriptions
//!   have audit lines of their own.
//!
//! The names are verb_noun like the API's own tools and say what each does, so a model
//! reading only the list knows the order: search, describe, call.
//!
//! Which callers get them is decided here, once, when the bridge is built
//! ([`Discovery::serves_meta`], per caller scope, from `MCP_TOOL_MODE` and
//! `MCP_TOOL_BUDGET_BYTES`). Only the tools a scope may call are searched and described, so
//! a read-only caller never learns of a write tool from a search. Real tools stay callable
//! by name (a client may have cached them); an API tool named like a meta-tool is reached
//! through `call_tool` while the meta-tools are served.

mod describe;
#[cfg(test)]
mod quality;
pub mod search;

use super::call::{CallRequest, Ran, invalid_arguments_of};
use super::server::{Bridge, Entry, ToolTableError, model_visible_bytes};
use crate::bridge::support::{Hints, ToolSpec};
use crate::guard::Guardrails;
use crate::guard::audit::{self, Decision};
use crate::guard::policy::Scope;
use crate::guard::validate::Validator;
use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// What `tools/list` serves (`MCP_TOOL_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every tool the caller may call.
    All,
    /// The meta-tools, whatever the size of the list.
    Discover,
    /// The meta-tools when the caller's tools weigh more than the budget, else every tool.
    #[default]
    Auto,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::All => "all",
            Mode::Discover => "discover",
            Mode::Auto => "auto",
        }
    }
}

/// The default `MCP_TOOL_BUDGET_BYTES`: above vTOC's own list (13,951 bytes for 40 tools),
/// so vTOC keeps its full list, and about 4,000 tokens, what a few hundred operations would
/// exceed many times over.
pub const DEFAULT_BUDGET_BYTES: usize = 16_000;

/// The discovery settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discovery {
    pub mode: Mode,
    /// In `auto`, the most model-visible bytes a caller's full list may weigh.
    pub budget_bytes: usize,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery { mode: Mode::Auto, budget_bytes: DEFAULT_BUDGET_BYTES }
    }
}

impl Discovery {
    /// Does a caller whose callable tools weigh `listed_bytes` (what the model would read
    /// of them, [`model_visible_bytes`]) get the meta-tools in `tools/list`? The one place
    /// this is decided.
    pub fn serves_meta(self, listed_bytes: usize) -> bool {
        match self.mode {
            Mode::All => false,
            Mode::Discover => true,
            Mode::Auto => listed_bytes > self.budget_bytes,
        }
    }
}

/// A meta-tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    Search,
    Describe,
    Call,
}

pub const SEARCH_TOOLS: &str = crate::codegen::naming::META_TOOLS[0];
pub const DESCRIBE_TOOL: &str = crate::codegen::naming::META_TOOLS[1];
pub const CALL_TOOL: &str = crate::codegen::naming::META_TOOLS[2];

/// Results of one search, at most.
pub const MAX_LIMIT: u64 = 10;
const DEFAULT_LIMIT: u64 = 5;
/// A summary longer than this is cut at a word.
const SUMMARY_CHARS: usize = 160;

impl Meta {
    pub const ALL: [Meta; 3] = [Meta::Search, Meta::Describe, Meta::Call];

    pub fn name(self) -> &'static str {
        match self {
            Meta::Search => SEARCH_TOOLS,
            Meta::Describe => DESCRIBE_TOOL,
            Meta::Call => CALL_TOOL,
        }
    }

    pub fn parse(name: &str) -> Option<Meta> {
        Meta::ALL.into_iter().find(|m| m.name() == name)
    }

    fn input_schema(self) -> Value {
        match self {
            Meta::Search => json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1, "maxLength": 500,
                              "description": "The task in plain words"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
                },
                "required": ["query"],
                "additionalProperties": false
            }),
            Meta::Describe => json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "A tool name from search_tools"},
                    "part": {"type": "string", "minLength": 1,
                             "description": "Only this part of a definition too large to answer whole, as a JSON Pointer (/inputSchema/properties/filter)"}
                },
                "required": ["name"],
                "additionalProperties": false
            }),
            Meta::Call => json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "A tool name from search_tools"},
                    "arguments": {"type": "object", "description": "The tool's arguments, as describe_tool shows them"}
                },
                "required": ["name"],
                "additionalProperties": false
            }),
        }
    }

    /// The meta-tool as listed to a caller who may call `count` tools with these hints.
    fn tool(self, count: usize, hints: Hints) -> Tool {
        let Value::Object(schema) = self.input_schema() else { unreachable!("the schemas above are objects") };
        let (title, description, annotations) = match self {
            Meta::Search => (
                "Search tools",
                format!(
                    "Find the tools for a task among the {count} this API offers you. Returns the best matches: name, title, summary, effect (read-only, write or destructive) and required arguments. Then describe_tool, then call_tool."
                ),
                ToolAnnotations::new().read_only(true).destructive(false).idempotent(true).open_world(false),
            ),
            Meta::Describe => (
                "Describe a tool",
                "A tool's full definition: description, inputSchema (its arguments), outputSchema, annotations."
                    .to_string(),
                ToolAnnotations::new().read_only(true).destructive(false).idempotent(true).open_world(false),
            ),
            Meta::Call => (
                "Call a tool",
                "Run a tool found with search_tools. Checked as if called directly: a bad argument is an error naming the field; destructive tools ask the user first."
                    .to_string(),
                // What the tools it can run may do: read-only for a read-only caller.
                ToolAnnotations::new()
                    .read_only(hints.read_only)
                    .destructive(hints.destructive)
                    .idempotent(hints.idempotent)
                    .open_world(hints.open_world),
            ),
        };
        let mut annotations = annotations;
        annotations.title = Some(title.to_string());
        Tool::new(self.name(), description, Arc::new(schema)).with_title(title).with_annotations(annotations)
    }
}

/// What the tools a caller may call may do, together: read-only only if all are, and
/// destructive or open-world if any is (the hints of `call_tool` for that caller).
pub fn combined_hints(hints: impl Iterator<Item = Hints>) -> Hints {
    hints.fold(Hints { read_only: true, destructive: false, idempotent: true, open_world: false }, |all, h| Hints {
        read_only: all.read_only && h.read_only,
        destructive: all.destructive || h.destructive,
        idempotent: all.idempotent && h.idempotent,
        open_world: all.open_world || h.open_world,
    })
}

/// What one caller scope served the meta-tools lists and searches.
pub(super) struct Finder {
    /// The meta-tools as this scope lists them.
    pub(super) tools: Vec<Tool>,
    index: search::Index,
    /// The bridge entry of each indexed document.
    entries: Vec<usize>,
}

/// The discovery surface of a bridge: the meta-tools' validators, and for each caller
/// scope served the meta-tools, its finder. Built once, with the bridge.
pub(super) struct Surface {
    validators: [Validator; 3],
    finders: [Option<Finder>; 3],
}

impl Surface {
    pub(super) fn build(entries: &[Entry], guard: &Guardrails) -> Result<Surface, ToolTableError> {
        let validator = |meta: Meta| {
            Validator::new(&meta.input_schema())
                .map_err(|source| ToolTableError::Validator { tool: meta.name(), source })
        };
        let validators = [validator(Meta::Search)?, validator(Meta::Describe)?, validator(Meta::Call)?];
        let finders = Scope::ALL.map(|scope| {
            let permitted: Vec<usize> =
                (0..entries.len()).filter(|&i| guard.policy.permits(entries[i].spec, scope).is_ok()).collect();
            let bytes: usize = permitted.iter().map(|&i| model_visible_bytes(&entries[i].tool)).sum();
            guard.discovery.serves_meta(bytes).then(|| {
                let docs: Vec<search::Doc> = permitted.iter().map(|&i| doc_of(&entries[i])).collect();
                let hints = combined_hints(permitted.iter().map(|&i| entries[i].spec.hints));
                Finder {
                    tools: Meta::ALL.iter().map(|m| m.tool(permitted.len(), hints)).collect(),
                    index: search::Index::new(&docs),
                    entries: permitted,
                }
            })
        });
        Ok(Surface { validators, finders })
    }

    /// The finder of a caller scope, when it is served the meta-tools.
    pub(super) fn finder(&self, scope: Scope) -> Option<&Finder> {
        self.finders[scope as usize].as_ref()
    }

    /// Whether any caller scope is served the meta-tools.
    pub(super) fn any(&self) -> bool {
        self.finders.iter().any(Option::is_some)
    }
}

/// Appended to the server instructions when some caller is served the meta-tools.
pub const INSTRUCTIONS: &str = "When tools/list offers search_tools, describe_tool and call_tool instead of the API's \
tools, find a tool for the task with search_tools, read its arguments with describe_tool, and run it with call_tool.";

/// The search document of a bridge entry: the tool as listed (its arguments the model's),
/// its endpoint and what it returns.
fn doc_of(entry: &Entry) -> search::Doc {
    let spec = entry.spec;
    let output = entry.tool.output_schema.as_ref().map(|o| Value::Object((**o).clone()));
    search::Doc::new(
        spec.name,
        spec.title,
        spec.description,
        spec.tags,
        &Value::Object((*entry.tool.input_schema).clone()),
    )
    .with_endpoint(spec.method.as_str(), spec.path)
    .with_output(output.as_ref())
    .with_body(spec.body_schema)
}

/// The search document of a tool as the generator lowered it: what [`doc_of`] makes of
/// the same tool in a bridge (the search evaluation and the benchmark index an API this
/// way without building a bridge for it).
pub fn document(t: &crate::codegen::ir::Tool) -> search::Doc {
    let tags: Vec<&str> = t.tags.iter().map(String::as_str).collect();
    search::Doc::new(&t.name, t.title.as_deref(), &t.description, &tags, &t.input_schema)
        .with_endpoint(t.method.as_str(), &t.path)
        .with_output(t.output_schema.as_ref())
        .with_body(t.body.as_ref().and_then(|b| b.schema_name.as_deref()))
}

/// The first sentence of a description, cut to [`SUMMARY_CHARS`] at a word.
pub fn summary(description: &str) -> String {
    let text = description.split("\n\n").next().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.as_str(),
    };
    if sentence.chars().count() <= SUMMARY_CHARS {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(SUMMARY_CHARS).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{cut}…")
}

/// A tool's effect in a word, as search answers say it.
pub fn effect(hints: Hints) -> &'static str {
    if hints.destructive {
        "destructive"
    } else if hints.read_only {
        "read-only"
    } else {
        "write"
    }
}

/// The required arguments of an `inputSchema`, with a required JSON body's own required
/// fields as `body.NAME` (what the model must fill in).
pub fn required_arguments(input_schema: &JsonObject) -> Vec<String> {
    let names = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for name in names(input_schema.get("required")) {
        let body = input_schema.get("properties").and_then(|p| p.get("body"));
        let body_fields = if name == "body" { names(body.and_then(|b| b.get("required"))) } else { Vec::new() };
        if body_fields.is_empty() {
            out.push(name);
        } else {
            out.extend(body_fields.into_iter().map(|f| format!("body.{f}")));
        }
    }
    out
}

/// A tool error the model reads.
fn refused(message: String) -> Ran {
    Ran::from(rmcp::model::CallToolResponse::from(CallToolResult::error(vec![ContentBlock::text(message)])))
}

fn unknown(name: &str) -> String {
    format!("unknown tool `{name}`; search_tools finds the tools you can call")
}

impl Bridge {
    /// The audit line of a `search_tools` or `describe_tool` call: who looked, and for
    /// `describe_tool` which tool (`targets.name`). `call_tool`'s line is the tool's own.
    fn audit_meta(&self, req: &CallRequest, meta: Meta, described: Option<&str>, decision: Decision, started: Instant) {
        if !self.inner.guard.audit.is_on() {
            return;
        }
        let mut targets = serde_json::Map::new();
        if let Some(name) = described {
            targets.insert("name".into(), json!(name));
        }
        self.inner.guard.audit.record(&audit::Event {
            ts: audit::now(),
            event: req.origin.event(),
            caller: &req.caller.name,
            auth: req.caller.method,
            tool: meta.name(),
            targets,
            station: None,
            decision,
            status: None,
            outcome: None,
            latency_ms: audit::latency_ms(started),
            trace_id: crate::telemetry::trace::trace_id(&req.trace.parent),
        });
    }

    /// The meta-tool `name` is, when the caller's scope is served the meta-tools.
    pub(super) fn meta_for(&self, name: &str, scope: Scope) -> Option<Meta> {
        self.inner.discovery.finder(scope).and(Meta::parse(name))
    }

    /// The tool a `tools/call` of `name` runs for a caller with `scope` (`call_tool` runs
    /// `inner`, the tool it names), and where that tool's arguments are in the JSON-RPC
    /// message: what the HTTP guard checks the caller's scope against before the call. A
    /// meta-tool the caller is served is never the API tool of the same name; the reading
    /// ones (`search_tools`, `describe_tool`) need only the read scope, so `None`, as for a
    /// tool the table does not have.
    pub fn tool_called(
        &self,
        name: &str,
        inner: Option<&str>,
        scope: Scope,
    ) -> Option<(&'static ToolSpec, &'static str)> {
        match self.meta_for(name, scope) {
            Some(Meta::Call) => inner.and_then(|n| self.entry(n)).map(|e| (e.spec, "/params/arguments/arguments")),
            Some(Meta::Search | Meta::Describe) => None,
            None => self.entry(name).map(|e| (e.spec, "/params/arguments")),
        }
    }

    /// The meta-tools as a caller with `scope` is (or would be) served them.
    pub fn meta_tools(&self, scope: Scope) -> Vec<Tool> {
        if let Some(finder) = self.inner.discovery.finder(scope) {
            return finder.tools.clone();
        }
        let permitted: Vec<Hints> = self
            .inner
            .entries
            .iter()
            .filter(|e| self.inner.guard.policy.permits(e.spec, scope).is_ok())
            .map(|e| e.spec.hints)
            .collect();
        let hints = combined_hints(permitted.iter().copied());
        Meta::ALL.iter().map(|m| m.tool(permitted.len(), hints)).collect()
    }

    /// Whether a caller with `scope` gets the meta-tools in `tools/list`.
    pub fn serves_meta(&self, scope: Scope) -> bool {
        self.inner.discovery.finder(scope).is_some()
    }

    /// A call of a meta-tool. `call_tool` goes on into the guarded call path with the
    /// named tool; search and describe only read the tool table.
    pub(super) async fn discover(&self, meta: Meta, mut req: CallRequest) -> Result<Ran, ErrorData> {
        let started = Instant::now();
        let finder = self.inner.discovery.finder(req.caller.scope).expect("meta_for checked the scope is served");
        let arguments = Value::Object(std::mem::take(&mut req.arguments));
        if let Err(violations) = self.inner.discovery.validators[meta as usize].validate(&arguments) {
            if meta != Meta::Call {
                self.audit_meta(&req, meta, None, Decision::RefusedArguments, started);
            }
            let list: Vec<(String, String)> = violations.into_iter().map(|v| (v.path, v.message)).collect();
            return Ok(invalid_arguments_of(meta.name(), false, &list).into());
        }
        let Value::Object(mut arguments) = arguments else { unreachable!("constructed as an object above") };
        let name = arguments.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let max = self.inner.guard.max_result_bytes;
        match meta {
            Meta::Search => {
                let query = arguments.get("query").and_then(Value::as_str).unwrap_or_default();
                let limit = arguments.get("limit").and_then(Value::as_u64).unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
                let hits: Vec<Value> = finder
                    .index
                    .search(query, limit as usize)
                    .into_iter()
                    .map(|d| {
                        let entry = &self.inner.entries[finder.entries[d]];
                        let spec = entry.spec;
                        json!({
                            "name": spec.name,
                            "title": spec.title.unwrap_or(spec.name),
                            "summary": summary(spec.description),
                            "effect": effect(spec.hints),
                            "required": required_arguments(&entry.tool.input_schema),
                        })
                    })
                    .collect();
                let answer = if hits.is_empty() {
                    json!({"tools": [], "hint": "nothing matched; try other words, e.g. the name of the thing to act on"})
                } else {
                    json!({"tools": hits})
                };
                self.audit_meta(&req, meta, None, Decision::Allowed, started);
                Ok(Ran::from(rmcp::model::CallToolResponse::from(crate::guard::truncate::limit(
                    CallToolResult::structured(answer),
                    max,
                ))))
            }
            Meta::Describe => {
                let Some(entry) = self.entry(&name) else {
                    self.audit_meta(&req, meta, Some(&name), Decision::RefusedUnknownTool, started);
                    return Ok(refused(unknown(&name)));
                };
                if let Err(refusal) = self.inner.guard.policy.permits(entry.spec, req.caller.scope) {
                    let decision = Decision::from(&refusal);
                    self.audit_meta(&req, meta, Some(&name), decision, started);
                    return Ok(refused(format!(
                        "{}\nsearch_tools finds the tools you can call.",
                        refusal.describe(entry.spec.name, req.caller.method == crate::guard::caller::AuthMethod::Local)
                    )));
                }
                let definition = serde_json::to_value(&entry.tool).unwrap_or(Value::Null);
                let part = arguments.get("part").and_then(Value::as_str);
                let answer = match part {
                    None => describe::whole(definition, max),
                    Some(pointer) => match describe::part(&definition, pointer, max) {
                        Ok(answer) => answer,
                        Err(message) => {
                            self.audit_meta(&req, meta, Some(&name), Decision::RefusedArguments, started);
                            return Ok(refused(message));
                        }
                    },
                };
                self.audit_meta(&req, meta, Some(&name), Decision::Allowed, started);
                Ok(Ran::from(rmcp::model::CallToolResponse::from(crate::guard::truncate::limit(
                    CallToolResult::structured(answer),
                    max,
                ))))
            }
            Meta::Call => {
                req.name = name;
                req.arguments = match arguments.remove("arguments") {
                    Some(Value::Object(inner)) => inner,
                    _ => JsonObject::new(),
                };
                let name = req.name.clone();
                // The same path as a direct call; only an unknown tool, a protocol error
                // there, becomes a tool error here, since the model asked through a tool.
                match self.run_tool(req).await {
                    Err(_) if self.entry(&name).is_none() => Ok(refused(unknown(&name))),
                    other => other,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_and_the_budget_decide() {
        let auto = Discovery::default();
        assert!(!auto.serves_meta(13_951), "vTOC keeps its full list by default");
        assert!(auto.serves_meta(16_001));
        assert!(!Discovery { mode: Mode::All, budget_bytes: 1 }.serves_meta(1_000_000));
        assert!(Discovery { mode: Mode::Discover, budget_bytes: 1_000_000 }.serves_meta(0));
    }

    #[test]
    fn summaries_are_one_short_sentence() {
        assert_eq!(summary("Delete a POI and its identifiers."), "Delete a POI and its identifiers.");
        assert_eq!(summary("Creates a new flow. If it exists, it is returned."), "Creates a new flow.");
        assert_eq!(summary("First paragraph\nwraps.\n\nSecond."), "First paragraph wraps.");
        let long = "word ".repeat(60);
        let cut = summary(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= SUMMARY_CHARS + 1, "{cut}");
    }

    #[test]
    fn required_arguments_name_the_body_fields() {
        let schema =
            json!({"properties": {"poi_id": {}, "body": {"required": ["name"]}}, "required": ["poi_id", "body"]});
        assert_eq!(required_arguments(schema.as_object().unwrap()), ["poi_id", "body.name"]);
        let schema = json!({"properties": {"body": {}}, "required": ["body"]});
        assert_eq!(required_arguments(schema.as_object().unwrap()), ["body"]);
    }

    #[test]
    fn call_tool_is_as_harmless_as_what_it_can_run() {
        let read = Hints { read_only: true, destructive: false, idempotent: true, open_world: false };
        let delete = Hints { read_only: false, destructive: true, idempotent: true, open_world: false };
        assert_eq!(combined_hints([read, read].into_iter()), read);
        let both = combined_hints([read, delete].into_iter());
        assert!(!both.read_only && both.destructive);
    }

    #[test]
    fn meta_tools_are_small() {
        let hints = combined_hints(std::iter::empty());
        let bytes: usize = Meta::ALL.iter().map(|m| model_visible_bytes(&m.tool(188, hints))).sum();
        assert!(bytes < 2_000, "{bytes}");
    }
}
