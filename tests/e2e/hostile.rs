//! Hostile MCP input: nothing crashes, every request gets an answer, and the server keeps
//! serving; path parameters cannot reach another route.

use crate::common::*;
use crate::guardrails::post;
use serde_json::{Value, json};
use std::time::Duration;

async fn raw(url: &str, body: &str) -> (u16, String) {
    vtoc_mcp::install_crypto_provider();
    let response = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .body(body.to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn call_2026(name: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string()
}

#[tokio::test]
async fn garbage_json_rpc_gets_errors_and_the_server_keeps_serving() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let mut deep = String::new();
    for _ in 0..5000 {
        deep.push('[');
    }
    let nested_args = {
        let mut v = json!("leaf");
        for _ in 0..200 {
            v = json!({"a": v});
        }
        v
    };
    let (read, id) = (things().read.name, things().id);
    let (by_name, slug) = by_name();
    let create = create_tool().name;
    let cases: Vec<String> = vec![
        "{".into(),
        "not json at all".into(),
        "[]".into(),
        "null".into(),
        deep,
        r#"{"jsonrpc": "2.0", "id": 1}"#.into(),
        r#"{"jsonrpc": "2.0", "id": 1, "method": "no/such/method", "params": {}}"#.into(),
        r#"{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}"#.into(),
        r#"{"jsonrpc": "2.0", "id": {"x": 1}, "method": "tools/list"}"#.into(),
        call_2026(read, json!([1, 2, 3])),
        call_2026(read, json!(format!("{id}=1"))),
        call_2026(read, json!({ id: 1e308 })),
        call_2026(read, json!({ id: -99999999999999999i64 })),
        call_2026(read, json!({ id: "1/identifiers" })),
        call_2026(by_name.name, json!({ slug: "../healthz" })),
        call_2026(by_name.name, json!({ slug: "%2e%2e" })),
        call_2026(by_name.name, json!({ slug: "a\u{0}b" })),
        call_2026(create, json!({"name": nested_args})),
        call_2026(create, json!({"name": "\u{202e}\u{fffd}\u{1F6F0}", "category": ["x"]})),
        call_2026("\u{0}\u{ffff}", json!({})),
    ];
    for body in &cases {
        let (status, text) = raw(&bridge.url, body).await;
        assert!(status < 500, "{status} for {}: {text}", &body[..body.len().min(80)]);
    }
    // `%2e%2e` is a literal slug (its `%` is encoded), so it may reach the station route,
    // and only that route; nothing reached another endpoint.
    let literal = by_name.path.replace(&format!("{{{slug}}}"), "%252e%252e");
    for r in backend.requests() {
        assert!(
            r.target.starts_with(&literal) || r.target == create_tool().path,
            "unexpected backend request {}",
            r.target
        );
    }
    // Still serving.
    let client = http_client(&bridge.url).await;
    assert_eq!(call_ok(&client, read, things().item(2)).await["id"], 2);
}

#[tokio::test]
async fn unicode_path_parameters_are_encoded_into_one_segment() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let client = http_client(&bridge.url).await;
    let (tool, param) = by_name();
    let at = |segment: &str| tool.path.replace(&format!("{{{param}}}"), segment);
    for (value, segment) in [
        ("ops center", "ops%20center"),
        ("stație-ü ☃", "sta%C8%9Bie-%C3%BC%20%E2%98%83"),
        ("50%", "50%25"),
        ("a?b#c", "a%3Fb%23c"),
        ("...", "..."),
    ] {
        let result = call(&client, tool.name, json!({ param: value })).await.unwrap();
        assert_eq!(result.is_error, Some(true), "unknown {param}: a 404 tool error");
        assert_eq!(backend.take_one().target, at(segment), "{value:?}");
    }
    for value in ["..", ".", "a/b", "a\\b", ""] {
        let result = call(&client, tool.name, json!({ param: value })).await.unwrap();
        let (_, fields) = refused_arguments(&result);
        assert_eq!(fields, [param], "{value:?}");
    }
    assert!(backend.requests().is_empty());
}

#[tokio::test]
async fn a_huge_request_is_refused_before_parsing() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let huge = call_2026(create_tool().name, json!({"name": "x".repeat(2 * 1024 * 1024)}));
    let (status, _, _) = post(&bridge.url, serde_json::from_str(&huge).unwrap(), &[]).await;
    assert_eq!(status, 413);
    assert!(backend.requests().is_empty());
}

#[tokio::test]
async fn idle_sessions_expire_and_their_number_is_capped() {
    let backend = RecordingBackend::start().await;
    let bridge = start_sessions(backend_args(&backend.url), Duration::from_millis(600), 2).await;
    let health = |addr: std::net::SocketAddr| async move {
        reqwest::get(format!("http://{addr}/healthz")).await.unwrap().json::<Value>().await.unwrap()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
        "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    for _ in 0..2 {
        assert_eq!(post(&bridge.url, init.clone(), &[]).await.0, 200);
    }
    assert_eq!(health(bridge.addr).await["sessions"], 2);
    let (status, _, body) = post(&bridge.url, init.clone(), &[]).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "too_many_sessions");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(health(bridge.addr).await["sessions"], 0, "idle sessions expired");
    assert_eq!(post(&bridge.url, init, &[]).await.0, 200);
}
