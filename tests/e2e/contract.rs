//! What agents rely on in vTOC's contract today, in one place: the tools they call by name
//! and their arguments (pinned in `tests/contract/tools.json`), the hand-written parts that
//! name them, curated words that outlive a re-export, and a tool list lean enough to send
//! on every turn. When one of these fails, its one message says what changed, whether that
//! breaks agents, and which file to update. Nothing here unwraps on the contract's shape.
//!
//! Other tests do not name vTOC's tools: they pick them by role (`common::things()`).

use serde_json::{Value, json};
use vtoc_mcp::cli::surface::{self, Change, Kind, Surface};
use vtoc_mcp::codegen::{Input, lower_spec};

/// The pinned surface, relative to the crate.
pub const PINNED: &str = "tests/contract/tools.json";

fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What agents rely on in a tool, from a manifest entry: its name, operation, endpoint,
/// annotations and arguments. (Descriptions and results are not pinned: the model reads
/// them afresh on every turn.)
fn pinned_entry(tool: &Value) -> Value {
    json!({
        "name": tool["name"], "operationId": tool["operationId"], "method": tool["method"], "path": tool["path"],
        "annotations": tool["annotations"], "inputSchema": tool["inputSchema"],
    })
}

/// The surface of the tools this build serves, in the pinned form.
pub fn current() -> Value {
    let manifest: Value = serde_json::from_str(vtoc_mcp::generated::TOOLS_JSON).unwrap_or_default();
    let tools: Vec<Value> = manifest["tools"].as_array().into_iter().flatten().map(pinned_entry).collect();
    json!({
        "about": "The tools agents rely on by name, pinned. `make pin-contract` rewrites this file from the build; \
                  tests/e2e/contract.rs compares the build with it and names what changed.",
        "tools": tools,
    })
}

/// The pinned surface, or why it cannot be read.
pub fn pinned() -> Result<Value, String> {
    let path = root().join(PINNED);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {PINNED} ({e}); create it with `make pin-contract`"))?;
    serde_json::from_str(&text).map_err(|e| format!("{PINNED} is not JSON ({e}); rewrite it with `make pin-contract`"))
}

/// Whether a change breaks an agent that calls tools by name with the arguments it knew.
/// (A result field that is gone or retyped is reported by `make diff`, not here: an agent
/// reads results afresh.)
fn breaks_agents(c: &Change) -> bool {
    c.breaking
        && matches!(
            c.kind,
            Kind::ToolRemoved
                | Kind::ToolRenamed
                | Kind::ArgumentRemoved
                | Kind::ArgumentRetyped
                | Kind::ArgumentNowRequired
                | Kind::EnumNarrowed
                | Kind::ConstraintChanged
                | Kind::AnnotationChanged
        )
}

/// Files of hand-written text that may name tools: where a renamed or removed tool must be
/// updated.
const NAMING_FILES: &[&str] = &[
    "openapi/mcp-overrides.json",
    "src/codegen/profile.rs",
    "src/bridge/server.rs",
    "src/bridge/custom.rs",
    "console/console.js",
    "README.md",
    "docs/agents.md",
];

/// `file:line` of each place `name` appears as a whole word.
fn mentions(name: &str) -> Vec<String> {
    let word = |line: &str| {
        line.match_indices(name).any(|(i, _)| {
            let before = line[..i].chars().next_back();
            let after = line[i + name.len()..].chars().next();
            let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !part(before) && !part(after)
        })
    };
    NAMING_FILES
        .iter()
        .filter_map(|f| Some((f, std::fs::read_to_string(root().join(f)).ok()?)))
        .flat_map(|(f, text)| {
            text.lines().enumerate().filter(|(_, l)| word(l)).map(|(i, _)| format!("{f}:{}", i + 1)).collect::<Vec<_>>()
        })
        .collect()
}

/// One message for everything that changed for agents since the pin: each change in the
/// terms of the change, and what to update. `None` when nothing agents rely on changed.
pub fn verdict(pinned: &Value, now: &Value) -> Result<Option<String>, String> {
    let old =
        Surface::from_manifest(pinned).map_err(|e| format!("{PINNED}: {e}; rewrite it with `make pin-contract`"))?;
    let new = Surface::from_manifest(now).map_err(|e| format!("the build's manifest: {e}"))?;
    let report = surface::diff(&old, &new);
    let breaking: Vec<&Change> = report.changes.iter().filter(|c| breaks_agents(c)).collect();
    if breaking.is_empty() {
        return Ok(None);
    }
    let endpoint = |name: &str, s: &Surface| s.tools.iter().find(|t| t.name == name).map(|t| t.endpoint.clone());
    let mut lines = vec![format!(
        "What agents rely on changed since {PINNED} was pinned ({} change(s) that break agents):",
        breaking.len()
    )];
    let mut gone: Vec<(String, Option<(String, String)>)> = Vec::new();
    for c in &breaking {
        let line = match c.kind {
            Kind::ToolRenamed => {
                let old_name =
                    old.tools
                        .iter()
                        .find(|o| {
                            new.tools.iter().any(|n| {
                                n.name == c.tool && (n.operation_id == o.operation_id || n.endpoint == o.endpoint)
                            }) && o.name != c.tool
                        })
                        .map(|o| (o.name.clone(), o.operation_id.clone()));
                let same = endpoint(&c.tool, &new).unwrap_or_default();
                match old_name {
                    Some((was, _)) => {
                        let new_id = new
                            .tools
                            .iter()
                            .find(|t| t.name == c.tool)
                            .map(|t| t.operation_id.clone())
                            .unwrap_or_default();
                        gone.push((was.clone(), Some((c.tool.clone(), new_id))));
                        format!(
                            "- tool `{was}` is gone; `{}` is new (same {same}): BREAKING for agents, which call tools by name",
                            c.tool
                        )
                    }
                    None => format!("- `{}`: {}", c.tool, c.detail),
                }
            }
            Kind::ToolRemoved => {
                gone.push((c.tool.clone(), None));
                format!(
                    "- tool `{}` is gone ({}): BREAKING for agents, which call tools by name",
                    c.tool,
                    endpoint(&c.tool, &old).unwrap_or_default()
                )
            }
            _ => format!(
                "- `{}`: {}{}: BREAKING for agents that call it with the arguments they knew",
                c.tool,
                c.field.as_deref().map(|f| format!("`{f}`: ")).unwrap_or_default(),
                c.detail
            ),
        };
        lines.push(line);
    }
    lines.push(String::new());
    lines.push("What to update:".into());
    for (was, successor) in &gone {
        if let Some((name, operation_id)) = successor {
            lines.push(format!(
                "- to keep the name agents know, set `\"name\": \"{was}\"` for `{operation_id}` in openapi/mcp-overrides.json (and move the old operation's entry there: its description and arguments); `{name}` then stays `{was}` for agents"
            ));
        }
        let places = mentions(was);
        if !places.is_empty() {
            lines.push(format!("- hand-written text still names `{was}`: {}", places.join(", ")));
        }
    }
    lines.push(format!(
        "- if agents should see the change, update what names the old tools (above), then `make pin-contract` to pin the new surface in {PINNED}"
    ));
    Ok(Some(lines.join("\n")))
}

/// The tools agents call by name are still there, with the arguments they knew. Additive
/// changes (new tools, new optional arguments, fewer result fields) pass.
#[test]
fn the_tools_agents_rely_on_are_still_there() {
    let now = current();
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        let text = serde_json::to_string_pretty(&now).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(root().join(PINNED), text) {
            panic!("cannot write {PINNED}: {e}");
        }
        return;
    }
    let pinned = pinned().unwrap_or_else(|e| panic!("{e}"));
    match verdict(&pinned, &now) {
        Ok(None) => {}
        Ok(Some(message)) => panic!("{message}"),
        Err(e) => panic!("{e}"),
    }
}

/// For a test that measures vTOC's curated surface itself (search quality, the words of
/// the tools): whether that surface is the pinned one. When it changed, the test is
/// skipped with a note, and `the_tools_agents_rely_on_are_still_there` is the one failure
/// that says what changed and what to update.
pub fn pinned_surface_holds(what: &str) -> bool {
    let changed = pinned().ok().and_then(|pinned| verdict(&pinned, &current()).ok().flatten());
    if changed.is_some() {
        println!(
            "note: skipped: {what}, and what agents rely on changed since {PINNED} was pinned; \
             contract::the_tools_agents_rely_on_are_still_there says what to update"
        );
    }
    changed.is_none()
}

/// A test that calls a tool by name: the name, or one message saying the contract changed.
pub fn pinned_tool_gone(name: &str) -> Option<String> {
    if vtoc_mcp::bridge::tools::all().any(|t| t.name == name) {
        return None;
    }
    let pinned = pinned().ok()?;
    let was_pinned = pinned["tools"].as_array()?.iter().any(|t| t["name"] == name);
    was_pinned.then(|| {
        format!(
            "tool `{name}` is pinned in {PINNED} but this build has no such tool: the spec renamed or removed it. \
             `cargo test --test e2e contract` says what changed and what to update; this test names the tool, so \
             update it to the new name (or pick the tool by role, as tests/e2e/common.rs `things()` does)."
        )
    })
}

fn live_ir(spec: &str) -> vtoc_mcp::codegen::ir::Ir {
    lower_spec(Input { spec, overrides: vtoc_mcp::generated::overrides() })
        .unwrap_or_else(|e| panic!("the compiled spec no longer generates with the overrides: {e}"))
}

/// vTOC's export has no operation descriptions of its own for most operations: the words
/// agents read come from openapi/mcp-overrides.json. Every pinned tool has curated words,
/// and a fresh export (formatted differently, with the backend's own descriptions dropped
/// or changed) keeps every one of them. A tool the backend added since the pin is a note:
/// it reads the spec's words until someone curates them.
#[test]
fn a_fresh_export_keeps_every_curated_description() {
    let spec = vtoc_mcp::generated::SPEC_JSON;
    let committed = live_ir(spec);
    let pinned_names: Vec<String> = pinned()
        .map(|p| {
            p["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(String::from)).collect()
        })
        .unwrap_or_default();
    let is_pinned = |name: &str| pinned_names.iter().any(|n| n == name);
    let mut lost = Vec::new();
    for t in committed.tools.iter().filter(|t| t.description_source.is_fallback()) {
        let line = format!("`{}` (operation `{}`) says only {:?}", t.name, t.operation_id, t.description);
        if is_pinned(&t.name) {
            lost.push(line);
        } else {
            println!("note: new since the pin, with no curated description: {line}");
        }
    }
    assert!(
        lost.is_empty(),
        "tools whose description is only their title; add a \"description\" for each operation in openapi/mcp-overrides.json:\n{}",
        lost.join("\n")
    );
    // A re-export: pretty-printed, and every operation's own description removed or reworded.
    let Ok(mut doc) = serde_json::from_str::<Value>(spec) else { panic!("the compiled spec is not JSON") };
    for item in doc["paths"].as_object_mut().into_iter().flat_map(|p| p.values_mut()) {
        for (i, op) in item.as_object_mut().into_iter().flat_map(|o| o.values_mut()).enumerate() {
            let Some(op) = op.as_object_mut() else { continue };
            if i % 2 == 0 {
                op.remove("description");
            } else {
                op.insert("description".into(), Value::String("Reworded by the backend.".into()));
            }
        }
    }
    let reexport = live_ir(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    for (before, after) in committed.tools.iter().zip(&reexport.tools) {
        assert_eq!(before.name, after.name);
        if before.description_source != vtoc_mcp::codegen::ir::DescriptionSource::OverrideFile {
            continue; // the spec's own words: a re-export may change them
        }
        assert_eq!(
            before.description, after.description,
            "`{}`: its description depends on the exported spec; move the text to openapi/mcp-overrides.json",
            before.name
        );
    }
}

/// The model reads each tool's name, description and inputSchema on every turn. With the
/// default settings the list stays lean: at most 360 bytes of compact JSON per tool on
/// average (vTOC today: 13,951 bytes for 40 tools, 349 each). The budget grows with the
/// tool count, so a new endpoint does not fail it; a bloated description does.
#[test]
fn the_model_visible_tool_list_fits_its_budget() {
    const PER_TOOL: usize = 360;
    let backend =
        vtoc_mcp::cli::config::BackendArgs { dry_run: true, ..Default::default() }.build("http://127.0.0.1:9").unwrap();
    let bridge = vtoc_mcp::bridge::server::Bridge::new(backend, vtoc_mcp::guard::Guardrails::permissive()).unwrap();
    let tools = bridge.tools();
    let mut sizes: Vec<(usize, String)> =
        tools.iter().map(|t| (vtoc_mcp::bridge::server::model_visible_bytes(t), t.name.to_string())).collect();
    let total: usize = sizes.iter().map(|(b, _)| b).sum();
    let budget = PER_TOOL * tools.len();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    println!("model-visible tool list: {total} bytes for {} tools (budget {budget})", tools.len());
    assert!(
        total <= budget,
        "the model-visible tool list is {total} bytes for {} tools, over the {budget}-byte budget ({PER_TOOL} per tool); \
         largest: {:?}. Shorten descriptions in openapi/mcp-overrides.json (`vtoc-mcp tools --size` shows each tool)",
        tools.len(),
        &sizes[..5.min(sizes.len())]
    );
}

/// The compiled export with one change applied, lowered as the build lowers it (with the
/// compiled overrides), in the pinned form, with the build's warnings and the hand-written
/// parts' verdicts: what `make generate` and `make test` would say about it.
struct Regenerated {
    surface: Value,
    warnings: Vec<String>,
    left_out: Vec<String>,
}

fn regenerate(change: impl FnOnce(&mut Value)) -> Result<Regenerated, String> {
    let mut doc: Value = serde_json::from_str(vtoc_mcp::generated::SPEC_JSON).map_err(|e| e.to_string())?;
    change(&mut doc);
    let spec = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let ir =
        lower_spec(Input { spec: &spec, overrides: vtoc_mcp::generated::overrides() }).map_err(|e| e.to_string())?;
    let manifest = vtoc_mcp::codegen::manifest::to_value(&ir, "");
    let tools: Vec<Value> = manifest["tools"].as_array().into_iter().flatten().map(pinned_entry).collect();
    let (parts, prompts) = vtoc_mcp::codegen::profile::check(&ir);
    let left_out = parts
        .iter()
        .chain(&prompts)
        .filter(|v| !v.missing.is_empty())
        .map(|v| format!("{}: {}", v.name, v.missing.join("; ")))
        .collect();
    Ok(Regenerated { surface: json!({ "tools": tools }), warnings: ir.warnings, left_out })
}

/// The loop a backend developer runs after changing the API (`sync-spec`, `generate`,
/// `test`), on copies of the export: an additive change passes with nothing to update; a
/// renamed operation is reported once, in the terms of the change, with the files to update.
#[test]
fn the_regeneration_loop_passes_additions_and_names_a_rename() {
    let Some(things) = vtoc_mcp::bridge::roles::collection() else {
        panic!("the API has no REST collection to change; this test needs one (GET /things, GET /things/{{id}})")
    };
    let pinned_surface = current();
    let (list, read) = (things.list, things.read);

    // Additive: a new endpoint under an item, and a result field fewer.
    let added = regenerate(|doc| {
        // A path and operationId the spec cannot already have.
        let history = format!("{}/added_by_the_loop_test", read.path);
        let mut op = doc["paths"][read.path]["get"].clone();
        op["operationId"] = json!(format!("added_by_the_loop_test_{}", read.operation_id));
        doc["paths"][history.as_str()] = json!({ "get": op });
        if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
            // The first optional property of the first schema that has one.
            'done: for schema in schemas.values_mut() {
                let required: Vec<Value> = schema["required"].as_array().cloned().unwrap_or_default();
                if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut)
                    && let Some(key) = props.keys().find(|k| !required.contains(&json!(k))).cloned()
                {
                    props.remove(&key);
                    break 'done;
                }
            }
        }
    })
    .unwrap_or_else(|e| panic!("the additive change does not generate: {e}"));
    let verdict_added = verdict(&pinned_surface, &added.surface).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verdict_added, None, "an additive change needs no update");
    let unchanged = regenerate(|_| {}).unwrap_or_else(|e| panic!("the compiled spec does not generate: {e}"));
    assert_eq!(added.left_out, unchanged.left_out, "an additive change leaves out nothing more that is hand-written");

    // A rename: the list's backend function is renamed, so its operationId (and tool name)
    // change; the method and path stay.
    let new_id = format!("search_{}", list.operation_id);
    let renamed = regenerate(|doc| {
        for item in doc["paths"].as_object_mut().into_iter().flat_map(|p| p.values_mut()) {
            for op in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
                if op["operationId"] == list.operation_id {
                    op["operationId"] = json!(new_id);
                }
            }
        }
    })
    .unwrap_or_else(|e| panic!("the renamed spec does not generate: {e}"));
    let new_name = renamed.surface["tools"]
        .as_array()
        .and_then(|tools| tools.iter().find(|t| t["operationId"] == new_id.as_str()))
        .and_then(|t| t["name"].as_str())
        .unwrap_or_else(|| panic!("no tool for `{new_id}` in {}", renamed.surface))
        .to_string();
    let message = verdict(&pinned_surface, &renamed.surface)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a renamed tool must be reported"));
    println!("{message}");
    let endpoint = format!("{} {}", list.method.as_str(), list.path);
    let expected = format!("tool `{}` is gone; `{new_name}` is new (same {endpoint}): BREAKING", list.name);
    assert!(message.contains(&expected), "expected {expected:?} in:\n{message}");
    assert!(message.contains("1 change(s) that break agents"), "one change, said once:\n{message}");
    let keep = format!("set `\"name\": \"{}\"` for `{new_id}` in openapi/mcp-overrides.json", list.name);
    assert!(message.contains(&keep), "the fix that keeps agents working is named:\n{message}");
    assert!(message.contains("make pin-contract"), "{message}");
    // The build says the same from its side: a stale override names the successor, and
    // each hand-written part that used the tool is left out, saying why.
    let stale: Vec<&String> = renamed.warnings.iter().filter(|w| w.contains(list.operation_id)).collect();
    if vtoc_mcp::generated::overrides().is_some_and(|o| o.contains(list.operation_id)) {
        assert!(
            stale.iter().any(|w| w.contains(&new_id)),
            "the stale override warning names `{new_id}`: {:?}",
            renamed.warnings
        );
    }
    for part in renamed.left_out.iter().filter(|p| !unchanged.left_out.contains(p)) {
        assert!(part.contains(list.name), "a part left out says which tool it missed: {part}");
    }
    println!("build warnings: {:#?}\nleft out: {:#?}", stale, renamed.left_out);
}
