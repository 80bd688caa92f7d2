//! OpenTelemetry traces: one span per MCP request that reaches the call path (a tool call,
//! a resource read, a prompt, a completion), a child span per backend exchange, and W3C
//! trace context sent on to the backend, so one trace runs agent → bridge → vTOC.
//!
//! Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set
//! (and `OTEL_SDK_DISABLED` is not `true`); then spans go out over OTLP/HTTP (protobuf) in
//! batches, named after `OTEL_SERVICE_NAME` (default `vtoc-mcp`), with the exporter's own
//! variables (`OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`, …). When off, nothing here runs on
//! the call path but reading a parent a client sent, for the audit line's `trace_id`.
//!
//! The parent of a request's span is the trace context in its `_meta` (`traceparent`,
//! `tracestate`, `baggage`: MCP 2026-07-28, SEP-414), else the HTTP request's
//! `traceparent` header. Names and attributes follow the OpenTelemetry conventions for MCP
//! (`mcp.method.name`, `gen_ai.tool.name`, `mcp.session.id`, `mcp.protocol.version`,
//! `error.type`) and for HTTP clients (`http.request.method`, `url.template`,
//! `server.address`, `http.response.status_code`). A span never carries a token, a secret
//! or an argument's value (the URL template, not the URL: a path may hold an id), unless
//! `MCP_TRACE_ARGUMENTS=true` adds the arguments' JSON to the call's span.

use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::collections::HashMap;

/// The keys of trace context, in `_meta` (SEP-414) and in HTTP headers alike.
const KEYS: [&str; 3] = ["traceparent", "tracestate", "baggage"];

/// The exporting tracer, when traces are configured.
pub struct Tracing {
    provider: SdkTracerProvider,
    tracer: opentelemetry_sdk::trace::SdkTracer,
    /// `MCP_TRACE_ARGUMENTS`: put the call's arguments on its span.
    pub capture_arguments: bool,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracing").field("capture_arguments", &self.capture_arguments).finish_non_exhaustive()
    }
}

/// Why traces could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("OTEL_EXPORTER_OTLP_ENDPOINT: cannot set up the OTLP exporter: {0}")]
pub struct TraceSetupError(String);

/// Whether the standard variables ask for traces.
pub fn configured(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// W3C trace context and baggage, built once.
fn propagator() -> &'static TextMapCompositePropagator {
    static PROPAGATOR: std::sync::OnceLock<TextMapCompositePropagator> = std::sync::OnceLock::new();
    PROPAGATOR.get_or_init(|| {
        TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ])
    })
}

/// Trace context headers (`traceparent`, `tracestate`, `baggage`) for a request, from `cx`.
/// Nothing when `cx` has no valid span.
pub fn inject(cx: &Context, headers: &mut http::HeaderMap) {
    if cx.span().span_context().is_valid() {
        propagator().inject_context(cx, &mut HeaderInjector(headers));
    }
}

impl Tracing {
    /// The exporter and provider, from the standard `OTEL_*` variables.
    pub fn from_env(capture_arguments: bool) -> Result<Tracing, TraceSetupError> {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()
            .map_err(|e| TraceSetupError(e.to_string()))?;
        let mut resource = opentelemetry_sdk::Resource::builder();
        if std::env::var("OTEL_SERVICE_NAME").map_or(true, |v| v.trim().is_empty()) {
            resource = resource.with_service_name("vtoc-mcp");
        }
        let resource = resource.with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))).build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let tracer = provider.tracer("vtoc-mcp");
        Ok(Tracing { provider, tracer, capture_arguments })
    }

    /// Send what is buffered (at shutdown).
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            tracing::warn!("could not send the last spans: {e}");
        }
    }

    /// A request's span, under `parent`: `{method} {target}` (`tools/call get_poi`).
    pub fn request_span(
        &self,
        parent: &Context,
        method: &'static str,
        target: &str,
        attributes: Vec<KeyValue>,
    ) -> Context {
        let mut all = vec![KeyValue::new("mcp.method.name", method)];
        all.extend(attributes);
        let span = self
            .tracer
            .span_builder(format!("{method} {target}"))
            .with_kind(SpanKind::Server)
            .with_attributes(all)
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }

    /// A backend exchange's span, under the request's.
    pub fn backend_span(&self, parent: &Context, method: &str, template: &str, server: (&str, u16)) -> Context {
        let span = self
            .tracer
            .span_builder(format!("{method} {template}"))
            .with_kind(SpanKind::Client)
            .with_attributes(vec![
                KeyValue::new("http.request.method", method.to_string()),
                KeyValue::new("url.template", template.to_string()),
                KeyValue::new("server.address", server.0.to_string()),
                KeyValue::new("server.port", i64::from(server.1)),
            ])
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }
}

/// Ends a span with its outcome: `error_type` set marks it failed.
pub fn end(cx: &Context, error_type: Option<&str>, attributes: Vec<KeyValue>) {
    let span = cx.span();
    for kv in attributes {
        span.set_attribute(kv);
    }
    if let Some(error) = error_type {
        span.set_attribute(KeyValue::new("error.type", error.to_string()));
        span.set_status(Status::error(error.to_string()));
    }
    span.end();
}

/// The parent trace context of a request: `_meta`'s (SEP-414), else the HTTP headers'.
/// Empty (no parent) when neither carries a valid `traceparent`.
///
/// Most requests carry none: that is seen first, without running the propagators (which
/// look each header up by a name parsed on every lookup).
pub fn parent(meta: Option<&serde_json::Map<String, serde_json::Value>>, headers: Option<&http::HeaderMap>) -> Context {
    static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
    let meta = meta.filter(|m| m.contains_key("traceparent"));
    let headers = headers.filter(|h| h.contains_key(&TRACEPARENT));
    if meta.is_none() && headers.is_none() {
        return Context::new();
    }
    let propagator = propagator();
    if let Some(meta) = meta {
        let carrier: HashMap<String, String> = KEYS
            .iter()
            .filter_map(|k| meta.get(*k).and_then(|v| v.as_str()).map(|v| (k.to_string(), v.to_string())))
            .collect();
        if carrier.contains_key("traceparent") {
            let cx = propagator.extract(&carrier);
            if cx.span().span_context().is_valid() {
                return cx;
            }
        }
    }
    if let Some(headers) = headers {
        let cx = propagator.extract(&HeaderExtractor(headers));
        if cx.span().span_context().is_valid() {
            return cx;
        }
    }
    Context::new()
}

/// The trace id of `cx`, when it has a valid span context (for the audit line).
pub fn trace_id(cx: &Context) -> Option<String> {
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::from_str(&value))
        {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_parent_comes_from_meta_then_headers() {
        let meta = json!({"traceparent": PARENT, "tracestate": "vendor=x"});
        let cx = parent(meta.as_object(), None);
        assert_eq!(trace_id(&cx).as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", "00-11111111111111111111111111111111-2222222222222222-01".parse().unwrap());
        assert_eq!(
            trace_id(&parent(meta.as_object(), Some(&headers))).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(trace_id(&parent(None, Some(&headers))).as_deref(), Some("11111111111111111111111111111111"));
        let garbage = json!({"traceparent": "not a traceparent"});
        assert_eq!(trace_id(&parent(garbage.as_object(), None)), None);
        assert_eq!(trace_id(&parent(None, None)), None);
    }

    #[test]
    fn configured_only_by_the_standard_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(!configured(env(&[])));
        assert!(configured(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")])));
        assert!(configured(env(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")])));
        assert!(!configured(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_SDK_DISABLED", "true")])));
        assert!(!configured(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])));
    }
}
