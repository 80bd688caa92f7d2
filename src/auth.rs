//! Who is calling: static bearer tokens, OAuth 2.1 access tokens (JWT, validated against
//! a JWKS as the MCP authorization spec asks), or the local operator (stdio, or HTTP on
//! loopback with no authentication configured).
//!
//! The HTTP guard ([`guard`]) runs before rmcp sees a request:
//! 1. a foreign `Origin` gets 403 (same-origin and configured origins pass);
//! 2. no or a wrong token gets 401 with `WWW-Authenticate` (RFC 6750 / RFC 9728);
//! 3. a session created by one caller cannot be used by another (403);
//! 4. a `tools/call` for a tool above the caller's scope gets 403 `insufficient_scope`
//!    naming the scope, so a client can step up; the backend is never called.
//!
//! The caller then travels to the MCP handler in the request extensions.

use crate::audit::{self, Audit, Decision};
use crate::jsonrpc;
use crate::policy::{Policy, Scope};
use crate::support::Location;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A token from MCP_AUTH_TOKENS / MCP_AUTH_TOKENS_FILE.
    StaticToken,
    /// An OAuth 2.1 access token (JWT).
    Oauth,
    /// stdio, or HTTP without authentication (loopback or `--insecure-no-auth`).
    Local,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// For audit and limits: the token's name, or the JWT subject.
    pub name: String,
    pub scope: Scope,
    pub method: AuthMethod,
    /// The caller's own bearer token, kept only when `MCP_FORWARD_CALLER_TOKEN` is on.
    pub token: Option<Secret>,
}

impl Caller {
    pub fn local(scope: Scope) -> Caller {
        Caller { name: "local".into(), scope, method: AuthMethod::Local, token: None }
    }
}

/// Static tokens: name, scope, SHA-256 of the token. The token itself is not kept.
#[derive(Clone, Default)]
pub struct StaticTokens {
    entries: Vec<(String, Scope, [u8; 32])>,
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.iter().map(|(n, s, _)| (n, s))).finish()
    }
}

/// Tokens shorter than this are refused at start.
pub const MIN_TOKEN_LEN: usize = 32;

impl StaticTokens {
    /// `NAME:SCOPE:TOKEN` entries separated by commas or newlines; `#` starts a comment.
    /// SCOPE is `read`, `operate` or `admin` (or `vtoc:read`, ...).
    pub fn parse(text: &str) -> Result<StaticTokens, String> {
        let mut entries = Vec::new();
        for (i, raw) in text.split(['\n', ',']).enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (name, rest) =
                line.split_once(':').ok_or_else(|| format!("entry {}: expected NAME:SCOPE:TOKEN", i + 1))?;
            let (scope, token) =
                rest.rsplit_once(':').ok_or_else(|| format!("entry {} ({name}): expected NAME:SCOPE:TOKEN", i + 1))?;
            let scope = Scope::parse(scope)
                .ok_or_else(|| format!("entry {} ({name}): scope {scope:?} is not read, operate or admin", i + 1))?;
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
                return Err(format!("entry {}: the name {name:?} must be letters, digits, - _ . @", i + 1));
            }
            if token.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "entry {} ({name}): the token is shorter than {MIN_TOKEN_LEN} characters; generate one with `openssl rand -hex 32`",
                    i + 1
                ));
            }
            if entries.iter().any(|(n, _, _): &(String, Scope, [u8; 32])| n == name) {
                return Err(format!("entry {}: the name {name:?} is used twice", i + 1));
            }
            entries.push((name.to_string(), scope, Sha256::digest(token.as_bytes()).into()));
        }
        Ok(StaticTokens { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry whose token this is. Every entry is compared, in constant time, so the
    /// time taken says nothing about which entry (or how much of one) matched.
    pub fn check(&self, presented: &str) -> Option<(&str, Scope)> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (name, scope, stored) in &self.entries {
            let diff = stored.iter().zip(digest.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if std::hint::black_box(diff) == 0 {
                found = Some((name.as_str(), *scope));
            }
        }
        found
    }
}

/// OAuth 2.1 resource-server settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`: this server's canonical URL (e.g. `https://mcp.example.com/mcp`).
    pub audience: String,
    pub jwks_url: String,
    /// Listed in the protected resource metadata; defaults to the issuer.
    pub authorization_servers: Vec<String>,
}

/// Validates JWT access tokens against a JWKS that is fetched lazily, cached, and
/// refetched (at most every 30 s) when a token names an unknown key.
pub struct JwtVerifier {
    config: OAuthConfig,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<Option<(Instant, JwkSet)>>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    azp: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<serde_json::Value>,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid(String),
    /// Valid, but with no `vtoc:*` scope.
    NoScope,
}

const JWKS_TTL: Duration = Duration::from_secs(300);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl JwtVerifier {
    pub fn new(config: OAuthConfig, http: reqwest::Client) -> JwtVerifier {
        JwtVerifier { config, http, keys: tokio::sync::RwLock::new(None), refresh: tokio::sync::Mutex::new(()) }
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch the JWKS from {}: {e}", self.config.jwks_url))?;
        if !response.status().is_success() {
            return Err(format!("the JWKS at {} answered HTTP {}", self.config.jwks_url, response.status()));
        }
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| format!("the JWKS at {} is not a key set: {e}", self.config.jwks_url))
    }

    /// The key set, fetched when missing, stale, or (rate-limited) when `kid` is unknown.
    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, String> {
        let lookup = |set: &JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        {
            let guard = self.keys.read().await;
            if let Some((at, set)) = guard.as_ref()
                && at.elapsed() < JWKS_TTL
                && let Some(jwk) = lookup(set)
            {
                return DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"));
            }
        }
        let _one_at_a_time = self.refresh.lock().await;
        let recent = self.keys.read().await.as_ref().is_some_and(|(at, _)| at.elapsed() < JWKS_MIN_REFRESH);
        if !recent {
            let set = self.fetch().await?;
            *self.keys.write().await = Some((Instant::now(), set));
        }
        let guard = self.keys.read().await;
        let jwk = guard.as_ref().and_then(|(_, set)| lookup(set)).ok_or_else(|| match kid {
            Some(k) => format!("no key with kid {k:?} in the JWKS"),
            None => "the token names no key (kid) and the JWKS has several".to_string(),
        })?;
        DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable JWK: {e}"))
    }

    pub async fn verify(&self, token: &str) -> Result<(String, Scope), AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(format!("malformed token: {e}")))?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.key_for(header.kid.as_deref()).await.map_err(AuthError::Invalid)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AuthError::Invalid(
                match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::InvalidAudience => "the token was not issued for this server (audience)",
                    K::InvalidIssuer => "the token was issued by another issuer",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::InvalidSignature => "the token signature is invalid",
                    K::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss, aud)",
                    _ => "the token is invalid",
                }
                .to_string(),
            )
        })?;
        let c = data.claims;
        let scopes: Vec<String> = match (&c.scope, &c.scp) {
            (Some(s), _) => s.split_whitespace().map(str::to_owned).collect(),
            (None, Some(serde_json::Value::Array(items))) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            (None, Some(serde_json::Value::String(s))) => s.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let scope = Scope::highest_of(scopes.iter().map(String::as_str)).ok_or(AuthError::NoScope)?;
        let name = c.sub.or(c.client_id).or(c.azp).unwrap_or_else(|| "oauth-client".into());
        Ok((name, scope))
    }
}

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
        }
    }

    /// Cap the number of live MCP sessions (checked on `initialize`).
    pub fn limit_sessions(&self, manager: Arc<LocalSessionManager>, max: usize) {
        let _ = self.session_limit.set((manager, max));
    }

    async fn sessions_full(&self) -> Option<usize> {
        let (manager, max) = self.session_limit.get()?;
        let live = manager.sessions.read().await.len();
        (live >= *max).then_some(*max)
    }

    /// The URL of the protected resource metadata, for `WWW-Authenticate`.
    pub fn metadata_url(&self) -> Option<String> {
        let oauth = self.oauth.as_ref()?;
        let url = reqwest::Url::parse(&oauth.config.audience).ok()?;
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
        let keep = |t: &str| self.forward_token.then(|| Secret::new(t.to_string()));
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

/// Just enough of a JSON-RPC message to route the guard's decisions.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(borrow)]
    method: Option<&'a str>,
    params: Option<PeekParams<'a>>,
}

#[derive(Deserialize)]
struct PeekParams<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
}

/// A refusal before rmcp: `{"error", "error_description"}`, as OAuth errors are written.
fn refuse(status: StatusCode, error: &str, description: impl std::fmt::Display) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description.to_string()}))).into_response()
}

/// The outermost middleware of the guarded routes: a foreign `Host` (DNS rebinding) or
/// `Origin` is refused with 403 and no CORS headers, before CORS answers a preflight; an
/// allowed preflight is answered `204 No Content`.
pub async fn edge(State(guard): State<Arc<HttpGuard>>, request: Request, next: Next) -> Response {
    if !guard.host_allowed(request.headers()) {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        tracing::warn!(%host, "refused a request for a foreign Host");
        return refuse(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            format!("Host {host} is not served here (MCP_ALLOWED_HOSTS)"),
        );
    }
    if !guard.origin_allowed(request.headers()) {
        let origin =
            request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        tracing::warn!(%origin, "refused a request from a foreign Origin");
        return refuse(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            format!(
                "Origin {origin} is not allowed: add it to MCP_ALLOWED_ORIGINS to let a page there call this server"
            ),
        );
    }
    let preflight = request.method() == http::Method::OPTIONS;
    let mut response = next.run(request).await;
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
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
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("the request body exceeds {} bytes (MCP_MAX_REQUEST_BYTES)", guard.max_request_bytes),
            );
        }
    };
    let post = parts.method == http::Method::POST;
    let peek: Option<Peek<'_>> = if post { serde_json::from_slice(&bytes).ok() } else { None };
    let method = peek.as_ref().and_then(|p| p.method);
    let tool_name = match method {
        Some("tools/call") => peek.as_ref().and_then(|p| p.params.as_ref()).and_then(|p| p.name.as_deref()),
        _ => None,
    };
    let caller = match guard.authenticate(&parts.headers).await {
        Ok(c) => c,
        Err(response) => {
            if let Some(name) = tool_name {
                let who =
                    if response.status() == StatusCode::FORBIDDEN { "token-without-scope" } else { "unauthenticated" };
                guard.audit_refusal(who, AuthMethod::Local, name, &bytes, started, refusal_of(&response));
            }
            return response;
        }
    };
    if post && let Err(rejection) = jsonrpc::check(&bytes) {
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
    if let Some(name) = tool_name
        && let Some(tool) = crate::tools::all().find(|t| t.name == name)
        && guard.policy.serves(tool).is_ok()
    {
        let needed = Scope::required_for(tool);
        if caller.scope < needed {
            guard.audit_refusal(&caller.name, caller.method, name, &bytes, started, Decision::RefusedScope);
            return guard.challenge(
                StatusCode::FORBIDDEN,
                Some(("insufficient_scope", &format!("tool {name} needs {needed}; this token has {}", caller.scope))),
                Some(needed),
            );
        }
    }
    let initialize = method == Some("initialize");
    if initialize && let Some(max) = guard.sessions_full().await {
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
    /// The audit line of a tool call refused before the handler.
    fn audit_refusal(
        &self,
        caller: &str,
        method: AuthMethod,
        tool: &str,
        body: &[u8],
        started: Instant,
        decision: Decision,
    ) {
        let targets = crate::tools::all()
            .find(|t| t.name == tool)
            .map(|spec| {
                let arguments: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
                spec.params
                    .iter()
                    .filter(|p| p.location == Location::Path)
                    .filter_map(|p| {
                        arguments
                            .pointer(&format!("/params/arguments/{}", p.name))
                            .map(|v| (p.name.to_string(), v.clone()))
                    })
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
            latency_ms: (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        });
    }
}

/// RFC 9728 protected resource metadata.
pub fn resource_metadata(oauth: &OAuthConfig) -> serde_json::Value {
    json!({
        "resource": oauth.audience,
        "authorization_servers": oauth.authorization_servers,
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "bearer_methods_supported": ["header"],
        "resource_name": "vTOC MCP server",
        "resource_documentation": "https://github.com/PR-CYBR/vTOC",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "0123456789abcdef0123456789abcdef-ops";
    const T2: &str = "fedcba9876543210fedcba9876543210-adm";

    #[test]
    fn static_tokens_parse_and_match() {
        let tokens = StaticTokens::parse(&format!("# agents\nops-agent:operate:{T1}\nroot:vtoc:admin:{T2}\n")).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.check(T1), Some(("ops-agent", Scope::Operate)));
        assert_eq!(tokens.check(T2), Some(("root", Scope::Admin)));
        assert_eq!(tokens.check("wrong"), None);
        assert_eq!(tokens.check(&T1[..T1.len() - 1]), None);
        assert!(!format!("{tokens:?}").contains("0123"), "tokens never print");
        let inline = StaticTokens::parse(&format!("a:read:{T1},b:admin:{T2}")).unwrap();
        assert_eq!(inline.check(T2), Some(("b", Scope::Admin)));
    }

    #[test]
    fn bad_static_tokens_are_refused_with_the_entry_named() {
        assert!(StaticTokens::parse("ops:operate:short").unwrap_err().contains("shorter than 32"));
        assert!(StaticTokens::parse(&format!("ops:root:{T1}")).unwrap_err().contains("\"root\""));
        assert!(StaticTokens::parse("nocolons").unwrap_err().contains("NAME:SCOPE:TOKEN"));
        assert!(StaticTokens::parse(&format!("a:read:{T1}\na:read:{T2}")).unwrap_err().contains("twice"));
        assert!(StaticTokens::parse(&format!("bad name:read:{T1}")).unwrap_err().contains("must be letters"));
    }

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
