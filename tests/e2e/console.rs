//! `/.well-known/mcp-config` (scoped like `tools/list`) and the console's static files.

use crate::common::*;
use crate::guardrails::{ADMIN, READER, list_2026, tokens};
use serde_json::Value;
use vtoc_mcp::cli::config::GuardArgs;

async fn config(bridge: &HttpBridge, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    vtoc_mcp::install_crypto_provider();
    let mut request = reqwest::Client::new().get(bridge.url.replace("/mcp", "/.well-known/mcp-config"));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

async fn bridge_with(allow_writes: bool) -> (RecordingBackend, HttpBridge) {
    let backend = RecordingBackend::start().await;
    let guard = GuardArgs {
        auth_tokens: Some(tokens().into()),
        allow_writes,
        audit_log: "off".into(),
        default_station: Some("ops-center".into()),
        ..GuardArgs::default()
    };
    let bridge = start_guarded(backend_args(&backend.url), guard).await;
    (backend, bridge)
}

#[tokio::test]
async fn the_client_config_lists_exactly_the_callers_tools() {
    let (backend, bridge) = bridge_with(true).await;
    for token in [READER, ADMIN] {
        let (status, headers, doc) = config(&bridge, Some(token)).await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(headers["cache-control"], "no-store");
        let mut listed = list_2026(&bridge.url, token).await;
        listed.sort();
        assert_eq!(names(&doc["tools"]), listed, "mcp-config and tools/list agree for {token}");
        assert_eq!(doc["unavailable"], serde_json::json!([]), "writes are on: nothing is off");
        // The OpenAI hosted-MCP block names the same tools, and pre-approves only reads.
        let mut allowed: Vec<String> =
            doc["openai"]["allowed_tools"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        allowed.sort();
        assert_eq!(allowed, listed);
        for name in doc["openai"]["require_approval"]["never"]["tool_names"].as_array().unwrap() {
            let tool = doc["tools"].as_array().unwrap().iter().find(|t| &t["name"] == name).unwrap();
            assert_eq!(tool["annotations"]["readOnlyHint"], true, "{name} is pre-approved but writes");
        }
    }
    let (_, _, reader) = config(&bridge, Some(READER)).await;
    assert_eq!(reader["caller"], serde_json::json!({"name": "reader", "scope": "vtoc:read"}));
    assert!(reader["tools"].as_array().unwrap().iter().all(|t| t["annotations"]["readOnlyHint"] == true));
    assert_eq!(reader["url"], bridge.url);
    assert_eq!(reader["transport"], "streamable-http");
    assert!(reader["protocolVersions"].as_array().unwrap().contains(&"2026-07-28".into()));
    assert!(reader["protocolVersions"].as_array().unwrap().contains(&"2025-06-18".into()));
    assert_eq!(reader["auth"]["required"], true);
    assert_eq!(reader["context"]["headers"]["x-station-id"]["serverDefault"], "ops-center");
    assert_eq!(reader["context"]["arguments"]["station"], "context_station");

    let (_, _, admin) = config(&bridge, Some(ADMIN)).await;
    let delete = admin["tools"].as_array().unwrap().iter().find(|t| t["name"] == "delete_poi").unwrap();
    assert_eq!(delete["annotations"]["destructiveHint"], true);
    assert_eq!(delete["confirmation"], true);
    assert_eq!(delete["requiredScope"], "vtoc:admin");
    assert_eq!(delete["endpoint"], "DELETE /api/v1/poi/{poi_id}");
    assert!(backend.requests().is_empty(), "describing tools calls nothing");
}

#[tokio::test]
async fn a_read_only_server_names_the_tools_it_turned_off_and_why() {
    let (_backend, bridge) = bridge_with(false).await;
    let (_, _, admin) = config(&bridge, Some(ADMIN)).await;
    assert!(admin["tools"].as_array().unwrap().iter().all(|t| t["annotations"]["readOnlyHint"] == true));
    let off = admin["unavailable"].as_array().unwrap();
    let create = off.iter().find(|t| t["name"] == "create_poi").expect("create_poi is listed as off");
    assert!(create["reason"].as_str().unwrap().contains("MCP_ALLOW_WRITES"), "{create}");
    assert_eq!(admin["policy"]["writes"], false);
    // A reader is not told about tools beyond its scope, only about what the server turned off
    // that it could otherwise use: nothing, since its scope allows reads only.
    let (_, _, reader) = config(&bridge, Some(READER)).await;
    assert_eq!(reader["unavailable"], serde_json::json!([]));
}

#[tokio::test]
async fn the_client_config_needs_the_same_authentication_as_mcp() {
    let (_backend, bridge) = bridge_with(true).await;
    let (status, headers, body) = config(&bridge, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer "));
    let (status, _, _) = config(&bridge, Some("not-a-token")).await;
    assert_eq!(status, 401);
    // A page on another name that resolves here (DNS rebinding) is refused, here and on /mcp.
    let r = reqwest::Client::new()
        .get(bridge.url.replace("/mcp", "/.well-known/mcp-config"))
        .bearer_auth(READER)
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "forbidden_host");
    let r = reqwest::Client::new()
        .post(&bridge.url)
        .bearer_auth(READER)
        .header("host", "attacker.example")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "the same check guards /mcp");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "forbidden_host");
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_with_a_strict_policy() {
    let (_backend, bridge) = bridge_with(false).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = bridge.url.replace("/mcp", "");
    let r = http.get(format!("{base}/console")).send().await.unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "console/");
    let r = http.get(format!("{base}/console/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(r.text().await.unwrap().contains("<title>vTOC MCP console</title>"));
    let r = http.get(format!("{base}/console/form.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let r = http.get(format!("{base}/console/../Cargo.toml")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http.get(format!("{base}/console/secrets.txt")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn with_the_console_off_the_config_does_not_advertise_it() {
    let backend = RecordingBackend::start().await;
    let on = start_bridge(backend_args(&backend.url)).await;
    let (_, _, doc) = config(&on, None).await;
    assert_eq!(doc["console"], "/console/");
    let off = start_without_console(backend_args(&backend.url)).await;
    let (status, _, doc) = config(&off, None).await;
    assert_eq!(status, 200, "{doc}");
    assert!(doc.get("console").is_none(), "MCP_CONSOLE=false, yet mcp-config names a console: {doc}");
    let r = reqwest::get(off.url.replace("/mcp", "/console/")).await.unwrap();
    assert_eq!(r.status(), 404, "and there is none to find");
}

#[tokio::test]
async fn on_loopback_without_tokens_the_config_describes_the_local_caller() {
    let backend = RecordingBackend::start().await;
    let guard = GuardArgs { audit_log: "off".into(), ..GuardArgs::default() };
    let bridge = start_guarded(backend_args(&backend.url), guard).await;
    let (status, _, doc) = config(&bridge, None).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["auth"]["required"], false);
    assert_eq!(doc["caller"], serde_json::json!({"name": "local", "scope": "vtoc:read"}));
    assert!(doc["tools"].as_array().unwrap().iter().all(|t| t["annotations"]["readOnlyHint"] == true));
}
