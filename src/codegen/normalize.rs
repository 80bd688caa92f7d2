//! OpenAPI 3.1 (FastAPI-style) or 3.0 → the OpenAPI 3.0 view that progenitor accepts.
//!
//! progenitor reads only 3.0 (through the `openapiv3` crate) and panics on several
//! shapes FastAPI exports every day. This pass rewrites a copy of the document; the
//! source file is never touched. Each rule names what happens without it:
//!
//! | rule | without it |
//! |---|---|
//! | `openapi: 3.1.x` → `3.0.3` | "invalid version" |
//! | `anyOf/oneOf [X, {type: null}]` → X + `nullable` (a `$ref` X as `allOf: [X]`) | panic "invalid type: null" |
//! | `type: [T, "null"]` → `type: T` + `nullable` | parse error |
//! | `const: v` → `enum: [v]` | const silently dropped: discriminated unions misread |
//! | numeric `exclusiveMinimum/Maximum` → bound + `true` | parse error |
//! | `examples: [..]` → `example` | dropped |
//! | `$defs` → hoisted into `components.schemas` | refs bound by last segment to a wrong type |
//! | `true`/`false` schemas → `{}` / `{not: {}}` | parse error |
//! | `title` removed from inline schemas | typify reuses a type with the same title: silent type merging |
//! | one typed success + one typed error response kept | panic `response_types.len() <= 1` |
//! | one media type per body/response, JSON preferred | panic "more media types than expected" |
//! | `nullable` dropped on parameters | nullable optional header does not compile |
//! | `additionalProperties: false` dropped on response schemas | a backend adding a field breaks every read |
//! | `anyOf [{type: T}, {type: T, enum}]` → `type: T` | typify: "value does not conform to the given schema" on a default |
//!
//! Responses pruned from the view still reach the model: the runtime reads every
//! status from the raw response (see `support.rs`).

use super::Problem;
use super::refs::{Refs, escape_pointer, last_segment};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Keywords 3.0 does not know and progenitor cannot use.
const DROPPED_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$dynamicRef",
    "$dynamicAnchor",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contentSchema",
];

/// Produce the 3.0 view of `doc`. Fails only for documents that are not OpenAPI 3.x.
pub fn to_openapi30(doc: &Value) -> Result<Value, Problem> {
    check_version(doc)?;
    let mut out = doc.clone();
    let root = out.as_object_mut().ok_or_else(|| Problem::global("the document is not a JSON object"))?;
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect", "$schema"] {
        root.remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    root.entry("paths").or_insert_with(|| json!({}));
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.remove("pathItems");
    }

    hoist_defs(&mut out);
    inline_path_item_refs(&mut out)?;
    inline_operation_refs(&mut out)?;

    // Schemas everywhere: components are roots (they keep their title), all others inline.
    if let Some(schemas) = out.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for schema in schemas.values_mut() {
            normalize_schema(schema, true);
        }
    }
    for_each_operation_mut(&mut out, |_, _, op| {
        for_each_param_mut(op, |param| {
            if let Some(schema) = param.get_mut("schema") {
                normalize_schema(schema, false);
                // A nullable optional header generates code that does not compile, and an
                // absent optional parameter already means "no value".
                if let Some(s) = schema.as_object_mut() {
                    s.remove("nullable");
                }
            }
        });
        if let Some(content) = op.pointer_mut("/requestBody/content").and_then(Value::as_object_mut) {
            keep_one_media_type(content);
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    normalize_schema(schema, false);
                }
            }
        }
        prune_responses(op);
    });
    for_each_path_item_mut(&mut out, |item| {
        if let Some(params) = item.get_mut("parameters").and_then(Value::as_array_mut) {
            for param in params {
                if let Some(schema) = param.get_mut("schema") {
                    normalize_schema(schema, false);
                    if let Some(s) = schema.as_object_mut() {
                        s.remove("nullable");
                    }
                }
            }
        }
    });
    relax_response_schemas(&mut out);
    Ok(out)
}

fn check_version(doc: &Value) -> Result<(), Problem> {
    if doc.get("swagger").is_some() {
        return Err(Problem::global(
            "this is a Swagger 2.0 document; convert it to OpenAPI 3 first (for example with `npx swagger2openapi`)",
        ));
    }
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v.starts_with("3.1.") => Ok(()),
        Some(v) => Err(Problem::global(format!("unsupported `openapi: {v}`; expected 3.0.x or 3.1.x"))),
        None => Err(Problem::global("no `openapi` version field: is this an OpenAPI document?")),
    }
}

/// Rewrite one schema (recursively) into the 3.0 dialect.
/// Keywords that describe a schema without constraining it.
const ANNOTATIONS: &[&str] = &["title", "description", "default", "examples", "example", "deprecated"];

pub fn normalize_schema(schema: &mut Value, component_root: bool) {
    match schema {
        Value::Bool(true) => *schema = json!({}),
        Value::Bool(false) => *schema = json!({"not": {}}),
        Value::Object(_) => {}
        _ => return,
    }
    let Value::Object(s) = schema else { return };

    // `anyOf/oneOf [X, {type: null}]` → X + `nullable`. Before the children are
    // rewritten, so the null branches are still recognizable.
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = s.get(key) else { continue };
        if !branches.iter().any(is_null_schema) {
            continue;
        }
        let mut rest: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
        s.remove(key);
        s.insert("nullable".into(), json!(true));
        match rest.len() {
            0 => {}
            1 => {
                let only = rest.remove(0);
                if only.get("$ref").is_some() {
                    s.insert("allOf".into(), json!([only]));
                } else if let Value::Object(fields) = only {
                    for (k, v) in fields {
                        s.entry(k).or_insert(v);
                    }
                }
            }
            _ => {
                s.insert(key.into(), Value::Array(rest));
            }
        }
    }

    // `anyOf/oneOf [{type: T}, {type: T, enum: [..]}]` → `type: T`: the enum branch says
    // nothing the plain one does not accept, and typify cannot place a default in a union
    // whose branches overlap.
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = s.get(key) else { continue };
        let plain = |b: &Value| {
            b.as_object().is_some_and(|m| {
                m.get("type").is_some_and(Value::is_string)
                    && m.keys().all(|k| k == "type" || ANNOTATIONS.contains(&k.as_str()))
            })
        };
        let subsumed = |b: &Value| {
            let Some(m) = b.as_object() else { return false };
            m.contains_key("enum")
                && m.keys().all(|k| k == "type" || k == "enum" || ANNOTATIONS.contains(&k.as_str()))
                && branches.iter().any(|other| plain(other) && other.get("type") == m.get("type"))
        };
        let rest: Vec<Value> = branches.iter().filter(|b| !subsumed(b)).cloned().collect();
        if rest.len() == branches.len() {
            continue;
        }
        s.remove(key);
        if let [only] = rest.as_slice() {
            for (k, v) in only.as_object().into_iter().flatten() {
                s.entry(k.clone()).or_insert(v.clone());
            }
        } else {
            s.insert(key.into(), Value::Array(rest));
        }
    }

    // Children first.
    for key in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(children)) = s.get_mut(key) {
            for child in children.values_mut() {
                normalize_schema(child, false);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = s.get_mut(key)
            && (child.is_object() || (key != "additionalProperties" && child.is_boolean()))
        {
            normalize_schema(child, false);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = s.get_mut(key) {
            for branch in branches {
                normalize_schema(branch, false);
            }
        }
    }

    // `type: [T, "null"]` (3.1) → `type: T` + `nullable`.
    if let Some(Value::Array(types)) = s.get("type").cloned() {
        let mut rest: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        let had_null = s.get("type").and_then(Value::as_array).is_some_and(|t| t.len() != rest.len());
        s.remove("type");
        match rest.len() {
            0 => {}
            1 => {
                s.insert("type".into(), rest.remove(0));
            }
            _ => {
                let branches = rest.into_iter().map(|t| json!({"type": t})).collect();
                s.insert("anyOf".into(), Value::Array(branches));
            }
        }
        if had_null {
            s.insert("nullable".into(), json!(true));
        }
    } else if s.get("type").and_then(Value::as_str) == Some("null") {
        s.remove("type");
        s.insert("nullable".into(), json!(true));
    }

    if let Some(value) = s.remove("const") {
        s.insert("enum".into(), json!([value]));
    }
    if let Some(Value::Array(mut examples)) = s.remove("examples")
        && !examples.is_empty()
    {
        s.entry("example").or_insert_with(|| examples.swap_remove(0));
    }
    exclusive_bound(s, "exclusiveMinimum", "minimum", |a, b| a >= b);
    exclusive_bound(s, "exclusiveMaximum", "maximum", |a, b| a <= b);

    let binary = s.get("contentEncoding").and_then(Value::as_str) == Some("base64")
        || s.get("contentMediaType").and_then(Value::as_str) == Some("application/octet-stream");
    s.remove("contentEncoding");
    s.remove("contentMediaType");
    if binary && s.get("type").and_then(Value::as_str) == Some("string") {
        s.entry("format").or_insert_with(|| json!("binary"));
    }
    for key in DROPPED_KEYWORDS {
        s.remove(*key);
    }
    if let Some(Value::Array(_)) = s.get("items") {
        // Draft-04 tuple form: keep the first item schema as an approximation.
        if let Some(Value::Array(mut items)) = s.remove("items") {
            s.insert("items".into(), if items.is_empty() { json!({}) } else { items.swap_remove(0) });
        }
    }
    if !component_root {
        s.remove("title");
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        || v.get("const").is_some_and(Value::is_null)
        || v.get("enum").and_then(Value::as_array).is_some_and(|e| e.len() == 1 && e[0].is_null())
}

/// 3.1 writes `exclusiveMinimum: 5`; 3.0 writes `minimum: 5, exclusiveMinimum: true`.
fn exclusive_bound(s: &mut Map<String, Value>, exclusive: &str, inclusive: &str, tighter: fn(f64, f64) -> bool) {
    let Some(bound) = s.get(exclusive).filter(|v| v.is_number()).cloned() else { return };
    s.remove(exclusive);
    let replace = match s.get(inclusive).and_then(Value::as_f64) {
        Some(existing) => tighter(bound.as_f64().unwrap_or(existing), existing),
        None => true,
    };
    if replace {
        s.insert(inclusive.into(), bound);
        s.insert(exclusive.into(), json!(true));
    }
}

/// Move every `$defs` entry into `components.schemas` and point references at it, so
/// typify (which binds refs by their last segment) cannot confuse two schemas.
fn hoist_defs(doc: &mut Value) {
    let snapshot = doc.clone();
    let refs = Refs::new(&snapshot);
    let mut taken: BTreeSet<String> = snapshot
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    for (pointer, name) in refs.all_defs() {
        let mut new_name = name.to_string();
        if taken.contains(&new_name) {
            let owner = pointer.trim_end_matches(&format!("/$defs/{}", escape_pointer(name)));
            new_name = format!("{}{}", last_segment(owner), name);
            let mut n = 2;
            while taken.contains(&new_name) {
                new_name = format!("{}{}{n}", last_segment(owner), name);
                n += 1;
            }
        }
        taken.insert(new_name.clone());
        if let Some(value) = snapshot.pointer(pointer) {
            hoisted.push((new_name.clone(), value.clone()));
        }
        renames.insert(pointer.to_string(), new_name);
    }
    if renames.is_empty() {
        return;
    }
    rewrite_refs(doc, &|reference| {
        let pointer = reference.strip_prefix('#')?;
        if let Some(new) = renames.get(pointer) {
            return Some(format!("#/components/schemas/{}", escape_pointer(new)));
        }
        // `#/$defs/X` meaning the schema resource's own `$defs`.
        let name = pointer.strip_prefix("/$defs/")?;
        let (_, resolved) = refs.resolve(&format!("#/$defs/{name}")).ok()?;
        renames.get(&resolved).map(|new| format!("#/components/schemas/{}", escape_pointer(new)))
    });
    remove_key_recursively(doc, "$defs");
    let root = doc.as_object_mut().expect("checked to be an object");
    let components = root.entry("components").or_insert_with(|| json!({}));
    if let Some(components) = components.as_object_mut() {
        let schemas = components.entry("schemas").or_insert_with(|| json!({}));
        if let Some(schemas) = schemas.as_object_mut() {
            for (name, mut value) in hoisted {
                remove_key_recursively(&mut value, "$defs");
                rewrite_refs(&mut value, &|reference| {
                    let pointer = reference.strip_prefix('#')?;
                    renames.get(pointer).map(|new| format!("#/components/schemas/{}", escape_pointer(new)))
                });
                schemas.insert(name, value);
            }
        }
    }
}

fn rewrite_refs(value: &mut Value, rewrite: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Some(new) = rewrite(reference)
            {
                map.insert("$ref".into(), Value::String(new));
            }
            for child in map.values_mut() {
                rewrite_refs(child, rewrite);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, rewrite)),
        _ => {}
    }
}

fn remove_key_recursively(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| remove_key_recursively(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| remove_key_recursively(v, key)),
        _ => {}
    }
}

/// progenitor rejects `$ref`-ed path items: copy the target in.
fn inline_path_item_refs(doc: &mut Value) -> Result<(), Problem> {
    let snapshot = doc.clone();
    let refs = Refs::new(&snapshot);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if let Some(reference) = item.get("$ref").and_then(Value::as_str) {
                let (target, _) =
                    refs.resolve(reference).map_err(|e| Problem::global(format!("path `{path}`: {e}")))?;
                *item = target.clone();
            }
        }
    }
    Ok(())
}

/// Inline referenced parameters, request bodies and responses so every later pass sees
/// them in place (progenitor resolves some of these, not all).
fn inline_operation_refs(doc: &mut Value) -> Result<(), Problem> {
    let snapshot = doc.clone();
    let refs = Refs::new(&snapshot);
    let mut problem = None;
    let mut inline = |v: &mut Value, what: &str, op: &str| {
        if let Some(reference) = v.get("$ref").and_then(Value::as_str) {
            match refs.resolve(reference) {
                Ok((target, _)) => *v = target.clone(),
                Err(e) => {
                    problem.get_or_insert(Problem::operation(op, format!("{what}: {e}")));
                }
            }
        }
    };
    for_each_path_item_mut(doc, |item| {
        if let Some(params) = item.get_mut("parameters").and_then(Value::as_array_mut) {
            params.iter_mut().for_each(|p| inline(p, "path-level parameter", "(path item)"));
        }
    });
    for_each_operation_mut(doc, |path, method, op| {
        let name = super::operation_label(op, method, path);
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            params.iter_mut().for_each(|p| inline(p, "parameter", &name));
        }
        if let Some(body) = op.get_mut("requestBody") {
            inline(body, "requestBody", &name);
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (code, response) in responses.iter_mut() {
                inline(response, &format!("response {code}"), &name);
            }
        }
    });
    problem.map_or(Ok(()), Err)
}

fn is_json_media(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Keep one media type: the first JSON one, else the first.
fn keep_one_media_type(content: &mut Map<String, Value>) {
    if content.len() <= 1 {
        return;
    }
    let keep = content.keys().find(|k| is_json_media(k)).or_else(|| content.keys().next()).cloned();
    content.retain(|k, _| Some(k) == keep.as_ref());
}

/// progenitor takes at most one typed success and one typed error response.
/// Keep the lowest-coded success (typed preferred) and the lowest-coded typed error;
/// everything else the runtime reads from the raw response.
fn prune_responses(op: &mut Value) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
    responses.remove("default");
    for response in responses.values_mut() {
        if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
            keep_one_media_type(content);
            for (media, m) in content.iter_mut() {
                if let Some(m) = m.as_object_mut() {
                    match m.get_mut("schema") {
                        Some(schema) => normalize_schema(schema, false),
                        None if is_json_media(media) => {
                            m.insert("schema".into(), json!({}));
                        }
                        None => {}
                    }
                }
            }
            if content.is_empty() {
                response.as_object_mut().map(|r| r.remove("content"));
            }
        }
    }
    let typed = |r: &Value| r.get("content").and_then(Value::as_object).is_some_and(|c| !c.is_empty());
    let mut codes: Vec<String> = responses.keys().cloned().collect();
    codes.sort();
    let success: Vec<&String> = codes.iter().filter(|c| c.starts_with('2')).collect();
    let keep_success = success.iter().find(|c| typed(&responses[c.as_str()])).or(success.first()).map(|c| (*c).clone());
    let keep_error = codes.iter().filter(|c| !c.starts_with('2')).find(|c| typed(&responses[c.as_str()])).cloned();
    responses.retain(|code, _| Some(code) == keep_success.as_ref() || Some(code) == keep_error.as_ref());
}

/// Typed responses are used only to check what the backend sent; they must not reject a
/// field the spec does not list.
fn relax_response_schemas(doc: &mut Value) {
    let mut reachable: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<Value> = Vec::new();
    for_each_operation_mut(doc, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                    for media in content.values_mut() {
                        if let Some(schema) = media.get_mut("schema") {
                            remove_closed_objects(schema);
                            pending.push(schema.clone());
                        }
                    }
                }
            }
        }
    });
    while let Some(schema) = pending.pop() {
        let mut found = Vec::new();
        collect_component_refs(&schema, &mut found);
        for name in found {
            if reachable.insert(name.clone())
                && let Some(target) = doc.pointer(&format!("/components/schemas/{}", escape_pointer(&name)))
            {
                pending.push(target.clone());
            }
        }
    }
    for name in reachable {
        if let Some(target) = doc.pointer_mut(&format!("/components/schemas/{}", escape_pointer(&name))) {
            remove_closed_objects(target);
        }
    }
}

fn remove_closed_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(remove_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_closed_objects),
        _ => {}
    }
}

fn collect_component_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.replace("~1", "/").replace("~0", "~"));
            }
            map.values().for_each(|v| collect_component_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_component_refs(v, out)),
        _ => {}
    }
}

fn for_each_path_item_mut(doc: &mut Value, mut f: impl FnMut(&mut Value)) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        paths.values_mut().for_each(&mut f);
    }
}

/// Visit every operation as (path, method key, operation).
pub fn for_each_operation_mut(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if let Some(item) = item.as_object_mut() {
                for (key, op) in item.iter_mut() {
                    if super::ir::Method::from_key(key).is_some() {
                        f(path, key, op);
                    }
                }
            }
        }
    }
}

fn for_each_param_mut(op: &mut Value, mut f: impl FnMut(&mut Value)) {
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        params.iter_mut().for_each(&mut f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(schema: Value) -> Value {
        let mut s = schema;
        normalize_schema(&mut s, false);
        s
    }

    #[test]
    fn any_of_null_becomes_nullable() {
        assert_eq!(
            norm(json!({"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}], "title": "Label"})),
            json!({"nullable": true, "type": "string", "maxLength": 3})
        );
        assert_eq!(
            norm(json!({"anyOf": [{"$ref": "#/components/schemas/PoiRead"}, {"type": "null"}]})),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/PoiRead"}]})
        );
        assert_eq!(
            norm(json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})),
            json!({"nullable": true, "oneOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn an_enum_branch_beside_its_plain_type_is_dropped() {
        // LiteLLM's `mode`: a string, or one of the known modes, or null; default "chat".
        let mode = json!({"anyOf": [{"type": "string"}, {"type": "string", "enum": ["chat", "embedding"]}, {"type": "null"}],
            "title": "Mode", "default": "chat"});
        assert_eq!(norm(mode), json!({"type": "string", "nullable": true, "default": "chat"}));
        // Different types, or an enum with other constraints, stay a union.
        let mixed = json!({"anyOf": [{"type": "integer"}, {"type": "string", "enum": ["a"]}]});
        assert_eq!(norm(mixed.clone()), mixed);
    }

    #[test]
    fn type_arrays_const_examples_bounds() {
        assert_eq!(norm(json!({"type": ["integer", "null"]})), json!({"type": "integer", "nullable": true}));
        assert_eq!(
            norm(json!({"type": ["string", "integer"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
        assert_eq!(
            norm(json!({"const": "telemetry_event", "default": "telemetry_event", "title": "Entry Type"})),
            json!({"default": "telemetry_event", "enum": ["telemetry_event"]})
        );
        assert_eq!(norm(json!({"type": "string", "examples": ["a", "b"]})), json!({"type": "string", "example": "a"}));
        assert_eq!(
            norm(json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10})),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true})
        );
        // An inclusive bound that is tighter wins.
        assert_eq!(
            norm(json!({"type": "number", "minimum": 5, "exclusiveMinimum": 1})),
            json!({"type": "number", "minimum": 5})
        );
        assert_eq!(norm(json!(true)), json!({}));
        assert_eq!(
            norm(json!({"type": "string", "contentEncoding": "base64"})),
            json!({"type": "string", "format": "binary"})
        );
    }

    #[test]
    fn component_roots_keep_titles_inline_schemas_lose_them() {
        let mut root =
            json!({"title": "PoiRead", "type": "object", "properties": {"name": {"type": "string", "title": "Name"}}});
        normalize_schema(&mut root, true);
        assert_eq!(root["title"], "PoiRead");
        assert!(root["properties"]["name"].get("title").is_none());
    }

    fn op_doc(responses: Value) -> Value {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": {
            "operationId": "x", "responses": responses}}}})
    }

    #[test]
    fn response_sets_are_pruned_to_one_success_and_one_error() {
        let doc = op_doc(json!({
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
            "201": {"description": "made", "content": {"application/json": {"schema": {"type": "integer"}}}},
            "204": {"description": "none"},
            "404": {"description": "nf", "content": {"application/json": {"schema": {"type": "object"}}}},
            "422": {"description": "bad", "content": {"application/json": {"schema": {"type": "array"}}}},
            "default": {"description": "other"}
        }));
        let out = to_openapi30(&doc).unwrap();
        let codes: Vec<&String> = out["paths"]["/x"]["post"]["responses"].as_object().unwrap().keys().collect();
        assert_eq!(codes, ["200", "404"]);
        assert_eq!(out["openapi"], "3.0.3");
    }

    #[test]
    fn media_types_are_reduced_preferring_json() {
        let mut doc = op_doc(json!({"200": {"description": "ok", "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}}}}}));
        doc["paths"]["/x"]["post"]["requestBody"] = json!({"content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            "application/json": {}}});
        let out = to_openapi30(&doc).unwrap();
        let op = &out["paths"]["/x"]["post"];
        assert_eq!(op["requestBody"]["content"].as_object().unwrap().keys().collect::<Vec<_>>(), ["application/json"]);
        assert_eq!(
            op["responses"]["200"]["content"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["application/json"]
        );
    }

    #[test]
    fn defs_are_hoisted_and_refs_rewritten() {
        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {
            "Outer": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}, "$defs": {"B": {"type": "string"}}},
            "B": {"type": "integer"}
        }}});
        let out = to_openapi30(&doc).unwrap();
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["B"], json!({"type": "integer"}));
        assert_eq!(schemas["Outer"]["properties"]["b"]["$ref"], "#/components/schemas/OuterB");
        assert_eq!(schemas["OuterB"]["type"], "string");
        assert!(schemas["Outer"].get("$defs").is_none());
    }

    #[test]
    fn parameters_lose_nullable_and_response_schemas_are_relaxed() {
        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "x",
            "parameters": [{"name": "h", "in": "header", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}}}}},
        "components": {"schemas": {
            "Out": {"type": "object", "additionalProperties": false, "properties": {"n": {"$ref": "#/components/schemas/Nested"}}},
            "Nested": {"type": "object", "additionalProperties": false},
            "In": {"type": "object", "additionalProperties": false}
        }}});
        let out = to_openapi30(&doc).unwrap();
        assert_eq!(out["paths"]["/x"]["get"]["parameters"][0]["schema"], json!({"type": "string"}));
        assert!(out["components"]["schemas"]["Out"].get("additionalProperties").is_none());
        assert!(out["components"]["schemas"]["Nested"].get("additionalProperties").is_none());
        assert_eq!(out["components"]["schemas"]["In"]["additionalProperties"], false);
    }

    #[test]
    fn versions_are_checked() {
        assert!(to_openapi30(&json!({"swagger": "2.0"})).unwrap_err().message.contains("Swagger 2.0"));
        assert!(to_openapi30(&json!({"openapi": "4.0.0"})).unwrap_err().message.contains("unsupported"));
        assert!(to_openapi30(&json!({})).unwrap_err().message.contains("no `openapi`"));
    }
}
