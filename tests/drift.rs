//! The committed mirrors (`generated/`, the mapping in `docs/API.md`) must equal what this
//! build generated from `openapi/vtoc.json`. `make generate` (UPDATE_GENERATED=1) rewrites
//! them; this test fails with a diff and the command that fixes it.

use std::path::PathBuf;
use vtoc_mcp::cli::surface::{self, Surface};
use vtoc_mcp::codegen::emit_docs;
use vtoc_mcp::generated;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A unified diff of the changed lines, capped so a large drift stays readable.
fn diff(committed: &str, generated: &str) -> String {
    const MAX_LINES: usize = 80;
    let text = similar::TextDiff::from_lines(committed, generated)
        .unified_diff()
        .context_radius(2)
        .header("committed", "generated from the spec")
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text;
    }
    format!("{}\n… ({} more diff lines)", lines[..MAX_LINES].join("\n"), lines.len() - MAX_LINES)
}

/// The classified tool-surface report between two manifests.
fn surface_report(committed: &str, generated: &str) -> String {
    let parse = |t: &str| {
        serde_json::from_str(t).map_err(surface::SurfaceError::NotJson).and_then(|v| Surface::from_manifest(&v))
    };
    match (parse(committed), parse(generated)) {
        (Ok(old), Ok(new)) => surface::diff(&old, &new).markdown(),
        (Err(e), _) | (_, Err(e)) => format!("(cannot compare the manifests: {e})"),
    }
}

#[test]
fn generated_mirrors_match_the_spec() {
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    let files = [
        ("generated/client.rs", generated::CLIENT_RS.to_string()),
        ("generated/tools.rs", generated::TOOLS_RS.to_string()),
        ("generated/tools.json", generated::TOOLS_JSON.to_string()),
    ];
    for (rel, text) in files {
        let path = root().join(rel);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != text {
            if update {
                std::fs::write(&path, &text).unwrap();
            } else {
                let mut message = format!("{rel} is stale:\n{}", diff(&committed, &text));
                if rel.ends_with("tools.json") {
                    message.push_str(&format!("\nWhat this means for agents:\n{}", surface_report(&committed, &text)));
                }
                stale.push(message);
            }
        }
    }
    let api_path = root().join("docs/API.md");
    let api = std::fs::read_to_string(&api_path).expect("docs/API.md exists");
    let region = emit_docs::extract(&api).expect("docs/API.md has the generated-region markers");
    if region != generated::API_MD.trim() {
        if update {
            std::fs::write(&api_path, emit_docs::splice(&api, generated::API_MD).unwrap()).unwrap();
        } else {
            stale.push(format!("docs/API.md (generated region) is stale:\n{}", diff(region, generated::API_MD.trim())));
        }
    }
    assert!(
        stale.is_empty(),
        "generated files do not match openapi/vtoc.json:\n\n{}\n\nrun `make generate` and commit the result",
        stale.join("\n\n")
    );
}
