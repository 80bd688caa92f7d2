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
use vtoc_mcp::bridge::support::{BodyKind, Location, ToolSpec};

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
    match vtoc_mcp::bridge::tools::all().find(|t| t.body == Some(BodyKind::Form)) {
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
    let tool = pick(
        "a POST with a JSON body",
        |t| t.method.as_str() == "POST" && t.body == Some(BodyKind::Json),
        uses_uuid_path,
    );
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

/// The multipart operations of the spec this build was given (`VTOC_MCP_SPEC`, else vTOC's).
fn multipart_operations() -> usize {
    let path = std::env::var_os("VTOC_MCP_SPEC")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/vtoc.json"));
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ops =
        spec["paths"].as_object().into_iter().flatten().flat_map(|(_, item)| item.as_object().into_iter().flatten());
    ops.filter(|(_, op)| op.pointer("/requestBody/content/multipart~1form-data").is_some()).count()
}

/// A tool's file fields: the body properties (or their items, or non-null branch) that
/// take a data URL (`codegen::upload`), and whether they take several.
fn file_fields(tool: &ToolSpec) -> Vec<(String, bool)> {
    let schema: Value = serde_json::from_str(tool.wire_schema).unwrap();
    let is_file =
        |s: &Value| s["description"].as_str().is_some_and(|d| d.ends_with(vtoc_mcp::codegen::upload::FILE_TEXT));
    let body = schema.pointer("/properties/body/properties").and_then(Value::as_object).cloned().unwrap_or_default();
    body.iter()
        .filter_map(|(name, s)| {
            let one = is_file(s) || s["anyOf"].as_array().is_some_and(|b| b.iter().any(is_file));
            let many = is_file(&s["items"]);
            (one || many).then(|| (name.clone(), many))
        })
        .collect()
}

/// Parts as the server reads them: (name, file name, bytes), sorted.
async fn parts(seen: &Seen) -> Vec<(String, Option<String>, Vec<u8>)> {
    let content_type =
        seen.headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone()).unwrap_or_default();
    let boundary = multer::parse_boundary(&content_type).unwrap_or_else(|e| panic!("{content_type:?}: {e}"));
    let body = bytes::Bytes::from(seen.body.clone());
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut out = Vec::new();
    while let Some(field) = form.next_field().await.expect("a well-formed multipart body") {
        let (name, file) = (field.name().unwrap_or_default().to_string(), field.file_name().map(str::to_string));
        out.push((name, file, field.bytes().await.unwrap().to_vec()));
    }
    out.sort();
    out
}

#[tokio::test]
async fn multipart_uploads_reach_the_backend_as_parts_it_can_read() {
    use base64::Engine;
    let uploads: Vec<&ToolSpec> = vtoc_mcp::bridge::tools::all().filter(|t| !file_fields(t).is_empty()).collect();
    // Every multipart operation of the spec is a tool (none is left out or typed as JSON).
    assert_eq!(uploads.len(), multipart_operations(), "multipart operations vs upload tools");
    if uploads.is_empty() {
        return;
    }
    let (backend, seen) = recording_backend().await;
    let client = client(&backend).await;
    // Bytes that are not text, with what looks like a boundary and CRLFs inside.
    let bytes: Vec<u8> = [b"\x00\xff\r\n--vtoc-mcp-\r\n".as_slice(), &(0u8..=255).collect::<Vec<_>>()].concat();
    let content = base64::engine::general_purpose::STANDARD.encode(&bytes);
    for tool in uploads {
        let mut arguments = arguments(tool);
        let mut expected = Vec::new();
        for (name, many) in file_fields(tool) {
            let file = json!(format!("data:application/octet-stream;name={name}.bin;base64,{content}"));
            arguments.insert(name.clone(), if many { json!([file, file]) } else { file });
            for _ in 0..(if many { 2 } else { 1 }) {
                expected.push((name.clone(), Some(format!("{name}.bin")), bytes.clone()));
            }
        }
        // The other body fields the sample gave: each a text part (an array's items each).
        let as_text = |v: &Value| match v {
            Value::String(s) => s.as_bytes().to_vec(),
            other => other.to_string().into_bytes(),
        };
        let schema: Value = serde_json::from_str(tool.wire_schema).unwrap();
        for name in schema
            .pointer("/properties/body/properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(n, _)| n)
        {
            match arguments.get(name) {
                _ if expected.iter().any(|(n, _, _)| n == name) => {}
                Some(Value::Array(items)) => expected.extend(items.iter().map(|i| (name.clone(), None, as_text(i)))),
                Some(value) if !value.is_null() => expected.push((name.clone(), None, as_text(value))),
                _ => {}
            }
        }
        expected.sort();
        seen.lock().unwrap().clear();
        let result = call(&client, tool, arguments.clone()).await;
        assert_ne!(result.is_error, Some(true), "{}: {}", tool.name, text(&result));
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{}: one request", tool.name);
        assert_eq!(got[0].method, tool.method.as_str());
        assert!(got[0].target.starts_with(&expected_path(tool, &arguments)), "{} {}", tool.name, got[0].target);
        assert_eq!(parts(&got[0]).await, expected, "{}", tool.name);
        println!("{}: {} parts read back as sent", tool.name, expected.len());

        // A file that is not base64 is refused before the backend is called.
        let (name, many) = file_fields(tool)[0].clone();
        let bad = json!("data:text/plain;name=x.txt;base64,not base64!");
        arguments.insert(name.clone(), if many { json!([bad]) } else { bad });
        seen.lock().unwrap().clear();
        let result = call(&client, tool, arguments).await;
        assert_eq!(result.is_error, Some(true), "{}", tool.name);
        assert!(text(&result).contains("is not base64"), "{}", text(&result));
        assert!(seen.lock().unwrap().is_empty(), "{}: the backend was called", tool.name);
    }
    client.cancel().await.unwrap();
}
