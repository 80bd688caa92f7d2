//! Stations (`/api/v1/stations/...`).
//!
//! The station list and lookups by slug, the dashboard metrics, the task queue derived from
//! the assigned sources, the AgentKit actions and the merged, paginated station timeline
//! (telemetry events, IMEI alerts and agent action audits, newest first).

use serde_json::{Value, json};

use super::Obj;
use super::context::Req;
use super::errors::{ApiResult, ok};
use super::model::Kind::Int;
use super::model::req;
use super::store::{Db, int, public, text};
use super::time::{fmt_time, parse_time};
use super::validation::V;

impl Db {
    /// Merged station timeline, newest first: telemetry events (IMEI watchlist hits become
    /// `poi_imei_alert` entries) and agent action audits. Returns the total and the rendered
    /// `offset`/`limit` page.
    fn timeline(&self, station_id: i64, offset: usize, limit: usize) -> (usize, Vec<Value>) {
        let station = Some(station_id);
        let events = self.events.rows.values().filter(|r| int(r, "station_id") == station);
        let events = events.filter_map(|r| {
            let at = parse_time(r.get("event_time")).or_else(|| parse_time(r.get("received_at")));
            Some((at?, false, r))
        });
        let audits = self.audits.rows.values().filter(|r| int(r, "_station_id") == station);
        let audits = audits.filter_map(|r| {
            let times = ["completed_at", "updated_at", "created_at"];
            Some((times.iter().find_map(|k| parse_time(r.get(*k)))?, true, r))
        });
        let mut entries: Vec<_> = events.chain(audits).collect();
        // On equal times telemetry comes before audits, as in the real backend.
        entries.sort_by_key(|(at, audit, r)| (std::cmp::Reverse(*at), *audit, std::cmp::Reverse(int(r, "id"))));
        let page = entries.iter().skip(offset).take(limit);
        let items = page.map(|(at, audit, r)| {
            let occurred_at = fmt_time(*at);
            if !audit {
                return self.timeline_event(r, occurred_at);
            }
            json!({
                "occurred_at": occurred_at,
                "entry_type": "agent_action_audit",
                "audit_id": r.get("id"),
                "action_id": r.get("action_id"),
                "tool_name": r.get("tool_name"),
                "status": r.get("status"),
                "response_payload": r.get("response_payload"),
                "error_message": r.get("error_message"),
            })
        });
        (entries.len(), items.collect())
    }

    fn timeline_event(&self, r: &Obj, occurred_at: String) -> Value {
        let status = r.get("status").cloned().unwrap_or(Value::Null);
        let payload = match r.get("payload") {
            Some(p @ Value::Object(_)) => p.clone(),
            _ => json!({}),
        };
        let alert = status.as_str().filter(|s| *s == "imei_blacklist_hit" || *s == "imei_whitelist_seen");
        let hit = payload.get("imei_watchlist_hit").is_some_and(|h| !matches!(h, Value::Null | Value::Bool(false)));
        let imei =
            ["imei", "IMEI"].iter().find_map(|k| payload.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()));
        if let (Some(alert_type), true, Some(imei)) = (alert, hit, imei) {
            return json!({
                "occurred_at": occurred_at,
                "entry_type": "poi_imei_alert",
                "event_id": r.get("id"),
                "alert_type": alert_type,
                "imei": imei,
                "poi_id": payload.get("poi_id").filter(|v| v.is_i64()),
                "poi_name": payload.get("poi_name").filter(|v| v.is_string()),
                "station_callsign": payload.get("station_callsign").filter(|v| v.is_string()),
                "payload": payload,
            });
        }
        let source = int(r, "_source_id").and_then(|id| self.sources.rows.get(&id));
        json!({
            "occurred_at": occurred_at,
            "entry_type": "telemetry_event",
            "event_id": r.get("id"),
            "status": status,
            "source_slug": source.and_then(|s| s.get("slug")),
            "source_name": source.and_then(|s| s.get("name")),
            "payload": payload,
        })
    }
}

pub(super) fn list_stations(db: &mut Db, _r: &Req) -> ApiResult {
    let mut rows: Vec<&Obj> = db.stations.rows.values().collect();
    rows.sort_by_cached_key(|s| text(s, "slug").unwrap_or_default().to_owned());
    ok(rows.into_iter().map(|s| Value::Object(public(s))).collect())
}

pub(super) fn read_station(db: &mut Db, r: &Req) -> ApiResult {
    ok(Value::Object(public(db.station_by_slug(r.seg(3))?)))
}

pub(super) fn station_dashboard(db: &mut Db, r: &Req) -> ApiResult {
    let station = db.station_by_slug(r.seg(3))?;
    let id = int(station, "id");
    let events: Vec<&Obj> = db.events.rows.values().filter(|e| int(e, "station_id") == id).collect();
    let active_sources = db
        .sources
        .rows
        .values()
        .filter(|s| int(s, "station_id") == id && s.get("is_active") == Some(&Value::Bool(true)))
        .count();
    let last = events
        .iter()
        .max_by_key(|e| (parse_time(e.get("event_time")), int(e, "id")))
        .map_or(Value::Null, |e| Value::Object(public(e)));
    ok(json!({
        "station": public(station),
        "metrics": {"total_events": events.len(), "active_sources": active_sources,
            "last_event": last},
    }))
}

pub(super) fn station_tasks(db: &mut Db, r: &Req) -> ApiResult {
    let station = db.station_by_slug(r.seg(3))?;
    let slug = text(station, "slug").unwrap_or_default();
    let id = int(station, "id");
    let sources: Vec<&Obj> = db.sources.rows.values().filter(|s| int(s, "station_id") == id).collect();
    // Each source assigned to the station is monitored; the first one is the primary.
    let mut tasks: Vec<Value> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let active = s.get("is_active") == Some(&Value::Bool(true));
            let source_slug = text(s, "slug").unwrap_or_default();
            json!({
                "id": format!("{slug}:{source_slug}:{}", int(s, "id").unwrap_or_default()),
                "title": format!("Monitor {}", text(s, "name").unwrap_or_default()),
                "status": if active { "active" } else { "paused" },
                "priority": if i == 0 { "high" } else { "normal" },
                "created_at": s.get("created_at"),
                "due_at": s.get("updated_at"),
                "metadata": {"role": if i == 0 { "primary" } else { "secondary" },
                    "source_slug": source_slug, "connection_mode": s.get("connection_mode")},
            })
        })
        .collect();
    tasks.reverse(); // newest assignment first
    ok(json!({"station": public(station), "tasks": tasks}))
}

pub(super) fn station_actions(db: &mut Db, r: &Req) -> ApiResult {
    let station = db.station_by_slug(r.seg(3))?;
    let slug = text(station, "slug").unwrap_or_default();
    let actions = json!([
        {"name": "ingest_telemetry",
         "description": "Ingest telemetry payloads for the station context.",
         "endpoint": format!("/api/v1/telemetry/events?station={slug}"), "method": "POST",
         "metadata": {"expects": "TelemetryEventCreate"}},
        {"name": "assign_source", "description": "Assign a telemetry source to the station.",
         "endpoint": format!("/api/v1/stations/{slug}/tasks"), "method": "POST",
         "metadata": {"model": "StationAssignmentCreate"}},
        {"name": "mission_timeline",
         "description": "Retrieve the station's merged timeline of telemetry and agent activity.",
         "endpoint": format!("/api/v1/stations/{slug}/timeline"), "method": "GET",
         "metadata": {"query": {
             "limit": {"type": "integer", "default": 50, "minimum": 0, "maximum": 200},
             "offset": {"type": "integer", "default": 0, "minimum": 0}}}},
    ]);
    ok(json!({"station": public(station), "actions": actions}))
}

pub(super) fn station_timeline(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let limit = v.query(r, &req("limit", Int).ge(0.0).le(200.0));
    let offset = v.query(r, &req("offset", Int).ge(0.0));
    v.finish()?;
    let limit = limit.and_then(|x| x.as_i64()).unwrap_or(50);
    let offset = offset.and_then(|x| x.as_i64()).unwrap_or(0);
    let station = db.station_by_slug(r.seg(3))?;
    let page = (usize::try_from(offset), usize::try_from(limit));
    let (skip, take) = (page.0.unwrap_or(usize::MAX), page.1.unwrap_or_default());
    let (total, items) = db.timeline(int(station, "id").unwrap_or_default(), skip, take);
    ok(json!({"items": items, "limit": limit, "offset": offset, "total": total}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::demo::DemoState;
    use crate::demo::testkit::{field, pick, start};

    #[tokio::test]
    async fn timeline_is_merged_newest_first_and_paginated() {
        let s = start(DemoState::seeded()).await;
        let page = s.get("/api/v1/stations/ops-center/timeline").await;
        let meta = json!({"limit": 50, "offset": 0, "total": 7});
        assert_eq!(pick(&page, &["limit", "offset", "total"]), meta);
        let items = &page["items"];
        let kinds = field(items, "entry_type");
        let expected = [
            "telemetry_event",
            "telemetry_event",
            "poi_imei_alert",
            "agent_action_audit",
            "telemetry_event",
            "telemetry_event",
            "telemetry_event",
        ];
        assert_eq!(kinds, expected.map(|k| json!(k)).iter().collect::<Vec<_>>());
        let times = field(items, "occurred_at");
        assert!(times.windows(2).all(|w| w[0].as_str() >= w[1].as_str()), "{times:?}");
        let newest = json!({"occurred_at": "2026-11-01T12:55:00Z", "event_id": 10,
            "source_slug": "ops-gps", "status": "received"});
        assert_eq!(pick(&items[0], &["occurred_at", "event_id", "source_slug", "status"]), newest);
        let alert = json!({"event_id": 7, "alert_type": "imei_blacklist_hit",
            "imei": "356938035643809", "poi_id": 1, "poi_name": "Viktor Sokolov"});
        let keys = ["event_id", "alert_type", "imei", "poi_id", "poi_name"];
        assert_eq!(pick(&items[2], &keys), alert);
        let audit = json!({"audit_id": 1, "action_id": "act-000001", "status": "completed",
            "occurred_at": "2026-11-01T12:31:00Z"});
        let keys = ["audit_id", "action_id", "status", "occurred_at"];
        assert_eq!(pick(&items[3], &keys), audit);

        let page = s.get("/api/v1/stations/ops-center/timeline?limit=2&offset=1").await;
        assert_eq!(page["items"], json!(items.as_array().map(|i| &i[1..3])));
        let meta = json!({"limit": 2, "offset": 1, "total": 7});
        assert_eq!(pick(&page, &["limit", "offset", "total"]), meta);
        let page = s.get("/api/v1/stations/ops-center/timeline?limit=0").await;
        assert_eq!(pick(&page, &["items", "total"]), json!({"items": [], "total": 7}));
        let page = s.get("/api/v1/stations/ops-center/timeline?offset=100").await;
        assert_eq!(page["items"], json!([]));
    }
}
