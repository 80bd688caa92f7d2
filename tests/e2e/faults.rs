//! Backend faults, each against a loopback fault-injecting backend written at the TCP level
//! (so it can reset a connection mid-body or close a keep-alive connection after a 500):
//! the tool result the model sees, the order of what happened (retries, hang-ups), and that
//! the next call succeeds. Timings are `make bench`'s business, never an assertion here.

use crate::common::*;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fault backend does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A normal JSON answer.
    Ok(u16, Value),
    /// Raw bytes after the status line's headers: (status, content type, body).
    Raw(u16, &'static str, Vec<u8>),
    /// Answer after a delay.
    Slow(Duration),
    /// Send the headers and half the body, then reset the connection.
    ResetMidBody,
    /// Answer 500 (keep-alive, as uvicorn does), then close the connection at once.
    CloseAfter500,
    /// 429 with `Retry-After`.
    TooMany(u32),
    /// A body of this many bytes, with or without `Content-Length`.
    Huge { bytes: usize, chunked: bool },
}

#[derive(Clone, Default)]
pub struct Script {
    faults: Arc<Mutex<VecDeque<Fault>>>,
    /// (connection number, method, path) of every request.
    pub seen: Arc<Mutex<Vec<(usize, String, String)>>>,
    /// For each huge body served: how many of its bytes the client read before hanging up.
    pub huge_sent: Arc<Mutex<Vec<usize>>>,
}

impl Script {
    pub fn push(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }
    pub fn requests(&self) -> Vec<(usize, String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

/// A healthy `PoiRead`.
pub fn poi(id: i64) -> Value {
    json!({"created_at": "2026-11-01T12:00:00Z", "updated_at": "2026-11-01T12:00:00Z", "id": id, "name": "Target",
        "category": "person", "risk_level": "info", "notes": null, "is_active": true, "identifiers": []})
}

pub async fn fault_backend() -> (String, Script) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let script = Script::default();
    let s = script.clone();
    tokio::spawn(async move {
        let mut conn = 0;
        while let Ok((stream, _)) = listener.accept().await {
            conn += 1;
            tokio::spawn(serve_conn(stream, conn, s.clone()));
        }
    });
    (url, script)
}

async fn serve_conn(mut stream: TcpStream, conn: usize, script: Script) {
    let mut buf = Vec::new();
    loop {
        // Read one request: head, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + length);
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
        script.seen.lock().unwrap().push((conn, method, path));
        let fault = script.faults.lock().unwrap().pop_front().unwrap_or(Fault::Ok(200, poi(1)));
        let respond = |status: u16, kind: &str, body: &[u8]| {
            let mut out = format!("HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n", body.len())
                .into_bytes();
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
            out
        };
        let bytes = match fault {
            Fault::Ok(status, value) => respond(status, "application/json", value.to_string().as_bytes()),
            Fault::Raw(status, kind, body) => respond(status, kind, &body),
            Fault::Slow(d) => {
                tokio::time::sleep(d).await;
                respond(200, "application/json", poi(1).to_string().as_bytes())
            }
            Fault::TooMany(after) => {
                let body = br#"{"detail":"Too many requests"}"#;
                let mut out = format!("HTTP/1.1 429 X\r\ncontent-type: application/json\r\nretry-after: {after}\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
                out.extend_from_slice(body);
                out
            }
            Fault::ResetMidBody => {
                let body = poi(1).to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body.as_bytes()[..body.len() / 2]).await;
                let _ = stream.flush().await;
                // Linger 0 makes the close a reset (it may block on drop; fine in a test).
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return; // dropping with linger 0 sends RST
            }
            Fault::CloseAfter500 => {
                let _ =
                    stream.write_all(&respond(500, "application/json", br#"{"detail":"Internal Server Error"}"#)).await;
                let _ = stream.flush().await;
                return; // closes the keep-alive connection without saying so
            }
            Fault::Huge { bytes, chunked } => {
                let head = if chunked {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                        .to_string()
                } else {
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {bytes}\r\n\r\n")
                };
                if stream.write_all(head.as_bytes()).await.is_err() {
                    script.huge_sent.lock().unwrap().push(0);
                    return;
                }
                let block = vec![b' '; 64 * 1024];
                let mut sent = 0;
                while sent < bytes {
                    let n = block.len().min(bytes - sent);
                    let ok = if chunked {
                        stream.write_all(format!("{n:x}\r\n").as_bytes()).await.is_ok()
                            && stream.write_all(&block[..n]).await.is_ok()
                            && stream.write_all(b"\r\n").await.is_ok()
                    } else {
                        stream.write_all(&block[..n]).await.is_ok()
                    };
                    if !ok {
                        break; // the client stopped reading
                    }
                    sent += n;
                }
                script.huge_sent.lock().unwrap().push(sent);
                if sent < bytes {
                    return;
                }
                return;
            }
        };
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

async fn setup(timeout: f64, strict: bool) -> (Script, HttpBridge, Client) {
    let (url, script) = fault_backend().await;
    let mut args = backend_args(&url);
    args.timeout_secs = timeout;
    args.max_response_bytes = 16 * 1024 * 1024;
    if strict {
        args.response_validation = vtoc_mcp::cli::config::ResponseValidation::Strict;
    }
    let bridge = start_bridge(args).await;
    let client = http_client(&bridge.url).await;
    (script, bridge, client)
}

/// The call's result text, whether it failed, and how long it took.
async fn timed(client: &Client, tool: &str, arguments: Value) -> (String, bool, Duration) {
    let started = Instant::now();
    let result = call(client, tool, arguments).await.expect("a tool result, not a protocol error");
    (text(&result), result.is_error == Some(true), started.elapsed())
}

async fn next_call_succeeds(client: &Client) {
    let (text, failed, _) = timed(client, things().read.name, things().item(1)).await;
    assert!(!failed, "the call after the fault should succeed: {text}");
}

#[tokio::test]
async fn slow_backend_past_the_timeout() {
    let (script, _b, client) = setup(0.5, false).await;
    script.push(Fault::Slow(Duration::from_secs(3)));
    let (text, failed, took) = timed(&client, things().read.name, things().item(1)).await;
    // The backend answers after 3 s; an error naming the 0.5 s timeout is the timeout firing.
    assert!(failed && text.contains("within 0.5 s"), "{text}");
    assert!(took >= Duration::from_millis(500), "not before the timeout: {took:?}");
    next_call_succeeds(&client).await;
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bridge = start_bridge(backend_args(&format!("http://127.0.0.1:{port}"))).await;
    let client = http_client(&bridge.url).await;
    let (text, failed, took) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("connection failed"), "{text}");
    // Two retries with 100 and 300 ms of backoff: at least that long (lower bounds hold on
    // any machine; how much longer is the bench's business).
    assert!(took >= Duration::from_millis(400), "{took:?}");
}

#[tokio::test]
async fn reset_mid_body_is_retried_for_idempotent_calls() {
    let (script, _b, client) = setup(5.0, false).await;
    script.push(Fault::ResetMidBody);
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(!failed, "a GET survives a reset by retrying: {text}");
    assert_eq!(script.requests().len(), 2, "one retry");
    // A POST is never retried blindly: the model sees the failure.
    script.push(Fault::ResetMidBody);
    let before = script.requests().len();
    let (text, failed, _) = timed(&client, create_tool().name, create_arguments()).await;
    assert!(failed && text.contains("connection broke"), "{text}");
    assert_eq!(script.requests().len(), before + 1, "the POST was sent once");
    next_call_succeeds(&client).await;
}

#[tokio::test]
async fn a_connection_closed_after_a_500_does_not_fail_the_next_call() {
    let (script, _b, client) = setup(5.0, false).await;
    for _ in 0..5 {
        script.push(Fault::CloseAfter500);
        let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
        assert!(failed && text.starts_with("HTTP 500"), "{text}");
        // Immediately: the pooled connection is dead; a GET must still succeed.
        next_call_succeeds(&client).await;
    }
    let conns: std::collections::BTreeSet<usize> = script.requests().iter().map(|r| r.0).collect();
    assert!(conns.len() >= 5, "a new connection after each close: {conns:?}");
}

#[tokio::test]
async fn invalid_json_wrong_content_type_and_wrong_shape() {
    let (script, _b, client) = setup(5.0, false).await;
    script.push(Fault::Raw(200, "application/json", b"{\"id\": 1, \"name\": ".to_vec()));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("invalid JSON"), "{text}");
    script.push(Fault::Raw(200, "text/html", b"<html>login required</html>".to_vec()));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("text/html"), "{text}");
    // JSON that does not match the spec: returned with a warning (the default policy).
    script.push(Fault::Ok(200, json!({"id": "not-a-number", "surprise": true})));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(!failed && text.contains("not-a-number"), "{text}");
    next_call_succeeds(&client).await;

    let (script, _b, client) = setup(5.0, true).await;
    script.push(Fault::Ok(200, json!({"id": "not-a-number"})));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("does not match the API spec") && text.contains("strict"), "{text}");
    next_call_succeeds(&client).await;
}

#[tokio::test]
async fn a_50_mb_body_is_refused_without_reading_it() {
    let (script, _b, client) = setup(10.0, false).await;
    for chunked in [false, true] {
        script.push(Fault::Huge { bytes: 50 * 1024 * 1024, chunked });
        let (text, failed, _) = timed(&client, things().list.name, json!({})).await;
        assert!(failed && text.contains("larger than the 16777216 byte limit"), "chunked={chunked}: {text}");
        next_call_succeeds(&client).await;
    }
    // Not read: the bridge hung up long before the end of either body (the socket buffers
    // hold a few MB; what got past them is bounded by the 16 MiB limit, never 50 MB).
    let huge = script.huge_sent.clone();
    let sent = tokio::time::timeout(Duration::from_secs(60), async move {
        loop {
            if huge.lock().unwrap().len() == 2 {
                break huge.lock().unwrap().clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the fault backend finished both bodies");
    assert!(sent.iter().all(|&n| n < 24 * 1024 * 1024), "bytes the bridge let the backend send: {sent:?}");
}

#[tokio::test]
async fn rate_limits_and_outages_are_reported_and_recovered_from() {
    let (script, _b, client) = setup(5.0, false).await;
    script.push(Fault::TooMany(7));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("HTTP 429") && text.contains("retry after 7 s"), "{text}");
    script.push(Fault::Ok(503, json!({"detail": "AgentKit is not configured"})));
    let (text, failed, _) = timed(&client, things().read.name, things().item(1)).await;
    assert!(failed && text.contains("HTTP 503") && text.contains("AgentKit is not configured"), "{text}");
    next_call_succeeds(&client).await;
}
