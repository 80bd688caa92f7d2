//! OpenAPI schema (3.0 or 3.1) → self-contained JSON Schema 2020-12 for MCP tools.
//!
//! The contract for every schema we emit:
//! - every `$ref` is inlined; recursion is the only thing left as `$ref`, pointing to a
//!   bounded `$defs` at the root of the tool schema (each recursive schema once);
//! - nullability is a JSON Schema type union (`type: ["string", "null"]`), because
//!   3.0's `nullable` means nothing to JSON Schema and `anyOf [T, null]` is noise to models;
//! - every array has `items`; constraints, enums, defaults, titles and descriptions are kept;
//! - OpenAPI-only keywords (`discriminator`, `nullable`, `x-*`, `example`) are translated or dropped;
//! - output schemas do not forbid unknown properties (backends add fields; a client that
//!   validates `structuredContent` must not reject them).

use super::refs::{RefError, Refs, last_segment};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A schema the generator cannot compile into a tool's JSON Schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error(transparent)]
    Ref(#[from] RefError),
    #[error("a schema must be an object or a boolean, found `{0}`")]
    NotASchema(String),
    #[error("`$ref: {0}` nests more than 64 levels deep")]
    TooDeep(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tool arguments: `readOnly` properties are left out.
    Input,
    /// Tool results: `writeOnly` properties are left out; closed objects are opened.
    Output,
}

/// Keywords the compiler writes itself (beside [`KEPT`]): what an emitted schema can hold.
pub const STRUCTURAL: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "not",
    "allOf",
    "anyOf",
    "oneOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "$ref",
];

/// Keywords copied verbatim from the source schema.
pub const KEPT: &[&str] = &[
    "title",
    "description",
    "default",
    "enum",
    "const",
    "format",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "deprecated",
    "examples",
];

/// Compiles the schemas of one tool; collects the `$defs` that recursion needs.
pub struct Compiler<'r, 'd> {
    refs: &'r Refs<'d>,
    mode: Mode,
    /// Pointers currently being expanded (cycle detection).
    stack: Vec<String>,
    /// Pointer → `$defs` name, for schemas found to be recursive.
    recursive: BTreeMap<String, String>,
    defs: BTreeMap<String, Value>,
}

impl<'r, 'd> Compiler<'r, 'd> {
    pub fn new(refs: &'r Refs<'d>, mode: Mode) -> Self {
        Compiler { refs, mode, stack: Vec::new(), recursive: BTreeMap::new(), defs: BTreeMap::new() }
    }

    /// The `$defs` to place at the root of the schema that contains the compiled pieces.
    pub fn into_defs(self) -> BTreeMap<String, Value> {
        self.defs
    }

    pub fn compile(&mut self, schema: &Value) -> Result<Value, SchemaError> {
        let s = match schema {
            Value::Bool(true) => return Ok(json!({})),
            Value::Bool(false) => return Ok(json!({"not": {}})),
            Value::Object(s) => s,
            other => return Err(SchemaError::NotASchema(other.to_string())),
        };
        if let Some(reference) = s.get("$ref").and_then(Value::as_str) {
            let mut out = self.compile_ref(reference)?;
            // 3.1 lets annotations sit beside `$ref`; they describe this use of the type.
            if let Value::Object(out_map) = &mut out {
                for key in ["title", "description", "default", "deprecated", "examples"] {
                    if let Some(v) = s.get(key) {
                        out_map.insert(key.into(), v.clone());
                    }
                }
            }
            return Ok(self.apply_nullable(s, out));
        }
        let mut out = Map::new();
        if let Some(t) = s.get("type") {
            out.insert("type".into(), t.clone());
        }
        for key in KEPT {
            if let Some(v) = s.get(*key) {
                out.insert((*key).into(), v.clone());
            }
        }
        if let Some(example) = s.get("example") {
            out.entry("examples").or_insert_with(|| json!([example]));
        }
        for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            match s.get(exclusive) {
                // 3.0: a boolean that makes the inclusive bound exclusive.
                Some(Value::Bool(true)) => {
                    if let Some(bound) = out.remove(inclusive) {
                        out.insert(exclusive.into(), bound);
                    }
                }
                Some(n @ Value::Number(_)) => {
                    out.insert(exclusive.into(), n.clone());
                }
                _ => {}
            }
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            let mut compiled = Map::new();
            for (name, prop) in props {
                if self.skipped(prop) {
                    continue;
                }
                let mut prop = self.compile(prop)?;
                if self.mode == Mode::Input {
                    drop_title_if(&mut prop, &field_title(name));
                }
                compiled.insert(name.clone(), prop);
            }
            out.insert("properties".into(), Value::Object(compiled));
        }
        if let Some(Value::Array(required)) = s.get("required") {
            let props = out.get("properties").and_then(Value::as_object);
            let kept: Vec<Value> = required
                .iter()
                .filter(|name| {
                    let skipped =
                        name.as_str().and_then(|n| s.get("properties")?.get(n)).is_some_and(|p| self.skipped(p));
                    !skipped || props.is_none()
                })
                .cloned()
                .collect();
            if !kept.is_empty() {
                out.insert("required".into(), Value::Array(kept));
            }
        }
        match s.get("additionalProperties") {
            Some(Value::Bool(false)) if self.mode == Mode::Input => {
                out.insert("additionalProperties".into(), json!(false));
            }
            Some(Value::Bool(_)) | None => {}
            Some(schema) => {
                let compiled = self.compile(schema)?;
                out.insert("additionalProperties".into(), compiled);
            }
        }
        if let Some(items) = s.get("items") {
            let items = match items {
                Value::Array(tuple) => tuple.first().cloned().unwrap_or(json!({})),
                other => other.clone(),
            };
            out.insert("items".into(), self.compile(&items)?);
        } else if type_includes(&out, "array") {
            out.insert("items".into(), json!({}));
        }
        if let Some(not) = s.get("not") {
            out.insert("not".into(), self.compile(not)?);
        }
        if let Some(Value::Array(branches)) = s.get("allOf") {
            let compiled = branches.iter().map(|b| self.compile(b)).collect::<Result<Vec<_>, _>>()?;
            merge_all_of(&mut out, compiled);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = s.get(key) {
                let compiled = branches.iter().map(|b| self.compile(b)).collect::<Result<Vec<_>, _>>()?;
                union(&mut out, key, compiled);
            }
        }
        Ok(self.apply_nullable(s, Value::Object(out)))
    }

    fn skipped(&self, prop: &Value) -> bool {
        let flag = |k: &str| prop.get(k).and_then(Value::as_bool).unwrap_or(false);
        match self.mode {
            Mode::Input => flag("readOnly"),
            Mode::Output => flag("writeOnly"),
        }
    }

    fn compile_ref(&mut self, reference: &str) -> Result<Value, SchemaError> {
        let (target, pointer) = self.refs.resolve(reference)?;
        if let Some(name) = self.recursive.get(&pointer) {
            return Ok(json!({"$ref": format!("#/$defs/{name}")}));
        }
        if self.stack.contains(&pointer) {
            let name = self.def_name(&pointer);
            return Ok(json!({"$ref": format!("#/$defs/{name}")}));
        }
        if self.stack.len() > 64 {
            return Err(SchemaError::TooDeep(reference.to_string()));
        }
        self.stack.push(pointer.clone());
        let compiled = self.compile(target);
        self.stack.pop();
        let mut compiled = compiled?;
        if self.mode == Mode::Input {
            drop_title_if(&mut compiled, &last_segment(&pointer));
        }
        match self.recursive.get(&pointer) {
            // The schema referred to itself while being expanded: it lives in `$defs`.
            Some(name) => {
                let name = name.clone();
                self.defs.insert(name.clone(), compiled);
                Ok(json!({"$ref": format!("#/$defs/{name}")}))
            }
            None => Ok(compiled),
        }
    }

    fn def_name(&mut self, pointer: &str) -> String {
        if let Some(name) = self.recursive.get(pointer) {
            return name.clone();
        }
        let base = last_segment(pointer);
        let mut name = base.clone();
        let mut n = 2;
        while self.recursive.values().any(|v| *v == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.recursive.insert(pointer.to_string(), name.clone());
        name
    }

    /// OpenAPI 3.0 `nullable: true` → a type union (or `anyOf` with null when untyped).
    fn apply_nullable(&self, source: &Map<String, Value>, out: Value) -> Value {
        if source.get("nullable") == Some(&Value::Bool(true)) { add_null(out) } else { out }
    }
}

/// The title pydantic gives a field by default: `poi_id` → `Poi Id`, `h4m_path` → `H4M
/// Path` (Python's `str.title()` after `_` → space).
pub fn field_title(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_word = false;
    for c in name.chars() {
        let c = if c == '_' { ' ' } else { c };
        if c.is_alphabetic() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

/// Tool arguments: a `title` that only restates the field or model name (what FastAPI
/// writes by default) costs the model tokens on every turn and tells it nothing.
fn drop_title_if(schema: &mut Value, redundant: &str) {
    if let Value::Object(map) = schema
        && map.get("title").and_then(Value::as_str) == Some(redundant)
    {
        map.remove("title");
    }
}

/// Allow `null` in addition to what `schema` allows.
pub fn add_null(schema: Value) -> Value {
    let Value::Object(mut s) = schema else { return schema };
    if s.is_empty() {
        return Value::Object(s);
    }
    let simple =
        !s.contains_key("$ref") && !s.contains_key("anyOf") && !s.contains_key("oneOf") && !s.contains_key("allOf");
    match s.get("type").cloned() {
        Some(Value::String(t)) if simple => {
            if t != "null" {
                s.insert("type".into(), json!([t, "null"]));
            }
        }
        Some(Value::Array(mut types)) if simple => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
            s.insert("type".into(), Value::Array(types));
        }
        _ => {
            let mut wrapper = Map::new();
            for key in ["title", "description", "default"] {
                if let Some(v) = s.remove(key) {
                    wrapper.insert(key.into(), v);
                }
            }
            wrapper.insert("anyOf".into(), json!([Value::Object(s), {"type": "null"}]));
            return Value::Object(wrapper);
        }
    }
    if let Some(Value::Array(values)) = s.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
    if let Some(c) = s.remove("const") {
        s.insert("enum".into(), json!([c, null]));
    }
    Value::Object(s)
}

fn type_includes(s: &Map<String, Value>, t: &str) -> bool {
    match s.get("type") {
        Some(Value::String(x)) => x == t,
        Some(Value::Array(xs)) => xs.iter().any(|x| x == t),
        _ => false,
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null") && v.as_object().is_some_and(|m| m.len() == 1)
}

/// A schema with one type and no combinators can absorb `null` into its `type`.
fn is_simple(v: &Value) -> bool {
    v.get("type").is_some() && ["$ref", "anyOf", "oneOf", "allOf", "not"].iter().all(|k| v.get(k).is_none())
}

/// `anyOf`/`oneOf`: `[T, null]` with a simple T collapses into T with a type union.
fn union(out: &mut Map<String, Value>, key: &str, branches: Vec<Value>) {
    let nulls = branches.iter().filter(|b| is_null_schema(b)).count();
    let rest: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
    if nulls > 0 && rest.len() == 1 && is_simple(&rest[0]) {
        let merged = add_null(rest[0].clone());
        if let Value::Object(fields) = merged {
            for (k, v) in fields {
                // The outer schema's own annotations (title, default) win.
                if k == "type" || !out.contains_key(&k) {
                    out.insert(k, v);
                }
            }
        }
        return;
    }
    if nulls == 0 && rest.len() == 1 {
        if let Value::Object(fields) = rest.into_iter().next().unwrap_or_default() {
            for (k, v) in fields {
                out.entry(k).or_insert(v);
            }
        }
        return;
    }
    out.insert(key.into(), Value::Array(branches));
}

/// `allOf`: one branch merges into the parent; object branches merge their properties.
fn merge_all_of(out: &mut Map<String, Value>, branches: Vec<Value>) {
    let all_objects = branches
        .iter()
        .all(|b| b.get("properties").is_some() || b.get("type").and_then(Value::as_str) == Some("object"));
    if branches.len() == 1 || all_objects {
        for branch in branches {
            let Value::Object(fields) = branch else { continue };
            for (k, v) in fields {
                match (k.as_str(), out.get_mut(&k)) {
                    ("properties", Some(Value::Object(existing))) => {
                        if let Value::Object(more) = v {
                            for (name, prop) in more {
                                existing.entry(name).or_insert(prop);
                            }
                        }
                    }
                    ("required", Some(Value::Array(existing))) => {
                        if let Value::Array(more) = v {
                            for name in more {
                                if !existing.contains(&name) {
                                    existing.push(name);
                                }
                            }
                        }
                    }
                    (_, Some(_)) => {}
                    (_, None) => {
                        out.insert(k, v);
                    }
                }
            }
        }
    } else {
        out.insert("allOf".into(), Value::Array(branches));
    }
}

/// Compile `schema` into a standalone schema: its recursion `$defs` attached at its root.
pub fn standalone(refs: &Refs<'_>, schema: &Value, mode: Mode) -> Result<Value, SchemaError> {
    let mut compiler = Compiler::new(refs, mode);
    let mut out = compiler.compile(schema)?;
    attach_defs(&mut out, compiler.into_defs());
    Ok(out)
}

pub fn attach_defs(schema: &mut Value, defs: BTreeMap<String, Value>) {
    if defs.is_empty() {
        return;
    }
    if let Value::Object(map) = schema {
        map.insert("$defs".into(), Value::Object(defs.into_iter().collect()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_in(doc: &Value, schema: Value, mode: Mode) -> Value {
        let refs = Refs::new(doc);
        standalone(&refs, &schema, mode).unwrap()
    }

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "PoiRead": {"title": "PoiRead", "type": "object", "additionalProperties": false, "required": ["id"],
                "properties": {"id": {"type": "integer", "title": "Id"},
                    "notes": {"anyOf": [{"type": "string", "maxLength": 9}, {"type": "null"}], "title": "Notes"},
                    "secret": {"type": "string", "writeOnly": true},
                    "created": {"type": "string", "readOnly": true}}},
            "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
            "Pet30": {"type": "object", "nullable": true, "properties": {"tag": {"type": "string", "nullable": true, "enum": ["a"]}}}
        }}})
    }

    #[test]
    fn refs_inline_and_nullable_becomes_type_union() {
        let out = compile_in(
            &doc(),
            json!({"anyOf": [{"$ref": "#/components/schemas/PoiRead"}, {"type": "null"}]}),
            Mode::Output,
        );
        assert_eq!(out["type"], json!(["object", "null"]));
        assert_eq!(out["properties"]["notes"], json!({"type": ["string", "null"], "title": "Notes", "maxLength": 9}));
        assert!(out.get("additionalProperties").is_none(), "output schemas stay open: {out}");
        assert!(out["properties"].get("secret").is_none(), "writeOnly is not output");
        assert!(out["properties"].get("created").is_some());
    }

    #[test]
    fn input_mode_keeps_closed_objects_and_drops_read_only() {
        let out = compile_in(&doc(), json!({"$ref": "#/components/schemas/PoiRead"}), Mode::Input);
        assert_eq!(out["additionalProperties"], false);
        assert!(out["properties"].get("created").is_none());
        assert!(out["properties"].get("secret").is_some());
        // Titles that only restate the model or field name cost tokens and say nothing.
        assert!(out.get("title").is_none(), "{out}");
        assert!(out["properties"]["notes"].get("title").is_none(), "{out}");
    }

    #[test]
    fn field_titles_follow_pydantic() {
        assert_eq!(field_title("poi_id"), "Poi Id");
        assert_eq!(field_title("h4m_path"), "H4M Path");
        assert_eq!(field_title("altitude_m"), "Altitude M");
        assert_eq!(field_title("isActive"), "Isactive");
    }

    #[test]
    fn openapi30_nullable_and_enums() {
        let out = compile_in(&doc(), json!({"$ref": "#/components/schemas/Pet30"}), Mode::Input);
        assert_eq!(out["type"], json!(["object", "null"]));
        assert_eq!(out["properties"]["tag"], json!({"type": ["string", "null"], "enum": ["a", null]}));
    }

    #[test]
    fn recursion_is_bounded_by_defs() {
        let out = compile_in(&doc(), json!({"$ref": "#/components/schemas/Node"}), Mode::Output);
        assert_eq!(
            out,
            json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}})
        );
    }

    #[test]
    fn arrays_always_have_items_and_bounds_are_2020_12() {
        let d = json!({});
        assert_eq!(compile_in(&d, json!({"type": "array"}), Mode::Input), json!({"type": "array", "items": {}}));
        assert_eq!(
            compile_in(
                &d,
                json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "example": 3}),
                Mode::Input
            ),
            json!({"type": "number", "exclusiveMinimum": 0, "examples": [3]})
        );
    }

    #[test]
    fn discriminated_one_of_keeps_branches_and_drops_discriminator() {
        let d = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {"kind": {"const": "a"}}},
            "B": {"type": "object", "properties": {"kind": {"const": "b"}}}}}});
        let out = compile_in(
            &d,
            json!({"type": "array", "items": {"oneOf": [
            {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
            "discriminator": {"propertyName": "kind"}}}),
            Mode::Output,
        );
        assert_eq!(out["items"]["oneOf"][1]["properties"]["kind"]["const"], "b");
        assert!(out["items"].get("discriminator").is_none());
    }

    #[test]
    fn all_of_merges_objects() {
        let d = json!({"components": {"schemas": {"Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}}});
        let out = compile_in(
            &d,
            json!({"allOf": [{"$ref": "#/components/schemas/Base"},
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}]}),
            Mode::Input,
        );
        assert_eq!(out["required"], json!(["id", "name"]));
        assert_eq!(out["properties"].as_object().unwrap().len(), 2);
    }

    #[test]
    fn dangling_refs_are_errors() {
        let d = json!({});
        let refs = Refs::new(&d);
        assert!(standalone(&refs, &json!({"$ref": "#/components/schemas/Nope"}), Mode::Input).is_err());
    }
}
