//! Telemetry sources and events (`/api/v1/telemetry/...`).
//!
//! Source CRUD with its unique and NOT NULL constraints, event ingestion (source lookup or
//! creation by slug, the station from the body, the context headers or the source, IMEI
//! watchlist enrichment) and event read/update/delete.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Obj;
use super::context::Req;
use super::errors::{ApiError, ApiResult, created, no_content, not_null, ok, reply, unique};
use super::model::{EVENT_COLS, EVENT_CREATE, EVENT_UPDATE, SOURCE_COLS, SOURCE_CREATE, SOURCE_UPDATE};
use super::store::{Db, int, obj, public, text};
use super::time::{now, parse_time};
use super::validation::V;

impl Db {
    fn source_view(&self, row: &Obj) -> Value {
        let mut o = public(row);
        o.insert("station".into(), self.station(int(row, "station_id")));
        Value::Object(o)
    }

    fn event_with_source(&self, row: &Obj) -> Value {
        let mut o = public(row);
        let source = int(row, "_source_id").and_then(|id| self.sources.rows.get(&id));
        o.insert("source".into(), source.map_or(Value::Null, |s| self.source_view(s)));
        o.insert("station".into(), self.station(int(row, "station_id")));
        Value::Object(o)
    }
}

const SOURCE_NOT_NULL: &[&str] = &["is_active", "slug", "name", "source_type", "connection_mode"];

pub(super) fn create_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &SOURCE_CREATE)?;
    v.finish()?;
    db.station_ref(&body)?;
    unique(&db.sources, &body, &["name", "slug"], 0, "telemetry_sources")?;
    let id = db.sources.insert(SOURCE_COLS, body, &now());
    let row = db.sources.get(id, "Source")?;
    Ok(reply(StatusCode::CREATED, db.source_view(row)))
}

pub(super) fn read_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "source_id");
    v.finish()?;
    ok(db.source_view(db.sources.get(id, "Source")?))
}

pub(super) fn update_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "source_id");
    let patch = v.body(r, &SOURCE_UPDATE)?;
    v.finish()?;
    db.sources.get(id, "Source")?;
    not_null(&patch, SOURCE_NOT_NULL, "telemetry_sources")?;
    db.station_ref(&patch)?;
    unique(&db.sources, &patch, &["name", "slug"], id, "telemetry_sources")?;
    db.sources.patch(id, patch, &now());
    ok(db.source_view(db.sources.get(id, "Source")?))
}

pub(super) fn delete_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "source_id");
    v.finish()?;
    db.sources.get(id, "Source")?;
    db.sources.rows.remove(&id);
    // ON DELETE CASCADE
    db.events.rows.retain(|_, e| int(e, "_source_id") != Some(id));
    no_content()
}

pub(super) fn list_events(db: &mut Db, r: &Req) -> ApiResult {
    let station = match r.station_ctx() {
        Some(slug) => int(db.station_by_slug(&slug)?, "id"),
        None => None,
    };
    let mut rows: Vec<&Obj> =
        db.events.rows.values().filter(|e| station.is_none() || int(e, "station_id") == station).collect();
    rows.sort_by_cached_key(|e| std::cmp::Reverse((parse_time(e.get("event_time")), int(e, "id"))));
    let items = rows.into_iter().take(100).map(|e| db.event_with_source(e)).collect();
    ok(Value::Array(items))
}

pub(super) fn create_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let mut body = v.body(r, &EVENT_CREATE)?;
    v.finish()?;
    let source_id = int(&body, "source_id");
    let source_slug = text(&body, "source_slug").filter(|s| !s.is_empty()).map(str::to_lowercase);
    let source_name = text(&body, "source_name").filter(|s| !s.is_empty()).map(str::to_owned);
    let ts = now();
    let source = match (source_id, source_slug) {
        (Some(id), _) => db.sources.get(id, "Source")?.clone(),
        (None, Some(slug)) => {
            let found = db.sources.rows.values().find(|s| text(s, "slug") == Some(slug.as_str()));
            match (found.cloned(), source_name) {
                (Some(s), _) => s,
                (None, Some(name)) => {
                    let vals = obj(json!({"is_active": true,
                        "description": "Created via telemetry ingestion", "slug": slug,
                        "name": name, "source_type": "external", "connection_mode": "online",
                        "station_id": body.get("station_id")}));
                    db.station_ref(&vals)?;
                    unique(&db.sources, &vals, &["name"], 0, "telemetry_sources")?;
                    let id = db.sources.insert(SOURCE_COLS, vals, &ts);
                    db.sources.get(id, "Source")?.clone()
                }
                (None, None) => {
                    return Err(ApiError::detail(StatusCode::BAD_REQUEST, "Unknown source"));
                }
            }
        }
        (None, None) => return Err(ApiError::detail(StatusCode::BAD_REQUEST, "Unknown source")),
    };
    let source_id = int(&source, "id").unwrap_or_default();
    for k in ["source_id", "source_slug", "source_name"] {
        body.remove(k);
    }
    // Explicit station_id, else the station context header, else the source's station.
    if body.get("station_id").is_none_or(Value::is_null) {
        let from_header = r.station_ctx().and_then(|slug| db.station_by_slug(&slug).ok().and_then(|s| int(s, "id")));
        let station = from_header.or_else(|| int(&source, "station_id"));
        body.insert("station_id".into(), station.into());
    }
    db.station_ref(&body)?;
    if body.get("event_time").is_none_or(Value::is_null) {
        body.insert("event_time".into(), ts.clone().into());
    }
    if body.get("status").is_none_or(Value::is_null) {
        body.insert("status".into(), "received".into());
    }
    enrich_imei(db, &mut body);
    body.insert("received_at".into(), ts.clone().into());
    body.insert("_source_id".into(), source_id.into());
    let id = db.events.insert(EVENT_COLS, body, &ts);
    db.sources.patch(source_id, obj(json!({"last_ingested_at": ts})), &ts);
    created(Value::Object(public(db.events.get(id, "Event")?)))
}

/// Watchlist hit on the payload's IMEI: mark the event and attach the POI context.
fn enrich_imei(db: &Db, body: &mut Obj) {
    let Some(Value::Object(payload)) = body.get_mut("payload") else {
        return;
    };
    let imei = ["imei", "IMEI"].iter().find_map(|k| payload.get(*k).and_then(Value::as_str));
    let Some(entry) = imei.and_then(|i| db.watch.rows.values().find(|w| text(w, "identifier_value") == Some(i))) else {
        return;
    };
    let list_type = entry.get("list_type").cloned().unwrap_or(Value::Null);
    payload.insert("imei_watchlist_hit".into(), true.into());
    payload.insert("imei_list_type".into(), list_type.clone());
    if let Some(poi) = int(entry, "linked_poi_id").and_then(|id| db.pois.rows.get(&id)) {
        for (k, col) in [("poi_id", "id"), ("poi_name", "name"), ("poi_risk_level", "risk_level")] {
            payload.insert(k.into(), poi.get(col).cloned().unwrap_or(Value::Null));
        }
    }
    match list_type.as_str() {
        Some("blacklist") => body.insert("status".into(), "imei_blacklist_hit".into()),
        Some("whitelist") => body.insert("status".into(), "imei_whitelist_seen".into()),
        _ => None,
    };
}

pub(super) fn read_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    v.finish()?;
    ok(Value::Object(public(db.events.get(id, "Event")?)))
}

pub(super) fn update_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    let patch = v.body(r, &EVENT_UPDATE)?;
    v.finish()?;
    db.events.get(id, "Event")?;
    not_null(&patch, &["event_time", "status"], "telemetry_events")?;
    db.events.patch(id, patch, &now());
    ok(Value::Object(public(db.events.get(id, "Event")?)))
}

pub(super) fn delete_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    v.finish()?;
    db.events.get(id, "Event")?;
    db.events.rows.remove(&id);
    no_content()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::{field, pick, start};

    #[tokio::test]
    async fn event_create_uses_station_header_and_watchlist() {
        let s = start(DemoState::seeded()).await;
        let body = json!({"source_slug": "imei-sensor-net", "payload": {"imei": "353456789012345"}});
        let hdrs = [("x-station-slug", "Relay_North")];
        let reply = s.call("POST", "/api/v1/telemetry/events", &body, &hdrs).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let expected = json!({"id": 11, "station_id": 3, "status": "imei_blacklist_hit"});
        assert_eq!(pick(&reply.body, &["id", "station_id", "status"]), expected);
        assert_eq!(reply.body["payload"]["imei_watchlist_hit"], true);
        assert!(reply.body["event_time"].is_string() && reply.body["received_at"].is_string());

        // The first non-empty station header wins; an explicit station_id beats the header.
        let hdrs = [("x-station-id", ""), ("x-chatkit-station", "FIELD_KIT_1")];
        let body = json!({"source_id": 1});
        let reply = s.call("POST", "/api/v1/telemetry/events", &body, &hdrs).await;
        let expected = json!({"station_id": 2, "status": "received"});
        assert_eq!(pick(&reply.body, &["station_id", "status"]), expected);
        let body = json!({"source_id": 1, "station_id": 1});
        let reply = s.call("POST", "/api/v1/telemetry/events", &body, &hdrs).await;
        assert_eq!(reply.body["station_id"], 1);
        // Without a header the source's station is used; without a source there is no event.
        let reply = s.post("/api/v1/telemetry/events", json!({"source_id": 3})).await;
        assert_eq!(reply.body["station_id"], 2);
        let reply = s.post("/api/v1/telemetry/events", json!({"latitude": 1})).await;
        assert_eq!((reply.status, reply.body), (400, json!({"detail": "Unknown source"})));

        let hdrs = [("x-toc-station", "relay-north")];
        let listed = s.call("GET", "/api/v1/telemetry/events", &Value::Null, &hdrs).await.body;
        assert_eq!(field(&listed, "id"), [&json!(11), &json!(5)]);
        assert_eq!(listed[0]["source"]["slug"], "imei-sensor-net");
        assert_eq!(listed[1]["station"]["slug"], "relay-north");
        let timeline = s.get("/api/v1/stations/relay-north/timeline").await;
        assert_eq!(timeline["items"][0]["entry_type"], "poi_imei_alert");
        let hdrs = [("x-station-slug", "atlantis")];
        let reply = s.call("GET", "/api/v1/telemetry/events", &Value::Null, &hdrs).await;
        assert_eq!(reply.status, 404);
    }
}
