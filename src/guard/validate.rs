//! Tool arguments against the tool's `inputSchema` (JSON Schema 2020-12), with the
//! `jsonschema` crate: each tool's validator is compiled once, when the bridge is built,
//! and reused for every call.
//!
//! What this module adds is the words: every violation becomes `(argument path, problem)`
//! that a model can act on, e.g. `body.items[2].name: expected integer, got string "abc"`,
//! built from the crate's error kinds and instance paths. And bounds on hostile input: an
//! instance nested deeper than [`MAX_DEPTH`] is refused before validation, and at most
//! [`MAX_VIOLATIONS`] violations are reported.
//!
//! `format` is an annotation here, as 2020-12 says by default: FastAPI accepts date-times
//! without an offset, and refusing what the backend accepts would lose calls.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;
use std::fmt;

/// Deepest nesting of arguments accepted (objects and arrays).
pub const MAX_DEPTH: usize = 64;
/// Most violations reported for one call.
pub const MAX_VIOLATIONS: usize = 20;

/// A compiled `inputSchema`.
pub struct Validator {
    schema: Value,
    compiled: jsonschema::Validator,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator").finish_non_exhaustive()
    }
}

/// One thing wrong with the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `body.identifiers[2].identifier_value`; empty for the arguments as a whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// The schema itself cannot be used (a bug in generation, found when the bridge is built).
#[derive(Debug, thiserror::Error)]
#[error("the input schema is not a usable JSON Schema: {0}")]
pub struct SchemaError(String);

impl Validator {
    pub fn new(schema: &Value) -> Result<Validator, SchemaError> {
        let compiled = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(false)
            .build(schema)
            .map_err(|e| SchemaError(e.to_string()))?;
        Ok(Validator { schema: schema.clone(), compiled })
    }

    /// `Ok(())` or the violations found (at most [`MAX_VIOLATIONS`]).
    pub fn validate(&self, instance: &Value) -> Result<(), Vec<Violation>> {
        if let Some(path) = too_deep(instance) {
            return Err(vec![Violation {
                path,
                message: format!("nests deeper than {MAX_DEPTH} levels; send flatter arguments"),
            }]);
        }
        if self.compiled.is_valid(instance) {
            return Ok(());
        }
        let mut found = Vec::new();
        for error in self.compiled.iter_errors(instance) {
            let path = render(error.instance_path().iter());
            for v in self.describe(&path, error.kind(), error.instance(), error.schema_path().as_str()) {
                if found.len() < MAX_VIOLATIONS && !found.contains(&v) {
                    found.push(v);
                }
            }
            if found.len() >= MAX_VIOLATIONS {
                break;
            }
        }
        Err(found)
    }

    /// The words for one error of the crate.
    fn describe(&self, path: &str, kind: &ValidationErrorKind, value: &Value, schema_path: &str) -> Vec<Violation> {
        let at = |p: String, message: String| Violation { path: p, message };
        let here = |message: String| vec![at(path.to_string(), message)];
        match kind {
            ValidationErrorKind::Type { kind } => here(format!("expected {}, got {}", types(kind), shown(value))),
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
                vec![at(join(path, &name), "is required".into())]
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(schema_path);
                unexpected
                    .iter()
                    .map(|name| {
                        let message = if allowed.is_empty() {
                            "is not accepted here; no properties are allowed".to_string()
                        } else {
                            format!("is not accepted here; allowed: {}", allowed.join(", "))
                        };
                        at(join(path, name), message)
                    })
                    .collect()
            }
            ValidationErrorKind::Enum { options } => {
                let options = options.as_array().map(|o| o.iter().map(show).collect::<Vec<_>>().join(", "));
                here(format!("must be one of {}, got {}", options.unwrap_or_default(), show(value)))
            }
            ValidationErrorKind::Constant { expected_value } => {
                here(format!("must be {}, got {}", show(expected_value), show(value)))
            }
            ValidationErrorKind::Minimum { limit } => here(format!("must be ≥ {limit}, got {}", show(value))),
            ValidationErrorKind::Maximum { limit } => here(format!("must be ≤ {limit}, got {}", show(value))),
            ValidationErrorKind::ExclusiveMinimum { limit } => here(format!("must be > {limit}, got {}", show(value))),
            ValidationErrorKind::ExclusiveMaximum { limit } => here(format!("must be < {limit}, got {}", show(value))),
            ValidationErrorKind::MultipleOf { multiple_of } => {
                here(format!("must be a multiple of {multiple_of}, got {}", show(value)))
            }
            ValidationErrorKind::MinLength { limit } => {
                here(format!("must be at least {limit} character{} long", plural(*limit)))
            }
            ValidationErrorKind::MaxLength { limit } => {
                here(format!("must be at most {limit} character{} long", plural(*limit)))
            }
            ValidationErrorKind::Pattern { pattern } => here(format!("does not match pattern {pattern}")),
            ValidationErrorKind::MinItems { limit } => {
                here(format!("must have at least {limit} item{}", plural(*limit)))
            }
            ValidationErrorKind::MaxItems { limit } => {
                here(format!("must have at most {limit} item{}", plural(*limit)))
            }
            ValidationErrorKind::UniqueItems => here("must not repeat an item".into()),
            ValidationErrorKind::MinProperties { limit } => {
                here(format!("must have at least {limit} propert{}", if *limit == 1 { "y" } else { "ies" }))
            }
            ValidationErrorKind::MaxProperties { limit } => {
                here(format!("must have at most {limit} propert{}", if *limit == 1 { "y" } else { "ies" }))
            }
            ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
                // Report the branch that came closest, in its own words.
                let closest = context.iter().filter(|branch| !branch.is_empty()).min_by_key(|branch| branch.len());
                match closest {
                    Some(branch) => {
                        let inner: Vec<String> = branch
                            .iter()
                            .flat_map(|e| {
                                let p = render(e.instance_path().iter());
                                self.describe(&p, e.kind(), e.instance(), e.schema_path().as_str())
                            })
                            .map(|v| v.to_string())
                            .collect();
                        here(format!("matches none of the allowed shapes; the closest: {}", inner.join("; ")))
                    }
                    None => here("matches none of the allowed shapes".into()),
                }
            }
            ValidationErrorKind::OneOfMultipleValid { .. } => {
                here("matches more than one of the allowed shapes; make it match exactly one".into())
            }
            ValidationErrorKind::Not { .. } => here("is a value this argument must not take".into()),
            ValidationErrorKind::FalseSchema => here("is not accepted here".into()),
            other => here(format!("{other:?}")),
        }
    }

    /// The property names the object at `schema_path`'s parent declares.
    fn allowed_properties(&self, schema_path: &str) -> Vec<String> {
        let parent = schema_path.strip_suffix("/additionalProperties").unwrap_or(schema_path);
        self.schema
            .pointer(parent)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// `body.items[2].name` from the crate's instance path.
fn render<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            LocationSegment::Property(p) => out = join(&out, &p),
            LocationSegment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// `parent.name`, or `parent["odd name"]` when `name` is not an identifier.
fn join(parent: &str, name: &str) -> String {
    let ident = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    match (parent.is_empty(), ident) {
        (true, true) => name.to_string(),
        (false, true) => format!("{parent}.{name}"),
        (_, false) => format!("{parent}[{}]", Value::String(name.to_string())),
    }
}

fn types(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(ts) => ts.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" or "),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A value as a message shows it: its kind, and short values themselves.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => format!("string {}", show(v)),
        Value::Array(a) => format!("an array of {} item{}", a.len(), plural(a.len() as u64)),
        Value::Object(_) => "an object".into(),
    }
}

/// A value, cut to a readable length.
fn show(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Where the instance nests deeper than [`MAX_DEPTH`], if it does (iterative: hostile
/// depth cannot overflow the stack here).
fn too_deep(instance: &Value) -> Option<String> {
    let mut stack: Vec<(&Value, usize, String)> = vec![(instance, 0, String::new())];
    while let Some((v, depth, path)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Some(path);
        }
        match v {
            Value::Object(m) => stack.extend(m.iter().map(|(k, c)| (c, depth + 1, join(&path, k)))),
            Value::Array(a) => stack.extend(a.iter().enumerate().map(|(i, c)| (c, depth + 1, format!("{path}[{i}]")))),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value, instance: Value) -> Vec<String> {
        match Validator::new(&schema).unwrap().validate(&instance) {
            Ok(()) => vec![],
            Err(v) => v.iter().map(ToString::to_string).collect(),
        }
    }

    fn one(schema: Value, instance: Value) -> String {
        let found = problems(schema, instance);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].clone()
    }

    #[test]
    fn messages_name_the_argument_and_what_is_wrong() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["poi_id", "body"],
            "properties": {"poi_id": {"type": "integer"}, "body": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}, "tags": {"type": "array",
                    "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}});
        assert_eq!(
            problems(schema.clone(), json!({"poi_id": "abc", "body": {"tags": [{}, {}, {"n": "x"}]}, "poi_idd": 1})),
            [
                r#"poi_id: expected integer, got string "abc""#,
                "body.name: is required",
                r#"body.tags[2].n: expected integer, got string "x""#,
                r#"poi_idd: is not accepted here; allowed: poi_id, body"#,
            ]
        );
        assert_eq!(
            one(schema, json!({"poi_id": 1, "body": {"name": ""}})),
            "body.name: must be at least 1 character long"
        );
    }

    #[test]
    fn odd_keys_are_quoted() {
        let schema = json!({"type": "object", "properties": {"a.b": {"type": "object", "properties": {"x/y": {"type": "integer"}}}}});
        assert_eq!(one(schema, json!({"a.b": {"x/y": "no"}})), r#"["a.b"]["x/y"]: expected integer, got string "no""#);
    }

    #[test]
    fn hostile_depth_is_refused_before_validation() {
        let mut deep = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            deep = json!([deep]);
        }
        let found = problems(json!({"type": "object"}), json!({"a": deep}));
        assert!(found[0].contains("nests deeper than 64 levels"), "{found:?}");
    }

    #[test]
    fn violations_are_capped() {
        let props: serde_json::Map<String, Value> =
            (0..50).map(|i| (format!("p{i}"), json!({"type": "integer"}))).collect();
        let bad: serde_json::Map<String, Value> = (0..50).map(|i| (format!("p{i}"), json!("x"))).collect();
        let found = problems(json!({"type": "object", "properties": props}), Value::Object(bad));
        assert_eq!(found.len(), MAX_VIOLATIONS);
    }

    /// Every keyword the generator copies into an input schema (`codegen::schema`) is
    /// either enforced here, shown with a value that breaks it, or an annotation: a new
    /// keyword in the generator fails this test until it is placed.
    #[test]
    fn every_keyword_the_generator_emits_is_enforced_or_an_annotation() {
        let enforced: &[(&str, Value, Value)] = &[
            ("type", json!({"type": "integer"}), json!("x")),
            ("enum", json!({"enum": ["a", "b"]}), json!("c")),
            ("const", json!({"const": "a"}), json!("b")),
            ("minimum", json!({"minimum": 1}), json!(0)),
            ("maximum", json!({"maximum": 1}), json!(2)),
            ("exclusiveMinimum", json!({"exclusiveMinimum": 1}), json!(1)),
            ("exclusiveMaximum", json!({"exclusiveMaximum": 1}), json!(1)),
            ("multipleOf", json!({"multipleOf": 3}), json!(4)),
            ("minLength", json!({"minLength": 2}), json!("a")),
            ("maxLength", json!({"maxLength": 1}), json!("ab")),
            ("pattern", json!({"pattern": "^a$"}), json!("b")),
            ("minItems", json!({"type": "array", "items": {}, "minItems": 1}), json!([])),
            ("maxItems", json!({"type": "array", "items": {}, "maxItems": 0}), json!([1])),
            ("uniqueItems", json!({"type": "array", "items": {}, "uniqueItems": true}), json!([1, 1])),
            ("minProperties", json!({"type": "object", "minProperties": 1}), json!({})),
            ("maxProperties", json!({"type": "object", "maxProperties": 0}), json!({"a": 1})),
            ("properties", json!({"properties": {"a": {"type": "integer"}}}), json!({"a": "x"})),
            ("required", json!({"required": ["a"]}), json!({})),
            ("additionalProperties", json!({"properties": {}, "additionalProperties": false}), json!({"a": 1})),
            ("items", json!({"type": "array", "items": {"type": "integer"}}), json!(["x"])),
            ("not", json!({"not": {"type": "string"}}), json!("x")),
            ("allOf", json!({"allOf": [{"type": "integer"}, {"minimum": 2}]}), json!(1)),
            ("anyOf", json!({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}), json!("x")),
            ("oneOf", json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]}), json!(1)),
            ("$ref", json!({"$defs": {"N": {"type": "integer"}}, "$ref": "#/$defs/N"}), json!("x")),
        ];
        let annotations = ["title", "description", "default", "format", "deprecated", "examples"];
        for keyword in crate::codegen::schema::KEPT.iter().chain(crate::codegen::schema::STRUCTURAL) {
            let placed = enforced.iter().any(|(k, _, _)| k == keyword) || annotations.contains(keyword);
            assert!(
                placed,
                "the generator emits `{keyword}`: enforce it here (with a test case) or list it as an annotation"
            );
        }
        for (keyword, schema, bad) in enforced {
            assert!(!problems(schema.clone(), bad.clone()).is_empty(), "`{keyword}` is not enforced");
        }
    }
}
