//! vtoc-mcp: the vTOC REST contract served as MCP tools, resources and prompts.
//!
//! ```text
//! codegen/    spec → IR → artifacts; pure (build.rs runs it; no I/O, no clock, no env)
//! bridge/     the MCP handler, the guarded call path, the generated tool table and client
//! guard/      who calls, what the policy serves, validation, limits, the audit record
//! transport/  stdio and streamable HTTP: guard, CORS, JSON-RPC checks, resumable streams,
//!             the operator console and the client configuration
//! cli/        settings, workflows (sync-spec, doctor, init), the tool-surface diff
//! demo/       an in-memory vTOC backend for trying it out and for tests (knows no MCP)
//! store/      state replicas share in Redis or Valkey (knows no MCP)
//! telemetry/  Prometheus metrics and OpenTelemetry traces (knows no MCP)
//! ```
//!
//! Each folder's `mod.rs` says what it owns and what it may not touch. Dependencies point
//! one way: transport → bridge → guard, and everything may use codegen's IR types; the
//! demo depends on nothing but the compiled spec.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bridge;
pub mod cli;
pub mod codegen;
pub mod demo;
pub mod guard;
pub mod store;
pub mod telemetry;
pub mod transport;

// Generated code (OUT_DIR/tools.rs and the hand-written tools) names `crate::client` and
// `crate::bridge::support`; these keep those paths, so `generated/` does not depend on the layout.
pub use bridge::{client, support, tools};

/// The artifacts of this build, for the drift check against `generated/` and `docs/API.md`.
pub mod generated {
    pub const CLIENT_RS: &str = include_str!(concat!(env!("OUT_DIR"), "/client.rs"));
    pub const TOOLS_RS: &str = include_str!(concat!(env!("OUT_DIR"), "/tools.rs"));
    pub const TOOLS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/tools.json"));
    pub const API_MD: &str = include_str!(concat!(env!("OUT_DIR"), "/API.md"));
    /// The spec this binary was built from.
    pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/spec.json"));
    const OVERRIDES: &str = include_str!(concat!(env!("OUT_DIR"), "/overrides.json"));

    /// The overrides file this binary was built with, if there was one.
    pub fn overrides() -> Option<&'static str> {
        Some(OVERRIDES).filter(|o| !o.is_empty())
    }
}

/// rustls with the `ring` provider, for every HTTPS client of the process (backend,
/// OAuth JWKS, `sync-spec`). Idempotent.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
