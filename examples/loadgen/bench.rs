//! The benchmark behind `make bench`: what the bridge adds to a tool call, measured
//! against a direct REST call in the same run, plus CPU, memory, start-up and throughput.
//!
//! The client is a lean MCP-over-HTTP client (keep-alive reqwest, hand-written JSON-RPC),
//! so the measurement is the server's cost, not a client library's. Every figure is the
//! median of several repetitions; the spread (min and max of the repetitions) is shown.

use crate::common::{Backend, Server, calls, context_switches, cpu_seconds, cpu_split, rss_kib};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Options {
    pub bin: String,
    pub reps: usize,
    pub calls: usize,
}

/// One figure of the benchmark on its own (`--only`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// CPU per small call: the same server settings, client, warm-up and loop as the full run.
    Cpu,
    /// Telemetry off, metrics on (scraped each second), traces exported: CPU and latency
    /// per small call (`variants.rs`).
    Telemetry,
    /// Without and with the shared state store: small, confirmed destructive and streamed
    /// calls (`variants.rs`).
    Store,
    /// RSS idle and with 1000 idle 2025 sessions open, per session (`--reps` servers).
    Memory,
}

/// Which clients `--only cpu` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Clients {
    Both,
    /// The 2025-06-18 session client only (`cpu_ms_per_call.small`).
    Session,
}

/// A minimal MCP client over streamable HTTP, keep-alive: a 2025-06-18 client with a
/// session, or a stateless 2026-07-28 client (no session; version and method in headers).
#[derive(Clone)]
pub struct Mcp {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    modern: bool,
    id: Arc<AtomicU64>,
}

impl Mcp {
    pub async fn connect(http: &reqwest::Client, url: &str) -> anyhow::Result<Mcp> {
        let mut mcp = Mcp {
            http: http.clone(),
            url: url.to_string(),
            session: None,
            modern: false,
            id: Arc::new(AtomicU64::new(1)),
        };
        let init = json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}});
        let (headers, _) = mcp.rpc_raw("initialize", init).await?;
        mcp.session = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        mcp.post(&note).await?;
        Ok(mcp)
    }

    /// A stateless 2026-07-28 client: no handshake, no session.
    pub fn modern(http: &reqwest::Client, url: &str) -> Mcp {
        Mcp { http: http.clone(), url: url.to_string(), session: None, modern: true, id: Arc::new(AtomicU64::new(1)) }
    }

    async fn post(&self, body: &Value) -> anyhow::Result<(reqwest::header::HeaderMap, String)> {
        let mut r = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if self.modern {
            r = r.header("mcp-protocol-version", "2026-07-28");
            if let Some(m) = body["method"].as_str() {
                r = r.header("mcp-method", m);
            }
            if let Some(n) = body["params"]["name"].as_str() {
                r = r.header("mcp-name", n);
            }
        } else {
            r = r.header("mcp-protocol-version", "2025-06-18");
        }
        let mut body = body.clone();
        let has_meta = body["params"].get("_meta").is_some();
        if self.modern && body.get("params").is_some() && !has_meta {
            body["params"]["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}});
        }
        let mut r = r.body(body.to_string());
        if let Some(s) = &self.session {
            r = r.header("mcp-session-id", s);
        }
        let response = r.send().await?;
        anyhow::ensure!(response.status().is_success(), "HTTP {}", response.status());
        let headers = response.headers().clone();
        Ok((headers, response.text().await?))
    }

    async fn rpc_raw(&self, method: &str, params: Value) -> anyhow::Result<(reqwest::header::HeaderMap, Value)> {
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        let (headers, text) =
            self.post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await?;
        let v: Value = serde_json::from_str(message_text(&text))?;
        anyhow::ensure!(v.get("result").is_some(), "{v}");
        Ok((headers, v))
    }

    /// A 2026-07-28 request whose client declares elicitation, with `meta` added to the
    /// request's `_meta`: the JSON-RPC answer, whatever it is.
    pub async fn rpc_2026(&self, method: &str, params: Value, meta: Value) -> anyhow::Result<Value> {
        Ok(self.rpc_2026_streamed(method, params, meta).await?.1)
    }

    /// [`Mcp::rpc_2026`], and whether the answer came as an SSE stream.
    pub async fn rpc_2026_streamed(&self, method: &str, params: Value, meta: Value) -> anyhow::Result<(bool, Value)> {
        anyhow::ensure!(self.modern, "a 2026-07-28 request from a 2025 session client");
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        let mut params = params;
        let mut m = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}});
        if let (Some(m), Some(extra)) = (m.as_object_mut(), meta.as_object()) {
            m.extend(extra.clone());
        }
        params["_meta"] = m;
        let (headers, text) =
            self.post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await?;
        let sse = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        Ok((sse, serde_json::from_str(message_text(&text))?))
    }

    pub async fn call(&self, tool: &str, args: Value) -> anyhow::Result<Value> {
        let (_, v) = self.rpc_raw("tools/call", json!({"name": tool, "arguments": args})).await?;
        anyhow::ensure!(v["result"]["isError"] != true, "{v}");
        Ok(v)
    }

    pub async fn list(&self) -> anyhow::Result<(usize, Value)> {
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        let (_, text) = self.post(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})).await?;
        let json_text = message_text(&text);
        Ok((json_text.len(), serde_json::from_str(json_text)?))
    }
}

/// The JSON-RPC response in a response body: plain JSON, or the `data:` of an SSE stream
/// that answers the request (notifications such as `notifications/message` may come first).
fn message_text(body: &str) -> &str {
    let data = || body.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).filter(|l| l.starts_with('{'));
    data().find(|l| l.contains("\"result\"") || l.contains("\"error\"")).or_else(|| data().next()).unwrap_or(body)
}

/// Percentiles of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Dist {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

fn dist(mut samples: Vec<Duration>) -> Dist {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    Dist { p50: at(0.5), p90: at(0.9), p99: at(0.99) }
}

/// Median, min and max over repetitions.
pub fn summary(values: &[f64]) -> Value {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    json!({"median": v[v.len() / 2], "min": v[0], "max": v[v.len() - 1], "reps": v})
}

fn med(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn time_direct(http: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Dist> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let v: Value = http.get(calls().read_url(url, i % 97 + 1)).send().await?.json().await?;
        samples.push(t.elapsed());
        std::hint::black_box(v);
    }
    Ok(dist(samples))
}

async fn time_bridge(mcp: &Mcp, n: usize) -> anyhow::Result<Dist> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let v = mcp.call(calls().read, calls().read_args((i % 97 + 1) as u64)).await?;
        samples.push(t.elapsed());
        std::hint::black_box(v);
    }
    Ok(dist(samples))
}

/// `sessions` concurrent sessions, `per` calls each: (calls per second, latency).
async fn concurrent(http: &reqwest::Client, url: &str, sessions: usize, per: usize) -> anyhow::Result<(f64, Dist)> {
    let mut clients = Vec::new();
    for _ in 0..sessions {
        clients.push(Mcp::connect(http, url).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            tokio::spawn(async move {
                let mut s = Vec::with_capacity(per);
                for i in 0..per {
                    let t = Instant::now();
                    c.call(calls().read, calls().read_args((i % 97 + 1) as u64)).await?;
                    s.push(t.elapsed());
                }
                anyhow::Ok(s)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(((sessions * per) as f64 / secs, dist(all)))
}

/// One caller (one token, here the anonymous loopback caller) with `sessions` sessions
/// making `per` sequential calls each, against the default limits: how many calls were
/// refused, the latency of the others, and the server's peak memory.
async fn one_caller(http: &reqwest::Client, server: &Server, sessions: usize, per: usize) -> anyhow::Result<Value> {
    let mut clients = Vec::new();
    for _ in 0..sessions {
        clients.push(Mcp::connect(http, &server.url).await?);
    }
    let pid = server.pid();
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            tokio::spawn(async move {
                let (mut ok, mut refused) = (Vec::with_capacity(per), 0usize);
                for i in 0..per {
                    let t = Instant::now();
                    let (_, v) = c
                        .rpc_raw(
                            "tools/call",
                            json!({"name": calls().read, "arguments": calls().read_args((i % 97 + 1) as u64)}),
                        )
                        .await?;
                    if v["result"]["isError"] == true {
                        let text = v["result"]["content"][0]["text"].as_str().unwrap_or_default();
                        anyhow::ensure!(text.contains("calls in flight"), "an unexpected error: {text}");
                        refused += 1;
                    } else {
                        ok.push(t.elapsed());
                    }
                }
                anyhow::Ok((ok, refused))
            })
        })
        .collect();
    let (mut all, mut refused) = (Vec::new(), 0);
    for t in tasks {
        let (ok, r) = t.await??;
        all.extend(ok);
        refused += r;
    }
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    let max_ms = all.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let d = dist(all);
    Ok(json!({"sessions": sessions, "calls": sessions * per, "refused": refused, "p50_ms": d.p50, "p99_ms": d.p99,
        "max_ms": max_ms, "peak_rss_mib": peak.load(Ordering::Relaxed) as f64 / 1024.0}))
}

/// The direct baseline for [`concurrent`]: `tasks` concurrent REST clients, `per` calls each.
async fn concurrent_direct(http: &reqwest::Client, url: &str, tasks: usize, per: usize) -> anyhow::Result<Dist> {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (http, url) = (http.clone(), url.to_string());
            tokio::spawn(async move {
                let mut s = Vec::with_capacity(per);
                for i in 0..per {
                    let t = Instant::now();
                    let v: Value = http.get(calls().read_url(&url, i % 97 + 1)).send().await?.json().await?;
                    s.push(t.elapsed());
                    std::hint::black_box(v);
                }
                anyhow::Ok(s)
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    Ok(dist(all))
}

/// CPU seconds the server spends per call, for one tool.
async fn cpu_per_call(mcp: &Mcp, pid: u32, tool: &str, args: Value, n: usize) -> anyhow::Result<f64> {
    for _ in 0..50 {
        mcp.call(tool, args.clone()).await?;
    }
    let before = cpu_seconds(pid);
    for _ in 0..n {
        mcp.call(tool, args.clone()).await?;
    }
    Ok((cpu_seconds(pid) - before) / n as f64)
}

/// Process start to the first successful `tools/list`, over HTTP.
async fn startup(bin: &str, backend: &str) -> anyhow::Result<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut child = std::process::Command::new(bin)
        .args(["serve", "--transport", "http", "--bind", &format!("127.0.0.1:{port}")])
        .env("VTOC_API_BASE_URL", backend)
        .env("VTOC_CONTRACT_CHECK", "off")
        .env("MCP_AUDIT_LOG", "off")
        .env("VTOC_MCP_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let elapsed = loop {
        let r = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/list")
            .body(body.to_string())
            .send()
            .await;
        if let Ok(r) = r
            && r.status().is_success()
            && r.text().await.is_ok_and(|t| t.contains("\"tools\""))
        {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            anyhow::bail!("the server did not answer tools/list within 10 s");
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// Added latency of the stdio transport: one JSON-RPC line per call over pipes.
async fn stdio_latency(bin: &str, backend: &str, n: usize) -> anyhow::Result<Dist> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = tokio::process::Command::new(bin)
        .args(["serve", "--transport", "stdio"])
        .env("VTOC_API_BASE_URL", backend)
        .env("VTOC_CONTRACT_CHECK", "off")
        .env("MCP_AUDIT_LOG", "off")
        .env("VTOC_MCP_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}});
    stdin.write_all(format!("{init}\n").as_bytes()).await?;
    lines.next_line().await?;
    stdin.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n").await?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..(n + 100) {
        let req = json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": calls().read, "arguments": calls().read_args((i % 97 + 1) as u64)}});
        let t = Instant::now();
        stdin.write_all(format!("{req}\n").as_bytes()).await?;
        let line = lines.next_line().await?.ok_or_else(|| anyhow::anyhow!("stdio closed"))?;
        if i >= 100 {
            samples.push(t.elapsed());
        }
        anyhow::ensure!(line.contains("\"result\"") && !line.contains("\"isError\":true"), "{line}");
    }
    Ok(dist(samples))
}

/// What the model reads on every turn: `vtoc-mcp tools --size` for every tool (writes on,
/// admin scope), with the default settings otherwise. Deterministic: a size, not a timing.
async fn model_visible(bin: &str) -> anyhow::Result<Value> {
    let out = tokio::process::Command::new(bin)
        .args(["tools", "--size"])
        .env("MCP_ALLOW_WRITES", "true")
        .env("MCP_LOCAL_SCOPE", "vtoc:admin")
        .env_remove("MCP_CONTEXT_ARGUMENT")
        .output()
        .await?;
    anyhow::ensure!(out.status.success(), "tools --size failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout)?;
    let mut per_tool = serde_json::Map::new();
    let mut total = Value::Null;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(bytes), Some(rest)) = (words.next().and_then(|b| b.parse::<u64>().ok()), words.next()) else {
            continue;
        };
        // `BYTES  NAME` per tool, `BYTES  total for N tools …`; other summary lines have
        // more words.
        if rest == "total" {
            total = json!(bytes);
        } else if words.next().is_none() {
            per_tool.insert(rest.to_string(), json!(bytes));
        }
    }
    Ok(json!({"total_bytes": total, "tools": per_tool.len(), "per_tool": per_tool}))
}

pub async fn run(o: Options) -> anyhow::Result<Value> {
    let backend = Backend::start(0).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(2048).tcp_nodelay(true).build()?;
    let mut rows: serde_json::Map<String, Value> = serde_json::Map::new();
    rows.insert("model_visible_tool_list".into(), model_visible(&o.bin).await?);
    let (mut direct50, mut direct99, mut bridge50, mut bridge99, mut added50, mut added99) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut direct90, mut bridge90) = (vec![], vec![]);
    let (mut cpu_small, mut cpu_big, mut list_ms, mut stdio_added50, mut stdio_added99) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut t16, mut p99_16, mut t256, mut p99_256) = (vec![], vec![], vec![], vec![]);
    let (mut added50_16, mut added99_16) = (vec![], vec![]);
    let (mut modern50, mut modern99, mut cpu_modern) = (vec![], vec![], vec![]);
    let mut list_bytes = 0usize;
    for rep in 0..o.reps {
        let server = Server::start(&o.bin, &backend.url, &[("MCP_MAX_CONCURRENT_CALLS", "4096")]).await?;
        let mcp = Mcp::connect(&http, &server.url).await?;
        // Warm-up, excluded.
        time_direct(&http, &backend.url, 200).await?;
        time_bridge(&mcp, 200).await?;
        let modern = Mcp::modern(&http, &server.url);
        time_bridge(&modern, 200).await?;
        // Interleave direct and bridge measurements so drift on a noisy machine hits both.
        let (mut d, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..5 {
            d.push(time_direct(&http, &backend.url, o.calls / 5).await?);
            b.push(time_bridge(&mcp, o.calls / 5).await?);
            m.push(time_bridge(&modern, o.calls / 5).await?);
        }
        let d50 = med(&d.iter().map(|x| x.p50).collect::<Vec<_>>());
        let d99 = med(&d.iter().map(|x| x.p99).collect::<Vec<_>>());
        modern50.push(med(&m.iter().map(|x| x.p50).collect::<Vec<_>>()) - d50);
        modern99.push(med(&m.iter().map(|x| x.p99).collect::<Vec<_>>()) - d99);
        direct90.push(med(&d.iter().map(|x| x.p90).collect::<Vec<_>>()));
        bridge90.push(med(&b.iter().map(|x| x.p90).collect::<Vec<_>>()));
        let b50 = med(&b.iter().map(|x| x.p50).collect::<Vec<_>>());
        let b99 = med(&b.iter().map(|x| x.p99).collect::<Vec<_>>());
        direct50.push(d50);
        direct99.push(d99);
        bridge50.push(b50);
        bridge99.push(b99);
        added50.push(b50 - d50);
        added99.push(b99 - d99);
        cpu_small
            .push(cpu_per_call(&mcp, server.pid(), calls().read, calls().read_args(7u64), o.calls).await? * 1000.0);
        cpu_modern
            .push(cpu_per_call(&modern, server.pid(), calls().read, calls().read_args(7u64), o.calls).await? * 1000.0);
        cpu_big.push(cpu_per_call(&mcp, server.pid(), calls().list, json!({}), o.calls / 5).await? * 1000.0);
        let mut ls = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let (bytes, _) = mcp.list().await?;
            ls.push(t.elapsed());
            list_bytes = bytes;
        }
        list_ms.push(dist(ls).p50);
        // 16 concurrent sessions, against 16 concurrent direct clients in the same rep.
        let d16 = concurrent_direct(&http, &backend.url, 16, o.calls / 16).await?;
        let (tp, l) = concurrent(&http, &server.url, 16, o.calls / 16).await?;
        t16.push(tp);
        p99_16.push(l.p99);
        added50_16.push(l.p50 - d16.p50);
        added99_16.push(l.p99 - d16.p99);
        let (tp, l) = concurrent(&http, &server.url, 256, (o.calls / 256).max(8)).await?;
        t256.push(tp);
        p99_256.push(l.p99);
        let s = stdio_latency(&o.bin, &backend.url, o.calls / 2).await?;
        let d = time_direct(&http, &backend.url, o.calls / 2).await?;
        stdio_added50.push(s.p50 - d.p50);
        stdio_added99.push(s.p99 - d.p99);
        server.stop().await?;
        eprintln!("rep {}/{}: added p50 {:.3} ms, p99 {:.3} ms", rep + 1, o.reps, b50 - d50, b99 - d99);
    }
    rows.insert(
        "direct_rest_ms".into(),
        json!({"p50": summary(&direct50), "p90": summary(&direct90), "p99": summary(&direct99)}),
    );
    rows.insert(
        "bridge_tools_call_ms".into(),
        json!({"p50": summary(&bridge50), "p90": summary(&bridge90), "p99": summary(&bridge99)}),
    );
    rows.insert("added_latency_ms".into(), json!({"p50": summary(&added50), "p99": summary(&added99)}));
    rows.insert(
        "stateless_2026".into(),
        json!({"added_p50_ms": summary(&modern50), "added_p99_ms": summary(&modern99), "cpu_ms_per_call": summary(&cpu_modern)}),
    );
    rows.insert("cpu_ms_per_call".into(), json!({"small": summary(&cpu_small), "large_response": summary(&cpu_big), "large_response_bytes": backend.big_len()}));
    rows.insert("tools_list".into(), json!({"p50_ms": summary(&list_ms), "payload_bytes": list_bytes}));
    rows.insert(
        "sessions_16".into(),
        json!({"calls_per_second": summary(&t16), "p99_ms": summary(&p99_16),
               "added_p50_ms": summary(&added50_16), "added_p99_ms": summary(&added99_16)}),
    );
    rows.insert("sessions_256".into(), json!({"calls_per_second": summary(&t256), "p99_ms": summary(&p99_256)}));
    rows.insert(
        "stdio_added_latency_ms".into(),
        json!({"p50": summary(&stdio_added50), "p99": summary(&stdio_added99)}),
    );

    // Start-up, repeated.
    let mut starts = Vec::new();
    for _ in 0..(o.reps * 2).max(5) {
        starts.push(startup(&o.bin, &backend.url).await?);
    }
    rows.insert("first_tools_list_after_start_ms".into(), summary(&starts));

    // Memory: idle, then with 1000 sessions open.
    rows.insert("rss_mib".into(), memory(&o, &backend, &http, o.reps.min(3)).await?);

    // One caller fanning out, at the default limit (8 in flight) against a backend that
    // takes 5 ms a read: without a queue (refused at once, as before), and with the default
    // queue (64 waiting, 10 s).
    backend.set_delay(Duration::from_millis(5));
    let mut one = serde_json::Map::new();
    for (label, env, sessions, per) in [
        ("no_queue_16_sessions", vec![("MCP_CALL_QUEUE", "0")], 16, 100),
        ("default_16_sessions", vec![], 16, 100),
        ("default_256_sessions", vec![], 256, 10),
    ] {
        let server = Server::start(&o.bin, &backend.url, &env).await?;
        one.insert(label.into(), one_caller(&http, &server, sessions, per).await?);
        server.stop().await?;
    }
    backend.set_delay(Duration::ZERO);
    rows.insert("one_caller".into(), Value::Object(one));
    Ok(Value::Object(rows))
}

/// Memory: idle, then with 1000 sessions open (`reps` fresh servers); the `rss_mib` row.
async fn memory(o: &Options, backend: &Backend, http: &reqwest::Client, reps: usize) -> anyhow::Result<Value> {
    let (mut idle, mut with1000, mut per_session) = (vec![], vec![], vec![]);
    for _ in 0..reps {
        let server = Server::start(&o.bin, &backend.url, &[]).await?;
        let warm = Mcp::connect(http, &server.url).await?;
        warm.call(calls().read, calls().read_args(1u64)).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss0 = rss_kib(server.pid());
        let mut open = Vec::new();
        for _ in 0..1000 {
            open.push(Mcp::connect(http, &server.url).await?);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss1 = rss_kib(server.pid());
        let health: Value = http.get(server.url.replace("/mcp", "/healthz")).send().await?.json().await?;
        anyhow::ensure!(health["sessions"].as_u64() >= Some(1000), "1000 sessions open: {health}");
        idle.push(rss0 as f64 / 1024.0);
        with1000.push(rss1 as f64 / 1024.0);
        per_session.push((rss1.saturating_sub(rss0)) as f64 / 1000.0);
        drop(open);
        server.stop().await?;
    }
    Ok(
        json!({"idle": summary(&idle), "with_1000_sessions": summary(&with1000), "kib_per_session": summary(&per_session)}),
    )
}

/// `--only memory`: the memory row of [`run`], measured the same way, `reps` times.
pub async fn memory_only(o: Options) -> anyhow::Result<Value> {
    let backend = Backend::start(0).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(2048).tcp_nodelay(true).build()?;
    let mut rows = serde_json::Map::new();
    rows.insert("rss_mib".into(), memory(&o, &backend, &http, o.reps).await?);
    Ok(Value::Object(rows))
}

/// `--only cpu`: CPU per small call for the 2025 session client and the 2026 stateless
/// client, as in [`run`] (a fresh server per repetition with the same settings, the same
/// warm-up of each client, then [`cpu_per_call`] with `calls` calls).
pub async fn cpu_only(o: Options, clients: Clients) -> anyhow::Result<Value> {
    let backend = Backend::start(0).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(2048).tcp_nodelay(true).build()?;
    let (mut cpu_small, mut cpu_modern) = (vec![], vec![]);
    let (mut user, mut system, mut switches) = (vec![], vec![], vec![]);
    let both = clients == Clients::Both;
    for rep in 0..o.reps {
        let server = Server::start(&o.bin, &backend.url, &[("MCP_MAX_CONCURRENT_CALLS", "4096")]).await?;
        let mcp = Mcp::connect(&http, &server.url).await?;
        time_bridge(&mcp, 200).await?;
        let modern = Mcp::modern(&http, &server.url);
        if both {
            time_bridge(&modern, 200).await?;
        }
        let read = calls().read_args(7u64);
        // As `cpu_per_call` (50 warm-up calls, then `calls` measured), with the time also
        // split into user and system, and the server's context switches counted.
        for _ in 0..50 {
            mcp.call(calls().read, read.clone()).await?;
        }
        let pid = server.pid();
        let (t0, u0, c0) = (cpu_seconds(pid), cpu_split(pid), context_switches(pid));
        for _ in 0..o.calls {
            mcp.call(calls().read, read.clone()).await?;
        }
        let (t1, u1, c1) = (cpu_seconds(pid), cpu_split(pid), context_switches(pid));
        let per = |a: f64, b: f64| (b - a) * 1000.0 / o.calls as f64;
        cpu_small.push(per(t0, t1));
        user.push(per(u0.0, u1.0));
        system.push(per(u0.1, u1.1));
        switches.push((c1.0 + c1.1).saturating_sub(c0.0 + c0.1) as f64 / o.calls as f64);
        if both {
            cpu_modern.push(cpu_per_call(&modern, server.pid(), calls().read, read, o.calls).await? * 1000.0);
        }
        server.stop().await?;
        eprintln!("rep {}/{}: CPU per small call {:.4} ms", rep + 1, o.reps, cpu_small[rep]);
    }
    let mut result = json!({"cpu_ms_per_call": {"small": summary(&cpu_small)}, "calls": o.calls,
        "session_breakdown": {"user_ms": summary(&user), "system_ms": summary(&system), "context_switches": summary(&switches)}});
    if both {
        result["stateless_2026"] = json!({"cpu_ms_per_call": summary(&cpu_modern)});
    }
    Ok(result)
}

/// The regression report: every figure of `current` that moved by more than `threshold`
/// (a fraction) from `baseline` (the committed `docs/performance-results.json`), better or
/// worse. A figure is a repetition summary's median, or a plain number (sizes, counts).
/// Throughput (`calls_per_second`) is better when higher; everything else when lower.
pub fn regressions(baseline: &Value, current: &Value, threshold: f64) -> Vec<String> {
    fn figures(v: &Value, path: String, out: &mut Vec<(String, f64)>) {
        match v {
            Value::Object(map) if map.contains_key("median") => {
                if let Some(m) = map["median"].as_f64() {
                    out.push((path, m));
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    // Per-tool sizes are many small figures: the total stands for them.
                    if k != "per_tool" && k != "reps" {
                        figures(v, format!("{path}/{k}"), out);
                    }
                }
            }
            Value::Number(n) => out.extend(n.as_f64().map(|x| (path, x))),
            _ => {}
        }
    }
    let (mut now, mut then) = (Vec::new(), Vec::new());
    figures(current, String::new(), &mut now);
    figures(baseline, String::new(), &mut then);
    let then: std::collections::HashMap<_, _> = then.into_iter().collect();
    let mut lines = Vec::new();
    for (path, value) in now {
        let Some(&before) = then.get(&path) else { continue };
        let change = if before == 0.0 {
            if value == 0.0 { 0.0 } else { f64::INFINITY.copysign(value) }
        } else {
            (value - before) / before.abs()
        };
        if change.abs() <= threshold {
            continue;
        }
        let higher_is_better = path.contains("calls_per_second");
        let better = (value > before) == higher_is_better;
        lines.push(format!(
            "{} {path}: {before:.4} -> {value:.4} ({:+.0}%)",
            if better { "better" } else { "WORSE " },
            change * 100.0
        ));
    }
    lines
}

/// The human-readable table.
pub fn table(r: &Value) -> String {
    if r.get("direct_rest_ms").is_none() {
        // `--only`: the figures it measured.
        let f = |p: &str| {
            r.pointer(p).map_or(String::from("-"), |v| {
                format!(
                    "{:.4} ({:.4}–{:.4})",
                    v["median"].as_f64().unwrap_or(f64::NAN),
                    v["min"].as_f64().unwrap_or(f64::NAN),
                    v["max"].as_f64().unwrap_or(f64::NAN)
                )
            })
        };
        if r.get("rss_mib").is_some() {
            return format!(
                "RSS idle (MiB): {}\nRSS with 1000 sessions (MiB): {}\nKiB per session: {}\n",
                f("/rss_mib/idle"),
                f("/rss_mib/with_1000_sessions"),
                f("/rss_mib/kib_per_session")
            );
        }
        return format!(
            "CPU per small call (ms): {}\n2026 stateless client: CPU per small call (ms): {}\n",
            f("/cpu_ms_per_call/small"),
            f("/stateless_2026/cpu_ms_per_call")
        );
    }
    let m = |p: &str| r.pointer(&format!("{p}/median")).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let spread = |p: &str| {
        format!(
            "{:.3}–{:.3}",
            r.pointer(&format!("{p}/min")).and_then(Value::as_f64).unwrap_or(f64::NAN),
            r.pointer(&format!("{p}/max")).and_then(Value::as_f64).unwrap_or(f64::NAN)
        )
    };
    let rows = [
        ("direct REST p50 (ms)", "/direct_rest_ms/p50", ""),
        ("direct REST p90 (ms)", "/direct_rest_ms/p90", ""),
        ("direct REST p99 (ms)", "/direct_rest_ms/p99", ""),
        ("bridge tools/call p50 (ms)", "/bridge_tools_call_ms/p50", ""),
        ("bridge tools/call p90 (ms)", "/bridge_tools_call_ms/p90", ""),
        ("bridge tools/call p99 (ms)", "/bridge_tools_call_ms/p99", ""),
        ("added latency p50, 1 session (ms)", "/added_latency_ms/p50", "≤ 0.25"),
        ("added latency p99, 1 session (ms)", "/added_latency_ms/p99", "≤ 1"),
        ("CPU per small call (ms)", "/cpu_ms_per_call/small", "≤ 0.12"),
        ("2026 stateless client: added p50 (ms)", "/stateless_2026/added_p50_ms", "≤ 0.25"),
        ("2026 stateless client: added p99 (ms)", "/stateless_2026/added_p99_ms", "≤ 1"),
        ("2026 stateless client: CPU per small call (ms)", "/stateless_2026/cpu_ms_per_call", "≤ 0.12"),
        ("CPU per ~100 KB call (ms)", "/cpu_ms_per_call/large_response", ""),
        ("tools/list p50 (ms)", "/tools_list/p50_ms", "≤ 1"),
        ("first tools/list after start (ms)", "/first_tools_list_after_start_ms", "≤ 50"),
        ("RSS idle (MiB)", "/rss_mib/idle", "≤ 15"),
        ("RSS with 1000 sessions (MiB)", "/rss_mib/with_1000_sessions", ""),
        ("memory per session (KiB)", "/rss_mib/kib_per_session", "≤ 50"),
        ("16 sessions: calls/s", "/sessions_16/calls_per_second", ""),
        ("16 sessions: p99 (ms)", "/sessions_16/p99_ms", ""),
        ("16 sessions: added latency p50 (ms)", "/sessions_16/added_p50_ms", "≤ 0.25"),
        ("16 sessions: added latency p99 (ms)", "/sessions_16/added_p99_ms", "≤ 1"),
        ("256 sessions: calls/s", "/sessions_256/calls_per_second", ""),
        ("256 sessions: p99 (ms)", "/sessions_256/p99_ms", ""),
        ("stdio added latency p50 (ms)", "/stdio_added_latency_ms/p50", ""),
        ("stdio added latency p99 (ms)", "/stdio_added_latency_ms/p99", ""),
    ];
    let mut s = String::from("| figure | median | spread (min–max of reps) | target |\n|---|---|---|---|\n");
    for (name, path, target) in rows {
        s.push_str(&format!("| {name} | {:.3} | {} | {target} |\n", m(path), spread(path)));
    }
    s.push_str(&format!(
        "\ntools/list payload: {} bytes; large response: {} bytes\n",
        r["tools_list"]["payload_bytes"], r["cpu_ms_per_call"]["large_response_bytes"]
    ));
    for (label, run) in r["one_caller"].as_object().into_iter().flatten() {
        s.push_str(&format!(
            "one caller, {label}: {} of {} calls refused; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; peak RSS {:.1} MiB\n",
            run["refused"], run["calls"], run["p50_ms"].as_f64().unwrap_or(f64::NAN), run["p99_ms"].as_f64().unwrap_or(f64::NAN),
            run["max_ms"].as_f64().unwrap_or(f64::NAN), run["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
        ));
    }
    s.push_str(&format!(
        "what the model reads (name, description, inputSchema as compact JSON): {} bytes for {} tools (budget {}: 360 per tool)\n",
        r["model_visible_tool_list"]["total_bytes"], r["model_visible_tool_list"]["tools"],
        r["model_visible_tool_list"]["tools"].as_u64().unwrap_or(0) * 360
    ));
    s
}
