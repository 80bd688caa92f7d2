//! MCP resources and resource templates over the generated read-only tools.
//!
//! A resource read is a call of its tool through the one guarded call path (scope,
//! policy, validation, limits, context, audit): the URI's variables are the tool's path
//! parameters, and a query string (`vtoc://stations/ops-center/timeline?limit=5`) fills
//! its optional query parameters. What the tool returns is the resource's JSON.

use super::{Asker, Bridge, Origin};
use crate::bridge::support::{ResourceSpec, ToolSpec};
use crate::guard::policy::Scope;
use rmcp::ErrorData;
use rmcp::model::JsonObject;
use rmcp::model::{CallToolResponse, ReadResourceResult, ResourceContents};
use serde_json::Value;

/// Every resource the build generated.
pub fn all() -> impl Iterator<Item = &'static ResourceSpec> {
    crate::bridge::tools::RESOURCES.iter()
}

/// The variable that names a station and where its values are listed (the station
/// context's values, for a front end's picker), if a resource has one.
pub fn station_variable() -> Option<&'static crate::bridge::support::VariableSpec> {
    all().flat_map(|r| r.variables.iter()).find(|v| v.name.starts_with("station") && v.list_tool.is_some())
}

/// The resource (or template) `uri` names, and the tool arguments it stands for.
pub fn resolve(uri: &str) -> Option<(&'static ResourceSpec, JsonObject)> {
    let (path, query) = match uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (uri, None),
    };
    let (spec, mut arguments) = all().find_map(|spec| match_template(spec, path).map(|args| (spec, args)))?;
    if let Some(query) = query {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if spec.variables.iter().any(|v| v.name == key) {
                return None;
            }
            arguments.insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }
    Some((spec, arguments))
}

/// Segment by segment: literals equal, each `{variable}` one non-empty segment
/// (percent-decoded).
fn match_template(spec: &ResourceSpec, uri: &str) -> Option<JsonObject> {
    let (scheme, rest) = spec.uri.split_once("://")?;
    let given = uri.strip_prefix(scheme)?.strip_prefix("://")?;
    let pattern: Vec<&str> = rest.split('/').collect();
    let segments: Vec<&str> = given.split('/').collect();
    if pattern.len() != segments.len() {
        return None;
    }
    let mut arguments = JsonObject::new();
    for (p, s) in pattern.iter().zip(&segments) {
        match p.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            Some(variable) => {
                if s.is_empty() {
                    return None;
                }
                let value = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
                arguments.insert(variable.to_string(), Value::String(value.into_owned()));
            }
            None if p == s => {}
            None => return None,
        }
    }
    Some(arguments)
}

/// URI text → the JSON types the tool's `inputSchema` declares (`poi_id` is an integer).
/// A value that does not parse stays a string, so validation names it.
pub fn typed(tool: &ToolSpec, arguments: JsonObject) -> JsonObject {
    let schema: Value = serde_json::from_str(tool.wire_schema).unwrap_or_default();
    arguments
        .into_iter()
        .map(|(name, value)| {
            let Value::String(text) = &value else { return (name, value) };
            let declared = schema.pointer(&format!("/properties/{name}/type"));
            let is = |t: &str| match declared {
                Some(Value::String(d)) => d == t,
                Some(Value::Array(ds)) => ds.iter().any(|d| d == t),
                _ => false,
            };
            let converted = if is("integer") {
                text.parse::<i64>().ok().map(Value::from)
            } else if is("number") {
                text.parse::<f64>().ok().map(Value::from)
            } else if is("boolean") {
                text.parse::<bool>().ok().map(Value::from)
            } else {
                None
            };
            (name, converted.unwrap_or(value))
        })
        .collect()
}

/// The URI of a template filled with `values` (percent-encoded), e.g. for a prompt that
/// embeds `vtoc://stations/{station_slug}`.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    values.iter().fold(template.to_string(), |uri, (name, value)| {
        uri.replace(&format!("{{{name}}}"), &percent_encoding::utf8_percent_encode(value, SEGMENT).to_string())
    })
}

/// A resource or template of a tool the caller may call.
fn visible(bridge: &Bridge, spec: &ResourceSpec, scope: Scope) -> bool {
    crate::bridge::tools::all()
        .find(|t| t.name == spec.tool)
        .is_some_and(|tool| bridge.guardrails().policy.permits(tool, scope).is_ok())
}

/// The description, MIME type and title of a resource or template: rmcp's two types share
/// these builder methods but no trait.
macro_rules! described {
    ($new:expr, $spec:expr) => {{
        let (out, spec) = ($new, $spec);
        let out = out.with_description(spec.description).with_mime_type("application/json");
        match spec.title {
            Some(title) => out.with_title(title),
            None => out,
        }
    }};
}

impl Bridge {
    /// The resources (`templates == false`: no variables) or templates a caller with `scope`
    /// may read.
    fn readable(&self, scope: Scope, templates: bool) -> impl Iterator<Item = &'static ResourceSpec> + '_ {
        all().filter(move |r| r.variables.is_empty() != templates && visible(self, r, scope))
    }

    /// `resources/list`: the listed resources (no variables) a caller with `scope` may read.
    pub fn resources_for(&self, scope: Scope) -> Vec<rmcp::model::Resource> {
        self.readable(scope, false).map(|r| described!(rmcp::model::Resource::new(r.uri, r.name), r)).collect()
    }

    /// `resources/templates/list`: the templates a caller with `scope` may read.
    pub fn templates_for(&self, scope: Scope) -> Vec<rmcp::model::ResourceTemplate> {
        self.readable(scope, true).map(|r| described!(rmcp::model::ResourceTemplate::new(r.uri, r.name), r)).collect()
    }

    /// `resources/read`: the tool behind `uri`, through every guardrail. Errors are
    /// JSON-RPC errors (resources have no `isError`): `-32602` with `data.uri` for a URI
    /// that names nothing (SEP-2164), for arguments the tool refuses and for a backend 404;
    /// `-32600` when a guardrail refuses; `-32603` when the backend fails. Each message is
    /// the one the tool would have given.
    pub async fn read(&self, uri: &str, asker: &Asker, origin: Origin) -> Result<ReadResourceResult, ErrorData> {
        let not_found = |why: String| ErrorData::invalid_params(why, Some(serde_json::json!({ "uri": uri })));
        let Some((spec, arguments)) = resolve(uri) else {
            return Err(not_found(format!(
                "no resource {uri}; resources/list and resources/templates/list show what there is"
            )));
        };
        let Some(tool) = crate::bridge::tools::all().find(|t| t.name == spec.tool) else {
            return Err(not_found(format!("no resource {uri}")));
        };
        let ran = self.run(asker.request(spec.tool, typed(tool, arguments), origin)).await?;
        let CallToolResponse::Complete(result) = ran.response else {
            return Err(ErrorData::internal_error(format!("reading {uri} asked for input"), None));
        };
        let text: String =
            result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.as_str())).collect::<Vec<_>>().join("\n");
        if result.is_error == Some(true) {
            let data = |status: Option<u16>| serde_json::json!({ "uri": uri, "tool": spec.tool, "status": status });
            let violations = result.meta.as_ref().and_then(|m| m.0.get(crate::bridge::call::VIOLATIONS_META)).cloned();
            return Err(match (ran.status, violations) {
                (_, Some(v)) => {
                    let mut d = data(None);
                    d["violations"] = v;
                    ErrorData::invalid_params(format!("cannot read {uri}: {text}"), Some(d))
                }
                (Some(404), _) => {
                    ErrorData::invalid_params(format!("resource not found: {uri}: {text}"), Some(data(Some(404))))
                }
                (Some(status), _) => {
                    ErrorData::internal_error(format!("reading {uri} failed: {text}"), Some(data(Some(status))))
                }
                (None, _) => ErrorData::invalid_request(format!("reading {uri} was refused: {text}"), Some(data(None))),
            });
        }
        // The resource is the backend's JSON: the object itself, or the value inside the
        // `{"result": …}` envelope that tools use for non-object results.
        let body = match (&result.structured_content, tool.response) {
            (Some(v), crate::bridge::support::ResponseKind::Wrapped) => v.get(crate::codegen::ir::RESULT_KEY).cloned(),
            (Some(v), _) => Some(v.clone()),
            (None, _) => None,
        };
        let contents = match body {
            Some(v) => ResourceContents::text(v.to_string(), uri).with_mime_type("application/json"),
            None => ResourceContents::text(text, uri),
        };
        Ok(ReadResourceResult::new(vec![contents]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn by_uri(uri: &str) -> Option<(&'static str, Value)> {
        resolve(uri).map(|(spec, args)| (spec.tool, Value::Object(args)))
    }

    /// Picked by role, not by name, so these hold whatever the spec contains.
    fn template() -> &'static ResourceSpec {
        all().find(|r| !r.variables.is_empty()).expect("the spec has a read-by-id operation")
    }

    #[test]
    fn uris_resolve_to_their_tool_and_arguments() {
        let t = template();
        let values: Vec<(&str, &str)> = t.variables.iter().map(|v| (v.name, "ops center/1")).collect();
        let uri = fill(t.uri, &values);
        assert!(uri.contains("ops%20center%2F1") && !uri.contains('{'), "{uri}");
        let expected: serde_json::Map<String, Value> =
            t.variables.iter().map(|v| (v.name.to_string(), json!("ops center/1"))).collect();
        assert_eq!(by_uri(&uri), Some((t.tool, Value::Object(expected.clone()))));
        // A query string fills other arguments, never a path variable.
        let mut with_limit = expected.clone();
        with_limit.insert("limit".into(), json!("5"));
        assert_eq!(by_uri(&format!("{uri}?limit=5")), Some((t.tool, Value::Object(with_limit))));
        assert_eq!(by_uri(&format!("{uri}?{}=x", t.variables[0].name)), None);
        // A listed resource; what does not match.
        let list = all().find(|r| r.variables.is_empty()).expect("the spec has a collection");
        assert_eq!(by_uri(list.uri).map(|(tool, _)| tool), Some(list.tool));
        let empty: Vec<(&str, &str)> = t.variables.iter().map(|v| (v.name, "")).collect();
        assert_eq!(by_uri(&fill(t.uri, &empty)), None, "an empty segment");
        let scheme = t.uri.split("://").next().unwrap();
        assert_eq!(by_uri(&format!("{scheme}://no/such/resource/at/all")), None);
        assert_eq!(by_uri(&t.uri.replacen(scheme, "other", 1)), None);
    }

    #[test]
    fn values_take_the_declared_types() {
        let tool = ToolSpec {
            wire_schema: r#"{"type":"object","properties":{"id":{"type":"integer"},"on":{"type":["boolean","null"]},"s":{"type":"string"},"n":{"type":"integer"}}}"#,
            ..*crate::bridge::tools::all().next().unwrap()
        };
        let args = json!({"id": "7", "on": "true", "s": "7", "n": "seven"}).as_object().cloned().unwrap();
        assert_eq!(Value::Object(typed(&tool, args)), json!({"id": 7, "on": true, "s": "7", "n": "seven"}));
    }
}
