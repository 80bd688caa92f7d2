//! The MCP handler: the [`Bridge`] (the tool table, built once from the generated specs,
//! and the shared state of the call path) and rmcp's `ServerHandler` over it, for every
//! transport. Each request becomes an [`Asker`] and, for tools, a call through
//! `call.rs`; resources, completions and prompts are built on that same call path.

use super::call::{Asker, Confirmer, NoAsking, Origin, Sessions, Slots, TraceParent};
use super::confirm::{USED_STATES_CAPACITY, UsedStates};
use super::log::{DEFAULT_LOG_LEVEL, LOG_LEVEL_META, LogSink, Session};
use crate::bridge::exchange::{Backend, Level};
use crate::bridge::support::ToolSpec;
use crate::codegen::shape::Plan;
use crate::guard::Guardrails;
use crate::guard::caller::Caller;
use crate::guard::policy::{CONTEXT_ARG, CONTEXT_META, Context, ContextArgument, Scope, context_schema};
use crate::guard::validate::Validator;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// vTOC's instructions, in the build when the spec has what they mention
/// (`codegen::profile::PARTS`).
#[cfg(vtoc_part = "vtoc_instructions")]
const INSTRUCTIONS: &str = "Tools for vTOC, a virtual tactical operations center: stations and their dashboards, \
timelines and task queues; telemetry sources and events; persons of interest (POI) and their identifiers; an IMEI \
watchlist; hardware control (GPS, ADS-B, H4M import); and agent actions relayed to OpenAI AgentKit. Tools marked \
read-only only read. Update tools change only the fields you send (null leaves a field unchanged); list fields in `clear` to empty them. A JSON-object argument may be sent as JSON text. Destructive tools \
ask the user to confirm. A tool error names what was wrong (each bad argument, or the backend's HTTP status and \
detail): read it and correct the call. The same reads are resources (vtoc://stations/{station_slug}, \
vtoc://poi/{poi_id}, ...) with completions for their ids and slugs, and there are prompts for a station briefing, \
POI triage and an IMEI check.";

/// Any other API: what holds for every generated bridge.
#[cfg(not(vtoc_part = "vtoc_instructions"))]
const INSTRUCTIONS: &str = "Tools generated from this API's OpenAPI contract, one per operation. Tools marked \
read-only only read. Update tools change only the fields you send (null leaves a field unchanged); list fields in `clear` to empty them. A JSON-object argument may be sent as JSON text. Destructive tools ask \
the user to confirm. A tool error names what was wrong (each bad argument, or the backend's HTTP status and detail): \
read it and correct the call. Reads are also resources, with completions for ids the API can list.";

pub(super) struct Entry {
    pub(super) spec: &'static ToolSpec,
    pub(super) tool: Tool,
    /// The wire schema, compiled when the bridge is built, not on first call.
    pub(super) validator: Validator,
    /// How the listed arguments map to the wire (`codegen::shape`).
    pub(super) plan: Arc<Plan>,
}

pub(crate) struct Inner {
    pub(super) backend: Arc<Backend>,
    pub(super) guard: Guardrails,
    pub(super) entries: Vec<Entry>,
    pub(super) by_name: HashMap<&'static str, usize>,
    /// The tools each scope may call, computed once.
    pub(super) listed: [Vec<Tool>; 3],
    /// The meta-tools, for the scopes served them instead of `listed`.
    pub(super) discovery: crate::bridge::discover::Surface,
    pub(super) in_flight: Mutex<HashMap<String, Arc<Slots>>>,
    /// Calls running now, calls so far, and whether new ones are refused (shutdown).
    pub(super) active: std::sync::atomic::AtomicUsize,
    pub(super) total: std::sync::atomic::AtomicU64,
    pub(super) draining: std::sync::atomic::AtomicBool,
    pub(super) drained: tokio::sync::Notify,
    /// Cancelled when the shutdown deadline passes: calls still running end with a tool
    /// error instead of a dropped response.
    pub(super) cut_off: tokio_util::sync::CancellationToken,
    pub(super) info: ServerConfig,
    /// Nonces of 2026 confirmation states already used (each state answers once).
    pub(super) used_states: UsedStates,
    /// The curated prompts whose tools and resources this build has.
    pub(crate) prompts: Vec<&'static crate::bridge::prompts::PromptSpec>,
    /// Recently listed completion values.
    pub(crate) completions: crate::bridge::completion::Cache,
}

/// The MCP handler. Cheap to clone; [`Bridge::for_session`] gives each session its own state.
#[derive(Clone)]
pub struct Bridge {
    pub(crate) inner: Arc<Inner>,
    session: Arc<Session>,
}

impl Bridge {
    pub fn new(backend: Arc<Backend>, guard: Guardrails) -> Result<Bridge, ToolTableError> {
        Bridge::with_tools(backend, guard, crate::bridge::tools::all())
    }

    /// A bridge over a given tool table (the generated and hand-written tools in
    /// production; tests add their own).
    pub fn with_tools(
        backend: Arc<Backend>,
        guard: Guardrails,
        tools: impl Iterator<Item = &'static ToolSpec>,
    ) -> Result<Bridge, ToolTableError> {
        let entries = tools
            .map(|spec| {
                let (tool, wire, plan) = to_rmcp_tool(spec, guard.context_argument)?;
                let validator = Validator::new(&Value::Object(wire))
                    .map_err(|source| ToolTableError::Validator { tool: spec.name, source })?;
                Ok(Entry { spec, tool, validator, plan: Arc::new(plan) })
            })
            .collect::<Result<Vec<_>, ToolTableError>>()?;
        let by_name = entries.iter().enumerate().map(|(i, e)| (e.spec.name, i)).collect();
        let listed = Scope::ALL.map(|scope| {
            entries.iter().filter(|e| guard.policy.permits(e.spec, scope).is_ok()).map(|e| e.tool.clone()).collect()
        });
        let discovery = crate::bridge::discover::Surface::build(&entries, &guard)?;
        let prompts: Vec<&'static crate::bridge::prompts::PromptSpec> = crate::bridge::prompts::PROMPTS
            .iter()
            .filter(|p| {
                let missing = crate::bridge::prompts::missing(p);
                if !missing.is_empty() {
                    tracing::warn!(prompt = p.name, "prompt left out: this build lacks {}", missing.join(", "));
                }
                missing.is_empty()
            })
            .collect();
        #[allow(deprecated)]
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts()
            .enable_completions()
            .enable_logging()
            .build();
        let info = ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("vtoc-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(if discovery.any() {
                format!("{INSTRUCTIONS} {}", crate::bridge::discover::INSTRUCTIONS)
            } else {
                INSTRUCTIONS.to_string()
            });
        Ok(Bridge {
            inner: Arc::new(Inner {
                backend,
                guard,
                entries,
                by_name,
                listed,
                discovery,
                in_flight: Mutex::default(),
                active: Default::default(),
                total: Default::default(),
                draining: Default::default(),
                drained: tokio::sync::Notify::new(),
                cut_off: tokio_util::sync::CancellationToken::new(),
                info,
                used_states: UsedStates::new(USED_STATES_CAPACITY),
                prompts,
                completions: crate::bridge::completion::Cache::default(),
            }),
            session: Arc::default(),
        })
    }

    /// The same bridge with fresh per-session state (log level): one per MCP session.
    pub fn for_session(&self) -> Bridge {
        Bridge { inner: self.inner.clone(), session: Arc::default() }
    }

    /// This session's log level.
    pub fn log_level(&self) -> Level {
        self.session.log_level.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(DEFAULT_LOG_LEVEL)
    }

    /// Where this request's log messages go. A 2025-era session hears what its
    /// `logging/setLevel` (default warning) lets through; a 2026-07-28 request hears only
    /// what it opts in to with `_meta["io.modelcontextprotocol/logLevel"]` (SEP-2577).
    fn log_sink(
        &self,
        context: &RequestContext<RoleServer>,
        meta: Option<&rmcp::model::RequestMetaObject>,
    ) -> Option<LogSink> {
        let modern = context.protocol_version().is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let level = if modern {
            let asked = meta.and_then(|m| m.0.get(LOG_LEVEL_META)).or_else(|| context.meta.0.get(LOG_LEVEL_META));
            serde_json::from_value::<Level>(asked?.clone()).ok()?
        } else {
            self.log_level()
        };
        Some(LogSink { peer: context.peer.clone(), level })
    }

    pub fn backend(&self) -> &Arc<Backend> {
        &self.inner.backend
    }

    pub fn guardrails(&self) -> &Guardrails {
        &self.inner.guard
    }

    /// Every tool (whatever the policy) with its spec, as the server would describe it.
    pub fn catalog(&self) -> impl Iterator<Item = (&'static ToolSpec, &Tool)> {
        self.inner.entries.iter().map(|e| (e.spec, &e.tool))
    }

    /// Every tool (whatever the policy), as the server would describe it.
    pub fn tools(&self) -> Vec<Tool> {
        self.catalog().map(|(_, tool)| tool.clone()).collect()
    }

    /// The tools a caller with `scope` sees in `tools/list`: the tools it may call, or the
    /// discovery meta-tools when it is served them (`MCP_TOOL_MODE`).
    pub fn tools_for(&self, scope: Scope) -> &[Tool] {
        match self.inner.discovery.finder(scope) {
            Some(finder) => &finder.tools,
            None => self.callable_tools(scope),
        }
    }

    /// The tools a caller with `scope` may call (by name, or through `call_tool`).
    pub fn callable_tools(&self, scope: Scope) -> &[Tool] {
        &self.inner.listed[scope as usize]
    }

    /// Tool calls running now.
    pub fn active_calls(&self) -> usize {
        self.inner.active.load(Ordering::SeqCst)
    }

    /// Tool calls run since start.
    pub fn total_calls(&self) -> u64 {
        self.inner.total.load(Ordering::Relaxed)
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Shutdown: refuse new calls, and wait (up to `deadline`) for running ones to finish.
    /// Calls still running then are cut off: each answers its caller with a tool error
    /// saying so (given a moment to be written) instead of a dropped response. Returns the
    /// number that had to be cut off.
    pub async fn drain(&self, deadline: Duration) -> usize {
        self.inner.draining.store(true, Ordering::SeqCst);
        let wait = async {
            while self.active_calls() > 0 {
                let notified = self.inner.drained.notified();
                if self.active_calls() == 0 {
                    break;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(deadline, wait).await.is_ok() {
            return 0;
        }
        let left = self.active_calls();
        self.inner.cut_off.cancel();
        let answered = async {
            while self.active_calls() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), answered).await;
        left
    }

    pub(super) fn entry(&self, name: &str) -> Option<&Entry> {
        self.inner.by_name.get(name).map(|&i| &self.inner.entries[i])
    }
}

/// A tool table the bridge cannot serve: a generated or hand-written tool whose schemas are
/// broken. Regenerating (`make generate`) or fixing the hand-written tool is the remedy.
#[derive(Debug, thiserror::Error)]
pub enum ToolTableError {
    #[error("tool `{tool}`: the generated {what} is not a JSON object; rebuild, or fix the hand-written tool")]
    NotAnObject { tool: &'static str, what: &'static str },
    #[error("tool `{tool}`: {source}")]
    Validator { tool: &'static str, source: crate::guard::validate::SchemaError },
}

/// The tool as listed (its inputSchema the view of the wire schema), the wire schema its
/// arguments are validated against (with the `context` argument where the tool offers it),
/// and the plan between the two.
fn to_rmcp_tool(
    spec: &'static ToolSpec,
    context_argument: ContextArgument,
) -> Result<(Tool, JsonObject, Plan), ToolTableError> {
    let object = |text: &str, what: &'static str| -> Result<JsonObject, ToolTableError> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(ToolTableError::NotAnObject { tool: spec.name, what }),
        }
    };
    let mut wire = object(spec.wire_schema, "the wire schema")?;
    let request = Value::Object(wire.clone());
    let fields = context_argument.fields(spec);
    let mut context = None;
    if !fields.is_empty()
        && let Value::Object(props) = wire.entry("properties").or_insert_with(|| json!({}))
        && !props.contains_key(CONTEXT_ARG)
    {
        let schema = context_schema(fields);
        props.insert(CONTEXT_ARG.into(), schema.clone());
        context = Some(schema);
    }
    let plan = Plan::new(&request, crate::codegen::shape::clears(spec.method, spec.body), context.as_ref());
    let Value::Object(input) = plan.view() else { unreachable!("a view is an object") };
    let mut tool = Tool::new(spec.name, spec.description, Arc::new(input));
    if let Some(title) = spec.title {
        tool = tool.with_title(title);
    }
    if let Some(output) = spec.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(object(output, "outputSchema")?));
    }
    let h = spec.hints;
    let mut annotations = ToolAnnotations::new()
        .read_only(h.read_only)
        .destructive(h.destructive)
        .idempotent(h.idempotent)
        .open_world(h.open_world);
    annotations.title = spec.title.map(str::to_owned);
    Ok((tool.with_annotations(annotations), wire, plan))
}

impl Bridge {
    fn caller_of(&self, context: &RequestContext<RoleServer>) -> Caller {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>().cloned())
            .unwrap_or_else(|| self.inner.guard.local.clone())
    }
}

impl Bridge {
    fn asker(&self, context: &RequestContext<RoleServer>, meta: Option<&rmcp::model::RequestMetaObject>) -> Asker {
        let header_context = context
            .extensions
            .get::<http::request::Parts>()
            .map(|parts| Context::from_headers(&parts.headers))
            .unwrap_or_default();
        // rmcp moves the request's `_meta` into the context; look in both.
        let context_meta = meta.and_then(|m| m.0.get(CONTEXT_META)).or_else(|| context.meta.0.get(CONTEXT_META));
        let parts = context.extensions.get::<http::request::Parts>();
        let header =
            |name: &str| parts.and_then(|p| p.headers.get(name)).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let trace_meta = meta.map(|m| &m.0.0).filter(|m| m.contains_key("traceparent")).or(Some(&context.meta.0));
        // The session and protocol name the call's span: read only when spans are made.
        let traced = self.inner.guard.telemetry.tracing.is_some();
        let trace = TraceParent {
            parent: crate::telemetry::trace::parent(trace_meta, parts.map(|p| &p.headers)),
            session: traced.then(|| header("mcp-session-id")).flatten(),
            protocol: traced
                .then(|| context.protocol_version().map(|v| v.to_string()).or_else(|| header("mcp-protocol-version")))
                .flatten(),
        };
        Asker {
            caller: self.caller_of(context),
            header_context,
            meta_context: Context::from_argument(context_meta),
            log: self.log_sink(context, meta),
            trace,
        }
    }
}

/// Every list is one page; a cursor can only be one this server never gave out.
fn no_cursor(request: Option<&PaginatedRequestParams>) -> Result<(), ErrorData> {
    match request.and_then(|r| r.cursor.as_deref()) {
        Some(cursor) => Err(ErrorData::invalid_params(
            format!(
                "invalid cursor {cursor:?}: this server returns every item in one page and never gives out a cursor; list again without one"
            ),
            None,
        )),
        None => Ok(()),
    }
}

/// How long a client may cache a list (SEP-2549). Lists depend on the caller's scope, so
/// only the caller's own client may cache them.
const LIST_TTL_MS: u64 = 300_000;

impl ServerHandler for Bridge {
    fn get_info(&self) -> ServerConfig {
        self.inner.info.clone()
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        no_cursor(request.as_ref())?;
        let caller = self.caller_of(&context);
        Ok(ListToolsResult::with_all_items(self.tools_for(caller.scope).to_vec())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(rmcp::model::CacheScope::Private))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.entry(name).map(|e| e.tool.clone()).or_else(|| {
            Scope::ALL
                .iter()
                .filter_map(|&scope| self.inner.discovery.finder(scope))
                .find_map(|finder| finder.tools.iter().find(|t| t.name == name).cloned())
        })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let asker = self.asker(&context, request.meta.as_ref());
        let can_elicit = context.client_capabilities().is_some_and(|c| c.elicitation.is_some());
        let sessions = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Sessions>().copied())
            .unwrap_or_default();
        let modern = context.protocol_version().is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let confirmer = match (can_elicit, modern) {
            (false, false) if sessions.stateless => Confirmer::Unavailable(NoAsking::Stateless),
            (false, _) => Confirmer::Unavailable(NoAsking::NoElicitation),
            (true, true) => {
                Confirmer::Mrtr { responses: request.input_responses.clone(), state: request.request_state.clone() }
            }
            (true, false) => Confirmer::Session { peer: context.peer.clone(), idle: sessions.idle },
        };
        let mut call = asker.request(&request.name, request.arguments.unwrap_or_default(), Origin::Tool);
        call.confirmer = confirmer;
        // Boxed: the call's state machine is a few KiB, and rmcp moves the handler future into
        // a spawned task; a pointer is cheaper to move than the whole future (see
        // docs/performance.md).
        Box::pin(self.call(call)).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, ErrorData> {
        no_cursor(request.as_ref())?;
        let caller = self.caller_of(&context);
        Ok(rmcp::model::ListResourcesResult::with_all_items(self.resources_for(caller.scope))
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(rmcp::model::CacheScope::Private))
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, ErrorData> {
        no_cursor(request.as_ref())?;
        let caller = self.caller_of(&context);
        Ok(rmcp::model::ListResourceTemplatesResult::with_all_items(self.templates_for(caller.scope))
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(rmcp::model::CacheScope::Private))
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, ErrorData> {
        let asker = self.asker(&context, request.meta.as_ref());
        Box::pin(self.read(&request.uri, &asker, Origin::Resource)).await.map(Into::into)
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, ErrorData> {
        no_cursor(request.as_ref())?;
        let caller = self.caller_of(&context);
        Ok(rmcp::model::ListPromptsResult::with_all_items(self.prompts_for(caller.scope))
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(rmcp::model::CacheScope::Private))
    }

    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, ErrorData> {
        let asker = self.asker(&context, request.meta.as_ref());
        Box::pin(self.prompt(&request.name, request.arguments.unwrap_or_default(), &asker)).await.map(Into::into)
    }

    async fn complete(
        &self,
        request: rmcp::model::CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CompleteResult, ErrorData> {
        let asker = self.asker(&context, request.meta.as_ref());
        Ok(Box::pin(self.completions(&request, &asker)).await)
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let level: Level = serde_json::to_value(request.level)
            .and_then(serde_json::from_value)
            .map_err(|e| ErrorData::invalid_params(format!("unknown log level: {e}"), None))?;
        *self.session.log_level.lock().unwrap_or_else(|p| p.into_inner()) = Some(level);
        Ok(())
    }
}

/// What a model reads of a tool on every turn: the compact JSON of its name, description
/// and inputSchema (what LLM APIs receive as a function definition), in bytes.
pub fn model_visible_bytes(tool: &Tool) -> usize {
    let visible = json!({"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema});
    serde_json::to_vec(&visible).map(|v| v.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::client::Client;
    use crate::bridge::support::{Args, CallOutcome, Hints, Method, ResponseKind};
    use crate::bridge::{CallRequest, Confirmer};
    use futures::future::BoxFuture;
    use rmcp::model::CallToolResult;

    fn boom<'a>(_: &'a Client, _: &'a Args<'a>) -> BoxFuture<'a, CallOutcome> {
        Box::pin(async {
            if std::hint::black_box(true) {
                panic!("injected panic");
            }
            Ok(CallToolResult::success(vec![]))
        })
    }

    static PANICKING: [ToolSpec; 1] = [ToolSpec {
        name: "boom",
        title: None,
        description: "panics",
        operation_id: "test:boom",
        method: Method::Get,
        path: "/boom",
        tags: &[],
        params: &[],
        context: &[],
        body: None,
        body_schema: None,
        wire_schema: r#"{"type":"object","properties":{},"additionalProperties":false}"#,
        output_schema: None,
        response: ResponseKind::Empty,
        hints: Hints { read_only: true, destructive: false, idempotent: true, open_world: false },
        call: boom,
    }];

    fn request(name: &str) -> CallRequest {
        CallRequest::new(
            name,
            JsonObject::new(),
            Caller::local(Scope::Admin),
            Confirmer::Unavailable(NoAsking::NoElicitation),
        )
    }

    #[tokio::test]
    async fn a_panic_in_one_call_is_an_error_for_that_call_only() {
        let mut args = crate::cli::config::BackendArgs { dry_run: true, ..Default::default() };
        args.retries = 0;
        let backend = args.build("http://127.0.0.1:9").unwrap();
        let bridge =
            Bridge::with_tools(backend, Guardrails::permissive(), PANICKING.iter().chain(crate::bridge::tools::all()))
                .unwrap();
        for _ in 0..3 {
            let CallToolResponse::Complete(result) = bridge.call(request("boom")).await.unwrap() else {
                panic!("complete")
            };
            assert_eq!(result.is_error, Some(true));
            let text = result.content[0].as_text().unwrap().text.clone();
            assert!(text.contains("internal error") && text.contains("still running"), "{text}");
            assert_eq!(bridge.active_calls(), 0, "the panicked call was counted out");
        }
        // The server still works.
        let CallToolResponse::Complete(ok) = bridge.call(request("list_stations")).await.unwrap() else { panic!() };
        assert_ne!(ok.is_error, Some(true));
    }

    #[tokio::test]
    async fn draining_refuses_new_calls() {
        let args = crate::cli::config::BackendArgs { dry_run: true, ..Default::default() };
        let bridge = Bridge::new(args.build("http://127.0.0.1:9").unwrap(), Guardrails::permissive()).unwrap();
        assert_eq!(bridge.drain(Duration::from_millis(10)).await, 0);
        let CallToolResponse::Complete(result) = bridge.call(request("list_stations")).await.unwrap() else { panic!() };
        assert!(result.content[0].as_text().unwrap().text.contains("shutting down"));
    }
}
