//! Soak: many concurrent MCP sessions against a backend that fails a share of calls.
//!
//! Passes when every call got a result, the only errors are the injected ones, idle
//! sessions expire to zero, and memory after a second identical round is back where the
//! first left it (no per-call or per-session leak).

use crate::common::{Backend, Server, calls, rss_kib};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Options {
    pub rounds: usize,
    pub calls: usize,
    pub sessions: usize,
    pub fail_percent: u32,
    pub bin: String,
}

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    tool_errors: AtomicUsize,
    protocol_errors: AtomicUsize,
    transport_errors: AtomicUsize,
    /// A few distinct error texts, to explain a mismatch.
    samples: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Tally {
    fn sample(&self, text: String) {
        let mut s = self.samples.lock().unwrap();
        if s.len() < 5 {
            s.insert(text.chars().take(160).collect());
        }
    }
}

async fn round(url: &str, opts: &Options, tally: Arc<Tally>) -> Duration {
    let started = Instant::now();
    let per_session = opts.calls / opts.sessions;
    let extra = opts.calls % opts.sessions;
    let mut tasks = Vec::new();
    for s in 0..opts.sessions {
        let (url, tally) = (url.to_string(), tally.clone());
        let n = per_session + usize::from(s < extra);
        tasks.push(tokio::spawn(async move {
            let transport = StreamableHttpClientTransport::from_uri(url);
            let client = match ClientConfig::default().serve(transport).await {
                Ok(c) => c,
                Err(_) => {
                    tally.transport_errors.fetch_add(n, Ordering::Relaxed);
                    return;
                }
            };
            for i in 0..n {
                let args = calls().read_args(((s * 1000 + i) % 997 + 1) as u64);
                let params =
                    CallToolRequestParams::new(calls().read).with_arguments(args.as_object().cloned().unwrap());
                match client.call_tool(params).await {
                    Ok(r) if r.is_error == Some(true) => {
                        tally.sample(
                            r.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default(),
                        );
                        tally.tool_errors.fetch_add(1, Ordering::Relaxed)
                    }
                    Ok(_) => tally.ok.fetch_add(1, Ordering::Relaxed),
                    Err(e @ rmcp::ServiceError::McpError(_)) => {
                        tally.sample(e.to_string());
                        tally.protocol_errors.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(e) => {
                        tally.sample(e.to_string());
                        tally.transport_errors.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
            let _ = client.cancel().await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    started.elapsed()
}

pub async fn run(opts: Options) -> anyhow::Result<serde_json::Value> {
    let backend = Backend::start(opts.fail_percent).await;
    // All sessions come from one unauthenticated local caller, so the per-caller
    // concurrency limit is raised to the number of sessions.
    let concurrency = opts.sessions.to_string();
    let env = [
        ("MCP_SESSION_IDLE_SECS", "3"),
        ("MCP_MAX_SESSIONS", "4096"),
        ("MCP_MAX_CONCURRENT_CALLS", concurrency.as_str()),
    ];
    let server = Server::start(&opts.bin, &backend.url, &env).await?;
    let health = |url: String| async move { reqwest::get(url).await.ok()?.json::<serde_json::Value>().await.ok() };
    let healthz = server.url.replace("/mcp", "/healthz");

    // Warm up, then the baseline.
    let warm = Arc::new(Tally::default());
    round(&server.url, &Options { calls: 64, sessions: 4, ..opts_clone(&opts) }, warm).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let baseline = rss_kib(server.pid());
    backend.reset_counts();

    let mut rounds = Vec::new();
    for r in 1..=opts.rounds.max(2) {
        let tally = Arc::new(Tally::default());
        let (peak_rss, peak_sessions) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let sampler = {
            let (pid, url, peak_rss, peak_sessions) =
                (server.pid(), healthz.clone(), peak_rss.clone(), peak_sessions.clone());
            tokio::spawn(async move {
                loop {
                    peak_rss.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    if let Some(h) = health(url.clone()).await {
                        peak_sessions.fetch_max(h["sessions"].as_u64().unwrap_or(0), Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let took = round(&server.url, &opts, tally.clone()).await;
        sampler.abort();
        let injected = backend.injected();
        let calls_seen = backend.calls();
        // Let the idle sessions expire.
        tokio::time::sleep(Duration::from_secs(6)).await;
        let sessions_after = health(healthz.clone()).await.map(|h| h["sessions"].clone()).unwrap_or_default();
        let after = rss_kib(server.pid());
        let row = json!({
            "round": r,
            "calls": opts.calls,
            "sessions": opts.sessions,
            "seconds": took.as_secs_f64(),
            "calls_per_second": opts.calls as f64 / took.as_secs_f64(),
            "ok": tally.ok.load(Ordering::Relaxed),
            "tool_errors": tally.tool_errors.load(Ordering::Relaxed),
            "injected_backend_failures": injected,
            "backend_calls": calls_seen,
            "protocol_errors": tally.protocol_errors.load(Ordering::Relaxed),
            "transport_errors": tally.transport_errors.load(Ordering::Relaxed),
            "peak_rss_kib": peak_rss.load(Ordering::Relaxed),
            "peak_sessions": peak_sessions.load(Ordering::Relaxed),
            "rss_kib_after_idle": after,
            "heap_in_use_kib_after_idle": server.heap_in_use_kib(),
            "sessions_after_idle": sessions_after,
            "error_samples": tally.samples.lock().unwrap().iter().cloned().collect::<Vec<_>>(),
        });
        eprintln!("{row}");
        rounds.push(row);
        backend.reset_counts();
    }
    let alive = health(healthz.clone()).await.is_some();
    server.stop().await?;
    // Memory after the last round against the round before it: a leak grows every round.
    let first_after = rounds[rounds.len() - 2]["rss_kib_after_idle"].as_u64().unwrap_or(0);
    let second_after = rounds[rounds.len() - 1]["rss_kib_after_idle"].as_u64().unwrap_or(0);
    let failures: Vec<String> = rounds
        .iter()
        .flat_map(|r| {
            let mut f = Vec::new();
            if r["ok"].as_u64().unwrap_or(0) + r["tool_errors"].as_u64().unwrap_or(0) != opts.calls as u64 {
                f.push(format!("round {}: not every call got a result", r["round"]));
            }
            if r["tool_errors"] != r["injected_backend_failures"] {
                f.push(format!(
                    "round {}: {} tool errors but {} injected failures",
                    r["round"], r["tool_errors"], r["injected_backend_failures"]
                ));
            }
            if r["protocol_errors"] != 0 || r["transport_errors"] != 0 {
                f.push(format!("round {}: protocol or transport errors", r["round"]));
            }
            if r["sessions_after_idle"] != 0 {
                f.push(format!(
                    "round {}: {} sessions still open after the idle timeout",
                    r["round"], r["sessions_after_idle"]
                ));
            }
            f
        })
        .chain((!alive).then(|| "the server died".to_string()))
        .chain(
            (second_after > first_after + first_after / 10 + 2048)
                .then(|| format!("memory grew from {first_after} KiB to {second_after} KiB between identical rounds")),
        )
        .collect();
    Ok(json!({
        "baseline_rss_kib": baseline,
        "rounds": rounds,
        "server_alive": alive,
        "passed": failures.is_empty(),
        "failures": failures,
    }))
}

fn opts_clone(o: &Options) -> Options {
    Options { rounds: o.rounds, calls: o.calls, sessions: o.sessions, fail_percent: o.fail_percent, bin: o.bin.clone() }
}
