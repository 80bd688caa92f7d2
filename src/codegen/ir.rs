//! The intermediate representation: what the spec means for the tools agents see.
//!
//! `lower` builds it from the source document; every artifact (tool wrappers, manifest,
//! Markdown mapping) is a pure function of it. Wire names (what the backend sees) and
//! generated names (what agents and Rust see) sit side by side.

use super::overrides::ContextField;
use serde::Serialize;
use serde_json::Value;

/// Everything the generator knows after lowering.
#[derive(Debug, Clone, Serialize)]
pub struct Ir {
    pub title: String,
    pub version: String,
    /// `openapi` field of the source document (`3.1.0`, `3.0.3`, ...).
    pub source_openapi: String,
    pub tools: Vec<Tool>,
    /// Read-only tools an agent can also read as MCP resources (or resource templates).
    pub resources: Vec<Resource>,
    pub exclusions: Vec<Exclusion>,
    /// What the build should say but that does not stop it (stale override entries).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
    Trace,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    pub fn from_key(key: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The lower-case key used in OpenAPI path items.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// Variant name of `crate::support::Method` in generated code.
    pub fn variant(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Put => "Put",
            Method::Post => "Post",
            Method::Delete => "Delete",
            Method::Options => "Options",
            Method::Head => "Head",
            Method::Patch => "Patch",
            Method::Trace => "Trace",
        }
    }
}

/// One operation exposed as an MCP tool.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// MCP tool name (`^[a-zA-Z0-9_-]{1,64}$`).
    pub name: String,
    /// Where the name came from (derived, override file, spec extension).
    pub name_origin: NameOrigin,
    /// The operationId as written in the spec, or the one synthesized for an operation without one.
    pub operation_id: String,
    pub method: Method,
    pub path: String,
    pub title: Option<String>,
    pub description: String,
    /// Where the description came from: agents rely on curated text, and a re-export that
    /// loses it must be noticed.
    pub description_source: DescriptionSource,
    /// The mission-context values the backend reads for this operation (from the overrides).
    pub context: Vec<ContextField>,
    pub tags: Vec<String>,
    pub deprecated: bool,
    /// Path, query and header parameters in the order of the spec.
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub response: ResponseShape,
    /// The arguments as the model sees them: the view of `wire_schema` (`shape.rs`);
    /// what `tools/list` serves. Always `type: object`.
    pub input_schema: Value,
    /// Self-contained JSON Schema (2020-12) of the HTTP request: parameters, and the JSON
    /// body under `body`. Arguments are validated against it once mapped to the wire.
    pub wire_schema: Value,
    /// JSON Schema of `structuredContent`, when the success response is JSON.
    pub output_schema: Option<Value>,
    pub annotations: Annotations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameOrigin {
    /// Recovered from FastAPI's automatic operationId (function name).
    FastapiFunction,
    /// snake_case of the operationId.
    OperationId,
    /// No operationId: built from method and path.
    MethodPath,
    /// Too long: shortened with a stable hash suffix.
    Shortened,
    /// Shared with another operation: suffixed by the collision rule.
    Collision,
    /// `x-mcp-name` in the spec.
    SpecExtension,
    /// `openapi/mcp-overrides.json`.
    OverrideFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DescriptionSource {
    /// `openapi/mcp-overrides.json`.
    OverrideFile,
    /// `x-mcp-description` in the spec.
    SpecExtension,
    /// The operation's `description` in the spec.
    Spec,
    /// Nothing but the summary ("Create Source."): the words agents relied on are gone.
    Summary,
    /// Not even a summary: the endpoint.
    Endpoint,
}

impl DescriptionSource {
    pub fn of(file: Option<&super::overrides::OperationOverride>, op: &Value) -> DescriptionSource {
        let present = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
        if file.is_some_and(|f| f.description.as_deref().is_some_and(|d| !d.trim().is_empty())) {
            DescriptionSource::OverrideFile
        } else if present(op.get("x-mcp-description")) {
            DescriptionSource::SpecExtension
        } else if present(op.get("description")) {
            DescriptionSource::Spec
        } else if present(op.get("summary")) {
            DescriptionSource::Summary
        } else {
            DescriptionSource::Endpoint
        }
    }

    /// The tool says no more than its title or endpoint.
    pub fn is_fallback(self) -> bool {
        matches!(self, DescriptionSource::Summary | DescriptionSource::Endpoint)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// Name on the wire, and the argument name in `inputSchema`.
    pub wire_name: String,
    pub location: Location,
    pub required: bool,
    /// JSON Schema of the argument (as it appears in `inputSchema.properties`).
    pub schema: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub media_type: String,
    pub required: bool,
    /// Component name of the body schema when it is a `$ref` (for docs).
    pub schema_name: Option<String>,
    /// The body fields that are files, in a multipart body (`codegen::upload`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl Body {
    /// A `multipart/form-data` body: the bridge writes it (progenitor cannot).
    pub fn is_multipart(&self) -> bool {
        self.kind() == BodyKind::Multipart
    }

    pub fn kind(&self) -> BodyKind {
        if self.media_type.contains("json") {
            BodyKind::Json
        } else if self.media_type.starts_with(super::upload::MULTIPART) {
            BodyKind::Multipart
        } else {
            BodyKind::Form
        }
    }
}

/// How a request body is written: the runtime's view of [`Body`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyKind {
    /// JSON: the caller's own bytes are sent (nulls kept).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`, written by the bridge (`bridge/upload.rs`).
    Multipart,
}

/// How the success response becomes `structuredContent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ResponseShape {
    /// A JSON object: returned as is.
    Object { schema_name: Option<String> },
    /// Any other JSON (array, nullable, scalar, free-form): returned as `{"result": ...}`.
    Wrapped { schema_name: Option<String> },
    /// No content (204 and friends): a short text result.
    Empty,
    /// A non-JSON body: returned as text.
    Text { media_type: String },
}

/// MCP tool annotations (hints), derived from the method and overridable per operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    pub read_only_hint: bool,
    pub destructive_hint: bool,
    pub idempotent_hint: bool,
    pub open_world_hint: bool,
}

impl Ir {
    /// Leave out the tools of these operations, each with its reason, and the resources
    /// read through them.
    /// Returns how many tools it removed.
    pub fn exclude(&mut self, operations: Vec<(String, String)>) -> usize {
        let before = self.tools.len();
        for (operation_id, reason) in operations {
            let Some(at) = self.tools.iter().position(|t| t.operation_id == operation_id) else { continue };
            let tool = self.tools.remove(at);
            self.resources.retain(|r| r.tool != tool.name);
            self.exclusions.push(Exclusion {
                operation_id,
                method: tool.method,
                path: tool.path,
                reason,
                kind: ExclusionKind::Unsupported,
            });
        }
        before - self.tools.len()
    }
}

/// An operation that is not a tool, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Exclusion {
    pub operation_id: String,
    pub method: Method,
    pub path: String,
    pub reason: String,
    /// `override` when a person decided it, `unsupported` when the generator cannot express it.
    pub kind: ExclusionKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExclusionKind {
    Override,
    Unsupported,
}

/// The key of the success envelope for non-object responses.
pub const RESULT_KEY: &str = "result";
/// The argument that carries the request body.
pub const BODY_ARG: &str = "body";

/// A read-only tool, also readable as an MCP resource (see `resources.rs` for the rules).
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// `vtoc://stations` (listed) or `vtoc://stations/{station_slug}` (a template).
    pub uri: String,
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    /// The tool that reads it; its path parameters are the URI's variables.
    pub tool: String,
    /// The URI's variables, in order, with where their values can be listed.
    pub variables: Vec<VariableSource>,
}

/// Where the values of one URI variable (a path parameter) come from, for completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableSource {
    pub name: String,
    /// The list tool whose items carry the values, when there is one.
    pub list_tool: Option<String>,
    /// The item field holding the value (`slug`, `id`).
    pub value_field: Option<String>,
    /// Item fields that name the item for a person (`name`), first non-empty wins.
    pub label_fields: Vec<String>,
}
