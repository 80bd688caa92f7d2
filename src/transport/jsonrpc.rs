//! JSON-RPC at the protocol level, before rmcp: every message a client sends, over HTTP
//! or stdio, is checked here once, so malformed input gets the error code JSON-RPC 2.0
//! and MCP prescribe (and an answer at all: rmcp drops what it cannot parse on stdio and
//! answers HTTP with a plain-text 415).
//!
//! - not JSON: `-32700` (parse error), id `null`;
//! - a batch, a non-object, no `"jsonrpc": "2.0"`, a request id that is `null` or not a
//!   string or number, a method that is not a string: `-32600` (invalid request);
//! - a request for a method this server does not offer: `-32601`, naming what it offers;
//! - `params` that are not an object, and the params of `tools/call`, `resources/read`,
//!   `prompts/get` and `completion/complete` that lack what the method needs: `-32602`.
//!
//! Anything else passes through unchanged: notifications of any kind, responses to the
//! server's own requests (elicitation), and well-formed requests.

use crate::bridge::discover::CALL_TOOL;
use serde_json::{Value, json};

/// The requests this server answers (MCP 2024-11-05 to 2026-07-28, as offered).
pub const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
];

pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;
pub const METHOD_NOT_FOUND: i32 = -32601;
pub const INVALID_PARAMS: i32 = -32602;

/// A message refused at the protocol level: answer `response()` and go no further.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The request's id when it could be read, else `null`.
    pub id: Value,
    pub code: i32,
    pub message: String,
}

impl Rejection {
    fn new(id: Value, code: i32, message: impl Into<String>) -> Rejection {
        Rejection { id, code, message: message.into() }
    }

    /// The JSON-RPC error response.
    pub fn response(&self) -> Value {
        json!({"jsonrpc": "2.0", "id": self.id, "error": {"code": self.code, "message": self.message}})
    }
}

/// What an accepted message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request (it has an id): its method.
    Request(String),
    Notification(String),
    /// A response to a request of the server's.
    Response,
}

/// An accepted message: what it is, and for `tools/call` the tool it names (and for a
/// call of `call_tool`, the tool that one names in `arguments.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: Kind,
    pub tool: Option<String>,
    pub inner: Option<String>,
}

/// Check one message. `Ok` lets it through to rmcp.
///
/// The usual, well-formed message is read once, borrowing from the bytes ([`accept`]);
/// anything that read cannot vouch for is parsed whole and classified ([`classify`]),
/// which is where every rejection is decided.
pub fn check(bytes: &[u8]) -> Result<Checked, Rejection> {
    match accept(bytes) {
        Some(checked) => Ok(checked),
        None => classify(bytes),
    }
}

/// The parts of a message the check reads, borrowed.
#[derive(serde::Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    jsonrpc: Option<std::borrow::Cow<'a, str>>,
    // `present`: a member that is there but `null` is `Some("null")`, not absent.
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a serde_json::value::RawValue>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de serde_json::value::RawValue>, D::Error> {
    <&serde_json::value::RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

#[derive(serde::Deserialize)]
struct Params<'a> {
    #[serde(borrow)]
    name: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    arguments: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    uri: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, rename = "ref")]
    reference: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    argument: Option<&'a serde_json::value::RawValue>,
}

/// The first byte of a raw JSON value tells its type.
fn starts(raw: Option<&serde_json::value::RawValue>, with: &[u8]) -> bool {
    raw.and_then(|r| r.get().as_bytes().first()).is_some_and(|b| with.contains(b))
}

const OBJECT: &[u8] = b"{";
const STRING: &[u8] = b"\"";
const NUMBER: &[u8] = b"-0123456789";

/// `Some` only for a message that is certainly well-formed.
fn accept(bytes: &[u8]) -> Option<Checked> {
    let m: Message<'_> = serde_json::from_slice(bytes).ok()?;
    if m.jsonrpc.as_deref() != Some("2.0") {
        return None;
    }
    let Some(method) = m.method else {
        return (m.id.is_some() && (m.result.is_some() || m.error.is_some())).then_some(Checked {
            kind: Kind::Response,
            tool: None,
            inner: None,
        });
    };
    let Some(id) = m.id else {
        return Some(Checked { kind: Kind::Notification(method.into_owned()), tool: None, inner: None });
    };
    if !starts(Some(id), STRING) && !starts(Some(id), NUMBER) || !METHODS.contains(&&*method) {
        return None;
    }
    if m.params.is_some() && !starts(m.params, OBJECT) {
        return None;
    }
    let params: Option<Params<'_>> = match m.params {
        Some(raw) => Some(serde_json::from_str(raw.get()).ok()?),
        None => None,
    };
    let p = params.as_ref();
    let mut tool = None;
    let mut inner = None;
    let ok = match &*method {
        "tools/call" => {
            let arguments = p.and_then(|p| p.arguments);
            let arguments_ok =
                arguments.is_none() || starts(arguments, OBJECT) || arguments.is_some_and(|a| a.get() == "null");
            let name = p.and_then(|p| p.name);
            tool = name.and_then(|n| serde_json::from_str::<String>(n.get()).ok());
            if tool.as_deref() == Some(CALL_TOOL) && starts(arguments, OBJECT) {
                #[derive(serde::Deserialize)]
                struct Named {
                    name: Option<String>,
                }
                inner = arguments.and_then(|a| serde_json::from_str::<Named>(a.get()).ok()).and_then(|n| n.name);
            }
            starts(name, STRING) && arguments_ok
        }
        "resources/read" => starts(p.and_then(|p| p.uri), STRING),
        "prompts/get" => starts(p.and_then(|p| p.name), STRING),
        "completion/complete" => {
            starts(p.and_then(|p| p.reference), OBJECT) && starts(p.and_then(|p| p.argument), OBJECT)
        }
        _ => true,
    };
    ok.then(|| Checked { kind: Kind::Request(method.into_owned()), tool, inner })
}

/// The whole message, parsed and classified: the reason it is refused, or what it is.
fn classify(bytes: &[u8]) -> Result<Checked, Rejection> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Rejection::new(Value::Null, PARSE_ERROR, format!("Parse error: the body is not valid JSON ({e})"))
    })?;
    let Value::Object(message) = &value else {
        let what = if value.is_array() {
            "Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); send one message per request"
        } else {
            "Invalid Request: a JSON-RPC message is a JSON object"
        };
        return Err(Rejection::new(Value::Null, INVALID_REQUEST, what));
    };
    let id = message.get("id").cloned();
    let echo = id.clone().filter(|i| i.is_string() || i.is_number()).unwrap_or(Value::Null);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(Rejection::new(echo, INVALID_REQUEST, "Invalid Request: `jsonrpc` must be \"2.0\""));
    }
    let Some(method) = message.get("method") else {
        // A response to one of the server's requests.
        return if id.is_some() && (message.contains_key("result") || message.contains_key("error")) {
            Ok(Checked { kind: Kind::Response, tool: None, inner: None })
        } else {
            Err(Rejection::new(
                echo,
                INVALID_REQUEST,
                "Invalid Request: a message needs a `method` (a request or notification) or an `id` with `result` or `error` (a response)",
            ))
        };
    };
    let Some(method) = method.as_str() else {
        return Err(Rejection::new(echo, INVALID_REQUEST, "Invalid Request: `method` must be a string"));
    };
    let params = message.get("params");
    let Some(id) = id else {
        // Notifications are never answered, whatever they carry.
        return Ok(Checked { kind: Kind::Notification(method.to_string()), tool: None, inner: None });
    };
    if !(id.is_string() || id.is_number()) {
        return Err(Rejection::new(
            Value::Null,
            INVALID_REQUEST,
            format!("Invalid Request: the request id must be a string or a number, not {id}"),
        ));
    }
    if !METHODS.contains(&method) {
        return Err(Rejection::new(
            id,
            METHOD_NOT_FOUND,
            format!("Method not found: `{method}`; this server answers {}", METHODS.join(", ")),
        ));
    }
    if let Some(p) = params
        && !p.is_object()
    {
        return Err(Rejection::new(
            id,
            INVALID_PARAMS,
            format!("Invalid params: `params` of {method} must be an object"),
        ));
    }
    let field = |name: &str| params.and_then(|p| p.get(name));
    let problem = match method {
        "tools/call" => match (field("name"), field("arguments")) {
            (None, _) => Some("`params.name` (the tool to call) is missing".to_string()),
            (Some(n), _) if !n.is_string() => Some("`params.name` must be a string".to_string()),
            (_, Some(a)) if !a.is_object() && !a.is_null() => Some(format!(
                "`params.arguments` must be an object of the tool's arguments, not {}",
                crate::bridge::support::json_kind(a)
            )),
            _ => None,
        },
        "resources/read" => {
            (!field("uri").is_some_and(Value::is_string)).then(|| "`params.uri` must be a string".into())
        }
        "prompts/get" => {
            (!field("name").is_some_and(Value::is_string)).then(|| "`params.name` must be a string".into())
        }
        "completion/complete" => (!field("ref").is_some_and(Value::is_object)
            || !field("argument").is_some_and(Value::is_object))
        .then(|| "`params.ref` and `params.argument` must be objects".into()),
        _ => None,
    };
    match problem {
        Some(p) => Err(Rejection::new(id, INVALID_PARAMS, format!("Invalid params for {method}: {p}"))),
        None => {
            let tool =
                (method == "tools/call").then(|| field("name").and_then(Value::as_str).map(str::to_owned)).flatten();
            let inner = (tool.as_deref() == Some(CALL_TOOL))
                .then(|| field("arguments").and_then(|a| a.get("name")).and_then(Value::as_str).map(str::to_owned))
                .flatten();
            Ok(Checked { kind: Kind::Request(method.to_string()), tool, inner })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> (i32, Value) {
        assert!(accept(body.as_bytes()).is_none(), "the fast path vouched for {body}");
        let r = check(body.as_bytes()).unwrap_err();
        (r.code, r.id)
    }

    #[test]
    fn malformed_messages_get_their_codes() {
        assert_eq!(code(r#"{"jsonrpc":"#), (PARSE_ERROR, Value::Null));
        assert_eq!(code(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#), (INVALID_REQUEST, Value::Null));
        assert_eq!(code(r#""ping""#), (INVALID_REQUEST, Value::Null));
        assert_eq!(code(r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#), (INVALID_REQUEST, json!(3)));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#), (INVALID_REQUEST, Value::Null));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#), (INVALID_REQUEST, Value::Null));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":4,"method":7}"#), (INVALID_REQUEST, json!(4)));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":5}"#), (INVALID_REQUEST, json!(5)));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":"x","method":"tools/frobnicate"}"#), (METHOD_NOT_FOUND, json!("x")));
        for params in [
            r#"[1]"#,
            r#"{"name":"get_poi","arguments":[1]}"#,
            r#"{"name":"get_poi","arguments":"poi_id=1"}"#,
            r#"{"arguments":{}}"#,
            r#"{"name":7}"#,
        ] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{params}}}"#);
            assert_eq!(code(&body), (INVALID_PARAMS, json!(9)), "{params}");
        }
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call"}"#), (INVALID_PARAMS, json!(9)));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{}}"#),
            (INVALID_PARAMS, json!(9))
        );
    }

    #[test]
    fn good_messages_pass() {
        let ok = |b: &str| {
            let fast = check(b.as_bytes()).unwrap();
            assert_eq!(fast, classify(b.as_bytes()).unwrap(), "both readings agree on {b}");
            fast.kind
        };
        assert_eq!(
            ok(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#),
            Kind::Request("tools/call".into())
        );
        assert_eq!(
            ok(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":null}}"#),
            Kind::Request("tools/call".into())
        );
        assert_eq!(
            ok(r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":[1]}"#),
            Kind::Notification("notifications/whatever".into())
        );
        assert_eq!(ok(r#"{"jsonrpc":"2.0","id":"e1","result":{"action":"accept"}}"#), Kind::Response);
        assert_eq!(ok(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#), Kind::Request("tools/list".into()));
        let call =
            check(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_\u0070oi","arguments":{}}}"#);
        assert_eq!(call.unwrap().tool.as_deref(), Some("get_poi"), "escapes are read");
        // `call_tool`'s tool, read by both paths; another tool's `name` argument is not one.
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"call_tool","arguments":{"name":"delete_poi","arguments":{"poi_id":1}}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"call_tool","arguments":{"name":"delete_poi"},"_meta":7}}"#,
        ] {
            let c = check(body.as_bytes()).unwrap();
            assert_eq!(c.inner.as_deref(), Some("delete_poi"), "{body}");
            assert_eq!(c, classify(body.as_bytes()).unwrap());
        }
        let named = check(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_deployment_by_name","arguments":{"name":"etl"}}}"#);
        assert_eq!(named.unwrap().inner, None);
        let r = check(br#"{"jsonrpc":"2.0","id":"x","method":"nope"}"#).unwrap_err();
        assert!(r.message.contains("`nope`") && r.message.contains("tools/call"), "{}", r.message);
        assert_eq!(r.response()["error"]["code"], -32601);
    }
}
