//! `GET /metrics` (Prometheus text format) on a listener of its own (`MCP_METRICS_BIND`),
//! so a caller of `/mcp` can never read it; with `MCP_METRICS_TOKEN(_FILE)` it also wants
//! `Authorization: Bearer <token>` (required off loopback: `cli::config`).

use crate::telemetry::metrics::Metrics;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// The router of the metrics listener: `/metrics` and nothing else.
pub fn router(metrics: Arc<crate::telemetry::Telemetry>, token: Option<SecretString>) -> axum::Router {
    let token = token.map(|t| Arc::new(format!("Bearer {}", t.expose_secret())));
    axum::Router::new().route(
        "/metrics",
        get(move |headers: axum::http::HeaderMap| {
            let (metrics, token) = (metrics.clone(), token.clone());
            async move {
                if let Some(expected) = token {
                    let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()).unwrap_or_default();
                    // Compared in constant time: the token is a credential.
                    if !crate::guard::auth::same_secret(given, expected.as_bytes()) {
                        return (
                            StatusCode::UNAUTHORIZED,
                            [(header::WWW_AUTHENTICATE, "Bearer realm=\"vtoc-mcp metrics\"")],
                            "a bearer token is required (MCP_METRICS_TOKEN)",
                        )
                            .into_response();
                    }
                }
                match metrics.metrics.as_ref() {
                    Some(m) => exposition(m),
                    None => (StatusCode::NOT_FOUND, "metrics are off").into_response(),
                }
            }
        }),
    )
}

fn exposition(metrics: &Metrics) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
        .into_response()
}

/// Serve the metrics listener (until the task is stopped).
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    telemetry: Arc<crate::telemetry::Telemetry>,
    token: Option<SecretString>,
) -> std::io::Result<()> {
    axum::serve(listener, router(telemetry, token)).await
}
