//! The discovery surface (`MCP_TOOL_MODE`): which callers get the meta-tools, that
//! `call_tool` is exactly a direct call (backend request, result, argument refusal,
//! confirmation, audit), that search and describe show a caller only what it may call, and
//! how well search finds the tool for a plain-language task on two real specs.

use crate::common::*;
use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction, Implementation,
};
use rmcp::service::RequestContext;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use vtoc_mcp::bridge::discover::search::{Doc, Index};
use vtoc_mcp::cli::config::{GuardArgs, ToolModeArg};

const META: [&str; 3] = ["search_tools", "describe_tool", "call_tool"];

/// Admin scope, writes on, audit to a file, in the given mode.
fn settings(mode: ToolModeArg, audit: &std::path::Path) -> GuardArgs {
    GuardArgs {
        local_scope: "vtoc:admin".into(),
        allow_writes: true,
        tool_mode: mode,
        audit_log: audit.display().to_string(),
        ..GuardArgs::default()
    }
}

fn audit_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    (dir, path)
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn names(client: &Client) -> Vec<String> {
    client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect()
}

fn hits(result: &rmcp::model::CallToolResult) -> Vec<Value> {
    assert_ne!(result.is_error, Some(true), "{}", text(result));
    result.structured_content.as_ref().unwrap()["tools"].as_array().unwrap().clone()
}

#[tokio::test]
async fn vtoc_keeps_its_full_list_under_auto_and_discover_lists_the_meta_tools() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let auto = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Auto, &audit)).await;
    let client = http_client(&auto.url).await;
    let listed = names(&client).await;
    assert_eq!(listed.len(), vtoc_mcp::bridge::tools::all().count(), "all 40 tools: {listed:?}");
    assert!(!listed.iter().any(|n| META.contains(&n.as_str())));
    let instructions = client.peer_info().unwrap().instructions.clone().unwrap_or_default();
    assert!(!instructions.contains("search_tools"), "{instructions}");
    client.cancel().await.unwrap();

    let discover = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Discover, &audit)).await;
    let client = http_client(&discover.url).await;
    assert_eq!(names(&client).await, META);
    let instructions = client.peer_info().unwrap().instructions.clone().unwrap_or_default();
    assert!(instructions.contains("search_tools") && instructions.contains("call_tool"), "{instructions}");
    let tools = client.list_all_tools().await.unwrap();
    let bytes: usize = tools.iter().map(vtoc_mcp::bridge::server::model_visible_bytes).sum();
    assert!(bytes < 8_000, "the meta-tools cost {bytes} bytes");
    let call_tool = tools.iter().find(|t| t.name == "call_tool").unwrap();
    assert_eq!(call_tool.annotations.as_ref().unwrap().destructive_hint, Some(true), "admin can run delete_poi");
    // A front end's hosted MCP tool must allow what tools/list serves.
    vtoc_mcp::install_crypto_provider();
    let config: Value =
        reqwest::get(discover.url.replace("/mcp", "/.well-known/mcp-config")).await.unwrap().json().await.unwrap();
    assert_eq!(config["openai"]["allowed_tools"], json!(META));
    assert_eq!(config["openai"]["require_approval"]["never"]["tool_names"], json!(["search_tools", "describe_tool"]));
    assert_eq!(config["tools"].as_array().unwrap().len(), listed.len(), "the callable tools are still described");
    assert!(backend.requests().is_empty());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_tiny_budget_switches_auto_to_the_meta_tools() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let guard = GuardArgs { tool_budget_bytes: 1000, ..settings(ToolModeArg::Auto, &audit) };
    let bridge = start_guarded(backend_args(&backend.url), guard).await;
    let client = http_client(&bridge.url).await;
    assert_eq!(names(&client).await, META);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn search_finds_the_tool_for_a_plain_query() {
    if !crate::contract::pinned_surface_holds("this test searches vTOC's curated tools") {
        return;
    }
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Discover, &audit)).await;
    let client = http_client(&bridge.url).await;
    let result =
        call(&client, "search_tools", json!({"query": "delete a person of interest", "limit": 3})).await.unwrap();
    let found = hits(&result);
    assert!(found.len() <= 3);
    assert_eq!(
        found[0],
        json!({"name": "delete_poi", "title": "Delete Poi", "summary": "Delete a POI and its identifiers.",
               "effect": "destructive", "required": ["poi_id"]})
    );
    let result = call(&client, "search_tools", json!({"query": "add a person of interest"})).await.unwrap();
    // What a typical answer costs the model (5 hits, the default), kept in docs/performance.md.
    let bytes = text(&result).len();
    println!("search answer for \"add a person of interest\": {bytes} bytes");
    assert!(bytes < 1_500, "{bytes} bytes");
    let create = hits(&result).into_iter().find(|h| h["name"] == "create_poi").expect("create_poi found");
    assert_eq!(create["required"], json!(["name"]), "a body's required fields are arguments, named");
    assert_eq!(create["effect"], "write");

    let result = call(&client, "search_tools", json!({"query": "zebra crossings"})).await.unwrap();
    assert!(hits(&result).is_empty(), "{}", text(&result));
    let result = call(&client, "search_tools", json!({"query": "poi", "limit": 11})).await.unwrap();
    let (_, fields) = refused_arguments(&result);
    assert_eq!(fields, ["limit"]);

    let described = call(&client, "describe_tool", json!({"name": "update_poi"})).await.unwrap();
    let definition = described.structured_content.clone().unwrap();
    assert_eq!(definition["name"], "update_poi");
    assert!(definition["inputSchema"]["properties"]["notes"].is_object() && definition["outputSchema"].is_object());
    assert_eq!(definition["annotations"]["readOnlyHint"], false);
    let unknown = call(&client, "describe_tool", json!({"name": "launch_rockets"})).await.unwrap();
    assert_eq!(unknown.is_error, Some(true));
    assert!(text(&unknown).contains("search_tools"), "{}", text(&unknown));
    assert!(backend.requests().is_empty(), "search and describe never call the backend");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_read_scope_caller_finds_only_reads_and_is_refused_as_directly() {
    let backend = RecordingBackend::start().await;
    let client = stdio_client(&[
        ("VTOC_API_BASE_URL", &backend.url),
        ("MCP_TOOL_MODE", "discover"),
        ("MCP_ALLOW_WRITES", "true"),
        ("MCP_LOCAL_SCOPE", "vtoc:read"),
    ])
    .await;
    assert_eq!(names(&client).await, META);
    let tools = client.list_all_tools().await.unwrap();
    let call_tool = tools.iter().find(|t| t.name == "call_tool").unwrap();
    assert_eq!(call_tool.annotations.as_ref().unwrap().read_only_hint, Some(true), "a reader can only read");
    for query in ["delete a person of interest", "change a POI", "create a telemetry source", "remove an IMEI"] {
        let result = call(&client, "search_tools", json!({"query": query, "limit": 10})).await.unwrap();
        for hit in hits(&result) {
            assert_eq!(hit["effect"], "read-only", "{query}: {hit}");
        }
    }
    let direct = call(&client, "update_poi", json!({"poi_id": 1, "notes": "x"})).await.unwrap();
    assert_eq!(direct.is_error, Some(true));
    let direct = text(&direct);
    assert!(direct.contains("vtoc:operate"), "{direct}");
    let through = call(&client, "call_tool", json!({"name": "update_poi", "arguments": {"poi_id": 1, "notes": "x"}}))
        .await
        .unwrap();
    assert_eq!(through.is_error, Some(true));
    assert_eq!(text(&through), direct, "call_tool refuses with the direct call's words");
    let described = call(&client, "describe_tool", json!({"name": "update_poi"})).await.unwrap();
    assert_eq!(described.is_error, Some(true));
    assert!(text(&described).starts_with(&direct) && text(&described).contains("search_tools"), "{}", text(&described));
    assert!(backend.requests().is_empty(), "refused before the backend");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn call_tool_is_a_direct_call_with_the_same_guardrails() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Discover, &audit)).await;
    let client = http_client(&bridge.url).await;

    let through = call(&client, "call_tool", json!({"name": "get_poi", "arguments": {"poi_id": 1}})).await.unwrap();
    assert_ne!(through.is_error, Some(true), "{}", text(&through));
    let request = backend.take_one();
    assert_eq!((request.method.as_str(), request.target.as_str()), ("GET", "/api/v1/poi/1"));
    // A client that cached the real names may still call them in discover mode.
    let direct = call(&client, "get_poi", json!({"poi_id": 1})).await.unwrap();
    assert_eq!(backend.take_one().target, "/api/v1/poi/1");
    assert_eq!(through.structured_content, direct.structured_content);
    assert_eq!(text(&through), text(&direct));

    let bad = call(&client, "call_tool", json!({"name": "get_poi", "arguments": {"poi_id": "first"}})).await.unwrap();
    let (message, fields) = refused_arguments(&bad);
    assert_eq!(fields, ["poi_id"]);
    assert!(message.contains("`get_poi`"), "{message}");
    let unknown = call(&client, "call_tool", json!({"name": "launch_rockets", "arguments": {}})).await.unwrap();
    assert_eq!(unknown.is_error, Some(true));
    assert!(text(&unknown).contains("unknown tool `launch_rockets`") && text(&unknown).contains("search_tools"));
    let nameless = call(&client, "call_tool", json!({"arguments": {}})).await.unwrap();
    assert_eq!(refused_arguments(&nameless).1, ["name"]);
    assert!(text(&nameless).contains("`call_tool`"), "{}", text(&nameless));
    assert!(backend.requests().is_empty(), "nothing refused reached the backend");

    let lines = audit_lines(&audit);
    let seen: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["tool"].as_str().unwrap(), l["decision"].as_str().unwrap())).collect();
    assert_eq!(
        seen,
        [
            ("get_poi", "allowed"),
            ("get_poi", "allowed"),
            ("get_poi", "refused_arguments"),
            ("launch_rockets", "refused_unknown_tool")
        ],
        "the audit names the tool that ran, never call_tool"
    );
    client.cancel().await.unwrap();
}

/// A 2025 session client that declares elicitation, declines, and keeps what it was asked.
#[derive(Clone, Default)]
struct Declining {
    asked: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Declining {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("discover-tests", "1"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().unwrap().push(message);
        }
        Ok(ElicitResult::new(ElicitationAction::Decline))
    }
}

#[tokio::test]
async fn a_destructive_call_through_call_tool_asks_and_declined_sends_nothing() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Discover, &audit)).await;
    vtoc_mcp::install_crypto_provider();
    let handler = Declining::default();
    let transport = rmcp::transport::StreamableHttpClientTransport::from_uri(bridge.url.clone());
    let client = handler.clone().serve(transport).await.unwrap();
    let result = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("call_tool")
                .with_arguments(args(json!({"name": "delete_poi", "arguments": {"poi_id": 4}}))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("did not confirm `delete_poi`"), "{}", text(&result));
    let asked = handler.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].contains("delete_poi") && asked[0].contains("poi_id=4"), "{}", asked[0]);
    assert!(backend.requests().is_empty(), "declined: the backend got nothing");
    let lines = audit_lines(&audit);
    let decisions: Vec<&Value> = lines.iter().map(|l| &l["decision"]).collect();
    assert_eq!(decisions, [&json!("confirmation_requested"), &json!("confirmation_declined")]);
    assert!(lines.iter().all(|l| l["tool"] == "delete_poi" && l["targets"] == json!({"poi_id": 4})), "{lines:?}");
    client.cancel().await.unwrap();
}

/// A plain-language task and the tool that does it.
struct Task {
    query: &'static str,
    expected: &'static str,
}

const VTOC_TASKS: &[Task] = &[
    Task { query: "delete a person of interest", expected: "delete_poi" },
    Task { query: "which stations are online", expected: "list_stations" },
    Task { query: "is this IMEI on the watchlist", expected: "check_imei" },
    Task { query: "add a phone number to a person of interest", expected: "create_poi_identifier" },
    Task { query: "show the task queue of a station", expected: "station_task_queue" },
    Task { query: "register a new GPS unit as a telemetry source", expected: "create_source" },
    Task { query: "turn on the ADS-B receiver", expected: "hw_enable_adsb" },
    Task { query: "recent telemetry events", expected: "list_events" },
    Task { query: "blacklist an IMEI", expected: "create_imei_watch_entry" },
    Task { query: "change the risk level of a POI", expected: "update_poi" },
    Task { query: "latest alerts at a station", expected: "station_timeline" },
    Task { query: "is the backend up", expected: "backend_health" },
    Task { query: "who asked the agent to do things", expected: "list_audits" },
];

const PREFECT_TASKS: &[Task] = &[
    Task { query: "pause a work queue", expected: "update_work_queue" },
    Task { query: "pause a deployment's schedule", expected: "pause_deployment" },
    Task { query: "list all flows", expected: "read_flows" },
    Task { query: "how many flow runs are there", expected: "count_flow_runs" },
    Task { query: "delete a flow run", expected: "delete_flow_run" },
    Task { query: "resume a paused flow run", expected: "resume_flow_run" },
    Task { query: "set the state of a task run", expected: "set_task_run_state" },
    Task { query: "create a variable", expected: "create_variable" },
    Task { query: "get a deployment by name", expected: "read_deployment_by_name" },
    Task { query: "download the logs of a flow run", expected: "download_logs" },
    Task { query: "which workers are in a pool", expected: "read_workers" },
    Task { query: "start a run of a deployment", expected: "create_flow_run_from_deployment" },
    Task { query: "is the server healthy", expected: "health_check" },
    Task { query: "reset a concurrency limit", expected: "reset_concurrency_limit_by_tag" },
];

/// The search documents of a spec's tools, from the generator's IR (as the bridge builds
/// them from the tool table).
fn docs_of(spec: &str, overrides: Option<&str>) -> Vec<Doc> {
    let ir = vtoc_mcp::codegen::lower_spec(vtoc_mcp::codegen::Input { spec, overrides })
        .unwrap_or_else(|e| panic!("the spec lowers: {e}"));
    // What the full list would cost the model (without the `context` argument), for the table's caption.
    let bytes: usize = ir
        .tools
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description, "inputSchema": t.input_schema}).to_string().len())
        .sum();
    println!("{} ({} tools): full tools/list {bytes} model-visible bytes", ir.title, ir.tools.len());
    ir.tools.iter().map(vtoc_mcp::bridge::discover::document).collect()
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Search quality: each task's tool ranks in the top 3. Prints the table kept in
/// docs/performance.md ("Tool search quality"): `cargo test --test e2e search_quality -- --nocapture`.
#[test]
fn search_quality() {
    if !crate::contract::pinned_surface_holds("search quality is measured on vTOC's curated tools") {
        return;
    }
    let specs = [
        ("vTOC", docs_of(&fixture("openapi/vtoc.json"), Some(&fixture("openapi/mcp-overrides.json"))), VTOC_TASKS),
        ("Prefect 3.9.1", docs_of(&fixture("tests/fixtures/specs/prefect-3.9.1.json"), None), PREFECT_TASKS),
    ];
    let mut table = String::from("| API (tools) | task | expected tool | rank | top 3 |\n|---|---|---|---|---|\n");
    let mut misses = Vec::new();
    for (api, docs, tasks) in &specs {
        let index = Index::new(docs);
        for task in tasks.iter() {
            assert!(docs.iter().any(|d| d.name == task.expected), "{api}: no tool `{}`", task.expected);
            let ranked = index.search(task.query, docs.len());
            let rank = ranked.iter().position(|&i| docs[i].name == task.expected).map(|r| r + 1);
            let top: Vec<String> = ranked.iter().take(3).map(|&i| format!("`{}`", docs[i].name)).collect();
            let shown = rank.map_or("not found".to_string(), |r| r.to_string());
            table.push_str(&format!(
                "| {api} ({}) | {} | `{}` | {shown} | {} |\n",
                docs.len(),
                task.query,
                task.expected,
                top.join(", ")
            ));
            if rank.is_none_or(|r| r > 3) {
                misses.push(format!("{api}: {:?} ranks `{}` {shown}", task.query, task.expected));
            }
        }
    }
    println!("{table}");
    assert!(VTOC_TASKS.len() + PREFECT_TASKS.len() >= 20);
    assert!(misses.is_empty(), "below the top 3:\n{}", misses.join("\n"));
}

/// A 2026-07-28 `tools/call` of `call_tool`, as raw JSON-RPC (no session).
async fn call_tool_2026(url: &str, params: Value) -> Value {
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "call_tool")];
    let mut params = params;
    params["name"] = json!("call_tool");
    crate::guardrails::post(url, crate::guardrails::rpc_2026("tools/call", params), &headers).await.2
}

#[tokio::test]
async fn a_destructive_call_through_call_tool_is_confirmed_over_the_2026_round_trip() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), settings(ToolModeArg::Discover, &audit)).await;
    let inner = json!({"name": "delete_poi", "arguments": {"poi_id": 4}});
    let first = call_tool_2026(&bridge.url, json!({"arguments": inner})).await;
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let message = first["result"]["inputRequests"]["confirm"]["params"]["message"].as_str().unwrap();
    assert!(message.contains("delete_poi") && message.contains("poi_id=4"), "{message}");
    let state = first["result"]["requestState"].clone();
    assert!(backend.requests().is_empty(), "asking calls nothing");

    let accept = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    // The confirmation is for that tool and those arguments, not for whatever call_tool runs next.
    let other = json!({"name": "delete_poi", "arguments": {"poi_id": 3}});
    let refused = call_tool_2026(
        &bridge.url,
        json!({"arguments": other, "inputResponses": accept.clone(), "requestState": state.clone()}),
    )
    .await;
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert!(backend.requests().is_empty());

    let done =
        call_tool_2026(&bridge.url, json!({"arguments": inner, "inputResponses": accept, "requestState": state})).await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    let request = backend.take_one();
    assert_eq!((request.method.as_str(), request.target.as_str()), ("DELETE", "/api/v1/poi/4"));
    let seen: Vec<(String, String)> = audit_lines(&audit)
        .iter()
        .map(|l| (l["tool"].as_str().unwrap().to_string(), l["decision"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(seen.first().unwrap(), &("delete_poi".to_string(), "confirmation_requested".to_string()));
    assert_eq!(seen.last().unwrap(), &("delete_poi".to_string(), "allowed".to_string()));
}

use crate::guardrails::{ADMIN, OPS, READER, post, rpc_2026, tokens};

/// A 2026 `tools/call` with a bearer token: (status, headers, body).
async fn call_as(url: &str, token: &str, name: &str, arguments: Value) -> (u16, http::HeaderMap, Value) {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", name),
        ("authorization", bearer.as_str()),
    ];
    post(url, rpc_2026("tools/call", json!({"name": name, "arguments": arguments})), &headers).await
}

fn with_tokens(mode: ToolModeArg, audit: &std::path::Path) -> GuardArgs {
    GuardArgs { auth_tokens: Some(tokens().into()), allow_writes: true, tool_mode: mode, ..settings(mode, audit) }
}

#[tokio::test]
async fn call_tool_is_refused_for_scope_exactly_as_a_direct_call() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), with_tokens(ToolModeArg::Discover, &audit)).await;
    let arguments = json!({"poi_id": 1, "notes": "x"});
    let (direct, direct_headers, _) = call_as(&bridge.url, READER, "update_poi", arguments.clone()).await;
    let through = json!({"name": "update_poi", "arguments": arguments});
    let (status, headers, body) = call_as(&bridge.url, READER, "call_tool", through.clone()).await;
    assert_eq!((direct, status), (403, 403), "{body}");
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert_eq!(challenge, direct_headers["www-authenticate"].to_str().unwrap());
    assert!(challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"vtoc:operate\""));
    assert!(backend.requests().is_empty(), "refused before the backend");
    // Allowed for a caller with the scope, through the same path.
    let (status, _, body) = call_as(&bridge.url, OPS, "call_tool", through).await;
    assert_eq!(status, 200);
    assert_ne!(body["result"]["isError"], true, "{body}");
    assert_eq!(backend.take_one().target, "/api/v1/poi/1");
    let lines = audit_lines(&audit);
    let seen: Vec<(&str, &str, &Value)> =
        lines.iter().map(|l| (l["tool"].as_str().unwrap(), l["decision"].as_str().unwrap(), &l["targets"])).collect();
    let target = json!({"poi_id": 1});
    assert_eq!(
        seen,
        [
            ("update_poi", "refused_scope", &target),
            ("update_poi", "refused_scope", &target),
            ("update_poi", "allowed", &target)
        ],
        "the same audit decision, naming the tool"
    );
}

#[tokio::test]
async fn searches_and_descriptions_are_audited() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), with_tokens(ToolModeArg::Discover, &audit)).await;
    let (status, _, body) = call_as(&bridge.url, READER, "search_tools", json!({"query": "person of interest"})).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = call_as(&bridge.url, READER, "describe_tool", json!({"name": "get_poi"})).await;
    assert_ne!(body["result"]["isError"], true, "{body}");
    let (_, _, body) = call_as(&bridge.url, READER, "describe_tool", json!({"name": "update_poi"})).await;
    assert_eq!(body["result"]["isError"], true, "a reader is not shown a write tool: {body}");
    let (_, _, body) = call_as(&bridge.url, ADMIN, "describe_tool", json!({"name": "launch_rockets"})).await;
    assert_eq!(body["result"]["isError"], true);
    let (_, _, body) = call_as(&bridge.url, ADMIN, "search_tools", json!({"query": ""})).await;
    assert_eq!(body["result"]["isError"], true);
    let lines = audit_lines(&audit);
    let seen: Vec<(&str, &str, &str, Value)> = lines
        .iter()
        .map(|l| {
            let who = l["caller"].as_str().unwrap();
            (who, l["tool"].as_str().unwrap(), l["decision"].as_str().unwrap(), l["targets"].clone())
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("reader", "search_tools", "allowed", json!({})),
            ("reader", "describe_tool", "allowed", json!({"name": "get_poi"})),
            ("reader", "describe_tool", "refused_scope", json!({"name": "update_poi"})),
            ("root", "describe_tool", "refused_unknown_tool", json!({"name": "launch_rockets"})),
            ("root", "search_tools", "refused_arguments", json!({})),
        ]
    );
    assert!(lines.iter().all(|l| l["event"] == "tool_call" && l["latency_ms"].is_number()));
    assert!(backend.requests().is_empty());
}

/// The bridge over vTOC's tools and `extra`, served over HTTP as the binary serves it.
async fn serve_with_tools(
    backend: &str,
    guard: GuardArgs,
    extra: &'static vtoc_mcp::bridge::support::ToolSpec,
) -> (String, tokio_util::sync::CancellationToken) {
    let args = backend_args(backend);
    let client = args.build(backend).unwrap();
    let tools = vtoc_mcp::bridge::tools::all().chain(std::iter::once(extra));
    let bridge = vtoc_mcp::bridge::Bridge::with_tools(client, guard.guardrails().unwrap(), tools).unwrap();
    let audit = bridge.guardrails().audit.clone();
    let settings = vtoc_mcp::transport::http::HttpSettings {
        guard: Arc::new(guard.http_guard("127.0.0.1:0".parse().unwrap(), audit).unwrap()),
        stateless: false,
        session_idle: std::time::Duration::from_secs(300),
        max_sessions: 64,
        public_url: None,
        console: false,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let app = vtoc_mcp::transport::router(bridge, settings, cancel.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
    });
    (url, cancel)
}

#[tokio::test]
async fn a_meta_tool_never_borrows_an_api_tools_scope() {
    // An API tool named like a meta-tool, destructive (admin scope).
    let delete = delete_tool();
    let named: &'static vtoc_mcp::bridge::support::ToolSpec =
        Box::leak(Box::new(vtoc_mcp::bridge::support::ToolSpec { name: "search_tools", ..*delete }));
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let (url, _stop) = serve_with_tools(&backend.url, with_tokens(ToolModeArg::Discover, &audit), named).await;
    // Served the meta-tools, a reader's `search_tools` is the search, needing only read.
    let (status, _, body) = call_as(&url, READER, "search_tools", json!({"query": "person of interest"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["result"]["structuredContent"]["tools"].is_array(), "{body}");
    // The API tool is reached through call_tool, with its own scope.
    let inner = json!({"name": "search_tools", "arguments": {delete_target_argument(): 1}});
    let (status, headers, _) = call_as(&url, READER, "call_tool", inner).await;
    assert_eq!(status, 403);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("scope=\"vtoc:admin\""));
    // Not served the meta-tools, `search_tools` is the API tool, and needs admin.
    let (url, _stop) = serve_with_tools(&backend.url, with_tokens(ToolModeArg::All, &audit), named).await;
    let (status, headers, _) = call_as(&url, READER, "search_tools", json!({delete_target_argument(): 1})).await;
    assert_eq!(status, 403);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("scope=\"vtoc:admin\""));
    assert!(backend.requests().is_empty());
}

/// The path parameter of the delete tool (`poi_id`).
fn delete_target_argument() -> &'static str {
    let tool = delete_tool();
    tool.params.iter().find(|p| p.location == vtoc_mcp::bridge::support::Location::Path).unwrap().name
}

#[tokio::test]
async fn describe_tool_answers_stay_within_the_result_limit() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let max = 3_500; // update_poi whole, as sent, is ~4.7 KB: it must be outlined
    let guard = GuardArgs { max_result_bytes: max, ..with_tokens(ToolModeArg::Discover, &audit) };
    let bridge = start_guarded(backend_args(&backend.url), guard).await;
    let bearer = format!("Bearer {ADMIN}");
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "describe_tool"),
        ("authorization", bearer.as_str()),
    ];
    let describe = |arguments: Value| rpc_2026("tools/call", json!({"name": "describe_tool", "arguments": arguments}));
    let raw = |body: &Value| body.to_string().len();
    let (_, _, whole) = post(&bridge.url, describe(json!({"name": "update_poi"})), &headers).await;
    assert!(raw(&whole) <= max, "{} bytes over {max}", raw(&whole));
    let outline = &whole["result"]["structuredContent"];
    assert!(outline["outlined"].as_str().unwrap().contains("MCP_MAX_RESULT_BYTES"), "{whole}");
    let arguments: Vec<&str> =
        outline["arguments"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(arguments.contains(&"poi_id") && arguments.contains(&"notes"), "{arguments:?}");
    let (_, _, part) =
        post(&bridge.url, describe(json!({"name": "update_poi", "part": "/inputSchema/properties/notes"})), &headers)
            .await;
    assert!(raw(&part) <= max, "{part}");
    assert!(part["result"]["structuredContent"]["value"].is_object(), "{part}");
    let (_, _, wrong) = post(&bridge.url, describe(json!({"name": "update_poi", "part": "/nope"})), &headers).await;
    assert_eq!(wrong["result"]["isError"], true, "{wrong}");
}
