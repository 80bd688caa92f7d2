//! Generator tests over whole documents: the real vTOC spec, hostile fixtures, a plain
//! 3.0 petstore, and broken specs. Fixture outputs are snapshots beside the fixtures
//! (`tests/fixtures/NAME.tools.json`, `NAME.API.md`); `UPDATE_SNAPSHOTS=1` rewrites them.

use super::ir::{ExclusionKind, Ir, Location, ResponseShape};
use super::*;
use serde_json::{Value, json};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A frozen copy of vTOC's export and overrides (tests/fixtures/vtoc/README.md): these
/// tests are about the generator, so they do not follow the live contract.
fn vtoc() -> (String, String) {
    (read("tests/fixtures/vtoc/openapi.json"), read("tests/fixtures/vtoc/mcp-overrides.json"))
}

fn vtoc_ir() -> Ir {
    let (spec, overrides) = vtoc();
    lower_spec(Input { spec: &spec, overrides: Some(&overrides) }).unwrap()
}

/// The structural contract of every tool schema we emit.
fn check_schema(tool: &str, where_: &str, schema: &Value, root: &Value) {
    match schema {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("{tool} {where_}: non-local $ref {r}"));
                assert!(root.pointer(&format!("/$defs/{name}")).is_some(), "{tool} {where_}: dangling $ref {r}");
            }
            let is_array = match map.get("type") {
                Some(Value::String(t)) => t == "array",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
                _ => false,
            };
            assert!(!is_array || map.contains_key("items"), "{tool} {where_}: array without items");
            assert!(!map.contains_key("nullable"), "{tool} {where_}: OpenAPI `nullable` leaked");
            assert!(!map.contains_key("discriminator"), "{tool} {where_}: OpenAPI `discriminator` leaked");
            for (k, v) in map {
                check_schema(tool, &format!("{where_}/{k}"), v, root);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| check_schema(tool, where_, v, root)),
        _ => {}
    }
}

/// What the view promises every framework (`shape.rs`): every object has `properties` and
/// is closed, nothing strict mode rejects, nullability only as `anyOf` with null.
fn check_view(tool: &str, schema: &Value) {
    check_view_at(tool, schema, true);
}

fn check_view_at(tool: &str, schema: &Value, top: bool) {
    match schema {
        Value::Object(map) => {
            for bad in ["default", "examples", "title", "oneOf", "uniqueItems", "deprecated"] {
                assert!(!map.contains_key(bad), "{tool}: `{bad}` in the view: {schema}");
            }
            if let Some(Value::Array(types)) = map.get("type") {
                panic!("{tool}: a type union {types:?} in the view");
            }
            if map.get("type") == Some(&json!("object")) {
                assert!(map.get("properties").is_some_and(Value::is_object), "{tool}: an object without properties");
                if !top {
                    assert_eq!(map.get("additionalProperties"), Some(&json!(false)), "{tool}: an open object");
                }
            }
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("enum" | "const" | "required" | "description", _) => {}
                    // Maps of names to schemas: the names are not keywords.
                    ("properties" | "$defs", Value::Object(named)) => {
                        named.values().for_each(|v| check_view_at(tool, v, false))
                    }
                    _ => check_view_at(tool, value, false),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| check_view_at(tool, v, false)),
        _ => {}
    }
}

fn check_ir(ir: &Ir, doc: &Value) {
    let mut names = std::collections::BTreeSet::new();
    for t in &ir.tools {
        assert!(naming::is_valid_tool_name(&t.name), "invalid name {}", t.name);
        assert!(t.name.len() <= naming::TARGET_LEN, "{} is longer than {}", t.name, naming::TARGET_LEN);
        assert!(names.insert(t.name.clone()), "duplicate name {}", t.name);
        assert_eq!(t.input_schema["type"], "object", "{}", t.name);
        for combinator in ["anyOf", "oneOf", "allOf", "not"] {
            assert!(t.input_schema.get(combinator).is_none(), "{}: top-level {combinator}", t.name);
        }
        check_schema(&t.name, "inputSchema", &t.input_schema, &t.input_schema);
        check_schema(&t.name, "wireSchema", &t.wire_schema, &t.wire_schema);
        check_view(&t.name, &t.input_schema);
        if let Some(out) = &t.output_schema {
            assert_eq!(out["type"], "object", "{}: outputSchema must be an object", t.name);
            check_schema(&t.name, "outputSchema", out, out);
        }
    }
    // Every operation is a tool or a recorded exclusion.
    let mut operations = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        operations += item.as_object().unwrap().keys().filter(|k| ir::Method::from_key(k).is_some()).count();
    }
    assert_eq!(ir.tools.len() + ir.exclusions.len(), operations);
    // The docs have one row per tool.
    let md = emit_docs::render(ir);
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("| Tool | Endpoint"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .count();
    assert_eq!(rows, ir.tools.len(), "one mapping row per tool");
}

#[test]
fn vtoc_tools_have_the_expected_names() {
    let ir = vtoc_ir();
    let name_of = |id: &str| ir.tools.iter().find(|t| t.operation_id == id).map(|t| t.name.as_str());
    // FastAPI's automatic ids become the function names; overrides rename.
    for (id, name) in [
        ("create_source_api_v1_telemetry_sources_post", "create_source"),
        ("station_dashboard_api_v1_stations__station_slug__dashboard_get", "station_dashboard"),
        ("delete_poi_identifier_api_v1_poi__poi_id__identifiers__identifier_id__delete", "delete_poi_identifier"),
        ("list_stations_api_v1_stations__get", "list_stations"),
        ("check_imei_api_v1_imei_watchlist_check__imei__get", "check_imei"),
        ("h4m_import_api_v1_hardware_h4m_import_post", "h4m_import"),
        ("list_tools_api_v1_agent_actions_tools_get", "list_agent_tools"),
        ("healthz_healthz_get", "backend_health"),
    ] {
        assert_eq!(name_of(id), Some(name), "{id}");
    }
    // Every operation but the excluded webhook is a tool (check_ir counts them).
    assert_eq!(ir.exclusions.len(), 1);
    assert_eq!(ir.exclusions[0].operation_id, "webhook_api_v1_agent_actions_webhook_post");
    assert_eq!(ir.exclusions[0].kind, ExclusionKind::Override);
    let (spec, _) = vtoc();
    check_ir(&ir, &serde_json::from_str(&spec).unwrap());
}

#[test]
fn vtoc_schemas_keep_the_contract() {
    let ir = vtoc_ir();
    let tool = |n: &str| ir.tools.iter().find(|t| t.name == n).unwrap();

    // Query parameters with their constraints and defaults, under wire names; what the
    // model sees drops the default (the backend applies it) and spells optional as null.
    let timeline = tool("station_timeline");
    assert_eq!(
        timeline.wire_schema["properties"]["limit"],
        json!({"type": "integer", "maximum": 200, "minimum": 0, "default": 50})
    );
    assert_eq!(
        timeline.input_schema["properties"]["limit"],
        json!({"anyOf": [{"type": "integer", "maximum": 200, "minimum": 0}, {"type": "null"}]})
    );
    assert_eq!(timeline.input_schema["required"], json!(["station_slug"]));
    assert_eq!(timeline.wire_schema["additionalProperties"], false);
    // The discriminated union survives with its const tags; `discriminator` does not.
    let items = &timeline.output_schema.as_ref().unwrap()["properties"]["items"]["items"];
    let tags: Vec<&Value> =
        items["oneOf"].as_array().unwrap().iter().map(|b| &b["properties"]["entry_type"]["const"]).collect();
    assert_eq!(tags, [&json!("telemetry_event"), &json!("agent_action_audit"), &json!("poi_imei_alert")]);

    // PATCH bodies: on the wire every field nullable as a type union under `body`; to the
    // model, arguments of their own, and `clear` names the fields to empty.
    let update = tool("update_poi");
    let body = &update.wire_schema["properties"]["body"];
    assert_eq!(body["properties"]["notes"]["type"], json!(["string", "null"]));
    assert_eq!(update.wire_schema["required"], json!(["poi_id", "body"]));
    let args = &update.input_schema["properties"];
    assert_eq!(args["notes"], json!({"anyOf": [{"type": "string"}, {"type": "null"}]}));
    assert_eq!(args["clear"]["description"], "Fields to set to null");
    assert_eq!(update.input_schema["required"], json!(["poi_id"]));
    // Curated argument text from the overrides file, on the wire and in the view.
    assert_eq!(body["properties"]["category"]["description"], "person|vehicle|device");
    assert_eq!(args["category"]["description"], "person|vehicle|device");

    // Nullable response: wrapped in the documented envelope.
    let check = tool("check_imei");
    assert_eq!(check.response, ResponseShape::Wrapped { schema_name: None });
    let result = &check.output_schema.as_ref().unwrap()["properties"]["result"];
    assert_eq!(result["type"], json!(["object", "null"]));
    // Arrays too.
    assert!(matches!(tool("list_poi").response, ResponseShape::Wrapped { .. }));
    assert_eq!(tool("list_poi").output_schema.as_ref().unwrap()["properties"]["result"]["type"], "array");
    // Output schemas stay open to new fields; input schemas keep `extra="forbid"`.
    let gps = tool("hw_test_gps");
    assert_eq!(gps.wire_schema["properties"]["body"]["additionalProperties"], false);
    assert!(gps.output_schema.as_ref().unwrap().get("additionalProperties").is_none());
    // 204s have no output schema.
    assert_eq!(tool("delete_poi").response, ResponseShape::Empty);
    assert!(tool("delete_poi").output_schema.is_none());

    // Annotations: derived from the method, overridden where the file says so.
    let a = |n: &str| tool(n).annotations;
    assert!(a("get_poi").read_only_hint && a("get_poi").idempotent_hint && !a("get_poi").destructive_hint);
    assert!(a("delete_poi").destructive_hint && a("delete_poi").idempotent_hint && !a("delete_poi").read_only_hint);
    assert!(!a("update_poi").read_only_hint && !a("update_poi").idempotent_hint && !a("update_poi").destructive_hint);
    assert!(a("execute_action").open_world_hint && !a("create_poi").open_world_hint);
}

#[test]
fn vtoc_generates_and_every_artifact_parses() {
    let (spec, overrides) = vtoc();
    let artifacts = generate(Input { spec: &spec, overrides: Some(&overrides) }).unwrap();
    syn::parse_file(&artifacts.client_rs).unwrap();
    syn::parse_file(&artifacts.tools_rs).unwrap();
    let manifest: Value = serde_json::from_str(&artifacts.tools_json).unwrap();
    let ir = vtoc_ir();
    assert_eq!(manifest["tools"].as_array().unwrap().len(), ir.tools.len());
    assert!(artifacts.client_rs.starts_with("// @generated by vtoc-mcp codegen"));
    assert!(artifacts.warnings.is_empty(), "{:?}", artifacts.warnings);
    // Deterministic bytes.
    let again = generate(Input { spec: &spec, overrides: Some(&overrides) }).unwrap();
    assert_eq!(artifacts.tools_rs, again.tools_rs);
    assert_eq!(artifacts.client_rs, again.client_rs);
}

/// Generate a fixture, check its structure, and compare its manifest and docs with the
/// snapshots beside it.
fn fixture(name: &str) -> (Ir, Artifacts) {
    let spec = read(&format!("tests/fixtures/{name}.json"));
    let artifacts = generate(Input { spec: &spec, overrides: None }).unwrap_or_else(|e| panic!("{name}: {e}"));
    syn::parse_file(&artifacts.client_rs).unwrap();
    syn::parse_file(&artifacts.tools_rs).unwrap();
    let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap();
    check_ir(&ir, &serde_json::from_str(&spec).unwrap());
    for (suffix, text) in [("tools.json", &artifacts.tools_json), ("API.md", &artifacts.api_md)] {
        let path = root().join(format!("tests/fixtures/{name}.{suffix}"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, text).unwrap();
        } else {
            let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                panic!("missing snapshot {}; run UPDATE_SNAPSHOTS=1 cargo test --lib", path.display())
            });
            assert_eq!(
                &expected,
                text,
                "snapshot {} differs; review and run UPDATE_SNAPSHOTS=1 cargo test --lib",
                path.display()
            );
        }
    }
    (ir, artifacts)
}

#[test]
fn plain_openapi_30_petstore() {
    let (ir, _) = fixture("petstore-3.0");
    let names: Vec<&str> = ir.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["list_pets", "create_pets", "show_pet_by_id", "delete_pets_pet_id"]);
    let create = &ir.tools[1];
    let body = &create.wire_schema["properties"]["body"];
    assert_eq!(body["properties"]["tag"]["type"], json!(["string", "null"]));
    assert_eq!(body["properties"]["status"]["enum"], json!(["available", "pending", "sold", null]));
    assert_eq!(body["properties"]["weight"]["exclusiveMinimum"], 0);
    assert_eq!(body["properties"]["name"]["examples"], json!(["doggie"]));
    let args = &create.input_schema["properties"];
    assert_eq!(args["status"]["anyOf"][0]["enum"], json!(["available", "pending", "sold"]));
    assert_eq!(args["name"], json!({"type": "string"}), "examples are not for the model");
    // allOf merged, readOnly `id` kept in output only.
    let show = &ir.tools[2];
    assert_eq!(show.output_schema.as_ref().unwrap()["required"], json!(["name", "id"]));
    assert_eq!(show.params[0].wire_name, "petId");
    assert_eq!(show.params[0].location, Location::Path);
    assert_eq!(ir.tools[3].name_origin, ir::NameOrigin::MethodPath);
}

#[test]
fn hostile_31_shapes() {
    let (ir, artifacts) = fixture("hostile-3.1");
    let tool = |n: &str| ir.tools.iter().find(|t| t.name == n).unwrap_or_else(|| panic!("no tool {n}"));
    // Reserved words and hyphens as wire names.
    let list = tool("list_items");
    let props = list.wire_schema["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["type", "ref", "in", "page-size", "x-request-id"]);
    assert_eq!(props["in"]["exclusiveMinimum"], 0);
    assert_eq!(props["page-size"]["type"], json!(["integer", "null"]));
    let args = list.input_schema["properties"].as_object().unwrap();
    assert_eq!(args.keys().collect::<Vec<_>>(), ["type", "ref", "in", "page-size", "x-request-id"]);
    assert_eq!(args["page-size"], json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}));
    assert_eq!(list.input_schema["required"], json!(["type", "in"]));
    // The long id is shortened stably.
    let long = ir.tools.iter().find(|t| t.operation_id.starts_with("retrieve_the_complete")).unwrap();
    assert_eq!(long.name_origin, ir::NameOrigin::Shortened);
    assert!(long.name.len() <= naming::TARGET_LEN);
    // Recursion becomes a bounded $defs.
    assert_eq!(long.wire_schema["properties"]["body"]["$ref"], "#/$defs/Node");
    assert!(long.wire_schema["$defs"]["Node"].is_object());
    // A body that is a reference stays one `body` argument, its `$defs` closed as well.
    assert_eq!(long.input_schema["properties"]["body"]["$ref"], "#/$defs/Node");
    assert_eq!(long.input_schema["$defs"]["Node"]["additionalProperties"], false);
    // `$defs/Meta` inside Item is not the component `Meta` (the last-segment trap).
    let feed = tool("feed");
    let item = &feed.output_schema.as_ref().unwrap()["properties"]["entries"]["items"]["oneOf"][0];
    assert_eq!(item["properties"]["meta"]["type"], "object");
    assert_eq!(item["properties"]["kind"]["const"], "item");
    // Nullable response, and 204 + 200 pick the lowest code.
    assert!(matches!(tool("find_thing").response, ResponseShape::Wrapped { .. }));
    assert!(matches!(tool("delete_thing").response, ResponseShape::Wrapped { .. }));
    assert_eq!(tool("get_plain").response, ResponseShape::Text { media_type: "text/plain".into() });
    // Cookies are a recorded exclusion with its reason and a build warning; a multipart
    // upload is a tool whose file is a data URL with its name.
    let excluded: Vec<(&str, ExclusionKind)> =
        ir.exclusions.iter().map(|e| (e.operation_id.as_str(), e.kind)).collect();
    assert_eq!(excluded, [("whoami_session_get", ExclusionKind::Unsupported)]);
    assert_eq!(tool("upload").body.as_ref().map(|b| b.files.clone()), Some(vec!["file".to_string()]));
    assert_eq!(tool("upload").input_schema["properties"]["file"]["description"], upload::FILE_TEXT);
    assert_eq!(artifacts.warnings.len(), 2, "{:?}", artifacts.warnings);
    assert!(artifacts.warnings[0].contains("cookie parameter `sid`"), "{:?}", artifacts.warnings);
    assert!(
        artifacts.warnings[1].starts_with("vTOC's hand-written parts (station_brief, "),
        "{:?}",
        artifacts.warnings
    );
    // The typed client took the hyphenated and reserved names.
    assert!(artifacts.tools_rs.contains("a.opt::<i64>(\"page-size\")?"), "{}", artifacts.tools_rs);
    assert!(artifacts.tools_rs.contains("a.path_str(\"type\")?"));
}

#[test]
fn multipart_uploads_are_tools_the_bridge_writes() {
    // FastAPI's own export of tests/fixtures/upload/app.py.
    let (ir, artifacts) = fixture("upload-3.1");
    let tool = |name: &str| ir.tools.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no tool {name}"));
    assert!(ir.exclusions.is_empty(), "{:?}", ir.exclusions);
    let files = |name: &str| tool(name).body.as_ref().map(|b| (b.is_multipart(), b.files.clone()));
    assert_eq!(files("create_file"), Some((true, vec!["file".to_string()])));
    assert_eq!(files("add_images"), Some((true, vec!["images".to_string()])));
    assert_eq!(files("update_profile"), Some((true, vec!["avatar".to_string()])));
    assert_eq!(files("read_file"), None);
    // What the model reads: a required file, an array of files, an optional one (each a
    // data URL with its name); the other fields as they were, the query parameter beside them.
    let file = json!({"type": "string", "description": upload::FILE_TEXT});
    let create = &tool("create_file").input_schema;
    assert_eq!(create["properties"]["file"], file);
    assert_eq!(create["properties"]["purpose"], json!({"type": "string"}));
    assert_eq!(create["required"], json!(["purpose", "file"]));
    assert!(create["properties"]["provider"]["anyOf"].is_array());
    assert_eq!(tool("add_images").input_schema["properties"]["images"]["items"], file);
    assert_eq!(tool("update_profile").input_schema["properties"]["avatar"]["anyOf"][0], json!({"type": "string"}));
    assert_eq!(tool("update_profile").input_schema["properties"]["avatar"]["description"], upload::FILE_TEXT);
    // The wire schema validates the same strings; progenitor never sees the uploads.
    assert_eq!(tool("create_file").wire_schema["properties"]["body"]["properties"]["file"], file);
    assert!(!artifacts.client_rs.contains("create_file"), "progenitor was given an upload");
    assert!(artifacts.client_rs.contains("read_file"));
    let wrapper = artifacts.tools_rs.split("async fn call_add_images").nth(1).unwrap_or_default();
    let wrapper = wrapper.split("\n}\n").next().unwrap_or_default().split_whitespace().collect::<String>();
    assert!(wrapper.contains(r#"crate::support::upload(c,a,&["images"])"#), "{wrapper}");
    for t in &ir.tools {
        check_view(&t.name, &t.input_schema);
    }
    // The same upload as a PATCH: a form has no null to send, so it offers no `clear`
    // (a JSON PATCH with an optional field does, as vTOC's `update_poi`).
    let spec = read("tests/fixtures/upload-3.1.json").replacen("\"put\":", "\"patch\":", 1);
    let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap();
    let patch = ir.tools.iter().find(|t| t.path == "/profile").expect("PATCH /profile");
    assert_eq!(patch.method, ir::Method::Patch);
    assert!(patch.input_schema["properties"]["avatar"].is_object());
    assert!(patch.input_schema["properties"].get("clear").is_none(), "{}", patch.input_schema);
}

#[test]
fn name_collisions_are_resolved_by_the_rule_and_only_override_clashes_are_errors() {
    let spec = read("tests/fixtures/collision.json");
    let artifacts = generate(Input { spec: &spec, overrides: None }).unwrap();
    let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap();
    assert_eq!(ir.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["status_v1", "status_v2"]);
    assert!(ir.tools.iter().all(|t| t.name_origin == ir::NameOrigin::Collision));
    assert_eq!(artifacts.warnings.len(), 2, "{:?}", artifacts.warnings);
    let note = &artifacts.warnings[0];
    assert!(note.contains("`status_v1` (GET /v1/status)") && note.contains("`status_v2` (GET /v2/status)"), "{note}");
    assert!(note.contains("mcp-overrides.json"), "{note}");
    // An override wins; the other operation keeps the bare name.
    let overrides = r#"{"operations": {"status_v2_status_get": {"name": "status_v2"}}}"#;
    let ir = lower_spec(Input { spec: &spec, overrides: Some(overrides) }).unwrap();
    assert_eq!(ir.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["status", "status_v2"]);
    // An override taking the bare name moves the derived one.
    let overrides = r#"{"operations": {"status_v2_status_get": {"name": "status"}}}"#;
    let ir = lower_spec(Input { spec: &spec, overrides: Some(overrides) }).unwrap();
    assert_eq!(ir.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["status_v1", "status"]);
    // Two overrides choosing one name: only the developer can decide.
    let both =
        r#"{"operations": {"status_v1_status_get": {"name": "health"}, "status_v2_status_get": {"name": "health"}}}"#;
    let err = lower_spec(Input { spec: &spec, overrides: Some(both) }).unwrap_err().to_string();
    assert!(
        err.contains("status_v1_status_get") && err.contains("status_v2_status_get") && err.contains("`health`"),
        "{err}"
    );
}

/// Real exports of public FastAPI apps (tests/fixtures/specs/README.md), with no overrides:
/// every operation is a tool with a unique valid name or a recorded exclusion, and the
/// names of operations that did not collide are what they would be alone.
#[test]
fn real_fastapi_exports_lower_with_no_overrides() {
    for (file, operations, collided) in
        [("chromadb-1.5.9", 50, 10), ("prefect-3.9.1", 188, 12), ("litellm-1.110.2", 1012, 441)]
    {
        let spec = read(&format!("tests/fixtures/specs/{file}.json"));
        let doc: Value = serde_json::from_str(&spec).unwrap();
        let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap_or_else(|e| panic!("{file}: {e}"));
        check_ir(&ir, &doc);
        assert_eq!(ir.tools.len() + ir.exclusions.len(), operations, "{file}");
        let renamed: Vec<&ir::Tool> = ir.tools.iter().filter(|t| t.name_origin == ir::NameOrigin::Collision).collect();
        assert!(renamed.len() <= collided, "{file}: {} renamed, at most {collided} collided", renamed.len());
        for t in &ir.tools {
            if t.name_origin != ir::NameOrigin::Collision {
                let alone = naming::derive_tool_name(Some(&t.operation_id), t.method, &t.path).0;
                assert!(
                    t.name == alone
                        || matches!(t.name_origin, ir::NameOrigin::SpecExtension | ir::NameOrigin::OverrideFile),
                    "{file}: {} should be {alone}",
                    t.name
                );
            }
        }
    }
}

#[test]
fn the_collision_rule_on_the_exports_reads_well() {
    let names = |file: &str| -> Vec<(String, String)> {
        let spec = read(&format!("tests/fixtures/specs/{file}.json"));
        let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap();
        ir.tools.iter().map(|t| (format!("{} {}", t.method.as_str(), t.path), t.name.clone())).collect()
    };
    let has = |all: &[(String, String)], endpoint: &str, name: &str| {
        assert!(
            all.iter().any(|(e, n)| e == endpoint && n == name),
            "{endpoint} should be `{name}`: {:?}",
            all.iter().filter(|(e, _)| e == endpoint).collect::<Vec<_>>()
        );
    };
    let chroma = names("chromadb-1.5.9");
    has(&chroma, "GET /api/v1/heartbeat", "heartbeat_v1");
    has(&chroma, "GET /api/v2/heartbeat", "heartbeat_v2");
    let prefect = names("prefect-3.9.1");
    has(&prefect, "POST /work_queues/", "create_work_queue");
    has(&prefect, "POST /work_pools/{work_pool_name}/queues", "create_work_queue_work_pools");
    has(&prefect, "POST /templates/validate", "validate_template");
    has(&prefect, "POST /automations/templates/validate", "validate_template_automations");
    let litellm = names("litellm-1.110.2");
    has(&litellm, "GET /models", "model_list");
    has(&litellm, "GET /v1/models", "model_list_v1");
    has(&litellm, "POST /chat/completions", "chat_completion");
    has(&litellm, "POST /v1/chat/completions", "chat_completion_v1");
    has(&litellm, "POST /engines/{model}/chat/completions", "chat_completion_engines");
    // No suffix repeats the name (was `model_info_v1_v1`, `get_prompt_info_info`) or spells
    // a meta-tool (was `list_search_tools_search_tools`).
    has(&litellm, "GET /model/info", "model_info_v1");
    has(&litellm, "GET /search/tools", "list_search_tools");
    for (endpoint, name) in &litellm {
        // The last word or two do not say again what is just before them.
        let words: Vec<&str> = name.split('_').collect();
        let echoes = (1..=2)
            .any(|k| words.len() >= 2 * k && words[words.len() - k..] == words[words.len() - 2 * k..words.len() - k]);
        assert!(!echoes && name.matches("search_tools").count() <= 1, "{endpoint}: `{name}`");
    }
}

#[test]
fn stale_overrides_warn_and_name_the_likely_successor_and_bad_ones_are_errors() {
    let spec = read("tests/fixtures/collision.json");
    // `status_v1_status_get` renamed to `health_v1_status_get` (same GET /v1/status).
    let stale = r#"{"operations": {"health_v1_status_get": {"description": "d"}, "gone_op": {"name": "x"},
        "status_v2_status_get": {"name": "status_v2"}}}"#;
    let ir = lower_spec(Input { spec: &spec, overrides: Some(stale) }).unwrap();
    assert_eq!(ir.warnings.len(), 2, "{:?}", ir.warnings);
    let gone = ir.warnings.iter().find(|w| w.contains("`gone_op`")).unwrap();
    assert!(gone.contains("not in the spec") && gone.contains("Delete the entry"), "{gone}");
    let renamed = ir.warnings.iter().find(|w| w.contains("`health_v1_status_get`")).unwrap();
    assert!(renamed.contains("most likely `status_v1_status_get`") && renamed.contains("GET /v1/status"), "{renamed}");
    let bad_name = r#"{"operations": {"status_v1_status_get": {"name": "has space"}}}"#;
    let err = lower_spec(Input { spec: &spec, overrides: Some(bad_name) }).unwrap_err().to_string();
    assert!(err.contains("`status_v1_status_get`") && err.contains("not valid"), "{err}");
}

#[test]
fn curated_words_that_name_a_missing_tool_warn() {
    let spec = read("tests/fixtures/collision.json");
    let words = r#"{"operations": {"status_v1_status_get": {"description": "Call `fetch_status_old` first, then status_v1; is_ok_now too."}}}"#;
    let ir = lower_spec(Input { spec: &spec, overrides: Some(words) }).unwrap();
    let named: Vec<&String> = ir.warnings.iter().filter(|w| w.contains("is not a tool of this build")).collect();
    assert_eq!(named.len(), 2, "{:?}", ir.warnings);
    assert!(named[0].contains("`fetch_status_old`") && named[0].contains("`status_v1_status_get`"), "{named:?}");
    assert!(named[1].contains("`is_ok_now`"), "{named:?}");
    // vTOC's own words name only tools and fields it has.
    let vtoc = vtoc_ir();
    let stale: Vec<&String> = vtoc.warnings.iter().filter(|w| w.contains("is not a tool of this build")).collect();
    assert!(stale.is_empty(), "{stale:?}");
}

fn broken(ops: Value, components: Value) -> String {
    let spec = json!({"openapi": "3.1.0", "info": {"title": "b", "version": "1"}, "paths": ops,
        "components": {"schemas": components}})
    .to_string();
    generate(Input { spec: &spec, overrides: None }).unwrap_err().to_string()
}

#[test]
fn broken_specs_fail_with_the_operation_named() {
    let ok = json!({"200": {"description": "ok"}});
    let err = broken(
        json!({"/a": {"post": {"operationId": "make_a", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}, "responses": ok}}}),
        json!({}),
    );
    assert!(err.contains("`make_a` (POST /a)") && err.contains("points to nothing"), "{err}");

    let err = broken(json!({"/a/{id}": {"get": {"operationId": "get_a", "responses": ok}}}), json!({}));
    assert!(err.contains("`get_a` (GET /a/{id})") && err.contains("`{id}` is not declared"), "{err}");

    let err = broken(
        json!({"/a": {"get": {"operationId": "dup", "responses": ok}}, "/b": {"get": {"operationId": "dup", "responses": ok}}}),
        json!({}),
    );
    assert!(err.contains("operationIds must be unique"), "{err}");

    let swagger = generate(Input { spec: r#"{"swagger": "2.0"}"#, overrides: None }).unwrap_err().to_string();
    assert!(swagger.contains("Swagger 2.0"), "{swagger}");
    let not_json = generate(Input { spec: "{", overrides: None }).unwrap_err().to_string();
    assert!(not_json.contains("not valid JSON"), "{not_json}");
}

#[test]
fn progenitor_failures_leave_out_the_operations_they_blame() {
    let generated = |ops: Value, components: Value| {
        let spec = json!({"openapi": "3.1.0", "info": {"title": "b", "version": "1"}, "paths": ops,
            "components": {"schemas": components}});
        generate(Input { spec: &spec.to_string(), overrides: None }).unwrap()
    };
    let excluded = |a: &Artifacts| -> Vec<(String, String)> {
        let manifest: Value = serde_json::from_str(&a.tools_json).unwrap();
        manifest["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["operation_id"].as_str().unwrap().to_string(), e["reason"].as_str().unwrap().to_string()))
            .collect()
    };
    // A path parameter marked optional makes progenitor assert: that operation is left out,
    // with the reason in the manifest, docs/API.md and the build's warnings; the build goes on.
    let ok = json!({"200": {"description": "ok"}});
    let a = generated(
        json!({"/a/{id}": {"get": {"operationId": "get_a", "parameters": [{"name": "id", "in": "path", "required": false, "schema": {"type": "string"}}], "responses": ok}},
               "/b": {"get": {"operationId": "get_b", "responses": ok}}}),
        json!({}),
    );
    let out = excluded(&a);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].0 == "get_a" && out[0].1.contains("panicked"), "{out:?}");
    assert!(a.api_md.contains("`get_a`") && a.tools_rs.contains("call_get_b") && !a.tools_rs.contains("call_get_a"));
    assert!(a.warnings.iter().any(|w| w.contains("`get_a` (GET /a/{id}) is not a tool")), "{:?}", a.warnings);

    // A component schema typify rejects: its users are left out, naming the schema, and the
    // schema leaves the client with them.
    let a = generated(
        json!({"/c": {"get": {"operationId": "get_c", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bad"}}}}}}},
               "/d": {"get": {"operationId": "get_d", "responses": ok}}}),
        json!({"Bad": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3, "default": 99}}}}),
    );
    let out = excluded(&a);
    assert!(out.len() == 1 && out[0].0 == "get_c" && out[0].1.contains("the schema `Bad`"), "{out:?}");
    assert!(!a.client_rs.contains("pub struct Bad"), "the untypable schema is not in the client");
    syn::parse_file(&a.client_rs).unwrap();
}

#[test]
fn a_new_export_changes_tools_manifest_and_docs() {
    // v2 is v1 re-exported after backend changes: an endpoint added and one removed, a
    // function renamed, fields added and removed.
    let (v1, v2) = (read("tests/fixtures/diff/v1.json"), read("tests/fixtures/diff/v2.json"));
    let before = generate(Input { spec: &v1, overrides: None }).unwrap();
    let after = generate(Input { spec: &v2, overrides: None }).unwrap();
    let ir = lower_spec(Input { spec: &v2, overrides: None }).unwrap();
    let names: Vec<&str> = ir.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["list_things", "create_thing", "fetch_thing", "archive_thing", "stats"]);
    let create = ir.tools.iter().find(|t| t.name == "create_thing").unwrap();
    let body = &create.wire_schema["properties"]["body"]["properties"];
    assert!(body.get("notes").is_none() && body.get("site").is_some());
    assert!(create.input_schema["properties"].get("site").is_some(), "the body's fields are arguments");

    assert!(after.tools_rs.contains("async fn call_stats") && !after.tools_rs.contains("async fn call_legacy"));
    assert!(
        after.tools_rs.contains("async fn call_fetch_thing") && !after.tools_rs.contains("async fn call_get_thing")
    );
    assert!(after.client_rs.contains("pub async fn stats_stats_get"));
    assert!(after.api_md.contains("| `stats` | `GET /stats` |"));
    assert!(after.api_md.contains("| `fetch_thing` | `GET /things/{thing_id}` |"));
    assert!(!after.api_md.contains("`legacy`"));
    assert_ne!(before.tools_json, after.tools_json);
}
