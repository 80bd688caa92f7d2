//! The deterministic demo data set.
//!
//! [`Db::seeded`] fills every table with fixed ids and timestamps (minutes after
//! `2026-11-01T12:00:00Z`), using vTOC's own value sets: POI categories person, vehicle and
//! device; risk levels info, watch and hostile; identifier types imei, mac, callsign and phone.

use serde_json::{Value, json};

use super::model::{AUDIT_COLS, EVENT_COLS, IDENT_COLS, POI_COLS, SOURCE_COLS, STATION_COLS, WATCH_COLS};
use super::store::{Db, Table, obj};
use super::time::seed_ts;

impl Db {
    /// The seed described in [`super::DemoState::seeded`].
    pub(super) fn seeded() -> Self {
        let mut db = Db::default();
        // Each seed row carries `at`, its timestamp in minutes after 2026-11-01T12:00:00Z.
        let stations = json!([
            {"at": 0, "slug": "ops-center", "name": "Operations Center",
             "description": "Primary tactical operations center", "timezone": "UTC",
             "telemetry_schema": "vtoc.telemetry.v1"},
            {"at": 1, "slug": "field-kit-1", "name": "Field Kit 1",
             "description": "Deployable field kit with GPS tracker", "timezone": "UTC"},
            {"at": 2, "slug": "relay-north", "name": "Relay North",
             "description": "Northern radio relay site", "timezone": "UTC"},
        ]);
        seed(&mut db.stations, STATION_COLS, stations);
        let sources = json!([
            {"at": 3, "is_active": true, "description": "Rooftop GNSS receiver",
             "slug": "ops-gps", "name": "Ops Center GPS", "source_type": "gps",
             "connection_mode": "online", "station_id": 1, "last_ingested_at": seed_ts(55),
             "configuration": {"port": "/dev/ttyUSB0", "baudrate": 9600}},
            {"at": 4, "is_active": true, "description": "1090 MHz ADS-B receiver",
             "slug": "ops-adsb", "name": "Ops ADS-B Receiver", "source_type": "adsb",
             "connection_mode": "online", "station_id": 1, "last_ingested_at": seed_ts(45),
             "configuration": {"device": "rtl=0"}},
            {"at": 5, "is_active": true, "description": "Team alpha tracker",
             "slug": "field-kit-1-tracker", "name": "Field Kit Tracker", "source_type": "gps",
             "connection_mode": "intermittent", "station_id": 2, "last_ingested_at": seed_ts(35),
             "configuration": {"report_interval_s": 300}},
            {"at": 6, "is_active": false, "description": "Relay health beacon",
             "slug": "relay-north-beacon", "name": "Relay North Beacon", "source_type": "beacon",
             "connection_mode": "offline", "station_id": 3, "last_ingested_at": seed_ts(30)},
            {"at": 7, "is_active": true, "description": "Passive IMEI sensor network",
             "slug": "imei-sensor-net", "name": "IMEI Sensor Net", "source_type": "cellular",
             "connection_mode": "online", "last_ingested_at": seed_ts(50),
             "configuration": {"mode": "passive"}},
        ]);
        seed(&mut db.sources, SOURCE_COLS, sources);
        let nmea = "$GPGGA,120000.00,3403.1320,N,11814.6220,W,1,09,0.9,89.0,M,-33.9,M,,*6B";
        let events = json!([
            {"at": 10, "station_id": 1, "_source_id": 1, "status": "received",
             "latitude": 34.0522, "longitude": -118.2437, "altitude": 89.0, "heading": 0.0,
             "speed": 0.0, "payload": {"fix": "3d", "satellites": 9}, "raw_data": nmea},
            {"at": 15, "station_id": 1, "_source_id": 2, "status": "received",
             "latitude": 34.1201, "longitude": -118.1005, "altitude": 10668.0, "heading": 271.5,
             "speed": 231.4, "payload": {"icao": "A1B2C3", "callsign": "N123VT", "squawk": "1200"}},
            {"at": 20, "station_id": 2, "_source_id": 3, "status": "received",
             "latitude": 34.2011, "longitude": -118.5402, "altitude": 402.0, "heading": 45.0,
             "speed": 1.4, "payload": {"team": "alpha", "battery_pct": 87}},
            {"at": 25, "station_id": 1, "_source_id": 1, "status": "processed",
             "latitude": 34.0523, "longitude": -118.2436, "altitude": 90.5, "heading": 12.0,
             "speed": 0.3, "payload": {"fix": "3d", "satellites": 11}, "raw_data": nmea},
            {"at": 30, "station_id": 3, "_source_id": 4, "status": "received",
             "latitude": 34.6012, "longitude": -118.1234, "altitude": 1203.0,
             "payload": {"beacon": "online", "rssi_dbm": -71}},
            {"at": 35, "station_id": 2, "_source_id": 3, "status": "received",
             "latitude": 34.2093, "longitude": -118.5311, "altitude": 415.0, "heading": 60.0,
             "speed": 1.1, "payload": {"team": "alpha", "battery_pct": 81}},
            {"at": 40, "station_id": 1, "_source_id": 5, "status": "imei_blacklist_hit",
             "latitude": 34.0551, "longitude": -118.2490,
             "payload": {"imei": "356938035643809", "imei_watchlist_hit": true,
                 "imei_list_type": "blacklist", "poi_id": 1, "poi_name": "Viktor Sokolov",
                 "poi_risk_level": "hostile", "station_callsign": "OPS-1"}},
            {"at": 45, "station_id": 1, "_source_id": 2, "status": "received",
             "latitude": 34.1788, "longitude": -118.3220, "altitude": 3048.0, "heading": 95.0,
             "speed": 180.2, "payload": {"icao": "A7F9E1", "callsign": "VTOC7", "squawk": "7000"}},
            {"at": 50, "station_id": 2, "_source_id": 5, "status": "imei_whitelist_seen",
             "latitude": 34.2101, "longitude": -118.5298,
             "payload": {"imei": "490154203237518", "imei_watchlist_hit": true,
                 "imei_list_type": "whitelist", "poi_id": 3, "poi_name": "Maria Chen",
                 "poi_risk_level": "info", "station_callsign": "FK-1"}},
            {"at": 55, "station_id": 1, "_source_id": 1, "status": "received",
             "latitude": 34.0524, "longitude": -118.2438, "altitude": 88.0, "heading": 0.0,
             "speed": 0.0, "payload": {"fix": "2d", "satellites": 5}, "raw_data": nmea},
        ]);
        seed(&mut db.events, EVENT_COLS, events);
        let audits = json!([
            {"at": 30, "updated_at": seed_ts(31), "completed_at": seed_ts(31), "_station_id": 1,
             "action_id": "act-000001", "tool_name": "summarize_station", "status": "completed",
             "request_payload": {"station_slug": "ops-center"},
             "response_payload": {"summary": "2 active sources, 6 events in the last hour"},
             "channel_slug": "ops-net", "initiator_id": "analyst-1"},
            {"at": 47, "updated_at": seed_ts(48), "completed_at": seed_ts(48), "_station_id": 2,
             "action_id": "act-000002", "tool_name": "lookup_imei", "status": "failed",
             "request_payload": {"imei": "353456789012345"},
             "error_message": "AgentKit timed out after 30s",
             "channel_slug": "field-net", "initiator_id": "operator-7"},
        ]);
        seed(&mut db.audits, AUDIT_COLS, audits);
        db.actions = 2;
        let pois = json!([
            {"at": 60, "name": "Viktor Sokolov", "category": "person", "risk_level": "hostile",
             "notes": "Handset blacklisted after a relay-north sighting.", "is_active": true},
            {"at": 61, "name": "Grey Utility Van", "category": "vehicle",
             "risk_level": "watch", "is_active": true},
            {"at": 62, "name": "Maria Chen", "category": "person", "risk_level": "info",
             "notes": "Field liaison; handset whitelisted.", "is_active": true},
            {"at": 63, "name": "Unregistered Quadcopter", "category": "device",
             "risk_level": "info", "is_active": false},
        ]);
        seed(&mut db.pois, POI_COLS, pois);
        let identifiers = json!([
            {"at": 65, "poi_id": 1, "identifier_type": "imei",
             "identifier_value": "356938035643809", "is_primary": true},
            {"at": 66, "poi_id": 1, "identifier_type": "phone",
             "identifier_value": "+1-555-0142", "is_primary": false},
            {"at": 67, "poi_id": 2, "identifier_type": "callsign",
             "identifier_value": "UTILITY-7", "is_primary": true},
            {"at": 68, "poi_id": 3, "identifier_type": "imei",
             "identifier_value": "490154203237518", "is_primary": true},
            {"at": 69, "poi_id": 4, "identifier_type": "mac",
             "identifier_value": "60:60:1F:22:31:0A", "is_primary": true},
        ]);
        seed(&mut db.idents, IDENT_COLS, identifiers);
        let watchlist = json!([
            {"at": 70, "identifier_value": "356938035643809", "list_type": "blacklist",
             "label": "Sokolov handset", "linked_poi_id": 1},
            {"at": 71, "identifier_value": "490154203237518", "list_type": "whitelist",
             "label": "Liaison handset", "linked_poi_id": 3},
            {"at": 72, "identifier_value": "353456789012345", "list_type": "blacklist",
             "label": "Reported stolen"},
            {"at": 73, "identifier_value": "358240051111110", "list_type": "whitelist",
             "label": "Ops duty phone"},
        ]);
        seed(&mut db.watch, WATCH_COLS, watchlist);
        db.hardware = obj(json!({
            "base_station": {"callsign": "VTOC-OPS1", "serial_number": "BS-0001",
                "latitude": 34.0522, "longitude": -118.2437, "altitude_m": 89.0,
                "notes": "Rooftop mast", "registered_at": seed_ts(0)},
            "adsb": {"enabled": true, "device": "rtl=0", "gain": 49.6, "frequency": 1090.0,
                "options": {"ppm": 0}, "last_updated_at": seed_ts(5)},
            "last_h4m_import_at": null,
        }));
        db
    }
}

/// Inserts seed rows; each row's `at` (minutes after the seed epoch) becomes its timestamps.
fn seed(table: &mut Table, cols: &[&str], rows: Value) {
    for row in rows.as_array().into_iter().flatten() {
        let mut vals = obj(row.clone());
        let at = seed_ts(vals.remove("at").and_then(|v| v.as_i64()).unwrap_or_default());
        for k in ["event_time", "received_at"] {
            if cols.contains(&k) {
                vals.insert(k.into(), at.clone().into());
            }
        }
        table.insert(cols, vals, &at);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::Db;
    use crate::demo::DemoState;
    use crate::demo::testkit::{field, pick, start};

    #[tokio::test]
    async fn seed_is_deterministic_and_ids_continue_after_it() {
        let (a, b) = (start(DemoState::seeded()).await, start(DemoState::seeded()).await);
        let paths = [
            "/api/v1/stations/",
            "/api/v1/poi",
            "/api/v1/imei-watchlist",
            "/api/v1/telemetry/events",
            "/api/v1/stations/ops-center/timeline",
            "/api/v1/stations/ops-center/tasks",
            "/api/v1/agent-actions/audits",
        ];
        for path in paths {
            assert_eq!(a.get(path).await, b.get(path).await, "{path}");
        }
        let station = a.get("/api/v1/stations/OPS-CENTER").await;
        let expected = json!({"id": 1, "created_at": "2026-11-01T12:00:00Z", "timezone": "UTC"});
        assert_eq!(pick(&station, &["id", "created_at", "timezone"]), expected);
        let slugs = a.get("/api/v1/stations/").await;
        let expected = ["field-kit-1", "ops-center", "relay-north"].map(|s| json!(s));
        assert_eq!(field(&slugs, "slug"), expected.iter().collect::<Vec<_>>());
        let poi = a.post("/api/v1/poi", json!({"name": "New"})).await.body;
        let keys = ["id", "category", "risk_level", "is_active", "notes", "identifiers"];
        let expected = json!({"id": 5, "category": "person", "risk_level": "info",
            "is_active": true, "notes": null, "identifiers": []});
        assert_eq!(pick(&poi, &keys), expected);
        let dashboard = a.get("/api/v1/stations/ops-center/dashboard").await;
        let metrics = pick(&dashboard["metrics"], &["total_events", "active_sources"]);
        assert_eq!(metrics, json!({"total_events": 6, "active_sources": 2}));
        assert_eq!(dashboard["metrics"]["last_event"]["id"], 10);

        let empty = start(DemoState::empty()).await;
        assert_eq!(empty.get("/api/v1/stations/").await, json!([]));
        let poi = empty.post("/api/v1/poi", json!({"name": "First"})).await.body;
        assert_eq!(poi["id"], 1);
    }

    #[test]
    fn seed_uses_vtocs_value_sets() {
        let db = Db::seeded();
        let values = |rows: Vec<Value>| {
            let mut v: Vec<String> = rows.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect();
            v.sort();
            v.dedup();
            v
        };
        let col = |t: &super::Table, k: &str| values(t.rows.values().map(|r| r[k].clone()).collect());
        // Every value vTOC knows is used, and nothing else.
        assert_eq!(col(&db.pois, "category"), ["device", "person", "vehicle"]);
        assert_eq!(col(&db.pois, "risk_level"), ["hostile", "info", "watch"]);
        assert_eq!(col(&db.idents, "identifier_type"), ["callsign", "imei", "mac", "phone"]);
        // Alerts carry the linked POI's risk level.
        let alerts = db.events.rows.values().filter_map(|e| e["payload"].get("poi_risk_level").cloned());
        assert_eq!(values(alerts.collect()), ["hostile", "info"]);
        let poi_risk = |id: i64| db.pois.rows[&id]["risk_level"].clone();
        for e in db.events.rows.values().filter(|e| e["payload"].get("poi_id").is_some()) {
            let id = e["payload"]["poi_id"].as_i64().unwrap_or_default();
            assert_eq!(e["payload"]["poi_risk_level"], poi_risk(id), "event {}", e["id"]);
        }
    }
}
