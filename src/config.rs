//! Command line and environment: every setting the binary reads, validated at start
//! with errors that name the setting and say what to do.

use crate::support::Backend;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Serve MCP over stdio or streamable HTTP. Without VTOC_API_BASE_URL, an embedded
    /// demo backend is started and used.
    Serve(ServeArgs),
    /// Run only the embedded demo vTOC backend (in memory, seeded).
    DemoBackend {
        #[arg(long, env = "VTOC_DEMO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
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
    /// Use the embedded demo backend even when VTOC_API_BASE_URL is set.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
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
    #[arg(long = "backend-token", env = "VTOC_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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

fn seconds(setting: &'static str, value: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(err(setting, format!("{value} is not a number of seconds between 0 and 86400")))
    }
}

impl BackendArgs {
    /// Check the settings and build the shared backend handle for `base_url`.
    pub fn build(&self, base_url: &str) -> Result<Arc<Backend>, ConfigError> {
        let url = reqwest::Url::parse(base_url).map_err(|e| {
            err("VTOC_API_BASE_URL", format!("{base_url:?} is not a URL ({e}); expected e.g. http://backend:8080"))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(err(
                "VTOC_API_BASE_URL",
                format!("{base_url:?} must be an http:// or https:// URL with a host"),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(err("VTOC_API_BASE_URL", "must not contain a query or fragment"));
        }
        let timeout = seconds("VTOC_API_TIMEOUT_SECS", self.timeout_secs)?;
        let connect_timeout = seconds("VTOC_API_CONNECT_TIMEOUT_SECS", self.connect_timeout_secs)?;
        if self.max_response_bytes < 1024 {
            return Err(err("VTOC_MAX_RESPONSE_BYTES", "must be at least 1024"));
        }
        let token = match (&self.token, &self.token_file) {
            (Some(_), Some(_)) => {
                return Err(err("VTOC_API_TOKEN", "set VTOC_API_TOKEN or VTOC_API_TOKEN_FILE, not both"));
            }
            (Some(t), None) => Some(t.trim().to_string()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| err("VTOC_API_TOKEN_FILE", format!("cannot read {}: {e}", path.display())))?
                    .trim()
                    .to_string(),
            ),
            (None, None) => None,
        };
        let auth = match token.filter(|t| !t.is_empty()) {
            Some(t) => Some(crate::server::bearer(&t).map_err(|m| err("VTOC_API_TOKEN", m))?),
            None => None,
        };
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
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
        }))
    }
}

impl Default for BackendArgs {
    fn default() -> Self {
        BackendArgs {
            base_url: None,
            token: None,
            token_file: None,
            timeout_secs: 30.0,
            connect_timeout_secs: 5.0,
            max_response_bytes: 16 * 1024 * 1024,
            response_validation: ResponseValidation::Warn,
        }
    }
}

/// rustls is built without a default provider (one TLS stack, no C build of aws-lc):
/// install ring once per process.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_name_themselves() {
        let args = BackendArgs::default();
        assert_eq!(args.build("backend:8080").unwrap_err().setting, "VTOC_API_BASE_URL");
        assert_eq!(args.build("ftp://x").unwrap_err().setting, "VTOC_API_BASE_URL");
        let args = BackendArgs { timeout_secs: 0.0, ..BackendArgs::default() };
        assert_eq!(args.build("http://x").unwrap_err().setting, "VTOC_API_TIMEOUT_SECS");
        let args = BackendArgs { token: Some("a".into()), token_file: Some("/x".into()), ..BackendArgs::default() };
        assert!(args.build("http://x").unwrap_err().message.contains("not both"));
        let args = BackendArgs { token_file: Some("/nonexistent/token".into()), ..BackendArgs::default() };
        assert_eq!(args.build("http://x").unwrap_err().setting, "VTOC_API_TOKEN_FILE");
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
