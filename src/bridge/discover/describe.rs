//! What `describe_tool` answers, within the result limit (`MCP_MAX_RESULT_BYTES`).
//!
//! A definition that fits is answered whole. One that does not (Prefect's filter schemas,
//! LiteLLM's Responses API) is not cut like a listing, since half a schema misleads: the
//! answer is its outline (each argument's name, type, whether it is required and where
//! its schema is; the output's top-level fields) and the way to the rest: `describe_tool`
//! again with `part`, a JSON Pointer into the definition (`/inputSchema/properties/filter`).
//! A part too large is outlined the same way, one level down.

use crate::guard::truncate::json_len;
use serde_json::{Map, Value, json};

/// A description in an outline is cut to this many characters.
const DESCRIPTION_CHARS: usize = 300;

/// Whether `value` is an answer the result limit lets through whole: the same measure
/// (`guard::truncate`) as the call path that sends it.
fn fits(value: &Value, max: usize) -> bool {
    crate::guard::truncate::fits(&rmcp::model::CallToolResult::structured(value.clone()), max)
}

/// The answer to `describe_tool {name}`: the definition, or its outline.
pub fn whole(definition: Value, max: usize) -> Value {
    if fits(&definition, max) {
        return definition;
    }
    let name = definition.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut out = Map::new();
    for key in ["name", "title"] {
        if let Some(v) = definition.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(d) = definition.get("description").and_then(Value::as_str) {
        out.insert("description".into(), json!(cut(d, 4 * DESCRIPTION_CHARS)));
    }
    if let Some(a) = definition.get("annotations") {
        out.insert("annotations".into(), a.clone());
    }
    let input = definition.get("inputSchema").cloned().unwrap_or(Value::Null);
    out.insert("arguments".into(), Value::Array(fields(&input, "/inputSchema", "/inputSchema")));
    if let Some(output) = definition.get("outputSchema").filter(|o| !o.is_null()) {
        out.insert(
            "output".into(),
            json!({"type": kind(output, "/outputSchema"), "fields": fields(output, "/outputSchema", "/outputSchema")}),
        );
    }
    out.insert("outlined".into(), json!(note(&name, json_len(&definition), max, "/inputSchema/properties/ARGUMENT")));
    shrink(Value::Object(out), max)
}

/// An outline still too large loses its entries' descriptions, then their types; what is
/// still over the limit is cut by `guard::truncate` like any result.
fn shrink(mut outline: Value, max: usize) -> Value {
    for key in ["description", "type"] {
        if fits(&outline, max) {
            break;
        }
        for list in ["/arguments", "/fields", "/output/fields"] {
            if let Some(Value::Array(entries)) = outline.pointer_mut(list) {
                for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
                    entry.remove(key);
                }
            }
        }
    }
    outline
}

/// The answer to `describe_tool {name, part}`: the part, or its outline; an error naming
/// the parts there are when `pointer` is not one.
pub fn part(definition: &Value, pointer: &str, max: usize) -> Result<Value, String> {
    let name = definition.get("name").and_then(Value::as_str).unwrap_or_default();
    let pointer = if pointer.starts_with('/') { pointer.to_string() } else { format!("/{pointer}") };
    let Some(value) = definition.pointer(&pointer) else {
        return Err(format!(
            "`part` {pointer} is not in the definition of `{name}`; try /inputSchema, /outputSchema or /inputSchema/properties/ARGUMENT"
        ));
    };
    let answer = json!({"name": name, "part": pointer, "value": value});
    if fits(&answer, max) {
        return Ok(answer);
    }
    // `$ref`s in a schema point into its own `$defs`: `/inputSchema/$defs/X`.
    let root = if pointer.starts_with("/outputSchema") { "/outputSchema" } else { "/inputSchema" };
    let mut outline = Map::new();
    outline.insert("name".into(), json!(name));
    outline.insert("part".into(), json!(pointer));
    outline.insert("type".into(), json!(kind(value, root)));
    if let Some(d) = value.get("description").and_then(Value::as_str) {
        outline.insert("description".into(), json!(cut(d, DESCRIPTION_CHARS)));
    }
    outline.insert("fields".into(), Value::Array(fields(value, &pointer, root)));
    let at = pointer.as_str();
    let alternatives: Vec<Value> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| value.get(k).and_then(Value::as_array).map(|a| (k, a)))
        .flat_map(|(k, a)| {
            a.iter().enumerate().map(move |(i, s)| json!({"type": kind(s, root), "part": format!("{at}/{k}/{i}")}))
        })
        .collect();
    if !alternatives.is_empty() {
        outline.insert("alternatives".into(), Value::Array(alternatives));
    }
    if value.get("items").is_some() {
        outline
            .insert("items".into(), json!({"type": kind(&value["items"], root), "part": format!("{pointer}/items")}));
    }
    outline.insert("outlined".into(), json!(note(name, json_len(value), max, &format!("{pointer}/properties/FIELD"))));
    Ok(shrink(Value::Object(outline), max))
}

fn note(name: &str, bytes: usize, max: usize, example: &str) -> String {
    format!(
        "this is an outline: the whole is {bytes} bytes, over what one answer may carry (MCP_MAX_RESULT_BYTES={max}); describe_tool {{\"name\": \"{name}\", \"part\": \"{example}\"}} returns one part (each entry's `part` says where it is)"
    )
}

/// The properties of an object schema as outline entries: name, type, required, a short
/// description, and where the whole schema of each is.
fn fields(schema: &Value, at: &str, root: &str) -> Vec<Value> {
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(field, s)| {
            let mut entry = json!({
                "name": field,
                "type": kind(s, root),
                "required": required.contains(&field.as_str()),
                "part": format!("{at}/properties/{}", field.replace('~', "~0").replace('/', "~1")),
            });
            if let Some(d) = s.get("description").and_then(Value::as_str) {
                entry["description"] = json!(cut(d, DESCRIPTION_CHARS));
            }
            entry
        })
        .collect()
}

/// A schema's type in a few words: `string`, `integer | null`, `array of object`,
/// `enum (a, b, c)`, `object (see /inputSchema/$defs/Filter)`.
fn kind(schema: &Value, root: &str) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return format!("object (see {root}{})", r.trim_start_matches('#'));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> =
            values.iter().take(12).map(|v| v.as_str().map_or(v.to_string(), str::to_owned)).collect();
        let more = if values.len() > 12 { ", …" } else { "" };
        return format!("enum ({}{more})", shown.join(", "));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            return members.iter().map(|m| kind(m, root)).collect::<Vec<_>>().join(" | ");
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => match schema.get("items") {
            Some(items) => format!("array of {}", kind(items, root)),
            None => "array".into(),
        },
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "any".into(),
    }
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    format!("{}…", text.chars().take(chars).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(arguments: usize) -> Value {
        let properties: Map<String, Value> = (0..arguments)
            .map(|i| {
                (
                    format!("filter_{i}"),
                    json!({"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}], "description": "x".repeat(500)}),
                )
            })
            .collect();
        json!({
            "name": "read_flow_runs",
            "description": "Query for flow runs.",
            "inputSchema": {"type": "object", "properties": properties, "required": ["filter_0"],
                            "$defs": {"Filter": {"type": "object", "properties": {"name": {"type": "string"}}}}},
            "outputSchema": {"type": "object", "properties": {"result": {"type": "array", "items": {"type": "object"}}}},
            "annotations": {"readOnlyHint": true}
        })
    }

    #[test]
    fn a_definition_that_fits_is_answered_whole() {
        let d = definition(2);
        assert_eq!(whole(d.clone(), 1 << 20), d);
    }

    #[test]
    fn one_too_large_is_outlined_with_the_way_to_its_parts() {
        let d = definition(200);
        let max = 128 * 1024;
        let outline = whole(d.clone(), max);
        assert!(fits(&outline, max), "{} bytes", json_len(&outline));
        let arguments = outline["arguments"].as_array().unwrap();
        assert_eq!(arguments.len(), 200, "every argument is named");
        assert_eq!(arguments[0]["name"], "filter_0");
        assert_eq!(arguments[0]["required"], true);
        assert_eq!(arguments[1]["required"], false);
        assert_eq!(arguments[0]["type"], "object (see /inputSchema/$defs/Filter) | null");
        assert!(arguments[0].get("description").is_none(), "descriptions go first when it is too large");
        assert_eq!(outline["output"]["fields"][0]["type"], "array of object");
        assert!(outline["outlined"].as_str().unwrap().contains("\"part\""), "{}", outline["outlined"]);
        // The pointer each entry gives answers that part.
        let pointer = arguments[3]["part"].as_str().unwrap();
        let answer = part(&d, pointer, max).unwrap();
        assert_eq!(answer["value"], d.pointer(pointer).unwrap().clone());
        let defs = part(&d, "inputSchema/$defs/Filter", max).unwrap();
        assert_eq!(defs["value"]["properties"]["name"]["type"], "string");
    }

    #[test]
    fn a_part_too_large_is_outlined_and_a_wrong_one_is_refused() {
        let d = definition(200);
        let outline = part(&d, "/inputSchema", 128 * 1024).unwrap();
        assert_eq!(outline["fields"].as_array().unwrap().len(), 200);
        assert!(outline.get("value").is_none());
        let wrong = part(&d, "/inputSchema/properties/nope", 32 * 1024).unwrap_err();
        assert!(wrong.contains("/inputSchema/properties/nope") && wrong.contains("read_flow_runs"), "{wrong}");
    }

    /// Measured on Prefect's export (its filter schemas are large): at the default limit
    /// and at a small one, every answer fits, and an outline names every argument.
    #[test]
    #[allow(clippy::print_stdout)] // the measurement goes to the test output
    fn prefect_answers_stay_within_the_limit() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/specs/prefect-3.9.1.json");
        let spec = std::fs::read_to_string(path).unwrap();
        let ir = crate::codegen::lower_spec(crate::codegen::Input { spec: &spec, overrides: None }).unwrap();
        for max in [256 * 1024, 16 * 1024] {
            let (mut outlined, mut largest) = (0, (0, String::new()));
            for t in &ir.tools {
                let d = json!({"name": t.name, "title": t.title, "description": t.description,
                               "inputSchema": t.input_schema, "outputSchema": t.output_schema});
                largest = largest.max((json_len(&d), t.name.clone()));
                let answer = whole(d.clone(), max);
                if answer != d {
                    outlined += 1;
                    let arguments = t.input_schema["properties"].as_object().map_or(0, |p| p.len());
                    assert_eq!(answer["arguments"].as_array().unwrap().len(), arguments, "{}", t.name);
                }
                // Whole as answered: the outline, not the result limit, made it fit.
                assert!(fits(&answer, max), "{}: the answer would be cut", t.name);
                let sent = crate::guard::truncate::limit(rmcp::model::CallToolResult::structured(answer), max);
                let bytes = serde_json::to_string(&sent).unwrap().len();
                assert!(bytes <= max, "{}: {bytes} bytes over {max}", t.name);
            }
            println!(
                "Prefect, MCP_MAX_RESULT_BYTES={max}: {outlined} of {} definitions outlined; the largest, `{}`, is {} bytes",
                ir.tools.len(),
                largest.1,
                largest.0
            );
        }
    }
}
