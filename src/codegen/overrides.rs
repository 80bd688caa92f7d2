//! Per-operation decisions a person makes: rename, exclude, re-annotate.
//!
//! Two sources, one meaning: the `openapi/mcp-overrides.json` file (kept beside the
//! exported spec, so a re-export does not lose it) and `x-mcp-*` extensions inside the
//! spec (for backends that set `openapi_extra` in FastAPI). The file wins where both speak.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An override (file entry or `x-mcp-*` extension) that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("openapi/mcp-overrides.json: {0}")]
    File(#[source] serde_json::Error),
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    #[error("`x-mcp-exclude` must be a boolean or a reason string")]
    Exclude,
    #[error("`x-mcp-annotations`: {0}")]
    Annotations(#[source] serde_json::Error),
}

/// The overrides file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(rename = "$comment", default)]
    pub comment: Option<Value>,
    /// The scheme of resource URIs (`vtoc://stations/{station_slug}`); by default the first
    /// word of the spec's title, lower-cased.
    #[serde(default)]
    pub uri_scheme: Option<String>,
    /// By operationId, exactly as in the spec.
    #[serde(default)]
    pub operations: BTreeMap<String, OperationOverride>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperationOverride {
    /// Tool name to use instead of the derived one.
    pub name: Option<String>,
    /// Leave the operation out; the string says why (it appears in docs/API.md).
    pub exclude: Option<String>,
    pub title: Option<String>,
    /// Replaces the tool description. Words for agents live here, not in the exported
    /// spec, so a re-export keeps them.
    pub description: Option<String>,
    /// Descriptions of arguments, by argument path (`poi_id`, `body.notes`).
    #[serde(default)]
    pub arguments: BTreeMap<String, String>,
    /// Which mission-context values the backend reads for this operation; the tool offers
    /// them as its optional `context` argument.
    pub context: Option<Vec<ContextField>>,
    /// The MCP resource of a read-only operation: `false` leaves it out; an object renames it.
    pub resource: Option<ResourceOverride>,
    pub annotations: Option<AnnotationOverride>,
    #[serde(rename = "$comment", default)]
    pub comment: Option<Value>,
}

/// A mission-context value the backend reads from request headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextField {
    Station,
    Channel,
    Initiator,
}

impl ContextField {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextField::Station => "station",
            ContextField::Channel => "channel",
            ContextField::Initiator => "initiator",
        }
    }
}

/// `"resource": false`, or `"resource": {"name": …, "uri": …, "description": …}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ResourceOverride {
    Enabled(bool),
    Custom(ResourceFields),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    pub name: Option<String>,
    /// The URI (template), e.g. `vtoc://stations/{station_slug}`; its variables must be the
    /// operation's path parameters.
    pub uri: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnnotationOverride {
    pub read_only_hint: Option<bool>,
    pub destructive_hint: Option<bool>,
    pub idempotent_hint: Option<bool>,
    pub open_world_hint: Option<bool>,
}

impl AnnotationOverride {
    /// `self` where it speaks, `other` otherwise.
    pub fn or(self, other: AnnotationOverride) -> AnnotationOverride {
        AnnotationOverride {
            read_only_hint: self.read_only_hint.or(other.read_only_hint),
            destructive_hint: self.destructive_hint.or(other.destructive_hint),
            idempotent_hint: self.idempotent_hint.or(other.idempotent_hint),
            open_world_hint: self.open_world_hint.or(other.open_world_hint),
        }
    }
}

impl Overrides {
    pub fn parse(text: &str) -> Result<Overrides, OverrideError> {
        serde_json::from_str(text).map_err(OverrideError::File)
    }
}

/// The `x-mcp-*` extensions of one operation, read as an override.
pub fn from_extensions(op: &Value) -> Result<OperationOverride, OverrideError> {
    let mut out = OperationOverride::default();
    if let Some(v) = op.get("x-mcp-name") {
        out.name = Some(v.as_str().ok_or(OverrideError::NotAString("x-mcp-name"))?.to_string());
    }
    match op.get("x-mcp-exclude") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => out.exclude = Some("excluded by `x-mcp-exclude` in the spec".into()),
        Some(Value::String(reason)) => out.exclude = Some(reason.clone()),
        Some(_) => return Err(OverrideError::Exclude),
    }
    if let Some(v) = op.get("x-mcp-annotations") {
        out.annotations = Some(serde_json::from_value(v.clone()).map_err(OverrideError::Annotations)?);
    }
    if let Some(v) = op.get("x-mcp-description") {
        out.description = Some(v.as_str().ok_or(OverrideError::NotAString("x-mcp-description"))?.to_string());
    }
    Ok(out)
}

/// File entry over spec extensions, field by field.
pub fn merge(file: Option<&OperationOverride>, spec: OperationOverride) -> OperationOverride {
    let Some(file) = file else { return spec };
    OperationOverride {
        name: file.name.clone().or(spec.name),
        exclude: file.exclude.clone().or(spec.exclude),
        title: file.title.clone().or(spec.title),
        description: file.description.clone().or(spec.description),
        arguments: if file.arguments.is_empty() { spec.arguments } else { file.arguments.clone() },
        context: file.context.clone().or(spec.context),
        resource: file.resource.clone().or(spec.resource),
        annotations: match (file.annotations, spec.annotations) {
            (Some(f), Some(s)) => Some(f.or(s)),
            (f, s) => f.or(s),
        },
        comment: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_refused() {
        let err = Overrides::parse(r#"{"operations": {"x": {"nmae": "y"}}}"#).unwrap_err().to_string();
        assert!(err.contains("unknown field `nmae`"), "{err}");
    }

    #[test]
    fn extensions_and_file_merge_with_file_first() {
        let spec = from_extensions(&json!({"x-mcp-name": "from_spec", "x-mcp-exclude": false,
            "x-mcp-annotations": {"destructiveHint": true, "openWorldHint": true}}))
        .unwrap();
        let file = OperationOverride {
            name: Some("from_file".into()),
            annotations: Some(AnnotationOverride { open_world_hint: Some(false), ..Default::default() }),
            ..Default::default()
        };
        let merged = merge(Some(&file), spec);
        assert_eq!(merged.name.as_deref(), Some("from_file"));
        let a = merged.annotations.unwrap();
        assert_eq!((a.destructive_hint, a.open_world_hint), (Some(true), Some(false)));
        assert!(from_extensions(&json!({"x-mcp-exclude": 3})).is_err());
    }
}
