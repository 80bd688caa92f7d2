//! The MCP server: an rmcp `ServerHandler` over the generated tool table, with the
//! guardrails in one call path shared by every transport (and by `vtoc-mcp call`):
//!
//! 1. look the tool up;
//! 2. the policy and the caller's scope allow it;
//! 3. the arguments fit its `inputSchema`;
//! 4. the caller is under its concurrency limit;
//! 5. a destructive call is confirmed by the user;
//! 6. mission context is resolved;
//! 7. the generated wrapper runs under the backend deadline;
//! 8. the result is size-limited;
//! 9. one audit line is written.
//!
//! Steps 1-5 refuse before any backend call.

use crate::audit::{self, Audit, Decision};
use crate::auth::{AuthMethod, Caller};
use crate::client::Client;
use crate::policy::{
    CONTEXT_ARG, CONTEXT_META, Context, ContextArgument, Fallback, Policy, Refusal, Scope, context_schema,
};
use crate::support::{Args, Backend, CallCtx, Level, Location, Note, ToolSpec};
use crate::validate::Validator;
use futures::FutureExt;
use reqwest::header::HeaderValue;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequest, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationSchema, Implementation, InputRequest, InputRequiredResult,
    InputResponses, JsonObject, ListToolsResult, PaginatedRequestParams, ProtocolVersion, RequestStateCodec,
    SealOptions, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const INSTRUCTIONS: &str = "Tools for vTOC, a virtual tactical operations center: stations and their dashboards, \
timelines and task queues; telemetry sources and events; persons of interest (POI) and their identifiers; an IMEI \
watchlist; hardware control (GPS, ADS-B, H4M import); and agent actions relayed to OpenAI AgentKit. Tools marked \
read-only only read. Update tools change only the fields you send; send null to clear a field. Destructive tools \
ask the user to confirm. A tool error names what was wrong (each bad argument, or the backend's HTTP status and \
detail): read it and correct the call. The same reads are resources (vtoc://stations/{station_slug}, \
vtoc://poi/{poi_id}, ...) with completions for their ids and slugs, and there are prompts for a station briefing, \
POI triage and an IMEI check.";

/// The guardrail settings of the call path.
pub struct Guardrails {
    pub policy: Policy,
    /// The caller of stdio and of unauthenticated HTTP.
    pub local: Caller,
    /// Context used when neither the call nor the MCP request gives one.
    pub defaults: Context,
    /// Which tools offer the optional `context` argument.
    pub context_argument: ContextArgument,
    pub audit: Arc<Audit>,
    /// Results larger than this are cut (with a marker).
    pub max_result_bytes: usize,
    /// Calls in flight per caller.
    pub max_concurrent_per_caller: usize,
    /// Calls per caller that may wait for a slot beyond those in flight.
    pub call_queue: usize,
    /// How long a queued call waits for a slot.
    pub call_queue_wait: Duration,
    /// How long a user has to answer a confirmation.
    pub confirm_timeout: Duration,
    /// Signs the `requestState` of 2026 confirmations (shared by replicas).
    pub state_codec: RequestStateCodec,
    /// Send the caller's own bearer token to the backend instead of VTOC_API_TOKEN.
    pub forward_caller_token: bool,
}

impl Guardrails {
    /// Open settings for tests and tools: every tool, admin scope, no confirmation.
    pub fn permissive() -> Guardrails {
        Guardrails {
            policy: Policy { allow_writes: true, confirm_destructive: false, ..Policy::default() },
            local: Caller::local(Scope::Admin),
            defaults: Context::default(),
            context_argument: ContextArgument::Auto,
            audit: Arc::new(Audit::off()),
            max_result_bytes: 1 << 20,
            max_concurrent_per_caller: 64,
            call_queue: 64,
            call_queue_wait: Duration::from_secs(10),
            confirm_timeout: Duration::from_secs(120),
            state_codec: RequestStateCodec::try_new(random_key()).expect("32 random bytes are a valid key"),
            forward_caller_token: false,
        }
    }
}

/// 32 random bytes (for a per-process request-state key).
pub fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).expect("the OS provides randomness");
    key
}

/// How a destructive call can be confirmed with this client.
pub enum Confirmer {
    /// A 2025-era session client that declared elicitation: ask over the session.
    Session(Peer<RoleServer>),
    /// A 2026-07-28 client that declared elicitation: the input-required round trip.
    Mrtr { responses: Option<InputResponses>, state: Option<String> },
    /// The client cannot ask the user.
    Unavailable,
    /// The person running the command already confirmed (`vtoc-mcp call --yes`).
    Preapproved,
}

/// One tool call, from any transport.
pub struct CallRequest {
    pub name: String,
    pub arguments: JsonObject,
    pub caller: Caller,
    /// Context from the MCP request's headers.
    pub header_context: Context,
    /// Context the host set for this call in `_meta["vtoc/context"]`.
    pub meta_context: Context,
    pub confirmer: Confirmer,
    /// What asked for the call: a tool call, or a resource read, completion or prompt
    /// built on one (named in the audit line).
    pub origin: Origin,
    /// Where `notifications/message` about the call go (the client's session), if anywhere.
    pub log: Option<LogSink>,
}

impl CallRequest {
    /// A plain tool call: no `_meta` context, no log sink.
    pub fn new(name: &str, arguments: JsonObject, caller: Caller, confirmer: Confirmer) -> CallRequest {
        CallRequest {
            name: name.to_string(),
            arguments,
            caller,
            header_context: Context::default(),
            meta_context: Context::default(),
            confirmer,
            origin: Origin::Tool,
            log: None,
        }
    }
}

/// What a call through the guarded path is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Tool,
    Resource,
    Completion,
    Prompt,
}

impl Origin {
    /// The audit line's `event`.
    pub fn event(self) -> &'static str {
        match self {
            Origin::Tool => "tool_call",
            Origin::Resource => "resource_read",
            Origin::Completion => "completion",
            Origin::Prompt => "prompt",
        }
    }
}

/// A session's log: where to send `notifications/message`, and from which level up.
#[derive(Clone)]
pub struct LogSink {
    pub peer: Peer<RoleServer>,
    pub level: Level,
}

impl LogSink {
    /// Send the notes at or above the session's level. A client that went away is not an
    /// error of the call.
    #[allow(deprecated)]
    pub async fn send(&self, notes: Vec<Note>) {
        for note in notes.into_iter().filter(|n| n.level >= self.level) {
            let _ = self.peer.notify_logging_message(logging_message(&note)).await;
        }
    }
}

/// The MCP form of a note. Logging is deprecated for 2026-07-28 clients (SEP-2577) but
/// still the way 2025-era clients hear about what happened.
#[allow(deprecated)]
fn logging_message(note: &Note) -> rmcp::model::LoggingMessageNotificationParam {
    use rmcp::model::LoggingLevel as L;
    let level = match note.level {
        Level::Debug => L::Debug,
        Level::Info => L::Info,
        Level::Notice => L::Notice,
        Level::Warning => L::Warning,
        Level::Error => L::Error,
        Level::Critical => L::Critical,
        Level::Alert => L::Alert,
        Level::Emergency => L::Emergency,
    };
    rmcp::model::LoggingMessageNotificationParam::new(level, json!({ "message": note.message })).with_logger("vtoc-mcp")
}

/// Per-session state (one per 2025-era MCP session, per stateless request, or for stdio).
#[derive(Debug, Default)]
struct Session {
    /// `logging/setLevel`; unset means [`DEFAULT_LOG_LEVEL`].
    log_level: Mutex<Option<Level>>,
}

/// The `_meta` key by which a 2026-07-28 request opts in to log messages (SEP-2577).
const LOG_LEVEL_META: &str = "io.modelcontextprotocol/logLevel";

/// What a session hears until it sets a level: warnings and worse.
pub const DEFAULT_LOG_LEVEL: Level = Level::Warning;

struct Entry {
    spec: &'static ToolSpec,
    tool: Tool,
    validator: OnceLock<Result<Validator, String>>,
}

pub(crate) struct Inner {
    backend: Arc<Backend>,
    guard: Guardrails,
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
    /// `tools/list` per scope, computed once.
    listed: [Vec<Tool>; 3],
    in_flight: Mutex<HashMap<String, Arc<Slots>>>,
    /// Calls running now, calls so far, and whether new ones are refused (shutdown).
    active: std::sync::atomic::AtomicUsize,
    total: std::sync::atomic::AtomicU64,
    draining: std::sync::atomic::AtomicBool,
    drained: tokio::sync::Notify,
    info: ServerConfig,
    /// Nonces of 2026 confirmation states already used (each state answers once).
    used_states: UsedStates,
    /// The curated prompts whose tools and resources this build has.
    pub(crate) prompts: Vec<&'static crate::prompts::PromptSpec>,
    /// Recently listed completion values.
    pub(crate) completions: crate::completion::Cache,
}

/// The MCP handler. Cheap to clone; [`Bridge::for_session`] gives each session its own state.
#[derive(Clone)]
pub struct Bridge {
    pub(crate) inner: Arc<Inner>,
    session: Arc<Session>,
}

impl Bridge {
    pub fn new(backend: Arc<Backend>, guard: Guardrails) -> Result<Bridge, String> {
        Bridge::with_tools(backend, guard, crate::tools::all())
    }

    /// A bridge over a given tool table (the generated and hand-written tools in
    /// production; tests add their own).
    pub fn with_tools(
        backend: Arc<Backend>,
        guard: Guardrails,
        tools: impl Iterator<Item = &'static ToolSpec>,
    ) -> Result<Bridge, String> {
        let entries = tools
            .map(|spec| {
                Ok(Entry { spec, tool: to_rmcp_tool(spec, guard.context_argument)?, validator: OnceLock::new() })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let by_name = entries.iter().enumerate().map(|(i, e)| (e.spec.name, i)).collect();
        let listed = Scope::ALL.map(|scope| {
            entries.iter().filter(|e| guard.policy.permits(e.spec, scope).is_ok()).map(|e| e.tool.clone()).collect()
        });
        let prompts: Vec<&'static crate::prompts::PromptSpec> = crate::prompts::PROMPTS
            .iter()
            .filter(|p| {
                let missing = crate::prompts::missing(p);
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
            .with_instructions(INSTRUCTIONS);
        Ok(Bridge {
            inner: Arc::new(Inner {
                backend,
                guard,
                entries,
                by_name,
                listed,
                in_flight: Mutex::default(),
                active: Default::default(),
                total: Default::default(),
                draining: Default::default(),
                drained: tokio::sync::Notify::new(),
                info,
                used_states: UsedStates::new(USED_STATES_CAPACITY),
                prompts,
                completions: crate::completion::Cache::default(),
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
    fn log_sink(&self, context: &RequestContext<RoleServer>, meta: Option<&rmcp::model::RequestMetaObject>) -> Option<LogSink> {
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

    /// The tools a caller with `scope` sees in `tools/list`.
    pub fn tools_for(&self, scope: Scope) -> &[Tool] {
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
    /// Returns the number still running when the deadline passed.
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
        let _ = tokio::time::timeout(deadline, wait).await;
        self.active_calls()
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.inner.by_name.get(name).map(|&i| &self.inner.entries[i])
    }

    /// One tool call through every guardrail. `Err` is a JSON-RPC error, only for an
    /// unknown tool (or a broken tool table); everything the model can act on, bad
    /// arguments included, is a tool error (`isError`).
    pub async fn call(&self, req: CallRequest) -> Result<CallToolResponse, ErrorData> {
        self.run(req).await.map(|ran| ran.response)
    }

    /// [`Bridge::call`], with the backend's HTTP status when the backend answered.
    pub(crate) async fn run(&self, req: CallRequest) -> Result<Ran, ErrorData> {
        let started = Instant::now();
        let guard = &self.inner.guard;
        let mut audit = AuditLine { req: &req, tool: None, started, station: None };
        let Some(entry) = self.entry(&req.name) else {
            audit.write(&guard.audit, Decision::RefusedUnknownTool, None, None);
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`; call tools/list for the available tools", req.name),
                None,
            ));
        };
        let spec = entry.spec;
        audit.tool = Some(spec);
        if self.is_draining() {
            audit.write(&guard.audit, Decision::RefusedLimit, None, None);
            return Ok(refused(
                "the MCP server is shutting down; call again in a moment (another replica may answer)".into(),
            )
            .into());
        }
        if let Err(refusal) = guard.policy.permits(spec, req.caller.scope) {
            let decision = match refusal {
                Refusal::Scope { .. } => Decision::RefusedScope,
                Refusal::Policy(_) => Decision::RefusedPolicy,
            };
            audit.write(&guard.audit, decision, None, None);
            return Ok(refused(refusal.describe(spec.name)).into());
        }
        let validator = entry
            .validator
            .get_or_init(|| {
                Validator::new(&Value::Object((*entry.tool.input_schema).clone())).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| {
                ErrorData::internal_error(format!("tool `{}` has an unusable input schema: {e}", spec.name), None)
            })?;
        let arguments = Value::Object(req.arguments.clone());
        if let Err(violations) = validator.validate(&arguments) {
            audit.write(&guard.audit, Decision::RefusedArguments, None, None);
            let list: Vec<(String, String)> = violations.into_iter().map(|v| (v.path, v.message)).collect();
            return Ok(invalid_arguments(spec, &list).into());
        }
        let Value::Object(arguments) = arguments else { unreachable!("constructed as an object above") };

        let _permit = match self.permit(&req.caller.name).await {
            Ok(permit) => permit,
            Err(busy) => {
                audit.write(&guard.audit, Decision::RefusedLimit, None, None);
                return Ok(refused(busy.describe(&req.caller.name, guard)).into());
            }
        };

        let context = Context::resolve(
            &Context::from_argument(arguments.get(CONTEXT_ARG)).or(&req.meta_context),
            &req.header_context,
            &guard.defaults,
            (req.caller.method != AuthMethod::Local).then_some(req.caller.name.as_str()),
        );
        audit.station = context.station.clone();

        if guard.policy.needs_confirmation(spec) {
            // Boxed: rare, and its state would otherwise enlarge every call's future.
            match Box::pin(self.confirm(spec, &arguments, &req)).await {
                Confirmation::Confirmed => {}
                Confirmation::Ask(input_required) => {
                    audit.write(&guard.audit, Decision::ConfirmationRequested, None, None);
                    return Ok(CallToolResponse::InputRequired(input_required).into());
                }
                Confirmation::Refused(decision, message) => {
                    audit.write(&guard.audit, decision, None, None);
                    return Ok(refused(message).into());
                }
            }
        }

        let backend = self.inner.backend.clone();
        let mut ctx = CallCtx::new(spec, backend.clone(), &arguments, context.headers());
        if guard.forward_caller_token
            && let Some(token) = &req.caller.token
        {
            ctx.authorization = bearer(token.expose()).ok();
        }
        let ctx = Arc::new(ctx);
        let client = Client { baseurl: backend.base_url.clone(), client: backend.http.clone(), inner: ctx.clone() };
        let args = Args::new(&arguments);
        // The HTTP client enforces the timeout per request; this bounds the whole call.
        let deadline = backend.timeout * (backend.retries + 1) + Duration::from_secs(1);
        let _active = ActiveCall::enter(&self.inner);
        // A panic in one call (a bug) becomes an error for that call, never a dead server.
        let run = std::panic::AssertUnwindSafe((spec.call)(&client, &args)).catch_unwind();
        let outcome = tokio::time::timeout(deadline, run).await;
        let status = ctx.status();
        let completed = matches!(outcome, Ok(Ok(Ok(_))));
        let result = match outcome {
            Ok(Ok(Ok(result))) => result,
            Ok(Ok(Err(arg))) => {
                // The typed request builder refused a value the schema let through (a
                // path segment such as `..`, a constrained string): nothing was sent.
                audit.write(&guard.audit, Decision::RefusedArguments, None, None);
                return Ok(invalid_arguments(spec, &[(arg.field, arg.message)]).into());
            }
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(tool = spec.name, "a tool call panicked: {what}");
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "internal error in the bridge while running `{}` (logged); the server is still running, and the call can be retried",
                    spec.name
                ))])
            }
            Err(_) => CallToolResult::error(vec![ContentBlock::text(format!(
                "{} {}: no answer from the vTOC backend at {} within {} s",
                spec.method.as_str(),
                spec.path,
                backend.base_url,
                deadline.as_secs()
            ))]),
        };
        if let Some(log) = &req.log {
            log.send(ctx.take_notes()).await;
        }
        if backend.dry_run && completed {
            let requests = std::mem::take(&mut *ctx.dry_run.lock().unwrap_or_else(|p| p.into_inner()));
            return Ok(CallToolResponse::from(CallToolResult::structured(
                json!({ "dry_run": true, "requests": requests }),
            ))
            .into());
        }
        let outcome = if result.is_error == Some(true) { "error" } else { "ok" };
        audit.write(&guard.audit, Decision::Allowed, status, Some(outcome));
        Ok(Ran { response: crate::truncate::limit(result, guard.max_result_bytes).into(), status })
    }

    /// A slot for one of `caller`'s calls: at once if it has fewer than
    /// `MCP_MAX_CONCURRENT_CALLS` in flight, else after waiting in a bounded queue (a burst
    /// from one agent host waits briefly instead of failing).
    async fn permit(&self, caller: &str) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        let guard = &self.inner.guard;
        let slots = {
            let mut map = self.inner.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > 10_000 {
                let limit = guard.max_concurrent_per_caller;
                map.retain(|_, s| s.semaphore.available_permits() < limit || s.waiting.load(Ordering::SeqCst) > 0);
            }
            map.entry(caller.to_string())
                .or_insert_with(|| {
                    Arc::new(Slots {
                        semaphore: Arc::new(Semaphore::new(guard.max_concurrent_per_caller)),
                        waiting: Default::default(),
                    })
                })
                .clone()
        };
        if let Ok(permit) = slots.semaphore.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if slots.waiting.fetch_add(1, Ordering::SeqCst) >= guard.call_queue {
            slots.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy::QueueFull);
        }
        // Counted out however the wait ends (a dropped call included).
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _waiting = Waiting(&slots.waiting);
        match tokio::time::timeout(guard.call_queue_wait, slots.semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy::Waited),
        }
    }

    /// Ask the user, in whichever way this client supports.
    async fn confirm(&self, spec: &ToolSpec, arguments: &JsonObject, req: &CallRequest) -> Confirmation {
        let guard = &self.inner.guard;
        let target = target_text(spec, arguments);
        let message = format!(
            "Confirm `{}`: {} {}{}. {} This cannot be undone.",
            spec.name,
            spec.method.as_str(),
            spec.path,
            if target.is_empty() { String::new() } else { format!(" ({target})") },
            spec.title.unwrap_or_default()
        );
        let schema = || {
            ElicitationSchema::builder()
                .required_bool_property("confirm", |b| {
                    b.title(format!("Run {}?", spec.name)).description(message.clone())
                })
                .build_unchecked()
        };
        let accepted = |r: &ElicitResult| {
            r.action == ElicitationAction::Accept
                && r.content.as_ref().and_then(|c| c.get("confirm")).and_then(Value::as_bool) == Some(true)
        };
        let declined = || {
            Confirmation::Refused(
                Decision::ConfirmationDeclined,
                format!("the user did not confirm `{}` ({target}); nothing was changed", spec.name),
            )
        };
        match &req.confirmer {
            Confirmer::Preapproved => Confirmation::Confirmed,
            Confirmer::Session(peer) => {
                let params = ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: message.clone(),
                    requested_schema: schema(),
                };
                match peer.create_elicitation_with_timeout(params, Some(guard.confirm_timeout)).await {
                    Ok(r) if accepted(&r) => Confirmation::Confirmed,
                    Ok(_) => declined(),
                    Err(e) => Confirmation::Refused(
                        Decision::ConfirmationDeclined,
                        format!("could not get the user's confirmation for `{}`: {e}; nothing was changed", spec.name),
                    ),
                }
            }
            Confirmer::Mrtr { responses: None, .. } | Confirmer::Mrtr { state: None, .. } => {
                let state = ConfirmState::new(spec.name, arguments, &req.caller.name);
                let Ok(sealed) = guard.state_codec.seal_json_with(&state, &seal_options(guard.confirm_timeout)) else {
                    return Confirmation::Refused(
                        Decision::ConfirmationUnavailable,
                        "cannot seal the confirmation state".into(),
                    );
                };
                let params = ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: message.clone(),
                    requested_schema: schema(),
                };
                let requests =
                    BTreeMap::from([("confirm".to_string(), InputRequest::Elicitation(ElicitRequest::new(params)))]);
                Confirmation::Ask(InputRequiredResult::new(Some(requests), Some(sealed)))
            }
            Confirmer::Mrtr { responses: Some(responses), state: Some(sealed) } => {
                let Ok(state) = guard.state_codec.open_json_with::<ConfirmState>(sealed, CONFIRM_AAD) else {
                    return Confirmation::Refused(
                        Decision::ConfirmationDeclined,
                        "the confirmation state is invalid or expired; call the tool again".into(),
                    );
                };
                if !state.is_for(spec.name, arguments, &req.caller.name) {
                    return Confirmation::Refused(
                        Decision::ConfirmationDeclined,
                        "the confirmation was given for another call (tool, arguments or caller differ); call the tool again".into(),
                    );
                }
                // A state answers once, whatever the answer: a captured confirmed request
                // cannot be sent again to repeat the destructive call.
                match self.inner.used_states.spend(&state.nonce, guard.confirm_timeout) {
                    Spend::Fresh => {}
                    Spend::Used => {
                        return Confirmation::Refused(
                            Decision::ConfirmationReplayed,
                            format!(
                                "this confirmation of `{}` was already used; nothing was changed. Call the tool again (without requestState) to ask the user anew",
                                spec.name
                            ),
                        );
                    }
                    Spend::Full => {
                        return Confirmation::Refused(
                            Decision::ConfirmationUnavailable,
                            format!(
                                "too many confirmations in the last {} s to remember them all; nothing was changed. Call the tool again in a moment",
                                guard.confirm_timeout.as_secs()
                            ),
                        );
                    }
                }
                match responses.get("confirm").and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok()) {
                    Some(r) if accepted(&r) => Confirmation::Confirmed,
                    _ => declined(),
                }
            }
            Confirmer::Unavailable => match guard.policy.confirm_fallback {
                Fallback::Allow => Confirmation::Confirmed,
                Fallback::Deny => Confirmation::Refused(
                    Decision::ConfirmationUnavailable,
                    format!(
                        "`{}` is destructive and needs the user's confirmation, but this client cannot ask (it does not support MCP elicitation); nothing was changed. Ask the operator to run it, or to use a client that supports elicitation.",
                        spec.name
                    ),
                ),
            },
        }
    }
}

/// A call's outcome, with the backend's HTTP status when the backend answered.
pub(crate) struct Ran {
    pub response: CallToolResponse,
    pub status: Option<u16>,
}

impl From<CallToolResponse> for Ran {
    fn from(response: CallToolResponse) -> Ran {
        Ran { response, status: None }
    }
}

/// One caller's call slots, and how many of its calls wait for one.
pub(crate) struct Slots {
    semaphore: Arc<Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
}

/// Why a call got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    /// The caller's queue was full.
    QueueFull,
    /// It waited `MCP_CALL_QUEUE_WAIT_SECS` and no slot freed.
    Waited,
}

impl Busy {
    fn describe(self, caller: &str, guard: &Guardrails) -> String {
        let limit = guard.max_concurrent_per_caller;
        match self {
            Busy::QueueFull => format!(
                "caller `{caller}` has {limit} calls in flight (MCP_MAX_CONCURRENT_CALLS) and {} more waiting (MCP_CALL_QUEUE); nothing was done. Retry in about 1 s, or make fewer calls at once",
                guard.call_queue
            ),
            Busy::Waited => format!(
                "caller `{caller}` has {limit} calls in flight (MCP_MAX_CONCURRENT_CALLS) and this one waited {} s for a slot (MCP_CALL_QUEUE_WAIT_SECS); nothing was done. Retry in a few seconds",
                guard.call_queue_wait.as_secs_f64()
            ),
        }
    }
}

/// Counts a running call; wakes a draining shutdown when the last one ends.
struct ActiveCall<'a>(&'a Inner);

impl<'a> ActiveCall<'a> {
    fn enter(inner: &'a Inner) -> ActiveCall<'a> {
        inner.active.fetch_add(1, Ordering::SeqCst);
        inner.total.fetch_add(1, Ordering::Relaxed);
        ActiveCall(inner)
    }
}

impl Drop for ActiveCall<'_> {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

enum Confirmation {
    Confirmed,
    Ask(InputRequiredResult),
    Refused(Decision, String),
}

/// What a 2026 confirmation was asked for, sealed into `requestState` and checked on
/// the retry: the same tool, the same arguments (canonical digest), the same caller.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct ConfirmState {
    tool: String,
    args: String,
    caller: String,
    nonce: String,
}

impl ConfirmState {
    fn new(tool: &str, arguments: &JsonObject, caller: &str) -> ConfirmState {
        let canonical = canonical(&Value::Object(arguments.clone()));
        let digest: String =
            Sha256::digest(canonical.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let nonce: String = random_key()[..16].iter().map(|b| format!("{b:02x}")).collect();
        ConfirmState { tool: tool.to_string(), args: digest, caller: caller.to_string(), nonce }
    }

    /// Was this state sealed for this very call?
    fn is_for(&self, tool: &str, arguments: &JsonObject, caller: &str) -> bool {
        let expected = ConfirmState::new(tool, arguments, caller);
        self.tool == expected.tool && self.args == expected.args && self.caller == expected.caller
    }
}

/// How many used confirmation states one process remembers at most. Each is kept until
/// its state would have expired anyway (`MCP_CONFIRM_TIMEOUT_SECS`); when all slots hold
/// live states, new confirmations are refused rather than forgetting one (fail closed).
const USED_STATES_CAPACITY: usize = 65_536;

/// The nonces of used 2026 confirmation states, each with the time after which its state
/// is expired (and so refused by the codec without this list).
struct UsedStates {
    capacity: usize,
    seen: Mutex<HashMap<String, Instant>>,
}

#[derive(Debug, PartialEq)]
enum Spend {
    /// First use: go on.
    Fresh,
    /// Used before: refuse.
    Used,
    /// Every slot holds a live state: refuse (never forget a live one).
    Full,
}

impl UsedStates {
    fn new(capacity: usize) -> UsedStates {
        UsedStates { capacity, seen: Mutex::default() }
    }

    /// Marks `nonce` used; `ttl` bounds the remaining life of its state.
    fn spend(&self, nonce: &str, ttl: Duration) -> Spend {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(expires) = seen.get(nonce)
            && *expires > now
        {
            return Spend::Used;
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, expires| *expires > now);
            if seen.len() >= self.capacity {
                return Spend::Full;
            }
        }
        seen.insert(nonce.to_string(), now + ttl);
        Spend::Fresh
    }
}

/// Binds sealed confirmation states to their purpose.
const CONFIRM_AAD: &[u8] = b"vtoc-mcp/confirm/v1";

fn seal_options(ttl: Duration) -> SealOptions<'static> {
    SealOptions::new().associated_data(CONFIRM_AAD).ttl(ttl)
}

/// Keys sorted at every level, so a retry that reorders keys digests the same.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// `poi_id=3, identifier_id=2`: the path parameters of a call.
fn target_text(spec: &ToolSpec, arguments: &JsonObject) -> String {
    spec.params
        .iter()
        .filter(|p| p.location == Location::Path)
        .filter_map(|p| arguments.get(p.name).map(|v| format!("{}={}", p.name, v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a refused call's violations are, for programs (the text is for the model).
pub const VIOLATIONS_META: &str = "vtoc/violations";

/// Arguments refused before the backend was called, as a tool error the model reads and
/// corrects (MCP 2025-11-25, SEP-1303: input validation failures are tool execution
/// errors, not protocol errors, so clients hand them to the model). `violations` are
/// (argument path, problem) pairs; an empty path concerns the whole call.
///
/// The violations also go, as data, into `_meta` and, when the tool declares no
/// `outputSchema`, into `structuredContent`. Not into the structured content of a tool
/// that declares one: clients validate structured content against the output schema even
/// on errors (TypeScript SDK 1.32 answers `-32602` instead of handing the error to the
/// model), and the spec says structured results conform to it.
pub fn invalid_arguments(spec: &ToolSpec, violations: &[(String, String)]) -> CallToolResponse {
    let tool = spec.name;
    let mut text = format!("invalid arguments for `{tool}`; the backend was not called:");
    for (field, problem) in violations {
        let field = if field.is_empty() { "(arguments)" } else { field };
        text.push_str(&format!("\n- {field}: {problem}"));
    }
    text.push_str(&format!("\nCorrect these arguments and call `{tool}` again; its inputSchema lists what it takes."));
    let structured = json!({
        "error": "invalid_arguments",
        "tool": tool,
        "violations": violations
            .iter()
            .map(|(field, problem)| json!({ "field": field, "problem": problem }))
            .collect::<Vec<_>>(),
    });
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    let mut meta = JsonObject::new();
    meta.insert(VIOLATIONS_META.into(), structured["violations"].clone());
    result.meta = Some(rmcp::model::MetaObject(meta));
    if spec.output_schema.is_none() {
        result.structured_content = Some(structured);
    }
    result.into()
}

fn refused(message: String) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(message)]).into()
}

/// Collects what the audit line needs as the call proceeds.
struct AuditLine<'a> {
    req: &'a CallRequest,
    tool: Option<&'static ToolSpec>,
    started: Instant,
    station: Option<String>,
}

impl AuditLine<'_> {
    fn write(&self, audit: &Audit, decision: Decision, status: Option<u16>, outcome: Option<&'static str>) {
        let targets: Map<String, Value> = self
            .tool
            .map(|spec| {
                spec.params
                    .iter()
                    .filter(|p| p.location == Location::Path)
                    .filter_map(|p| self.req.arguments.get(p.name).map(|v| (p.name.to_string(), v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        audit.record(&audit::Event {
            ts: audit::now(),
            event: self.req.origin.event(),
            caller: &self.req.caller.name,
            auth: self.req.caller.method,
            tool: &self.req.name,
            targets,
            station: self.station.as_deref(),
            decision,
            status,
            outcome,
            latency_ms: (self.started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        });
    }
}

fn to_rmcp_tool(spec: &'static ToolSpec, context_argument: ContextArgument) -> Result<Tool, String> {
    let object = |text: &str, what: &str| -> Result<JsonObject, String> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(format!("tool `{}`: the generated {what} is not a JSON object", spec.name)),
        }
    };
    let mut input = object(spec.input_schema, "inputSchema")?;
    let fields = context_argument.fields(spec);
    if !fields.is_empty()
        && let Value::Object(props) = input.entry("properties").or_insert_with(|| json!({}))
        && !props.contains_key(CONTEXT_ARG)
    {
        props.insert(CONTEXT_ARG.into(), context_schema(fields));
    }
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
    Ok(tool.with_annotations(annotations))
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

/// Who is asking, with what context, where its log goes: the part of a [`CallRequest`]
/// that comes from the MCP request rather than from the tool call.
#[derive(Clone)]
pub struct Asker {
    pub caller: Caller,
    pub header_context: Context,
    pub meta_context: Context,
    pub log: Option<LogSink>,
}

impl Asker {
    /// A call on behalf of this asker that needs no confirmation (reads).
    pub fn request(&self, name: &str, arguments: JsonObject, origin: Origin) -> CallRequest {
        CallRequest {
            name: name.to_string(),
            arguments,
            caller: self.caller.clone(),
            header_context: self.header_context.clone(),
            meta_context: self.meta_context.clone(),
            confirmer: Confirmer::Unavailable,
            origin,
            log: self.log.clone(),
        }
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
        Asker {
            caller: self.caller_of(context),
            header_context,
            meta_context: Context::from_argument(context_meta),
            log: self.log_sink(context, meta),
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
        self.entry(name).map(|e| e.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let asker = self.asker(&context, request.meta.as_ref());
        let can_elicit = context.client_capabilities().is_some_and(|c| c.elicitation.is_some());
        let modern = context.protocol_version().is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let confirmer = match (can_elicit, modern) {
            (false, _) => Confirmer::Unavailable,
            (true, true) => {
                Confirmer::Mrtr { responses: request.input_responses.clone(), state: request.request_state.clone() }
            }
            (true, false) => Confirmer::Session(context.peer.clone()),
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

/// A header value for a bearer token, marked sensitive so it never appears in debug output.
pub fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the token contains characters that cannot go in an HTTP header".to_string())?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::{Args, CallOutcome, Hints, Method, ResponseKind};
    use futures::future::BoxFuture;

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
        json_body: None,
        input_schema: r#"{"type":"object","properties":{},"additionalProperties":false}"#,
        output_schema: None,
        response: ResponseKind::Empty,
        hints: Hints { read_only: true, destructive: false, idempotent: true, open_world: false },
        call: boom,
    }];

    fn request(name: &str) -> CallRequest {
        CallRequest::new(name, JsonObject::new(), Caller::local(Scope::Admin), Confirmer::Unavailable)
    }

    #[tokio::test]
    async fn a_panic_in_one_call_is_an_error_for_that_call_only() {
        let mut args = crate::config::BackendArgs { dry_run: true, ..Default::default() };
        args.retries = 0;
        let backend = args.build("http://127.0.0.1:9").unwrap();
        let bridge =
            Bridge::with_tools(backend, Guardrails::permissive(), PANICKING.iter().chain(crate::tools::all())).unwrap();
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

    #[test]
    fn a_confirmation_state_answers_once() {
        let used = UsedStates::new(2);
        let ttl = Duration::from_secs(60);
        assert_eq!(used.spend("a", ttl), Spend::Fresh);
        assert_eq!(used.spend("a", ttl), Spend::Used);
        assert_eq!(used.spend("b", ttl), Spend::Fresh);
        // Both slots hold live states: a third is refused, and neither live one is forgotten.
        assert_eq!(used.spend("c", ttl), Spend::Full);
        assert_eq!(used.spend("a", ttl), Spend::Used);
        assert_eq!(used.spend("b", ttl), Spend::Used);
    }

    #[test]
    fn expired_entries_make_room() {
        let used = UsedStates::new(1);
        assert_eq!(used.spend("a", Duration::ZERO), Spend::Fresh);
        // `a`'s state has expired (the codec refuses it by itself), so its slot is free.
        assert_eq!(used.spend("b", Duration::from_secs(60)), Spend::Fresh);
        assert_eq!(used.spend("b", Duration::from_secs(60)), Spend::Used);
    }

    #[tokio::test]
    async fn draining_refuses_new_calls() {
        let args = crate::config::BackendArgs { dry_run: true, ..Default::default() };
        let bridge = Bridge::new(args.build("http://127.0.0.1:9").unwrap(), Guardrails::permissive()).unwrap();
        assert_eq!(bridge.drain(Duration::from_millis(10)).await, 0);
        let CallToolResponse::Complete(result) = bridge.call(request("list_stations")).await.unwrap() else { panic!() };
        assert!(result.content[0].as_text().unwrap().text.contains("shutting down"));
    }
}
