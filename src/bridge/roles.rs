//! Tools by what they do, not by what they are called.
//!
//! Tests, benchmarks and the soak that are not about vTOC's contract need "a list", "a
//! read by id", "a POST with a body", "a destructive DELETE", not `list_poi`. They ask
//! here, and the answer comes from the generated tool table, so renaming an operation in
//! the backend changes which name they call and nothing else. (What agents rely on by
//! name is pinned in one place: `tests/e2e/contract.rs`.)
//!
//! A [`Collection`] is the REST shape FastAPI apps share: `GET /things` lists,
//! `POST /things` creates, and `GET`/`PATCH`/`DELETE /things/{id}` read, update and delete
//! one. [`collection`] picks the richest one: complete first, then the one with the most
//! operations under its item path, then the first in the spec's order. The choice depends
//! only on methods, paths and annotations.

use crate::bridge::support::{BodyKind, Location, Method, ToolSpec};
use serde_json::{Value, json};

/// One REST collection of the API, as tools.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    /// `GET /things`: lists them.
    pub list: &'static ToolSpec,
    /// `GET /things/{id}`: reads one.
    pub read: &'static ToolSpec,
    /// `POST /things`: creates one, from a JSON body.
    pub create: Option<&'static ToolSpec>,
    /// `PATCH` (or `PUT`) `/things/{id}`.
    pub update: Option<&'static ToolSpec>,
    /// `DELETE /things/{id}` (destructive).
    pub delete: Option<&'static ToolSpec>,
    /// The name of the item's path parameter (`poi_id`).
    pub id: &'static str,
}

impl Collection {
    /// Whether every operation is there.
    pub fn is_complete(&self) -> bool {
        self.create.is_some() && self.update.is_some() && self.delete.is_some()
    }

    /// `{"<id>": id}`: the arguments that name item `id`.
    pub fn item(&self, id: impl Into<serde_json::Value>) -> serde_json::Value {
        let mut args = serde_json::Map::new();
        args.insert(self.id.to_string(), id.into());
        serde_json::Value::Object(args)
    }
}

/// `/things/{id}` → (`/things`, `id`) when the last segment is the only path parameter.
fn item_path(tool: &ToolSpec) -> Option<(&'static str, &'static str)> {
    let mut params = tool.path_params();
    let (id, None) = (params.next()?, params.next()) else { return None };
    let path: &'static str = tool.path;
    let (parent, last) = path.rsplit_once('/')?;
    (last == format!("{{{id}}}")).then_some((parent, id))
}

/// The same path, ignoring one trailing slash (`/api/v1/stations/` lists `/api/v1/stations`).
fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn at(tools: &[&'static ToolSpec], method: Method, path: &str) -> Option<&'static ToolSpec> {
    tools.iter().copied().find(|t| t.method == method && same(t.path, path) && !t.operation_id.starts_with("custom:"))
}

/// Every collection of `tools` (in the spec's order of their read operation).
pub fn collections_of(tools: &[&'static ToolSpec]) -> Vec<Collection> {
    tools
        .iter()
        .copied()
        .filter(|t| t.method == Method::Get && t.hints.read_only && !t.operation_id.starts_with("custom:"))
        .filter_map(|read| {
            let (parent, id) = item_path(read)?;
            let list = at(tools, Method::Get, parent).filter(|l| l.path_params().next().is_none())?;
            let create = at(tools, Method::Post, parent).filter(|c| c.body == Some(BodyKind::Json));
            let update = at(tools, Method::Patch, read.path).or_else(|| at(tools, Method::Put, read.path));
            let delete = at(tools, Method::Delete, read.path).filter(|d| d.hints.destructive);
            Some(Collection { list, read, create, update, delete, id })
        })
        .collect()
}

/// Operations under a collection's item path (`/poi/{poi_id}/…`): how much of the API it
/// carries.
fn weight(tools: &[&'static ToolSpec], c: &Collection) -> usize {
    tools.iter().filter(|t| t.path.starts_with(c.read.path)).count()
}

/// The richest collection of `tools`: complete first, then the most operations under its
/// item path, then the first in the spec's order.
pub fn richest(tools: &[&'static ToolSpec]) -> Option<Collection> {
    let all = collections_of(tools);
    let best = all.iter().map(|c| (c.is_complete(), weight(tools, c))).max()?;
    all.into_iter().find(|c| (c.is_complete(), weight(tools, c)) == best)
}

/// The richest collection of the compiled API (see the module docs).
pub fn collection() -> Option<Collection> {
    richest(&crate::bridge::tools::all().collect::<Vec<_>>())
}

/// A read-only tool whose backend reads the mission context (its `context` argument), if
/// any: the first in the spec's order.
pub fn reads_context() -> Option<&'static ToolSpec> {
    crate::bridge::tools::all().find(|t| t.hints.read_only && !t.context.is_empty())
}

/// A read-only GET of one item named by a string path parameter (`/stations/{station_slug}`),
/// if any: the first in the spec's order.
pub fn read_by_name() -> Option<(&'static ToolSpec, &'static str)> {
    crate::bridge::tools::all().find_map(|t| {
        let (_, id) = item_path(t).filter(|_| t.method == Method::Get && t.hints.read_only)?;
        let schema: serde_json::Value = serde_json::from_str(t.wire_schema).ok()?;
        (schema["properties"][id]["type"] == "string").then_some((t, id))
    })
}

/// A value the schema accepts: the first enum value, a default, or one of the type's.
pub fn sample(schema: &Value, defs: &Value) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return sample(&defs[name], defs);
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) =
            schema.get(key).and_then(Value::as_array).and_then(|b| b.iter().find(|b| b["type"] != "null"))
        {
            return sample(first, defs);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("integer") => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1).max(1)),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => json!("123e4567-e89b-12d3-a456-426614174000"),
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            _ => json!("x".repeat(schema.get("minLength").and_then(Value::as_u64).unwrap_or(1).max(1) as usize)),
        },
        _ => {
            let mut out = serde_json::Map::new();
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                out.insert(name.to_string(), sample(&schema["properties"][name], defs));
            }
            Value::Object(out)
        }
    }
}

/// Arguments a tool accepts, as a model sends them (the body's fields as arguments, see
/// `codegen::shape`): [`wire_arguments`] through the tool's plan.
pub fn arguments(tool: &ToolSpec) -> serde_json::Map<String, Value> {
    let schema: Value = serde_json::from_str(tool.wire_schema).unwrap();
    let clears = crate::codegen::shape::clears(tool.method, tool.body);
    crate::codegen::shape::Plan::new(&schema, clears, None).model_arguments(&wire_arguments(tool))
}

/// The request a tool's call makes, as wire arguments: every required input, plus every
/// header parameter, each [`sample`]d from the tool's wire schema.
pub fn wire_arguments(tool: &ToolSpec) -> serde_json::Map<String, Value> {
    let schema: Value = serde_json::from_str(tool.wire_schema).unwrap();
    let defs = schema.get("$defs").cloned().unwrap_or_default();
    let mut wanted: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    wanted.extend(tool.params.iter().filter(|p| p.location == Location::Header).map(|p| p.name));
    wanted.into_iter().map(|name| (name.to_string(), sample(&schema["properties"][name], &defs))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_richest_collection_of_vtoc_is_complete_and_found_by_shape() {
        let c = collection().expect("vTOC has CRUD collections");
        assert!(c.is_complete(), "{c:?}");
        assert_eq!(c.read.method, Method::Get);
        assert!(c.read.path.ends_with(&format!("{{{}}}", c.id)));
        assert!(same(c.list.path, c.read.path.rsplit_once('/').unwrap().0));
        assert!(c.delete.is_some_and(|d| d.hints.destructive));
        assert_eq!(c.item(3), serde_json::json!({ c.id: 3 }));
        // Every collection found has a list and a read on the same parent.
        let tools: Vec<_> = crate::bridge::tools::all().collect();
        for c in collections_of(&tools) {
            assert!(c.read.path.starts_with(c.list.path.trim_end_matches('/')), "{c:?}");
        }
    }

    #[test]
    fn roles_ignore_names() {
        // The same table with every tool renamed picks the same operations.
        let renamed: Vec<&'static ToolSpec> = crate::bridge::tools::all()
            .map(|t| {
                &*Box::leak(Box::new(ToolSpec { name: Box::leak(format!("x_{}", t.name).into_boxed_str()), ..*t }))
            })
            .collect();
        let original = collection().unwrap();
        let again = richest(&renamed).unwrap();
        assert_eq!((again.read.path, again.read.method), (original.read.path, original.read.method));
        assert_eq!(again.list.name, format!("x_{}", original.list.name));
    }
}
