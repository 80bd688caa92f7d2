//! The HTTP guard, in front of `/mcp` and the client configuration, before rmcp sees a
//! request:
//! 1. [`edge`]: a foreign `Host` (DNS rebinding) or `Origin` gets 403, with no CORS headers;
//! 2. [`cors`]: the origins of `MCP_ALLOWED_ORIGINS` get CORS answers (preflight 204);
//! 3. [`guard`]: no or a wrong token gets 401 with `WWW-Authenticate` (RFC 6750 / RFC
//!    9728); a malformed JSON-RPC message gets its error (`jsonrpc.rs`); a session created
//!    by one caller cannot be used by another (403); ending a session is 204, an ended one
//!    404; a `tools/call` above the caller's scope gets 403 `insufficient_scope` naming the
//!    scope, so a client can step up; the backend is never called. rmcp's own plain-text
//!    refusals get JSON-RPC bodies.
//!
//! Without `MCP_ALLOWED_ORIGINS` there is no CORS, and 1 and 3 run as one middleware
//! ([`edge_and_guard`]).
//!
//! The caller then travels to the MCP handler in the request extensions.

use super::jsonrpc;
use crate::guard::audit::{self, Audit, Decision};
use crate::guard::auth::{AuthError, JwtVerifier, StaticTokens};
use crate::guard::caller::{AuthMethod, Caller};
use crate::guard::policy::{Policy, Scope};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything the HTTP guard needs.
pub struct HttpGuard {
    pub tokens: StaticTokens,
    pub oauth: Option<JwtVerifier>,
    /// Scope of unauthenticated callers; `None` when authentication is required.
    pub anonymous: Option<Scope>,
    /// Extra allowed `Origin` values (same-origin requests always pass).
    pub allowed_origins: Vec<String>,
    /// `Host` names answered (DNS rebinding); empty allows any.
    pub allowed_hosts: Vec<String>,
    pub policy: Policy,
    pub forward_token: bool,
    pub max_request_bytes: usize,
    pub audit: Arc<Audit>,
    sessions: Mutex<SessionOwners>,
    /// The live sessions and their cap, set by the router.
    session_limit: std::sync::OnceLock<(Arc<LocalSessionManager>, usize)>,
    /// Where refusals at the edge are counted, set by the router.
    telemetry: std::sync::OnceLock<Arc<crate::telemetry::Telemetry>>,
    /// The bridge served behind the guard: which tool a call runs, and for whom
    /// `call_tool` is the meta-tool (set by the router).
    bridge: std::sync::OnceLock<crate::bridge::Bridge>,
}

impl HttpGuard {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        tokens: StaticTokens,
        oauth: Option<JwtVerifier>,
        anonymous: Option<Scope>,
        allowed_origins: Vec<String>,
        allowed_hosts: Vec<String>,
        policy: Policy,
        forward_token: bool,
        max_request_bytes: usize,
        audit: Arc<Audit>,
    ) -> HttpGuard {
        HttpGuard {
            tokens,
            oauth,
            anonymous,
            allowed_origins,
            allowed_hosts,
            policy,
            forward_token,
            max_request_bytes,
            audit,
            sessions: Mutex::new(SessionOwners::default()),
            session_limit: std::sync::OnceLock::new(),
            telemetry: std::sync::OnceLock::new(),
            bridge: std::sync::OnceLock::new(),
        }
    }

    /// Cap the number of live MCP sessions (checked on `initialize`).
    pub fn limit_sessions(&self, manager: Arc<LocalSessionManager>, max: usize) {
        let _ = self.session_limit.set((manager, max));
    }

    /// The bridge whose tools the scope pre-check looks up.
    pub fn guard_bridge(&self, bridge: &crate::bridge::Bridge) {
        let _ = self.bridge.set(bridge.clone());
    }

    /// The tool a `tools/call` of `name` runs for a caller with `scope`, and where its
    /// arguments are in the request: a meta-tool the caller is served is never an API
    /// tool of that name, and `call_tool` runs the tool it names (`inner`). `None` for a
    /// meta-tool that only reads (`search_tools`, `describe_tool`: any scope) or an
    /// unknown tool (the handler answers those).
    fn tool_called(
        &self,
        name: &str,
        inner: Option<&str>,
        scope: Scope,
    ) -> Option<(&'static crate::bridge::support::ToolSpec, &'static str)> {
        match self.bridge.get() {
            Some(bridge) => bridge.tool_called(name, inner, scope),
            None => crate::bridge::tools::all().find(|t| t.name == name).map(|t| (t, "/params/arguments")),
        }
    }

    /// Count refusals at the edge in these metrics.
    pub fn report_to(&self, telemetry: Arc<crate::telemetry::Telemetry>) {
        let _ = self.telemetry.set(telemetry);
    }

    /// A request refused before it reached a tool, counted by reason.
    fn count_refusal(&self, reason: &'static str) {
        if let Some(metrics) = self.telemetry.get().and_then(|t| t.metrics.as_ref()) {
            metrics.refusal(reason);
        }
    }

    async fn sessions_full(&self) -> Option<usize> {
        let (manager, max) = self.session_limit.get()?;
        let live = manager.sessions.read().await.len();
        (live >= *max).then_some(*max)
    }

    /// The URL of the protected resource metadata, for `WWW-Authenticate`.
    pub fn metadata_url(&self) -> Option<String> {
        let oauth = self.oauth.as_ref()?;
        let url = reqwest::Url::parse(&oauth.config().audience).ok()?;
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/');
        Some(format!("{origin}/.well-known/oauth-protected-resource{path}"))
    }

    fn challenge(&self, status: StatusCode, error: Option<(&str, &str)>, scope: Option<Scope>) -> Response {
        let mut value = String::from("Bearer realm=\"vtoc-mcp\"");
        if let Some(url) = self.metadata_url() {
            value.push_str(&format!(", resource_metadata=\"{url}\""));
        }
        if let Some((code, description)) = error {
            value.push_str(&format!(", error=\"{code}\", error_description=\"{}\"", description.replace('"', "'")));
        }
        if let Some(s) = scope {
            value.push_str(&format!(", scope=\"{s}\""));
        }
        let (code, description) = error.unwrap_or(("unauthorized", "a bearer token is required"));
        let mut response = refuse(status, code, description);
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }

    async fn authenticate(&self, headers: &http::HeaderMap) -> Result<Caller, Response> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = bearer else {
            return match self.anonymous {
                Some(scope) => Ok(Caller::local(scope)),
                None => Err(self.challenge(StatusCode::UNAUTHORIZED, None, None)),
            };
        };
        let keep = |t: &str| self.forward_token.then(|| secrecy::SecretString::from(t));
        if let Some((name, scope)) = self.tokens.check(token) {
            return Ok(Caller { name: name.to_string(), scope, method: AuthMethod::StaticToken, token: keep(token) });
        }
        if let Some(verifier) = &self.oauth
            && token.matches('.').count() == 2
        {
            return match verifier.verify(token).await {
                Ok((name, scope)) => Ok(Caller { name, scope, method: AuthMethod::Oauth, token: keep(token) }),
                Err(AuthError::NoScope) => Err(self.challenge(
                    StatusCode::FORBIDDEN,
                    Some(("insufficient_scope", "the token carries no vtoc:* scope")),
                    Some(Scope::Read),
                )),
                Err(AuthError::Invalid(why)) => {
                    Err(self.challenge(StatusCode::UNAUTHORIZED, Some(("invalid_token", &why)), None))
                }
                Err(AuthError::Missing) => Err(self.challenge(StatusCode::UNAUTHORIZED, None, None)),
            };
        }
        if self.tokens.is_empty() && self.oauth.is_none() {
            // No authentication configured: a token is neither needed nor checked.
            if let Some(scope) = self.anonymous {
                return Ok(Caller::local(scope));
            }
        }
        Err(self.challenge(
            StatusCode::UNAUTHORIZED,
            Some(("invalid_token", "the token is not valid for this server")),
            None,
        ))
    }

    /// Is the request's `Host` (with or without its port) one of `allowed_hosts`?
    fn host_allowed(&self, headers: &http::HeaderMap) -> bool {
        if self.allowed_hosts.is_empty() {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
        let bare = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        };
        let bare = bare.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(host) || a.eq_ignore_ascii_case(bare))
    }

    fn origin_allowed(&self, headers: &http::HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
        if self.allowed_origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin)) {
            return true;
        }
        // Same origin: the Origin's host:port is the Host this request was sent to.
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_host = origin.split_once("://").map(|(_, h)| h.trim_end_matches('/'));
        matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
    }
}

/// Which caller created which MCP session (bounded; oldest forgotten first).
#[derive(Default)]
struct SessionOwners {
    owners: HashMap<String, String>,
    order: VecDeque<String>,
}

const MAX_SESSIONS_TRACKED: usize = 100_000;

impl SessionOwners {
    fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.owners.retain(|k, _| keep(k));
        self.order.retain(|k| keep(k));
    }

    fn record(&mut self, session: String, caller: String) {
        if self.owners.insert(session.clone(), caller).is_none() {
            self.order.push_back(session);
            while self.order.len() > MAX_SESSIONS_TRACKED {
                if let Some(old) = self.order.pop_front() {
                    self.owners.remove(&old);
                }
            }
        }
    }
}

/// A refusal before rmcp: `{"error", "error_description"}`, as OAuth errors are written.
fn refuse(status: StatusCode, error: &str, description: impl std::fmt::Display) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description.to_string()}))).into_response()
}

/// The outermost middleware of the guarded routes: a foreign `Host` (DNS rebinding) or
/// `Origin` is refused with 403 and no CORS headers, before CORS answers a preflight; an
/// allowed preflight is answered `204 No Content`.
pub async fn edge(State(guard): State<Arc<HttpGuard>>, request: Request, next: Next) -> Response {
    if let Some(refused) = refused_at_edge(&guard, request.headers()) {
        return refused;
    }
    let preflight = request.method() == http::Method::OPTIONS;
    let mut response = next.run(request).await;
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// The edge's 403 for a foreign `Host` or `Origin`, if the request has one.
fn refused_at_edge(guard: &HttpGuard, headers: &http::HeaderMap) -> Option<Response> {
    if !guard.host_allowed(headers) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        tracing::warn!(%host, "refused a request for a foreign Host");
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            format!("Host {host} is not served here (MCP_ALLOWED_HOSTS)"),
        ));
    }
    if !guard.origin_allowed(headers) {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        tracing::warn!(%origin, "refused a request from a foreign Origin");
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            format!(
                "Origin {origin} is not allowed: add it to MCP_ALLOWED_ORIGINS to let a page there call this server"
            ),
        ));
    }
    None
}

/// [`edge`] then [`guard`], as one middleware, when no origin gets CORS (no
/// `MCP_ALLOWED_ORIGINS`): nothing sits between them then, and one layer costs a request
/// less than two (`http::router`).
pub async fn edge_and_guard(State(guard): State<Arc<HttpGuard>>, request: Request, next: Next) -> Response {
    if let Some(refused) = refused_at_edge(&guard, request.headers()) {
        return refused;
    }
    as_json_error(guarded(guard, request, next).await).await
}

/// CORS for the browser origins of `MCP_ALLOWED_ORIGINS` (a page on another origin: a
/// vTOC front end, Inspector's web UI). The allowed origin is echoed, never `*`, with
/// `Vary: Origin`; no credentials mode (tokens travel in `Authorization`, not cookies).
pub fn cors(allowed_origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origin = if allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()))
    };
    let header = |h: &'static str| http::HeaderName::from_static(h);
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([http::Method::GET, http::Method::POST, http::Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header("mcp-session-id"),
            header("mcp-protocol-version"),
            header("last-event-id"),
            header("mcp-method"),
            header("mcp-name"),
            // Mission context a front end sets for its session (docs/security.md §4).
            header("x-station-id"),
            header("x-station-slug"),
            header("x-chatkit-station"),
            header("x-toc-station"),
            header("x-chatkit-channel"),
            header("x-chatkit-thread"),
            header("x-chatkit-user"),
            header("x-chatkit-initiator"),
        ])
        .expose_headers([header("mcp-session-id"), header::WWW_AUTHENTICATE, header("mcp-protocol-version")])
        .max_age(Duration::from_secs(600))
}

/// A JSON-RPC error as a whole HTTP response (`Content-Type: application/json`).
fn rpc_error(status: StatusCode, id: serde_json::Value, code: i32, message: impl Into<String>) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}});
    (status, axum::Json(body)).into_response()
}

/// The MCP SDKs' code for a request naming a session the server does not have.
const SESSION_NOT_FOUND: i32 = -32001;

/// rmcp's own refusals (400, 404, 405, 406, 415) are plain text without a content type:
/// give them a JSON-RPC error body, as clients parse.
async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text =
        to_bytes(body, 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
    let (code, what) = match status {
        StatusCode::NOT_FOUND => {
            (SESSION_NOT_FOUND, "Session not found: the session ended or never existed; initialize a new one")
        }
        StatusCode::NOT_ACCEPTABLE => {
            (jsonrpc::INVALID_REQUEST, "Not Acceptable: send `Accept: application/json, text/event-stream`")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (jsonrpc::INVALID_REQUEST, "Unsupported Media Type: send `Content-Type: application/json`")
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            (jsonrpc::INVALID_REQUEST, "Method Not Allowed: /mcp takes POST, GET and DELETE")
        }
        _ => (jsonrpc::INVALID_REQUEST, "Bad Request"),
    };
    let message = if text.is_empty() { what.to_string() } else { format!("{what} ({text})") };
    let mut out = rpc_error(status, serde_json::Value::Null, code, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The axum middleware in front of `/mcp` and the client configuration, inside [`edge`]
/// and CORS: authentication, JSON-RPC well-formedness, session ownership and lifetime,
/// scope challenges, the session cap.
pub async fn guard(State(guard): State<Arc<HttpGuard>>, request: Request, next: Next) -> Response {
    let response = guarded(guard, request, next).await;
    as_json_error(response).await
}

async fn guarded(guard: Arc<HttpGuard>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let bytes = match to_bytes(body, guard.max_request_bytes).await {
        Ok(b) => b,
        Err(_) => {
            guard.count_refusal("request_too_large");
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("the request body exceeds {} bytes (MCP_MAX_REQUEST_BYTES)", guard.max_request_bytes),
            );
        }
    };
    // One read of the JSON-RPC message serves every decision below.
    let post = parts.method == http::Method::POST;
    let checked = post.then(|| jsonrpc::check(&bytes));
    let (method, tool_name, inner_name) = match &checked {
        Some(Ok(c)) => match &c.kind {
            jsonrpc::Kind::Request(m) => (Some(m.as_str()), c.tool.as_deref(), c.inner.as_deref()),
            _ => (None, None, None),
        },
        _ => (None, None, None),
    };
    let caller = match guard.authenticate(&parts.headers).await {
        Ok(c) => c,
        Err(response) => {
            if let Some(name) = tool_name {
                let who =
                    if response.status() == StatusCode::FORBIDDEN { "token-without-scope" } else { "unauthenticated" };
                let spec = crate::bridge::tools::all().find(|t| t.name == name).map(|t| (t, "/params/arguments"));
                guard.audit_refusal(who, AuthMethod::Local, name, spec, &bytes, started, refusal_of(&response));
            } else {
                guard.count_refusal("refused_unauthenticated");
            }
            return response;
        }
    };
    if let Some(Err(rejection)) = checked {
        // A method the server does not have is 404 (MCP 2026-07-28, SEP-2575); anything
        // else malformed is 400.
        let status =
            if rejection.code == jsonrpc::METHOD_NOT_FOUND { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
        return rpc_error(status, rejection.id, rejection.code, rejection.message);
    }
    let session = parts.headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(id) = &session {
        let owner = guard.sessions.lock().unwrap_or_else(|p| p.into_inner()).owners.get(id).cloned();
        if owner.is_some_and(|o| o != caller.name) {
            guard.count_refusal("forbidden_session");
            return refuse(StatusCode::FORBIDDEN, "forbidden_session", "this MCP session belongs to another caller");
        }
    }
    // Ending a session: 204 when it was live, 404 when it ended or never was (MCP: requests
    // for an ended session MUST get 404). rmcp answers 202 either way.
    if parts.method == http::Method::DELETE
        && let (Some(id), Some((manager, _))) = (&session, guard.session_limit.get())
    {
        let live = manager.sessions.read().await.contains_key(id.as_str());
        if !live {
            return rpc_error(
                StatusCode::NOT_FOUND,
                serde_json::Value::Null,
                SESSION_NOT_FOUND,
                "Session not found: it ended or never existed",
            );
        }
        let mut response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
        if response.status().is_success() {
            *response.status_mut() = StatusCode::NO_CONTENT;
            *response.body_mut() = Body::empty();
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
        return response;
    }
    // A call through `call_tool` is refused for scope exactly as a direct call of its tool.
    if let Some(name) = tool_name
        && let Some((tool, arguments)) = guard.tool_called(name, inner_name, caller.scope)
        && guard.policy.serves(tool).is_ok()
    {
        let needed = Scope::required_for(tool);
        if caller.scope < needed {
            let name = tool.name;
            let spec = Some((tool, arguments));
            guard.audit_refusal(&caller.name, caller.method, name, spec, &bytes, started, Decision::RefusedScope);
            return guard.challenge(
                StatusCode::FORBIDDEN,
                Some(("insufficient_scope", &format!("tool {name} needs {needed}; this token has {}", caller.scope))),
                Some(needed),
            );
        }
    }
    let initialize = method == Some("initialize");
    if initialize && let Some(max) = guard.sessions_full().await {
        guard.count_refusal("too_many_sessions");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_sessions",
            format!("{max} MCP sessions are open (MCP_MAX_SESSIONS); retry later"),
        );
    }
    let name = caller.name.clone();
    parts.extensions.insert(caller);
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if initialize && let Some(id) = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
        let live = match guard.session_limit.get() {
            // Forget the owners of sessions that have ended, now and then.
            Some((manager, max))
                if guard.sessions.lock().unwrap_or_else(|p| p.into_inner()).owners.len() > 2 * max + 64 =>
            {
                Some(
                    manager
                        .sessions
                        .read()
                        .await
                        .keys()
                        .map(|k| k.to_string())
                        .collect::<std::collections::HashSet<_>>(),
                )
            }
            _ => None,
        };
        let mut owners = guard.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = live {
            owners.retain(|session| live.contains(session));
        }
        owners.record(id.to_string(), name);
    }
    response
}

fn refusal_of(response: &Response) -> Decision {
    if response.status() == StatusCode::FORBIDDEN { Decision::RefusedScope } else { Decision::RefusedUnauthenticated }
}

impl HttpGuard {
    /// The audit line of a tool call refused before the handler; `spec` is the tool and
    /// where its arguments are in the message, when known.
    #[allow(clippy::too_many_arguments)]
    fn audit_refusal(
        &self,
        caller: &str,
        method: AuthMethod,
        tool: &str,
        spec: Option<(&'static crate::bridge::support::ToolSpec, &str)>,
        body: &[u8],
        started: Instant,
        decision: Decision,
    ) {
        if let Some(metrics) = self.telemetry.get().and_then(|t| t.metrics.as_ref()) {
            let (counted, _) = crate::telemetry::metrics::classify(decision, None, None);
            metrics.call("tool_call", tool, counted, started.elapsed());
        }
        if !self.audit.is_on() {
            return;
        }
        let targets = spec
            .map(|(spec, at)| {
                let arguments: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
                spec.path_params()
                    .filter_map(|p| arguments.pointer(&format!("{at}/{p}")).map(|v| (p.to_string(), v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        self.audit.record(&audit::Event {
            ts: audit::now(),
            event: "tool_call",
            caller,
            auth: method,
            tool,
            targets,
            station: None,
            decision,
            status: None,
            outcome: None,
            latency_ms: audit::latency_ms(started),
            trace_id: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let guard = HttpGuard::new(
            StaticTokens::default(),
            None,
            Some(Scope::Read),
            vec!["https://ops.example.com".into()],
            vec!["127.0.0.1".into(), "ops.example.com:8443".into()],
            Policy::default(),
            false,
            1024,
            Arc::new(Audit::off()),
        );
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = http::HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        assert!(guard.host_allowed(&headers(&[("host", "127.0.0.1:8765")])));
        assert!(guard.host_allowed(&headers(&[("host", "ops.example.com:8443")])));
        assert!(!guard.host_allowed(&headers(&[("host", "ops.example.com:9000")])));
        assert!(!guard.host_allowed(&headers(&[("host", "attacker.example")])));
        assert!(!guard.host_allowed(&headers(&[])));
        assert!(guard.origin_allowed(&headers(&[])));
        assert!(guard.origin_allowed(&headers(&[("origin", "https://ops.example.com")])));
        assert!(guard.origin_allowed(&headers(&[("origin", "http://127.0.0.1:8765"), ("host", "127.0.0.1:8765")])));
        assert!(!guard.origin_allowed(&headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:8765")])));
        assert!(!guard.origin_allowed(&headers(&[("origin", "http://127.0.0.1:9999"), ("host", "127.0.0.1:8765")])));
    }
}
