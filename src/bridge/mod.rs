//! The bridge: vTOC's operations as MCP tools, resources, completions and prompts.
//!
//! - [`server`]: the MCP handler ([`Bridge`]), for every transport;
//! - [`call`]: the one guarded call path (guardrails, then the generated wrapper);
//! - [`tools`] and [`support`]: the generated tool table and the API its wrappers call;
//!   [`client`]: the typed client progenitor generated, with the hooks that make it
//!   faithful; [`exchange`]: one call's exchange with the backend; [`outcome`]: what the
//!   backend answered, as the tool result the model sees;
//! - [`discover`]: the meta-tools that stand in for a large tool list (search, describe,
//!   call), and the tool search they use;
//! - [`custom`]: hand-written tools; [`resources`], [`completion`], [`prompts`]: the
//!   other MCP features, each built on the call path; [`confirm`], [`log`]: confirmation
//!   state and the client's log.
//!
//! The bridge never reads the spec: everything it knows of the contract comes from the
//! generated tables. It never speaks HTTP to MCP clients (the transports do) and makes no
//! policy decision itself (the guardrails do).

pub mod call;
#[allow(clippy::all, dead_code, unused_imports, unused_mut, unused_variables, missing_docs)]
pub mod client;
pub mod completion;
pub mod confirm;
pub mod custom;
pub mod discover;
pub mod exchange;
pub mod log;
pub mod outcome;
pub mod prompts;
pub mod resources;
pub mod roles;
pub mod server;
pub mod support;
pub mod upload;
// `types` goes unused when no tool has a typed body (an API of uploads and reads).
#[allow(clippy::all, unused_imports)]
pub mod tools;

pub use call::{Asker, CallRequest, Confirmer, NoAsking, Origin, Sessions};
pub use server::Bridge;
