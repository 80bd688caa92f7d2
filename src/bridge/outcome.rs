//! What the backend answered → the tool result the model sees: the body as structured
//! content (or text), and every failure (4xx/5xx with the backend's `detail`, an
//! unreachable backend, an oversized or invalid body) as a readable tool error, noted for
//! the client's log. Also the argument errors the typed request builder raises.

use super::client::Client;
use super::exchange::{CallCtx, Captured, Level, ResponseKind};
use progenitor_client::{Error as ClientError, ResponseValue};
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use std::fmt;

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
    pub(super) fn new(field: &str, message: impl Into<String>) -> ArgError {
        ArgError { field: field.to_string(), message: message.into() }
    }
}

/// What a tool's wrapper returns: its result, or arguments it could not send.
pub type CallOutcome = Result<CallToolResult, ArgError>;

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
