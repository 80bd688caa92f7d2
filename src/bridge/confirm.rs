//! Confirmation state of 2026-07-28 clients (the input-required round trip): what a
//! sealed `requestState` binds (tool, argument digest, caller, a nonce), and the record
//! of used nonces that makes each state answer once.

use crate::guard::random_key;
use rmcp::model::{JsonObject, SealOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a 2026 confirmation was asked for, sealed into `requestState` and checked on
/// the retry: the same tool, the same arguments (canonical digest), the same caller.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct ConfirmState {
    tool: String,
    args: String,
    caller: String,
    pub(super) nonce: String,
}

impl ConfirmState {
    pub(super) fn new(tool: &str, arguments: &JsonObject, caller: &str) -> ConfirmState {
        let canonical = canonical(&Value::Object(arguments.clone()));
        let digest: String =
            Sha256::digest(canonical.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let nonce: String = random_key()[..16].iter().map(|b| format!("{b:02x}")).collect();
        ConfirmState { tool: tool.to_string(), args: digest, caller: caller.to_string(), nonce }
    }

    /// Was this state sealed for this very call?
    pub(super) fn is_for(&self, tool: &str, arguments: &JsonObject, caller: &str) -> bool {
        let expected = ConfirmState::new(tool, arguments, caller);
        self.tool == expected.tool && self.args == expected.args && self.caller == expected.caller
    }
}

/// How many used confirmation states one process remembers at most. Each is kept until
/// its state would have expired anyway (`MCP_CONFIRM_TIMEOUT_SECS`); when all slots hold
/// live states, new confirmations are refused rather than forgetting one (fail closed).
pub(super) const USED_STATES_CAPACITY: usize = 65_536;

/// The nonces of used 2026 confirmation states, each with the time after which its state
/// is expired (and so refused by the codec without this list).
pub(super) struct UsedStates {
    capacity: usize,
    seen: Mutex<HashMap<String, Instant>>,
}

#[derive(Debug, PartialEq)]
pub(super) enum Spend {
    /// First use: go on.
    Fresh,
    /// Used before: refuse.
    Used,
    /// Every slot holds a live state: refuse (never forget a live one).
    Full,
}

impl UsedStates {
    pub(super) fn new(capacity: usize) -> UsedStates {
        UsedStates { capacity, seen: Mutex::default() }
    }

    /// Marks `nonce` used; `ttl` bounds the remaining life of its state.
    pub(super) fn spend(&self, nonce: &str, ttl: Duration) -> Spend {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(expires) = seen.get(nonce)
            && *expires > now
        {
            return Spend::Used;
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, expires| *expires > now);
            if seen.len() >= self.capacity {
                return Spend::Full;
            }
        }
        seen.insert(nonce.to_string(), now + ttl);
        Spend::Fresh
    }
}

/// Binds sealed confirmation states to their purpose.
pub(super) const CONFIRM_AAD: &[u8] = b"vtoc-mcp/confirm/v1";

pub(super) fn seal_options(ttl: Duration) -> SealOptions<'static> {
    SealOptions::new().associated_data(CONFIRM_AAD).ttl(ttl)
}

/// Keys sorted at every level, so a retry that reorders keys digests the same.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_state_answers_once() {
        let used = UsedStates::new(2);
        let ttl = Duration::from_secs(60);
        assert_eq!(used.spend("a", ttl), Spend::Fresh);
        assert_eq!(used.spend("a", ttl), Spend::Used);
        assert_eq!(used.spend("b", ttl), Spend::Fresh);
        // Both slots hold live states: a third is refused, and neither live one is forgotten.
        assert_eq!(used.spend("c", ttl), Spend::Full);
        assert_eq!(used.spend("a", ttl), Spend::Used);
        assert_eq!(used.spend("b", ttl), Spend::Used);
    }

    #[test]
    fn expired_entries_make_room() {
        let used = UsedStates::new(1);
        assert_eq!(used.spend("a", Duration::ZERO), Spend::Fresh);
        // `a`'s state has expired (the codec refuses it by itself), so its slot is free.
        assert_eq!(used.spend("b", Duration::from_secs(60)), Spend::Fresh);
        assert_eq!(used.spend("b", Duration::from_secs(60)), Spend::Used);
    }
}
