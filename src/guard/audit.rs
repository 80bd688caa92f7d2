//! One JSON line per tool call: who, what, on which target, for which station, what was
//! decided, what the backend answered, how long it took. The caller is named; its token
//! never appears.

use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::Mutex;

/// What happened to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    /// No or an invalid credential (HTTP 401), refused before the handler.
    RefusedUnauthenticated,
    RefusedScope,
    RefusedPolicy,
    RefusedArguments,
    RefusedUnknownTool,
    RefusedLimit,
    /// The server is shutting down: new calls are refused so another replica answers.
    RefusedDraining,
    ConfirmationRequested,
    /// The user said yes; the call's own line follows.
    ConfirmationAccepted,
    /// The user said no.
    ConfirmationDeclined,
    /// The user dismissed the question without answering it.
    ConfirmationCancelled,
    /// The question got no answer in time (or the client failed to ask it).
    ConfirmationUnanswered,
    ConfirmationUnavailable,
    /// A 2026 confirmation state that is forged, expired, or for another call.
    ConfirmationInvalid,
    /// A 2026 confirmation state sent a second time (refused: each state answers once).
    ConfirmationReplayed,
}

#[derive(Debug, Serialize)]
pub struct Event<'a> {
    pub ts: String,
    pub event: &'static str,
    pub caller: &'a str,
    pub auth: crate::guard::caller::AuthMethod,
    pub tool: &'a str,
    pub targets: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station: Option<&'a str>,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    pub latency_ms: f64,
    /// The W3C trace id of the call (its span's, or the one the client sent), so an audit
    /// entry leads to its trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// The audit log file cannot be opened for appending.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit log {path}: {source}; use a writable path, `stderr` or `off`")]
pub struct AuditOpenError {
    pub path: String,
    pub source: std::io::Error,
}

/// Where audit lines go.
pub struct Audit {
    sink: Option<Mutex<Box<dyn Write + Send>>>,
}

impl Audit {
    /// `stderr` (default), `off`, or a file path (appended).
    pub fn open(setting: &str) -> Result<Audit, AuditOpenError> {
        let sink: Option<Box<dyn Write + Send>> = match setting.trim() {
            "" | "stderr" => Some(Box::new(std::io::stderr())),
            "off" => None,
            path => Some(Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| AuditOpenError { path: path.into(), source })?,
            )),
        };
        Ok(Audit { sink: sink.map(Mutex::new) })
    }

    pub fn off() -> Audit {
        Audit { sink: None }
    }

    /// Whether lines are written (`MCP_AUDIT_LOG` is not `off`): when not, a caller need
    /// not build the [`Event`].
    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    pub fn record(&self, event: &Event<'_>) {
        let Some(sink) = &self.sink else { return };
        let Ok(mut line) = serde_json::to_vec(event) else { return };
        line.push(b'\n');
        let mut w = sink.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = w.write_all(&line).and_then(|_| w.flush()) {
            tracing::error!("cannot write the audit log: {e}");
        }
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Milliseconds since `started`, to two decimals (an audit line's `latency_ms`).
pub fn latency_ms(started: std::time::Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}
