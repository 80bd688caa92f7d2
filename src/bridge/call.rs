//! The one guarded call path every tool call takes, whatever asked for it (a transport,
//! `vtoc-mcp call`, a resource read, a completion, a prompt):
//!
//! 1. look the tool up;
//! 2. the policy and the caller's scope allow it;
//! 3. the arguments fit its `inputSchema`;
//! 4. the caller has a free slot, or waits for one in a bounded queue;
//! 5. a destructive call is confirmed by the user;
//! 6. mission context is resolved;
//! 7. the generated wrapper runs under the backend deadline;
//! 8. the result is size-limited;
//! 9. one audit line is written.
//!
//! Steps 1-5 refuse before any backend call.

use super::confirm::{CONFIRM_AAD, ConfirmState, Spend, seal_options};
use super::log::LogSink;
use super::server::{Bridge, Inner};
use crate::bridge::client::Client;
use crate::bridge::exchange::{CallCtx, Level, Note};
use crate::bridge::support::{Args, Location, ToolSpec};
use crate::guard::Guardrails;
use crate::guard::audit::{self, Audit, Decision};
use crate::guard::caller::{AuthMethod, Caller};
use crate::guard::policy::{CONTEXT_ARG, Context, Fallback};
use crate::store::Claim;
use futures::FutureExt;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ElicitRequest, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationSchema, InputRequest, InputRequiredResult, InputResponses, JsonObject,
};
use rmcp::service::Peer;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How a destructive call can be confirmed with this client.
pub enum Confirmer {
    /// A 2025-era session client that declared elicitation: ask over the session, which
    /// expires after `idle` without activity (`MCP_SESSION_IDLE_SECS`; `None`: never).
    Session { peer: Peer<RoleServer>, idle: Option<Duration> },
    /// A 2026-07-28 client that declared elicitation: the input-required round trip.
    Mrtr { responses: Option<InputResponses>, state: Option<String> },
    /// The client cannot ask the user, and why.
    Unavailable(NoAsking),
    /// The person running the command already confirmed (`vtoc-mcp call --yes`).
    Preapproved,
}

/// What the HTTP transport tells the call path about its sessions (a request extension;
/// stdio has none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sessions {
    /// HTTP without sessions (`MCP_STATELESS=true`).
    pub stateless: bool,
    /// How long an idle session lives (`MCP_SESSION_IDLE_SECS`), when there are sessions.
    pub idle: Option<Duration>,
}

/// How long a 2025-era session client is given to answer a confirmation:
/// `MCP_CONFIRM_TIMEOUT_SECS`, ended a few seconds before the session would expire as idle
/// (waiting for the answer is not activity), so the call always ends with a result the
/// client receives.
pub fn confirm_wait(timeout: Duration, idle: Option<Duration>) -> Duration {
    const MARGIN: Duration = Duration::from_secs(2);
    match idle {
        Some(idle) => timeout.min(idle.saturating_sub(MARGIN).max(Duration::from_secs(1))),
        None => timeout,
    }
}

/// Why a destructive call cannot be confirmed: each names its own way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAsking {
    /// The client did not declare MCP elicitation.
    NoElicitation,
    /// A 2025-era client of a server without sessions (`MCP_STATELESS=true`): nothing can
    /// hold the question between its requests.
    Stateless,
    /// `vtoc-mcp call`: the person at the terminal confirms with `--yes`.
    CommandLine,
}

impl NoAsking {
    fn explain(self, tool: &str) -> String {
        match self {
            NoAsking::NoElicitation => format!(
                "`{tool}` is destructive and needs the user's confirmation, but this client cannot ask (it does not support MCP elicitation); nothing was changed. Ask the operator to run it, or to use a client that supports elicitation."
            ),
            NoAsking::Stateless => format!(
                "`{tool}` is destructive and needs the user's confirmation, but this server runs without sessions (MCP_STATELESS=true), so it cannot hold a question for a 2025-era client between requests; nothing was changed. Use a client of the 2026-07-28 protocol (it confirms within the call), or a server with sessions."
            ),
            NoAsking::CommandLine => format!(
                "`{tool}` is destructive and needs confirmation; nothing was changed. Run the command again with --yes to confirm it yourself."
            ),
        }
    }
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
    /// The MCP request as a trace sees it: its parent trace context, session and protocol.
    pub trace: TraceParent,
}

/// What a call's span needs of its MCP request (`telemetry::trace`).
#[derive(Clone, Default)]
pub struct TraceParent {
    /// From `_meta` (SEP-414) or the HTTP `traceparent`; empty when neither had one.
    pub parent: opentelemetry::Context,
    pub session: Option<String>,
    pub protocol: Option<String>,
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
            trace: TraceParent::default(),
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

    /// The MCP method that asked (the span's `mcp.method.name`).
    fn method(self) -> &'static str {
        match self {
            Origin::Tool => "tools/call",
            Origin::Resource => "resources/read",
            Origin::Completion => "completion/complete",
            Origin::Prompt => "prompts/get",
        }
    }
}

impl Bridge {
    /// One tool call through every guardrail. `Err` is a JSON-RPC error, only for an
    /// unknown tool (or a broken tool table); everything the model can act on, bad
    /// arguments included, is a tool error (`isError`).
    pub async fn call(&self, req: CallRequest) -> Result<CallToolResponse, ErrorData> {
        self.run(req).await.map(|ran| ran.response)
    }

    /// [`Bridge::call`], with the backend's HTTP status when the backend answered.
    pub(crate) async fn run(&self, req: CallRequest) -> Result<Ran, ErrorData> {
        // A meta-tool the caller is served (`search_tools`, `describe_tool`, `call_tool`);
        // `call_tool` comes back to `run_tool` with the tool it names. Boxed: rare in most
        // deployments, and it holds a whole `run_tool` future.
        if req.origin == Origin::Tool
            && let Some(meta) = self.meta_for(&req.name, req.caller.scope)
        {
            return Box::pin(self.discover(meta, req)).await;
        }
        self.run_tool(req).await
    }

    /// The guarded path of one real tool (steps 1-9 above).
    pub(super) async fn run_tool(&self, mut req: CallRequest) -> Result<Ran, ErrorData> {
        let started = Instant::now();
        let guard = &self.inner.guard;
        // The arguments as one JSON value, moved (not copied) out of the request.
        let model = std::mem::take(&mut req.arguments);
        let req = req;
        let telemetry = &*guard.telemetry;
        let Some(entry) = self.entry(&req.name) else {
            let arguments = Value::Object(model);
            let audit = AuditLine {
                req: &req,
                arguments: &arguments,
                tool: None,
                started,
                station: None,
                telemetry,
                span: None,
            };
            audit.write(&guard.audit, Decision::RefusedUnknownTool, None, None);
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`; call tools/list for the available tools", req.name),
                None,
            ));
        };
        let spec = entry.spec;
        // The listed arguments mapped to the HTTP request's (`codegen::shape`): what is
        // validated, audited and sent from here on.
        let (arguments, mapped) = match entry.plan.to_wire(&model) {
            Ok(wire) => (Value::Object(wire), Ok(())),
            Err(problems) => (Value::Object(model), Err(problems)),
        };
        // The call's span (only when traces are exported), under the client's trace.
        let span = telemetry.tracing.as_ref().map(|tracing| {
            let mut attributes = vec![
                opentelemetry::KeyValue::new("gen_ai.tool.name", spec.name),
                opentelemetry::KeyValue::new("gen_ai.operation.name", "execute_tool"),
            ];
            if let Some(session) = &req.trace.session {
                attributes.push(opentelemetry::KeyValue::new("mcp.session.id", session.clone()));
            }
            if let Some(protocol) = &req.trace.protocol {
                attributes.push(opentelemetry::KeyValue::new("mcp.protocol.version", protocol.clone()));
            }
            if tracing.capture_arguments {
                attributes.push(opentelemetry::KeyValue::new("gen_ai.tool.call.arguments", arguments.to_string()));
            }
            tracing.request_span(&req.trace.parent, req.origin.method(), spec.name, attributes)
        });
        let mut audit =
            AuditLine { req: &req, arguments: &arguments, tool: Some(spec), started, station: None, telemetry, span };
        if self.is_draining() {
            audit.write(&guard.audit, Decision::RefusedDraining, None, None);
            return Ok(refused(
                "the MCP server is shutting down; call again in a moment (another replica may answer)".into(),
            )
            .into());
        }
        if let Err(refusal) = guard.policy.permits(spec, req.caller.scope) {
            let decision = Decision::from(&refusal);
            audit.write(&guard.audit, decision, None, None);
            return Ok(refused(refusal.describe(spec.name, req.caller.method == AuthMethod::Local)).into());
        }
        let checked = match mapped {
            Err(problems) => Err(problems.into_iter().map(|p| (p.path, p.message)).collect::<Vec<_>>()),
            Ok(()) => entry.validator.validate(&arguments).map_err(|violations| {
                violations.into_iter().map(|v| (entry.plan.model_path(&v.path), v.message)).collect()
            }),
        };
        if let Err(list) = checked {
            audit.write(&guard.audit, Decision::RefusedArguments, None, None);
            return Ok(invalid_arguments(spec, &list).into());
        }
        let Value::Object(arguments) = &arguments else { unreachable!("constructed as an object above") };

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
            match Box::pin(self.confirm(spec, arguments, &req, &audit)).await {
                Confirmation::Confirmed => {}
                Confirmation::Ask(input_required) => {
                    audit.asked(&guard.audit);
                    return Ok(CallToolResponse::InputRequired(input_required).into());
                }
                Confirmation::Refused(decision, message) => {
                    audit.write(&guard.audit, decision, None, None);
                    return Ok(refused(message).into());
                }
            }
        }

        // A client that asked for debug logs hears the call start (and its stream opens
        // before a slow backend answers, so it can resume the stream if it drops).
        if let Some(log) = &req.log
            && log.level <= Level::Debug
        {
            let note = format!("`{}`: calling {} {}", spec.name, spec.method.as_str(), spec.path);
            log.send(vec![Note { level: Level::Debug, message: note }]).await;
        }
        let backend = self.inner.backend.clone();
        let mut ctx =
            CallCtx::new(spec.operation(), backend.clone(), arguments, context.headers(&guard.context_headers));
        ctx.plan = Some(entry.plan.clone());
        ctx.telemetry = guard.telemetry.clone();
        ctx.trace = audit.trace().clone();
        if guard.forward_caller_token
            && let Some(token) = &req.caller.token
        {
            ctx.authorization = crate::bridge::exchange::bearer(secrecy::ExposeSecret::expose_secret(token)).ok();
        }
        let ctx = Arc::new(ctx);
        let client = Client { baseurl: backend.base_url.clone(), client: backend.http.clone(), inner: ctx.clone() };
        let args = Args::new(arguments);
        // The HTTP client enforces the timeout per request; this bounds the whole call.
        let deadline = backend.timeout * (backend.retries + 1) + Duration::from_secs(1);
        let _active = ActiveCall::enter(&self.inner);
        // A panic in one call (a bug) becomes an error for that call, never a dead server.
        let run = std::panic::AssertUnwindSafe((spec.call)(&client, &args)).catch_unwind();
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(deadline, run) => outcome,
            () = self.inner.cut_off.cancelled() => {
                audit.write(&guard.audit, Decision::Allowed, None, Some("cut_off"));
                return Ok(refused(format!(
                    "the MCP server is shutting down and stopped waiting for the vTOC backend (MCP_SHUTDOWN_GRACE_SECS passed): `{}` may or may not have taken effect; check before calling it again (another replica may answer)",
                    spec.name
                ))
                .into());
            }
        };
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
        // Measured once: most results fit, and then `limit` is not called at all.
        let result = if crate::guard::truncate::fits(&result, guard.max_result_bytes) {
            result
        } else {
            if let Some(metrics) = &telemetry.metrics {
                metrics.truncated(spec.name);
            }
            crate::guard::truncate::limit(result, guard.max_result_bytes)
        };
        Ok(Ran { response: result.into(), status })
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
        let metrics = guard.telemetry.metrics.as_ref();
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize, Option<&'a crate::telemetry::metrics::Metrics>);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
                if let Some(m) = self.1 {
                    m.waiting(-1);
                }
            }
        }
        if let Some(m) = metrics {
            m.waiting(1);
        }
        let _waiting = Waiting(&slots.waiting, metrics);
        let started = Instant::now();
        let waited = tokio::time::timeout(guard.call_queue_wait, slots.semaphore.clone().acquire_owned()).await;
        if let Some(m) = metrics {
            m.waited(started.elapsed());
        }
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy::Waited),
        }
    }

    /// Ask the user, in whichever way this client supports.
    ///
    /// The audit reads the same in both protocol eras: `confirmation_requested` when the
    /// question goes out, then `confirmation_accepted` (and the call's own line),
    /// `confirmation_declined`, `confirmation_cancelled` or `confirmation_unanswered`.
    async fn confirm(
        &self,
        spec: &ToolSpec,
        arguments: &JsonObject,
        req: &CallRequest,
        audit: &AuditLine<'_>,
    ) -> Confirmation {
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
        // The user's answer: accepted (recorded here; the call's own line follows), or a
        // refusal that `run_tool` records.
        let answered = |r: &ElicitResult| {
            let confirmed = r.content.as_ref().and_then(|c| c.get("confirm")).and_then(Value::as_bool) == Some(true);
            match r.action {
                ElicitationAction::Accept if confirmed => {
                    audit.write(&guard.audit, Decision::ConfirmationAccepted, None, None);
                    Confirmation::Confirmed
                }
                ElicitationAction::Cancel => Confirmation::Refused(
                    Decision::ConfirmationCancelled,
                    format!("the user cancelled the confirmation of `{}` ({target}); nothing was changed", spec.name),
                ),
                _ => Confirmation::Refused(
                    Decision::ConfirmationDeclined,
                    format!("the user did not confirm `{}` ({target}); nothing was changed", spec.name),
                ),
            }
        };
        match &req.confirmer {
            Confirmer::Preapproved => Confirmation::Confirmed,
            Confirmer::Session { peer, idle } => {
                let params = ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: message.clone(),
                    requested_schema: schema(),
                };
                // A session that expires while the user decides would lose the result: the
                // wait ends, with an answer, before the session's idle time runs out.
                let wait = confirm_wait(guard.confirm_timeout, *idle);
                audit.write(&guard.audit, Decision::ConfirmationRequested, None, None);
                let asked = tokio::select! {
                    asked = peer.create_elicitation_with_timeout(params, Some(wait)) => asked,
                    () = self.inner.cut_off.cancelled() => Err(rmcp::service::ServiceError::Cancelled {
                        reason: Some("the MCP server is shutting down".into()),
                    }),
                };
                match asked {
                    Ok(r) => answered(&r),
                    Err(e) => {
                        // Timed out or failed: the user may never have seen the question, so
                        // the client's log hears it (a decline is the user's own answer).
                        let why = match e {
                            rmcp::service::ServiceError::Timeout { .. } => format!(
                                "no answer within {} s ({})",
                                wait.as_secs_f64(),
                                if wait < guard.confirm_timeout {
                                    "MCP_CONFIRM_TIMEOUT_SECS, shortened to end before the session's MCP_SESSION_IDLE_SECS"
                                } else {
                                    "MCP_CONFIRM_TIMEOUT_SECS"
                                }
                            ),
                            other => other.to_string(),
                        };
                        let message = format!(
                            "could not get the user's confirmation for `{}`: {why}; nothing was changed",
                            spec.name
                        );
                        if let Some(log) = &req.log {
                            log.send(vec![Note { level: Level::Warning, message: message.clone() }]).await;
                        }
                        Confirmation::Refused(Decision::ConfirmationUnanswered, message)
                    }
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
                        Decision::ConfirmationInvalid,
                        "the confirmation state is invalid or expired; call the tool again".into(),
                    );
                };
                if !state.is_for(spec.name, arguments, &req.caller.name) {
                    return Confirmation::Refused(
                        Decision::ConfirmationInvalid,
                        "the confirmation was given for another call (tool, arguments or caller differ); call the tool again".into(),
                    );
                }
                // A state answers once, whatever the answer: a captured confirmed request
                // cannot be sent again to repeat the destructive call. With a shared store
                // the record is the replicas' together; without one, this process's.
                let spent = match &guard.shared {
                    Some(store) => match store.claim_once("confirm", &state.nonce, guard.confirm_timeout).await {
                        Ok(Claim::Fresh) => Spend::Fresh,
                        Ok(Claim::Taken) => Spend::Used,
                        Err(e) => {
                            tracing::warn!(tool = spec.name, "confirmation refused: {e}");
                            return Confirmation::Refused(
                                Decision::ConfirmationUnavailable,
                                format!(
                                    "{e}; the confirmation of `{}` could not be recorded as used, so nothing was changed. Call the tool again once the store is back",
                                    spec.name
                                ),
                            );
                        }
                    },
                    None => self.inner.used_states.spend(&state.nonce, guard.confirm_timeout),
                };
                match spent {
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
                    Some(r) => answered(&r),
                    None => Confirmation::Refused(
                        Decision::ConfirmationDeclined,
                        format!(
                            "the answer to the confirmation of `{}` is missing or unreadable; nothing was changed. Call the tool again",
                            spec.name
                        ),
                    ),
                }
            }
            Confirmer::Unavailable(why) => match guard.policy.confirm_fallback {
                Fallback::Allow => Confirmation::Confirmed,
                Fallback::Deny => Confirmation::Refused(Decision::ConfirmationUnavailable, why.explain(spec.name)),
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
    invalid_arguments_of(spec.name, spec.output_schema.is_some(), violations)
}

/// [`invalid_arguments`] for any tool: `tool`'s name, and whether it declares an
/// `outputSchema` (then the violations stay out of `structuredContent`).
pub(crate) fn invalid_arguments_of(
    tool: &str,
    has_output_schema: bool,
    violations: &[(String, String)],
) -> CallToolResponse {
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
    if !has_output_schema {
        result.structured_content = Some(structured);
    }
    result.into()
}

fn refused(message: String) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(message)]).into()
}

/// Collects what the audit line needs as the call proceeds; writing it also reports the
/// call to the metrics and ends its span (`telemetry`), so every decision is counted where
/// it is recorded.
struct AuditLine<'a> {
    req: &'a CallRequest,
    arguments: &'a Value,
    tool: Option<&'static ToolSpec>,
    started: Instant,
    station: Option<String>,
    telemetry: &'a crate::telemetry::Telemetry,
    /// The call's span, when traces are exported.
    span: Option<opentelemetry::Context>,
}

impl AuditLine<'_> {
    /// The trace of the call: its span's, else the client's parent.
    fn trace(&self) -> &opentelemetry::Context {
        self.span.as_ref().unwrap_or(&self.req.trace.parent)
    }

    fn write(&self, audit: &Audit, decision: Decision, status: Option<u16>, outcome: Option<&'static str>) {
        let (counted, error_type) = crate::telemetry::metrics::classify(decision, status, outcome);
        self.report(counted, error_type, status);
        if !audit.is_on() {
            return;
        }
        let targets: Map<String, Value> = self
            .tool
            .map(|spec| {
                spec.path_params().filter_map(|p| self.arguments.get(p).map(|v| (p.to_string(), v.clone()))).collect()
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
            latency_ms: audit::latency_ms(self.started),
            trace_id: crate::telemetry::trace::trace_id(self.trace()),
        });
    }

    /// The call's metrics, and the end of its span unless this is a step of a confirmation.
    fn report(&self, counted: crate::telemetry::metrics::Outcome, error_type: Option<&str>, status: Option<u16>) {
        if let Some(metrics) = &self.telemetry.metrics {
            metrics.call(self.req.origin.event(), &self.req.name, counted, self.started.elapsed());
        }
        if let (Some(cx), crate::telemetry::metrics::Outcome::Done { .. }) = (&self.span, counted) {
            let attributes = status
                .map(|s| vec![opentelemetry::KeyValue::new("vtoc.backend.status", i64::from(s))])
                .unwrap_or_default();
            crate::telemetry::trace::end(cx, error_type, attributes);
        }
    }

    /// A 2026 confirmation asked for: this request ends here, input required.
    fn asked(&self, audit: &Audit) {
        self.write(audit, Decision::ConfirmationRequested, None, None);
        self.report(
            crate::telemetry::metrics::Outcome::Done { outcome: "input_required", refusal: None, confirmation: None },
            None,
            None,
        );
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
    pub trace: TraceParent,
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
            confirmer: Confirmer::Unavailable(NoAsking::NoElicitation),
            origin,
            log: self.log.clone(),
            trace: self.trace.clone(),
        }
    }
}
