//! Transports: stdio, and streamable HTTP at `/mcp` with `/healthz` beside it.
//!
//! The HTTP side is a plain `axum::Router` (see [`router`]) so tests can serve it on
//! `127.0.0.1:0`; rmcp's service handles both protocol eras: 2025 clients with an
//! `initialize` handshake and sessions, and stateless 2026-07-28 requests.

use crate::auth::HttpGuard;
use crate::server::Bridge;
use axum::Json;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Serve MCP over stdin/stdout until the client closes stdin or `shutdown` resolves.
pub async fn serve_stdio(
    bridge: Bridge,
    shutdown: impl Future<Output = ()>,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let (pipes, writer) = checked_stdio();
    let running = match bridge.clone().serve(pipes).await {
        Ok(running) => running,
        // The client went away before the handshake: nothing to serve, not a failure.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("stdin closed before the MCP handshake; exiting");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let cancel = running.cancellation_token();
    tokio::select! {
        quit = running.waiting() => { quit?; }
        () = shutdown => {
            drain(&bridge, grace).await;
            cancel.cancel();
        }
    }
    // Everything written reaches stdout before the process ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
    Ok(())
}

/// stdin and stdout for rmcp, with every incoming line checked first (`jsonrpc.rs`): a
/// malformed message is answered here with its JSON-RPC error (rmcp would drop it without
/// an answer) and never reaches rmcp. Lines out, rmcp's and ours, are written whole.
fn checked_stdio() -> ((tokio::io::DuplexStream, tokio::io::DuplexStream), tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    const PIPE: usize = 1 << 16;
    let (rmcp_in, mut to_rmcp) = tokio::io::duplex(PIPE);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE);
    let (errors, mut error_lines) = tokio::sync::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdin.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let message = line.trim_ascii();
            if message.is_empty() {
                continue;
            }
            match crate::jsonrpc::check(message) {
                Ok(_) => {
                    if to_rmcp.write_all(message).await.is_err() || to_rmcp.write_all(b"\n").await.is_err() {
                        break;
                    }
                }
                Err(rejection) => {
                    tracing::debug!(code = rejection.code, "refused a malformed message on stdin");
                    let _ = errors.send(rejection.response().to_string()).await;
                }
            }
        }
        // stdin closed: rmcp sees the end of its input and stops.
        let _ = to_rmcp.shutdown().await;
    });
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        let mut from_rmcp = BufReader::new(from_rmcp).lines();
        let (mut rmcp_open, mut errors_open) = (true, true);
        loop {
            let line = tokio::select! {
                line = from_rmcp.next_line(), if rmcp_open => match line {
                    Ok(Some(l)) => l,
                    _ => { rmcp_open = false; continue; }
                },
                error = error_lines.recv(), if errors_open => match error {
                    Some(e) => e,
                    None => { errors_open = false; continue; }
                },
                else => break,
            };
            if stdout.write_all(line.as_bytes()).await.is_err()
                || stdout.write_all(b"\n").await.is_err()
                || stdout.flush().await.is_err()
            {
                break;
            }
        }
    });
    ((rmcp_in, rmcp_out), writer)
}

/// Settings of the HTTP transport.
pub struct HttpSettings {
    pub guard: Arc<HttpGuard>,
    /// No MCP sessions: any replica answers any request (see `MCP_STATELESS`).
    pub stateless: bool,
    /// Idle MCP sessions expire after this.
    pub session_idle: std::time::Duration,
    /// At most this many MCP sessions at once; more `initialize` requests get 503.
    pub max_sessions: usize,
    /// The URL clients use for `/mcp` (behind a proxy); else derived from each request.
    pub public_url: Option<String>,
    /// Serve the operator console at `/console/`.
    pub console: bool,
}

/// The HTTP application: `/mcp` (streamable HTTP) behind the guard, `/healthz`, and the
/// OAuth protected resource metadata when OAuth is configured.
pub fn router(bridge: Bridge, settings: HttpSettings, cancel: CancellationToken) -> axum::Router {
    let tool_count = bridge.catalog().count();
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel)
        .with_allowed_hosts(settings.guard.allowed_hosts.clone())
        .with_max_request_body_bytes(settings.guard.max_request_bytes)
        // Stateless: 2025-era requests are answered without a session, as 2026-07-28
        // requests always are.
        .with_legacy_session_mode(!settings.stateless)
        // Requests answered without a session get plain JSON when the answer is one message
        // (rmcp falls back to SSE if the handler sends anything first): no SSE framing, no
        // keep-alive timer. Measured: 0.32 -> 0.23 ms added per 2026 call (docs/performance.md).
        .with_json_response(true);
    let factory = bridge.clone();
    // Events are kept for resumption (see `events.rs`: rmcp's cache loses a completed
    // request's result).
    let mut manager = LocalSessionManager::default().with_event_store(Arc::new(crate::events::Events::default()));
    manager.session_config.keep_alive = Some(settings.session_idle);
    let manager = Arc::new(manager);
    settings.guard.limit_sessions(manager.clone(), settings.max_sessions);
    let sessions = manager.clone();
    let mcp = StreamableHttpService::new(move || Ok(factory.for_session()), manager, config);
    let health = bridge.clone();
    let metadata = settings.guard.oauth.as_ref().map(|v| Arc::new(crate::auth::resource_metadata(v.config())));
    let config_guard = settings.guard.clone();
    let config_bridge = bridge.clone();
    let (public_url, stateless) = (settings.public_url.clone(), settings.stateless);
    let mut app = axum::Router::new()
        .nest_service("/mcp", mcp)
        .route(
            "/.well-known/mcp-config",
            get(move |request: axum::extract::Request| {
                let (guard, bridge, public_url) = (config_guard.clone(), config_bridge.clone(), public_url.clone());
                async move { client_config(&bridge, &guard, public_url, stateless, request) }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(settings.guard.clone(), crate::auth::guard))
        .layer(crate::auth::cors(&settings.guard.allowed_origins))
        .layer(axum::middleware::from_fn_with_state(settings.guard, crate::auth::edge))
        .route(
            "/healthz",
            get(move || {
                let (bridge, sessions) = (health.clone(), sessions.clone());
                async move {
                    let draining = bridge.is_draining();
                    let body = json!({
                        "status": if draining { "draining" } else { "ok" },
                        "tools": tool_count,
                        "sessions": sessions.sessions.read().await.len(),
                        "active_calls": bridge.active_calls(),
                    });
                    let code = if draining { http::StatusCode::SERVICE_UNAVAILABLE } else { http::StatusCode::OK };
                    (code, Json(body))
                }
            }),
        );
    if settings.console {
        app = app.merge(crate::console::routes());
    }
    if let Some(doc) = metadata {
        let handler = move || {
            let doc = doc.clone();
            async move { Json((*doc).clone()) }
        };
        app = app
            .route("/.well-known/oauth-protected-resource", get(handler.clone()))
            .route("/.well-known/oauth-protected-resource/mcp", get(handler));
    }
    app
}

/// `GET /.well-known/mcp-config` for the caller the guard authenticated.
fn client_config(
    bridge: &Bridge,
    guard: &HttpGuard,
    public_url: Option<String>,
    stateless: bool,
    request: axum::extract::Request,
) -> axum::response::Response {
    let Some(caller) = request.extensions().get::<crate::auth::Caller>() else {
        return (http::StatusCode::UNAUTHORIZED, "not authenticated").into_response();
    };
    let url = public_url.unwrap_or_else(|| {
        let headers = request.headers();
        let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
        let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
            Some("https") => "https",
            _ => "http",
        };
        format!("{scheme}://{host}/mcp")
    });
    let endpoint = crate::client_config::Endpoint {
        url,
        resource_metadata: guard.metadata_url(),
        auth_required: guard.anonymous.is_none(),
        stateless,
    };
    let mut response = Json(crate::client_config::document(bridge, caller, &endpoint)).into_response();
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

/// Serve HTTP on `listener` until `shutdown` resolves. Then: new tool calls are refused
/// (and `/healthz` answers 503), calls in flight get up to `grace` to finish, streams are
/// closed, and the server stops.
pub async fn serve_http(
    bridge: Bridge,
    settings: HttpSettings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    let app = router(bridge.clone(), settings, cancel.clone());
    let stop = cancel.clone();
    // Responses (SSE events especially) go out in several small writes: without
    // TCP_NODELAY, Nagle's algorithm and the client's delayed ACK add ~40 ms to each call.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            drain(&bridge, grace).await;
            // Returning stops the listener; axum then waits for open requests, whose
            // responses are still being written. Long-lived SSE streams end when the
            // token is cancelled, a moment later.
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                stop.cancel();
            });
        })
        .await?;
    Ok(())
}

async fn drain(bridge: &Bridge, grace: std::time::Duration) {
    tracing::info!(
        calls = bridge.active_calls(),
        "shutting down: refusing new calls, finishing those in flight (up to {grace:?})"
    );
    let left = bridge.drain(grace).await;
    if left > 0 {
        tracing::warn!(calls = left, "shutdown deadline reached with calls still running; they are cut off");
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

/// Hand freed memory back to the OS once the server goes quiet.
///
/// After a burst (hundreds of sessions at once), glibc keeps the freed memory in its
/// heaps: resident memory stays at the high-water mark although nothing uses it. Every few
/// seconds, if calls ran since the last check and none is running now, `malloc_trim`
/// returns the free pages. (Linux with glibc only; elsewhere this does nothing.)
pub fn spawn_memory_trimmer(bridge: Bridge) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
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
    /// glibc's `struct mallinfo2` (glibc 2.33+).
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: both only read or release the allocator's free memory; safe at any time.
    let info = unsafe {
        malloc_trim(0);
        mallinfo2()
    };
    // Bytes in use (excluding free and fragmented space): what a leak would grow.
    tracing::debug!(heap_in_use_kib = (info.uordblks + info.hblkhd) / 1024, "returned free memory to the OS");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
