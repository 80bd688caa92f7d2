//! The tool manifest (`generated/tools.json`): the tool surface as data, for review,
//! for other programs, and for drift and breaking-change checks.

use super::ir::Ir;
use serde_json::{Value, json};

/// Manifest format version; bump when the shape changes.
pub const FORMAT: u32 = 1;

pub fn to_value(ir: &Ir, spec_sha256: &str) -> Value {
    let tools: Vec<Value> = ir
        .tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "descriptionSource": t.description_source,
                "context": t.context,
                "operationId": t.operation_id,
                "nameOrigin": t.name_origin,
                "method": t.method,
                "path": t.path,
                "tags": t.tags,
                "deprecated": t.deprecated,
                "annotations": t.annotations,
                "params": t.params.iter().map(|p| json!({
                    "name": p.wire_name, "in": p.location, "required": p.required})).collect::<Vec<_>>(),
                "body": t.body,
                "response": t.response,
                "inputSchema": t.input_schema,
                "outputSchema": t.output_schema,
            })
        })
        .collect();
    json!({
        "format": FORMAT,
        "spec": {"title": ir.title, "version": ir.version, "openapi": ir.source_openapi, "sha256": spec_sha256},
        "tools": tools,
        "resources": ir.resources,
        "excluded": ir.exclusions,
    })
}

/// Pretty JSON, LF, trailing newline.
pub fn render(ir: &Ir, spec_sha256: &str) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(ir, spec_sha256)).expect("manifest serializes");
    s.push('\n');
    s
}
