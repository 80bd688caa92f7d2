//! What the soak and the benchmark share: a fast backend on loopback, the server under
//! test as a separate process, and readings from /proc.

use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// The tools the soak and the benchmark call, chosen by role from the generated table
/// (`vtoc_mcp::bridge::roles`), so a renamed operation changes nothing here: the richest
/// collection's read by id and its list (vTOC today: `get_poi`, `list_poi`).
#[derive(Clone, Copy)]
pub struct Calls {
    pub read: &'static str,
    pub list: &'static str,
    /// The collection's destructive DELETE by id, when it has one (`delete_poi`).
    pub delete: Option<&'static str>,
    id: &'static str,
    read_path: &'static str,
    list_path: &'static str,
}

/// Chosen once: the benchmark calls this inside its timed loops.
pub fn calls() -> Calls {
    static CALLS: std::sync::OnceLock<Calls> = std::sync::OnceLock::new();
    *CALLS.get_or_init(|| {
        let c = vtoc_mcp::bridge::roles::collection().expect("the API has a REST collection (GET /things/{id})");
        Calls {
            read: c.read.name,
            list: c.list.name,
            delete: c.delete.map(|d| d.name),
            id: c.id,
            read_path: c.read.path,
            list_path: c.list.path,
        }
    })
}

impl Calls {
    /// The read's arguments for item `id`.
    pub fn read_args(&self, id: impl Into<u64>) -> Value {
        let id: u64 = id.into();
        json!({ self.id: id })
    }

    /// The name of the item's id argument (`poi_id`).
    pub fn id_name(&self) -> &'static str {
        self.id
    }

    /// The backend URL the read fetches for item `id`.
    pub fn read_url(&self, base: &str, id: usize) -> String {
        format!("{base}{}", self.read_path.replace(&format!("{{{}}}", self.id), &id.to_string()))
    }
}

/// A minimal vTOC-shaped backend: the read of [`calls`] (a small PoiRead), its list (about
/// 100 KB), `/healthz`. A share of the POI reads fail with 500,
/// chosen by a fixed hash of the call number (deterministic).
#[derive(Clone)]
pub struct Backend {
    pub url: String,
    state: Arc<BackendState>,
}

struct BackendState {
    fail_percent: u64,
    /// Added to every POI read, in microseconds (a backend that does real work).
    delay_us: AtomicU64,
    calls: AtomicU64,
    injected: AtomicU64,
    big: String,
}

pub fn poi(id: u64) -> Value {
    json!({"created_at": "2026-11-01T12:00:00Z", "updated_at": "2026-11-01T12:00:00Z", "id": id, "name": "Grey Utility Van",
        "category": "vehicle", "risk_level": "medium", "notes": null, "is_active": true, "identifiers": []})
}

async fn one(State(s): State<Arc<BackendState>>, Path(id): Path<u64>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let n = s.calls.fetch_add(1, Ordering::Relaxed);
    let delay = s.delay_us.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_micros(delay)).await;
    }
    if (n.wrapping_mul(2_654_435_761) >> 7) % 100 < s.fail_percent {
        s.injected.fetch_add(1, Ordering::Relaxed);
        return (http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"detail": "injected failure"})))
            .into_response();
    }
    axum::Json(poi(id)).into_response()
}

impl Backend {
    pub async fn start(fail_percent: u32) -> Backend {
        let big: Vec<Value> = (1..=500).map(poi).collect();
        let state = Arc::new(BackendState {
            fail_percent: u64::from(fail_percent),
            delay_us: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            big: serde_json::to_string(&big).unwrap(),
        });
        let app = axum::Router::new()
            .route(calls().read_path, get(one).delete(|| async { http::StatusCode::NO_CONTENT }))
            .route(
                calls().list_path,
                get(|State(s): State<Arc<BackendState>>| async move {
                    ([(http::header::CONTENT_TYPE, "application/json")], s.big.clone())
                }),
            )
            .route("/healthz", get(|| async { axum::Json(json!({"status": "ok"})) }))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Backend { url, state }
    }

    /// Make every POI read take this long.
    pub fn set_delay(&self, delay: Duration) {
        self.state.delay_us.store(delay.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn calls(&self) -> u64 {
        self.state.calls.load(Ordering::Relaxed)
    }

    pub fn injected(&self) -> u64 {
        self.state.injected.load(Ordering::Relaxed)
    }

    pub fn reset_counts(&self) {
        self.state.calls.store(0, Ordering::Relaxed);
        self.state.injected.store(0, Ordering::Relaxed);
    }

    /// Size of the large list response, in bytes.
    pub fn big_len(&self) -> usize {
        self.state.big.len()
    }
}

/// The server under test, as its own process (so its memory and CPU are its own).
pub struct Server {
    pub url: String,
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(bin: &str, backend: &str, env: &[(&str, &str)]) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("server.log");
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
            .env("VTOC_API_BASE_URL", backend)
            .env("VTOC_CONTRACT_CHECK", "off")
            .env("MCP_AUDIT_LOG", "off")
            .env("VTOC_MCP_LOG", "info,rmcp=warn,vtoc_mcp::transport=debug")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        // Up to 60 s: a server run under valgrind (instruction counts) starts slowly. One
        // that exits is reported at once.
        for _ in 0..6000 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.contains("MCP streamable HTTP on http://")) {
                let url = line[line.find("http://").unwrap()..].trim().to_string();
                return Ok(Server { url, child, dir });
            }
            if child.try_wait()?.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!("the server did not start: {}", std::fs::read_to_string(&log).unwrap_or_default())
    }

    /// The last heap-in-use figure the server logged after returning memory (KiB).
    pub fn heap_in_use_kib(&self) -> Option<u64> {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).ok()?;
        log.lines().rev().find_map(|l| {
            let i = l.find("heap_in_use_kib")?;
            l[i..].split(|c: char| !c.is_ascii_digit()).find(|t| !t.is_empty())?.parse().ok()
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status()?;
        let status = tokio::task::spawn_blocking(move || self.child.wait()).await??;
        anyhow::ensure!(status.success(), "the server exited with {status}");
        Ok(())
    }
}

/// Resident memory of a process, in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
        })
        .flatten()
        .unwrap_or(0)
}

/// CPU time a process has used (user + system), in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok())).sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc_sysconf_clk_tck() };
    ticks / hz
}

/// CPU time a process has used, split: (user, system), in seconds.
pub fn cpu_split(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc_sysconf_clk_tck() };
    (tick(11) / hz, tick(12) / hz)
}

/// Context switches (voluntary, involuntary) of all of a process's live threads.
pub fn context_switches(pid: u32) -> (u64, u64) {
    let mut total = (0, 0);
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            let value = |l: &str| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            if line.starts_with("voluntary_ctxt_switches") {
                total.0 += value(line);
            } else if line.starts_with("nonvoluntary_ctxt_switches") {
                total.1 += value(line);
            }
        }
    }
    total
}

unsafe extern "C" {
    fn sysconf(name: i32) -> i64;
}

/// `sysconf(_SC_CLK_TCK)`; _SC_CLK_TCK is 2 on Linux.
unsafe fn libc_sysconf_clk_tck() -> f64 {
    let v = unsafe { sysconf(2) };
    if v > 0 { v as f64 } else { 100.0 }
}
