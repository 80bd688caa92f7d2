//! What optional parts of the server cost per call, each configuration measured in the same
//! run as its baseline (`make bench BENCH_ARGS='--only telemetry'` / `'--only store'`):
//!
//! - **telemetry**: off; Prometheus metrics on (`MCP_METRICS_BIND`) and scraped once a
//!   second by this process; traces on and exported (`OTEL_EXPORTER_OTLP_ENDPOINT`) to an
//!   OTLP/HTTP sink this process runs, which answers 200 and counts the spans. The traced
//!   figure's CPU window lasts until every call's span has reached the sink, so batching
//!   does not hide the export.
//! - **store**: without and with the shared state store (`MCP_STATE_URL`, a `redis-server`
//!   this process starts): a small read, a destructive call confirmed over the 2026-07-28
//!   input-required round trip (two requests: asked, then confirmed; with the store the
//!   confirmation is recorded there once), and a streamed call (a 2026 call that asks for
//!   debug logs, `_meta` `io.modelcontextprotocol/logLevel: debug`: a note opens an SSE
//!   stream before the result; with the store each event is copied there).
//!
//! Each repetition starts every configuration's server afresh, in the same order.

use crate::bench::{Mcp, summary};
use crate::common::{Backend, Server, calls, cpu_seconds};
use prost::Message;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn pct(mut v: Vec<Duration>, q: f64) -> f64 {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * q).round() as usize).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// An OTLP/HTTP trace receiver: 200 to every POST /v1/traces, spans counted.
async fn otlp_sink() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let spans = Arc::new(AtomicU64::new(0));
    let counted = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let counted = counted.clone();
            async move {
                if let Ok(request) =
                    opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(body)
                {
                    let n: usize =
                        request.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
                    counted.fetch_add(n as u64, Ordering::Relaxed);
                }
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, spans))
}

/// GET the metrics once a second until `stop`.
fn scraper(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut scrapes = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
                && r.text().await.is_ok_and(|t| t.contains("# TYPE"))
            {
                scrapes += 1;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        scrapes
    })
}

/// CPU per call and latency of `n` small reads over a 2025 session client (the figure
/// `make bench` reports as CPU per small call), after `warm` unmeasured ones.
async fn small_calls(mcp: &Mcp, pid: u32, n: usize) -> anyhow::Result<(f64, Vec<Duration>)> {
    let args = calls().read_args(7u64);
    for _ in 0..200 {
        mcp.call(calls().read, args.clone()).await?;
    }
    let before = cpu_seconds(pid);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        mcp.call(calls().read, args.clone()).await?;
        lat.push(t.elapsed());
    }
    Ok(((cpu_seconds(pid) - before) * 1000.0 / n as f64, lat))
}

pub async fn telemetry(bin: &str, reps: usize, n: usize) -> anyhow::Result<Value> {
    let backend = Backend::start(0).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).tcp_nodelay(true).build()?;
    let (sink, spans) = otlp_sink().await?;
    let labels = ["off", "metrics", "tracing"];
    let mut cpu: Vec<Vec<f64>> = vec![vec![]; 3];
    let mut p50: Vec<Vec<f64>> = vec![vec![]; 3];
    let mut p99: Vec<Vec<f64>> = vec![vec![]; 3];
    let (mut scrapes, mut exported) = (vec![], vec![]);
    for rep in 0..reps {
        for (i, label) in labels.iter().enumerate() {
            let metrics_port = free_port()?;
            let metrics_bind = format!("127.0.0.1:{metrics_port}");
            let mut env: Vec<(&str, &str)> = vec![("MCP_MAX_CONCURRENT_CALLS", "4096")];
            match *label {
                "metrics" => env.push(("MCP_METRICS_BIND", &metrics_bind)),
                "tracing" => env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", &sink)),
                _ => {}
            }
            let server = Server::start(bin, &backend.url, &env).await?;
            let mcp = Mcp::connect(&http, &server.url).await?;
            let stop = Arc::new(AtomicBool::new(false));
            let scraping =
                (*label == "metrics").then(|| scraper(format!("http://{metrics_bind}/metrics"), stop.clone()));
            // Let the warm-up's spans reach the sink before the measured window opens.
            for _ in 0..200 {
                mcp.call(calls().read, calls().read_args(7u64)).await?;
            }
            if *label == "tracing" {
                let started = Instant::now();
                while spans.load(Ordering::Relaxed) < 250 && started.elapsed() < Duration::from_secs(15) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            let spans_before = spans.load(Ordering::Relaxed);
            let before = cpu_seconds(server.pid());
            let (_, lat) = small_calls(&mcp, server.pid(), n).await?;
            if *label == "tracing" {
                // Until the spans of the measured calls (warm-up included) are exported.
                let want = spans_before + (200 + n) as u64;
                let started = Instant::now();
                while spans.load(Ordering::Relaxed) < want && started.elapsed() < Duration::from_secs(15) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                exported.push((spans.load(Ordering::Relaxed) - spans_before) as f64 / (200 + n) as f64);
            }
            // The CPU of the warm-up inside small_calls counts too: divide by all its calls.
            cpu[i].push((cpu_seconds(server.pid()) - before) * 1000.0 / (200 + n) as f64);
            p50[i].push(pct(lat.clone(), 0.5));
            p99[i].push(pct(lat, 0.99));
            stop.store(true, Ordering::Relaxed);
            if let Some(s) = scraping {
                scrapes.push(s.await? as f64);
            }
            server.stop().await?;
        }
        eprintln!(
            "rep {}/{}: CPU per call off {:.4}, metrics {:.4}, tracing {:.4} ms",
            rep + 1,
            reps,
            cpu[0][rep],
            cpu[1][rep],
            cpu[2][rep]
        );
    }
    let mut out = serde_json::Map::new();
    for (i, label) in labels.iter().enumerate() {
        out.insert(
            label.to_string(),
            json!({"cpu_ms_per_call": summary(&cpu[i]), "p50_ms": summary(&p50[i]), "p99_ms": summary(&p99[i])}),
        );
    }
    out.insert("metrics_scrapes".into(), summary(&scrapes));
    out.insert("spans_exported_per_call".into(), summary(&exported));
    out.insert("calls".into(), json!(n));
    Ok(json!({ "telemetry": out }))
}

/// A `redis-server` on a free loopback port, with no persistence, killed when dropped.
struct Redis {
    child: std::process::Child,
    url: String,
}

impl Redis {
    async fn start() -> anyhow::Result<Redis> {
        let port = free_port()?;
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("redis-server: {e} (install Redis or Valkey)"))?;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Redis { child, url: format!("redis://127.0.0.1:{port}") });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::bail!("redis-server did not listen on {port}")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One destructive call confirmed over the 2026 input-required round trip: two requests.
async fn confirmed_delete(modern: &Mcp, tool: &str, id: u64) -> anyhow::Result<()> {
    let args = json!({ calls().id_name(): id });
    let asked = modern.rpc_2026("tools/call", json!({"name": tool, "arguments": args}), json!({})).await?;
    let state = asked["result"]["requestState"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no input_required answer: {asked}"))?
        .to_string();
    let accept = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    let done = modern
        .rpc_2026(
            "tools/call",
            json!({"name": tool, "arguments": args, "inputResponses": accept, "requestState": state}),
            json!({}),
        )
        .await?;
    anyhow::ensure!(done["result"]["isError"] != true && done.get("error").is_none(), "not confirmed: {done}");
    Ok(())
}

/// One figure's (CPU, p50, p99), a value per repetition.
type PerRep = (Vec<f64>, Vec<f64>, Vec<f64>);

pub async fn store(bin: &str, reps: usize, n: usize) -> anyhow::Result<Value> {
    let backend = Backend::start(0).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).tcp_nodelay(true).build()?;
    let redis = Redis::start().await?;
    let delete = calls().delete.ok_or_else(|| anyhow::anyhow!("the collection has no DELETE"))?;
    let labels = ["without_store", "with_store"];
    let figures = ["small", "destructive", "streamed"];
    // [label][figure] -> (cpu, p50, p99) per rep
    let mut data: Vec<Vec<PerRep>> = vec![vec![PerRep::default(); 3]; 2];
    let mut redis_cpu: Vec<f64> = vec![];
    let mut next_id = 1u64;
    for rep in 0..reps {
        for (i, label) in labels.iter().enumerate() {
            let mut env = vec![
                ("MCP_MAX_CONCURRENT_CALLS", "4096"),
                ("MCP_ALLOW_WRITES", "true"),
                ("MCP_LOCAL_SCOPE", "vtoc:admin"),
            ];
            if *label == "with_store" {
                env.push(("MCP_STATE_URL", &redis.url));
            }
            let server = Server::start(bin, &backend.url, &env).await?;
            let pid = server.pid();
            let mcp = Mcp::connect(&http, &server.url).await?;
            let modern = Mcp::modern(&http, &server.url);
            let redis_before = cpu_seconds(redis.child.id());

            let (cpu, lat) = small_calls(&mcp, pid, n).await?;
            data[i][0].0.push(cpu);
            data[i][0].1.push(pct(lat.clone(), 0.5));
            data[i][0].2.push(pct(lat, 0.99));

            let m = (n / 4).max(50);
            for _ in 0..20 {
                confirmed_delete(&modern, delete, next_id).await?;
                next_id += 1;
            }
            let before = cpu_seconds(pid);
            let mut lat = Vec::with_capacity(m);
            for _ in 0..m {
                let t = Instant::now();
                confirmed_delete(&modern, delete, next_id).await?;
                lat.push(t.elapsed());
                next_id += 1;
            }
            data[i][1].0.push((cpu_seconds(pid) - before) * 1000.0 / m as f64);
            data[i][1].1.push(pct(lat.clone(), 0.5));
            data[i][1].2.push(pct(lat, 0.99));

            let meta = json!({"io.modelcontextprotocol/logLevel": "debug"});
            let read = json!({"name": calls().read, "arguments": calls().read_args(7u64)});
            for _ in 0..50 {
                modern.rpc_2026("tools/call", read.clone(), meta.clone()).await?;
            }
            let before = cpu_seconds(pid);
            let mut lat = Vec::with_capacity(m);
            for _ in 0..m {
                let t = Instant::now();
                let (streamed, answer) = modern.rpc_2026_streamed("tools/call", read.clone(), meta.clone()).await?;
                lat.push(t.elapsed());
                anyhow::ensure!(streamed && answer["result"]["isError"] != true, "not a streamed result: {answer}");
            }
            data[i][2].0.push((cpu_seconds(pid) - before) * 1000.0 / m as f64);
            data[i][2].1.push(pct(lat.clone(), 0.5));
            data[i][2].2.push(pct(lat, 0.99));
            if *label == "with_store" {
                redis_cpu.push((cpu_seconds(redis.child.id()) - redis_before) * 1000.0);
            }
            server.stop().await?;
            eprintln!(
                "rep {}/{} {label}: CPU per call small {:.4}, confirmed delete {:.4}, streamed {:.4} ms",
                rep + 1,
                reps,
                data[i][0].0[rep],
                data[i][1].0[rep],
                data[i][2].0[rep]
            );
        }
    }
    let mut out = serde_json::Map::new();
    for (i, label) in labels.iter().enumerate() {
        let mut per = serde_json::Map::new();
        for (j, figure) in figures.iter().enumerate() {
            let (cpu, p50, p99) = &data[i][j];
            per.insert(
                figure.to_string(),
                json!({"cpu_ms_per_call": summary(cpu), "p50_ms": summary(p50), "p99_ms": summary(p99)}),
            );
        }
        out.insert(label.to_string(), Value::Object(per));
    }
    out.insert("redis_cpu_ms_per_rep".into(), summary(&redis_cpu));
    out.insert("calls".into(), json!(n));
    Ok(json!({ "store": out }))
}

/// The table of `--only telemetry` or `--only store`.
pub fn table(r: &Value) -> String {
    let cell = |v: &Value| {
        format!(
            "{:.4} ({:.4}–{:.4})",
            v["median"].as_f64().unwrap_or(f64::NAN),
            v["min"].as_f64().unwrap_or(f64::NAN),
            v["max"].as_f64().unwrap_or(f64::NAN)
        )
    };
    let mut s = String::new();
    if let Some(t) = r.get("telemetry") {
        s.push_str("| telemetry | CPU per small call (ms) | p50 (ms) | p99 (ms) |\n|---|---|---|---|\n");
        for label in ["off", "metrics", "tracing"] {
            let f = &t[label];
            s.push_str(&format!(
                "| {label} | {} | {} | {} |\n",
                cell(&f["cpu_ms_per_call"]),
                cell(&f["p50_ms"]),
                cell(&f["p99_ms"])
            ));
        }
        s.push_str(&format!(
            "metrics scrapes per run: {}; spans exported per call: {}\n",
            cell(&t["metrics_scrapes"]),
            cell(&t["spans_exported_per_call"])
        ));
    }
    if let Some(t) = r.get("store") {
        s.push_str("| call | store | CPU per call (ms) | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|\n");
        for figure in ["small", "destructive", "streamed"] {
            for label in ["without_store", "with_store"] {
                let f = &t[label][figure];
                s.push_str(&format!(
                    "| {figure} | {label} | {} | {} | {} |\n",
                    cell(&f["cpu_ms_per_call"]),
                    cell(&f["p50_ms"]),
                    cell(&f["p99_ms"])
                ));
            }
        }
        s.push_str(&format!("redis-server CPU per repetition (ms): {}\n", cell(&t["redis_cpu_ms_per_rep"])));
    }
    s
}
