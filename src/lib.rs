//! vtoc-mcp: the vTOC REST contract served as MCP tools.
//!
//! `build.rs` runs the generator in [`codegen`] over `openapi/vtoc.json`: progenitor
//! writes the typed client ([`client`]) and our emitter writes the tool wrappers
//! ([`tools`]) over it. The rest is a thin runtime: [`support`] (what wrappers call),
//! [`server`] (the MCP handler), [`transport`] (stdio and streamable HTTP),
//! [`config`] (settings), [`validate`] (argument checks) and [`demo`] (an embedded
//! backend for trying it out and for tests).

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod auth;
pub mod client_config;
pub mod codegen;
pub mod completion;
pub mod config;
pub mod console;
pub mod custom;
pub mod demo;
pub mod events;
pub mod jsonrpc;
pub mod policy;
pub mod prompts;
pub mod resources;
pub mod server;
pub mod support;
pub mod surface;
pub mod transport;
pub mod truncate;
pub mod validate;
pub mod workflow;

#[allow(clippy::all, dead_code, unused_imports, unused_mut, unused_variables, missing_docs)]
pub mod client;
#[allow(clippy::all)]
pub mod tools;

/// The generated artifacts of this build, for the drift check against `generated/` and `docs/API.md`.
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
