//! Errors as the model sees them: backend failures are readable tool errors; bad
//! arguments are refused before any backend call.

use crate::common::*;
use crate::guardrails::post;
use serde_json::json;
use std::time::Duration;

async fn setup() -> (RecordingBackend, HttpBridge, Client) {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let client = http_client(&bridge.url).await;
    (backend, bridge, client)
}

#[tokio::test]
async fn backend_404_becomes_a_tool_error_with_the_detail() {
    let (backend, _bridge, client) = setup().await;
    let result = call(&client, "get_poi", json!({"poi_id": 999})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert_eq!(text(&result), "HTTP 404 Not Found from GET /api/v1/poi/999: POI not found");
    assert_eq!(backend.take_one().target, "/api/v1/poi/999");
}

#[tokio::test]
async fn backend_422_lists_the_fields() {
    let (backend, _bridge, client) = setup().await;
    backend.force(Forced::json(
        422,
        json!({"detail": [
            {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
            {"loc": ["body", "risk_level"], "msg": "Input should be 'info', 'medium' or 'high'", "type": "enum"}
        ]}),
    ));
    let result = call(&client, "create_poi", json!({"name": "x"})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(message.starts_with("HTTP 422 Unprocessable Entity from POST /api/v1/poi"), "{message}");
    // FastAPI's `["body", "name"]` is the model's argument `name`.
    assert!(message.contains("- name: Field required"), "{message}");
    assert!(message.contains("- risk_level: Input should be"), "{message}");
}

#[tokio::test]
async fn undeclared_statuses_show_the_backend_body() {
    let (backend, _bridge, client) = setup().await;
    backend.force(Forced::json(503, json!({"detail": "AgentKit is not configured"})));
    let result =
        call(&client, "execute_action", json!({"tool_name": "summarize_station", "action_input": "{}"})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert_eq!(
        text(&result),
        "HTTP 503 Service Unavailable from POST /api/v1/agent-actions/execute: AgentKit is not configured"
    );
}

#[tokio::test]
async fn unreachable_backend_names_the_url() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let bridge = start_bridge(backend_args(&url)).await;
    let client = http_client(&bridge.url).await;
    let result = call(&client, "list_stations", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(message.contains(&url) && message.contains("connection failed"), "{message}");
}

#[tokio::test]
async fn slow_backend_times_out_with_the_timeout_named() {
    let backend = RecordingBackend::start().await;
    let mut args = backend_args(&backend.url);
    args.timeout_secs = 0.5;
    let bridge = start_bridge(args).await;
    let client = http_client(&bridge.url).await;
    backend.force(Forced { delay: Duration::from_secs(3), ..Forced::json(200, json!([])) });
    // The backend answers after 3 s with a success; an error naming 0.5 s is the timeout.
    let result = call(&client, "list_stations", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("within 0.5 s"), "{}", text(&result));
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_backend_call() {
    let (backend, _bridge, client) = setup().await;
    let cases = [
        ("get_poi", json!({}), "poi_id"),
        ("get_poi", json!({"poi_id": "seven"}), "poi_id"),
        ("get_poi", json!({"poi_id": 1, "poi_idd": 2}), "poi_idd"),
        ("station_timeline", json!({"station_slug": "ops-center", "limit": 500}), "limit"),
        ("create_imei_watch_entry", json!({"identifier_value": "1", "list_type": "grey"}), "list_type"),
        ("create_poi", json!({"name": ""}), "name"),
        ("create_poi", json!({"body": {"name": "x"}}), "body"),
        ("hw_test_gps", json!({"port": "/dev/ttyUSB0", "speed": 1}), "speed"),
        ("execute_action", json!({"tool_name": "t", "action_input": "{not json"}), "action_input"),
        ("execute_action", json!({"tool_name": "t", "action_input": "[1]"}), "action_input"),
        ("update_poi", json!({"poi_id": 1, "notes": "n", "clear": ["notes"]}), "clear"),
        ("update_poi", json!({"poi_id": 1, "clear": ["poi_id"]}), "clear"),
        ("read_station", json!({"station_slug": "../healthz"}), "station_slug"),
        ("read_station", json!({"station_slug": "ops-center/dashboard"}), "station_slug"),
        ("read_station", json!({"station_slug": ".."}), "station_slug"),
    ];
    for (tool, arguments, field) in cases {
        let result = call(&client, tool, arguments.clone()).await.expect("a tool result, not a protocol error");
        let (text, fields) = refused_arguments(&result);
        assert!(text.contains(field), "{tool} {arguments}: {text}");
        assert!(fields.iter().any(|f| f == field), "{tool} {arguments}: {fields:?}");
    }
    assert!(backend.requests().is_empty(), "the backend was called: {:#?}", backend.requests());
}

#[tokio::test]
async fn unknown_tool_is_a_clear_protocol_error() {
    let (backend, _bridge, client) = setup().await;
    let err = protocol_error(call(&client, "drop_database", json!({})).await.unwrap_err());
    assert_eq!(err.code, rmcp::model::ErrorCode::INVALID_PARAMS);
    assert!(err.message.contains("unknown tool `drop_database`"), "{}", err.message);
    assert!(backend.requests().is_empty());
}

/// SEP-1303 on every path a call can take: stdio, HTTP with a 2025 session, and a stateless
/// 2026-07-28 request. The same tool error, naming `poi_id`; the backend receives nothing.
#[tokio::test]
async fn a_bad_argument_is_the_same_tool_error_on_every_transport_and_era() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let bad = json!({"poi_id": "not-a-number"});
    let over_http = call(&http_client(&bridge.url).await, "get_poi", bad.clone()).await.unwrap();
    let stdio = stdio_client(&[("VTOC_API_BASE_URL", backend.url.as_str())]).await;
    let over_stdio = call(&stdio, "get_poi", bad.clone()).await.unwrap();
    for result in [&over_http, &over_stdio] {
        let (text, fields) = refused_arguments(result);
        assert_eq!(fields, ["poi_id"]);
        assert!(text.contains("poi_id: expected integer"), "{text}");
    }
    assert_eq!(over_http.meta, over_stdio.meta);
    assert_eq!(over_http.structured_content, None, "get_poi declares an outputSchema the violations do not fit");
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_poi", "arguments": bad,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let (status, _, reply) = post(
        &bridge.url,
        request,
        &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "get_poi")],
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(reply["result"]["_meta"], serde_json::to_value(over_http.meta.clone().unwrap()).unwrap());
    assert!(backend.requests().is_empty(), "{:?}", backend.requests());
}
