//! Where log messages about a call go: the session's level (2025-era
//! `logging/setLevel`) or a 2026-07-28 request's opt-in, and the MCP form of a note.

use crate::bridge::exchange::{Level, Note};
use rmcp::RoleServer;
use rmcp::service::Peer;
use serde_json::json;
use std::sync::Mutex;

/// A session's log: where to send `notifications/message`, and from which level up.
#[derive(Clone)]
pub struct LogSink {
    pub peer: Peer<RoleServer>,
    pub level: Level,
}

impl LogSink {
    /// Send the notes at or above the session's level. A client that went away is not an
    /// error of the call.
    #[allow(deprecated)]
    pub async fn send(&self, notes: Vec<Note>) {
        for note in notes.into_iter().filter(|n| n.level >= self.level) {
            let _ = self.peer.notify_logging_message(logging_message(&note)).await;
        }
    }
}

/// The MCP form of a note. Logging is deprecated for 2026-07-28 clients (SEP-2577) but
/// still the way 2025-era clients hear about what happened.
#[allow(deprecated)]
fn logging_message(note: &Note) -> rmcp::model::LoggingMessageNotificationParam {
    use rmcp::model::LoggingLevel as L;
    let level = match note.level {
        Level::Debug => L::Debug,
        Level::Info => L::Info,
        Level::Notice => L::Notice,
        Level::Warning => L::Warning,
        Level::Error => L::Error,
        Level::Critical => L::Critical,
        Level::Alert => L::Alert,
        Level::Emergency => L::Emergency,
    };
    rmcp::model::LoggingMessageNotificationParam::new(level, json!({ "message": note.message })).with_logger("vtoc-mcp")
}

/// Per-session state (one per 2025-era MCP session, per stateless request, or for stdio).
#[derive(Debug, Default)]
pub(super) struct Session {
    /// `logging/setLevel`; unset means [`DEFAULT_LOG_LEVEL`].
    pub(super) log_level: Mutex<Option<Level>>,
}

/// The `_meta` key by which a 2026-07-28 request opts in to log messages (SEP-2577).
pub(super) const LOG_LEVEL_META: &str = "io.modelcontextprotocol/logLevel";

/// What a session hears until it sets a level: warnings and worse.
pub const DEFAULT_LOG_LEVEL: Level = Level::Warning;
