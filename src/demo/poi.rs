//! Points of interest and their identifiers (`/api/v1/poi/...`).
//!
//! POI CRUD (identifiers embedded, primary first), identifier create/list/delete, and the
//! cascades of a POI delete (identifiers removed, watchlist links set to null).

use serde_json::Value;

use super::Obj;
use super::context::Req;
use super::errors::{ApiResult, created, no_content, not_found, not_null, ok};
use super::model::Kind::Bool;
use super::model::{IDENT_COLS, IDENT_CREATE, POI_COLS, POI_CREATE, POI_UPDATE, opt};
use super::store::{Db, Idents, int, public, text};
use super::time::now;
use super::validation::V;

impl Db {
    /// Identifiers grouped by POI (primary first, then by type); only `poi`'s when given.
    pub(super) fn identifier_index(&self, poi: Option<i64>) -> Idents {
        let mut rows: Vec<&Obj> =
            self.idents.rows.values().filter(|r| poi.is_none() || int(r, "poi_id") == poi).collect();
        rows.sort_by_cached_key(|r| {
            let primary = r.get("is_primary").and_then(Value::as_bool) == Some(true);
            let kind = text(r, "identifier_type").unwrap_or_default();
            (int(r, "poi_id"), !primary, kind.to_owned())
        });
        let mut index = Idents::new();
        for r in rows {
            let poi_id = int(r, "poi_id").unwrap_or_default();
            index.entry(poi_id).or_default().push(Value::Object(public(r)));
        }
        index
    }

    /// `PoiRead`, its identifiers taken from `index`.
    pub(super) fn poi_view(&self, row: &Obj, index: &Idents) -> Value {
        let mut o = public(row);
        let identifiers = int(row, "id").and_then(|id| index.get(&id));
        let identifiers = identifiers.cloned().unwrap_or_default();
        o.insert("identifiers".into(), Value::Array(identifiers));
        Value::Object(o)
    }

    fn poi_one(&self, row: &Obj) -> Value {
        self.poi_view(row, &self.identifier_index(int(row, "id")))
    }
}

pub(super) fn list_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let active = v.query(r, &opt("is_active", Bool));
    v.finish()?;
    let active = active.and_then(|a| a.as_bool());
    let mut rows: Vec<&Obj> = db
        .pois
        .rows
        .values()
        .filter(|p| active.is_none() || p.get("is_active").and_then(Value::as_bool) == active)
        .collect();
    rows.sort_by_cached_key(|p| (text(p, "name").unwrap_or_default().to_owned(), int(p, "id")));
    let index = db.identifier_index(None);
    ok(rows.into_iter().map(|p| db.poi_view(p, &index)).collect())
}

pub(super) fn create_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &POI_CREATE)?;
    v.finish()?;
    let id = db.pois.insert(POI_COLS, body, &now());
    created(db.poi_one(db.pois.get(id, "POI")?))
}

pub(super) fn get_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "poi_id");
    v.finish()?;
    ok(db.poi_one(db.pois.get(id, "POI")?))
}

pub(super) fn update_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "poi_id");
    let patch = v.body(r, &POI_UPDATE)?;
    v.finish()?;
    db.pois.get(id, "POI")?;
    not_null(&patch, &["name", "category", "risk_level", "is_active"], "poi")?;
    db.pois.patch(id, patch, &now());
    ok(db.poi_one(db.pois.get(id, "POI")?))
}

pub(super) fn delete_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "poi_id");
    v.finish()?;
    db.pois.get(id, "POI")?;
    db.pois.rows.remove(&id);
    // ON DELETE CASCADE for identifiers, SET NULL for watchlist links.
    db.idents.rows.retain(|_, i| int(i, "poi_id") != Some(id));
    for w in db.watch.rows.values_mut() {
        if int(w, "linked_poi_id") == Some(id) {
            w.insert("linked_poi_id".into(), Value::Null);
        }
    }
    no_content()
}

pub(super) fn create_poi_identifier(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let poi_id = v.path_int(r, 3, "poi_id");
    let mut body = v.body(r, &IDENT_CREATE)?;
    v.finish()?;
    db.pois.get(poi_id, "POI")?;
    body.insert("poi_id".into(), poi_id.into());
    let id = db.idents.insert(IDENT_COLS, body, &now());
    created(Value::Object(public(db.idents.get(id, "POI identifier")?)))
}

pub(super) fn list_poi_identifiers(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let poi_id = v.path_int(r, 3, "poi_id");
    v.finish()?;
    db.pois.get(poi_id, "POI")?;
    let identifiers = db.identifier_index(Some(poi_id)).remove(&poi_id);
    ok(Value::Array(identifiers.unwrap_or_default()))
}

pub(super) fn delete_poi_identifier(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let poi_id = v.path_int(r, 3, "poi_id");
    let id = v.path_int(r, 5, "identifier_id");
    v.finish()?;
    match db.idents.rows.get(&id) {
        Some(i) if int(i, "poi_id") == Some(poi_id) => {
            db.idents.rows.remove(&id);
            no_content()
        }
        _ => Err(not_found("POI identifier")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::{pick, start};

    #[tokio::test]
    async fn patch_null_clears_and_omitted_fields_are_kept() {
        let s = start(DemoState::seeded()).await;
        let before = s.get("/api/v1/poi/1").await;
        assert!(before["notes"].is_string());
        let after = s.patch("/api/v1/poi/1", json!({"notes": null})).await;
        assert_eq!(after["notes"], Value::Null);
        let kept = ["id", "name", "category", "risk_level", "is_active", "identifiers"];
        assert_eq!(pick(&after, &kept), pick(&before, &kept));
        assert_ne!(after["updated_at"], before["updated_at"]);
        let after = s.patch("/api/v1/poi/1", json!({"risk_level": "watch"})).await;
        let expected = json!({"notes": null, "risk_level": "watch", "name": "Viktor Sokolov"});
        assert_eq!(pick(&after, &["notes", "risk_level", "name"]), expected);

        let entry = s.patch("/api/v1/imei-watchlist/1", json!({"linked_poi_id": null})).await;
        let expected = json!({"linked_poi_id": null, "linked_poi": null, "label": "Sokolov handset"});
        assert_eq!(pick(&entry, &["linked_poi_id", "linked_poi", "label"]), expected);

        let body = json!({"payload": null, "speed": 2});
        let event = s.patch("/api/v1/telemetry/events/1", body).await;
        let expected = json!({"payload": null, "speed": 2.0, "latitude": 34.0522, "status": "received"});
        assert_eq!(pick(&event, &["payload", "speed", "latitude", "status"]), expected);

        let source = s.patch("/api/v1/telemetry/sources/1", json!({"station_id": null})).await;
        let expected = json!({"station_id": null, "station": null, "slug": "ops-gps"});
        assert_eq!(pick(&source, &["station_id", "station", "slug"]), expected);

        // Deleting a POI removes its identifiers and unlinks watchlist entries.
        let reply = s.call("DELETE", "/api/v1/poi/3", &Value::Null, &[]).await;
        assert_eq!(reply.status, 204);
        assert_eq!(s.get("/api/v1/imei-watchlist/2").await["linked_poi_id"], Value::Null);
        let reply = s.call("GET", "/api/v1/poi/3/identifiers", &Value::Null, &[]).await;
        assert_eq!(reply.status, 404);
    }
}
