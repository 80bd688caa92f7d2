//! The runtime API that generated wrappers call, and nothing else: the tool table's
//! types, argument decoding, and turning a typed client result into a `CallToolResult`.
//!
//! Generated code stays a list of names; every decision with a branch in it lives here,
//! where unit tests reach it.

use crate::client::Client;
use bytes::Bytes;
use futures::future::BoxFuture;
use progenitor_client::{Error as ClientError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tool's HTTP method and its parameters' locations: the generator's own types, so the
/// runtime and the generator cannot disagree.
pub use crate::codegen::ir::{Location, Method};

/// A parameter of a tool, as the runtime needs it (audit targets, context).
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub location: Location,
}

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

/// MCP tool annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

pub type CallOutcome = Result<CallToolResult, ArgError>;
pub type CallFn = for<'a> fn(&'a Client, &'a Args<'a>) -> BoxFuture<'a, CallOutcome>;

/// One generated tool.
pub struct ToolSpec {
    pub name: &'static str,
    pub title: Option<&'static str>,
    pub description: &'static str,
    pub operation_id: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub tags: &'static [&'static str],
    pub params: &'static [ParamSpec],
    /// The mission-context values (`station`, `channel`, `initiator`) the backend reads for
    /// this operation; they make up its `context` argument by default.
    pub context: &'static [&'static str],
    /// `Some(true)`: a JSON body in the `body` argument; `Some(false)`: a form body; `None`: no body.
    pub json_body: Option<bool>,
    pub input_schema: &'static str,
    pub output_schema: Option<&'static str>,
    pub response: ResponseKind,
    pub hints: Hints,
    pub call: CallFn,
}

/// A read-only tool that is also an MCP resource (generated; see `codegen/resources.rs`).
#[derive(Debug)]
pub struct ResourceSpec {
    /// `vtoc://stations` or, with variables, the RFC 6570 template `vtoc://stations/{station_slug}`.
    pub uri: &'static str,
    pub name: &'static str,
    pub title: Option<&'static str>,
    pub description: &'static str,
    /// The tool that reads it; each URI variable is its path parameter of that name.
    pub tool: &'static str,
    pub variables: &'static [VariableSpec],
}

/// One URI variable, and where its values can be listed (for `completion/complete`).
#[derive(Debug)]
pub struct VariableSpec {
    pub name: &'static str,
    pub list_tool: Option<&'static str>,
    pub value_field: Option<&'static str>,
    pub label_fields: &'static [&'static str],
}

impl fmt::Debug for ToolSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolSpec").field("name", &self.name).field("path", &self.path).finish_non_exhaustive()
    }
}

/// Arguments that do not fit what the endpoint takes. Becomes a tool error (`isError`)
/// naming the field, before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// The argument path (`poi_id`, `body.name`); empty when it concerns the whole call.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() { f.write_str(&self.message) } else { write!(f, "`{}`: {}", self.field, self.message) }
    }
}

impl std::error::Error for ArgError {}

impl ArgError {
    fn new(field: &str, message: impl Into<String>) -> ArgError {
        ArgError { field: field.to_string(), message: message.into() }
    }
}

/// Tool arguments, read by name into the types of the generated client.
pub struct Args<'a> {
    map: &'a JsonObject,
}

impl<'a> Args<'a> {
    pub fn new(map: &'a JsonObject) -> Args<'a> {
        Args { map }
    }

    fn decode<T: DeserializeOwned>(name: &str, value: &'a Value) -> Result<T, ArgError> {
        T::deserialize(value).map_err(|e| ArgError::new(name, e.to_string()))
    }

    /// A required argument.
    pub fn req<T: DeserializeOwned>(&self, name: &str) -> Result<T, ArgError> {
        match self.map.get(name) {
            Some(v) if !v.is_null() => Self::decode(name, v),
            _ => Err(ArgError::new(name, "is required")),
        }
    }

    pub fn req_str(&self, name: &str) -> Result<&'a str, ArgError> {
        match self.map.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(Value::Null) | None => Err(ArgError::new(name, "is required")),
            Some(other) => Err(ArgError::new(name, format!("expected a string, got {}", kind(other)))),
        }
    }

    /// An optional argument: absent and `null` both mean "not sent".
    pub fn opt<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ArgError> {
        match self.map.get(name) {
            Some(v) if !v.is_null() => Self::decode(name, v).map(Some),
            _ => Ok(None),
        }
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, ArgError> {
        match self.map.get(name) {
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Null) | None => Ok(None),
            Some(other) => Err(ArgError::new(name, format!("expected a string, got {}", kind(other)))),
        }
    }

    /// A path parameter: required, and when it is text, exactly one path segment.
    pub fn path<T: DeserializeOwned>(&self, name: &str) -> Result<T, ArgError> {
        if let Some(Value::String(s)) = self.map.get(name) {
            check_segment(name, s)?;
        }
        self.req(name)
    }

    pub fn path_str(&self, name: &str) -> Result<&'a str, ArgError> {
        let s = self.req_str(name)?;
        check_segment(name, s)?;
        Ok(s)
    }

    /// The request body, decoded into the client's typed model. (The bytes sent are the
    /// caller's own JSON: see `CallCtx::raw_body`.)
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, ArgError> {
        static EMPTY: Value = Value::Null;
        let value = self.map.get("body").unwrap_or(&EMPTY);
        if value.is_null() {
            return T::deserialize(&json!({})).map_err(|_| ArgError::new("body", "is required"));
        }
        Self::decode("body", value)
    }
}

/// A path parameter must stay one segment: progenitor percent-encodes `/`, but `.` and
/// `..` are resolved by URL parsing, and servers such as uvicorn decode `%2F` before
/// routing, so any of these would reach a different endpoint.
fn check_segment(name: &str, s: &str) -> Result<(), ArgError> {
    if s.is_empty() || s == "." || s == ".." || s.contains(['/', '\\']) || s.chars().any(char::is_control) {
        return Err(ArgError::new(
            name,
            format!(
                "{s:?} is not a valid path segment (it must be non-empty, not `.` or `..`, and contain no `/`, `\\` or control characters)"
            ),
        ));
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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

/// Per-call state carried inside the generated client (progenitor's "inner" value),
/// read by the hooks in `client.rs`.
pub struct CallCtx {
    pub tool: &'static ToolSpec,
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
    pub fn new(tool: &'static ToolSpec, backend: Arc<Backend>, args: &JsonObject, headers: HeaderMap) -> CallCtx {
        let raw_body = match tool.json_body {
            Some(true) => args.get("body").filter(|v| !v.is_null()).map(|v| Bytes::from(v.to_string())),
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

    fn take_captured(&self) -> Option<Captured> {
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

/// A typed client result → the tool result the model sees.
///
/// The typed decode decides validity; what the model sees is what the backend sent
/// (fields the spec does not list included), taken from the captured response.
pub fn finish<T, E>(c: &Client, result: Result<ResponseValue<T>, ClientError<E>>) -> CallOutcome {
    let ctx = &c.inner;
    let captured = ctx.take_captured();
    let (captured, problem) = match (result, captured) {
        (Err(ClientError::InvalidRequest(message)), _) => return Err(ArgError::new("", message)),
        (Err(ClientError::CommunicationError(e)), _) => return Ok(unreachable(ctx, &e)),
        (Err(ClientError::Custom(message)), _) => return Ok(text_error(message)),
        (_, None) => return Ok(text_error("the backend call ended without a response".into())),
        (Ok(_), Some(cap)) => (cap, None),
        (Err(ClientError::InvalidResponsePayload(_, e)), Some(cap)) => (cap, Some(e.to_string())),
        (Err(ClientError::ResponseBodyError(e)), Some(cap)) => (cap, Some(e.to_string())),
        (Err(_), Some(cap)) => (cap, None),
    };
    if !captured.status.is_success() {
        return Ok(noted(ctx, backend_error(&captured), &captured));
    }
    Ok(success(ctx, &captured, problem))
}

/// A backend error result, noted for the client's log: 5xx as errors, 4xx as warnings.
fn noted(ctx: &CallCtx, result: CallToolResult, cap: &Captured) -> CallToolResult {
    let level = if cap.status.is_server_error() { Level::Error } else { Level::Warning };
    let text = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
    ctx.note(level, format!("`{}`: {text}", ctx.tool.name));
    result
}

/// For hand-written tools that combine calls: the JSON body of one successful typed call,
/// or the tool error the model should see (same wording as [`finish`]). The error is a
/// whole tool result, returned as is by the caller, so its size does not matter.
#[allow(clippy::result_large_err)]
pub fn json_of<T, E>(c: &Client, result: Result<ResponseValue<T>, ClientError<E>>) -> Result<Value, CallToolResult> {
    let ctx = &c.inner;
    let captured = ctx.take_captured();
    let captured = match (result, captured) {
        (Err(ClientError::CommunicationError(e)), _) => return Err(unreachable(ctx, &e)),
        (Err(ClientError::Custom(message)), _) | (Err(ClientError::InvalidRequest(message)), _) => {
            return Err(text_error(message));
        }
        (_, None) => return Err(text_error("the backend call ended without a response".into())),
        (_, Some(cap)) => cap,
    };
    if !captured.status.is_success() {
        return Err(noted(ctx, backend_error(&captured), &captured));
    }
    serde_json::from_slice(&captured.body).map_err(|e| {
        text_error(format!(
            "HTTP {} from {} {}: the backend sent invalid JSON ({e}): {}",
            captured.status,
            captured.method,
            captured.target,
            snippet(&captured.body)
        ))
    })
}

fn text_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

fn success(ctx: &CallCtx, cap: &Captured, problem: Option<String>) -> CallToolResult {
    let tool = ctx.tool;
    if let Some(problem) = &problem {
        if ctx.backend.strict_responses {
            return text_error(format!(
                "HTTP {} from {} {}: the response does not match the API spec ({problem}); strict response validation is on",
                cap.status, cap.method, cap.target
            ));
        }
        tracing::warn!(tool = tool.name, status = cap.status.as_u16(), %problem, "backend response does not match the spec; returning it as received");
        ctx.note(
            Level::Warning,
            format!(
                "`{}`: the backend's response to {} {} does not match the API spec ({problem}); it was returned as received",
                tool.name, cap.method, cap.target
            ),
        );
    }
    match tool.response {
        ResponseKind::Empty | ResponseKind::Text if cap.body.is_empty() => {
            CallToolResult::success(vec![ContentBlock::text(format!(
                "HTTP {}: {} {} succeeded (no content).",
                cap.status, cap.method, cap.target
            ))])
        }
        ResponseKind::Empty | ResponseKind::Text => {
            CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&cap.body).into_owned())])
        }
        ResponseKind::Object | ResponseKind::Wrapped => {
            let value: Value = match serde_json::from_slice(&cap.body) {
                Ok(v) => v,
                Err(e) if cap.body.is_empty() => {
                    let _ = e;
                    return CallToolResult::success(vec![ContentBlock::text(format!(
                        "HTTP {}: {} {} succeeded with an empty body.",
                        cap.status, cap.method, cap.target
                    ))]);
                }
                Err(e) => {
                    let kind = cap
                        .headers
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("no content type");
                    return text_error(format!(
                        "HTTP {} from {} {}: the backend sent invalid JSON ({kind}; {e}): {}",
                        cap.status,
                        cap.method,
                        cap.target,
                        snippet(&cap.body)
                    ));
                }
            };
            match (tool.response, value) {
                (ResponseKind::Object, v @ Value::Object(_)) => CallToolResult::structured(v),
                (ResponseKind::Wrapped, v) => CallToolResult::structured(json!({ "result": v })),
                // Not the declared shape: structuredContent would break the outputSchema
                // contract, so the JSON goes out as text only.
                (_, v) => CallToolResult::success(vec![ContentBlock::text(v.to_string())]),
            }
        }
    }
}

/// A 4xx/5xx answer, in words the model can act on.
fn backend_error(cap: &Captured) -> CallToolResult {
    let mut msg = format!("HTTP {} from {} {}", cap.status, cap.method, cap.target);
    match serde_json::from_slice::<Value>(&cap.body) {
        Ok(Value::Object(map)) if map.contains_key("detail") => match &map["detail"] {
            Value::String(s) => msg.push_str(&format!(": {s}")),
            Value::Array(items) => {
                msg.push_str(": the backend rejected the request:");
                for item in items {
                    let loc = item
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let text = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                    msg.push_str(&format!("\n- {loc}: {text}"));
                }
            }
            other => msg.push_str(&format!(": {other}")),
        },
        Ok(other) => msg.push_str(&format!(": {}", snippet(other.to_string().as_bytes()))),
        Err(_) if cap.body.is_empty() => {}
        Err(_) => msg.push_str(&format!(": {}", snippet(&cap.body))),
    }
    match cap.status.as_u16() {
        429 | 503 => {
            if let Some(after) = cap.headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()) {
                msg.push_str(&format!(" (the backend asks to retry after {after} s)"));
            }
        }
        401 | 403 => msg.push_str(" (the bridge's backend credentials were refused; check VTOC_API_TOKEN)"),
        _ => {}
    }
    text_error(msg)
}

fn unreachable(ctx: &CallCtx, e: &reqwest::Error) -> CallToolResult {
    let base = &ctx.backend.base_url;
    let what = if e.is_timeout() {
        format!("no response within {} s (the backend timeout)", ctx.backend.timeout.as_secs_f64())
    } else if e.is_connect() {
        "the connection failed (is the backend running and VTOC_API_BASE_URL right?)".to_string()
    } else {
        "the connection broke".to_string()
    };
    let message = format!(
        "could not complete {} {} against the vTOC backend at {base}: {what}. Details: {}",
        ctx.tool.method.as_str(),
        ctx.tool.path,
        error_chain(e)
    );
    ctx.note(Level::Error, format!("`{}`: {message}", ctx.tool.name));
    text_error(message)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn snippet(bytes: &[u8]) -> String {
    const MAX: usize = 2000;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]).into_owned();
    if bytes.len() > MAX { format!("{text}… ({} bytes in all)", bytes.len()) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn required_optional_and_null() {
        let map = args(json!({"a": 3, "s": "x", "n": null}));
        let a = Args::new(&map);
        assert_eq!(a.req::<i64>("a").unwrap(), 3);
        assert_eq!(a.req::<i64>("missing").unwrap_err().message, "is required");
        assert_eq!(a.req::<i64>("n").unwrap_err().message, "is required");
        assert_eq!(a.opt::<i64>("n").unwrap(), None);
        assert_eq!(a.opt_str("s").unwrap(), Some("x"));
        assert!(a.req::<i64>("s").unwrap_err().message.contains("invalid type"));
        assert_eq!(a.req_str("a").unwrap_err().message, "expected a string, got a number");
    }

    #[test]
    fn path_segments_cannot_escape() {
        for bad in ["..", ".", "", "a/b", "../healthz", "a\\b", "x\ny"] {
            let map = args(json!({"slug": bad}));
            let err = Args::new(&map).path_str("slug").unwrap_err();
            assert_eq!(err.field, "slug", "{bad:?}");
        }
        let map = args(json!({"slug": "ops-center", "id": "12"}));
        assert_eq!(Args::new(&map).path_str("slug").unwrap(), "ops-center");
        assert!(Args::new(&map).path::<String>("id").is_ok());
    }
}
