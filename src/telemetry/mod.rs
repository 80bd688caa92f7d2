//! What an operator sees of the bridge beyond the audit line: Prometheus metrics
//! ([`metrics`], on their own listener) and OpenTelemetry traces ([`trace`], exported over
//! OTLP). Both are off unless configured, and cost the call path nothing then.
//!
//! Owns the registries and the exporter; knows nothing of MCP or HTTP routing. The bridge
//! reports what happened to a call; the transports serve `/metrics`.

pub mod metrics;
pub mod trace;

/// The telemetry of one server.
#[derive(Debug, Default)]
pub struct Telemetry {
    /// Prometheus metrics, when `MCP_METRICS_BIND` is set.
    pub metrics: Option<metrics::Metrics>,
    /// OTLP traces, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    pub tracing: Option<trace::Tracing>,
}

impl Telemetry {
    /// No metrics, no traces: one shared value, so a call that has no telemetry of its own
    /// allocates none.
    pub fn off() -> std::sync::Arc<Telemetry> {
        static OFF: std::sync::LazyLock<std::sync::Arc<Telemetry>> = std::sync::LazyLock::new(Default::default);
        OFF.clone()
    }
}
