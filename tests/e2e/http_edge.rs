//! The HTTP edge as raw HTTP sees it: JSON-RPC error codes with status 400 and a JSON
//! body, session termination (204, then 404), resumption after a dropped stream, CORS for
//! the configured origins, and stdio answering malformed input.

use crate::common::*;
use crate::guardrails::post;
use serde_json::{Value, json};
use std::time::Duration;
use vtoc_mcp::cli::config::GuardArgs;

const ACCEPT: &str = "application/json, text/event-stream";

fn http() -> reqwest::Client {
    vtoc_mcp::install_crypto_provider();
    reqwest::Client::new()
}

/// POST a raw body: (status, content type, JSON of the body or of the first SSE message).
async fn raw(url: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String, Value) {
    let mut request = http().post(url).header("accept", ACCEPT).header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.body(body.to_string()).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let text = response.text().await.unwrap();
    let json = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("id").is_some())
        .or_else(|| serde_json::from_str(&text).ok())
        .unwrap_or(Value::String(text));
    (status, kind, json)
}

/// A 2025 session: (session id, its headers).
async fn session(url: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "edge", "version": "1"}}});
    let response = http()
        .post(url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    let id = response.headers()["mcp-session-id"].to_str().unwrap().to_string();
    let _ = response.text().await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    raw(url, &initialized.to_string(), &[("mcp-session-id", &id), ("mcp-protocol-version", "2025-06-18")]).await;
    id
}

fn meta_2026() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}})
}

#[tokio::test]
async fn malformed_requests_get_json_rpc_errors_with_status_400() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let sid = session(&bridge.url).await;
    let in_session = [("mcp-session-id", sid.as_str()), ("mcp-protocol-version", "2025-06-18")];
    let read = things().read.name;
    let modern = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", read)];
    let call = |arguments: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{{"name":"{read}","arguments":{arguments},"_meta":{}}}}}"#,
            meta_2026()
        )
    };
    type Case<'a> = (String, &'a [(&'a str, &'a str)], i64, Value);
    let cases: Vec<Case> = vec![
        (r#"{"jsonrpc":"#.into(), &in_session, -32700, Value::Null),
        (r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.into(), &in_session, -32600, Value::Null),
        (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#.into(), &in_session, -32600, Value::Null),
        (r#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#.into(), &in_session, -32600, json!(7)),
        (r#"{"jsonrpc":"2.0","id":8,"method":"tools/frobnicate"}"#.into(), &in_session, -32601, json!(8)),
        (call("[1]"), &in_session, -32602, json!(11)),
        (call(&format!(r#""{}=1""#, things().id)), &modern, -32602, json!(11)),
        (r#"{"jsonrpc":"2.0","id":12,"method":"tools/call"}"#.into(), &in_session, -32602, json!(12)),
    ];
    for (body, headers, code, id) in cases {
        let (status, kind, reply) = raw(&bridge.url, &body, headers).await;
        // An unknown method is 404 (SEP-2575); anything else malformed, 400.
        assert_eq!(status, if code == -32601 { 404 } else { 400 }, "{body}: {reply}");
        assert!(kind.starts_with("application/json"), "{body}: {kind}");
        assert_eq!((reply["error"]["code"].as_i64(), &reply["id"]), (Some(code), &id), "{body}: {reply}");
        assert!(reply["error"]["message"].as_str().is_some_and(|m| m.len() > 20), "{reply}");
    }
    // An unknown method's message says what there is.
    let (_, _, reply) = raw(&bridge.url, r#"{"jsonrpc":"2.0","id":8,"method":"tools/frobnicate"}"#, &in_session).await;
    assert!(reply["error"]["message"].as_str().unwrap().contains("tools/call"), "{reply}");
    // An invalid cursor, in both eras.
    let list = |meta: Value| json!({"jsonrpc": "2.0", "id": 30, "method": "tools/list", "params": {"cursor": "garbage", "_meta": meta}});
    let (_, _, reply) = raw(&bridge.url, &list(json!({})).to_string(), &in_session).await;
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    let (_, _, reply) = raw(
        &bridge.url,
        &list(meta_2026()).to_string(),
        &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/list")],
    )
    .await;
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    assert!(backend.requests().is_empty());
}

#[tokio::test]
async fn rmcps_own_refusals_get_json_bodies() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    // No `Accept` of both types: 406; a text body: 415; PUT: 405.
    let no_accept =
        http().post(&bridge.url).header("content-type", "application/json").body(ping).send().await.unwrap();
    let text_body = http()
        .post(&bridge.url)
        .header("accept", ACCEPT)
        .header("content-type", "text/plain")
        .body(ping)
        .send()
        .await
        .unwrap();
    let put = http().put(&bridge.url).header("accept", ACCEPT).body(ping).send().await.unwrap();
    for (response, status) in [(no_accept, 406), (text_body, 415), (put, 405)] {
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers()["content-type"], "application/json", "{status}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10, "{body}");
    }
}

#[tokio::test]
async fn ending_a_session_is_204_then_404() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let sid = session(&bridge.url).await;
    let delete = |id: String| {
        let url = bridge.url.clone();
        async move { http().delete(url).header("mcp-session-id", id).send().await.unwrap() }
    };
    let first = delete(sid.clone()).await;
    assert_eq!(first.status().as_u16(), 204);
    for response in [delete(sid.clone()).await, delete("never-was".into()).await] {
        assert_eq!(response.status().as_u16(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32001, "{body}");
    }
    // Any request for the ended session: 404.
    let (status, kind, reply) = raw(
        &bridge.url,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        &[("mcp-session-id", &sid), ("mcp-protocol-version", "2025-06-18")],
    )
    .await;
    assert_eq!((status, kind.starts_with("application/json")), (404, true), "{reply}");
}

/// The POST's stream drops; the call completes anyway; the client resumes with
/// `Last-Event-ID` and gets the result, once, and only what came after that id.
#[tokio::test]
async fn a_resumed_stream_delivers_a_completed_calls_result() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let sid = session(&bridge.url).await;
    backend.force(Forced { delay: Duration::from_millis(300), ..Forced::json(200, json!([])) });
    let call = json!({"jsonrpc": "2.0", "id": 77, "method": "tools/call",
        "params": {"name": vtoc_mcp::bridge::tools::all().find(|t| t.hints.read_only && t.params.is_empty()).unwrap().name, "arguments": {}}});
    let mut response = http()
        .post(&bridge.url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .header("mcp-session-id", &sid)
        .header("mcp-protocol-version", "2025-06-18")
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    // Read up to the priming event's id, then drop the stream.
    let mut seen = String::new();
    let primed = loop {
        let chunk = response.chunk().await.unwrap().expect("the stream starts with a priming event");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(id) = seen.lines().find_map(|l| l.strip_prefix("id:")).map(|i| i.trim().to_string()) {
            break id;
        }
    };
    drop(response);
    // The call completes without its stream.
    for _ in 0..300 {
        if backend.requests().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(backend.requests().len(), 1, "the call ran");
    let resume = |last: String| {
        let (url, sid) = (bridge.url.clone(), sid.clone());
        async move {
            let r = http()
                .get(url)
                .header("accept", "text/event-stream")
                .header("mcp-session-id", sid)
                .header("mcp-protocol-version", "2025-06-18")
                .header("last-event-id", last)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            // A completed stream's replay ends: read it whole.
            tokio::time::timeout(Duration::from_secs(10), r.text()).await.expect("the replay ends").unwrap()
        }
    };
    let mut replay = String::new();
    for _ in 0..100 {
        replay = resume(primed.clone()).await;
        if replay.contains("\"id\":77") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let results: Vec<Value> = replay
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .filter(|v| v["id"] == 77)
        .collect();
    assert_eq!(results.len(), 1, "the result, once: {replay}");
    assert!(results[0]["result"].is_object(), "{replay}");
    let ids: Vec<&str> = replay.lines().filter_map(|l| l.strip_prefix("id:")).map(str::trim).collect();
    assert!(!ids.contains(&primed.as_str()), "replay starts after the given id: {replay}");
    // From the result's own id there is nothing more.
    let last = ids.last().unwrap().to_string();
    assert!(!resume(last).await.contains("\"id\":77"));
}

#[tokio::test]
async fn configured_origins_get_cors_and_others_get_403() {
    let backend = RecordingBackend::start().await;
    let guard = GuardArgs {
        allowed_origins: Some("http://127.0.0.1:8793".into()),
        local_scope: "vtoc:read".into(),
        ..GuardArgs::default()
    };
    let bridge = start_guarded(backend_args(&backend.url), guard).await;
    let preflight = |origin: &str| {
        http()
            .request(reqwest::Method::OPTIONS, &bridge.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version, x-station-id")
            .send()
    };
    let ok = preflight("http://127.0.0.1:8793").await.unwrap();
    assert_eq!(ok.status().as_u16(), 204);
    let h = ok.headers();
    assert_eq!(h["access-control-allow-origin"], "http://127.0.0.1:8793");
    let methods = h["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
    assert!(["GET", "POST", "DELETE"].iter().all(|m| methods.contains(m)), "{methods}");
    let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for header in [
        "authorization",
        "content-type",
        "mcp-session-id",
        "mcp-protocol-version",
        "last-event-id",
        "mcp-method",
        "x-station-id",
    ] {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
    assert!(h.get("access-control-max-age").is_some());
    assert!(h["vary"].to_str().unwrap().to_ascii_lowercase().contains("origin"));
    // A foreign origin: 403 and no CORS headers, preflight or not.
    let no = preflight("https://evil.example").await.unwrap();
    assert_eq!(no.status().as_u16(), 403);
    assert!(no.headers().get("access-control-allow-origin").is_none());
    // A real request from the allowed origin: answered, readable by the page.
    let (status, headers, _) = post(
        &bridge.url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "page", "version": "1"}}}),
        &[("origin", "http://127.0.0.1:8793")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "http://127.0.0.1:8793");
    assert!(headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase().contains("mcp-session-id"));
}

#[tokio::test]
async fn stdio_answers_malformed_input() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut child = tokio::process::Command::from(crate::common::vtoc_command())
        .args(["serve", "--transport", "stdio", "--demo"])
        .env("VTOC_MCP_LOG", "error")
        .env("MCP_AUDIT_LOG", "off")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for (line, code) in [
        (r#"{"jsonrpc":"#, -32700),
        (r#"[1,2]"#, -32600),
        (r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#, -32602),
        (r#"{"jsonrpc":"2.0","id":4,"method":"nope"}"#, -32601),
    ] {
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(10), stdout.next_line()).await.unwrap().unwrap().unwrap();
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["error"]["code"], code, "{line}: {answer}");
    }
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.unwrap().unwrap();
    assert!(status.success());
}

/// A 2026-07-28 request hears log messages only when it opts in with
/// `_meta["io.modelcontextprotocol/logLevel"]`, and only at or above that level (SEP-2577).
#[tokio::test]
async fn a_2026_request_opts_in_to_log_messages() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let tool = vtoc_mcp::bridge::tools::all().find(|t| t.hints.read_only && t.params.is_empty()).unwrap().name;
    let body_text = |level: Option<&str>| {
        let (url, tool) = (bridge.url.clone(), tool.to_string());
        let mut meta = meta_2026();
        if let Some(l) = level {
            meta["io.modelcontextprotocol/logLevel"] = json!(l);
        }
        async move {
            let body = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                "params": {"name": tool, "arguments": {}, "_meta": meta}});
            http()
                .post(url)
                .header("accept", ACCEPT)
                .header("content-type", "application/json")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", tool.as_str())
                .body(body.to_string())
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    for (level, heard) in [(None, false), (Some("critical"), false), (Some("warning"), true)] {
        backend.force(Forced::json(503, json!({"detail": "down"})));
        let text = body_text(level).await;
        assert_eq!(text.contains("notifications/message"), heard, "{level:?}: {text}");
        assert!(text.contains("\"id\":5"), "{text}");
    }
}

/// Two stateless replicas sharing a store (a real redis-server): a 2026-07-28 call's stream
/// drops on one; the client resumes on the other and gets the result, once. With the store
/// down, the replica that ran the call still replays it from its memory; the other cannot.
#[tokio::test]
async fn a_stream_resumes_on_another_replica_through_the_shared_store() {
    let mut redis = RedisServer::start().await;
    let backend = RecordingBackend::start().await;
    let guard = GuardArgs {
        local_scope: "vtoc:admin".into(),
        allow_writes: true,
        state_url: Some(redis.url()),
        ..GuardArgs::default()
    };
    let a = start_guarded_sessions(backend_args(&backend.url), guard.clone(), true, Duration::from_secs(300)).await;
    let b = start_guarded_sessions(backend_args(&backend.url), guard, true, Duration::from_secs(300)).await;
    let read = vtoc_mcp::bridge::tools::all().find(|t| t.hints.read_only && t.params.is_empty()).unwrap().name;
    // Asking for debug logs opens the stream at once ("calling GET …"); the backend is slow.
    let call = |id: u64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": read, "arguments": {},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {},
                      "io.modelcontextprotocol/logLevel": "debug"}}})
    };
    let cut = |url: String, id: u64| {
        let body = call(id).to_string();
        async move {
            let mut response = http()
                .post(url)
                .header("accept", ACCEPT)
                .header("content-type", "application/json")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", read)
                .body(body)
                .send()
                .await
                .unwrap();
            let mut seen = String::new();
            loop {
                let chunk = response.chunk().await.unwrap().expect("an SSE stream with event ids");
                seen.push_str(&String::from_utf8_lossy(&chunk));
                let ids: Vec<String> =
                    seen.lines().filter_map(|l| l.strip_prefix("id:")).map(|i| i.trim().to_string()).collect();
                if let Some(last) = ids.last()
                    && !seen.contains(&format!("\"id\":{id}"))
                {
                    break last.clone(); // dropped before the result
                }
                assert!(!seen.contains(&format!("\"id\":{id}")), "the result came before the cut: {seen}");
            }
        }
    };
    let resume = |url: String, last: String| async move {
        let r = http()
            .get(url)
            .header("accept", "text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("last-event-id", last)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        tokio::time::timeout(Duration::from_secs(10), r.text()).await.expect("the replay ends").unwrap()
    };
    let results = |replay: &str, id: u64| -> usize {
        replay
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
            .filter(|v| v["id"] == id && v["result"].is_object())
            .count()
    };
    // Until the replica that ran the call has its result (the copy to the store is written
    // beside it, a moment later).
    let settled = |last: String, id: u64| {
        let (url, backend) = (a.url.clone(), &backend);
        async move {
            for _ in 0..100 {
                if results(&resume(url.clone(), last.clone()).await, id) == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(backend.take_one().method, "GET", "the call ran once");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    backend.force(Forced { delay: Duration::from_millis(400), ..Forced::json(200, json!([])) });
    let last = cut(a.url.clone(), 7).await;
    settled(last.clone(), 7).await;
    let replay = resume(b.url.clone(), last.clone()).await;
    assert_eq!(results(&replay, 7), 1, "the other replica replays the result, once: {replay}");
    let ids: Vec<&str> = replay.lines().filter_map(|l| l.strip_prefix("id:")).map(str::trim).collect();
    assert!(!ids.contains(&last.as_str()), "only what came after the given id: {replay}");

    // The store goes away: resumption falls back to the replica that has the stream.
    redis.stop();
    backend.force(Forced { delay: Duration::from_millis(400), ..Forced::json(200, json!([])) });
    let last = cut(a.url.clone(), 8).await;
    settled(last.clone(), 8).await;
    assert_eq!(results(&resume(b.url.clone(), last.clone()).await, 8), 0, "no store: nothing on the other");
    assert_eq!(results(&resume(a.url.clone(), last).await, 8), 1, "its own replica still has it");
}
