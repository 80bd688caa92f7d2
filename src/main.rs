//! `vtoc-mcp`: serve the vTOC REST API as MCP tools.
//!
//! Logs go to stderr (stdout carries the stdio protocol). Exit codes: 0 done,
//! 1 runtime failure, 2 configuration error.

use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;
use vtoc_mcp::config::{Cli, Command, ServeArgs, Transport};
use vtoc_mcp::server::Bridge;
use vtoc_mcp::support::Backend;
use vtoc_mcp::transport::HttpSettings;
use vtoc_mcp::{demo, transport};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::DemoBackend { bind } => demo_backend(bind).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let config = e.downcast_ref::<vtoc_mcp::config::ConfigError>().is_some();
            tracing::error!("{e:#}");
            if config { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VTOC_MCP_LOG").unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    if std::env::var("VTOC_MCP_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let guardrails = args.guard.guardrails()?;
    // Check every HTTP setting before anything starts.
    let http = match args.transport {
        Transport::Http => Some(HttpSettings {
            guard: Arc::new(args.guard.http_guard(args.bind, guardrails.audit.clone())?),
            allowed_hosts: args.guard.allowed_hosts(),
        }),
        Transport::Stdio => None,
    };
    let (backend, demo_task) = backend(&args).await?;
    let bridge = Bridge::new(backend.clone(), guardrails).map_err(anyhow::Error::msg)?;
    let policy = &bridge.guardrails().policy;
    tracing::info!(
        tools = bridge.tools().len(),
        backend = %backend.base_url,
        writes = policy.allow_writes,
        "vtoc-mcp ready{}",
        if policy.allow_writes { "" } else { " (read-only: set MCP_ALLOW_WRITES=true to serve tools that change data)" }
    );
    let outcome = match (args.transport, http) {
        (Transport::Http, Some(settings)) => {
            let listener = tokio::net::TcpListener::bind(args.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {} (MCP_BIND): {e}", args.bind))?;
            tracing::info!("MCP streamable HTTP on http://{}/mcp", listener.local_addr()?);
            transport::serve_http(bridge, settings, listener, transport::shutdown_signal()).await
        }
        _ => transport::serve_stdio(bridge, transport::shutdown_signal()).await,
    };
    if let Some(task) = demo_task {
        task.abort();
    }
    outcome
}

/// The configured backend, or the embedded demo backend when none is configured.
async fn backend(args: &ServeArgs) -> anyhow::Result<(Arc<Backend>, Option<tokio::task::JoinHandle<()>>)> {
    match (&args.backend.base_url, args.demo) {
        (Some(url), false) => Ok((args.backend.build(url)?, None)),
        (configured, _) => {
            if configured.is_none() {
                tracing::warn!(
                    "VTOC_API_BASE_URL is not set: serving the embedded demo backend (in-memory sample data, not a real vTOC)"
                );
            }
            let (addr, task) =
                demo::spawn("127.0.0.1:0".parse()?, demo::DemoState::seeded(), std::future::pending::<()>()).await?;
            let url = format!("http://{addr}");
            tracing::info!(%url, "embedded demo backend listening");
            Ok((args.backend.build(&url)?, Some(task)))
        }
    }
}

async fn demo_backend(bind: std::net::SocketAddr) -> anyhow::Result<()> {
    let (addr, task) = demo::spawn(bind, demo::DemoState::seeded(), transport::shutdown_signal()).await?;
    tracing::info!("demo vTOC backend on http://{addr} (Ctrl-C to stop)");
    task.await?;
    Ok(())
}
