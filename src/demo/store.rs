//! The in-memory database.
//!
//! [`Table`] is one table (rows by id, an id counter, `created_at`/`updated_at` handling and
//! PATCH semantics); [`Db`] holds all of them plus the hardware configuration and the action
//! counter, and resolves the references every resource shares (stations). Each resource module
//! adds its own views of the rows (`impl Db` blocks next to its handlers).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Obj;
use super::errors::{ApiError, not_found};

/// Rendered identifiers by POI id.
pub(super) type Idents = BTreeMap<i64, Vec<Value>>;

#[derive(Default)]
pub(super) struct Table {
    last_id: i64,
    pub(super) rows: BTreeMap<i64, Obj>,
}

impl Table {
    /// Inserts a row with the next id; columns missing from `vals` are null, and
    /// `created_at`/`updated_at` default to `ts`.
    pub(super) fn insert(&mut self, cols: &[&str], mut vals: Obj, ts: &str) -> i64 {
        self.last_id += 1;
        let id = self.last_id;
        vals.insert("id".into(), id.into());
        for k in ["created_at", "updated_at"] {
            if cols.contains(&k) && !vals.contains_key(k) {
                vals.insert(k.into(), ts.into());
            }
        }
        let row = cols.iter().map(|c| (c.to_string(), vals.remove(*c).unwrap_or(Value::Null))).collect();
        self.rows.insert(id, row);
        id
    }

    pub(super) fn get(&self, id: i64, what: &str) -> Result<&Obj, ApiError> {
        self.rows.get(&id).ok_or_else(|| not_found(what))
    }

    /// Applies the fields present in `patch` and bumps `updated_at` when the table has one.
    pub(super) fn patch(&mut self, id: i64, patch: Obj, ts: &str) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.extend(patch);
            if row.contains_key("updated_at") {
                row.insert("updated_at".into(), ts.into());
            }
        }
    }
}

pub(super) fn obj(v: Value) -> Obj {
    match v {
        Value::Object(o) => o,
        _ => Obj::new(),
    }
}

pub(super) fn int(row: &Obj, k: &str) -> Option<i64> {
    row.get(k).and_then(Value::as_i64)
}

pub(super) fn text<'a>(row: &'a Obj, k: &str) -> Option<&'a str> {
    row.get(k).and_then(Value::as_str)
}

/// The row without its hidden (`_`-prefixed) columns.
pub(super) fn public(row: &Obj) -> Obj {
    row.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[derive(Default)]
pub(super) struct Db {
    pub(super) stations: Table,
    pub(super) sources: Table,
    pub(super) events: Table,
    pub(super) audits: Table,
    pub(super) pois: Table,
    pub(super) idents: Table,
    pub(super) watch: Table,
    /// `HardwareConfiguration`: `base_station`, `adsb`, `last_h4m_import_at`.
    pub(super) hardware: Obj,
    /// Counter behind the generated `act-NNNNNN` action ids.
    pub(super) actions: u64,
}

impl Db {
    pub(super) fn station_by_slug(&self, slug: &str) -> Result<&Obj, ApiError> {
        let slug = slug.to_lowercase();
        self.stations.rows.values().find(|r| text(r, "slug") == Some(slug.as_str())).ok_or_else(|| not_found("Station"))
    }

    pub(super) fn station(&self, id: Option<i64>) -> Value {
        id.and_then(|i| self.stations.rows.get(&i)).map_or(Value::Null, |r| Value::Object(public(r)))
    }

    /// A referenced `station_id` (when non-null) must exist.
    pub(super) fn station_ref(&self, vals: &Obj) -> Result<(), ApiError> {
        match int(vals, "station_id") {
            Some(id) if !self.stations.rows.contains_key(&id) => Err(not_found("Station")),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_follow_the_column_order_and_patches_bump_updated_at() {
        let mut t = Table::default();
        let cols = ["created_at", "updated_at", "id", "name", "notes"];
        let id = t.insert(&cols, obj(json!({"name": "a", "extra": 1})), "t0");
        assert_eq!((id, t.insert(&cols, Obj::new(), "t1")), (1, 2));
        let row = t.get(1, "Row").map(|r| Value::Object(r.clone())).ok();
        let expected = json!({"created_at": "t0", "updated_at": "t0", "id": 1, "name": "a", "notes": null});
        assert_eq!(row, Some(expected));
        let keys: Vec<&str> = t.rows[&1].keys().map(String::as_str).collect();
        assert_eq!(keys, cols);
        t.patch(1, obj(json!({"notes": "n", "name": null})), "t2");
        let expected = json!({"created_at": "t0", "updated_at": "t2", "id": 1, "name": null, "notes": "n"});
        assert_eq!(Value::Object(t.rows[&1].clone()), expected);
        assert!(t.get(3, "Row").is_err());
        assert_eq!(public(&obj(json!({"id": 1, "_hidden": 2}))), obj(json!({"id": 1})));
    }
}
