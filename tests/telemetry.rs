//! Metrics and traces of the real binary (`vtoc-mcp serve`), against a backend that records
//! the headers it receives and an OTLP/HTTP receiver that decodes the spans it is sent:
//! one call from a client that sends `_meta.traceparent` is one trace, the bridge's span
//! under the client's and the backend request's under the bridge's, and the backend saw
//! the `traceparent` of that last span; `/metrics` counts the call on its own listener and
//! is not on the `/mcp` one. A separate binary: the exporter is process-wide.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{any, post};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

#[derive(Default)]
struct Seen {
    spans: Mutex<Vec<Span>>,
    backend_headers: Mutex<Vec<HeaderMap>>,
}

/// A loopback server for `router`; its address.
async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

struct Server {
    child: Child,
    mcp: String,
    metrics: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `vtoc-mcp serve` over HTTP on free ports, with metrics and traces on; its addresses
/// are read from its log.
fn start(backend: &str, otlp: &str) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vtoc-mcp"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().to_string();
        if name.starts_with("MCP_") || name.starts_with("VTOC_") || name.starts_with("OTEL_") {
            cmd.env_remove(name);
        }
    }
    cmd.args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
        .env("VTOC_API_BASE_URL", backend)
        .env("VTOC_CONTRACT_CHECK", "off")
        .env("MCP_METRICS_BIND", "127.0.0.1:0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_SERVICE_NAME", "vtoc-mcp-under-test")
        .env("VTOC_MCP_LOG_FORMAT", "text")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = BufReader::new(child.stderr.take().unwrap());
    let keep = stderr.clone();
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                let _ = tx.send(url.trim_end_matches(['.', ',']).to_string());
            }
            keep.lock().unwrap().push(line);
        }
    });
    let (mut mcp, mut metrics) = (None, None);
    while mcp.is_none() || metrics.is_none() {
        let url = rx.recv_timeout(Duration::from_secs(20)).expect("the server logs its addresses");
        if url.ends_with("/mcp") {
            mcp = Some(url);
        } else if url.ends_with("/metrics") {
            metrics = Some(url);
        }
    }
    Server { child, mcp: mcp.unwrap(), metrics: metrics.unwrap(), stderr }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        V::StringValue(s) => Some(s.clone()),
        V::IntValue(i) => Some(i.to_string()),
        V::BoolValue(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    })
}

#[tokio::test]
async fn one_call_is_one_trace_from_the_agent_to_the_backend_and_metrics_count_it() {
    vtoc_mcp::install_crypto_provider();
    let seen = Arc::new(Seen::default());
    // The backend: the demo's answer for a POI, and the headers it came with.
    let backend = serve(
        axum::Router::new()
            .fallback(any(|State(seen): State<Arc<Seen>>, headers: HeaderMap| async move {
                seen.backend_headers.lock().unwrap().push(headers);
                axum::Json(json!({"id": 3, "name": "Maria Chen", "category": "person", "risk_level": "info",
            "notes": null, "is_active": true, "identifiers": [],
            "created_at": "2026-11-01T13:00:00Z", "updated_at": "2026-11-01T13:00:00Z"}))
            }))
            .with_state(seen.clone()),
    )
    .await;
    let otlp = serve(
        axum::Router::new()
            .route(
                "/v1/traces",
                post(|State(seen): State<Arc<Seen>>, body: Bytes| async move {
                    let request = ExportTraceServiceRequest::decode(body).expect("OTLP/HTTP protobuf");
                    for resource in request.resource_spans {
                        for scope in resource.scope_spans {
                            seen.spans.lock().unwrap().extend(scope.spans);
                        }
                    }
                    axum::http::StatusCode::OK
                }),
            )
            .with_state(seen.clone()),
    )
    .await;
    let server = start(&format!("http://{backend}"), &format!("http://{otlp}"));

    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_poi", "arguments": {"poi_id": 3},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {},
                  "traceparent": format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01")}}});
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(&server.mcp)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "get_poi")
        .body(call.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(answer["result"]["isError"], true, "{answer}");

    // Spans arrive in a batch (OTEL_BSP_SCHEDULE_DELAY=100 ms).
    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = seen.spans.lock().unwrap().clone();
        if spans.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server_span = spans.iter().find(|s| s.name == "tools/call get_poi").expect("the call's span");
    let client_span = spans.iter().find(|s| s.name.starts_with("GET ")).expect("the backend request's span");
    assert_eq!(hex(&server_span.trace_id), CLIENT_TRACE, "the call joins the client's trace");
    assert_eq!(hex(&server_span.parent_span_id), CLIENT_SPAN, "under the client's span");
    assert_eq!(hex(&client_span.trace_id), CLIENT_TRACE);
    assert_eq!(client_span.parent_span_id, server_span.span_id, "the backend request is the call's child");
    assert_eq!(attribute(server_span, "mcp.method.name").as_deref(), Some("tools/call"));
    assert_eq!(attribute(server_span, "gen_ai.tool.name").as_deref(), Some("get_poi"));
    assert_eq!(attribute(client_span, "url.template").as_deref(), Some("/api/v1/poi/{poi_id}"));
    assert_eq!(attribute(client_span, "http.response.status_code").as_deref(), Some("200"));
    // No argument values: not the id, not the arguments.
    for span in [server_span, client_span] {
        for kv in &span.attributes {
            let value = attribute(span, &kv.key).unwrap_or_default();
            assert!(!value.contains("/poi/3") && !kv.key.contains("arguments"), "{}: {value}", kv.key);
        }
    }
    // The backend saw the trace context of the request's span.
    let headers = seen.backend_headers.lock().unwrap().clone();
    let traceparent = headers[0].get("traceparent").expect("traceparent reached the backend").to_str().unwrap();
    assert_eq!(traceparent, format!("00-{CLIENT_TRACE}-{}-01", hex(&client_span.span_id)));
    // The audit line names the trace.
    let audit = server.stderr.lock().unwrap().iter().find(|l| l.contains("\"decision\"")).cloned().unwrap_or_default();
    assert!(audit.contains(&format!("\"trace_id\":\"{CLIENT_TRACE}\"")), "{audit}");

    // Metrics: on their own listener, counting the call; not on /mcp's.
    let text = http.get(&server.metrics).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"vtoc_mcp_tool_calls_total{event="tool_call",tool="get_poi",outcome="ok"} 1"#), "{text}");
    assert!(text.contains(r#"vtoc_mcp_backend_request_duration_seconds_count{tool="get_poi"} 1"#), "{text}");
    let on_mcp = server.mcp.replace("/mcp", "/metrics");
    assert_eq!(http.get(on_mcp).send().await.unwrap().status().as_u16(), 404, "/metrics is not on the MCP listener");
}

#[test]
fn metrics_off_loopback_need_a_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_vtoc-mcp"))
        .args(["serve", "--demo", "--transport", "http", "--bind", "127.0.0.1:0", "--metrics-bind", "0.0.0.0:0"])
        .env_remove("MCP_METRICS_TOKEN")
        .env_remove("MCP_METRICS_TOKEN_FILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("MCP_METRICS_BIND") && text.contains("MCP_METRICS_TOKEN_FILE"), "{text}");
}
