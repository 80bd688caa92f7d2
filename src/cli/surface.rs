//! The tool surface agents see, and what a spec change does to it.
//!
//! A surface comes from a spec (lowered by the generator, with the overrides) or from a
//! tool manifest (`generated/tools.json`). [`diff`] classifies every difference in terms
//! of tools and arguments (added, removed, renamed, retyped, enum narrowed, annotation
//! flipped, output changed) and marks what breaks existing callers.

use crate::codegen::{self, Input, manifest};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One tool as agents see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSurface {
    pub name: String,
    pub operation_id: String,
    pub endpoint: String,
    pub description: String,
    /// The description says no more than the summary or endpoint (the curated text is gone).
    pub description_fallback: bool,
    /// The collision rule named it (another operation derives the same name).
    pub named_by_collision: bool,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
    pub input: Value,
    pub output: Option<Value>,
}

/// Why a spec or manifest has no tool surface.
#[derive(Debug, thiserror::Error)]
pub enum SurfaceError {
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("the manifest has no `tools` array; pass generated/tools.json or an OpenAPI document")]
    NotAManifest,
    #[error(transparent)]
    Spec(#[from] codegen::Error),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surface {
    pub tools: Vec<ToolSurface>,
}

impl Surface {
    /// From a manifest (`generated/tools.json`).
    pub fn from_manifest(v: &Value) -> Result<Surface, SurfaceError> {
        let tools = v.get("tools").and_then(Value::as_array).ok_or(SurfaceError::NotAManifest)?;
        let tools = tools
            .iter()
            .map(|t| {
                let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let a = |k: &str| t.pointer(&format!("/annotations/{k}")).and_then(Value::as_bool).unwrap_or(false);
                ToolSurface {
                    name: s("name"),
                    operation_id: s("operationId"),
                    endpoint: format!("{} {}", s("method"), s("path")),
                    description: s("description"),
                    description_fallback: matches!(s("descriptionSource").as_str(), "summary" | "endpoint"),
                    named_by_collision: s("nameOrigin") == "collision",
                    read_only: a("readOnlyHint"),
                    destructive: a("destructiveHint"),
                    idempotent: a("idempotentHint"),
                    open_world: a("openWorldHint"),
                    input: t.get("inputSchema").cloned().unwrap_or(json!({})),
                    output: t.get("outputSchema").filter(|o| !o.is_null()).cloned(),
                }
            })
            .collect();
        Ok(Surface { tools })
    }

    /// From an OpenAPI document, lowered exactly as the build lowers it.
    pub fn from_spec(spec: &str, overrides: Option<&str>) -> Result<Surface, SurfaceError> {
        let ir = codegen::lower_spec(Input { spec, overrides })?;
        Surface::from_manifest(&manifest::to_value(&ir, ""))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ToolRemoved,
    ToolRenamed,
    ToolAdded,
    EndpointChanged,
    ArgumentRemoved,
    ArgumentAdded,
    ArgumentRetyped,
    ArgumentNowRequired,
    ArgumentNowOptional,
    EnumNarrowed,
    EnumWidened,
    ConstraintChanged,
    OutputFieldRemoved,
    OutputFieldAdded,
    OutputRetyped,
    AnnotationChanged,
    DescriptionLost,
    DescriptionChanged,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::ToolRemoved => "tool removed",
            Kind::ToolRenamed => "tool renamed",
            Kind::ToolAdded => "tool added",
            Kind::EndpointChanged => "endpoint changed",
            Kind::ArgumentRemoved => "argument removed",
            Kind::ArgumentAdded => "argument added",
            Kind::ArgumentRetyped => "argument retyped",
            Kind::ArgumentNowRequired => "argument now required",
            Kind::ArgumentNowOptional => "argument now optional",
            Kind::EnumNarrowed => "enum narrowed",
            Kind::EnumWidened => "enum widened",
            Kind::ConstraintChanged => "constraint changed",
            Kind::OutputFieldRemoved => "output field removed",
            Kind::OutputFieldAdded => "output field added",
            Kind::OutputRetyped => "output retyped",
            Kind::AnnotationChanged => "annotation changed",
            Kind::DescriptionLost => "description lost",
            Kind::DescriptionChanged => "description changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub tool: String,
    pub kind: Kind,
    pub breaking: bool,
    /// The argument or output field concerned (`body.name`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub breaking: usize,
    pub changes: Vec<Change>,
}

pub fn diff(old: &Surface, new: &Surface) -> Report {
    let mut changes = Vec::new();
    let mut matched_new: BTreeSet<usize> = BTreeSet::new();
    for o in &old.tools {
        // The same operation (operationId), else the same endpoint (a renamed function).
        let found = new
            .tools
            .iter()
            .position(|n| n.operation_id == o.operation_id)
            .or_else(|| new.tools.iter().position(|n| n.endpoint == o.endpoint));
        match found.filter(|i| !matched_new.contains(i)) {
            None => changes.push(Change {
                tool: o.name.clone(),
                kind: Kind::ToolRemoved,
                breaking: true,
                field: None,
                detail: format!("`{}` is gone; agents calling it will fail", o.endpoint),
            }),
            Some(i) => {
                matched_new.insert(i);
                compare_tool(o, &new.tools[i], &mut changes);
            }
        }
    }
    for (i, n) in new.tools.iter().enumerate() {
        if !matched_new.contains(&i) {
            changes.push(Change {
                tool: n.name.clone(),
                kind: Kind::ToolAdded,
                breaking: false,
                field: None,
                detail: format!("`{}`{}", n.endpoint, hint_text(n)),
            });
        }
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    Report { breaking, changes }
}

fn hint_text(t: &ToolSurface) -> String {
    if t.destructive {
        " (destructive)".into()
    } else if t.read_only {
        " (read-only)".into()
    } else {
        " (writes)".into()
    }
}

fn compare_tool(o: &ToolSurface, n: &ToolSurface, out: &mut Vec<Change>) {
    let tool = n.name.clone();
    let mut push = |kind: Kind, breaking: bool, field: Option<String>, detail: String| {
        out.push(Change { tool: tool.clone(), kind, breaking, field, detail });
    };
    if o.name != n.name {
        push(
            Kind::ToolRenamed,
            true,
            None,
            if n.named_by_collision && o.operation_id == n.operation_id {
                format!(
                    "`{}` is now `{}`: another operation now derives the name `{}`, so the collision rule renamed both; agents and allow lists using the old name break. To keep it, set `\"name\": \"{}\"` for `{}` in openapi/mcp-overrides.json",
                    o.name, n.name, o.name, o.name, n.operation_id
                )
            } else {
                format!(
                    "`{}` is now `{}` (operationId `{}` → `{}`); agents and allow lists using the old name break",
                    o.name, n.name, o.operation_id, n.operation_id
                )
            },
        );
    }
    if o.endpoint != n.endpoint {
        push(Kind::EndpointChanged, false, None, format!("`{}` → `{}`", o.endpoint, n.endpoint));
    }
    let flips = [
        ("readOnlyHint", o.read_only, n.read_only, o.read_only && !n.read_only),
        ("destructiveHint", o.destructive, n.destructive, !o.destructive && n.destructive),
        ("idempotentHint", o.idempotent, n.idempotent, false),
        ("openWorldHint", o.open_world, n.open_world, false),
    ];
    for (name, before, after, breaking) in flips {
        if before != after {
            let what = match (name, after) {
                ("destructiveHint", true) => {
                    " (the tool became destructive: it now needs vtoc:admin and a confirmation)"
                }
                ("readOnlyHint", false) => " (the tool lost read-only: it now needs vtoc:operate and MCP_ALLOW_WRITES)",
                _ => "",
            };
            push(Kind::AnnotationChanged, breaking, Some(name.into()), format!("{name}: {before} → {after}{what}"));
        }
    }
    if n.description_fallback && !o.description_fallback {
        push(
            Kind::DescriptionLost,
            false,
            None,
            format!(
                "agents now read only {:?}: the description came from text the new spec or overrides no longer have; add it under operation `{}` in openapi/mcp-overrides.json",
                n.description, n.operation_id
            ),
        );
    } else if o.description != n.description {
        push(Kind::DescriptionChanged, false, None, "the description changed".into());
    }
    compare_input(&o.input, &n.input, "", true, true, &mut push);
    match (&o.output, &n.output) {
        (Some(a), Some(b)) => compare_output(a, b, "", &mut push),
        (Some(_), None) => {
            push(Kind::OutputRetyped, true, None, "the tool no longer returns structured content".into())
        }
        (None, Some(_)) => push(Kind::OutputFieldAdded, false, None, "the tool now returns structured content".into()),
        (None, None) => {}
    }
}

type Push<'a> = dyn FnMut(Kind, bool, Option<String>, String) + 'a;

fn types(s: &Value) -> BTreeSet<String> {
    match s.get("type") {
        Some(Value::String(t)) => BTreeSet::from([t.clone()]),
        Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ if s.get("anyOf").is_some() || s.get("oneOf").is_some() => BTreeSet::from(["union".to_string()]),
        _ => BTreeSet::new(),
    }
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() { name.to_string() } else { format!("{base}.{name}") }
}

fn required(s: &Value) -> BTreeSet<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn props(s: &Value) -> BTreeMap<String, Value> {
    s.get("properties")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// `anyOf: [X, {"type": "null"}]` (how the tool view spells nullable) read as X with
/// `null` in its types, so that it compares with the `type: [T, "null"]` of manifests made
/// before the view, and with itself.
fn plain(s: &Value) -> Value {
    let Some(Value::Array(branches)) = s.get("anyOf") else { return s.clone() };
    let null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
    let rest: Vec<&Value> = branches.iter().filter(|b| !null(b)).collect();
    let [only] = rest.as_slice() else { return s.clone() };
    if rest.len() == branches.len() {
        return s.clone();
    }
    let mut out = (*only).clone();
    if let Value::Object(map) = &mut out {
        let mut t: Vec<Value> = match map.get("type") {
            Some(Value::String(t)) => vec![json!(t)],
            Some(Value::Array(ts)) => ts.clone(),
            _ => vec![],
        };
        if !t.is_empty() {
            t.push(json!("null"));
            map.insert("type".into(), Value::Array(t));
        }
        for (k, v) in s.as_object().into_iter().flatten().filter(|(k, _)| *k != "anyOf") {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    out
}

/// Arguments: anything an existing call relies on that goes away or tightens breaks it.
fn compare_input(o: &Value, n: &Value, path: &str, was_required: bool, is_required: bool, push: &mut Push<'_>) {
    let (o, n) = (&plain(o), &plain(n));
    let field = || Some(path.to_string()).filter(|p| !p.is_empty());
    if !path.is_empty() {
        match (was_required, is_required) {
            (false, true) => push(Kind::ArgumentNowRequired, true, field(), format!("`{path}` is now required")),
            (true, false) => push(Kind::ArgumentNowOptional, false, field(), format!("`{path}` is now optional")),
            _ => {}
        }
    }
    let (ot, nt) = (types(o), types(n));
    if !ot.is_empty() && !nt.is_empty() && ot != nt {
        let widened = ot.is_subset(&nt);
        push(
            Kind::ArgumentRetyped,
            !widened,
            field(),
            format!("`{}`: {} → {}", if path.is_empty() { "(arguments)" } else { path }, show(&ot), show(&nt)),
        );
    }
    enums(o, n, path, push, true);
    constraints(o, n, path, push);
    let (op, np) = (props(o), props(n));
    let (or, nr) = (required(o), required(n));
    for (name, os) in &op {
        let p = join(path, name);
        match np.get(name) {
            None => push(
                Kind::ArgumentRemoved,
                true,
                Some(p.clone()),
                format!("`{p}` was removed; calls that send it are refused"),
            ),
            Some(ns) => compare_input(os, ns, &p, or.contains(name), nr.contains(name), push),
        }
    }
    for name in np.keys().filter(|k| !op.contains_key(*k)) {
        let p = join(path, name);
        let req = nr.contains(name);
        push(
            Kind::ArgumentAdded,
            req,
            Some(p.clone()),
            format!(
                "`{p}` ({}{})",
                show(&types(&np[name])),
                if req { ", required: existing calls lack it" } else { ", optional" }
            ),
        );
    }
    if let (Some(oi), Some(ni)) = (o.get("items"), n.get("items")) {
        compare_input(oi, ni, &format!("{path}[]"), true, true, push);
    }
}

/// Outputs: a field consumers read that disappears or changes type breaks them.
fn compare_output(o: &Value, n: &Value, path: &str, push: &mut Push<'_>) {
    let (o, n) = (&plain(o), &plain(n));
    let field = || Some(path.to_string()).filter(|p| !p.is_empty());
    let (ot, nt) = (types(o), types(n));
    if !ot.is_empty() && !nt.is_empty() && ot != nt {
        // A new possible type (e.g. null) surprises consumers; a dropped one does not.
        push(
            Kind::OutputRetyped,
            !nt.is_subset(&ot),
            field(),
            format!("`{}`: {} → {}", if path.is_empty() { "(result)" } else { path }, show(&ot), show(&nt)),
        );
    }
    enums(o, n, path, push, false);
    let (op, np) = (props(o), props(n));
    // A field the schema did not promise (not `required`) could already be absent: its
    // removal breaks no correct consumer. A required one does.
    let promised =
        |name: &str| o.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|x| x == name));
    for (name, os) in &op {
        let p = join(path, name);
        match np.get(name) {
            None if promised(name) => {
                push(Kind::OutputFieldRemoved, true, Some(p.clone()), format!("`{p}` (required) is no longer returned"))
            }
            None => push(
                Kind::OutputFieldRemoved,
                false,
                Some(p.clone()),
                format!("`{p}` (optional) is no longer returned"),
            ),
            Some(ns) => compare_output(os, ns, &p, push),
        }
    }
    for name in np.keys().filter(|k| !op.contains_key(*k)) {
        let p = join(path, name);
        push(Kind::OutputFieldAdded, false, Some(p.clone()), format!("`{p}` ({})", show(&types(&np[name]))));
    }
    if let (Some(oi), Some(ni)) = (o.get("items"), n.get("items")) {
        compare_output(oi, ni, &format!("{path}[]"), push);
    }
}

/// Enum values: fewer allowed inputs break callers; more possible outputs break consumers.
fn enums(o: &Value, n: &Value, path: &str, push: &mut Push<'_>, input: bool) {
    let values = |s: &Value| -> Option<BTreeSet<String>> {
        s.get("enum").and_then(Value::as_array).map(|e| e.iter().map(Value::to_string).collect())
    };
    let (Some(ov), Some(nv)) = (values(o), values(n)) else { return };
    let removed: Vec<&String> = ov.difference(&nv).collect();
    let added: Vec<&String> = nv.difference(&ov).collect();
    let field = Some(path.to_string()).filter(|p| !p.is_empty());
    if !removed.is_empty() {
        let list = removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        push(Kind::EnumNarrowed, input, field.clone(), format!("`{path}` no longer allows {list}"));
    }
    if !added.is_empty() {
        let list = added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        push(Kind::EnumWidened, !input, field, format!("`{path}` now allows {list}"));
    }
}

/// Bounds that tighten break callers that were within the old ones.
fn constraints(o: &Value, n: &Value, path: &str, push: &mut Push<'_>) {
    let num = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
    let mut notes = Vec::new();
    let mut tightened = false;
    for (key, lower_is_tighter) in [
        ("maximum", true),
        ("exclusiveMaximum", true),
        ("maxLength", true),
        ("maxItems", true),
        ("minimum", false),
        ("exclusiveMinimum", false),
        ("minLength", false),
        ("minItems", false),
    ] {
        let (a, b) = (num(o, key), num(n, key));
        if a != b {
            let tighter = match (a, b) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) => (y < x) == lower_is_tighter,
                (None, None) => false,
            };
            tightened |= tighter;
            notes.push(format!(
                "{key} {} → {}",
                a.map_or("none".into(), |v| v.to_string()),
                b.map_or("none".into(), |v| v.to_string())
            ));
        }
    }
    if o.get("pattern") != n.get("pattern") && (o.get("pattern").is_some() || n.get("pattern").is_some()) {
        tightened |= n.get("pattern").is_some();
        notes.push(format!(
            "pattern {} → {}",
            o.get("pattern").unwrap_or(&json!("none")),
            n.get("pattern").unwrap_or(&json!("none"))
        ));
    }
    if !notes.is_empty() && !path.is_empty() {
        push(Kind::ConstraintChanged, tightened, Some(path.to_string()), format!("`{path}`: {}", notes.join(", ")));
    }
}

fn show(types: &BTreeSet<String>) -> String {
    types.iter().cloned().collect::<Vec<_>>().join(" | ")
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn markdown(&self) -> String {
        if self.changes.is_empty() {
            return "No change to the tool surface.\n".into();
        }
        let mut md = format!(
            "### Tool surface: {} change(s), {} breaking\n\n| | tool | change | detail |\n|---|---|---|---|\n",
            self.changes.len(),
            self.breaking
        );
        let mut sorted: Vec<&Change> = self.changes.iter().collect();
        sorted.sort_by_key(|c| (!c.breaking, c.kind != Kind::DescriptionLost, c.kind));
        for c in sorted {
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | {} |",
                if c.breaking {
                    "**BREAKING**"
                } else if c.kind == Kind::DescriptionLost {
                    "**LOST**"
                } else {
                    ""
                },
                c.tool,
                c.kind.label(),
                c.detail.replace('|', "\\|")
            );
        }
        md
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, op: &str, input: Value, output: Option<Value>) -> ToolSurface {
        ToolSurface {
            name: name.into(),
            operation_id: op.into(),
            endpoint: format!("GET /{name}"),
            description: "d".into(),
            description_fallback: false,
            named_by_collision: false,
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
            input,
            output,
        }
    }

    fn kinds(r: &Report) -> Vec<(Kind, bool, Option<String>)> {
        r.changes.iter().map(|c| (c.kind, c.breaking, c.field.clone())).collect()
    }

    fn obj(props: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": props, "required": required})
    }

    #[test]
    fn tools_added_removed_renamed() {
        let old = Surface {
            tools: vec![tool("a", "op_a", obj(json!({}), &[]), None), tool("b", "op_b", obj(json!({}), &[]), None)],
        };
        let mut renamed = tool("b2", "op_b2", obj(json!({}), &[]), None);
        renamed.endpoint = "GET /b".into();
        let new = Surface { tools: vec![renamed, tool("c", "op_c", obj(json!({}), &[]), None)] };
        let r = diff(&old, &new);
        assert_eq!(
            kinds(&r),
            [(Kind::ToolRemoved, true, None), (Kind::ToolRenamed, true, None), (Kind::ToolAdded, false, None)]
        );
        assert_eq!(r.breaking, 2);
        assert!(r.markdown().contains("| **BREAKING** | `b2` | tool renamed |"));
    }

    /// A new operation that collides with an existing tool's name renames it: breaking, and
    /// the report says how to keep the old name.
    #[test]
    fn a_new_colliding_operation_is_a_breaking_rename() {
        let op = |id: &str| json!({"operationId": id, "responses": {"200": {"description": "ok"}}});
        let spec = |paths: Value| {
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}).to_string()
        };
        let before = Surface::from_spec(
            &spec(json!({"/api/v1/stations/": {"get": op("list_stations_api_v1_stations__get")}})),
            None,
        )
        .unwrap();
        let after = Surface::from_spec(
            &spec(json!({"/api/v1/stations/": {"get": op("list_stations_api_v1_stations__get")},
                         "/api/v2/stations/": {"get": op("list_stations_api_v2_stations__get")}})),
            None,
        )
        .unwrap();
        let r = diff(&before, &after);
        assert_eq!(kinds(&r), [(Kind::ToolRenamed, true, None), (Kind::ToolAdded, false, None)]);
        let detail = &r.changes[0].detail;
        assert!(
            detail.contains("`list_stations` is now `list_stations_v1`")
                && detail.contains("\"name\": \"list_stations\""),
            "{detail}"
        );
    }

    #[test]
    fn arguments() {
        let old = obj(
            json!({"id": {"type": "integer"}, "q": {"type": "string"}, "body": obj(json!({
            "name": {"type": "string", "maxLength": 10}, "kind": {"type": "string", "enum": ["a", "b"]}}), &["name"])}),
            &["id"],
        );
        let new = obj(
            json!({"id": {"type": "string"}, "page": {"type": "integer"}, "must": {"type": "boolean"}, "body": obj(json!({
            "name": {"type": ["string", "null"], "maxLength": 5}, "kind": {"type": "string", "enum": ["a", "c"]}}), &[])}),
            &["id", "must"],
        );
        let r = diff(
            &Surface { tools: vec![tool("t", "op", old, None)] },
            &Surface { tools: vec![tool("t", "op", new, None)] },
        );
        let k = kinds(&r);
        assert!(k.contains(&(Kind::ArgumentRetyped, true, Some("id".into()))), "{k:?}");
        assert!(k.contains(&(Kind::ArgumentRemoved, true, Some("q".into()))));
        assert!(k.contains(&(Kind::ArgumentAdded, false, Some("page".into()))));
        assert!(k.contains(&(Kind::ArgumentAdded, true, Some("must".into()))));
        assert!(k.contains(&(Kind::ArgumentNowOptional, false, Some("body.name".into()))));
        assert!(k.contains(&(Kind::ArgumentRetyped, false, Some("body.name".into()))), "adding null widens");
        assert!(k.contains(&(Kind::ConstraintChanged, true, Some("body.name".into()))));
        assert!(k.contains(&(Kind::EnumNarrowed, true, Some("body.kind".into()))));
        assert!(k.contains(&(Kind::EnumWidened, false, Some("body.kind".into()))));
    }

    #[test]
    fn outputs_and_annotations() {
        let old_out = obj(
            json!({"id": {"type": "integer"}, "notes": {"type": "string"}, "gone": {"type": "string"},
                   "maybe": {"type": "string"}}),
            &["gone"],
        );
        let new_out = obj(
            json!({"id": {"type": "integer"}, "notes": {"type": ["string", "null"]}, "extra": {"type": "string"}}),
            &[],
        );
        let old = tool("t", "op", obj(json!({}), &[]), Some(old_out));
        let mut new = tool("t", "op", obj(json!({}), &[]), Some(new_out));
        new.read_only = false;
        new.destructive = true;
        let r = diff(&Surface { tools: vec![old] }, &Surface { tools: vec![new] });
        let k = kinds(&r);
        assert!(k.contains(&(Kind::AnnotationChanged, true, Some("readOnlyHint".into()))));
        assert!(k.contains(&(Kind::AnnotationChanged, true, Some("destructiveHint".into()))));
        assert!(k.contains(&(Kind::OutputFieldRemoved, true, Some("gone".into()))), "it was required");
        assert!(k.contains(&(Kind::OutputFieldRemoved, false, Some("maybe".into()))), "it could be absent already");
        assert!(k.contains(&(Kind::OutputFieldAdded, false, Some("extra".into()))));
        assert!(k.contains(&(Kind::OutputRetyped, true, Some("notes".into()))), "null is a new possible output");
        let json: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(json["breaking"], r.breaking);
    }

    #[test]
    fn identical_surfaces_have_no_changes() {
        let s = Surface { tools: vec![tool("t", "op", obj(json!({"a": {"type": "string"}}), &["a"]), None)] };
        assert!(diff(&s, &s).is_empty());
        assert_eq!(diff(&s, &s).markdown(), "No change to the tool surface.\n");
    }
}
