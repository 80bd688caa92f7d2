//! The arguments a model sees, and the way back to the request the backend gets.
//!
//! The wire schema (`lower.rs`) mirrors the HTTP request: parameters, and the JSON body
//! under `body`. Agents meet it through frameworks that convert it for their model (OpenAI
//! strict mode, Gemini), and several lose or change what a faithful schema says
//! (`docs/API.md`, "How arguments are shaped", has the measurements). So the schema listed
//! to clients is a *view* of the wire schema, built here by one set of rules:
//!
//! - **The body's fields are arguments** of their own (LlamaIndex turns a nested object
//!   into a free-form `Dict`, and Gemini converters mangle nested fields). A field whose
//!   name a parameter or a bridge argument already has is `body_<field>`
//!   ([`naming::body_argument`]). Bodies that are not plain objects stay one `body`.
//! - **Optional means nullable, and `null` means "not given"**: every optional argument is
//!   `anyOf: [T, {"type": "null"}]`, which is how OpenAI strict mode spells optional
//!   (strict makes every property required), and how Gemini converters keep nullability
//!   (`type: [T, "null"]` becomes a string or loses its null there). A `null` for an
//!   optional argument, at any depth, is left out of the request.
//! - **Clearing is explicit**: on PATCH, `null` leaves a field unchanged, so a strict model
//!   that must send every field cannot wipe one by accident; the fields the model wants
//!   emptied go in `clear`, and reach the backend as `null`.
//! - **Free-form objects are JSON text**: `dict[str, Any]` cannot be expressed in strict
//!   mode (its objects must close) and Gemini turns it into a string anyway; the view asks
//!   for a JSON object encoded as a string, and the bridge decodes it (an object is
//!   accepted as well).
//! - **Files are data URLs** with their name (`codegen/upload.rs`): strings, here.
//! - **Every object has `properties`, and nested ones are closed**; `default`, `examples`, `title`,
//!   `deprecated`, `uniqueItems` and formats strict mode rejects are left out of the view
//!   (the backend applies its defaults to what is left out); `oneOf` is read as `anyOf`.
//! - **Mission context** (`context` on the wire) is `context_<field>` arguments.
//!
//! [`Plan::to_wire`] turns a model's arguments back into wire arguments, which are then
//! validated against the wire schema; [`Plan::model_path`] names a wire path the way
//! the model wrote it, for error messages.

use super::ir::{BodyKind, Method};
use super::naming;
use serde_json::{Map, Value, json};

/// The argument that lists the fields to empty, on PATCH tools.
pub const CLEAR_ARG: &str = "clear";
/// The wire argument that carries the request body.
pub const BODY_ARG: &str = super::ir::BODY_ARG;
/// The wire argument that carries the mission context, and the prefix of its fields'
/// arguments in the view.
pub const CONTEXT_ARG: &str = "context";
pub const CONTEXT_PREFIX: &str = "context_";

/// What the view says of a free-form object, beside its own description.
const FREE_FORM: &str = "JSON object, as text";
/// What the view says of `clear`.
const CLEAR_TEXT: &str = "Fields to set to null";
/// Formats OpenAI strict mode accepts; others are annotations the view drops.
const STRICT_FORMATS: &[&str] = &["date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"];
/// Keywords the view never carries (see the module comment).
const DROPPED: &[&str] = &["default", "examples", "title", "deprecated", "uniqueItems", "$defs", "description"];
/// How deep [`Plan::to_wire`] follows a value through its schema; deeper values are left
/// as they are (the validator refuses arguments nested this deep).
const MAX_DEPTH: usize = 64;

/// Where one argument of the view goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A path, query or header parameter of this wire name.
    Param(String),
    /// A field of the JSON body.
    BodyField(String),
    /// The whole body (not flattened).
    Body,
    /// A field of the mission context.
    Context(String),
    /// The fields to empty.
    Clear,
}

/// One argument of the view.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub slot: Slot,
    pub required: bool,
    /// Nullable on the wire (so `clear` may name it), for body fields.
    pub clearable: bool,
    /// The wire schema of its value.
    pub schema: Value,
}

/// A tool's arguments: the view's, in order, and how each maps to the wire.
#[derive(Debug, Clone)]
pub struct Plan {
    pub args: Vec<Arg>,
    /// The body's fields are arguments; `Some(required)` when so.
    flattened: Option<bool>,
    /// `$defs` of the wire schema (recursive types), for following `$ref`.
    defs: Map<String, Value>,
}

/// One thing wrong with a model's arguments, found while mapping them to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgProblem {
    pub path: String,
    pub message: String,
}

/// Can a tool with this method and body set a field to null, so `clear` means something? A
/// `PATCH` whose body is JSON: a form or multipart body has no null to send.
pub fn clears(method: Method, body: Option<BodyKind>) -> bool {
    method == Method::Patch && body == Some(BodyKind::Json)
}

impl Plan {
    /// The plan of a tool whose wire schema is `wire` (parameters and `body`), with the
    /// mission-context object schema `context` when the tool offers it. `clears`: the
    /// tool can set a field to null ([`clears`]), so it offers `clear`.
    pub fn new(wire: &Value, clears: bool, context: Option<&Value>) -> Plan {
        let props = wire.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let required: Vec<&str> =
            wire.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let defs = wire.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut args: Vec<Arg> = props
            .iter()
            .filter(|(name, _)| *name != BODY_ARG)
            .map(|(name, schema)| Arg {
                name: name.clone(),
                slot: Slot::Param(name.clone()),
                required: required.contains(&name.as_str()),
                clearable: false,
                schema: schema.clone(),
            })
            .collect();
        let mut flattened = None;
        if let Some(body) = props.get(BODY_ARG) {
            let body_required = required.contains(&BODY_ARG);
            match fields_of(body) {
                Some((fields, field_required)) => {
                    flattened = Some(body_required);
                    let context_names: Vec<String> = context_fields(context).map(|(f, _)| context_name(f)).collect();
                    let params: Vec<String> = args.iter().map(|a| a.name.clone()).collect();
                    let mut taken: Vec<String> = params.iter().cloned().chain(context_names).collect();
                    taken.push(CLEAR_ARG.into());
                    for (field, schema) in fields {
                        let name = naming::body_argument(field, |n| taken.iter().any(|t| t == n));
                        taken.push(name.clone());
                        let required = body_required && field_required.contains(&field.as_str());
                        args.push(Arg {
                            name,
                            slot: Slot::BodyField(field.clone()),
                            required,
                            clearable: !required && is_nullable(schema),
                            schema: schema.clone(),
                        });
                    }
                }
                None => args.push(Arg {
                    name: BODY_ARG.into(),
                    slot: Slot::Body,
                    required: body_required,
                    clearable: false,
                    schema: body.clone(),
                }),
            }
        }
        for (field, schema) in context_fields(context) {
            let name = context_name(field);
            if !args.iter().any(|a| a.name == name) {
                args.push(Arg {
                    name,
                    slot: Slot::Context(field.to_string()),
                    required: false,
                    clearable: false,
                    schema: schema.clone(),
                });
            }
        }
        if clears && args.iter().any(|a| a.clearable) && !args.iter().any(|a| a.name == CLEAR_ARG) {
            args.push(Arg {
                name: CLEAR_ARG.into(),
                slot: Slot::Clear,
                required: false,
                clearable: false,
                schema: json!({"type": "array", "items": {"type": "string"}}),
            });
        }
        Plan { args, flattened, defs }
    }

    /// The schema listed to clients (the rules of the module comment).
    pub fn view(&self) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for arg in &self.args {
            let schema = match &arg.slot {
                // The names are the arguments beside it; a wrong one is refused with the
                // list of those that can be emptied (an enum here would repeat them all).
                Slot::Clear => json!({
                    "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                    "description": CLEAR_TEXT
                }),
                _ => model_node(&arg.schema, !arg.required),
            };
            properties.insert(arg.name.clone(), schema);
            if arg.required {
                required.push(json!(arg.name));
            }
        }
        // The arguments object itself is marked closed only when it has no arguments (as MCP
        // recommends; the Agents SDK serves an empty open object non-strict): the bridge
        // refuses an unknown argument by name, and strict converters close it themselves;
        // saying so costs every tool 29 bytes on every turn.
        let empty = properties.is_empty();
        let mut out = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            out["required"] = Value::Array(required);
        }
        if empty {
            out["additionalProperties"] = json!(false);
        }
        if !self.defs.is_empty() {
            let defs: Map<String, Value> = self.defs.iter().map(|(k, v)| (k.clone(), model_node(v, false))).collect();
            out["$defs"] = Value::Object(defs);
        }
        out
    }

    fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The wire arguments for a model's arguments: body fields gathered into `body`,
    /// context fields into `context`, `clear` turned into `null`s, a `null` for an
    /// optional argument (at any depth) left out, JSON text decoded where the wire wants a
    /// free-form object. Arguments the view does not have are refused here, by their names.
    pub fn to_wire(&self, model: &Map<String, Value>) -> Result<Map<String, Value>, Vec<ArgProblem>> {
        let mut wire = Map::new();
        let mut body = Map::new();
        let mut body_given = false;
        let mut context = Map::new();
        let mut clear = None;
        let mut problems = Vec::new();
        for (key, value) in model {
            let Some(arg) = self.arg(key) else {
                let allowed: Vec<&str> = self.args.iter().map(|a| a.name.as_str()).collect();
                let message = if allowed.is_empty() {
                    "is not accepted here; this tool takes no arguments".to_string()
                } else {
                    format!("is not accepted here; allowed: {}", allowed.join(", "))
                };
                problems.push(ArgProblem { path: key.clone(), message });
                continue;
            };
            if value.is_null() && !arg.required {
                continue;
            }
            let value = self.normalize(value, &arg.schema, key, 0, &mut problems);
            match &arg.slot {
                Slot::Param(w) => {
                    wire.insert(w.clone(), value);
                }
                Slot::BodyField(w) => {
                    body.insert(w.clone(), value);
                    body_given = true;
                }
                Slot::Body => {
                    wire.insert(BODY_ARG.into(), value);
                }
                Slot::Context(f) => {
                    context.insert(f.clone(), value);
                }
                Slot::Clear => clear = Some(value),
            }
        }
        if let Some(list) = clear {
            let clearable = || self.args.iter().filter(|a| a.clearable).map(|a| a.name.as_str()).collect::<Vec<_>>();
            let Value::Array(items) = list else {
                problems.push(ArgProblem {
                    path: CLEAR_ARG.into(),
                    message: format!("expected an array of field names, e.g. [\"{}\"]", clearable().join("\", \"")),
                });
                return Err(problems);
            };
            for item in items {
                match item.as_str().and_then(|n| self.arg(n).filter(|a| a.clearable).map(|a| (n, a))) {
                    Some((name, Arg { slot: Slot::BodyField(w), .. })) => {
                        if body.get(w).is_some_and(|v| !v.is_null()) {
                            problems.push(ArgProblem {
                                path: CLEAR_ARG.into(),
                                message: format!(
                                    "`{name}` is given a value and listed in clear; send one or the other"
                                ),
                            });
                        } else {
                            body.insert(w.clone(), Value::Null);
                            body_given = true;
                        }
                    }
                    _ => problems.push(ArgProblem {
                        path: CLEAR_ARG.into(),
                        message: format!("{item} cannot be cleared; these can: {}", clearable().join(", ")),
                    }),
                }
            }
        }
        if let Some(required) = self.flattened
            && (required || body_given)
        {
            wire.insert(BODY_ARG.into(), Value::Object(body));
        }
        if !context.is_empty() {
            wire.insert(CONTEXT_ARG.into(), Value::Object(context));
        }
        if problems.is_empty() { Ok(wire) } else { Err(problems) }
    }

    /// The model's arguments for wire arguments: the inverse of [`Plan::to_wire`] for
    /// what it produces (for tools and tests that sample a request and call the tool).
    pub fn model_arguments(&self, wire: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for arg in &self.args {
            let value = match &arg.slot {
                Slot::Param(w) => wire.get(w),
                Slot::BodyField(w) => wire.get(BODY_ARG).and_then(|b| b.get(w)),
                Slot::Body => wire.get(BODY_ARG),
                Slot::Context(f) => wire.get(CONTEXT_ARG).and_then(|c| c.get(f)),
                Slot::Clear => None,
            };
            if let Some(v) = value {
                out.insert(arg.name.clone(), v.clone());
            }
        }
        out
    }

    /// A value on its way to the wire: nulls of optional properties left out, JSON text
    /// decoded where the schema wants a free-form object.
    fn normalize(
        &self,
        value: &Value,
        schema: &Value,
        path: &str,
        depth: usize,
        problems: &mut Vec<ArgProblem>,
    ) -> Value {
        if depth > MAX_DEPTH || value.is_null() {
            return value.clone();
        }
        let schema = self.resolve(schema);
        let (inner, _) = split_null(schema);
        if is_free_form(&inner)
            && let Value::String(text) = value
        {
            return match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Value::Object(map),
                Ok(other) => {
                    problems.push(ArgProblem {
                        path: path.to_string(),
                        message: format!(
                            "expected a JSON object encoded as a string (e.g. \"{{\\\"key\\\": \\\"value\\\"}}\"), got JSON {}",
                            json_kind(&other)
                        ),
                    });
                    value.clone()
                }
                Err(e) => {
                    problems.push(ArgProblem {
                        path: path.to_string(),
                        message: format!(
                            "is not JSON ({e}); send a JSON object encoded as a string, e.g. \"{{\\\"key\\\": \\\"value\\\"}}\""
                        ),
                    });
                    value.clone()
                }
            };
        }
        match value {
            Value::Object(map) => {
                let props = inner.get("properties").and_then(Value::as_object);
                let required: Vec<&str> = inner
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let mut out = Map::new();
                for (k, v) in map {
                    let Some(prop) = props.and_then(|p| p.get(k)) else {
                        out.insert(k.clone(), v.clone());
                        continue;
                    };
                    if v.is_null() && !required.contains(&k.as_str()) {
                        continue;
                    }
                    out.insert(k.clone(), self.normalize(v, prop, &format!("{path}.{k}"), depth + 1, problems));
                }
                Value::Object(out)
            }
            Value::Array(items) => match inner.get("items") {
                Some(item_schema) => Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.normalize(v, item_schema, &format!("{path}[{i}]"), depth + 1, problems))
                        .collect(),
                ),
                None => value.clone(),
            },
            _ => value.clone(),
        }
    }

    /// `{"$ref": "#/$defs/X"}` → the schema of X (recursive types).
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
            Some(name) => self.defs.get(name).unwrap_or(schema),
            None => schema,
        }
    }

    /// A path of the wire (`body.notes`, `context.station`, as the validator names it),
    /// named as the model wrote it (`notes`, `context_station`).
    pub fn model_path(&self, wire_path: &str) -> String {
        let split = |rest: &str| -> (String, String) {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            (rest[..end].to_string(), rest[end..].to_string())
        };
        if self.flattened.is_some()
            && let Some(rest) = wire_path.strip_prefix("body.")
        {
            let (field, tail) = split(rest);
            if let Some(arg) = self.args.iter().find(|a| a.slot == Slot::BodyField(field.clone())) {
                return format!("{}{tail}", arg.name);
            }
        }
        if let Some(rest) = wire_path.strip_prefix("context.") {
            let (field, tail) = split(rest);
            if let Some(arg) = self.args.iter().find(|a| a.slot == Slot::Context(field.clone())) {
                return format!("{}{tail}", arg.name);
            }
        }
        wire_path.to_string()
    }
}

/// The argument a field of the mission context (`station`) is, where a tool offers it.
pub fn context_name(field: &str) -> String {
    format!("{CONTEXT_PREFIX}{field}")
}

fn context_fields(context: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    context.and_then(|c| c.get("properties")).and_then(Value::as_object).into_iter().flatten()
}

/// The fields of a body that can become arguments: a plain, non-nullable object with
/// declared properties and no other keys allowed than those.
fn fields_of(body: &Value) -> Option<(&Map<String, Value>, Vec<&str>)> {
    let plain = body.get("type") == Some(&json!("object"))
        && ["anyOf", "oneOf", "allOf", "not", "$ref"].iter().all(|k| body.get(k).is_none())
        && matches!(body.get("additionalProperties"), None | Some(Value::Bool(false)));
    let fields = body.get("properties")?.as_object()?;
    let required =
        body.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    (plain && !fields.is_empty()).then_some((fields, required))
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null") && v.as_object().is_some_and(|m| m.len() == 1)
}

fn is_nullable(schema: &Value) -> bool {
    split_null(schema).1
}

/// A schema without its `null`: `type: [T, "null"]` → `type: T`; `anyOf: [X, null]` → X
/// (with the outer annotations); and whether there was one.
fn split_null(schema: &Value) -> (Map<String, Value>, bool) {
    let Value::Object(s) = schema else { return (Map::new(), false) };
    let mut s = s.clone();
    if let Some(Value::Array(types)) = s.get("type").cloned()
        && types.iter().any(|t| t == "null")
    {
        let rest: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        let t = if rest.len() == 1 { rest[0].clone() } else { Value::Array(rest) };
        s.insert("type".into(), t);
        if let Some(Value::Array(values)) = s.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
        return (s, true);
    }
    if let Some(Value::Array(branches)) = s.get("anyOf").cloned()
        && branches.iter().any(is_null_schema)
    {
        let rest: Vec<Value> = branches.into_iter().filter(|b| !is_null_schema(b)).collect();
        s.remove("anyOf");
        if let [only] = rest.as_slice()
            && let Value::Object(branch) = only
        {
            let mut merged = branch.clone();
            for (k, v) in s {
                merged.entry(k).or_insert(v);
            }
            return (merged, true);
        }
        s.insert("anyOf".into(), Value::Array(rest));
        return (s, true);
    }
    (s, false)
}

/// An object whose keys are not declared (`dict[str, Any]`, or a map of typed values).
fn is_free_form(s: &Map<String, Value>) -> bool {
    s.get("type") == Some(&json!("object"))
        && !s.contains_key("properties")
        && s.get("additionalProperties") != Some(&Value::Bool(false))
        && ["anyOf", "oneOf", "allOf", "$ref"].iter().all(|k| !s.contains_key(*k))
}

/// One schema of the view (see the module comment); `optional` adds `null`.
fn model_node(schema: &Value, optional: bool) -> Value {
    let (inner, nullable) = split_null(schema);
    let mut description = inner.get("description").and_then(Value::as_str).map(str::to_owned);
    let mut out = Map::new();
    if is_free_form(&inner) {
        out.insert("type".into(), json!("string"));
        description = Some(match description {
            Some(d) => format!("{} {FREE_FORM}", d.trim_end()),
            None => FREE_FORM.to_string(),
        });
    } else {
        let required: Vec<&str> =
            inner.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        for (key, value) in &inner {
            match key.as_str() {
                k if DROPPED.contains(&k) => {}
                "additionalProperties" => {}
                "format" if !value.as_str().is_some_and(|f| STRICT_FORMATS.contains(&f)) => {}
                "properties" => {
                    let props: Map<String, Value> = value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(name, p)| (name.clone(), model_node(p, !required.contains(&name.as_str()))))
                        .collect();
                    out.insert("properties".into(), Value::Object(props));
                }
                "items" | "not" => {
                    out.insert(key.clone(), model_node(value, false));
                }
                "anyOf" | "oneOf" | "allOf" => {
                    let branches: Vec<Value> =
                        value.as_array().into_iter().flatten().map(|b| model_node(b, false)).collect();
                    let key = if key == "allOf" { "allOf" } else { "anyOf" };
                    match out.get_mut(key) {
                        Some(Value::Array(existing)) => existing.extend(branches),
                        _ => {
                            out.insert(key.into(), Value::Array(branches));
                        }
                    }
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        let object = out.get("type") == Some(&json!("object")) || out.contains_key("properties");
        if object {
            out.entry("properties").or_insert_with(|| json!({}));
            out.insert("additionalProperties".into(), json!(false));
        }
    }
    if nullable || optional {
        let mut wrapper = Map::new();
        wrapper.insert("anyOf".into(), json!([Value::Object(out), {"type": "null"}]));
        if let Some(d) = description {
            wrapper.insert("description".into(), Value::String(d));
        }
        return Value::Object(wrapper);
    }
    if let Some(d) = description {
        out.insert("description".into(), Value::String(d));
    }
    Value::Object(out)
}

/// What a JSON value is, in words for a message ("a string", "an array").
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update_poi() -> Value {
        json!({"type": "object", "properties": {
            "poi_id": {"type": "integer"},
            "body": {"type": "object", "properties": {
                "name": {"type": ["string", "null"]},
                "notes": {"type": ["string", "null"], "description": "free text"},
                "risk_level": {"type": ["string", "null"], "enum": ["info", "hostile", null]},
                "is_active": {"type": ["boolean", "null"]},
                "poi_id": {"type": "integer"},
                "meta": {"type": ["object", "null"]}}}},
            "required": ["poi_id", "body"], "additionalProperties": false})
    }

    #[test]
    fn the_body_flattens_and_optional_is_nullable() {
        let plan = Plan::new(&update_poi(), true, None);
        let view = plan.view();
        let props = view["properties"].as_object().unwrap();
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(names, ["poi_id", "name", "notes", "risk_level", "is_active", "body_poi_id", "meta", "clear"]);
        assert_eq!(view["required"], json!(["poi_id"]));
        assert_eq!(
            props["notes"],
            json!({"anyOf": [{"type": "string"}, {"type": "null"}], "description": "free text"})
        );
        assert_eq!(props["risk_level"]["anyOf"][0], json!({"type": "string", "enum": ["info", "hostile"]}));
        assert_eq!(props["meta"]["anyOf"][0], json!({"type": "string"}), "free-form objects are JSON text");
        assert_eq!(props["clear"]["anyOf"][0], json!({"type": "array", "items": {"type": "string"}}));
        let clearable: Vec<&str> = plan.args.iter().filter(|a| a.clearable).map(|a| a.name.as_str()).collect();
        assert_eq!(clearable, ["name", "notes", "risk_level", "is_active", "meta"], "body_poi_id is not nullable");
        assert!(view.get("additionalProperties").is_none(), "the bridge refuses unknown arguments itself");
    }

    #[test]
    fn null_is_not_given_and_clear_sends_null() {
        let plan = Plan::new(&update_poi(), true, None);
        let args = json!({"poi_id": 4, "name": null, "risk_level": "hostile", "notes": null, "is_active": null,
                          "body_poi_id": null, "meta": null, "clear": ["notes"]});
        let wire = plan.to_wire(args.as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(wire), json!({"poi_id": 4, "body": {"risk_level": "hostile", "notes": null}}));
        let wire = plan.to_wire(json!({"poi_id": 4}).as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(wire), json!({"poi_id": 4, "body": {}}), "a required body is always sent");
    }

    #[test]
    fn mistakes_are_named_as_the_model_wrote_them() {
        let plan = Plan::new(&update_poi(), true, None);
        let err = plan.to_wire(json!({"poi_id": 4, "body": {"name": "x"}}).as_object().unwrap()).unwrap_err();
        assert_eq!(err[0].path, "body");
        assert!(err[0].message.contains("allowed: poi_id, name"), "{err:?}");
        let err = plan
            .to_wire(json!({"poi_id": 4, "notes": "n", "clear": ["notes", "poi_id"]}).as_object().unwrap())
            .unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(err[0].message.contains("given a value and listed in clear"), "{err:?}");
        assert!(err[1].message.contains("\"poi_id\" cannot be cleared; these can: name, notes"), "{err:?}");
        let err = plan.to_wire(json!({"poi_id": 4, "meta": "{oops"}).as_object().unwrap()).unwrap_err();
        assert_eq!(err[0].path, "meta");
        assert_eq!(plan.model_path("body.body_poi_id"), "body.body_poi_id");
        assert_eq!(plan.model_path("body.poi_id"), "body_poi_id");
        assert_eq!(plan.model_path("body.name[2].x"), "name[2].x");
        assert_eq!(plan.model_path("poi_id"), "poi_id");
    }

    #[test]
    fn model_arguments_invert_to_wire() {
        let plan = Plan::new(&update_poi(), true, None);
        let wire = json!({"poi_id": 4, "body": {"risk_level": "hostile", "poi_id": 9}});
        let model = plan.model_arguments(wire.as_object().unwrap());
        assert_eq!(Value::Object(model.clone()), json!({"poi_id": 4, "risk_level": "hostile", "body_poi_id": 9}));
        assert_eq!(Value::Object(plan.to_wire(&model).unwrap()), wire);
    }

    #[test]
    fn json_text_becomes_an_object_and_objects_pass() {
        let plan = Plan::new(&update_poi(), true, None);
        for meta in [json!("{\"k\": [1, null]}"), json!({"k": [1, null]})] {
            let wire = plan.to_wire(json!({"poi_id": 1, "meta": meta}).as_object().unwrap()).unwrap();
            assert_eq!(wire["body"]["meta"], json!({"k": [1, null]}));
        }
    }

    #[test]
    fn nested_optional_nulls_are_left_out_and_required_ones_kept() {
        let wire = json!({"type": "object", "properties": {"body": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["a"],
                "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["string", "null"]}}}}}}},
            "required": ["body"]});
        let plan = Plan::new(&wire, false, None);
        let out = plan.to_wire(json!({"items": [{"a": null, "b": null}]}).as_object().unwrap()).unwrap();
        assert_eq!(out["body"], json!({"items": [{"a": null}]}));
        let view = plan.view();
        let item = &view["properties"]["items"]["anyOf"][0]["items"];
        assert_eq!(item["required"], json!(["a"]));
        assert_eq!(item["additionalProperties"], false);
        assert_eq!(item["properties"]["b"], json!({"anyOf": [{"type": "string"}, {"type": "null"}]}));
    }

    #[test]
    fn context_fields_are_arguments_and_bodies_that_are_not_objects_stay_whole() {
        let wire = json!({"type": "object", "properties": {"body": {"type": "array", "items": {"type": "integer"}}},
            "required": ["body"], "additionalProperties": false});
        let context = json!({"type": "object", "properties": {"station": {"type": "string", "maxLength": 128}}});
        let plan = Plan::new(&wire, false, Some(&context));
        let view = plan.view();
        assert_eq!(view["properties"]["body"], json!({"type": "array", "items": {"type": "integer"}}));
        assert!(view["properties"]["context_station"]["anyOf"].is_array());
        let out = plan.to_wire(json!({"body": [1], "context_station": "ops"}).as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(out), json!({"body": [1], "context": {"station": "ops"}}));
        assert_eq!(plan.model_path("context.station"), "context_station");
        let empty = Plan::new(&json!({"type": "object", "additionalProperties": false}), false, None);
        assert_eq!(empty.view(), json!({"type": "object", "properties": {}, "additionalProperties": false}));
        assert!(empty.to_wire(json!({"x": 1}).as_object().unwrap()).unwrap_err()[0].message.contains("no arguments"));
    }

    #[test]
    fn the_view_drops_what_strict_mode_rejects() {
        let wire = json!({"type": "object", "properties": {
            "limit": {"type": "integer", "default": 50, "minimum": 0, "title": "Limit", "examples": [5]},
            "when": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "pick": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}});
        let view = Plan::new(&wire, false, None).view();
        assert_eq!(
            view["properties"]["limit"],
            json!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]})
        );
        assert_eq!(view["properties"]["when"]["anyOf"][0]["format"], "date-time");
        assert!(view["properties"]["url"]["anyOf"][0].get("format").is_none());
        assert_eq!(view["properties"]["pick"]["anyOf"][0]["anyOf"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn only_a_patch_of_json_offers_clear() {
        let plan = Plan::new(&update_poi(), false, None);
        assert!(plan.view()["properties"].get(CLEAR_ARG).is_none());
        assert!(clears(Method::Patch, Some(BodyKind::Json)));
        // A form has no null to send: `clear` would do nothing.
        for (method, body) in [
            (Method::Patch, Some(BodyKind::Multipart)),
            (Method::Patch, Some(BodyKind::Form)),
            (Method::Patch, None),
            (Method::Put, Some(BodyKind::Json)),
        ] {
            assert!(!clears(method, body), "{method:?} {body:?}");
        }
    }
}
