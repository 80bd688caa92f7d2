//! The guardrails: who is calling and with what scope ([`auth`], [`caller`]), what the
//! server serves and to whom ([`policy`]), what a call may carry ([`validate`]) and return
//! ([`truncate`]), and the record of every decision ([`audit`]).
//!
//! Guardrails decide; they never call the backend and never speak MCP or HTTP: the bridge
//! and the transports ask them.

pub mod audit;
pub mod auth;
pub mod caller;
pub mod policy;
pub mod truncate;
pub mod validate;

use audit::Audit;
use caller::Caller;
use policy::{Context, ContextArgument, Policy, Scope};
use rmcp::model::RequestStateCodec;
use std::sync::Arc;
use std::time::Duration;

/// The guardrail settings of the call path.
pub struct Guardrails {
    pub policy: Policy,
    /// The caller of stdio and of unauthenticated HTTP.
    pub local: Caller,
    /// Context used when neither the call nor the MCP request gives one.
    pub defaults: Context,
    /// Which tools offer the optional `context` argument.
    pub context_argument: ContextArgument,
    /// The header names the context goes to the backend under (`VTOC_CONTEXT_HEADERS`).
    pub context_headers: policy::ContextHeaders,
    pub audit: Arc<Audit>,
    /// Results larger than this are cut (with a marker).
    pub max_result_bytes: usize,
    /// Calls in flight per caller.
    pub max_concurrent_per_caller: usize,
    /// Calls per caller that may wait for a slot beyond those in flight.
    pub call_queue: usize,
    /// How long a queued call waits for a slot.
    pub call_queue_wait: Duration,
    /// How long a user has to answer a confirmation.
    pub confirm_timeout: Duration,
    /// Signs the `requestState` of 2026 confirmations (shared by replicas).
    pub state_codec: RequestStateCodec,
    /// Where replicas record used confirmation states (`MCP_STATE_URL`); `None`: each
    /// process remembers its own.
    pub shared: Option<Arc<crate::store::SharedStore>>,
    /// Send the caller's own bearer token to the backend instead of VTOC_API_TOKEN.
    pub forward_caller_token: bool,
    /// Metrics and traces: not a guardrail either, but what the call path reports to.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// Which callers `tools/list` serves the discovery meta-tools instead of every tool.
    /// Not a guardrail (the same checks run either way), but decided per caller scope like
    /// the tool list, so it travels with the settings that shape that list.
    pub discovery: crate::bridge::discover::Discovery,
}

impl Guardrails {
    /// Open settings for tests and tools: every tool, admin scope, no confirmation.
    pub fn permissive() -> Guardrails {
        Guardrails {
            policy: Policy { allow_writes: true, confirm_destructive: false, ..Policy::default() },
            local: Caller::local(Scope::Admin),
            defaults: Context::default(),
            context_argument: ContextArgument::Auto,
            context_headers: policy::ContextHeaders::default(),
            audit: Arc::new(Audit::off()),
            max_result_bytes: 1 << 20,
            max_concurrent_per_caller: 64,
            call_queue: 64,
            call_queue_wait: Duration::from_secs(10),
            confirm_timeout: Duration::from_secs(120),
            state_codec: RequestStateCodec::try_new(random_key()).expect("32 random bytes are a valid key"),
            shared: None,
            telemetry: Arc::default(),
            forward_caller_token: false,
            discovery: crate::bridge::discover::Discovery::default(),
        }
    }
}

/// 32 random bytes (for a per-process request-state key).
pub fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).expect("the OS provides randomness");
    key
}
