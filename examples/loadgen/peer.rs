//! `make bench-peer`: the bridge against FastMCP's `from_openapi` on the same export, the
//! same standalone demo backend (`vtoc-mcp demo-backend`) and the same lean client
//! (`bench::Mcp`), in the same run. Each repetition starts both servers afresh, in
//! alternating order, and measures each the same way:
//!
//! - memory at rest (RSS after start and the first `tools/list`), and the tool list's bytes
//!   (the JSON-RPC message, and what a model reads: name, description and inputSchema);
//! - **at an agent's pace**: one small read every `pace_ms`, its latency and the server's
//!   CPU per call (summed over the server's threads from `/proc/<pid>/task/*/schedstat`,
//!   nanoseconds: at this pace a call costs less than the kernel's 10 ms tick);
//! - **in a tight loop**: the same read back to back, latency and CPU per call;
//! - **16 sessions** at once: calls per second, latency, refusals, peak RSS.
//!
//! Three more servers are measured the same way, in the same rotation: the **floors**
//! (floor.rs), which do only what any bridge must for one call: on the bridge's MCP library
//! (rmcp's streamable HTTP service, one tool, a minimal handler), on its HTTP stack without
//! it (tokio, hyper, axum, reqwest), and on the standard library alone. FastMCP / floor is
//! the largest ratio a bridge on that base could show on this machine, in this run; bridge
//! / rmcp floor is what the bridge's own layers cost above its library.
//!
//! The figures are medians over repetitions with their spread; the report is the ratio
//! FastMCP / bridge, and FastMCP / each floor. Written to `target/bench-peer/results.json`.

use crate::bench::{Mcp, summary};
use crate::common::{cpu_seconds, rss_kib};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Options {
    #[arg(long, default_value = "target/release/vtoc-mcp")]
    pub bin: String,
    /// Python of a venv with FastMCP (scripts/bench-peer.sh makes one).
    #[arg(long)]
    pub python: String,
    #[arg(long, default_value = "tests/frameworks/fastmcp_server.py")]
    pub fastmcp_server: String,
    #[arg(long, default_value = "openapi/vtoc.json")]
    pub spec: String,
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// An agent's pace: one call every this many milliseconds.
    #[arg(long, default_value_t = 75)]
    pub pace_ms: u64,
    #[arg(long, default_value_t = 200)]
    pub paced_calls: usize,
    #[arg(long, default_value_t = 500)]
    pub tight_calls: usize,
    #[arg(long, default_value_t = 16)]
    pub sessions: usize,
    #[arg(long, default_value_t = 50)]
    pub per_session: usize,
}

/// CPU time of all of a process's threads, in seconds, to the nanosecond (schedstat).
/// Threads that exited are not in it; [`cpu_seconds`] (ticks, all threads) is the check.
fn cpu_precise(pid: u32) -> f64 {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
            ns += s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    ns as f64 / 1e9
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process that is killed when dropped.
struct Proc {
    name: &'static str,
    child: Child,
    log: std::path::PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait until `url` answers 2xx (or the process exits).
    async fn ready(&mut self, url: &str, within: Duration) -> anyhow::Result<f64> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(url).send().await
                && r.status().is_success()
            {
                return Ok(started.elapsed().as_secs_f64());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "{} exited ({status}): {}",
                    self.name,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            anyhow::ensure!(
                started.elapsed() < within,
                "{} did not answer {url} within {within:?}: {}",
                self.name,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(name: &'static str, dir: &std::path::Path, mut cmd: Command) -> anyhow::Result<Proc> {
    let log = dir.join(format!("{name}.log"));
    cmd.stdout(Stdio::null()).stderr(std::fs::File::create(&log)?);
    Ok(Proc { name, child: cmd.spawn()?, log })
}

/// Which server, and how to call its small read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Which {
    Bridge,
    FastMcp,
    FloorRmcp,
    Floor,
    FloorStd,
}

impl Which {
    fn label(self) -> &'static str {
        match self {
            Which::Bridge => "vtoc-mcp",
            Which::FastMcp => "fastmcp",
            Which::FloorRmcp => "floor-rmcp",
            Which::Floor => "floor",
            Which::FloorStd => "floor-std",
        }
    }
}

/// The read both servers are asked for: the bridge's read by id (chosen by role), and
/// FastMCP's tool for the same operation (its name is a prefix of the operationId).
fn read_tool(which: Which, tools: &Value) -> anyhow::Result<String> {
    let read = vtoc_mcp::bridge::roles::collection().expect("the API has a REST collection").read;
    match which {
        Which::Bridge | Which::FloorRmcp | Which::Floor | Which::FloorStd => Ok(read.name.to_string()),
        Which::FastMcp => tools["result"]["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str())
            .filter(|n| read.operation_id.starts_with(n))
            .max_by_key(|n| n.len())
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("FastMCP lists no tool for {}", read.operation_id)),
    }
}

/// Bytes of a `tools/list` result as a model reads it: name, description and inputSchema
/// of each tool, as compact JSON.
fn model_visible(tools: &Value) -> usize {
    tools["result"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            json!({"name": t["name"], "description": t.get("description").cloned().unwrap_or(Value::Null),
                   "inputSchema": t["inputSchema"]})
            .to_string()
            .len()
        })
        .sum()
}

fn pct(mut v: Vec<Duration>, q: f64) -> f64 {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * q).round() as usize).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// One server, measured: start, memory at rest, list, paced calls, tight loop, 16 sessions.
async fn measure(which: Which, o: &Options, backend: &str, dir: &std::path::Path) -> anyhow::Result<Value> {
    let port = free_port()?;
    let mut cmd;
    match which {
        Which::Bridge => {
            cmd = Command::new(&o.bin);
            cmd.args(["serve", "--transport", "http", "--bind", &format!("127.0.0.1:{port}")])
                .env("VTOC_API_BASE_URL", backend)
                .env("VTOC_CONTRACT_CHECK", "off")
                .env("MCP_AUDIT_LOG", "off")
                .env("VTOC_MCP_LOG", "warn")
                // FastMCP lists every operation: the bridge lists the same 40 (writes allowed,
                // admin scope), so the tool lists compare like for like. Destructive calls
                // still ask for confirmation; the benchmark makes none.
                .env("MCP_ALLOW_WRITES", "true")
                .env("MCP_LOCAL_SCOPE", "vtoc:admin");
        }
        Which::FastMcp => {
            cmd = Command::new(&o.python);
            cmd.args([&o.fastmcp_server, "--spec", &o.spec, "--backend", backend, "--port", &port.to_string()]);
        }
        Which::FloorRmcp | Which::Floor | Which::FloorStd => {
            cmd = Command::new(std::env::current_exe()?);
            cmd.arg("floor");
            match which {
                Which::FloorRmcp => cmd.arg("--rmcp"),
                Which::FloorStd => cmd.arg("--std"),
                _ => &mut cmd,
            };
            cmd.args(["--port", &port.to_string(), "--backend", backend]);
        }
    }
    let started = Instant::now();
    let mut server = spawn(which.label(), dir, cmd)?;
    server.ready(&format!("http://127.0.0.1:{port}/healthz"), Duration::from_secs(60)).await?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).tcp_nodelay(true).build()?;
    let mcp = Mcp::connect(&http, &url).await?;
    let (list_bytes, tools) = mcp.list().await?;
    let ready_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.pid();
    let rss_idle = rss_kib(pid) as f64 / 1024.0;
    let tool = read_tool(which, &tools)?;
    let args = json!({"poi_id": 1});
    let first = mcp.call(&tool, args.clone()).await?;
    anyhow::ensure!(first.to_string().contains("\"name\""), "{}: unexpected read result {first}", which.label());
    for _ in 0..50 {
        mcp.call(&tool, args.clone()).await?;
    }

    // At an agent's pace: one call every pace_ms.
    let (c0, t0) = (cpu_precise(pid), cpu_seconds(pid));
    let mut paced = Vec::with_capacity(o.paced_calls);
    let tick = Duration::from_millis(o.pace_ms);
    let mut next = Instant::now();
    for _ in 0..o.paced_calls {
        next += tick;
        let t = Instant::now();
        mcp.call(&tool, args.clone()).await?;
        paced.push(t.elapsed());
        tokio::time::sleep_until(next.into()).await;
    }
    let (c1, t1) = (cpu_precise(pid), cpu_seconds(pid));
    let paced_cpu = (c1 - c0) * 1000.0 / o.paced_calls as f64;
    let paced_cpu_ticks = (t1 - t0) * 1000.0 / o.paced_calls as f64;

    // Tight loop.
    let (c0, t0) = (cpu_precise(pid), cpu_seconds(pid));
    let mut tight = Vec::with_capacity(o.tight_calls);
    let loop_started = Instant::now();
    for _ in 0..o.tight_calls {
        let t = Instant::now();
        mcp.call(&tool, args.clone()).await?;
        tight.push(t.elapsed());
    }
    let loop_s = loop_started.elapsed().as_secs_f64();
    let (c1, t1) = (cpu_precise(pid), cpu_seconds(pid));
    let tight_cpu = (c1 - c0) * 1000.0 / o.tight_calls as f64;
    let tight_cpu_ticks = (t1 - t0) * 1000.0 / o.tight_calls as f64;

    // Sessions at once, each calling back to back.
    let mut clients = Vec::new();
    for _ in 0..o.sessions {
        clients.push(Mcp::connect(&http, &url).await?);
    }
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_kib(pid)));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let c0 = cpu_precise(pid);
    let burst = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            let (tool, args, per) = (tool.clone(), args.clone(), o.per_session);
            tokio::spawn(async move {
                let (mut ok, mut refused) = (Vec::with_capacity(per), 0usize);
                for _ in 0..per {
                    let t = Instant::now();
                    match c.call(&tool, args.clone()).await {
                        Ok(_) => ok.push(t.elapsed()),
                        Err(_) => refused += 1,
                    }
                }
                (ok, refused)
            })
        })
        .collect();
    let (mut all, mut refused) = (Vec::new(), 0);
    for t in tasks {
        let (ok, r) = t.await?;
        all.extend(ok);
        refused += r;
    }
    let burst_s = burst.elapsed().as_secs_f64();
    let burst_cpu = (cpu_precise(pid) - c0) * 1000.0 / (o.sessions * o.per_session) as f64;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    let peak_mib = peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0;
    let rss_after = rss_kib(pid) as f64 / 1024.0;
    drop(server);
    Ok(json!({
        "tool": tool,
        "ready_s": ready_s,
        "rss_idle_mib": rss_idle,
        "rss_after_mib": rss_after,
        "tools": tools["result"]["tools"].as_array().map_or(0, Vec::len),
        "tools_list_bytes": list_bytes,
        "model_visible_bytes": model_visible(&tools),
        "paced": {"pace_ms": o.pace_ms, "calls": o.paced_calls, "cpu_ms_per_call": paced_cpu,
                  "cpu_ms_per_call_ticks": paced_cpu_ticks, "p50_ms": pct(paced.clone(), 0.5), "p99_ms": pct(paced, 0.99)},
        "tight": {"calls": o.tight_calls, "cpu_ms_per_call": tight_cpu, "cpu_ms_per_call_ticks": tight_cpu_ticks,
                  "calls_per_second": o.tight_calls as f64 / loop_s, "p50_ms": pct(tight.clone(), 0.5), "p99_ms": pct(tight, 0.99)},
        "sessions": {"sessions": o.sessions, "calls": o.sessions * o.per_session, "refused": refused,
                     "calls_per_second": all.len() as f64 / burst_s, "cpu_ms_per_call": burst_cpu,
                     "p50_ms": pct(all.clone(), 0.5), "p99_ms": pct(all, 0.99), "peak_rss_mib": peak_mib},
    }))
}

/// The figures compared, as (label, JSON pointer in one server's result, lower is better).
const FIGURES: &[(&str, &str, bool)] = &[
    ("server CPU per call, agent's pace (ms)", "/paced/cpu_ms_per_call", true),
    ("latency p50, agent's pace (ms)", "/paced/p50_ms", true),
    ("latency p99, agent's pace (ms)", "/paced/p99_ms", true),
    ("server CPU per call, tight loop (ms)", "/tight/cpu_ms_per_call", true),
    ("latency p50, tight loop (ms)", "/tight/p50_ms", true),
    ("latency p99, tight loop (ms)", "/tight/p99_ms", true),
    ("16 sessions: calls/s", "/sessions/calls_per_second", false),
    ("16 sessions: p50 (ms)", "/sessions/p50_ms", true),
    ("16 sessions: p99 (ms)", "/sessions/p99_ms", true),
    ("16 sessions: refused calls", "/sessions/refused", true),
    ("16 sessions: peak RSS (MiB)", "/sessions/peak_rss_mib", true),
    ("RSS at rest (MiB)", "/rss_idle_mib", true),
    ("tools listed", "/tools", false),
    ("tools/list message (bytes)", "/tools_list_bytes", true),
    ("tool list as a model reads it (bytes)", "/model_visible_bytes", true),
    ("start to first tools/list (s)", "/ready_s", true),
];

/// The figures the floors have no part in: they list no tools, and their memory and start
/// are the load generator's, whose binary they run in.
const NOT_FLOOR: &[&str] =
    &["/tools", "/tools_list_bytes", "/model_visible_bytes", "/sessions/peak_rss_mib", "/rss_idle_mib", "/ready_s"];

fn version(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub async fn run(o: Options) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let backend_url = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(&o.bin);
    cmd.args(["demo-backend", "--bind", &format!("127.0.0.1:{port}")]).env("VTOC_MCP_LOG", "warn");
    let mut backend = spawn("demo-backend", dir.path(), cmd)?;
    backend.ready(&format!("{backend_url}/healthz"), Duration::from_secs(20)).await?;

    let mut runs: Vec<(Which, Value)> = Vec::new();
    for rep in 0..o.reps {
        // Each server goes first in turn.
        let mut order = [Which::Bridge, Which::FastMcp, Which::FloorRmcp, Which::Floor, Which::FloorStd];
        let servers = order.len();
        order.rotate_left(rep % servers);
        for which in order {
            let r = measure(which, &o, &backend_url, dir.path()).await?;
            eprintln!(
                "rep {}/{} {}: CPU/call paced {:.3} ms, tight {:.3} ms; 16 sessions {:.0} calls/s",
                rep + 1,
                o.reps,
                which.label(),
                r["paced"]["cpu_ms_per_call"].as_f64().unwrap_or(f64::NAN),
                r["tight"]["cpu_ms_per_call"].as_f64().unwrap_or(f64::NAN),
                r["sessions"]["calls_per_second"].as_f64().unwrap_or(f64::NAN)
            );
            runs.push((which, r));
        }
    }
    let backend_cpu_s = cpu_seconds(backend.pid());
    drop(backend);

    let mut figures = serde_json::Map::new();
    for (label, pointer, lower_better) in FIGURES {
        let of = |w: Which| -> Vec<f64> {
            runs.iter()
                .filter(|(x, _)| *x == w)
                .filter_map(|(_, r)| r.pointer(pointer).and_then(Value::as_f64))
                .collect()
        };
        let (ours, theirs) = (summary(&of(Which::Bridge)), summary(&of(Which::FastMcp)));
        let median = |s: &Value| s["median"].as_f64().unwrap_or(f64::NAN);
        // How many times better than FastMCP: FastMCP / x for costs, x / FastMCP for
        // throughput.
        let better = |x: f64| if *lower_better { median(&theirs) / x } else { x / median(&theirs) };
        let mut figure = json!({"pointer": pointer, "vtoc_mcp": ours, "fastmcp": theirs,
                                "times_better": better(median(&ours))});
        if !NOT_FLOOR.contains(pointer) {
            for (floor, key) in
                [(Which::FloorRmcp, "floor_rmcp"), (Which::Floor, "floor"), (Which::FloorStd, "floor_std")]
            {
                let floor = summary(&of(floor));
                figure[format!("{key}_times_better")] = json!(better(median(&floor)));
                figure[key] = floor;
            }
        }
        figures.insert(label.to_string(), figure);
    }
    let fastmcp_version = version(
        &o.python,
        &[
            "-c",
            "import importlib.metadata as m, sys; print(m.version('fastmcp'), m.version('mcp'), sys.version.split()[0])",
        ],
    );
    let mut parts = fastmcp_version.split_whitespace();
    Ok(json!({
        "date": version("date", &["-u", "+%Y-%m-%d"]),
        "commit": version("git", &["rev-parse", "--short", "HEAD"]),
        "vtoc_mcp_version": version(&o.bin, &["--version"]),
        "fastmcp_version": parts.next().unwrap_or_default(),
        "mcp_python_version": parts.next().unwrap_or_default(),
        "python_version": parts.next().unwrap_or_default(),
        "settings": {"reps": o.reps, "pace_ms": o.pace_ms, "paced_calls": o.paced_calls, "tight_calls": o.tight_calls,
                     "sessions": o.sessions, "per_session": o.per_session, "backend": "vtoc-mcp demo-backend",
                     "spec": o.spec, "cpus": std::thread::available_parallelism().map_or(0, |n| n.get())},
        "backend_cpu_s": backend_cpu_s,
        "figures": figures,
        "runs": runs.iter().map(|(w, r)| json!({"server": w.label(), "result": r})).collect::<Vec<_>>(),
    }))
}

/// The tables: each figure's medians (spread) and how many times better than FastMCP the
/// bridge is; then the floors, and the most a bridge on each could be.
pub fn table(r: &Value) -> String {
    let mut s = format!(
        "bench-peer {} at {}: {} vs FastMCP {} (mcp {}, Python {}), {} repetitions, {} ms pace\n\n",
        r["date"].as_str().unwrap_or_default(),
        r["commit"].as_str().unwrap_or_default(),
        r["vtoc_mcp_version"].as_str().unwrap_or_default(),
        r["fastmcp_version"].as_str().unwrap_or_default(),
        r["mcp_python_version"].as_str().unwrap_or_default(),
        r["python_version"].as_str().unwrap_or_default(),
        r["settings"]["reps"],
        r["settings"]["pace_ms"],
    );
    let cell = |v: &Value| {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let digits = if f("median").abs() >= 100.0 { 0 } else { 3 };
        format!("{:.*} ({:.*}–{:.*})", digits, f("median"), digits, f("min"), digits, f("max"))
    };
    // A count (the tools listed, the refusals) is context, not a score.
    let times = |f: &Value, key: &str| match f[key].as_f64() {
        Some(ratio) if ratio.is_finite() && ratio > 0.0 => format!("{ratio:.1}× better"),
        _ => "—".to_string(),
    };
    s.push_str("| figure | vtoc-mcp | FastMCP | vtoc-mcp is |\n|---|---:|---:|---:|\n");
    for (label, _, _) in FIGURES {
        let f = &r["figures"][*label];
        let ratio = if *label == "tools listed" { "—".to_string() } else { times(f, "times_better") };
        s.push_str(&format!("| {label} | {} | {} | {ratio} |\n", cell(&f["vtoc_mcp"]), cell(&f["fastmcp"])));
    }
    s.push_str(
        "\nThe floors: only what any bridge must do for a call, on the bridge's MCP library (rmcp), on \
         its stack without it (tokio, hyper, axum, reqwest) and on the standard library alone; \
         \"at most\" is FastMCP / floor.\n\n\
         | figure | floor, rmcp | at most | floor, bridge's stack | at most | floor, std only | at most |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (label, _, _) in FIGURES {
        let f = &r["figures"][*label];
        if f.get("floor").is_some() {
            s.push_str(&format!(
                "| {label} | {} | {} | {} | {} | {} | {} |\n",
                cell(&f["floor_rmcp"]),
                times(f, "floor_rmcp_times_better"),
                cell(&f["floor"]),
                times(f, "floor_times_better"),
                cell(&f["floor_std"]),
                times(f, "floor_std_times_better")
            ));
        }
    }
    s
}
