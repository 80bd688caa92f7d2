//! Test harness: a recording backend (the demo backend behind a layer that records every
//! request and can force responses), an in-process bridge on `127.0.0.1:0`, and MCP
//! clients over streamable HTTP and stdio.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, JsonObject};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use vtoc_mcp::bridge::Bridge;
use vtoc_mcp::cli::config::{BackendArgs, GuardArgs};
use vtoc_mcp::demo::{DemoState, router as demo_router};
use vtoc_mcp::guard::Guardrails;
use vtoc_mcp::transport::HttpSettings;

/// One request as the backend received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A forced response: status, JSON body, extra headers, delay.
#[derive(Debug, Clone)]
pub struct Forced {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, &'static str)>,
    pub delay: Duration,
}

impl Forced {
    pub fn json(status: u16, body: Value) -> Forced {
        Forced { status, body: body.to_string(), headers: vec![], delay: Duration::ZERO }
    }
}

#[derive(Clone, Default)]
struct Recorder {
    requests: Arc<Mutex<Vec<Recorded>>>,
    forced: Arc<Mutex<VecDeque<Forced>>>,
}

/// The demo vTOC backend on `127.0.0.1:0`, recording what it receives.
pub struct RecordingBackend {
    pub url: String,
    recorder: Recorder,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl RecordingBackend {
    pub async fn start() -> RecordingBackend {
        let recorder = Recorder::default();
        let app = demo_router(DemoState::seeded()).layer(middleware::from_fn_with_state(recorder.clone(), record));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        RecordingBackend { url: format!("http://{addr}"), recorder, _stop: stop }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.recorder.requests.lock().unwrap().clone()
    }

    /// The only request received since the last `take`; panics on more or fewer.
    pub fn take_one(&self) -> Recorded {
        let mut all = self.recorder.requests.lock().unwrap();
        assert_eq!(all.len(), 1, "expected exactly one backend request, got {all:#?}");
        all.remove(0)
    }

    pub fn clear(&self) {
        self.recorder.requests.lock().unwrap().clear();
    }

    /// The next request gets this response instead of the demo backend's.
    pub fn force(&self, response: Forced) {
        self.recorder.forced.lock().unwrap().push_back(response);
    }
}

async fn record(State(recorder): State<Recorder>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    recorder.requests.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        target: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        headers: parts.headers.clone(),
        body: bytes.to_vec(),
    });
    let forced = recorder.forced.lock().unwrap().pop_front();
    if let Some(f) = forced {
        tokio::time::sleep(f.delay).await;
        let mut response = (http::StatusCode::from_u16(f.status).unwrap(), f.body).into_response();
        response.headers_mut().insert(http::header::CONTENT_TYPE, "application/json".parse().unwrap());
        for (k, v) in f.headers {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        return response;
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The bridge served over streamable HTTP on `127.0.0.1:0`, in process.
pub struct HttpBridge {
    pub url: String,
    pub addr: SocketAddr,
    cancel: CancellationToken,
}

impl Drop for HttpBridge {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn backend_args(base_url: &str) -> BackendArgs {
    BackendArgs { base_url: Some(base_url.to_string()), ..BackendArgs::default() }
}

/// The bridge with every tool open (admin scope, writes on, no confirmation), as the
/// tests of the call path itself need.
pub async fn start_bridge(args: BackendArgs) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, Guardrails::permissive()).unwrap();
    let guard = GuardArgs { local_scope: "vtoc:admin".into(), allow_writes: true, ..GuardArgs::default() };
    serve(bridge, &guard).await
}

/// The bridge configured exactly as the binary configures it from `guard`.
pub async fn start_guarded(args: BackendArgs, guard: GuardArgs) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, guard.guardrails().unwrap()).unwrap();
    serve(bridge, &guard).await
}

/// The bridge with these guardrail settings, stateless or with sessions that expire after
/// `idle`.
pub async fn start_guarded_sessions(
    args: BackendArgs,
    guard: GuardArgs,
    stateless: bool,
    idle: std::time::Duration,
) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, guard.guardrails().unwrap()).unwrap();
    serve_full(bridge, &guard, stateless, idle, 4096, true).await
}

/// The permissive bridge with the operator console off (`MCP_CONSOLE=false`).
pub async fn start_without_console(args: BackendArgs) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, Guardrails::permissive()).unwrap();
    let guard = GuardArgs { local_scope: "vtoc:admin".into(), allow_writes: true, ..GuardArgs::default() };
    serve_full(bridge, &guard, false, std::time::Duration::from_secs(300), 4096, false).await
}

/// The permissive bridge in stateless HTTP mode (`MCP_STATELESS`).
pub async fn start_stateless(args: BackendArgs) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, Guardrails::permissive()).unwrap();
    let guard = GuardArgs { local_scope: "vtoc:admin".into(), allow_writes: true, ..GuardArgs::default() };
    serve_with(bridge, &guard, true).await
}

/// The permissive bridge with a session idle timeout and cap.
pub async fn start_sessions(args: BackendArgs, idle: std::time::Duration, max: usize) -> HttpBridge {
    let backend = args.build(args.base_url.as_deref().unwrap()).unwrap();
    let bridge = Bridge::new(backend, Guardrails::permissive()).unwrap();
    let guard = GuardArgs { local_scope: "vtoc:admin".into(), allow_writes: true, ..GuardArgs::default() };
    serve_full(bridge, &guard, false, idle, max, true).await
}

async fn serve(bridge: Bridge, guard: &GuardArgs) -> HttpBridge {
    serve_with(bridge, guard, false).await
}

async fn serve_with(bridge: Bridge, guard: &GuardArgs, stateless: bool) -> HttpBridge {
    serve_full(bridge, guard, stateless, std::time::Duration::from_secs(300), 4096, true).await
}

async fn serve_full(
    bridge: Bridge,
    guard: &GuardArgs,
    stateless: bool,
    session_idle: std::time::Duration,
    max_sessions: usize,
    console: bool,
) -> HttpBridge {
    let audit = bridge.guardrails().audit.clone();
    let settings = HttpSettings {
        guard: Arc::new(guard.http_guard("127.0.0.1:0".parse().unwrap(), audit).unwrap()),
        stateless,
        session_idle,
        max_sessions,
        public_url: None,
        console,
    };
    let cancel = CancellationToken::new();
    let app = vtoc_mcp::transport::router(bridge, settings, cancel.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
    });
    HttpBridge { url: format!("http://{addr}/mcp"), addr, cancel }
}

pub type Client = RunningService<RoleClient, ClientConfig>;

/// An rmcp client over streamable HTTP (2025 handshake, session).
pub async fn http_client(url: &str) -> Client {
    vtoc_mcp::install_crypto_provider();
    let transport = StreamableHttpClientTransport::from_uri(url.to_string());
    ClientConfig::default().serve(transport).await.expect("MCP client connects over HTTP")
}

/// The binary, with none of the developer's `MCP_*` / `VTOC_*` settings: a test sets what
/// it means to test, and nothing in the shell changes its result.
pub fn vtoc_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vtoc-mcp"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("MCP_") || name.starts_with("VTOC_") {
            cmd.env_remove(name.as_ref());
        }
    }
    cmd
}

/// An rmcp client that spawned `vtoc-mcp serve --transport stdio`: against
/// `VTOC_API_BASE_URL` when `env` sets it, else with `--demo`.
pub async fn stdio_client(env: &[(&str, &str)]) -> Client {
    let mut cmd = tokio::process::Command::from(vtoc_command());
    cmd.args(["serve", "--transport", "stdio"]);
    if !env.iter().any(|(k, _)| *k == "VTOC_API_BASE_URL") {
        cmd.arg("--demo");
    }
    cmd.env("VTOC_MCP_LOG", "error").env("MCP_AUDIT_LOG", "off").env("VTOC_CONTRACT_CHECK", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let transport = rmcp::transport::TokioChildProcess::new(cmd).expect("spawn vtoc-mcp");
    ClientConfig::default().serve(transport).await.expect("MCP client connects over stdio")
}

pub fn args(v: Value) -> JsonObject {
    v.as_object().cloned().expect("arguments are an object")
}

pub async fn call(client: &Client, name: &str, arguments: Value) -> Result<CallToolResult, rmcp::ServiceError> {
    pinned(name);
    client.call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args(arguments))).await
}

/// A tool a test names: if the contract no longer has it, the test stops here with one
/// message saying so and what to update, instead of failing later on "unknown tool".
pub fn pinned(name: &str) {
    if let Some(message) = crate::contract::pinned_tool_gone(name) {
        panic!("{message}");
    }
}

/// The structured content of a successful call.
pub async fn call_ok(client: &Client, name: &str, arguments: Value) -> Value {
    let result = call(client, name, arguments).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_ne!(result.is_error, Some(true), "{name} failed: {}", text(&result));
    result.structured_content.clone().unwrap_or(Value::Null)
}

pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

/// A call refused for its arguments (SEP-1303): a tool error whose text and `_meta` (and,
/// for tools without an output schema, structured content) name the fields. Returns
/// (text, fields named).
pub fn refused_arguments(result: &CallToolResult) -> (String, Vec<String>) {
    let text = text(result);
    assert_eq!(result.is_error, Some(true), "expected a tool error, got {text}");
    let violations = result
        .meta
        .as_ref()
        .and_then(|m| m.0.get(vtoc_mcp::bridge::call::VIOLATIONS_META))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no violations in _meta: {text}"));
    if let Some(structured) = &result.structured_content {
        assert_eq!(structured["error"], "invalid_arguments", "{structured}");
        assert_eq!(structured["violations"].as_array(), Some(violations));
    }
    let fields = violations.iter().map(|v| v["field"].as_str().unwrap_or_default().to_string()).collect();
    assert!(text.contains("the backend was not called"), "{text}");
    (text, fields)
}

/// A JSON-RPC error from a call (unknown tool, malformed request).
pub fn protocol_error(e: rmcp::ServiceError) -> rmcp::ErrorData {
    match e {
        rmcp::ServiceError::McpError(data) => data,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// How many tools a caller with `scope` sees when writes are on (from the tool table, so
/// a spec change does not need these tests edited).
pub fn tools_for(scope: vtoc_mcp::guard::policy::Scope) -> usize {
    vtoc_mcp::bridge::tools::all().filter(|t| vtoc_mcp::guard::policy::Scope::required_for(t) <= scope).count()
}

pub fn read_only_tools() -> usize {
    vtoc_mcp::bridge::tools::all().filter(|t| t.hints.read_only).count()
}

/// The API's richest REST collection, found by shape (`vtoc_mcp::bridge::roles`): the
/// list, read-by-id, create, update and delete these tests call. Tests that are not about
/// vTOC's contract use it instead of tool names, so a renamed operation does not fail them.
pub fn things() -> vtoc_mcp::bridge::roles::Collection {
    vtoc_mcp::bridge::roles::collection()
        .expect("the API has no REST collection (GET /things, GET /things/{id}); these tests need one")
}

/// The collection's create tool (POST with a JSON body).
pub fn create_tool() -> &'static vtoc_mcp::bridge::support::ToolSpec {
    things().create.expect("the richest collection has no POST with a JSON body; these tests need one")
}

/// The collection's destructive DELETE.
pub fn delete_tool() -> &'static vtoc_mcp::bridge::support::ToolSpec {
    things().delete.expect("the richest collection has no destructive DELETE; these tests need one")
}

/// A body the create tool accepts: its required fields, sampled from its schema.
pub fn create_body() -> serde_json::Value {
    vtoc_mcp::bridge::roles::wire_arguments(create_tool()).remove("body").unwrap_or_else(|| serde_json::json!({}))
}

/// The arguments of a call of the create tool that makes that body (its fields as arguments).
pub fn create_arguments() -> serde_json::Value {
    serde_json::Value::Object(vtoc_mcp::bridge::roles::arguments(create_tool()))
}

/// The path the backend sees when `tool` is called for item `id`.
pub fn item_target(tool: &vtoc_mcp::bridge::support::ToolSpec, id: i64) -> String {
    tool.path.replace(&format!("{{{}}}", things().id), &id.to_string())
}

/// A property of `tool`'s JSON body that may be set to null and stay null: nullable in the
/// body, and in what the tool returns either nullable or absent (never required), if any.
/// Prefers one the result shows.
pub fn nullable_body_field(tool: &vtoc_mcp::bridge::support::ToolSpec) -> Option<String> {
    use serde_json::Value;
    fn object<'a>(schema: &'a Value, at: &'a Value) -> &'a Value {
        match at.get("$ref").and_then(Value::as_str) {
            Some(name) => &schema["$defs"][name.trim_start_matches("#/$defs/")],
            None => at,
        }
    }
    fn nullable(p: &Value) -> bool {
        p["type"].as_array().is_some_and(|t| t.iter().any(|t| t == "null"))
            || p["anyOf"].as_array().is_some_and(|b| b.iter().any(|b| b["type"] == "null"))
    }
    let input: Value = serde_json::from_str(tool.wire_schema).ok()?;
    let output: Value = tool.output_schema.and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default();
    let body = object(&input, &input["properties"]["body"]);
    let returned = object(&output, &output);
    let required = |name: &str| returned["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name));
    let fields: Vec<(&String, bool)> = body["properties"]
        .as_object()?
        .iter()
        .filter(|(name, p)| nullable(p) && !required(name))
        .filter_map(|(name, _)| match returned["properties"].get(name.as_str()) {
            Some(shown) => nullable(shown).then_some((name, true)),
            None => Some((name, false)),
        })
        .collect();
    fields.iter().find(|(_, shown)| *shown).or(fields.first()).map(|(name, _)| (*name).clone())
}

/// A read of one item named by a string path parameter, and that parameter.
pub fn by_name() -> (&'static vtoc_mcp::bridge::support::ToolSpec, &'static str) {
    vtoc_mcp::bridge::roles::read_by_name().expect("the API has no GET of one item by a string path parameter")
}

/// Whether the demo backend implements the operation behind `tool`. A test that needs the
/// demo's answer skips the others, saying so: the backend added an operation the demo does
/// not have yet (it answers 501).
pub fn demo_serves(tool: &str) -> bool {
    let Some(spec) = vtoc_mcp::bridge::tools::all().find(|t| t.name == tool) else { return true };
    let missing = vtoc_mcp::demo::unimplemented_operations();
    let served = !missing.iter().any(|(id, _, _)| id == spec.operation_id);
    if !served {
        println!(
            "note: skipping `{tool}` ({} {}): the demo backend does not implement it",
            spec.method.as_str(),
            spec.path
        );
    }
    served
}

/// A real `redis-server` (Debian's package, installed by `scripts/setup-test-deps.sh`) on
/// a free loopback port, with nothing saved to disk; stopped when dropped. `stop` and
/// `restart` take it away and bring it back on the same port.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer { port, child: None };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian package redis-server; scripts/setup-test-deps.sh installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut pong = [0u8; 7];
                if s.write_all(b"PING\r\n").await.is_ok()
                    && s.read_exact(&mut pong).await.is_ok()
                    && &pong == b"+PONG\r\n"
                {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not answer on 127.0.0.1:{}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
