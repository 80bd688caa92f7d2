//! Streamable HTTP at `/mcp`, with `/healthz`, the client configuration, the console and
//! the OAuth metadata beside it. A plain `axum::Router` (see [`router`]) so tests can serve
//! it on `127.0.0.1:0`; rmcp's service handles both protocol eras: 2025 clients with an
//! `initialize` handshake and sessions, and stateless 2026-07-28 requests.

use super::drain;
use super::guard::HttpGuard;
use crate::bridge::Bridge;
use axum::Json;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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
    let (settings_stateless, settings_idle) = (settings.stateless, settings.session_idle);
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel)
        // The edge (`guard::edge`) checks `Host` against the same list before rmcp sees a
        // request. rmcp's own copy of the check cloned the list and parsed the Host on every
        // request: 16,000 instructions a call (docs/performance.md).
        .disable_allowed_hosts()
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
    // With a shared store, streams answered without a session are copied there too (any
    // replica resumes them); a session's stay here, with the session (`events::Sessions`).
    let local = Arc::new(crate::transport::events::Events::default());
    let sessionless = bridge.guardrails().shared.as_ref().map(|store| {
        Arc::new(crate::transport::events::Shared::new(local.clone(), store.clone()))
            as Arc<dyn rmcp::transport::streamable_http_server::session::EventStore>
    });
    let mut manager = LocalSessionManager::default().with_event_store(local.clone());
    manager.session_config.keep_alive = Some(settings.session_idle);
    let manager = Arc::new(manager);
    settings.guard.limit_sessions(manager.clone(), settings.max_sessions);
    settings.guard.guard_bridge(&bridge);
    let telemetry = bridge.guardrails().telemetry.clone();
    settings.guard.report_to(telemetry.clone());
    if let Some(metrics) = &telemetry.metrics {
        metrics.read_gauges_from(Arc::new(Kept { sessions: manager.clone(), events: local }));
    }
    let sessions = manager.clone();
    let streams = Arc::new(crate::transport::events::Sessions { inner: manager, sessionless });
    let mcp = StreamableHttpService::new(move || Ok(factory.for_session()), streams, config);
    let health = bridge.clone();
    let metadata = settings.guard.oauth.as_ref().map(|v| Arc::new(crate::guard::auth::resource_metadata(v.config())));
    let config_guard = settings.guard.clone();
    let config_bridge = bridge.clone();
    let (public_url, stateless, console) = (settings.public_url.clone(), settings.stateless, settings.console);
    let guarded = axum::Router::new().nest_service("/mcp", mcp).route(
        "/.well-known/mcp-config",
        get(move |request: axum::extract::Request| {
            let (guard, bridge, public_url) = (config_guard.clone(), config_bridge.clone(), public_url.clone());
            async move { client_config(&bridge, &guard, public_url, stateless, console, request) }
        }),
    );
    // axum clones the services beneath a layer to call them, on every request: each layer
    // costs a call a clone of everything under it. Without MCP_ALLOWED_ORIGINS there is no
    // CORS to answer, and the edge and the guard are one layer (docs/performance.md).
    let guard = settings.guard.clone();
    let guarded = if guard.allowed_origins.is_empty() {
        guarded.layer(axum::middleware::from_fn_with_state(guard, crate::transport::guard::edge_and_guard))
    } else {
        guarded
            .layer(axum::middleware::from_fn_with_state(guard.clone(), crate::transport::guard::guard))
            .layer(crate::transport::guard::cors(&guard.allowed_origins))
            .layer(axum::middleware::from_fn_with_state(guard, crate::transport::guard::edge))
    };
    let mut app = guarded.route(
        "/healthz",
        get(move || {
            let (bridge, sessions) = (health.clone(), sessions.clone());
            async move {
                let draining = bridge.is_draining();
                // With a shared store down, destructive calls are refused but reads
                // work: the replica stays in service (200), and says it is degraded.
                let store = match &bridge.guardrails().shared {
                    Some(store) => Some(store.ping().await.is_ok()),
                    None => None,
                };
                let status = match (draining, store) {
                    (true, _) => "draining",
                    (false, Some(false)) => "degraded",
                    (false, _) => "ok",
                };
                let mut body = json!({
                    "status": status,
                    "tools": tool_count,
                    "sessions": sessions.sessions.read().await.len(),
                    "active_calls": bridge.active_calls(),
                });
                if let Some(ok) = store {
                    body["state_store"] = json!(if ok { "ok" } else { "unreachable" });
                }
                let code = if draining { http::StatusCode::SERVICE_UNAVAILABLE } else { http::StatusCode::OK };
                (code, Json(body))
            }
        }),
    );
    if settings.console {
        app = app.merge(crate::transport::console::routes());
    }
    // One layer for every route (see above: layers cost per request):
    // - the call path fits confirmations into the session's life, and explains why a
    //   stateless server cannot ask a 2025-era client;
    // - while draining, every HTTP/1.1 response asks to close its connection, so a load
    //   balancer sends the next request elsewhere instead of reusing a connection to a
    //   process that is about to exit (nginx answered those with 502).
    let sessions =
        crate::bridge::Sessions { stateless: settings_stateless, idle: (!settings_stateless).then_some(settings_idle) };
    let closing = bridge.clone();
    app = app.layer(axum::middleware::from_fn(
        move |mut request: axum::extract::Request, next: axum::middleware::Next| {
            let closing = closing.clone();
            async move {
                request.extensions_mut().insert(sessions);
                let http1 = request.version() <= http::Version::HTTP_11;
                let mut response = next.run(request).await;
                if http1 && closing.is_draining() {
                    response.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
                }
                response
            }
        },
    ));
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

/// What the metrics read of this server at scrape time: sessions and kept stream events.
struct Kept {
    sessions: Arc<LocalSessionManager>,
    events: Arc<crate::transport::events::Events>,
}

impl crate::telemetry::metrics::Gauges for Kept {
    fn read(&self) -> (Option<i64>, i64, i64) {
        // A scrape never waits on the session table: while it is being written, the gauge
        // keeps its last value.
        let sessions = self.sessions.sessions.try_read().map(|s| s.len() as i64).ok();
        let (events, bytes) = self.events.size();
        (sessions, events as i64, bytes as i64)
    }
}

/// `GET /.well-known/mcp-config` for the caller the guard authenticated.
fn client_config(
    bridge: &Bridge,
    guard: &HttpGuard,
    public_url: Option<String>,
    stateless: bool,
    console: bool,
    request: axum::extract::Request,
) -> axum::response::Response {
    let Some(caller) = request.extensions().get::<crate::guard::caller::Caller>() else {
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
    let endpoint = crate::transport::client_config::Endpoint {
        url,
        resource_metadata: guard.metadata_url(),
        auth_required: guard.anonymous.is_none(),
        stateless,
        console,
    };
    let mut response = Json(crate::transport::client_config::document(bridge, caller, &endpoint)).into_response();
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
