//! Agent actions (`/api/v1/agent-actions/...`).
//!
//! The three simulated AgentKit tools, the audit log, and `execute`, which "runs" a tool by
//! echoing its input and records an audit with the ChatKit channel, initiator and station
//! taken from the metadata, the body or the headers.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Obj;
use super::context::Req;
use super::errors::{ApiError, ApiResult, ok, reply};
use super::model::{AUDIT_COLS, EXECUTE};
use super::store::{Db, int, obj, public, text};
use super::time::{now, parse_time};
use super::validation::V;

const TOOL_NAMES: &[&str] = &["summarize_station", "dispatch_field_team", "lookup_imei"];

fn agent_tools() -> Value {
    json!([
        {"name": "summarize_station",
         "description": "Summarize recent telemetry and agent activity for a station.",
         "signature": {"type": "object", "properties": {
             "station_slug": {"type": "string"},
             "window_minutes": {"type": "integer", "default": 60}},
             "required": ["station_slug"]},
         "metadata": {"category": "station"}},
        {"name": "dispatch_field_team",
         "description": "Dispatch a field team to a position with a short tasking note.",
         "signature": {"type": "object", "properties": {
             "team": {"type": "string"}, "latitude": {"type": "number"},
             "longitude": {"type": "number"}, "note": {"type": "string"}},
             "required": ["team", "latitude", "longitude"]},
         "metadata": {"category": "operations", "requires_confirmation": true}},
        {"name": "lookup_imei",
         "description": "Look up an IMEI against the watchlist and linked POI records.",
         "signature": {"type": "object", "properties": {"imei": {"type": "string"}},
             "required": ["imei"]},
         "metadata": {"category": "poi"}},
    ])
}

const META_CHANNEL: &[&str] =
    &["/channel_slug", "/channel/slug", "/channel/id", "/channel", "/chatkit/channel_slug", "/chatkit/channel"];
const META_INITIATOR: &[&str] = &[
    "/chatkit/initiator_id",
    "/chatkit/user_id",
    "/initiator_id",
    "/initiator/id",
    "/initiator/user_id",
    "/initiator",
    "/user/id",
    "/user/user_id",
    "/user",
];

/// First string-or-number value among JSON pointers into the request metadata.
fn meta_first(meta: Option<&Value>, pointers: &[&str]) -> Option<String> {
    let meta = meta?;
    pointers
        .iter()
        .filter_map(|p| meta.pointer(p))
        .find_map(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

pub(super) fn list_tools(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(agent_tools())
}

pub(super) fn list_audits(db: &mut Db, _r: &Req) -> ApiResult {
    let mut rows: Vec<&Obj> = db.audits.rows.values().collect();
    rows.sort_by_cached_key(|a| std::cmp::Reverse((parse_time(a.get("created_at")), int(a, "id"))));
    ok(rows.into_iter().take(100).map(|a| Value::Object(public(a))).collect())
}

pub(super) fn execute_action(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &EXECUTE)?;
    v.finish()?;
    let tool = text(&body, "tool_name").unwrap_or_default().to_owned();
    if !TOOL_NAMES.contains(&tool.as_str()) {
        return Err(ApiError::detail(StatusCode::NOT_FOUND, format!("Unknown agent tool: {tool}")));
    }
    let meta = body.get("metadata");
    let field = |k: &str| text(&body, k).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let channel = meta_first(meta, META_CHANNEL)
        .or_else(|| field("channel_slug"))
        .or_else(|| r.header(&["x-chatkit-channel", "x-chatkit-thread"]));
    let initiator = meta_first(meta, META_INITIATOR)
        .or_else(|| field("initiator_id"))
        .or_else(|| r.header(&["x-chatkit-user", "x-chatkit-initiator"]));
    let station_slug = r.station_ctx();
    let station_id = station_slug.as_deref().and_then(|s| db.station_by_slug(s).ok()).and_then(|s| int(s, "id"));
    let input = body.get("action_input").cloned().unwrap_or_else(|| json!({}));
    db.actions += 1;
    let action_id = format!("act-{:06}", db.actions);
    let result = json!({"tool": tool, "input": input, "station": station_slug, "demo": true});
    let ts = now();
    let audit = json!({"action_id": action_id, "tool_name": tool, "status": "completed",
        "request_payload": input, "response_payload": result, "error_message": null,
        "channel_slug": channel, "initiator_id": initiator, "completed_at": ts,
        "_station_id": station_id});
    db.audits.insert(AUDIT_COLS, obj(audit), &ts);
    Ok(reply(
        StatusCode::ACCEPTED,
        json!({"action_id": action_id, "status": "completed", "result": result,
            "message": format!("Demo AgentKit executed {tool}")}),
    ))
}

pub(super) fn webhook(_db: &mut Db, _r: &Req) -> ApiResult {
    Ok(reply(StatusCode::ACCEPTED, json!({"status": "accepted"})))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::demo::DemoState;
    use crate::demo::testkit::{pick, start};

    #[tokio::test]
    async fn execute_records_an_audit_with_chatkit_context() {
        let s = start(DemoState::seeded()).await;
        let hdrs = [("x-chatkit-channel", "ops-net"), ("x-chatkit-user", "analyst-9"), ("x-station-id", "field_kit_1")];
        let input = json!({"station_slug": "field-kit-1"});
        let body = json!({"tool_name": "summarize_station", "action_input": input});
        let reply = s.call("POST", "/api/v1/agent-actions/execute", &body, &hdrs).await;
        assert_eq!(reply.status, 202);
        let expected = json!({"action_id": "act-000003", "status": "completed"});
        assert_eq!(pick(&reply.body, &["action_id", "status"]), expected);
        let result = json!({"tool": "summarize_station", "input": input});
        assert_eq!(pick(&reply.body["result"], &["tool", "input"]), result);

        let audits = s.get("/api/v1/agent-actions/audits").await;
        let keys = ["action_id", "tool_name", "channel_slug", "initiator_id", "request_payload"];
        let expected = json!({"action_id": "act-000003", "tool_name": "summarize_station",
            "channel_slug": "ops-net", "initiator_id": "analyst-9", "request_payload": input});
        assert_eq!(pick(&audits[0], &keys), expected);
        assert_eq!(audits[0]["response_payload"]["station"], "field-kit-1");
        let timeline = s.get("/api/v1/stations/field-kit-1/timeline?limit=1").await;
        assert_eq!(timeline["items"][0]["action_id"], "act-000003");

        // Body fields beat the headers; the thread header is the channel fallback.
        let hdrs = [("x-chatkit-thread", "thread-1"), ("x-chatkit-initiator", "op-2")];
        let body = json!({"tool_name": "lookup_imei", "action_input": {}, "initiator_id": "me"});
        let reply = s.call("POST", "/api/v1/agent-actions/execute", &body, &hdrs).await;
        assert_eq!(reply.body["action_id"], "act-000004");
        let audits = s.get("/api/v1/agent-actions/audits").await;
        let expected = json!({"channel_slug": "thread-1", "initiator_id": "me"});
        assert_eq!(pick(&audits[0], &["channel_slug", "initiator_id"]), expected);

        let body = json!({"tool_name": "nope", "action_input": {}});
        let reply = s.post("/api/v1/agent-actions/execute", body).await;
        let expected = json!({"detail": "Unknown agent tool: nope"});
        assert_eq!((reply.status, reply.body), (404, expected));
    }
}
