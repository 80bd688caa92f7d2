//! The runtime API that generated wrappers call, and nothing else: the tool table's
//! types and argument decoding; the result shaping lives in `outcome.rs`, re-exported here.
//!
//! Generated code stays a list of names; every decision with a branch in it lives in this
//! folder, where unit tests reach it.

use super::client::Client;
use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;

// The generated client's inner value is a `CallCtx` (progenitor's `with_inner_type`).
pub use super::exchange::{CallCtx, Operation, ResponseKind};
pub use super::outcome::{ArgError, CallOutcome, finish, json_of};
pub use super::upload::upload;
/// The wire argument that carries the request body.
pub use crate::codegen::ir::BODY_ARG;

/// A tool's HTTP method and its parameters' locations: the generator's own types, so the
/// runtime and the generator cannot disagree.
pub use crate::codegen::ir::{BodyKind, Location, Method};

/// A parameter of a tool, as the runtime needs it (audit targets, context).
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub location: Location,
}

/// MCP tool annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

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
    /// How the request body (the wire's `body`) is written; `None`: no body.
    pub body: Option<BodyKind>,
    /// The name the spec gives the body's schema (`Deployment`), when it names one: what
    /// the tool takes, in the API's words (search reads it).
    pub body_schema: Option<&'static str>,
    /// JSON Schema of the HTTP request (parameters, and the body under `body`): what
    /// arguments are validated against once mapped to the wire. The schema listed to
    /// clients is its view (`codegen::shape`).
    pub wire_schema: &'static str,
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

    /// An argument as the caller gave it.
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    pub fn req_str(&self, name: &str) -> Result<&'a str, ArgError> {
        match self.map.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(Value::Null) | None => Err(ArgError::new(name, "is required")),
            Some(other) => Err(ArgError::new(name, format!("expected a string, got {}", json_kind(other)))),
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
            Some(other) => Err(ArgError::new(name, format!("expected a string, got {}", json_kind(other)))),
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
    /// An optional request body: absent or `null` is none.
    pub fn opt_body<T: DeserializeOwned>(&self) -> Result<Option<T>, ArgError> {
        match self.map.get("body") {
            None | Some(Value::Null) => Ok(None),
            Some(value) => Self::decode("body", value).map(Some),
        }
    }

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

/// What a JSON value is, in words for a message ("a string", "an array").
pub use crate::codegen::shape::json_kind;

impl ToolSpec {
    /// The names of its path parameters, in order (what an audit line's `targets` hold).
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.params.iter().filter(|p| p.location == Location::Path).map(|p| p.name)
    }

    /// What an exchange with the backend needs to know of this tool.
    pub fn operation(&self) -> Operation {
        Operation {
            name: self.name,
            method: self.method,
            path: self.path,
            params: self.params,
            body: self.body,
            response: self.response,
            output_schema: self.output_schema,
        }
    }
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
