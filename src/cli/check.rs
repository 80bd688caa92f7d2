//! The one check of the settings `serve` starts with: the guardrails, the HTTP transport
//! (guard, bind and authentication rules, sessions, public URL) when the transport is HTTP,
//! the shutdown grace and the backend. `serve` runs it before anything starts and `doctor`
//! prints what it finds, so the two never disagree; every problem is reported at once.
//!
//! Nothing here touches the network: the backend is only described, and the demo backend
//! is started by the caller.

use crate::bridge::exchange::Backend;
use crate::cli::config::{BackendArgs, ConfigError, ConfigErrors, Problems, ServeArgs, Transport, seconds};
use crate::guard::Guardrails;
use crate::guard::audit::Audit;
use crate::transport::HttpSettings;
use std::sync::Arc;
use std::time::Duration;

/// Settings `serve` can start with.
pub struct Checked {
    pub guardrails: Guardrails,
    /// The HTTP transport's settings; `None` over stdio.
    pub http: Option<HttpSettings>,
    /// `MCP_SHUTDOWN_GRACE_SECS`.
    pub grace: Duration,
    /// `/metrics`'s listener and token (`MCP_METRICS_BIND`), when metrics are on.
    pub metrics: Option<(std::net::SocketAddr, Option<secrecy::SecretString>)>,
    pub backend: BackendChoice,
}

/// Which backend the bridge talks to.
#[derive(Debug)]
pub enum BackendChoice {
    /// `VTOC_API_BASE_URL`, with its settings checked.
    Configured(Arc<Backend>),
    /// `--demo`: the embedded demo backend, which the caller starts (its address is only
    /// known then); the other backend settings are checked all the same.
    Demo,
}

/// Why `serve`, `call` and `doctor` refuse to start without a backend: an agent must never
/// act on the demo's sample data because one variable was missing.
const NO_BACKEND: &str = "no vTOC backend is configured: set VTOC_API_BASE_URL (or --backend-url) to the backend's base URL, e.g. http://backend:8080, or pass --demo to use the embedded demo backend (in-memory sample data, not a real vTOC)";

/// Stands in for the demo backend's address while its settings are checked.
const DEMO_PLACEHOLDER: &str = "http://127.0.0.1:1";

/// Every setting `serve` uses, checked; all the problems, or what to start with.
pub fn check(args: &ServeArgs) -> Result<Checked, ConfigErrors> {
    let mut problems = Problems::default();
    let guardrails = problems.take(args.guard.guardrails());
    let grace = problems.take(seconds("MCP_SHUTDOWN_GRACE_SECS", args.shutdown_grace_secs));
    let metrics = problems.take(args.metrics());
    let http = match args.transport {
        Transport::Http => problems.take(http_settings(args, guardrails.as_ref().map(|g| g.audit.clone()))).map(Some),
        Transport::Stdio => {
            // Authentication guards only HTTP, but a wrong authentication setting is a
            // mistake wherever it is made (the same `.env` often serves both).
            problems.take(args.guard.static_tokens());
            problems.take(args.guard.oauth());
            Some(None)
        }
    };
    let backend = problems.take(backend(&args.backend, args.demo));
    match (guardrails, grace, metrics, http, backend) {
        (Some(guardrails), Some(grace), Some(metrics), Some(http), Some(backend)) if problems.is_empty() => {
            Ok(Checked { guardrails, http, grace, metrics, backend })
        }
        _ => Err(problems.into_errors()),
    }
}

/// The backend settings, for `VTOC_API_BASE_URL` or `--demo`.
pub fn backend(args: &BackendArgs, demo: bool) -> Result<BackendChoice, ConfigErrors> {
    match (&args.base_url, demo) {
        (Some(url), false) => Ok(BackendChoice::Configured(args.build(url)?)),
        (None, false) => Err(ConfigError { setting: "VTOC_API_BASE_URL", message: NO_BACKEND.into() }.into()),
        (_, true) => args.build(DEMO_PLACEHOLDER).map(|_| BackendChoice::Demo),
    }
}

/// The HTTP transport's settings. `audit` is the guardrails' audit log; when the
/// guardrails are wrong (already reported) the guard is still checked, with no audit.
fn http_settings(args: &ServeArgs, audit: Option<Arc<Audit>>) -> Result<HttpSettings, ConfigErrors> {
    let mut problems = Problems::default();
    let audit = audit.unwrap_or_else(|| Arc::new(Audit::off()));
    let guard = problems.take(args.guard.http_guard(args.bind, audit));
    let session_idle = problems.take(seconds("MCP_SESSION_IDLE_SECS", args.session_idle_secs));
    if args.max_sessions == 0 {
        problems.push(ConfigError { setting: "MCP_MAX_SESSIONS", message: "must be greater than 0".into() });
    }
    let public_url = problems.take(args.public_url());
    match (guard, session_idle, public_url) {
        (Some(guard), Some(session_idle), Some(public_url)) if problems.is_empty() => Ok(HttpSettings {
            guard: Arc::new(guard),
            stateless: args.stateless,
            session_idle,
            max_sessions: args.max_sessions,
            public_url,
            console: args.console,
        }),
        _ => Err(problems.into_errors()),
    }
}
