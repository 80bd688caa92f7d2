//! Prometheus metrics (the `prometheus-client` crate's registry and text encoding), served
//! on their own listener (`MCP_METRICS_BIND`, see `transport::metrics`), never on `/mcp`.
//!
//! Every label set is bounded: a tool label is a name from the tool table (anything else is
//! `unknown`), an outcome or reason is one of a fixed list, an event is the kind of call.
//! No id, argument or caller is ever a label.
//!
//! What is counted where: a call's outcome and duration when its audit line is written
//! (`bridge::call`, the one place every decision is recorded); the backend's part around
//! each backend exchange; queue waits where a call waits for a slot; result truncations
//! where a result is cut; sessions, stream events and the process itself when scraped.

use crate::guard::audit::Decision;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// `tool_call`, `resource_read`, `completion`, `prompt` (the audit line's `event`).
    pub event: &'static str,
    pub tool: &'static str,
    /// `ok`, `error`, `backend_4xx`, `backend_5xx`, `cut_off`, or the refusal (`refused_scope`,
    /// `invalid_arguments`, `confirmation_declined`, …).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolLabels {
    pub tool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConfirmationLabels {
    /// `requested`, `accepted`, `declined`, `cancelled`, `unanswered`, `unavailable`,
    /// `invalid`, `replayed`.
    pub step: &'static str,
}

/// Seconds, 1 ms to ~33 s in powers of two: tool calls and backend requests.
fn seconds_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.001, 2.0, 16)
}

/// What `/metrics` reads at scrape time that lives elsewhere (sessions, the event store).
pub trait Gauges: Send + Sync + 'static {
    /// (open MCP sessions, stream events kept, bytes of them). Sessions are `None` when
    /// they cannot be read without waiting: the gauge keeps its last value.
    fn read(&self) -> (Option<i64>, i64, i64);
}

/// The bridge's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// The names a tool label may take (the tool table's).
    tools: HashSet<&'static str>,
    calls: Family<CallLabels, Counter>,
    call_seconds: Family<ToolLabels, Histogram>,
    backend_seconds: Family<ToolLabels, Histogram>,
    refusals: Family<ReasonLabels, Counter>,
    confirmations: Family<ConfirmationLabels, Counter>,
    truncations: Family<ToolLabels, Counter>,
    queue_waiting: Gauge<i64, AtomicI64>,
    queue_wait_seconds: Histogram,
    sessions: Gauge<i64, AtomicI64>,
    stream_events: Gauge<i64, AtomicI64>,
    stream_bytes: Gauge<i64, AtomicI64>,
    gauges: Mutex<Option<Arc<dyn Gauges>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The registry, for a bridge whose tools are `tools`.
    pub fn new(tools: impl IntoIterator<Item = &'static str>) -> Metrics {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        let call_seconds =
            Family::<ToolLabels, Histogram>::new_with_constructor(|| Histogram::new(seconds_buckets()) as Histogram);
        let backend_seconds =
            Family::<ToolLabels, Histogram>::new_with_constructor(|| Histogram::new(seconds_buckets()) as Histogram);
        let refusals = Family::<ReasonLabels, Counter>::default();
        let confirmations = Family::<ConfirmationLabels, Counter>::default();
        let truncations = Family::<ToolLabels, Counter>::default();
        let queue_waiting = Gauge::<i64, AtomicI64>::default();
        let queue_wait_seconds = Histogram::new(seconds_buckets());
        let (sessions, stream_events, stream_bytes) = Default::default();
        let r = &mut registry;
        r.register(
            "vtoc_mcp_tool_calls",
            "Calls of tools (and resources, prompts, completions) by outcome",
            calls.clone(),
        );
        r.register(
            "vtoc_mcp_tool_call_duration_seconds",
            "Time from a call's arrival to its answer (confirmation waits of a session included)",
            call_seconds.clone(),
        );
        r.register(
            "vtoc_mcp_backend_request_duration_seconds",
            "Time of the backend exchanges of a call (retries included)",
            backend_seconds.clone(),
        );
        r.register("vtoc_mcp_refusals", "Calls and requests refused, by reason", refusals.clone());
        r.register("vtoc_mcp_confirmations", "Confirmations of destructive calls, by step", confirmations.clone());
        r.register("vtoc_mcp_result_truncations", "Results cut to MCP_MAX_RESULT_BYTES", truncations.clone());
        r.register(
            "vtoc_mcp_queue_waiting",
            "Calls waiting for a slot (MCP_MAX_CONCURRENT_CALLS)",
            queue_waiting.clone(),
        );
        r.register("vtoc_mcp_queue_wait_seconds", "Time calls waited for a slot", queue_wait_seconds.clone());
        r.register("vtoc_mcp_sessions_open", "Open MCP sessions (2025-era clients)", Gauge::clone(&sessions));
        r.register("vtoc_mcp_stream_events", "Stream events kept for resumption", Gauge::clone(&stream_events));
        r.register("vtoc_mcp_stream_event_bytes", "Bytes of stream events kept", Gauge::clone(&stream_bytes));
        r.register_collector(Box::new(Process));
        Metrics {
            registry: Mutex::new(registry),
            tools: tools.into_iter().collect(),
            calls,
            call_seconds,
            backend_seconds,
            refusals,
            confirmations,
            truncations,
            queue_waiting,
            queue_wait_seconds,
            sessions,
            stream_events,
            stream_bytes,
            gauges: Mutex::default(),
        }
    }

    /// Where sessions and stream events are read at scrape time.
    pub fn read_gauges_from(&self, gauges: Arc<dyn Gauges>) {
        *self.gauges.lock().unwrap_or_else(|p| p.into_inner()) = Some(gauges);
    }

    /// The tool label: the name when the tool table has it, else `unknown` (bounded).
    fn tool(&self, name: &str) -> &'static str {
        self.tools.get(name).copied().unwrap_or("unknown")
    }

    /// A call ended (or went a step further): its audit decision, in labels.
    pub fn call(&self, event: &'static str, tool: &str, outcome: Outcome, took: Duration) {
        match outcome {
            Outcome::Step(step) => {
                self.confirmations.get_or_create(&ConfirmationLabels { step }).inc();
            }
            Outcome::Done { outcome, refusal, confirmation } => {
                let tool = self.tool(tool);
                self.calls.get_or_create(&CallLabels { event, tool, outcome }).inc();
                self.call_seconds.get_or_create(&ToolLabels { tool }).observe(took.as_secs_f64());
                if let Some(reason) = refusal {
                    self.refusal(reason);
                }
                if let Some(step) = confirmation {
                    self.confirmations.get_or_create(&ConfirmationLabels { step }).inc();
                }
            }
        }
    }

    /// A request refused before any tool ran (at the HTTP edge), or a call refused.
    pub fn refusal(&self, reason: &'static str) {
        self.refusals.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub fn backend(&self, tool: &str, took: Duration) {
        self.backend_seconds.get_or_create(&ToolLabels { tool: self.tool(tool) }).observe(took.as_secs_f64());
    }

    pub fn truncated(&self, tool: &str) {
        self.truncations.get_or_create(&ToolLabels { tool: self.tool(tool) }).inc();
    }

    /// A call starts (+1) or stops (-1) waiting for a slot.
    pub fn waiting(&self, delta: i64) {
        self.queue_waiting.inc_by(delta);
    }

    pub fn waited(&self, took: Duration) {
        self.queue_wait_seconds.observe(took.as_secs_f64());
    }

    /// The text exposition (Prometheus 0.0.4 / OpenMetrics text), read now.
    pub fn render(&self) -> String {
        if let Some(gauges) = self.gauges.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let (sessions, events, bytes) = gauges.read();
            if let Some(sessions) = sessions {
                self.sessions.set(sessions);
            }
            self.stream_events.set(events);
            self.stream_bytes.set(bytes);
        }
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

/// What an audit decision means for the metrics and the span: `(outcome, error type)`;
/// the error type is `None` for a call that succeeded or a step of a confirmation.
pub fn classify(
    decision: Decision,
    status: Option<u16>,
    outcome: Option<&'static str>,
) -> (Outcome, Option<&'static str>) {
    let done = |outcome, refusal, confirmation| Outcome::Done { outcome, refusal, confirmation };
    let refused = |reason: &'static str| (done(reason, Some(reason), None), Some(reason));
    let confirmation = |label: &'static str, step: &'static str| (done(label, Some(label), Some(step)), Some(label));
    match decision {
        Decision::Allowed => match (status, outcome) {
            (_, Some("cut_off")) => (done("cut_off", None, None), Some("cut_off")),
            (Some(s), _) if s >= 500 => (done("backend_5xx", None, None), Some("backend_5xx")),
            (Some(s), _) if s >= 400 => (done("backend_4xx", None, None), Some("backend_4xx")),
            (_, Some("error")) => (done("error", None, None), Some("tool_error")),
            _ => (done("ok", None, None), None),
        },
        Decision::ConfirmationRequested => (Outcome::Step("requested"), None),
        Decision::ConfirmationAccepted => (Outcome::Step("accepted"), None),
        Decision::ConfirmationDeclined => confirmation("confirmation_declined", "declined"),
        Decision::ConfirmationCancelled => confirmation("confirmation_cancelled", "cancelled"),
        Decision::ConfirmationUnanswered => confirmation("confirmation_timeout", "unanswered"),
        Decision::ConfirmationUnavailable => confirmation("confirmation_unavailable", "unavailable"),
        Decision::ConfirmationInvalid => confirmation("confirmation_invalid", "invalid"),
        Decision::ConfirmationReplayed => confirmation("confirmation_replayed", "replayed"),
        Decision::RefusedUnauthenticated => refused("refused_unauthenticated"),
        Decision::RefusedScope => refused("refused_scope"),
        Decision::RefusedPolicy => refused("refused_policy"),
        Decision::RefusedArguments => refused("invalid_arguments"),
        Decision::RefusedUnknownTool => refused("unknown_tool"),
        Decision::RefusedLimit => refused("refused_limit"),
        Decision::RefusedDraining => refused("refused_draining"),
    }
}

/// How a call ended, for [`Metrics::call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A confirmation step that is not the call's end (asked, accepted).
    Step(&'static str),
    /// The call's end: its outcome label, the refusal reason if it was one, and the
    /// confirmation step it ended on, if any.
    Done { outcome: &'static str, refusal: Option<&'static str>, confirmation: Option<&'static str> },
}

/// The process's own: resident memory and CPU time, read from /proc at scrape time.
#[derive(Debug)]
struct Process;

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if let Some(rss) = resident_bytes() {
            let gauge = ConstGauge::new(rss as i64);
            let metric = encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                None,
                gauge.metric_type(),
            )?;
            gauge.encode(metric)?;
        }
        if let Some(cpu) = cpu_seconds() {
            let counter = ConstCounter::new(cpu);
            let metric = encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// Resident set size from /proc/self/statm (its second field, in pages).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    Some(statm.split_whitespace().nth(1)?.parse::<u64>().ok()? * page_size())
}

/// utime + stime from /proc/self/stat, in seconds.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime) = (fields.get(11)?.parse::<u64>().ok()?, fields.get(12)?.parse::<u64>().ok()?);
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some((utime + stime) as f64 / if ticks > 0 { ticks as f64 } else { 100.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded_and_the_text_is_prometheus() {
        let m = Metrics::new(["get_poi", "delete_poi"]);
        let done = |outcome, refusal| Outcome::Done { outcome, refusal, confirmation: None };
        m.call("tool_call", "get_poi", done("ok", None), Duration::from_millis(3));
        m.call("tool_call", "get_poi", done("ok", None), Duration::from_millis(4));
        m.call("tool_call", "no_such_tool_42", done("unknown_tool", Some("unknown_tool")), Duration::ZERO);
        m.call("tool_call", "delete_poi", Outcome::Step("requested"), Duration::ZERO);
        m.backend("get_poi", Duration::from_millis(2));
        m.truncated("get_poi");
        let text = m.render();
        assert!(
            text.contains(r#"vtoc_mcp_tool_calls_total{event="tool_call",tool="get_poi",outcome="ok"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"tool="unknown",outcome="unknown_tool"} 1"#), "an unknown name is not a label: {text}");
        assert!(!text.contains("no_such_tool_42"));
        assert!(text.contains(r#"vtoc_mcp_refusals_total{reason="unknown_tool"} 1"#), "{text}");
        assert!(text.contains(r#"vtoc_mcp_confirmations_total{step="requested"} 1"#), "{text}");
        assert!(text.contains(r#"vtoc_mcp_tool_call_duration_seconds_count{tool="get_poi"} 2"#), "{text}");
        assert!(text.contains(r#"vtoc_mcp_backend_request_duration_seconds_count{tool="get_poi"} 1"#), "{text}");
        assert!(text.contains(r#"vtoc_mcp_result_truncations_total{tool="get_poi"} 1"#), "{text}");
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
    }
}
