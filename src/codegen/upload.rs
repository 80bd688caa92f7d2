//! Multipart uploads (`multipart/form-data` bodies): which body fields are files, and the
//! argument a file becomes.
//!
//! A file cannot travel in JSON as bytes, so each file field is a string: a data URL
//! (RFC 2397) with the file's name, `data:application/jsonl;name=batch.jsonl;base64,eyJh…`;
//! an array of files is an array of those. A string, not an object of name and bytes: every
//! framework hands a string to the model as it is, while LlamaIndex turned a nested object
//! into a free-form `Dict` (hiding its fields) and its Gemini converter refused the whole
//! request over the object's `additionalProperties` (measured with `check-frameworks
//! --tools`). Models know data URLs from image inputs. The name matters: servers (FastAPI's
//! `UploadFile`, OpenAI's file endpoints) read the type from its extension, and Starlette
//! treats a part without one as a plain form field. Every other field is a form field, sent
//! as text (the bridge writes the request: progenitor has no multipart support, see
//! `bridge/upload.rs`).

use serde_json::{Value, json};

/// The media type of a multipart body.
pub const MULTIPART: &str = "multipart/form-data";

/// What the model reads of a file argument.
pub const FILE_TEXT: &str = "File as a data URL with its name: data:<media type>;name=<file name>;base64,<bytes>";

/// A file as the schema of the body field says it: `format: binary` (OpenAPI 3.0) or a
/// `contentMediaType` that is not JSON (3.1, as FastAPI writes `UploadFile`).
fn is_file(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("string"))
        && (schema.get("format") == Some(&json!("binary"))
            || schema.get("contentMediaType").and_then(Value::as_str).is_some_and(|m| !m.contains("json")))
}

/// Whether a field holds a file or files: the file itself, an array of them, or either
/// made nullable (`anyOf [file, null]`). `resolve` follows a `$ref`.
fn holds_files<'a>(schema: &'a Value, resolve: &impl Fn(&'a Value) -> Option<&'a Value>) -> bool {
    let Some(schema) = resolve(schema) else { return false };
    if is_file(schema) {
        return true;
    }
    if schema.get("type") == Some(&json!("array")) {
        return schema.get("items").is_some_and(|items| holds_files(items, resolve));
    }
    ["anyOf", "oneOf"].iter().any(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(|b| holds_files(b, resolve)))
    })
}

/// The names of the file fields of a multipart body's (resolved) schema, in its order;
/// `resolve` gives a schema as it is, or what its `$ref` points to.
pub fn file_fields<'a>(body: &'a Value, resolve: impl Fn(&'a Value) -> Option<&'a Value>) -> Vec<String> {
    body.get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, schema)| holds_files(schema, &resolve))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The schema of one file argument; `description` is the field's own, put before ours.
fn file_schema(description: Option<&Value>) -> Value {
    let text = match description.and_then(Value::as_str) {
        Some(d) => format!("{} {FILE_TEXT}", d.trim_end()),
        None => FILE_TEXT.to_string(),
    };
    json!({"type": "string", "description": text})
}

/// Each string schema within a file field (itself, its array's items, its non-null
/// branches) becomes a file argument.
fn rewrite(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if map.get("type") == Some(&json!("string")) {
        *schema = file_schema(map.get("description"));
        return;
    }
    // A nullable file, as the wire schema spells it (`type: ["string", "null"]`).
    if map.get("type") == Some(&json!(["string", "null"])) {
        let mut file = file_schema(map.get("description"));
        file["type"] = json!(["string", "null"]);
        *schema = file;
        return;
    }
    if let Some(items) = map.get_mut("items") {
        rewrite(items);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            branches.iter_mut().filter(|b| b.get("type") != Some(&json!("null"))).for_each(rewrite);
        }
    }
}

/// The compiled body schema with its file fields as file arguments (data URLs).
pub fn as_files(body: &mut Value, files: &[String]) {
    let Some(properties) = body.get_mut("properties").and_then(Value::as_object_mut) else { return };
    for name in files {
        if let Some(field) = properties.get_mut(name) {
            rewrite(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_in_every_spelling() {
        let body = json!({"type": "object", "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "old": {"type": "string", "format": "binary"},
            "maybe": {"anyOf": [{"type": "string", "contentMediaType": "image/png"}, {"type": "null"}]},
            "many": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "meta": {"type": "string", "contentMediaType": "application/json"},
            "name": {"type": "string"},
            "by_ref": {"$ref": "#/x"},
        }});
        let target = json!({"type": "string", "format": "binary"});
        let files = file_fields(&body, |v| Some(if v.get("$ref").is_some() { &target } else { v }));
        assert_eq!(files, ["file", "old", "maybe", "many", "by_ref"]);
    }

    #[test]
    fn the_console_knows_a_file_argument() {
        let mark = FILE_TEXT.rsplit(": ").next().unwrap_or_default();
        let console = include_str!("../../console/form.js");
        assert!(console.contains(&format!("FILE_MARK = \"{mark}\"")), "console/form.js must end-match {mark:?}");
    }

    #[test]
    fn file_fields_become_data_urls() {
        let mut body = json!({"type": "object", "properties": {
            "file": {"type": "string", "description": "The archive"},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "union": {"type": ["string", "null"], "description": "An avatar"},
            "many": {"type": "array", "items": {"type": "string"}},
            "name": {"type": "string"},
        }});
        as_files(&mut body, &["file".into(), "maybe".into(), "union".into(), "many".into()]);
        let p = &body["properties"];
        let data_url = json!({"type": "string", "description": FILE_TEXT});
        assert_eq!(p["file"], json!({"type": "string", "description": format!("The archive {FILE_TEXT}")}));
        assert_eq!((&p["maybe"]["anyOf"][0], &p["maybe"]["anyOf"][1]), (&data_url, &json!({"type": "null"})));
        assert_eq!(p["union"], json!({"type": ["string", "null"], "description": format!("An avatar {FILE_TEXT}")}));
        assert_eq!(p["many"]["items"], data_url);
        assert_eq!(p["name"], json!({"type": "string"}));
    }
}
