//! What agents rely on in vTOC's contract today: curated words that outlive a re-export,
//! and a tool list lean enough to send on every turn. When one of these fails, its message
//! says what changed and which file to update.

use serde_json::Value;
use vtoc_mcp::codegen::{Input, lower_spec};

fn live_ir(spec: &str) -> vtoc_mcp::codegen::ir::Ir {
    lower_spec(Input { spec, overrides: vtoc_mcp::generated::overrides() })
        .unwrap_or_else(|e| panic!("the compiled spec no longer generates with the overrides: {e}"))
}

/// vTOC's export has no operation descriptions of its own for most operations: the words
/// agents read come from openapi/mcp-overrides.json. A fresh export (formatted differently,
/// with the backend's own descriptions dropped or changed) must keep every one of them.
#[test]
fn a_fresh_export_keeps_every_curated_description() {
    let spec = vtoc_mcp::generated::SPEC_JSON;
    let committed = live_ir(spec);
    let lost: Vec<String> = committed
        .tools
        .iter()
        .filter(|t| t.description_source.is_fallback())
        .map(|t| format!("`{}` (operation `{}`) says only {:?}", t.name, t.operation_id, t.description))
        .collect();
    assert!(
        lost.is_empty(),
        "tools whose description is only their title; add a \"description\" for each operation in openapi/mcp-overrides.json:\n{}",
        lost.join("\n")
    );
    // A re-export: pretty-printed, and every operation's own description removed or reworded.
    let mut doc: Value = serde_json::from_str(spec).unwrap();
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        for (i, op) in item.as_object_mut().unwrap().values_mut().enumerate() {
            let op = op.as_object_mut().unwrap();
            if i % 2 == 0 {
                op.remove("description");
            } else {
                op.insert("description".into(), Value::String("Reworded by the backend.".into()));
            }
        }
    }
    let reexport = live_ir(&serde_json::to_string_pretty(&doc).unwrap());
    for (before, after) in committed.tools.iter().zip(&reexport.tools) {
        assert_eq!(before.name, after.name);
        assert_eq!(
            before.description, after.description,
            "`{}`: its description depends on the exported spec; move the text to openapi/mcp-overrides.json",
            before.name
        );
    }
}

/// The model reads each tool's name, description and inputSchema on every turn. With the
/// default settings the whole list stays within 14,000 bytes of compact JSON.
#[test]
fn the_model_visible_tool_list_fits_its_budget() {
    const BUDGET: usize = 14_000;
    let backend =
        vtoc_mcp::cli::config::BackendArgs { dry_run: true, ..Default::default() }.build("http://127.0.0.1:9").unwrap();
    let bridge = vtoc_mcp::bridge::server::Bridge::new(backend, vtoc_mcp::guard::Guardrails::permissive()).unwrap();
    let tools = bridge.tools();
    let mut sizes: Vec<(usize, String)> =
        tools.iter().map(|t| (vtoc_mcp::bridge::server::model_visible_bytes(t), t.name.to_string())).collect();
    let total: usize = sizes.iter().map(|(b, _)| b).sum();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        total <= BUDGET,
        "the model-visible tool list is {total} bytes for {} tools, over the {BUDGET}-byte budget; largest: {:?}. \
         Shorten descriptions in openapi/mcp-overrides.json (`vtoc-mcp tools --size` shows each tool)",
        tools.len(),
        &sizes[..5.min(sizes.len())]
    );
}
