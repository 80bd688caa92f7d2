//! One exchange with the backend: how the bridge reaches it ([`Backend`], shared), and
//! what a call carries through the generated client and its hooks ([`CallCtx`]): the raw
//! body, the headers, what the backend answered, and the notes for the client's log.
//!
//! Knows nothing of tools beyond the [`Operation`] it runs, nor of MCP.

use crate::codegen::ir::BodyKind;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use rmcp::model::JsonObject;
use serde_json::{Value, json};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::codegen::ir::Method;

/// How the success response becomes the tool result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseKind {
    /// A JSON object, returned as `structuredContent`.
    Object,
    /// Any other JSON, returned as `{"result": ...}`.
    Wrapped,
    /// No content.
    Empty,
    /// Not JSON: text.
    Text,
}

/// What an exchange needs to know of the tool it runs.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
    /// Its parameters and where they go (what a request the bridge writes itself needs).
    pub params: &'static [super::support::ParamSpec],
    /// How the `body` argument is written; `None`: no body.
    pub body: Option<BodyKind>,
    pub response: ResponseKind,
    /// The tool's outputSchema: the judge when the typed client cannot read a response.
    pub output_schema: Option<&'static str>,
}

/// How the bridge reaches the backend; shared by every call.
pub struct Backend {
    pub base_url: String,
    pub http: reqwest::Client,
    /// `Authorization` header sent to the backend (marked sensitive).
    pub auth: Option<HeaderValue>,
    pub timeout: Duration,
    /// Bodies larger than this are not read.
    pub max_response_bytes: usize,
    /// Fail calls whose response does not match the spec (default: warn and return it).
    pub strict_responses: bool,
    /// Extra attempts for a call that failed on a connection error (see `client::retryable`).
    pub retries: u32,
    /// Build requests but send nothing (`vtoc-mcp call --dry-run`, fuzz tests).
    pub dry_run: bool,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A token that cannot be sent (the error never includes the token).
#[derive(Debug, thiserror::Error)]
#[error("the token contains characters that cannot go in an HTTP header")]
pub struct UnsendableToken;

/// A header value for a bearer token, marked sensitive so it never appears in debug output.
pub fn bearer(token: &str) -> Result<HeaderValue, UnsendableToken> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| UnsendableToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// Per-call state carried inside the generated client (progenitor's "inner" value),
/// read by the hooks in `client.rs`.
pub struct CallCtx {
    /// The operation this call runs.
    pub tool: Operation,
    pub backend: Arc<Backend>,
    /// The caller's `body` argument, serialized as given. typify's models cannot tell a
    /// field sent as `null` (PATCH: clear it) from one left out (keep it), so the bytes on
    /// the wire are these, after the typed model has validated them.
    pub raw_body: Option<Bytes>,
    /// Context headers for the backend (station, ChatKit channel and user).
    pub headers: HeaderMap,
    /// The `Authorization` sent to the backend: the bridge's own token, or (only in the
    /// opt-in passthrough mode) the caller's.
    pub authorization: Option<HeaderValue>,
    pub captured: Mutex<Option<Captured>>,
    /// The backend's HTTP status (0 until it answers), for the audit line.
    pub status: std::sync::atomic::AtomicU16,
    /// In dry-run mode: the requests the call would have sent.
    pub dry_run: Mutex<Vec<Value>>,
    /// What the agent's host should hear about this call (a retry, a backend error, a
    /// response that does not match the spec): sent as MCP `notifications/message`.
    pub notes: Mutex<Vec<Note>>,
    /// How the tool's listed arguments map to the request, to name a field the backend
    /// rejected as the model wrote it (`body.notes` → `notes`).
    pub plan: Option<Arc<crate::codegen::shape::Plan>>,
    /// Where the backend's part of the call is measured and traced.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// The trace the backend exchange belongs to (the call's span, or the client's parent).
    pub trace: opentelemetry::Context,
}

/// One thing worth telling the client's log about a call. Never holds a secret: only
/// statuses, endpoints and the backend's own error text.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub level: Level,
    pub message: String,
}

/// MCP's log levels (RFC 5424 severities), ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl fmt::Debug for CallCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCtx").field("tool", &self.tool.name).finish_non_exhaustive()
    }
}

impl CallCtx {
    pub fn new(tool: Operation, backend: Arc<Backend>, args: &JsonObject, headers: HeaderMap) -> CallCtx {
        let raw_body = match tool.body {
            Some(BodyKind::Json) => args.get("body").filter(|v| !v.is_null()).map(|v| Bytes::from(v.to_string())),
            _ => None,
        };
        let authorization = backend.auth.clone();
        CallCtx {
            tool,
            backend,
            raw_body,
            headers,
            authorization,
            captured: Mutex::new(None),
            status: Default::default(),
            dry_run: Mutex::default(),
            notes: Mutex::default(),
            plan: None,
            telemetry: crate::telemetry::Telemetry::off(),
            trace: opentelemetry::Context::new(),
        }
    }

    /// Record something the client's log should hear about this call.
    pub fn note(&self, level: Level, message: String) {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(Note { level, message });
    }

    /// The notes recorded so far.
    pub fn take_notes(&self) -> Vec<Note> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Record a request instead of sending it, and answer `200 null`. Credentials are
    /// redacted: this output is meant to be printed.
    pub fn record_dry_run(&self, request: &reqwest::Request) -> reqwest::Response {
        let headers: serde_json::Map<String, Value> = request
            .headers()
            .iter()
            .map(|(k, v)| {
                let shown = if v.is_sensitive() || k == reqwest::header::AUTHORIZATION {
                    "<redacted>".to_string()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (k.to_string(), Value::String(shown))
            })
            .collect();
        let body = request.body().and_then(|b| b.as_bytes()).map(|b| {
            serde_json::from_slice::<Value>(b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
        });
        let url = request.url();
        self.dry_run.lock().unwrap_or_else(|p| p.into_inner()).push(json!({
            "method": request.method().as_str(),
            "path": url.path(),
            "query": url.query(),
            "url": url.as_str(),
            "headers": headers,
            "body": body,
        }));
        let mut response = http::Response::new(bytes::Bytes::from_static(b"null"));
        response.headers_mut().insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        *self.captured.lock().unwrap_or_else(|p| p.into_inner()) = Some(Captured {
            method: request.method().clone(),
            target: url.path().to_string(),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: bytes::Bytes::from_static(b"null"),
            too_large: false,
        });
        reqwest::Response::from(response)
    }

    /// The backend's status, once it answered.
    pub fn status(&self) -> Option<u16> {
        Some(self.status.load(std::sync::atomic::Ordering::Relaxed)).filter(|s| *s != 0)
    }

    pub(super) fn take_captured(&self) -> Option<Captured> {
        self.captured.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// What the backend answered, read once by the client hook.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: reqwest::Method,
    /// Path and query of the request, for messages.
    pub target: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body was larger than `max_response_bytes` and was not read.
    pub too_large: bool,
}
