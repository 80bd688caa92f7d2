//! The code generator: OpenAPI document → IR → artifacts.
//!
//! Pure: no I/O, no environment, no clock; the same input gives the same bytes.
//! `build.rs` includes this module with `#[path]` (so it cannot reach runtime code) and
//! writes the artifacts to `OUT_DIR`; the runtime uses the spec → IR half for `diff` and
//! `doctor`.
//!
//! ```text
//! spec ──normalize──► 3.0 view ──progenitor──► client.rs
//!   └───lower──► IR ──┬──► tools.rs (wrappers over the client)
//!                     ├──► tools.json (manifest)
//!                     └──► API.md (tool ↔ endpoint mapping)
//! ```
//!
//! The emitters that need progenitor, syn and prettyplease exist only where those crates
//! are compiled: in the build script and in unit tests (`build.rs` sets `vtoc_runtime`
//! for the library).

pub mod emit_docs;
pub mod ir;
pub mod lower;
pub mod manifest;
pub mod naming;
pub mod normalize;
pub mod overrides;
pub mod profile;
pub mod refs;
pub mod resources;
pub mod schema;
pub mod shape;
pub mod upload;

#[cfg(any(test, not(vtoc_runtime)))]
pub mod emit_client;
#[cfg(any(test, not(vtoc_runtime)))]
pub mod emit_tools;

use serde_json::Value;
use std::fmt;

/// One thing wrong with the input, named by the operation it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub operation: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn global(message: impl Into<String>) -> Problem {
        Problem { operation: None, message: message.into() }
    }

    pub fn operation(label: &str, message: impl Into<String>) -> Problem {
        Problem { operation: Some(label.to_string()), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "operation {op}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Generation failed; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub problems: Vec<Problem>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cannot generate MCP tools from the spec ({} problem(s)):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        write!(
            f,
            "fix the spec, or decide per operation in openapi/mcp-overrides.json (\"name\" to rename, \"exclude\" with a reason to leave it out)"
        )
    }
}

impl std::error::Error for Error {}

impl From<Problem> for Error {
    fn from(p: Problem) -> Error {
        Error { problems: vec![p] }
    }
}

impl From<Vec<Problem>> for Error {
    fn from(problems: Vec<Problem>) -> Error {
        Error { problems }
    }
}

/// How diagnostics name an operation: `` `operationId` (POST /path) ``.
pub fn operation_label(op: &Value, method_key: &str, path: &str) -> String {
    let method = method_key.to_ascii_uppercase();
    match op.get("operationId").and_then(Value::as_str) {
        Some(id) => format!("`{id}` ({method} {path})"),
        None => format!("`{method} {path}` (no operationId)"),
    }
}

/// The generator's inputs: file contents, not paths.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The spec as exported (JSON).
    pub spec: &'a str,
    /// `openapi/mcp-overrides.json`, when present.
    pub overrides: Option<&'a str>,
}

/// Parse the spec and overrides.
pub fn parse(input: Input<'_>) -> Result<(Value, overrides::Overrides), Error> {
    let doc: Value = serde_json::from_str(input.spec).map_err(|e| {
        Problem::global(format!(
            "openapi/vtoc.json is not valid JSON: {e}; re-export it from the backend (`vtoc-mcp sync-spec`)"
        ))
    })?;
    let overrides = match input.overrides {
        Some(text) => overrides::Overrides::parse(text).map_err(|e| Problem::global(e.to_string()))?,
        None => overrides::Overrides::default(),
    };
    Ok((doc, overrides))
}

/// Spec → IR. Everything the runtime needs to reason about a tool surface.
pub fn lower_spec(input: Input<'_>) -> Result<ir::Ir, Error> {
    let (doc, overrides) = parse(input)?;
    // The 3.0 view must be producible too: a spec that cannot be normalized cannot be built.
    normalize::to_openapi30(&doc)?;
    Ok(lower::lower(&doc, &overrides)?)
}

/// Hex SHA-256 of `bytes`, for banners and the manifest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything `build.rs` writes to `OUT_DIR`.
#[cfg(any(test, not(vtoc_runtime)))]
#[derive(Debug, Clone)]
pub struct Artifacts {
    pub client_rs: String,
    pub tools_rs: String,
    pub tools_json: String,
    /// The generated part of `docs/API.md`.
    pub api_md: String,
    /// One line per operation that is not a tool because the bridge cannot express it,
    /// per collision resolved, per stale override, per hand-written part left out.
    pub warnings: Vec<String>,
    /// The hand-written parts ([`profile::PARTS`]) this spec supports: `build.rs` turns
    /// each into `cfg(vtoc_part = "...")`.
    pub parts_in: Vec<&'static str>,
}

/// The whole pipeline.
#[cfg(any(test, not(vtoc_runtime)))]
pub fn generate(input: Input<'_>) -> Result<Artifacts, Error> {
    let (doc, overrides) = parse(input)?;
    let view = normalize::to_openapi30(&doc)?;
    let mut ir = lower::lower(&doc, &overrides)?;
    // Operations progenitor cannot type are left out with the reason (a recorded
    // exclusion and a build warning), never a failed build; a failure no operation can be
    // blamed for still fails, naming it. Each round leaves out at least one operation.
    let mut untypable = std::collections::BTreeSet::new();
    let client_tokens = loop {
        let client_view = emit_client::without_schemas(emit_client::client_view(view.clone(), &ir), &untypable);
        match emit_client::client_tokens(&client_view, &ir) {
            Ok(tokens) => break tokens,
            Err(failure) if failure.problems.is_empty() => {
                untypable.extend(failure.schemas);
                let blamed: Vec<Problem> = failure
                    .operations
                    .iter()
                    .map(|(id, why)| Problem::operation(&format!("`{id}`"), why.clone()))
                    .collect();
                if ir.exclude(failure.operations) == 0 {
                    return Err(blamed.into());
                }
            }
            Err(failure) => return Err(failure.problems.into()),
        }
    };
    let tools_tokens = emit_tools::emit(&ir, &client_tokens)?;
    let banner = banner(input);
    let warnings = ir
        .exclusions
        .iter()
        .filter(|e| e.kind == ir::ExclusionKind::Unsupported)
        .map(|e| {
            format!("operation `{}` ({} {}) is not a tool: {}", e.operation_id, e.method.as_str(), e.path, e.reason)
        })
        .chain(ir.warnings.iter().cloned())
        .collect::<Vec<_>>();
    let (parts, prompts) = profile::check(&ir);
    let mut warnings = warnings;
    let all_out = parts.iter().chain(&prompts).all(|v| !v.missing.is_empty());
    if all_out {
        warnings.push(format!(
            "vTOC's hand-written parts ({}) are left out of this build: the spec has none of what they use (src/codegen/profile.rs)",
            parts.iter().chain(&prompts).map(|v| v.name).collect::<Vec<_>>().join(", ")
        ));
    }
    for (verdict, kind) in parts.iter().map(|v| (v, "part")).chain(prompts.iter().map(|v| (v, "prompt"))) {
        if !verdict.missing.is_empty() && !all_out {
            let what = match kind {
                "part" => {
                    profile::PARTS.iter().find(|p| p.name == verdict.name).map_or(verdict.name, |p| p.what).to_string()
                }
                _ => format!("the prompt `{}` (src/codegen/profile.rs)", verdict.name),
            };
            warnings.push(format!("{what} is left out of this build: {}", verdict.missing.join("; ")));
        }
    }
    let parts_in = parts.iter().filter(|v| v.missing.is_empty()).map(|v| v.name).collect();
    Ok(Artifacts {
        client_rs: emit_tools::format_file(&banner, client_tokens)?,
        tools_rs: emit_tools::format_file(&banner, tools_tokens)?,
        tools_json: manifest::render(&ir, &sha256_hex(input.spec.as_bytes())),
        api_md: emit_docs::render(&ir),
        warnings,
        parts_in,
    })
}

#[cfg(any(test, not(vtoc_runtime)))]
fn banner(input: Input<'_>) -> String {
    let mut b = format!(
        "// @generated by vtoc-mcp codegen from openapi/vtoc.json (sha256 {}",
        sha256_hex(input.spec.as_bytes())
    );
    if let Some(o) = input.overrides {
        b.push_str(&format!(") and openapi/mcp-overrides.json (sha256 {}", sha256_hex(o.as_bytes())));
    }
    b.push_str("). Do not edit.\n");
    b
}

#[cfg(test)]
mod tests;
