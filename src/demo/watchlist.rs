//! The IMEI watchlist (`/api/v1/imei-watchlist/...`).
//!
//! Entry CRUD (unique IMEI, `whitelist`/`blacklist`, an optional linked POI rendered with its
//! identifiers), filtering by list type, and the IMEI check that answers the entry or `null`.

use serde_json::Value;

use super::Obj;
use super::context::Req;
use super::errors::{ApiError, ApiResult, created, no_content, not_found, not_null, ok, unique};
use super::model::Kind::Str;
use super::model::{WATCH_COLS, WATCH_CREATE, WATCH_UPDATE, opt};
use super::store::{Db, Idents, int, public, text};
use super::time::now;
use super::validation::V;

impl Db {
    /// `ImeiWatchEntryRead`, the linked POI's identifiers taken from `index`.
    fn watch_view(&self, row: &Obj, index: &Idents) -> Value {
        let mut o = public(row);
        let poi = int(row, "linked_poi_id").and_then(|id| self.pois.rows.get(&id));
        let poi = poi.map_or(Value::Null, |p| self.poi_view(p, index));
        o.insert("linked_poi".into(), poi);
        Value::Object(o)
    }

    fn watch_one(&self, row: &Obj) -> Value {
        let index = match int(row, "linked_poi_id") {
            Some(id) => self.identifier_index(Some(id)),
            None => Idents::new(),
        };
        self.watch_view(row, &index)
    }

    /// The linked POI (when non-null) must exist.
    fn poi_ref(&self, vals: &Obj) -> Result<(), ApiError> {
        match int(vals, "linked_poi_id") {
            Some(id) if !self.pois.rows.contains_key(&id) => Err(not_found("POI")),
            _ => Ok(()),
        }
    }
}

const WATCH: &str = "IMEI watch entry";

pub(super) fn list_watchlist(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let list_type = v.query(r, &opt("list_type", Str));
    v.finish()?;
    let list_type = list_type.as_ref().and_then(Value::as_str).filter(|s| !s.is_empty());
    let mut rows: Vec<&Obj> =
        db.watch.rows.values().filter(|w| list_type.is_none() || text(w, "list_type") == list_type).collect();
    rows.sort_by_cached_key(|w| text(w, "identifier_value").unwrap_or_default().to_owned());
    let index = db.identifier_index(None);
    ok(rows.into_iter().map(|w| db.watch_view(w, &index)).collect())
}

pub(super) fn create_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &WATCH_CREATE)?;
    v.finish()?;
    db.poi_ref(&body)?;
    unique(&db.watch, &body, &["identifier_value"], 0, "imei_watch_entry")?;
    let id = db.watch.insert(WATCH_COLS, body, &now());
    created(db.watch_one(db.watch.get(id, WATCH)?))
}

pub(super) fn get_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "entry_id");
    v.finish()?;
    ok(db.watch_one(db.watch.get(id, WATCH)?))
}

pub(super) fn update_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "entry_id");
    let patch = v.body(r, &WATCH_UPDATE)?;
    v.finish()?;
    db.watch.get(id, WATCH)?;
    db.poi_ref(&patch)?;
    not_null(&patch, &["identifier_value", "list_type"], "imei_watch_entry")?;
    unique(&db.watch, &patch, &["identifier_value"], id, "imei_watch_entry")?;
    db.watch.patch(id, patch, &now());
    ok(db.watch_one(db.watch.get(id, WATCH)?))
}

pub(super) fn delete_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "entry_id");
    v.finish()?;
    db.watch.get(id, WATCH)?;
    db.watch.rows.remove(&id);
    no_content()
}

pub(super) fn check_imei(db: &mut Db, r: &Req) -> ApiResult {
    let imei = r.seg(4);
    let hit = db.watch.rows.values().find(|w| text(w, "identifier_value") == Some(imei));
    ok(hit.map_or(Value::Null, |w| db.watch_one(w)))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::{field, pick, start};

    #[tokio::test]
    async fn check_imei_returns_the_entry_or_null() {
        let s = start(DemoState::seeded()).await;
        assert_eq!(s.get("/api/v1/imei-watchlist/check/000000000000000").await, Value::Null);
        let hit = s.get("/api/v1/imei-watchlist/check/356938035643809").await;
        let expected = json!({"id": 1, "list_type": "blacklist", "linked_poi_id": 1});
        assert_eq!(pick(&hit, &["id", "list_type", "linked_poi_id"]), expected);
        assert_eq!(hit["linked_poi"]["name"], "Viktor Sokolov");
        assert_eq!(hit["linked_poi"]["identifiers"][0]["identifier_type"], "imei");
        let blacklist = s.get("/api/v1/imei-watchlist?list_type=blacklist").await;
        assert_eq!(field(&blacklist, "id"), [&json!(3), &json!(1)]);
        let all = s.get("/api/v1/imei-watchlist?list_type=").await;
        assert_eq!(all.as_array().map(Vec::len), Some(4));
    }
}
