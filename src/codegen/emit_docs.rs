//! The generated part of `docs/API.md`: the tool ↔ endpoint mapping, the exclusions and
//! the operationId → tool name map. The prose around it is hand-written; `make generate`
//! splices this between the markers.

use super::ir::{Ir, ResponseShape, Tool};
use super::shape::{Plan, Slot};
use serde_json::Value;
use std::fmt::Write;

pub const BEGIN_MARKER: &str = "<!-- BEGIN GENERATED: tool mapping (make generate) -->";
pub const END_MARKER: &str = "<!-- END GENERATED -->";

pub fn render(ir: &Ir) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "_Generated from the spec ({} {}, OpenAPI {}): {} tools, {} excluded operation(s)._\n",
        ir.title,
        ir.version,
        ir.source_openapi,
        ir.tools.len(),
        ir.exclusions.len()
    );
    md.push_str("| Tool | Endpoint | Arguments | Body (its fields are arguments) | Result | Hints | Tag |\n");
    md.push_str("|---|---|---|---|---|---|---|\n");
    for t in &ir.tools {
        let _ = writeln!(
            md,
            "| `{}` | `{} {}` | {} | {} | {} | {} | {} |",
            t.name,
            t.method.as_str(),
            cell(&t.path),
            arguments(t),
            body(t),
            result(t),
            hints(t),
            if t.tags.is_empty() { "—".to_string() } else { cell(&t.tags.join(", ")) },
        );
    }
    md.push_str("\nHints: `read-only` (readOnlyHint), `idempotent` (idempotentHint), `destructive` (destructiveHint: asks for confirmation), `open-world` (openWorldHint); `write` means none of read-only, idempotent or destructive.\n");

    md.push_str("\n### Resources and resource templates\n\n");
    if ir.resources.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str("Read-only tools an agent or its host can also read as MCP resources (`resources/read`, JSON), through the same guardrails. A URI with `{variables}` is a resource template; `completion/complete` offers values for a variable from the listed tool.\n\n");
        md.push_str("| URI | Name | Reads with | Variable values from |\n|---|---|---|---|\n");
        for r in &ir.resources {
            let sources: Vec<String> = r
                .variables
                .iter()
                .map(|v| match (&v.list_tool, &v.value_field) {
                    (Some(t), Some(f)) => {
                        let label = if v.label_fields.is_empty() {
                            String::new()
                        } else {
                            format!(", labelled by `{}`", v.label_fields.join("`/`"))
                        };
                        format!("`{}`: `{t}` → `{f}`{label}", v.name)
                    }
                    _ => format!("`{}`: —", v.name),
                })
                .collect();
            let _ = writeln!(
                md,
                "| `{}` | `{}` | `{}` | {} |",
                cell(&r.uri),
                r.name,
                r.tool,
                if sources.is_empty() { "— (listed)".to_string() } else { sources.join("<br>") }
            );
        }
    }

    md.push_str("\n### Excluded operations\n\n");
    if ir.exclusions.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str("| operationId | Endpoint | Why |\n|---|---|---|\n");
        for e in &ir.exclusions {
            let _ = writeln!(
                md,
                "| `{}` | `{} {}` | {} ({}) |",
                e.operation_id,
                e.method.as_str(),
                cell(&e.path),
                cell(&e.reason),
                match e.kind {
                    super::ir::ExclusionKind::Override => "decided in overrides",
                    super::ir::ExclusionKind::Unsupported => "not expressible",
                }
            );
        }
    }

    md.push_str("\n### Name map\n\n| Tool | operationId | Name from |\n|---|---|---|\n");
    for t in &ir.tools {
        let origin = serde_json::to_value(t.name_origin).ok().and_then(|v| v.as_str().map(str::to_owned));
        let _ = writeln!(md, "| `{}` | `{}` | {} |", t.name, t.operation_id, origin.unwrap_or_default());
    }
    md
}

/// Escape text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn type_label(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" \\| "),
        _ if schema.get("anyOf").is_some() || schema.get("oneOf").is_some() => "union".into(),
        _ => "any".into(),
    }
}

fn arguments(t: &Tool) -> String {
    if t.params.is_empty() {
        return "—".into();
    }
    t.params
        .iter()
        .map(|p| {
            let mut s = format!("`{}` ({}, {}", p.wire_name, p.location.as_str(), type_label(&p.schema));
            if !p.required {
                s.push_str(", optional");
            }
            if let Some(d) = p.schema.get("default") {
                let _ = write!(s, ", default `{d}`");
            }
            s.push(')');
            s
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn body(t: &Tool) -> String {
    match &t.body {
        None => "—".into(),
        Some(b) => {
            let name = b.schema_name.as_deref().map_or_else(|| "object".to_string(), |n| format!("`{n}`"));
            let head = format!("{name}{}", if b.required { "" } else { " (optional)" });
            // The arguments its fields became (`shape.rs`), and `clear` where there is one.
            let plan = Plan::new(&t.wire_schema, super::shape::clears(t.method, Some(b.kind())), None);
            let fields: Vec<String> = plan
                .args
                .iter()
                .filter(|a| matches!(a.slot, Slot::BodyField(_) | Slot::Clear))
                .map(|a| format!("`{}`", a.name))
                .collect();
            if fields.is_empty() { head } else { format!("{head}: {}", fields.join(", ")) }
        }
    }
}

fn result(t: &Tool) -> String {
    match &t.response {
        ResponseShape::Object { schema_name: Some(n) } => format!("`{n}`"),
        ResponseShape::Object { schema_name: None } => "object".into(),
        ResponseShape::Wrapped { schema_name } => {
            let inner = t
                .output_schema
                .as_ref()
                .and_then(|s| s.pointer("/properties/result"))
                .map(type_label)
                .unwrap_or_else(|| "any".into());
            match schema_name {
                Some(n) => format!("`{{result}}`: `{n}` ({inner})"),
                None => format!("`{{result}}`: {inner}"),
            }
        }
        ResponseShape::Empty => "no content".into(),
        ResponseShape::Text { media_type } => format!("text ({})", cell(media_type)),
    }
}

fn hints(t: &Tool) -> String {
    let a = t.annotations;
    let mut h = Vec::new();
    if a.read_only_hint {
        h.push("read-only");
    }
    if a.destructive_hint {
        h.push("destructive");
    }
    if a.idempotent_hint {
        h.push("idempotent");
    }
    if !a.read_only_hint && !a.destructive_hint && !a.idempotent_hint {
        h.push("write");
    }
    if a.open_world_hint {
        h.push("open-world");
    }
    h.join(", ")
}

/// Replace the generated region of `doc` (between the markers) with `generated`.
/// `None` when the markers are missing or out of order.
pub fn splice(doc: &str, generated: &str) -> Option<String> {
    let start = doc.find(BEGIN_MARKER)? + BEGIN_MARKER.len();
    let end = doc[start..].find(END_MARKER)? + start;
    Some(format!("{}\n\n{}\n{}", &doc[..start], generated.trim_end(), &doc[end..]))
}

/// The generated region of `doc`, trimmed.
pub fn extract(doc: &str) -> Option<&str> {
    let start = doc.find(BEGIN_MARKER)? + BEGIN_MARKER.len();
    let end = doc[start..].find(END_MARKER)? + start;
    Some(doc[start..end].trim())
}
