//! Both transports and both protocol eras; context and credentials on the wire.

use crate::common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn stdio_serves_the_same_tools_against_the_configured_backend() {
    let backend = RecordingBackend::start().await;
    let client = stdio_client(&[
        ("VTOC_API_BASE_URL", &backend.url),
        ("VTOC_API_TOKEN", "backend-secret"),
        ("MCP_ALLOW_WRITES", "true"),
        ("MCP_LOCAL_SCOPE", "vtoc:operate"),
    ])
    .await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(
        tools.len(),
        tools_for(vtoc_mcp::guard::policy::Scope::Operate),
        "vtoc:operate sees every tool but the destructive ones"
    );
    assert!(tools.iter().all(|t| t.annotations.as_ref().unwrap().destructive_hint == Some(false)));
    // PATCH clearing a field (`clear`): it reaches the backend as null, not dropped.
    let update = things().update.expect("the richest collection has an update");
    let field = nullable_body_field(update).expect("its update body has a nullable field");
    let mut args = things().item(2);
    args["clear"] = json!([field.as_str()]);
    let updated = call_ok(&client, update.name, args).await;
    assert!(updated.get(field.as_str()).is_none_or(Value::is_null), "{updated}");
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), (update.method.as_str(), item_target(update, 2).as_str()));
    assert_eq!(req.json(), json!({ field.as_str(): null }));
    assert_eq!(req.header("authorization"), Some("Bearer backend-secret"));
    client.cancel().await.unwrap();
}

/// Without a backend the binary refuses to start, over either transport, and says how to go
/// on; an agent never acts on the demo's sample data because a variable was missing.
#[tokio::test]
async fn serve_without_a_backend_refuses_and_names_the_fix() {
    for transport in [&["--transport", "stdio"][..], &["--transport", "http", "--bind", "127.0.0.1:0"]] {
        let mut cmd = vtoc_command();
        cmd.arg("serve").args(transport).stdin(std::process::Stdio::null());
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{transport:?}: {stderr}");
        assert!(stderr.contains("VTOC_API_BASE_URL") && stderr.contains("--demo"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing on stdout (it is the MCP channel over stdio)");
    }
}

#[tokio::test]
async fn stdio_with_demo_uses_the_embedded_demo() {
    let client = stdio_client(&[]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), read_only_tools(), "read-only by default: only the read-only tools");
    let stations = call_ok(&client, "list_stations", json!({})).await;
    let slugs: Vec<&str> = stations["result"].as_array().unwrap().iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert!(slugs.contains(&"ops-center"), "{slugs:?}");
    client.cancel().await.unwrap();
}

/// A raw JSON-RPC POST, as a 2026-07-28 client sends it: no initialize, no session.
async fn post_2026(url: &str, method: &str, params: Value, headers: &[(&str, &str)]) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        request = request.header("mcp-name", name);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    // JSON, or one SSE event carrying it.
    let json_text = body
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|l| l.starts_with('{'))
        .unwrap_or(&body);
    serde_json::from_str(json_text).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn stateless_2026_clients_list_and_call_without_a_session() {
    vtoc_mcp::install_crypto_provider();
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let listed = post_2026(&bridge.url, "tools/list", json!({}), &[]).await;
    assert_eq!(listed["result"]["tools"].as_array().unwrap().len(), vtoc_mcp::bridge::tools::all().count(), "{listed}");
    let read = things().read;
    let called =
        post_2026(&bridge.url, "tools/call", json!({"name": read.name, "arguments": things().item(3)}), &[]).await;
    assert_eq!(called["result"]["structuredContent"]["id"], 3, "{called}");
    assert_eq!(backend.take_one().target, item_target(read, 3));
}

#[tokio::test]
async fn mission_context_headers_reach_the_backend_and_others_do_not() {
    vtoc_mcp::install_crypto_provider();
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let body = json!({"name": things().read.name, "arguments": things().item(1)});
    let called = post_2026(
        &bridge.url,
        "tools/call",
        body,
        &[
            ("x-station-id", "field-kit-1"),
            ("x-chatkit-channel", "ops-room"),
            ("x-chatkit-user", "analyst-7"),
            ("x-unrelated", "no"),
        ],
    )
    .await;
    assert_eq!(called["result"]["structuredContent"]["id"], 1, "{called}");
    let req = backend.take_one();
    assert_eq!(req.header("x-station-id"), Some("field-kit-1"));
    assert_eq!(req.header("x-chatkit-channel"), Some("ops-room"));
    assert_eq!(req.header("x-chatkit-user"), Some("analyst-7"));
    assert_eq!(req.header("x-unrelated"), None);
    assert_eq!(req.header("authorization"), None, "no backend token configured, none sent");
}

#[tokio::test]
async fn healthz_answers() {
    vtoc_mcp::install_crypto_provider();
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let health: Value = reqwest::get(format!("http://{}/healthz", bridge.addr)).await.unwrap().json().await.unwrap();
    assert_eq!(
        health,
        json!({"status": "ok", "tools": vtoc_mcp::bridge::tools::all().count(), "sessions": 0, "active_calls": 0})
    );
}

#[tokio::test]
async fn stateless_mode_serves_2025_clients_without_sessions() {
    let backend = RecordingBackend::start().await;
    let bridge = start_stateless(backend_args(&backend.url)).await;
    // A 2025 client (initialize handshake) still works: each request stands alone.
    let client = http_client(&bridge.url).await;
    assert_eq!(client.list_all_tools().await.unwrap().len(), vtoc_mcp::bridge::tools::all().count());
    let item = call_ok(&client, things().read.name, things().item(2)).await;
    assert_eq!(item["id"], 2);
    // No session id is issued, so any replica can answer the next request.
    vtoc_mcp::install_crypto_provider();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let response = reqwest::Client::new()
        .post(&bridge.url)
        .header("accept", "application/json, text/event-stream")
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
}
