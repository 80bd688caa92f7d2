//! The bridge built for whatever API the build was given (vTOC's by default;
//! `VTOC_MCP_SPEC` names another). `make check-apis` builds it for a real export of another
//! FastAPI app (tests/fixtures/specs/) and runs these tests there, so they name no
//! operation: they pick tools by role from the compiled table and make up arguments from
//! each tool's inputSchema.
//!
//! The binary runs over stdio against a recording backend mounted under a path prefix
//! (`VTOC_API_BASE_URL=http://127.0.0.1:PORT/prefix`), as an API served under `/api` is.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use vtoc_mcp::bridge::roles::arguments;
use vtoc_mcp::bridge::support::{Location, ToolSpec};

const PREFIX: &str = "/mounted/api";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Answers every request `200 {}` and remembers it.
async fn recording_backend() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    async fn record(State(seen): State<Arc<Mutex<Vec<Seen>>>>, request: Request) -> axum::response::Response {
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        seen.lock().unwrap().push(Seen {
            method: parts.method.to_string(),
            target: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
            headers,
            body,
        });
        axum::response::Response::builder().header("content-type", "application/json").body(Body::from("{}")).unwrap()
    }
    let app = axum::Router::new().fallback(record).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{PREFIX}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// `vtoc-mcp serve --transport stdio` against `backend`, writes on, admin scope, no
/// confirmations (the tests are about what reaches the backend), every tool listed.
async fn client(backend: &str) -> Client {
    client_with(backend, &[("MCP_TOOL_MODE", "all")]).await
}

async fn client_with(backend: &str, env: &[(&str, &str)]) -> Client {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_vtoc-mcp"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("MCP_") || name.starts_with("VTOC_") {
            cmd.env_remove(name.as_ref());
        }
    }
    cmd.args(["serve", "--transport", "stdio"])
        .env("VTOC_API_BASE_URL", backend)
        .env("MCP_ALLOW_WRITES", "true")
        .env("MCP_LOCAL_SCOPE", "vtoc:admin")
        .env("MCP_CONFIRM_DESTRUCTIVE", "false")
        .env("MCP_AUDIT_LOG", "off")
        .env("VTOC_CONTRACT_CHECK", "off")
        .env("VTOC_MCP_LOG", "error");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let transport = rmcp::transport::TokioChildProcess::new(cmd).expect("spawn vtoc-mcp");
    ().serve(transport).await.expect("MCP client connects over stdio")
}

fn uses_uuid_path(tool: &ToolSpec) -> bool {
    let schema: Value = serde_json::from_str(tool.wire_schema).unwrap();
    tool.params.iter().any(|p| p.location == Location::Path && schema["properties"][p.name]["format"] == "uuid")
}

/// The tool for a role, preferring the ones that exercise the most.
fn pick(role: &str, fit: impl Fn(&ToolSpec) -> bool, better: impl Fn(&ToolSpec) -> bool) -> &'static ToolSpec {
    let fitting: Vec<&'static ToolSpec> = vtoc_mcp::bridge::tools::all().filter(|t| fit(t)).collect();
    let chosen = fitting.iter().copied().find(|t| better(t)).or(fitting.first().copied());
    let tool = chosen.unwrap_or_else(|| panic!("this API has no tool for the role: {role}"));
    println!("{role}: `{}` ({} {})", tool.name, tool.method.as_str(), tool.path);
    tool
}

async fn call(client: &Client, tool: &ToolSpec, arguments: JsonObject) -> CallToolResult {
    client.call_tool(CallToolRequestParams::new(tool.name).with_arguments(arguments)).await.expect("a tool result")
}

fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.clone()).collect::<Vec<_>>().join("\n")
}

/// The path the backend should see: the prefix, then the path with each parameter filled.
fn expected_path(tool: &ToolSpec, arguments: &JsonObject) -> String {
    let mut path = tool.path.to_string();
    for p in tool.params.iter().filter(|p| p.location == Location::Path) {
        let value = match &arguments[p.name] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        path = path.replace(&format!("{{{}}}", p.name), &value);
    }
    format!("{PREFIX}{path}")
}

#[tokio::test]
async fn every_tool_is_listed_with_a_valid_unique_name() {
    let (backend, _) = recording_backend().await;
    let client = client(&backend).await;
    let listed = client.list_all_tools().await.unwrap();
    let built = vtoc_mcp::bridge::tools::all().count();
    assert_eq!(listed.len(), built, "admin with writes on lists every tool");
    let mut names = std::collections::BTreeSet::new();
    for tool in &listed {
        assert!(names.insert(tool.name.to_string()), "duplicate {}", tool.name);
        assert!(
            tool.name.len() <= 64 && tool.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_read_reaches_the_backend_under_the_base_path() {
    let (backend, seen) = recording_backend().await;
    let client = client(&backend).await;
    let tool = pick(
        "a read-only GET with a path parameter",
        |t| t.method.as_str() == "GET" && t.hints.read_only && t.params.iter().any(|p| p.location == Location::Path),
        uses_uuid_path,
    );
    let arguments = arguments(tool);
    let result = call(&client, tool, arguments.clone()).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target.split('?').next().unwrap(), expected_path(tool, &arguments));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn header_parameters_and_json_bodies_reach_the_backend() {
    let (backend, seen) = recording_backend().await;
    let client = client(&backend).await;
    let with_header = vtoc_mcp::bridge::tools::all().find(|t| t.params.iter().any(|p| p.location == Location::Header));
    match with_header {
        Some(tool) => {
            println!("a header parameter: `{}` ({} {})", tool.name, tool.method.as_str(), tool.path);
            let arguments = arguments(tool);
            let result = call(&client, tool, arguments.clone()).await;
            assert_ne!(result.is_error, Some(true), "{}", text(&result));
            let request = seen.lock().unwrap().pop().expect("the call reached the backend");
            for p in tool.params.iter().filter(|p| p.location == Location::Header) {
                let sent =
                    request.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(p.name)).map(|(_, v)| v.as_str());
                let given = match &arguments[p.name] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(sent, Some(given.as_str()), "header {}", p.name);
            }
        }
        None => println!("note: this API has no header parameters; nothing to check"),
    }
    seen.lock().unwrap().clear();
    match vtoc_mcp::bridge::tools::all().find(|t| t.json_body == Some(false)) {
        Some(tool) => {
            println!("a form body: `{}` ({} {})", tool.name, tool.method.as_str(), tool.path);
            let arguments = arguments(tool);
            let result = call(&client, tool, arguments.clone()).await;
            assert_ne!(result.is_error, Some(true), "{}", text(&result));
            let request = seen.lock().unwrap().pop().expect("the call reached the backend");
            let kind = request.headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
            assert_eq!(kind, Some("application/x-www-form-urlencoded"));
            let sent: std::collections::BTreeMap<String, String> =
                form_urlencoded::parse(&request.body).into_owned().collect();
            let body = vtoc_mcp::bridge::roles::wire_arguments(tool).remove("body").unwrap_or_default();
            for (field, value) in body.as_object().into_iter().flatten() {
                let value = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                assert_eq!(sent.get(field), Some(&value), "form field {field}: {sent:?}");
            }
        }
        None => println!("note: this API has no form bodies; nothing to check"),
    }
    seen.lock().unwrap().clear();
    let tool =
        pick("a POST with a JSON body", |t| t.method.as_str() == "POST" && t.json_body == Some(true), uses_uuid_path);
    let arguments = arguments(tool);
    let result = call(&client, tool, arguments.clone()).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let request = seen.lock().unwrap().pop().expect("the call reached the backend");
    assert_eq!(
        (request.method.as_str(), request.target.split('?').next().unwrap()),
        ("POST", expected_path(tool, &arguments).as_str())
    );
    let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let body = vtoc_mcp::bridge::roles::wire_arguments(tool).remove("body").unwrap_or(json!({}));
    assert_eq!(sent, body, "the body arrives as the arguments meant it");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_wrong_argument_is_refused_before_the_backend() {
    let (backend, seen) = recording_backend().await;
    let client = client(&backend).await;
    let tool = pick(
        "a tool with a required path parameter",
        |t| t.params.iter().any(|p| p.location == Location::Path),
        uses_uuid_path,
    );
    let param = tool.params.iter().find(|p| p.location == Location::Path).unwrap().name;
    let mut arguments = arguments(tool);
    arguments.insert(param.to_string(), json!({"not": "a path segment"}));
    let result = call(&client, tool, arguments).await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains(param), "{}", text(&result));
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
    client.cancel().await.unwrap();
}

/// With the default settings, an API whose tool list would cost the model more than the
/// budget is served through the discovery tools, and every call through them still reaches
/// the backend as a direct one would; a smaller API keeps its full list.
#[tokio::test]
async fn a_large_api_is_served_through_discovery() {
    use vtoc_mcp::bridge::discover::{CALL_TOOL, DEFAULT_BUDGET_BYTES, SEARCH_TOOLS};
    let (backend, seen) = recording_backend().await;
    let client = client_with(&backend, &[]).await;
    let listed = client.list_all_tools().await.unwrap();
    let full: usize = {
        let all = client_with(&backend, &[("MCP_TOOL_MODE", "all")]).await;
        let tools = all.list_all_tools().await.unwrap();
        all.cancel().await.unwrap();
        tools.iter().map(vtoc_mcp::bridge::server::model_visible_bytes).sum()
    };
    let served: usize = listed.iter().map(vtoc_mcp::bridge::server::model_visible_bytes).sum();
    println!("the full list: {full} bytes; tools/list serves {} tools, {served} bytes", listed.len());
    if full <= DEFAULT_BUDGET_BYTES {
        assert_eq!(served, full, "under the budget: the full list");
        client.cancel().await.unwrap();
        return;
    }
    let names: Vec<&str> = listed.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["search_tools", "describe_tool", "call_tool"]);
    assert!(served < 8_000, "{served} bytes");
    // Find a read by the words of its own title, then call it through call_tool.
    let tool = pick(
        "a read-only GET with a path parameter and a title",
        |t| {
            t.method.as_str() == "GET"
                && t.hints.read_only
                && t.title.is_some()
                && t.params.iter().any(|p| p.location == Location::Path)
        },
        uses_uuid_path,
    );
    let query = tool.title.unwrap();
    let found = client
        .call_tool(
            CallToolRequestParams::new(SEARCH_TOOLS)
                .with_arguments(serde_json::from_value(json!({"query": query})).unwrap()),
        )
        .await
        .unwrap();
    let hits = found.structured_content.clone().expect("search answers are structured");
    let ranked: Vec<&str> = hits["tools"].as_array().unwrap().iter().filter_map(|h| h["name"].as_str()).collect();
    let rank = ranked.iter().position(|n| *n == tool.name).map(|r| r + 1);
    println!("search {query:?}: `{}` ranks {rank:?} of {ranked:?}", tool.name);
    assert!(rank.is_some_and(|r| r <= 3), "searching for its title finds `{}` in the top 3: {ranked:?}", tool.name);
    let arguments = arguments(tool);
    let result = client
        .call_tool(
            CallToolRequestParams::new(CALL_TOOL)
                .with_arguments(serde_json::from_value(json!({"name": tool.name, "arguments": arguments})).unwrap()),
        )
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].target.split('?').next().unwrap(), expected_path(tool, &arguments));
    client.cancel().await.unwrap();
}
