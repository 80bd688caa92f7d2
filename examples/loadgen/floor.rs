//! The floors of `make bench-peer`. [`serve`] is the least work a server that bridges MCP
//! to REST does for one `tools/call`, with the bridge's HTTP stack (tokio with one worker, hyper through
//! axum, reqwest) and nothing else: read the JSON-RPC body, check the session's id, fetch
//! the read of [`calls`] from the backend, and answer its text and parsed JSON as one
//! JSON-RPC result. No schema, scope, audit, limit, event store or MCP library.
//!
//! [`serve_std`] does the same JSON work on the standard library alone: a thread per
//! connection, blocking sockets, HTTP/1.1 read by hand, no async runtime. Between the two
//! lies what the stack costs (tokio, hyper, axum, reqwest, on which rmcp is built).
//!
//! [`serve_rmcp`] is the floor of the bridge's MCP library: the same fetch and answer as the
//! one tool of a minimal rmcp handler, served by rmcp's streamable HTTP service configured
//! as the bridge's (`src/transport/http.rs`: sessions for 2025 clients, JSON answers where
//! rmcp gives them, its `Host` check off), with rmcp's own session manager and no event
//! store. Between it and [`serve`] lies what rmcp costs a call; above it, the bridge's own
//! layers.
//!
//! None is a server anyone should run: they are the yardsticks that say how much of a
//! figure is the machine's (a process woken from idle, the kernel, the backend round trip),
//! how much the stack's and how much the bridge's own, measured in the same run as the two
//! servers compared.

use crate::common::calls;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The one session the floor hands out.
const SESSION: &str = "floor";

#[derive(Clone)]
struct Floor {
    http: reqwest::Client,
    backend: String,
}

/// A JSON-RPC answer, as `application/json`.
fn answer(id: Value, result: Value) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// What a message asks of the floor.
enum Step {
    /// Answer this JSON-RPC result, with the session's id when it is the handshake.
    Answer { id: Value, result: Value, session: bool },
    /// Fetch item `item` of the collection, then answer with [`called`].
    Fetch { id: Value, item: usize },
    /// 400: not JSON; 404: not our session; 202: a notification.
    Status(u16),
}

/// Both floors read a message the same way.
fn step(body: &[u8], session: Option<&str>) -> Step {
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return Step::Status(400);
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message["method"].as_str().unwrap_or_default();
    if method == "initialize" {
        let result = json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                            "serverInfo": {"name": "floor", "version": "0"}});
        return Step::Answer { id, result, session: true };
    }
    if session != Some(SESSION) {
        return Step::Status(404);
    }
    match method {
        "tools/list" => Step::Answer { id, result: json!({"tools": []}), session: false },
        "tools/call" => {
            let item = message["params"]["arguments"][calls().id_name()].as_u64().unwrap_or(1) as usize;
            Step::Fetch { id, item }
        }
        _ => Step::Status(202),
    }
}

/// The result of a call: the backend's text, and its JSON parsed.
fn called(ok: bool, text: String) -> Value {
    let parsed = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
    json!({"content": [{"type": "text", "text": text}], "structuredContent": parsed, "isError": !ok})
}

async fn mcp(State(floor): State<Floor>, headers: HeaderMap, body: Bytes) -> Response {
    let (id, result, session) = match step(&body, headers.get("mcp-session-id").and_then(|v| v.to_str().ok())) {
        Step::Answer { id, result, session } => (id, result, session),
        Step::Fetch { id, item } => {
            let fetched = async {
                let response = floor.http.get(calls().read_url(&floor.backend, item)).send().await?;
                let ok = response.status().is_success();
                Ok::<_, reqwest::Error>((ok, response.text().await?))
            };
            let (ok, text) = fetched.await.unwrap_or_else(|e| (false, e.to_string()));
            (id, called(ok, text), false)
        }
        Step::Status(code) => return StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST).into_response(),
    };
    let mut response = answer(id, result);
    if session {
        response.headers_mut().insert("mcp-session-id", header::HeaderValue::from_static(SESSION));
    }
    response
}

/// Serves the floor on 127.0.0.1:`port` until killed, on a runtime shaped as the bridge's
/// default (`MCP_WORKER_THREADS=1`).
pub fn serve(port: u16, backend: String) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let floor = Floor { http: reqwest::Client::builder().build()?, backend };
        let app = Router::new().route("/mcp", post(mcp)).route("/healthz", get(|| async { "ok" })).with_state(floor);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        announce(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// Says where a floor listens as the bridge does, so that `--port 0` works and whatever
/// reads the bridge's log can start a floor in its place (`make bench`'s client, under
/// callgrind or not); and, as the bridge does, exits with success on SIGTERM, which is how
/// that client stops a server (a floor has no calls to drain).
fn announce(address: std::net::SocketAddr) {
    // One write: a reader of the log must not find the line cut short (`eprintln!` writes
    // its pieces one by one, and `http://` alone reads as a URL without a host).
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("MCP streamable HTTP on http://{address}/mcp\n").as_bytes(),
    );
    // A thread of its own, asleep until then, so the std floor stays free of a runtime.
    std::thread::spawn(|| {
        let terminated = async {
            let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()?;
            signal.recv().await
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build();
        // Without a handler (it could not be installed), SIGTERM ends the floor as before.
        if runtime.is_ok_and(|r| r.block_on(terminated).is_some()) {
            std::process::exit(0)
        }
    });
}

/// The floor on the standard library alone, on 127.0.0.1:`port` until killed: a thread per
/// client connection, each with its own connection to the backend (`backend` is
/// `http://host:port`). It reads only what the benchmark sends: HTTP/1.1 with a
/// `Content-Length`, the backend's answers likewise.
pub fn serve_std(port: u16, backend: String) -> anyhow::Result<()> {
    let address = backend.strip_prefix("http://").unwrap_or(&backend).trim_end_matches('/').to_string();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    announce(listener.local_addr()?);
    for client in listener.incoming() {
        let (client, address) = (client?, address.clone());
        std::thread::spawn(move || {
            // A connection that breaks ends its thread; the benchmark sees the error.
            let _ = connection(client, &address);
        });
    }
    Ok(())
}

/// One client connection of [`serve_std`], until it closes.
fn connection(client: std::net::TcpStream, backend: &str) -> std::io::Result<()> {
    use std::io::{BufReader, Write};
    client.set_nodelay(true)?;
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let mut upstream: Option<(BufReader<std::net::TcpStream>, std::net::TcpStream)> = None;
    while let Some((head, body)) = read_http(&mut from_client)? {
        let (status, extra, body) = if head.starts_with("GET /healthz ") {
            (200, "", "ok".to_string())
        } else {
            match step(&body, header_of(&head, "mcp-session-id")) {
                Step::Answer { id, result, session } => {
                    let extra = if session { "mcp-session-id: floor\r\n" } else { "" };
                    (200, extra, json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
                }
                Step::Fetch { id, item } => {
                    if upstream.is_none() {
                        let stream = std::net::TcpStream::connect(backend)?;
                        stream.set_nodelay(true)?;
                        upstream = Some((BufReader::new(stream.try_clone()?), stream));
                    }
                    let (from_backend, to_backend) = upstream.as_mut().expect("connected above");
                    let path = calls().read_url("", item);
                    write!(to_backend, "GET {path} HTTP/1.1\r\nhost: {backend}\r\n\r\n")?;
                    let (head, text) = read_http(from_backend)?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
                    let ok = head.starts_with("HTTP/1.1 2");
                    let result = called(ok, String::from_utf8_lossy(&text).into_owned());
                    (200, "", json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
                }
                Step::Status(code) => (code, "", String::new()),
            }
        };
        write!(
            to_client,
            "HTTP/1.1 {status} x\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{body}",
            body.len()
        )?;
    }
    Ok(())
}

/// One HTTP/1.1 message: its head (start line and headers) and its body, by
/// `Content-Length`; `None` at the end of the stream.
fn read_http(from: &mut impl std::io::BufRead) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if from.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = header_of(&head, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    from.read_exact(&mut body)?;
    Ok(Some((head, body)))
}

/// A header's value in a message head, its name matched in any case.
fn header_of<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// [`serve_rmcp`]'s handler: one tool, the read of [`calls`], answered as [`called`] is.
#[derive(Clone)]
struct RmcpFloor {
    http: reqwest::Client,
    backend: String,
    tools: std::sync::Arc<Vec<rmcp::model::Tool>>,
}

impl rmcp::ServerHandler for RmcpFloor {
    fn get_info(&self) -> rmcp::model::ServerConfig {
        rmcp::model::ServerConfig::new(rmcp::model::ServerCapabilities::builder().enable_tools().build())
            .with_server_info(rmcp::model::Implementation::new("floor-rmcp", "0"))
    }

    async fn list_tools(
        &self,
        _: Option<rmcp::model::PaginatedRequestParams>,
        _: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::ListToolsResult, rmcp::ErrorData> {
        Ok(rmcp::model::ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        _: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let item = request.arguments.as_ref().and_then(|a| a.get(calls().id_name())).and_then(Value::as_u64);
        let fetched = async {
            let response = self.http.get(calls().read_url(&self.backend, item.unwrap_or(1) as usize)).send().await?;
            let ok = response.status().is_success();
            Ok::<_, reqwest::Error>((ok, response.text().await?))
        };
        let (ok, text) = fetched.await.unwrap_or_else(|e| (false, e.to_string()));
        // The text and its parsed JSON, as the other floors answer.
        let mut result = rmcp::model::CallToolResult::success(vec![rmcp::model::ContentBlock::text(text.clone())]);
        result.structured_content = serde_json::from_str::<Value>(&text).ok();
        result.is_error = Some(!ok);
        Ok(result.into())
    }
}

/// The floor on rmcp, on 127.0.0.1:`port` until killed, on a runtime shaped as
/// [`serve`]'s.
pub fn serve_rmcp(port: u16, backend: String) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let schema = json!({"type": "object", "properties": {calls().id_name(): {"type": "integer"}}});
        let Value::Object(schema) = schema else { unreachable!("an object") };
        let tool = rmcp::model::Tool::new(calls().read.to_string(), "Read one item.", std::sync::Arc::new(schema));
        let floor =
            RmcpFloor { http: reqwest::Client::builder().build()?, backend, tools: std::sync::Arc::new(vec![tool]) };
        let config = StreamableHttpServerConfig::default().disable_allowed_hosts().with_json_response(true);
        let mcp = StreamableHttpService::new(move || Ok(floor.clone()), LocalSessionManager::default().into(), config);
        let app = Router::new().nest_service("/mcp", mcp).route("/healthz", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        announce(listener.local_addr()?);
        // As the bridge: answers go out in several writes (see `serve_http`).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await?;
        Ok(())
    })
}
