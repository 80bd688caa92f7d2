//! The transports and everything between a client and the bridge: stdio, streamable
//! HTTP with its guard (host, origin, CORS, authentication, sessions), JSON-RPC
//! well-formedness, resumable streams, the operator console and the client configuration.
//!
//! Transports carry requests to [`crate::bridge::Bridge`] and answers back; they decide
//! nothing about tools (the bridge and the guardrails do) and never call the backend.

pub mod client_config;
pub mod console;
pub mod events;
pub mod guard;
pub mod http;
pub mod jsonrpc;
pub mod metrics;
pub mod stdio;

pub use http::{HttpSettings, router, serve_http};
pub use stdio::serve_stdio;

use crate::bridge::Bridge;

/// Shutdown: refuse new calls and give the running ones `grace` to finish.
async fn drain(bridge: &Bridge, grace: std::time::Duration) {
    tracing::info!(
        calls = bridge.active_calls(),
        "shutting down: refusing new calls, finishing those in flight (up to {grace:?})"
    );
    let left = bridge.drain(grace).await;
    if left > 0 {
        tracing::warn!(
            calls = left,
            "shutdown deadline reached with calls still running: each was answered with a tool error saying it was cut off (raise MCP_SHUTDOWN_GRACE_SECS to wait longer)"
        );
    } else {
        tracing::info!("all calls finished");
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Hand freed memory back to the OS at once, and again whenever the server goes quiet.
///
/// Start-up leaves its garbage in the heap: the contract check fetches, parses and lowers
/// the backend's spec (about 2 MiB of freed memory: idle RSS after a first call 20.6 → 18.6
/// MiB with the check on, docs/performance.md). After
/// a burst (hundreds of sessions at once), glibc likewise keeps the freed memory in its
/// heaps: resident memory stays at the high-water mark although nothing uses it. So
/// `malloc_trim` runs once when the server is ready, then every few seconds if calls ran
/// since the last check and none is running now. (Linux with glibc only; elsewhere this
/// does nothing.)
pub fn spawn_memory_trimmer(bridge: Bridge) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        trim();
        let mut seen = bridge.total_calls();
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            let now = bridge.total_calls();
            if now != seen && bridge.active_calls() == 0 {
                seen = now;
                trim();
            }
        }
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: both only read or release the allocator's free memory; safe at any time.
    let info = unsafe {
        libc::malloc_trim(0);
        libc::mallinfo2()
    };
    // Bytes in use (excluding free and fragmented space): what a leak would grow.
    tracing::debug!(heap_in_use_kib = (info.uordblks + info.hblkhd) / 1024, "returned free memory to the OS");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
