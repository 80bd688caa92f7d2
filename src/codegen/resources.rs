//! Tools → MCP resources: which read-only operations an agent (or its host) can also read
//! as data, under which URI, and where each URI variable's values can be listed for
//! completion.
//!
//! The rules, in one place:
//! - a tool is a resource when it is a read-only GET with a JSON result whose only
//!   required arguments are path parameters (an override can leave it out or rename it);
//! - its URI is `<scheme>://` plus its path without a leading `api` segment and version
//!   segment (`/api/v1/stations/{station_slug}` → `vtoc://stations/{station_slug}`); a path
//!   parameter becomes an RFC 6570 level-1 variable, so paths with parameters are resource
//!   templates and the others are listed resources; when two tools would share a URI, both
//!   keep their whole path;
//! - a variable completes from the list operation of the collection it sits in (`GET
//!   /api/v1/stations/` for `{station_slug}`): the value is the item field the variable
//!   names (`station_slug` → `slug`, `poi_id` → `id`), the label the item's `name`,
//!   `title`, `label` or `identifier_value`.

use super::Problem;
use super::ir::{Method, Resource, ResponseShape, Tool, VariableSource};
use super::overrides::{Overrides, ResourceOverride};
use serde_json::Value;
use std::collections::BTreeMap;

/// Item fields that name an item for a person, most telling first.
const LABEL_FIELDS: &[&str] = &["name", "title", "label", "display_name", "identifier_value", "callsign"];

/// The default URI scheme: the first word of the spec's title, lower-cased (`vTOC API` →
/// `vtoc`).
pub fn default_scheme(title: &str) -> String {
    let word: String =
        title.split_whitespace().next().unwrap_or("api").chars().filter(char::is_ascii_alphanumeric).collect();
    if word.is_empty() { "api".into() } else { word.to_ascii_lowercase() }
}

pub fn lower(tools: &[Tool], overrides: &Overrides, title: &str) -> Result<Vec<Resource>, Vec<Problem>> {
    let scheme = overrides.uri_scheme.clone().unwrap_or_else(|| default_scheme(title));
    let mut problems = Vec::new();
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        problems.push(Problem::global(format!(
            "openapi/mcp-overrides.json: `uri_scheme` {scheme:?} is not a URI scheme (letters, digits, `+`, `-`, `.`)"
        )));
        return Err(problems);
    }
    let mut out: Vec<Resource> = Vec::new();
    for tool in tools.iter().filter(|t| is_resource(t)) {
        let custom = match overrides.operations.get(&tool.operation_id).and_then(|o| o.resource.clone()) {
            Some(ResourceOverride::Enabled(false)) => continue,
            Some(ResourceOverride::Custom(fields)) => Some(fields),
            _ => None,
        };
        let variables: Vec<String> = template_variables(&tool.path);
        let uri = match custom.as_ref().and_then(|c| c.uri.clone()) {
            Some(uri) => {
                if template_variables(&uri) != variables || !uri.starts_with(&format!("{scheme}://")) {
                    problems.push(Problem::operation(
                        &format!("`{}` ({} {})", tool.operation_id, tool.method.as_str(), tool.path),
                        format!(
                            "resource uri {uri:?} must start with `{scheme}://` and use the path parameters {{{}}} in order",
                            variables.join("}, {")
                        ),
                    ));
                    continue;
                }
                uri
            }
            None => format!("{scheme}://{}", short_path(&tool.path)),
        };
        out.push(Resource {
            uri,
            name: custom.as_ref().and_then(|c| c.name.clone()).unwrap_or_else(|| tool.name.clone()),
            title: tool.title.clone(),
            description: custom
                .as_ref()
                .and_then(|c| c.description.clone())
                .unwrap_or_else(|| tool.description.clone()),
            tool: tool.name.clone(),
            variables: variables.iter().map(|v| completion_for(tool, v, tools)).collect(),
        });
    }
    // Two tools under one short URI: both take their whole path.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &out {
        *seen.entry(r.uri.clone()).or_default() += 1;
    }
    for r in &mut out {
        if seen[&r.uri] > 1
            && let Some(tool) = tools.iter().find(|t| t.name == r.tool)
        {
            r.uri = format!("{scheme}://{}", tool.path.trim_matches('/'));
        }
    }
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &out {
        if let Some(other) = names.insert(&r.uri, &r.tool) {
            problems.push(Problem::global(format!(
                "tools `{other}` and `{}` would both be the resource {}; give one a `resource` `uri` in openapi/mcp-overrides.json",
                r.tool, r.uri
            )));
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn is_resource(t: &Tool) -> bool {
    t.method == Method::Get
        && t.annotations.read_only_hint
        && t.body.is_none()
        && matches!(t.response, ResponseShape::Object { .. } | ResponseShape::Wrapped { .. })
        && t.params.iter().all(|p| !p.required || p.location == super::ir::Location::Path)
}

/// `{name}`s of a path or URI template, in order.
pub fn template_variables(template: &str) -> Vec<String> {
    template.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string())).collect()
}

/// `/api/v1/stations/{station_slug}/` → `stations/{station_slug}`.
fn short_path(path: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first().is_some_and(|s| s.eq_ignore_ascii_case("api")) && segments.len() > 1 {
        segments.remove(0);
    }
    if segments.first().is_some_and(|s| is_version(s)) && segments.len() > 1 {
        segments.remove(0);
    }
    segments.join("/")
}

fn is_version(segment: &str) -> bool {
    segment.strip_prefix(['v', 'V']).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Where the values of `variable` (a path parameter of `tool`) can be listed.
fn completion_for(tool: &Tool, variable: &str, tools: &[Tool]) -> VariableSource {
    let none =
        || VariableSource { name: variable.to_string(), list_tool: None, value_field: None, label_fields: vec![] };
    let Some(at) = tool.path.find(&format!("/{{{variable}}}")) else { return none() };
    let collection = &tool.path[..at];
    let preceding = template_variables(collection);
    let list = tools.iter().find(|t| {
        t.method == Method::Get
            && (t.path == collection || t.path.trim_end_matches('/') == collection)
            && t.params.iter().filter(|p| p.required).all(|p| preceding.contains(&p.wire_name))
    });
    let Some(list) = list else { return none() };
    let Some(item) = list_item_properties(list) else { return none() };
    let value = [variable.to_string(), suffix_field(variable, "_slug", "slug"), suffix_field(variable, "_id", "id")]
        .into_iter()
        .find(|f| !f.is_empty() && item.contains_key(f));
    let Some(value) = value else { return none() };
    let labels =
        LABEL_FIELDS.iter().filter(|f| **f != value && item.contains_key(**f)).map(|f| f.to_string()).collect();
    VariableSource {
        name: variable.to_string(),
        list_tool: Some(list.name.clone()),
        value_field: Some(value),
        label_fields: labels,
    }
}

fn suffix_field(variable: &str, suffix: &str, field: &str) -> String {
    if variable.ends_with(suffix) { field.to_string() } else { String::new() }
}

/// The properties of the items a list tool returns (`{"result": [ {...} ]}`).
fn list_item_properties(tool: &Tool) -> Option<&serde_json::Map<String, Value>> {
    let schema = tool.output_schema.as_ref()?;
    let result = schema.pointer("/properties/result")?;
    let is_array = match result.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
        _ => false,
    };
    if !is_array {
        return None;
    }
    result.pointer("/items/properties")?.as_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_and_schemes() {
        assert_eq!(short_path("/api/v1/stations/"), "stations");
        assert_eq!(short_path("/api/v1/stations/{station_slug}/timeline"), "stations/{station_slug}/timeline");
        assert_eq!(short_path("/healthz"), "healthz");
        assert_eq!(short_path("/v2/models"), "models");
        assert_eq!(short_path("/api"), "api");
        assert_eq!(default_scheme("vTOC API"), "vtoc");
        assert_eq!(default_scheme(""), "api");
        assert_eq!(template_variables("/a/{x}/b/{y}"), ["x", "y"]);
    }
}
