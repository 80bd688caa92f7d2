//! Command line and environment: every setting the binary reads, validated at start
//! with errors that name the setting and say what to do.

use crate::bridge::exchange::Backend;
use crate::guard::Guardrails;
use crate::guard::audit::Audit;
use crate::guard::auth::{JwtVerifier, OAuthConfig, StaticTokens};
use crate::guard::caller::Caller;
use crate::guard::policy::{Context, ContextArgument, Fallback, Policy, Scope, patterns};
use crate::store::SharedStore;
use crate::transport::guard::HttpGuard;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use rmcp::model::RequestStateCodec;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "vtoc-mcp", version, about = "MCP server for the vTOC REST API, generated from its OpenAPI contract")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio or streamable HTTP against VTOC_API_BASE_URL (or, with --demo,
    /// the embedded demo backend). Refuses to start when neither is given.
    Serve(Box<ServeArgs>),
    /// List the tools (or show one: schema, annotations, endpoint), as the settings in the
    /// environment serve them.
    Tools {
        /// Show this tool in detail.
        name: Option<String>,
        /// The tools as `tools/list` serves them to a local caller, as JSON.
        #[arg(long)]
        json: bool,
        /// What the model reads: the compact JSON size of each tool's name, description
        /// and inputSchema, and the total, for every tool.
        #[arg(long)]
        size: bool,
        /// The tools that play each role (the richest REST collection's list, read, create,
        /// update and delete; a read by name; a read that takes the context), as JSON: for
        /// scripts that must not depend on tool names.
        #[arg(long)]
        roles: bool,
        #[command(flatten)]
        guard: Box<GuardArgs>,
    },
    /// Call one tool through the same code path and guardrails as the server.
    Call(Box<CallArgs>),
    /// Classify what changed for agents between two specs or manifests.
    Diff(DiffArgs),
    /// Fetch the backend's /openapi.json and write it to openapi/vtoc.json as served, byte for byte.
    SyncSpec {
        /// The backend, e.g. http://localhost:8080 (or the full URL of its spec).
        #[arg(long)]
        from: String,
        #[arg(long, default_value = "openapi/vtoc.json")]
        out: PathBuf,
        #[arg(long, default_value = "openapi/mcp-overrides.json")]
        overrides: PathBuf,
    },
    /// Check configuration, backend reachability and authentication, and the live contract.
    Doctor(Box<DoctorArgs>),
    /// Write a .env (and Docker secret files) with fresh tokens.
    Init {
        #[arg(long, value_enum, default_value = "compose")]
        target: crate::cli::workflow::InitTarget,
        /// Where to write.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The template (default: the .env.example built into the binary).
        #[arg(long)]
        template: Option<PathBuf>,
        /// Replace existing files (their tokens stop working).
        #[arg(long)]
        force: bool,
    },
    /// Exit 0 when the server answers /healthz (for container health checks).
    Healthcheck {
        #[arg(long, env = "MCP_HEALTHCHECK_URL", default_value = "http://127.0.0.1:8765/healthz")]
        url: String,
    },
    /// Run only the embedded demo vTOC backend (in memory, seeded).
    DemoBackend {
        #[arg(long, env = "VTOC_DEMO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The tool to call.
    pub tool: String,
    /// The arguments, as a JSON object.
    #[arg(long, default_value = "{}")]
    pub args: String,
    /// Confirm a destructive call in advance (you are the user being asked).
    #[arg(long)]
    pub yes: bool,
    /// Print the whole MCP result (content, structuredContent, isError) instead of the structured result.
    #[arg(long)]
    pub raw: bool,
    /// Show the HTTP request(s) the call would send (credentials redacted) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Use the embedded demo backend (in-memory sample data), even when VTOC_API_BASE_URL is set.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old spec or manifest (generated/tools.json).
    pub old: PathBuf,
    /// The new spec or manifest.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReportFormat,
    /// Overrides applied to specs (default: openapi/mcp-overrides.json when present).
    #[arg(long)]
    pub overrides: Option<PathBuf>,
    /// Exit with status 3 when a change is breaking.
    #[arg(long)]
    pub fail_on_breaking: bool,
}

/// `doctor` reads every setting `serve` reads (the same flags and variables), so it checks
/// exactly the configuration `serve` would start with.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What the server does when the live contract differs from the compiled one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContractCheck {
    /// Log the differences and serve.
    Warn,
    /// Refuse to start on any difference (or when the spec cannot be fetched).
    Strict,
    /// Do not fetch the live spec.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// JSON-RPC over stdin/stdout (clients spawn the binary).
    Stdio,
    /// Streamable HTTP at /mcp.
    Http,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "MCP_TRANSPORT", value_enum, default_value = "stdio")]
    pub transport: Transport,
    /// Address for the HTTP transport.
    #[arg(long, env = "MCP_BIND", default_value = "127.0.0.1:8765")]
    pub bind: SocketAddr,
    /// Stateless HTTP: no MCP sessions, every request stands alone, so any replica can
    /// answer it. 2025-era clients lose server-to-client requests (elicitation).
    #[arg(long, env = "MCP_STATELESS")]
    pub stateless: bool,
    /// Idle MCP sessions expire after this many seconds.
    #[arg(long = "session-idle", env = "MCP_SESSION_IDLE_SECS", default_value_t = 300.0)]
    pub session_idle_secs: f64,
    /// At most this many MCP sessions at once.
    #[arg(long = "max-sessions", env = "MCP_MAX_SESSIONS", default_value_t = 4096)]
    pub max_sessions: usize,
    /// On SIGTERM/SIGINT, seconds calls in flight get to finish.
    #[arg(long = "shutdown-grace", env = "MCP_SHUTDOWN_GRACE_SECS", default_value_t = 10.0)]
    pub shutdown_grace_secs: f64,
    /// Threads running requests. One is fastest for an I/O-bound bridge (no cross-thread
    /// wake-ups: 38% less CPU per call, docs/performance.md); raise it when many calls
    /// return large results at once, so one big response does not hold up the others.
    #[arg(long = "worker-threads", env = "MCP_WORKER_THREADS", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub worker_threads: u16,
    /// The URL clients use to reach `/mcp` (e.g. https://ops.example.org/mcp behind a
    /// proxy), published by `/.well-known/mcp-config`; default: from each request's Host.
    #[arg(long = "public-url", env = "MCP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve the operator console at /console/ (HTTP transport).
    #[arg(long = "console", env = "MCP_CONSOLE", action = ArgAction::Set, default_value_t = true)]
    pub console: bool,
    /// Use the embedded demo backend (in-memory sample data), even when VTOC_API_BASE_URL is set.
    #[arg(long)]
    pub demo: bool,
    /// Serve Prometheus metrics at http://ADDRESS/metrics, on a listener of their own (never
    /// on /mcp). Off by default; a non-loopback address needs MCP_METRICS_TOKEN(_FILE).
    #[arg(long = "metrics-bind", env = "MCP_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Bearer token /metrics requires (Prometheus: `authorization: {credentials_file: …}`).
    #[arg(long = "metrics-token", env = "MCP_METRICS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub metrics_token: Option<SecretString>,
    #[arg(long = "metrics-token-file", env = "MCP_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// Put each call's arguments on its trace span (off: spans carry no argument values).
    #[arg(long = "trace-arguments", env = "MCP_TRACE_ARGUMENTS")]
    pub trace_arguments: bool,
    /// At start, compare the backend's /openapi.json with the compiled spec.
    #[arg(long = "contract-check", env = "VTOC_CONTRACT_CHECK", value_enum, default_value = "warn")]
    pub contract_check: ContractCheck,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
}

impl ServeArgs {
    /// `MCP_METRICS_BIND` with its token, checked: a token is needed off loopback.
    pub fn metrics(&self) -> Result<Option<(SocketAddr, Option<SecretString>)>, ConfigError> {
        let token = secret_or_file(
            &self.metrics_token,
            &self.metrics_token_file,
            ("MCP_METRICS_TOKEN", "MCP_METRICS_TOKEN_FILE"),
        )?
        .filter(|t| !t.expose_secret().is_empty());
        let Some(bind) = self.metrics_bind else {
            return match token {
                Some(_) => Err(err("MCP_METRICS_TOKEN", "is set but MCP_METRICS_BIND is not; set both, or neither")),
                None => Ok(None),
            };
        };
        if !bind.ip().is_loopback() && token.is_none() {
            return Err(err(
                "MCP_METRICS_BIND",
                format!(
                    "{bind} is reachable from other hosts: set MCP_METRICS_TOKEN_FILE (a bearer token Prometheus sends), or bind 127.0.0.1"
                ),
            ));
        }
        Ok(Some((bind, token)))
    }

    /// `MCP_PUBLIC_URL`, checked: an absolute http(s) URL.
    pub fn public_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = self.public_url.as_deref() else { return Ok(None) };
        match reqwest::Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Ok(Some(raw.trim_end_matches('/').to_string()))
            }
            _ => Err(err(
                "MCP_PUBLIC_URL",
                format!(
                    "`{raw}` is not an absolute http(s) URL; give the URL clients use for /mcp, e.g. https://ops.example.org/mcp"
                ),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResponseValidation {
    /// Return responses that do not match the spec, and log a warning.
    Warn,
    /// Fail the call when the response does not match the spec.
    Strict,
}

#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Base URL of the vTOC backend, e.g. http://backend:8080.
    #[arg(long = "backend-url", env = "VTOC_API_BASE_URL")]
    pub base_url: Option<String>,
    /// Bearer token sent to the backend.
    #[arg(long = "backend-token", env = "VTOC_API_TOKEN", hide_env_values = true, value_parser = secret)]
    pub token: Option<SecretString>,
    /// File holding the backend token (Docker secrets).
    #[arg(long = "backend-token-file", env = "VTOC_API_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for the backend's answer to one call.
    #[arg(long = "backend-timeout", env = "VTOC_API_TIMEOUT_SECS", default_value_t = 30.0)]
    pub timeout_secs: f64,
    /// Seconds to wait for a TCP/TLS connection to the backend.
    #[arg(long = "backend-connect-timeout", env = "VTOC_API_CONNECT_TIMEOUT_SECS", default_value_t = 5.0)]
    pub connect_timeout_secs: f64,
    /// Backend responses larger than this are refused, not read.
    #[arg(long = "max-response-bytes", env = "VTOC_MAX_RESPONSE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_response_bytes: usize,
    /// What to do with a response that does not match the spec.
    #[arg(long = "response-validation", env = "VTOC_RESPONSE_VALIDATION", value_enum, default_value = "warn")]
    pub response_validation: ResponseValidation,
    /// Extra attempts for idempotent calls (GET, PUT, DELETE) that hit a connection error.
    #[arg(long = "backend-retries", env = "VTOC_API_RETRIES", default_value_t = 2)]
    pub retries: u32,
    /// Build requests but send nothing (set by `call --dry-run`).
    #[arg(skip)]
    pub dry_run: bool,
}

/// A setting that cannot be used, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

fn err(setting: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { setting, message: message.into() }
}

/// Every setting that cannot be used, in the order they were checked: the server refuses
/// to start on any, and `doctor` lists them all, so one run shows everything to fix.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// The settings named, in order (a setting appears once per problem).
    pub fn settings(&self) -> Vec<&'static str> {
        self.0.iter().map(|e| e.setting).collect()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> ConfigErrors {
        ConfigErrors(vec![e])
    }
}

/// Collects the problems of a group of settings: each check runs, whatever the others found.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<ConfigError>);

impl Problems {
    /// The value of a check that passed; a failed one is recorded.
    pub(crate) fn take<T>(&mut self, result: Result<T, impl Into<ConfigErrors>>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                e.into().0.into_iter().for_each(|e| self.push(e));
                None
            }
        }
    }

    /// Records a problem once: a setting two checks read (`MCP_LOCAL_SCOPE` by the
    /// guardrails and the HTTP guard) is reported one time.
    pub(crate) fn push(&mut self, e: ConfigError) {
        if !self.0.iter().any(|seen| seen.setting == e.setting && seen.message == e.message) {
            self.0.push(e);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What was found (callers ask only after a check failed, so it is not empty).
    pub(crate) fn into_errors(self) -> ConfigErrors {
        ConfigErrors(self.0)
    }
}

pub fn seconds(setting: &'static str, value: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(err(setting, format!("{value} is not a number of seconds between 0 and 86400")))
    }
}

impl BackendArgs {
    /// Check the settings and build the shared backend handle for `base_url`; every
    /// problem is reported.
    pub fn build(&self, base_url: &str) -> Result<Arc<Backend>, ConfigErrors> {
        let mut problems = Problems::default();
        problems.take(check_base_url(base_url));
        let timeout = problems.take(seconds("VTOC_API_TIMEOUT_SECS", self.timeout_secs));
        let connect_timeout = problems.take(seconds("VTOC_API_CONNECT_TIMEOUT_SECS", self.connect_timeout_secs));
        if self.max_response_bytes < 1024 {
            problems.push(err("VTOC_MAX_RESPONSE_BYTES", "must be at least 1024"));
        }
        let auth = problems.take(self.auth());
        let (Some(timeout), Some(connect_timeout), Some(auth)) = (timeout, connect_timeout, auth) else {
            return Err(problems.into_errors());
        };
        if !problems.is_empty() {
            return Err(problems.into_errors());
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            // Idle backend connections (and their buffers) are kept briefly after a burst.
            .pool_idle_timeout(Duration::from_secs(15))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .user_agent(concat!("vtoc-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| err("VTOC_API_BASE_URL", format!("cannot build the HTTP client: {e}")))?;
        Ok(Arc::new(Backend {
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
            auth,
            timeout,
            max_response_bytes: self.max_response_bytes,
            strict_responses: self.response_validation == ResponseValidation::Strict,
            retries: self.retries.min(10),
            dry_run: self.dry_run,
        }))
    }

    /// `VTOC_API_TOKEN` or `VTOC_API_TOKEN_FILE`, as the header the backend gets.
    fn auth(&self) -> Result<Option<reqwest::header::HeaderValue>, ConfigError> {
        let token = secret_or_file(&self.token, &self.token_file, ("VTOC_API_TOKEN", "VTOC_API_TOKEN_FILE"))?;
        match token.filter(|t| !t.expose_secret().is_empty()) {
            Some(t) => crate::bridge::exchange::bearer(t.expose_secret())
                .map(Some)
                .map_err(|e| err("VTOC_API_TOKEN", e.to_string())),
            None => Ok(None),
        }
    }
}

/// `VTOC_API_BASE_URL`: an http(s) URL with a host, and nothing in it that must not be shown.
fn check_base_url(base_url: &str) -> Result<(), ConfigError> {
    let url = reqwest::Url::parse(base_url).map_err(|e| {
        err("VTOC_API_BASE_URL", format!("{base_url:?} is not a URL ({e}); expected e.g. http://backend:8080"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err("VTOC_API_BASE_URL", format!("{base_url:?} must be an http:// or https:// URL with a host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("VTOC_API_BASE_URL", "must not contain a query or fragment"));
    }
    // The URL appears in error messages and logs; a credential in it would leak.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            "VTOC_API_BASE_URL",
            "must not contain a user name or password (it is shown in messages); put the backend's token in VTOC_API_TOKEN or VTOC_API_TOKEN_FILE",
        ));
    }
    Ok(())
}

impl Default for BackendArgs {
    /// The defaults written in the attributes above; never reads the environment.
    fn default() -> Self {
        defaults()
    }
}

/// `MCP_CONFIRM_FALLBACK` as the command line reads it (the policy's [`Fallback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FallbackArg {
    Deny,
    Allow,
}

impl From<FallbackArg> for Fallback {
    fn from(f: FallbackArg) -> Fallback {
        match f {
            FallbackArg::Deny => Fallback::Deny,
            FallbackArg::Allow => Fallback::Allow,
        }
    }
}

/// `MCP_TOOL_MODE` as the command line reads it (the bridge's [`Mode`](crate::bridge::discover::Mode)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToolModeArg {
    /// Every tool the caller may call.
    All,
    /// The meta-tools search_tools, describe_tool, call_tool.
    Discover,
    /// The meta-tools when the caller's tools exceed MCP_TOOL_BUDGET_BYTES.
    Auto,
}

impl From<ToolModeArg> for crate::bridge::discover::Mode {
    fn from(m: ToolModeArg) -> Self {
        match m {
            ToolModeArg::All => crate::bridge::discover::Mode::All,
            ToolModeArg::Discover => crate::bridge::discover::Mode::Discover,
            ToolModeArg::Auto => crate::bridge::discover::Mode::Auto,
        }
    }
}

/// Guardrails: authentication, scopes, policy, confirmation, context, audit, limits.
#[derive(Debug, Clone, Args)]
pub struct GuardArgs {
    /// Static bearer tokens for MCP callers: `NAME:SCOPE:TOKEN`, comma-separated.
    #[arg(long = "auth-tokens", env = "MCP_AUTH_TOKENS", hide_env_values = true, value_parser = secret)]
    pub auth_tokens: Option<SecretString>,
    /// File with one `NAME:SCOPE:TOKEN` per line (Docker secrets).
    #[arg(long = "auth-tokens-file", env = "MCP_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,
    /// OAuth 2.1: expected issuer (`iss`) of access tokens.
    #[arg(long = "oauth-issuer", env = "MCP_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,
    /// OAuth 2.1: this server's canonical URL, the expected audience (`aud`).
    #[arg(long = "oauth-audience", env = "MCP_OAUTH_AUDIENCE")]
    pub oauth_audience: Option<String>,
    /// OAuth 2.1: where the issuer publishes its signing keys.
    #[arg(long = "oauth-jwks-url", env = "MCP_OAUTH_JWKS_URL")]
    pub oauth_jwks_url: Option<String>,
    /// Authorization servers listed in the protected resource metadata (default: the issuer).
    #[arg(long = "oauth-authorization-servers", env = "MCP_OAUTH_AUTHORIZATION_SERVERS")]
    pub oauth_authorization_servers: Option<String>,
    /// Allow unauthenticated HTTP on a non-loopback address. Anyone who reaches the port
    /// gets MCP_LOCAL_SCOPE.
    #[arg(long = "insecure-no-auth", env = "MCP_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
    /// Browser origins allowed to call /mcp besides the server's own (comma-separated).
    #[arg(long = "allowed-origins", env = "MCP_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// Host names the HTTP transport answers to (comma-separated; default loopback names).
    #[arg(long = "allowed-hosts", env = "MCP_ALLOWED_HOSTS")]
    pub allowed_hosts: Option<String>,
    /// Serve tools that change data (default: read-only tools only).
    #[arg(long = "allow-writes", env = "MCP_ALLOW_WRITES")]
    pub allow_writes: bool,
    /// Only these tools: names, globs (`get_*`) or `tag:NAME`, comma-separated.
    #[arg(long = "tools-allow", env = "MCP_TOOLS_ALLOW")]
    pub tools_allow: Option<String>,
    /// Never these tools (wins over the allow list).
    #[arg(long = "tools-deny", env = "MCP_TOOLS_DENY")]
    pub tools_deny: Option<String>,
    /// Scope of stdio, and of HTTP callers when no authentication is configured.
    #[arg(long = "local-scope", env = "MCP_LOCAL_SCOPE", default_value = "vtoc:read")]
    pub local_scope: String,
    /// Ask the user to confirm destructive calls (MCP elicitation).
    #[arg(long = "confirm-destructive", env = "MCP_CONFIRM_DESTRUCTIVE", action = ArgAction::Set, default_value_t = true)]
    pub confirm_destructive: bool,
    /// When the client cannot ask the user: deny the destructive call, or allow it.
    #[arg(long = "confirm-fallback", env = "MCP_CONFIRM_FALLBACK", value_enum, default_value = "deny")]
    pub confirm_fallback: FallbackArg,
    /// Seconds the user has to answer a confirmation.
    #[arg(long = "confirm-timeout", env = "MCP_CONFIRM_TIMEOUT_SECS", default_value_t = 120.0)]
    pub confirm_timeout_secs: f64,
    /// Key (32+ bytes) signing confirmation state; the same on every replica.
    #[arg(long = "request-state-key", env = "MCP_REQUEST_STATE_KEY", hide_env_values = true, value_parser = secret)]
    pub request_state_key: Option<SecretString>,
    #[arg(long = "request-state-key-file", env = "MCP_REQUEST_STATE_KEY_FILE")]
    pub request_state_key_file: Option<PathBuf>,
    /// Redis or Valkey shared by the replicas (`redis://host:6379`, `rediss://` for TLS):
    /// a used confirmation is then refused on every replica, not only the one that ran it.
    #[arg(long = "state-url", env = "MCP_STATE_URL", hide_env_values = true)]
    pub state_url: Option<String>,
    /// Password of MCP_STATE_URL's server.
    #[arg(long = "state-password", env = "MCP_STATE_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub state_password: Option<SecretString>,
    #[arg(long = "state-password-file", env = "MCP_STATE_PASSWORD_FILE")]
    pub state_password_file: Option<PathBuf>,
    /// Station used when neither the call nor the MCP request names one.
    #[arg(long = "default-station", env = "VTOC_DEFAULT_STATION")]
    pub default_station: Option<String>,
    #[arg(long = "default-channel", env = "VTOC_DEFAULT_CHANNEL")]
    pub default_channel: Option<String>,
    #[arg(long = "default-initiator", env = "VTOC_DEFAULT_INITIATOR")]
    pub default_initiator: Option<String>,
    /// Which tools offer the optional per-call `context` argument: `auto` (those whose
    /// operation reads context), `all`, or `off`.
    #[arg(long = "context-argument", env = "MCP_CONTEXT_ARGUMENT", default_value = "auto")]
    pub context_argument: String,
    /// The headers the context goes to the backend under: `station=NAME,channel=NAME,initiator=NAME`
    /// (a value left out is not sent; `off` sends none). vTOC's names by default.
    #[arg(long = "context-headers", env = "VTOC_CONTEXT_HEADERS", default_value = crate::guard::policy::ContextHeaders::VTOC)]
    pub context_headers: String,
    /// Send the MCP caller's own bearer token to the backend instead of VTOC_API_TOKEN.
    /// Risky: see docs/security.md.
    #[arg(long = "forward-caller-token", env = "MCP_FORWARD_CALLER_TOKEN")]
    pub forward_caller_token: bool,
    /// Audit log: `stderr`, `off`, or a file path.
    #[arg(long = "audit-log", env = "MCP_AUDIT_LOG", default_value = "stderr")]
    pub audit_log: String,
    /// Largest MCP request body accepted over HTTP.
    #[arg(long = "max-request-bytes", env = "MCP_MAX_REQUEST_BYTES", default_value_t = 1024 * 1024)]
    pub max_request_bytes: usize,
    /// Tool calls in flight per caller.
    #[arg(long = "max-concurrent-calls", env = "MCP_MAX_CONCURRENT_CALLS", default_value_t = 8)]
    pub max_concurrent_calls: usize,
    /// Calls of one caller that may wait for a slot once it has MCP_MAX_CONCURRENT_CALLS in
    /// flight; more are refused at once.
    #[arg(long = "call-queue", env = "MCP_CALL_QUEUE", default_value_t = 64)]
    pub call_queue: usize,
    /// Seconds a queued call waits for a slot before it is refused.
    #[arg(long = "call-queue-wait", env = "MCP_CALL_QUEUE_WAIT_SECS", default_value_t = 10.0)]
    pub call_queue_wait_secs: f64,
    /// Results larger than this are cut, with a marker.
    #[arg(long = "max-result-bytes", env = "MCP_MAX_RESULT_BYTES", default_value_t = 256 * 1024)]
    pub max_result_bytes: usize,
    /// What tools/list serves: `all` (every tool the caller may call), `discover` (the
    /// meta-tools search_tools, describe_tool, call_tool), or `auto` (the meta-tools when a
    /// caller's tools weigh more than MCP_TOOL_BUDGET_BYTES).
    #[arg(long = "tool-mode", env = "MCP_TOOL_MODE", value_enum, default_value = "auto")]
    pub tool_mode: ToolModeArg,
    /// In `auto`, the most a caller's full tool list may weigh: compact JSON of each tool's
    /// name, description and inputSchema, what the model reads on every turn.
    #[arg(long = "tool-budget-bytes", env = "MCP_TOOL_BUDGET_BYTES",
          default_value_t = crate::bridge::discover::DEFAULT_BUDGET_BYTES)]
    pub tool_budget_bytes: usize,
}

impl Default for GuardArgs {
    /// The defaults written in the attributes above; never reads the environment.
    fn default() -> Self {
        defaults()
    }
}

/// What an empty command line gives a group of arguments, with every `env` binding removed:
/// the attributes stay the one source of defaults, and a developer's `MCP_*` or `VTOC_*`
/// variables cannot change a test. Defaults are constants; `defaults_are_valid` checks them.
fn defaults<T: Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None));
    let matches = command.try_get_matches_from(["defaults"]).expect("argument defaults parse");
    T::from_arg_matches(&matches).expect("argument defaults are complete")
}

/// A secret given inline or in a file (Docker and Kubernetes secrets), never both; trimmed.
fn secret_or_file(
    value: &Option<SecretString>,
    file: &Option<PathBuf>,
    (setting, file_setting): (&'static str, &'static str),
) -> Result<Option<SecretString>, ConfigError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(err(setting, format!("set {setting} or {file_setting}, not both"))),
        (Some(v), None) => Ok(Some(v.expose_secret().trim().into())),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| Some(text.trim().into()))
            .map_err(|e| err(file_setting, format!("cannot read {}: {e}", path.display()))),
        (None, None) => Ok(None),
    }
}

/// A secret argument: held in a `SecretString`, which never prints.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

impl GuardArgs {
    pub fn policy(&self) -> Policy {
        Policy {
            allow_writes: self.allow_writes,
            allow: self.tools_allow.as_deref().map(patterns).unwrap_or_default(),
            deny: self.tools_deny.as_deref().map(patterns).unwrap_or_default(),
            confirm_destructive: self.confirm_destructive,
            confirm_fallback: self.confirm_fallback.into(),
        }
    }

    pub fn local_scope(&self) -> Result<Scope, ConfigError> {
        Scope::parse(&self.local_scope).ok_or_else(|| {
            err("MCP_LOCAL_SCOPE", format!("{:?} is not vtoc:read, vtoc:operate or vtoc:admin", self.local_scope))
        })
    }

    /// The settings of the shared call path; every problem is reported.
    pub fn guardrails(&self) -> Result<Guardrails, ConfigErrors> {
        let mut problems = Problems::default();
        for (setting, value) in [
            ("MCP_MAX_CONCURRENT_CALLS", self.max_concurrent_calls),
            ("MCP_MAX_RESULT_BYTES", self.max_result_bytes),
            ("MCP_MAX_REQUEST_BYTES", self.max_request_bytes),
        ] {
            if value == 0 {
                problems.push(err(setting, "must be greater than 0"));
            }
        }
        let state_codec = problems.take(self.state_codec());
        let shared = problems.take(self.shared_store());
        let local = problems.take(self.local_scope());
        let context_argument = problems.take(ContextArgument::parse(&self.context_argument).ok_or_else(|| {
            err("MCP_CONTEXT_ARGUMENT", format!("{:?} is not auto, all or off", self.context_argument))
        }));
        let context_headers = problems.take(
            crate::guard::policy::ContextHeaders::parse(&self.context_headers)
                .map_err(|e| err("VTOC_CONTEXT_HEADERS", e.to_string())),
        );
        let audit = problems.take(Audit::open(&self.audit_log).map_err(|e| err("MCP_AUDIT_LOG", e.to_string())));
        let call_queue_wait = problems.take(seconds("MCP_CALL_QUEUE_WAIT_SECS", self.call_queue_wait_secs));
        let confirm_timeout = problems.take(seconds("MCP_CONFIRM_TIMEOUT_SECS", self.confirm_timeout_secs));
        match (state_codec, shared, local, context_argument, context_headers, audit, call_queue_wait, confirm_timeout) {
            (
                Some(state_codec),
                Some(shared),
                Some(local),
                Some(context_argument),
                Some(context_headers),
                Some(audit),
                Some(call_queue_wait),
                Some(confirm_timeout),
            ) if problems.is_empty() => Ok(Guardrails {
                policy: self.policy(),
                local: Caller::local(local),
                defaults: Context {
                    station: self.default_station.clone(),
                    channel: self.default_channel.clone(),
                    initiator: self.default_initiator.clone(),
                },
                context_argument,
                context_headers,
                audit: Arc::new(audit),
                max_result_bytes: self.max_result_bytes,
                max_concurrent_per_caller: self.max_concurrent_calls,
                call_queue: self.call_queue,
                call_queue_wait,
                confirm_timeout,
                state_codec,
                shared,
                telemetry: Arc::default(),
                forward_caller_token: self.forward_caller_token,
                discovery: crate::bridge::discover::Discovery {
                    mode: self.tool_mode.into(),
                    budget_bytes: self.tool_budget_bytes,
                },
            }),
            _ => Err(problems.into_errors()),
        }
    }

    /// `MCP_REQUEST_STATE_KEY` (or its file), else a random key for this process.
    fn state_codec(&self) -> Result<RequestStateCodec, ConfigError> {
        let key = secret_or_file(
            &self.request_state_key,
            &self.request_state_key_file,
            ("MCP_REQUEST_STATE_KEY", "MCP_REQUEST_STATE_KEY_FILE"),
        )?;
        match key {
            Some(k) => RequestStateCodec::try_new(k.expose_secret().as_bytes().to_vec()).map_err(|e| {
                err("MCP_REQUEST_STATE_KEY", format!("{e}; use at least 32 random bytes, e.g. `openssl rand -hex 32`"))
            }),
            None => {
                Ok(RequestStateCodec::try_new(crate::guard::random_key()).expect("32 random bytes are a valid key"))
            }
        }
    }

    /// `MCP_STATE_URL` with its password, when set; no connection is made here.
    fn shared_store(&self) -> Result<Option<Arc<SharedStore>>, ConfigError> {
        let password = secret_or_file(
            &self.state_password,
            &self.state_password_file,
            ("MCP_STATE_PASSWORD", "MCP_STATE_PASSWORD_FILE"),
        )?;
        let Some(url) = self.state_url.as_deref() else {
            return match password {
                Some(_) => Err(err("MCP_STATE_PASSWORD", "is set but MCP_STATE_URL is not; set both, or neither")),
                None => Ok(None),
            };
        };
        SharedStore::open(url, password.as_ref())
            .map(|s| Some(Arc::new(s)))
            .map_err(|e| err("MCP_STATE_URL", e.to_string()))
    }

    pub fn static_tokens(&self) -> Result<StaticTokens, ConfigError> {
        let mut text = self.auth_tokens.as_ref().map(|t| t.expose_secret().to_string()).unwrap_or_default();
        if let Some(path) = &self.auth_tokens_file {
            let file = std::fs::read_to_string(path)
                .map_err(|e| err("MCP_AUTH_TOKENS_FILE", format!("cannot read {}: {e}", path.display())))?;
            text.push('\n');
            text.push_str(&file);
        }
        StaticTokens::parse(&text).map_err(|e| err("MCP_AUTH_TOKENS", e.to_string()))
    }

    pub fn oauth(&self) -> Result<Option<OAuthConfig>, ConfigError> {
        let (issuer, audience, jwks) = (&self.oauth_issuer, &self.oauth_audience, &self.oauth_jwks_url);
        if issuer.is_none() && audience.is_none() && jwks.is_none() {
            return Ok(None);
        }
        let need = |v: &Option<String>, name: &'static str| {
            v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                err(name, "OAuth needs MCP_OAUTH_ISSUER, MCP_OAUTH_AUDIENCE and MCP_OAUTH_JWKS_URL together")
            })
        };
        let (issuer, audience, jwks_url) = (
            need(issuer, "MCP_OAUTH_ISSUER")?,
            need(audience, "MCP_OAUTH_AUDIENCE")?,
            need(jwks, "MCP_OAUTH_JWKS_URL")?,
        );
        let url = reqwest::Url::parse(&jwks_url).map_err(|e| err("MCP_OAUTH_JWKS_URL", format!("not a URL: {e}")))?;
        let loopback = url
            .host_str()
            .is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()));
        if url.scheme() != "https" && !loopback {
            return Err(err("MCP_OAUTH_JWKS_URL", "must be https:// (plain http only on loopback)"));
        }
        reqwest::Url::parse(&audience).map_err(|_| {
            err("MCP_OAUTH_AUDIENCE", "must be this server's canonical URL, e.g. https://mcp.example.com/mcp")
        })?;
        let authorization_servers = match &self.oauth_authorization_servers {
            Some(list) => list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            None => vec![issuer.clone()],
        };
        Ok(Some(OAuthConfig { issuer, audience, jwks_url, authorization_servers }))
    }

    /// Allowed Host names for the HTTP transport.
    pub fn allowed_hosts(&self) -> Vec<String> {
        match &self.allowed_hosts {
            Some(list) => list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            None => vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }

    /// The HTTP guard; every problem is reported. Refuses a non-loopback bind without
    /// authentication unless `--insecure-no-auth` says so.
    pub fn http_guard(&self, bind: SocketAddr, audit: Arc<Audit>) -> Result<HttpGuard, ConfigErrors> {
        let mut problems = Problems::default();
        let tokens = problems.take(self.static_tokens());
        let oauth = problems.take(self.oauth());
        let local = problems.take(self.local_scope());
        let authenticated = match (&tokens, &oauth) {
            (Some(tokens), Some(oauth)) => !tokens.is_empty() || oauth.is_some(),
            // An authentication setting is wrong (reported above): it was meant to be on.
            _ => true,
        };
        let anonymous = match (authenticated, bind.ip().is_loopback(), self.insecure_no_auth) {
            (true, _, _) => None,
            (false, true, _) => local,
            (false, false, true) => {
                for _ in 0..3 {
                    tracing::warn!(
                        "INSECURE: serving MCP on {bind} WITHOUT AUTHENTICATION (--insecure-no-auth). Anyone who can reach this port gets {} access to vTOC.",
                        self.local_scope
                    );
                }
                local
            }
            (false, false, false) => {
                problems.push(err(
                    "MCP_BIND",
                    format!(
                        "{bind} is not a loopback address and no authentication is configured; set MCP_AUTH_TOKENS or MCP_AUTH_TOKENS_FILE (or MCP_OAUTH_*), or pass --insecure-no-auth if you really mean it"
                    ),
                ));
                None
            }
        };
        let (Some(tokens), Some(oauth)) = (tokens, oauth) else {
            return Err(problems.into_errors());
        };
        if !problems.is_empty() {
            return Err(problems.into_errors());
        }
        let jwt = oauth.map(|config| {
            crate::install_crypto_provider();
            let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
            JwtVerifier::new(config, http)
        });
        let origins = self
            .allowed_origins
            .as_deref()
            .map(|l| {
                l.split(',').map(|s| s.trim().trim_end_matches('/').to_string()).filter(|s| !s.is_empty()).collect()
            })
            .unwrap_or_default();
        Ok(HttpGuard::new(
            tokens,
            jwt,
            anonymous,
            origins,
            self.allowed_hosts(),
            self.policy(),
            self.forward_caller_token,
            self.max_request_bytes,
            audit,
        ))
    }
}

/// Environment variables the binary reads outside the command line definitions above.
pub const EXTRA_ENV: &[&str] = &["VTOC_MCP_LOG", "VTOC_MCP_LOG_FORMAT"];

/// Every environment variable the binary reads, from the command line definitions.
pub fn env_vars() -> std::collections::BTreeSet<String> {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out: std::collections::BTreeSet<String> = EXTRA_ENV.iter().map(|s| s.to_string()).collect();
    walk(&Cli::command(), &mut out);
    out
}

/// Parse the command line. A value clap refuses that came from an environment variable
/// (the flag was not given) is reported under the variable's name, which is what the user
/// set: `MCP_ALLOW_WRITES=yes: invalid value 'yes' (expected true or false) …`.
pub fn parse(argv: Vec<std::ffi::OsString>, env: impl Fn(&str) -> Option<String>) -> Result<Cli, clap::Error> {
    use clap::Parser as _;
    let lossy: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    Cli::try_parse_from(argv).map_err(|e| match env_value_error(&e, &lossy, env) {
        Some(message) => clap::Error::raw(e.kind(), format!("{message}\n")),
        None => e,
    })
}

/// The message for a refused value that came from an environment variable, or `None` when
/// the error is another kind or the value came from the command line.
pub fn env_value_error(err: &clap::Error, argv: &[String], env: impl Fn(&str) -> Option<String>) -> Option<String> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(err.kind(), ErrorKind::InvalidValue | ErrorKind::ValueValidation) {
        return None;
    }
    let (Some(ContextValue::String(arg)), Some(ContextValue::String(value))) =
        (err.get(ContextKind::InvalidArg), err.get(ContextKind::InvalidValue))
    else {
        return None;
    };
    // `--max-concurrent-calls <MAX_CONCURRENT_CALLS>` → `max-concurrent-calls`
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    let root = Cli::command();
    let command = argv.iter().skip(1).find_map(|a| root.find_subcommand(a)).unwrap_or(&root);
    let arg = command.get_arguments().find(|a| a.get_long() == Some(long))?;
    let var = arg.get_env()?.to_str()?;
    let flag = format!("--{long}");
    let on_command_line = argv.iter().skip(1).any(|a| *a == flag || a.starts_with(&format!("{flag}=")));
    if on_command_line || env(var).as_deref() != Some(value.as_str()) {
        return None;
    }
    let possible: Vec<String> =
        arg.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_string()).collect();
    let expected = match possible.as_slice() {
        [] => arg.get_default_values().first().map(|d| format!("a value like the default, {}", d.to_string_lossy())),
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} or {last}", init.join(", "))),
    };
    let shown = if arg.is_hide_env_values_set() { "(hidden)".to_string() } else { format!("'{value}'") };
    let mut message =
        format!("{var}={}: invalid value {shown}", if arg.is_hide_env_values_set() { "…" } else { value });
    if let Some(cause) = std::error::Error::source(err) {
        message.push_str(&format!(": {cause}"));
    }
    if let Some(expected) = expected {
        message.push_str(&format!(" (expected {expected})"));
    }
    message.push_str(&format!("; correct {var}, or unset it to use the default"));
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        // Setting MCP_* here would race other tests that parse the command line; that the
        // defaults cannot see the environment follows from `arg.env(None)` in `defaults`.
        let (guard, backend) = (GuardArgs::default(), BackendArgs::default());
        assert!(!guard.allow_writes && guard.confirm_destructive && guard.local_scope == "vtoc:read");
        assert_eq!((backend.retries, backend.timeout_secs), (2, 30.0));
        guard.guardrails().unwrap();
        backend.build("http://127.0.0.1:9").unwrap();
    }

    #[test]
    fn secrets_never_print() {
        let guard = GuardArgs {
            auth_tokens: Some("ops:vtoc:read:tok-visible-nowhere".into()),
            request_state_key: Some("k".repeat(40).as_str().into()),
            ..GuardArgs::default()
        };
        let backend = BackendArgs { token: Some("backend-visible-nowhere".into()), ..BackendArgs::default() };
        let printed = format!("{guard:?} {backend:?}");
        assert!(!printed.contains("visible-nowhere") && !printed.contains("kkkk"), "{printed}");
    }

    #[test]
    fn bad_settings_name_themselves() {
        let args = BackendArgs::default();
        assert_eq!(args.build("backend:8080").unwrap_err().settings(), ["VTOC_API_BASE_URL"]);
        assert_eq!(args.build("ftp://x").unwrap_err().settings(), ["VTOC_API_BASE_URL"]);
        let with_password = args.build("http://svc:hunter2@backend:8080").unwrap_err().to_string();
        assert!(with_password.contains("VTOC_API_TOKEN") && !with_password.contains("hunter2"));
        let args = BackendArgs { timeout_secs: 0.0, ..BackendArgs::default() };
        assert_eq!(args.build("http://x").unwrap_err().settings(), ["VTOC_API_TIMEOUT_SECS"]);
        let args = BackendArgs { token: Some("a".into()), token_file: Some("/x".into()), ..BackendArgs::default() };
        assert!(args.build("http://x").unwrap_err().to_string().contains("not both"));
        let args = BackendArgs { token_file: Some("/nonexistent/token".into()), ..BackendArgs::default() };
        assert_eq!(args.build("http://x").unwrap_err().settings(), ["VTOC_API_TOKEN_FILE"]);
        // Every problem at once, in the order checked.
        let args = BackendArgs { timeout_secs: 0.0, max_response_bytes: 10, ..BackendArgs::default() };
        assert_eq!(
            args.build("ftp://x").unwrap_err().settings(),
            ["VTOC_API_BASE_URL", "VTOC_API_TIMEOUT_SECS", "VTOC_MAX_RESPONSE_BYTES"]
        );
    }

    #[test]
    fn good_settings_build_and_hide_the_token() {
        let args = BackendArgs { token: Some("s3cret-token\n".into()), ..BackendArgs::default() };
        let backend = args.build("http://127.0.0.1:9/").unwrap();
        assert_eq!(backend.base_url, "http://127.0.0.1:9");
        assert!(backend.auth.as_ref().unwrap().is_sensitive());
        assert!(!format!("{backend:?}").contains("s3cret"));
    }
}
