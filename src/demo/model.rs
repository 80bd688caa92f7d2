//! What the tables and request bodies look like.
//!
//! The column order of each in-memory table (also the field order of its `*Read` model) and
//! the request models of the contract, written as a small declarative description (kind,
//! nullability, default, length/pattern/range constraints) that [`super::validation`] checks
//! the way pydantic does in lax mode.

use serde_json::Value;

use super::Obj;

use Kind::{Bool, Dict, Int, Num, Str, StrList, Time};

pub(super) const LIST_TYPE_PATTERN: &str = "^(whitelist|blacklist)$";

// Column order of each table; it is also the field order of the matching `*Read` model.
// Keys starting with `_` are kept on the record but never rendered.
pub(super) const STATION_COLS: &[&str] =
    &["created_at", "updated_at", "id", "description", "slug", "name", "timezone", "telemetry_schema"];
pub(super) const SOURCE_COLS: &[&str] = &[
    "created_at",
    "updated_at",
    "id",
    "is_active",
    "description",
    "slug",
    "name",
    "source_type",
    "connection_mode",
    "configuration",
    "station_id",
    "last_ingested_at",
];
pub(super) const EVENT_COLS: &[&str] = &[
    "event_time",
    "latitude",
    "longitude",
    "altitude",
    "heading",
    "speed",
    "payload",
    "raw_data",
    "status",
    "station_id",
    "id",
    "received_at",
    "_source_id",
];
pub(super) const AUDIT_COLS: &[&str] = &[
    "created_at",
    "updated_at",
    "id",
    "action_id",
    "tool_name",
    "status",
    "request_payload",
    "response_payload",
    "error_message",
    "channel_slug",
    "initiator_id",
    "completed_at",
    "_station_id",
];
pub(super) const POI_COLS: &[&str] =
    &["created_at", "updated_at", "id", "name", "category", "risk_level", "notes", "is_active"];
pub(super) const IDENT_COLS: &[&str] =
    &["created_at", "updated_at", "id", "identifier_type", "identifier_value", "is_primary", "poi_id"];
pub(super) const WATCH_COLS: &[&str] =
    &["created_at", "updated_at", "id", "identifier_value", "list_type", "label", "linked_poi_id"];

// ---------------------------------------------------------------------------------------------
// Request models
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Int,
    Num,
    Bool,
    Dict,
    StrList,
    Time,
}

/// Value used when a field is left out of a create body.
#[derive(Clone, Copy)]
pub(super) enum Dflt {
    Required,
    Null,
    Str(&'static str),
    Bool(bool),
    Int(i64),
    Num(f64),
    EmptyDict,
}

impl Dflt {
    pub(super) fn value(self) -> Option<Value> {
        Some(match self {
            Dflt::Required => return None,
            Dflt::Null => Value::Null,
            Dflt::Str(s) => s.into(),
            Dflt::Bool(b) => b.into(),
            Dflt::Int(i) => i.into(),
            Dflt::Num(x) => x.into(),
            Dflt::EmptyDict => Value::Object(Obj::new()),
        })
    }
}

#[derive(Clone, Copy)]
pub(super) struct F {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) nullable: bool,
    pub(super) dflt: Dflt,
    pub(super) min_len: Option<usize>,
    pub(super) max_len: Option<usize>,
    pub(super) pattern: Option<&'static str>,
    pub(super) ge: Option<f64>,
    pub(super) le: Option<f64>,
}

/// A required, non-nullable field.
pub(super) const fn req(name: &'static str, kind: Kind) -> F {
    F {
        name,
        kind,
        nullable: false,
        dflt: Dflt::Required,
        min_len: None,
        max_len: None,
        pattern: None,
        ge: None,
        le: None,
    }
}

/// An `Optional[T] = None` field.
pub(super) const fn opt(name: &'static str, kind: Kind) -> F {
    F { nullable: true, dflt: Dflt::Null, ..req(name, kind) }
}

impl F {
    const fn or(self, dflt: Dflt) -> F {
        F { dflt, ..self }
    }
    const fn len(self, min: usize, max: usize) -> F {
        F { min_len: Some(min), max_len: Some(max), ..self }
    }
    const fn max_len(self, max: usize) -> F {
        F { max_len: Some(max), ..self }
    }
    const fn pattern(self, pattern: &'static str) -> F {
        F { pattern: Some(pattern), ..self }
    }
    pub(super) const fn ge(self, ge: f64) -> F {
        F { ge: Some(ge), ..self }
    }
    pub(super) const fn le(self, le: f64) -> F {
        F { le: Some(le), ..self }
    }
}

pub(super) struct Model {
    pub(super) fields: &'static [F],
    /// `extra="forbid"`: unknown keys are errors.
    pub(super) forbid: bool,
    /// Update model: absent fields stay absent (no defaults).
    pub(super) partial: bool,
}

const fn model(fields: &'static [F]) -> Model {
    Model { fields, forbid: false, partial: false }
}

const fn forbid(fields: &'static [F]) -> Model {
    Model { fields, forbid: true, partial: false }
}

const fn partial(fields: &'static [F]) -> Model {
    Model { fields, forbid: false, partial: true }
}

pub(super) const SOURCE_CREATE: Model = model(&[
    req("is_active", Bool).or(Dflt::Bool(true)),
    opt("description", Str),
    req("slug", Str),
    req("name", Str),
    req("source_type", Str),
    req("connection_mode", Str).or(Dflt::Str("online")),
    opt("configuration", Dict),
    opt("station_id", Int),
]);
pub(super) const SOURCE_UPDATE: Model = partial(&[
    opt("is_active", Bool),
    opt("description", Str),
    opt("slug", Str),
    opt("name", Str),
    opt("source_type", Str),
    opt("connection_mode", Str),
    opt("configuration", Dict),
    opt("station_id", Int),
]);
const EVENT_FIELDS: &[F] = &[
    opt("event_time", Time),
    opt("latitude", Num),
    opt("longitude", Num),
    opt("altitude", Num),
    opt("heading", Num),
    opt("speed", Num),
    opt("payload", Dict),
    opt("raw_data", Str),
    opt("status", Str),
];
pub(super) const EVENT_CREATE: Model = model(&[
    opt("event_time", Time),
    opt("latitude", Num),
    opt("longitude", Num),
    opt("altitude", Num),
    opt("heading", Num),
    opt("speed", Num),
    opt("payload", Dict),
    opt("raw_data", Str),
    opt("status", Str).or(Dflt::Str("received")),
    opt("station_id", Int),
    opt("source_id", Int),
    opt("source_slug", Str),
    opt("source_name", Str),
]);
pub(super) const EVENT_UPDATE: Model = partial(EVENT_FIELDS);
pub(super) const EXECUTE: Model = model(&[
    req("tool_name", Str),
    req("action_input", Dict),
    opt("metadata", Dict),
    opt("channel_slug", Str),
    opt("initiator_id", Str),
]);
pub(super) const GPS_TEST: Model = forbid(&[
    req("port", Str),
    req("baudrate", Int).or(Dflt::Int(9600)).ge(1.0),
    req("timeout_seconds", Num).or(Dflt::Num(5.0)).ge(0.1),
]);
pub(super) const BASE_STATION: Model = forbid(&[
    req("callsign", Str),
    opt("serial_number", Str),
    opt("latitude", Num),
    opt("longitude", Num),
    opt("altitude_m", Num),
    opt("notes", Str),
]);
pub(super) const ADSB: Model = forbid(&[
    req("enabled", Bool),
    opt("device", Str),
    opt("gain", Num),
    opt("frequency", Num),
    req("options", Dict).or(Dflt::EmptyDict),
    opt("start_command", StrList),
    opt("stop_command", StrList),
    opt("timeout_seconds", Num).or(Dflt::Num(10.0)).ge(0.1),
]);
pub(super) const H4M: Model =
    forbid(&[req("source_path", Str), opt("destination_dir", Str), req("extract", Bool).or(Dflt::Bool(true))]);
pub(super) const POI_CREATE: Model = model(&[
    req("name", Str).len(1, 255),
    req("category", Str).or(Dflt::Str("person")),
    req("risk_level", Str).or(Dflt::Str("info")),
    opt("notes", Str),
    req("is_active", Bool).or(Dflt::Bool(true)),
]);
pub(super) const POI_UPDATE: Model = partial(&[
    opt("name", Str),
    opt("category", Str),
    opt("risk_level", Str),
    opt("notes", Str),
    opt("is_active", Bool),
]);
pub(super) const IDENT_CREATE: Model = model(&[
    req("identifier_type", Str).len(1, 100),
    req("identifier_value", Str).len(1, 255),
    req("is_primary", Bool).or(Dflt::Bool(false)),
    req("poi_id", Int),
]);
pub(super) const WATCH_CREATE: Model = model(&[
    req("identifier_value", Str).len(1, 255),
    req("list_type", Str).pattern(LIST_TYPE_PATTERN),
    opt("label", Str).max_len(255),
    opt("linked_poi_id", Int),
]);
pub(super) const WATCH_UPDATE: Model =
    partial(&[opt("identifier_value", Str), opt("list_type", Str), opt("label", Str), opt("linked_poi_id", Int)]);
