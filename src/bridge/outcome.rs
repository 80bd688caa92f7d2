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
        return Ok(noted(ctx, backend_error(ctx, &captured), &captured));
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
        return Err(noted(ctx, backend_error(ctx, &captured), &captured));
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
    // A dry run answers `200 null` for every request it does not send: nothing to check.
    let problem = problem.filter(|_| !ctx.backend.dry_run).and_then(|p| judged(ctx, cap, p));
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
        ResponseKind::Empty | ResponseKind::Text => not_json(ctx, cap),
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

/// A body that is not JSON, as it is: text when it is text (CSV, Markdown, HTML, event
/// streams), and otherwise its bytes with their media type (an image, audio, or an
/// embedded blob, base64) beside a sentence the model can read. Nothing is mangled into
/// text; the result limit applies to the bytes as to anything else.
fn not_json(ctx: &CallCtx, cap: &Captured) -> CallToolResult {
    let media = cap
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    let textual = media.as_deref().is_none_or(|m| {
        m.starts_with("text/")
            || m.ends_with("+xml")
            || m.ends_with("+json")
            || matches!(
                m,
                "application/xml"
                    | "application/javascript"
                    | "application/x-ndjson"
                    | "application/yaml"
                    | "application/sql"
            )
    });
    if textual && let Ok(text) = std::str::from_utf8(&cap.body) {
        return CallToolResult::success(vec![ContentBlock::text(text)]);
    }
    use base64::Engine as _;
    let media = media.unwrap_or_else(|| "application/octet-stream".into());
    let data = base64::engine::general_purpose::STANDARD.encode(&cap.body);
    let block = if media.starts_with("image/") {
        ContentBlock::image(data, media.clone())
    } else if media.starts_with("audio/") {
        ContentBlock::audio(data, media.clone())
    } else {
        ContentBlock::resource(rmcp::model::ResourceContents::BlobResourceContents {
            uri: format!("{}{}", ctx.backend.base_url, cap.target),
            mime_type: Some(media.clone()),
            blob: data,
            meta: None,
        })
    };
    let said = format!(
        "HTTP {}: {} {} returned {} bytes of {media}, attached (base64).",
        cap.status,
        cap.method,
        cap.target,
        cap.body.len()
    );
    CallToolResult::success(vec![ContentBlock::text(said), block])
}

/// The typed client could not read a success response: does it break the API's schema?
/// The typed client is stricter than the spec in one common way: FastAPI sends a naive
/// date-time (no timezone) for a naive value, which the spec allows (`format` is an
/// annotation) and chrono refuses. A response the tool's outputSchema accepts is therefore
/// no mismatch (the client's log hears what the typed client said); one it rejects gets a
/// problem that names each field, instead of the parser's "line 1 column 203".
fn judged(ctx: &CallCtx, cap: &Captured, problem: String) -> Option<String> {
    let (Some(schema), Ok(body)) = (ctx.tool.output_schema, serde_json::from_slice::<Value>(&cap.body)) else {
        return Some(problem);
    };
    let Ok(validator) = serde_json::from_str(schema)
        .map_err(|_| ())
        .and_then(|s: Value| crate::guard::validate::Validator::new(&s).map_err(|_| ()))
    else {
        return Some(problem);
    };
    let instance = match ctx.tool.response {
        ResponseKind::Wrapped => json!({ "result": body }),
        _ => body,
    };
    match validator.validate(&instance) {
        Ok(()) => {
            ctx.note(
                Level::Info,
                format!(
                    "`{}`: the typed client could not read the response to {} {} ({problem}), but it matches the API's schema (most often a date-time without a timezone, which FastAPI sends for naive times); returned as received",
                    ctx.tool.name, cap.method, cap.target
                ),
            );
            None
        }
        Err(violations) => Some(
            violations
                .iter()
                .map(|v| {
                    let field = v.path.strip_prefix("result.").or(v.path.strip_prefix("result")).unwrap_or(&v.path);
                    if field.is_empty() { v.message.clone() } else { format!("`{field}`: {}", v.message) }
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// A FastAPI location (`body.notes`, `query.limit`) as the argument the model wrote.
fn argument_of(ctx: &CallCtx, loc: &str) -> String {
    let Some(plan) = &ctx.plan else { return loc.to_string() };
    match loc.split_once('.') {
        Some(("body", _)) => plan.model_path(loc),
        Some(("query" | "path" | "header", rest)) => rest.to_string(),
        _ => loc.to_string(),
    }
}

/// A 4xx/5xx answer, in words the model can act on. FastAPI names a rejected field by
/// where it was (`["body", "notes"]`, `["query", "limit"]`); the model knows it by the
/// argument it wrote (`notes`, `limit`).
fn backend_error(ctx: &CallCtx, cap: &Captured) -> CallToolResult {
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
                            let joined = l
                                .iter()
                                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                                .collect::<Vec<_>>()
                                .join(".");
                            argument_of(ctx, &joined)
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
    //! The error shaping the model reads, without a backend: each answer is a `Captured`
    //! as the client hooks record it.
    use super::*;
    use crate::bridge::exchange::{Backend, Method, Operation};
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::sync::Arc;

    fn captured(status: u16, headers: &[(&'static str, &str)], body: &str) -> Captured {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Captured {
            method: reqwest::Method::POST,
            target: "/api/v1/poi/".into(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::copy_from_slice(body.as_bytes()),
            too_large: false,
        }
    }

    fn message(result: &CallToolResult) -> String {
        assert_eq!(result.is_error, Some(true), "a tool error, which the model reads");
        result.content[0].as_text().unwrap().text.clone()
    }

    fn ctx(response: ResponseKind, strict: bool) -> CallCtx {
        ctx_with(response, strict, None)
    }

    fn ctx_with(response: ResponseKind, strict: bool, output_schema: Option<&'static str>) -> CallCtx {
        crate::install_crypto_provider();
        let backend = Backend {
            base_url: "http://backend:8080".into(),
            http: reqwest::Client::new(),
            auth: None,
            timeout: std::time::Duration::from_secs(30),
            max_response_bytes: 1 << 20,
            strict_responses: strict,
            retries: 0,
            dry_run: false,
        };
        let op = Operation {
            name: "create_poi",
            method: Method::Post,
            path: "/api/v1/poi/",
            params: &[],
            body: Some(crate::codegen::ir::BodyKind::Json),
            response,
            output_schema,
        };
        CallCtx::new(op, Arc::new(backend), &Default::default(), HeaderMap::new())
    }

    #[test]
    fn a_detail_string_is_quoted() {
        let text = message(&backend_error(
            &ctx(ResponseKind::Object, false),
            &captured(404, &[], r#"{"detail": "POI not found"}"#),
        ));
        assert_eq!(text, "HTTP 404 Not Found from POST /api/v1/poi/: POI not found");
    }

    #[test]
    fn fastapi_validation_details_become_one_line_per_field() {
        let body = r#"{"detail": [
            {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
            {"loc": ["body", "identifiers", 2, "value"], "msg": "String should have at least 1 character"},
            {"msg": "no location"}
        ]}"#;
        let text = message(&backend_error(&ctx(ResponseKind::Object, false), &captured(422, &[], body)));
        assert_eq!(
            text,
            "HTTP 422 Unprocessable Entity from POST /api/v1/poi/: the backend rejected the request:\n\
             - body.name: Field required\n\
             - body.identifiers.2.value: String should have at least 1 character\n\
             - : no location"
        );
        // With the tool's plan, each field is named as the model's argument.
        let mut with_plan = ctx(ResponseKind::Object, false);
        let wire = json!({"type": "object", "properties": {"limit": {"type": "integer"}, "body": {"type": "object",
            "properties": {"name": {"type": "string"}, "identifiers": {"type": "array"}}}}});
        with_plan.plan = Some(Arc::new(crate::codegen::shape::Plan::new(&wire, false, None)));
        let body = r#"{"detail": [{"loc": ["body", "name"], "msg": "Field required"},
            {"loc": ["body", "identifiers", 2, "value"], "msg": "too short"}, {"loc": ["query", "limit"], "msg": "big"}]}"#;
        let text = message(&backend_error(&with_plan, &captured(422, &[], body)));
        assert!(text.ends_with("\n- name: Field required\n- identifiers.2.value: too short\n- limit: big"), "{text}");
    }

    #[test]
    fn retry_after_is_passed_on_for_429_and_503_only() {
        let text = message(&backend_error(
            &ctx(ResponseKind::Object, false),
            &captured(429, &[("retry-after", "7")], r#"{"detail": "slow down"}"#),
        ));
        assert!(text.ends_with("slow down (the backend asks to retry after 7 s)"), "{text}");
        let text =
            message(&backend_error(&ctx(ResponseKind::Object, false), &captured(503, &[("retry-after", "30")], "")));
        assert_eq!(text, "HTTP 503 Service Unavailable from POST /api/v1/poi/ (the backend asks to retry after 30 s)");
        let text =
            message(&backend_error(&ctx(ResponseKind::Object, false), &captured(500, &[("retry-after", "7")], "")));
        assert!(!text.contains("retry"), "{text}");
    }

    #[test]
    fn refused_backend_credentials_point_at_the_bridge_token() {
        for status in [401, 403] {
            let text = message(&backend_error(
                &ctx(ResponseKind::Object, false),
                &captured(status, &[], r#"{"detail": "Not authenticated"}"#),
            ));
            assert!(text.contains("Not authenticated") && text.contains("check VTOC_API_TOKEN"), "{text}");
        }
        assert!(
            !message(&backend_error(&ctx(ResponseKind::Object, false), &captured(404, &[], "")))
                .contains("VTOC_API_TOKEN")
        );
    }

    #[test]
    fn bodies_that_are_not_fastapi_errors_are_shown_bounded() {
        let text =
            message(&backend_error(&ctx(ResponseKind::Object, false), &captured(502, &[], "<html>bad gateway</html>")));
        assert_eq!(text, "HTTP 502 Bad Gateway from POST /api/v1/poi/: <html>bad gateway</html>");
        let text =
            message(&backend_error(&ctx(ResponseKind::Object, false), &captured(500, &[], r#"{"error": "boom"}"#)));
        assert!(text.ends_with(r#": {"error":"boom"}"#), "{text}");
        let long = "x".repeat(5000);
        let text = message(&backend_error(&ctx(ResponseKind::Object, false), &captured(500, &[], &long)));
        assert!(text.ends_with("… (5000 bytes in all)") && text.len() < 2200, "{}", text.len());
    }

    #[test]
    fn a_shape_mismatch_warns_and_returns_the_body_or_fails_when_strict() {
        let cap = captured(201, &[], r#"{"id": "not-a-number"}"#);
        let lenient = ctx(ResponseKind::Object, false);
        let result = success(&lenient, &cap, Some("invalid type: string, expected i64".into()));
        assert_eq!(result.is_error, Some(false));
        assert_eq!(result.structured_content, Some(json!({"id": "not-a-number"})));
        let notes = lenient.take_notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("does not match the API spec"), "{}", notes[0].message);

        let strict = ctx(ResponseKind::Object, true);
        let text = message(&success(&strict, &cap, Some("invalid type".into())));
        assert!(text.contains("does not match the API spec (invalid type)") && text.contains("strict"), "{text}");
    }

    #[test]
    fn bodies_that_are_not_json_keep_their_media_type() {
        let ctx = ctx(ResponseKind::Text, false);
        let csv = success(&ctx, &captured(200, &[("content-type", "text/csv; charset=utf-8")], "a,b\n1,2\n"), None);
        assert_eq!(csv.content.len(), 1);
        assert_eq!(csv.content[0].as_text().unwrap().text, "a,b\n1,2\n");
        let mut zip = captured(200, &[("content-type", "application/zip")], "");
        zip.body = Bytes::from_static(b"PK\x03\x04\xff\xfe");
        let result = success(&ctx, &zip, None);
        assert_eq!(result.is_error, Some(false));
        assert!(result.content[0].as_text().unwrap().text.contains("6 bytes of application/zip"));
        let attached = serde_json::to_value(&result.content[1]).unwrap();
        assert_eq!(attached["type"], "resource");
        assert_eq!(attached["resource"]["mimeType"], "application/zip");
        assert_eq!(attached["resource"]["blob"], "UEsDBP/+");
        assert_eq!(attached["resource"]["uri"], "http://backend:8080/api/v1/poi/");
        let mut png = captured(200, &[("content-type", "image/png")], "");
        png.body = Bytes::from_static(b"\x89PNG");
        let image = serde_json::to_value(&success(&ctx, &png, None).content[1]).unwrap();
        assert_eq!((image["type"].as_str(), image["mimeType"].as_str()), (Some("image"), Some("image/png")));
        // Bytes that claim to be text but are not UTF-8 are not mangled either.
        let mut bad = captured(200, &[("content-type", "text/plain")], "");
        bad.body = Bytes::from_static(b"\xff\xfe");
        assert_eq!(success(&ctx, &bad, None).content.len(), 2);
    }

    /// FastAPI sends naive date-times (no timezone) for naive values; chrono, in the typed
    /// client, refuses them. The spec's schema accepts them: strict mode passes them, and
    /// says so in the log. A body that does break the schema is named field by field.
    #[test]
    fn the_schema_judges_what_the_typed_client_cannot_read() {
        const SCHEMA: &str = r#"{"type":"object","properties":{"generated_at":{"type":"string","format":"date-time"},"count":{"type":"integer"}},"required":["generated_at","count"]}"#;
        let strict = ctx_with(ResponseKind::Object, true, Some(SCHEMA));
        let naive = captured(200, &[], r#"{"generated_at": "2026-11-27T10:00:00.123456", "count": 3}"#);
        let result = success(&strict, &naive, Some("premature end of input at line 1 column 42".into()));
        assert_eq!(result.is_error, Some(false), "{:?}", result.content);
        assert_eq!(result.structured_content.as_ref().unwrap()["generated_at"], "2026-11-27T10:00:00.123456");
        let notes = strict.take_notes();
        assert!(notes.len() == 1 && notes[0].message.contains("matches the API's schema"), "{notes:?}");
        let broken = captured(200, &[], r#"{"generated_at": "2026-11-27T10:00:00", "count": "three"}"#);
        let text = message(&success(&strict, &broken, Some("premature end of input at line 1 column 55".into())));
        assert!(text.contains("`count`: ") && text.contains("integer") && !text.contains("column"), "{text}");
    }

    #[test]
    fn a_body_of_the_wrong_shape_goes_out_as_text_not_structured() {
        let ctx = ctx(ResponseKind::Object, false);
        let result = success(&ctx, &captured(200, &[], "[1, 2]"), None);
        assert_eq!((result.is_error, result.structured_content.clone()), (Some(false), None));
        assert_eq!(result.content[0].as_text().unwrap().text, "[1,2]");
        let text = message(&success(&ctx, &captured(200, &[("content-type", "text/html")], "<html>"), None));
        assert!(text.contains("invalid JSON (text/html;") && text.ends_with(": <html>"), "{text}");
    }
}
