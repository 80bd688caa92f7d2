//! The process lifecycle: SIGTERM drains calls in flight, refuses new ones, exits 0.

use crate::common::things;
use crate::faults::{Fault, fault_backend};
use crate::guardrails::{post, rpc_2026};
use serde_json::json;
use std::time::Duration;

/// Start the binary over HTTP on 127.0.0.1:0; returns it and its /mcp URL.
pub async fn spawn_http(env: &[(&str, &str)]) -> (std::process::Child, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut cmd = crate::common::vtoc_command();
    cmd.args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
        .env("VTOC_MCP_LOG", "info")
        .env("MCP_AUDIT_LOG", "off")
        .env("VTOC_CONTRACT_CHECK", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn vtoc-mcp");
    for _ in 0..200 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("MCP streamable HTTP on http://")) {
            let url = line[line.find("http://").unwrap()..].trim().to_string();
            return (child, url, dir);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
}

fn call_body(tool: &str, arguments: serde_json::Value) -> serde_json::Value {
    rpc_2026("tools/call", json!({"name": tool, "arguments": arguments}))
}

#[tokio::test]
async fn sigterm_finishes_calls_in_flight_refuses_new_ones_and_exits_0() {
    let (backend, script) = fault_backend().await;
    script.push(Fault::Slow(Duration::from_millis(1500)));
    let (mut child, url, dir) = spawn_http(&[("VTOC_API_BASE_URL", &backend), ("MCP_SHUTDOWN_GRACE_SECS", "5")]).await;
    let headers =
        [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", things().read.name)];

    let first_url = url.clone();
    let in_flight =
        tokio::spawn(async move { post(&first_url, call_body(things().read.name, things().item(1)), &headers).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A new call during the drain is refused, and never reaches the backend.
    let (status, _, late) = post(&url, call_body(things().read.name, things().item(2)), &headers).await;
    assert_eq!(status, 200, "{late}");
    assert_eq!(late["result"]["isError"], true, "{late}");
    assert!(late["result"]["content"][0]["text"].as_str().unwrap().contains("shutting down"));
    let health = reqwest::get(url.replace("/mcp", "/healthz")).await.unwrap();
    assert_eq!(health.status(), 503, "health reports draining so load balancers stop sending");
    assert_eq!(health.headers()["connection"], "close", "and no connection to it is reused");

    // The call in flight completes normally.
    let (status, _, done) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["result"]["structuredContent"]["id"], 1, "{done}");

    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    // Exit 0 with "all calls finished" (below) means it stopped before the grace period ran out.
    assert_eq!(script.requests().len(), 1, "only the first call reached the backend");
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.contains("all calls finished"), "{log}");
}

/// A call still running when the shutdown deadline passes is answered with a tool error
/// that says it was cut off and may or may not have taken effect, not a dropped response
/// or an HTTP 500.
#[tokio::test]
async fn a_call_cut_off_at_the_shutdown_deadline_gets_a_tool_error() {
    let (backend, script) = fault_backend().await;
    script.push(Fault::Slow(Duration::from_secs(30)));
    let (mut child, url, dir) = spawn_http(&[("VTOC_API_BASE_URL", &backend), ("MCP_SHUTDOWN_GRACE_SECS", "1")]).await;
    let headers =
        [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", things().read.name)];
    let first_url = url.clone();
    let in_flight =
        tokio::spawn(async move { post(&first_url, call_body(things().read.name, things().item(1)), &headers).await });
    // The call is at the backend before the signal.
    for _ in 0..500 {
        if !script.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(script.requests().len(), 1);
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let (status, _, cut) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{cut}");
    assert_eq!(cut["result"]["isError"], true, "{cut}");
    let text = cut["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("shutting down") && text.contains("may or may not have taken effect"), "{text}");
    assert!(text.contains("MCP_SHUTDOWN_GRACE_SECS"), "{text}");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.contains("cut off"), "{log}");
}
