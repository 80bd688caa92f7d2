//! Embedded demo vTOC backend.
//!
//! An in-memory axum server that implements the vTOC REST contract (the 40 operations of
//! `openapi/vtoc.json`) so the MCP bridge can be run, tested and benchmarked on a machine
//! without the real Python/FastAPI backend and its Supabase database. It is **not** the real
//! vTOC: nothing is persisted, hardware is simulated (fake serial ports, no subprocesses) and
//! agent actions are "executed" by echoing their input instead of calling OpenAI AgentKit.
//!
//! What it does reproduce faithfully is the observable HTTP behaviour the bridge depends on:
//! FastAPI-shaped errors (`{"detail": "..."}` and 422 `{"detail": [{type, loc, msg, input}]}`
//! with pydantic's messages), model defaults on create, PATCH semantics (an explicit `null`
//! clears a field, an omitted field is kept), 201/202/204 status codes, the station context
//! headers, the merged station timeline, and the `/api/v1/stations` trailing-slash redirect.
//!
//! [`DemoState::seeded`] starts from a deterministic data set (fixed ids and timestamps from
//! `2026-11-01T12:00:00Z`); [`DemoState::empty`] starts with no records. Records created at
//! run time get the current UTC time and ids from per-table counters that continue after the
//! seed.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, LOCATION};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::serve::ListenerExt;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

type Obj = Map<String, Value>;
/// Rendered identifiers by POI id.
type Idents = BTreeMap<i64, Vec<Value>>;

/// Largest request body read (the same as axum's default body limit).
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// `2026-11-01T12:00:00Z`, the origin of every seed timestamp.
const SEED_EPOCH: i64 = 1_793_534_400;
const STATION_HEADERS: &[&str] = &["x-station-id", "x-station-slug", "x-chatkit-station", "x-toc-station"];
const LIST_TYPE_PATTERN: &str = "^(whitelist|blacklist)$";
const TOOL_NAMES: &[&str] = &["summarize_station", "dispatch_field_team", "lookup_imei"];

// Column order of each table; it is also the field order of the matching `*Read` model.
// Keys starting with `_` are kept on the record but never rendered.
const STATION_COLS: &[&str] =
    &["created_at", "updated_at", "id", "description", "slug", "name", "timezone", "telemetry_schema"];
const SOURCE_COLS: &[&str] = &[
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
const EVENT_COLS: &[&str] = &[
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
const AUDIT_COLS: &[&str] = &[
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
const POI_COLS: &[&str] = &["created_at", "updated_at", "id", "name", "category", "risk_level", "notes", "is_active"];
const IDENT_COLS: &[&str] =
    &["created_at", "updated_at", "id", "identifier_type", "identifier_value", "is_primary", "poi_id"];
const WATCH_COLS: &[&str] =
    &["created_at", "updated_at", "id", "identifier_value", "list_type", "label", "linked_poi_id"];

// ---------------------------------------------------------------------------------------------
// Request models: a small declarative description validated the way pydantic (lax mode) does.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
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
enum Dflt {
    Required,
    Null,
    Str(&'static str),
    Bool(bool),
    Int(i64),
    Num(f64),
    EmptyDict,
}

impl Dflt {
    fn value(self) -> Option<Value> {
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
struct F {
    name: &'static str,
    kind: Kind,
    nullable: bool,
    dflt: Dflt,
    min_len: Option<usize>,
    max_len: Option<usize>,
    pattern: Option<&'static str>,
    ge: Option<f64>,
    le: Option<f64>,
}

/// A required, non-nullable field.
const fn req(name: &'static str, kind: Kind) -> F {
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
const fn opt(name: &'static str, kind: Kind) -> F {
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
    const fn ge(self, ge: f64) -> F {
        F { ge: Some(ge), ..self }
    }
    const fn le(self, le: f64) -> F {
        F { le: Some(le), ..self }
    }
}

struct Model {
    fields: &'static [F],
    /// `extra="forbid"`: unknown keys are errors.
    forbid: bool,
    /// Update model: absent fields stay absent (no defaults).
    partial: bool,
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

use Kind::{Bool, Dict, Int, Num, Str, StrList, Time};

const SOURCE_CREATE: Model = model(&[
    req("is_active", Bool).or(Dflt::Bool(true)),
    opt("description", Str),
    req("slug", Str),
    req("name", Str),
    req("source_type", Str),
    req("connection_mode", Str).or(Dflt::Str("online")),
    opt("configuration", Dict),
    opt("station_id", Int),
]);
const SOURCE_UPDATE: Model = partial(&[
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
const EVENT_CREATE: Model = model(&[
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
const EVENT_UPDATE: Model = partial(EVENT_FIELDS);
const EXECUTE: Model = model(&[
    req("tool_name", Str),
    req("action_input", Dict),
    opt("metadata", Dict),
    opt("channel_slug", Str),
    opt("initiator_id", Str),
]);
const GPS_TEST: Model = forbid(&[
    req("port", Str),
    req("baudrate", Int).or(Dflt::Int(9600)).ge(1.0),
    req("timeout_seconds", Num).or(Dflt::Num(5.0)).ge(0.1),
]);
const BASE_STATION: Model = forbid(&[
    req("callsign", Str),
    opt("serial_number", Str),
    opt("latitude", Num),
    opt("longitude", Num),
    opt("altitude_m", Num),
    opt("notes", Str),
]);
const ADSB: Model = forbid(&[
    req("enabled", Bool),
    opt("device", Str),
    opt("gain", Num),
    opt("frequency", Num),
    req("options", Dict).or(Dflt::EmptyDict),
    opt("start_command", StrList),
    opt("stop_command", StrList),
    opt("timeout_seconds", Num).or(Dflt::Num(10.0)).ge(0.1),
]);
const H4M: Model =
    forbid(&[req("source_path", Str), opt("destination_dir", Str), req("extract", Bool).or(Dflt::Bool(true))]);
const POI_CREATE: Model = model(&[
    req("name", Str).len(1, 255),
    req("category", Str).or(Dflt::Str("person")),
    req("risk_level", Str).or(Dflt::Str("info")),
    opt("notes", Str),
    req("is_active", Bool).or(Dflt::Bool(true)),
]);
const POI_UPDATE: Model = partial(&[
    opt("name", Str),
    opt("category", Str),
    opt("risk_level", Str),
    opt("notes", Str),
    opt("is_active", Bool),
]);
const IDENT_CREATE: Model = model(&[
    req("identifier_type", Str).len(1, 100),
    req("identifier_value", Str).len(1, 255),
    req("is_primary", Bool).or(Dflt::Bool(false)),
    req("poi_id", Int),
]);
const WATCH_CREATE: Model = model(&[
    req("identifier_value", Str).len(1, 255),
    req("list_type", Str).pattern(LIST_TYPE_PATTERN),
    opt("label", Str).max_len(255),
    opt("linked_poi_id", Int),
]);
const WATCH_UPDATE: Model =
    partial(&[opt("identifier_value", Str), opt("list_type", Str), opt("label", Str), opt("linked_poi_id", Int)]);

/// One pydantic error: `(type, msg, ctx)`.
type Fail = (&'static str, String, Option<Value>);

fn fail(kind: &'static str, msg: &str) -> Fail {
    (kind, msg.to_owned(), None)
}

/// A FastAPI validation error entry (`type`, `loc`, `msg`, `input`, optional `ctx`).
fn verr(loc: &[Value], kind: &str, msg: &str, input: &Value, ctx: Option<Value>) -> Value {
    let mut e = Obj::new();
    e.insert("type".into(), kind.into());
    e.insert("loc".into(), Value::Array(loc.to_vec()));
    e.insert("msg".into(), msg.into());
    e.insert("input".into(), input.clone());
    if let Some(ctx) = ctx {
        e.insert("ctx".into(), ctx);
    }
    Value::Object(e)
}

fn loc2(a: &str, b: &str) -> [Value; 2] {
    [a.into(), b.into()]
}

/// A number as pydantic prints it in messages (`200`, `0.1`) and as a JSON value.
fn num_text(x: f64) -> (String, Value) {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        ((x as i64).to_string(), Value::from(x as i64))
    } else {
        (x.to_string(), Value::from(x))
    }
}

/// Lax string → int (whitespace, sign, `_` separators, `.0` suffix); out-of-range saturates.
fn str_to_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = match t.split_once('.') {
        Some((d, zeros)) if zeros.bytes().all(|b| b == b'0') => d,
        Some(_) => return None,
        None => t,
    };
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return None;
    }
    let n = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i64, |acc, b| acc.saturating_mul(10).saturating_add(i64::from(b - b'0')));
    Some(if neg { -n } else { n })
}

fn finite(x: f64) -> Result<Value, Fail> {
    if x.is_finite() { Ok(x.into()) } else { Err(fail("finite_number", "Input should be a finite number")) }
}

/// Lax type coercion of one JSON value (pydantic's JSON-mode conversion table).
fn coerce(kind: Kind, v: &Value) -> Result<Value, Fail> {
    match (kind, v) {
        (Str, Value::String(_)) | (Dict, Value::Object(_)) => Ok(v.clone()),
        (Str, _) => Err(fail("string_type", "Input should be a valid string")),
        (Dict, _) => Err(fail("dict_type", "Input should be a valid dictionary")),
        (Int, Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i.into()),
            (None, Some(x)) if x.fract() == 0.0 => Ok((x as i64).into()),
            _ => Err(fail("int_from_float", "Input should be a valid integer, got a number with a fractional part")),
        },
        (Int, Value::Bool(b)) => Ok(i64::from(*b).into()),
        (Int, Value::String(s)) => str_to_int(s).map(Value::from).ok_or_else(|| {
            fail("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
        }),
        (Int, _) => Err(fail("int_type", "Input should be a valid integer")),
        (Num, Value::Number(n)) => finite(n.as_f64().unwrap_or(f64::NAN)),
        (Num, Value::Bool(b)) => Ok(f64::from(u8::from(*b)).into()),
        (Num, Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(x) => finite(x),
            Err(_) => Err(fail("float_parsing", "Input should be a valid number, unable to parse string as a number")),
        },
        (Num, _) => Err(fail("float_type", "Input should be a valid number")),
        (Bool, Value::Bool(b)) => Ok((*b).into()),
        (Bool, Value::Number(n)) if n.as_f64() == Some(0.0) => Ok(false.into()),
        (Bool, Value::Number(n)) if n.as_f64() == Some(1.0) => Ok(true.into()),
        (Bool, Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false.into()),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true.into()),
            _ => Err(fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")),
        },
        (Bool, Value::Number(_)) => {
            Err(fail("bool_parsing", "Input should be a valid boolean, unable to interpret input"))
        }
        (Bool, _) => Err(fail("bool_type", "Input should be a valid boolean")),
        (Time, Value::String(s)) => coerce_time(s).map(Value::String).ok_or_else(|| {
            (
                "datetime_parsing",
                "Input should be a valid datetime, invalid datetime format".into(),
                Some(json!({"error": "invalid datetime format"})),
            )
        }),
        (Time, Value::Number(n)) => n
            .as_f64()
            .and_then(unix_time)
            .map(Value::String)
            .ok_or_else(|| fail("datetime_type", "Input should be a valid datetime")),
        (Time, _) => Err(fail("datetime_type", "Input should be a valid datetime")),
        (StrList, Value::Array(_)) => Ok(v.clone()),
        (StrList, _) => Err(fail("list_type", "Input should be a valid list")),
    }
}

/// Field constraints (`min_length`, `max_length`, `pattern`, `ge`, `le`) on a coerced value.
fn constrain(f: &F, v: &Value) -> Result<(), Fail> {
    if let Some(s) = v.as_str() {
        let n = s.chars().count();
        if let Some(min) = f.min_len.filter(|min| n < *min) {
            let plural = if min == 1 { "" } else { "s" };
            let msg = format!("String should have at least {min} character{plural}");
            return Err(("string_too_short", msg, Some(json!({"min_length": min}))));
        }
        if let Some(max) = f.max_len.filter(|max| n > *max) {
            let plural = if max == 1 { "" } else { "s" };
            let msg = format!("String should have at most {max} character{plural}");
            return Err(("string_too_long", msg, Some(json!({"max_length": max}))));
        }
        if let Some(p) = f.pattern {
            let ok = p != LIST_TYPE_PATTERN || s == "whitelist" || s == "blacklist";
            if !ok {
                let msg = format!("String should match pattern '{p}'");
                return Err(("string_pattern_mismatch", msg, Some(json!({"pattern": p}))));
            }
        }
    }
    if let Some(x) = v.as_f64() {
        if let Some(ge) = f.ge.filter(|ge| x < *ge) {
            let (text, val) = num_text(ge);
            let msg = format!("Input should be greater than or equal to {text}");
            return Err(("greater_than_equal", msg, Some(json!({"ge": val}))));
        }
        if let Some(le) = f.le.filter(|le| x > *le) {
            let (text, val) = num_text(le);
            let msg = format!("Input should be less than or equal to {text}");
            return Err(("less_than_equal", msg, Some(json!({"le": val}))));
        }
    }
    Ok(())
}

/// Validates one value against a field; pushes errors and returns the coerced value.
fn check(f: &F, v: &Value, loc: &[Value], errs: &mut Vec<Value>) -> Option<Value> {
    if v.is_null() && f.nullable {
        return Some(Value::Null);
    }
    match coerce(f.kind, v).and_then(|c| constrain(f, &c).map(|()| c)) {
        Ok(Value::Array(items)) => {
            let before = errs.len();
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() {
                    let mut iloc = loc.to_vec();
                    iloc.push(i.into());
                    errs.push(verr(&iloc, "string_type", "Input should be a valid string", item, None));
                }
            }
            (errs.len() == before).then_some(Value::Array(items))
        }
        Ok(c) => Some(c),
        Err((kind, msg, ctx)) => {
            errs.push(verr(loc, kind, &msg, v, ctx));
            None
        }
    }
}

/// Collects FastAPI validation errors for one request (path, then query, then body).
#[derive(Default)]
struct V(Vec<Value>);

impl V {
    /// An integer path parameter at segment `idx`; the `0` on failure is never used because
    /// [`V::finish`] then fails.
    fn path_int(&mut self, r: &Req, idx: usize, name: &str) -> i64 {
        let raw = Value::String(r.seg(idx).to_owned());
        check(&req("", Int), &raw, &loc2("path", name), &mut self.0).and_then(|v| v.as_i64()).unwrap_or(0)
    }

    /// A query parameter (last occurrence wins, like Starlette); `None` when absent or invalid.
    fn query(&mut self, r: &Req, f: &F) -> Option<Value> {
        let (_, raw) = r.query.iter().rev().find(|(k, _)| k == f.name)?;
        let raw = Value::String(raw.clone());
        check(f, &raw, &loc2("query", f.name), &mut self.0)
    }

    /// The JSON body validated against `m`. Unparsable JSON fails at once (as in FastAPI).
    fn body(&mut self, r: &Req, m: &Model) -> Result<Obj, ApiError> {
        let body_loc = [Value::from("body")];
        let input = match parse_body(r)? {
            Some(Value::Object(o)) => o,
            Some(other) => {
                let msg = "Input should be a valid dictionary or object to extract fields from";
                self.0.push(verr(&body_loc, "model_attributes_type", msg, &other, None));
                return Ok(Obj::new());
            }
            None => {
                let e = verr(&body_loc, "missing", "Field required", &Value::Null, None);
                self.0.push(e);
                return Ok(Obj::new());
            }
        };
        let mut out = Obj::new();
        for f in m.fields {
            let loc = loc2("body", f.name);
            match input.get(f.name) {
                Some(v) => {
                    if let Some(v) = check(f, v, &loc, &mut self.0) {
                        out.insert(f.name.into(), v);
                    }
                }
                None if m.partial => {}
                None => match f.dflt.value() {
                    Some(d) => {
                        out.insert(f.name.into(), d);
                    }
                    None => {
                        let whole = Value::Object(input.clone());
                        self.0.push(verr(&loc, "missing", "Field required", &whole, None));
                    }
                },
            }
        }
        if m.forbid {
            for (k, v) in &input {
                if !m.fields.iter().any(|f| f.name == k) {
                    let msg = "Extra inputs are not permitted";
                    self.0.push(verr(&loc2("body", k), "extra_forbidden", msg, v, None));
                }
            }
        }
        Ok(out)
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Invalid(self.0)) }
    }
}

/// Decodes the body the way FastAPI does: empty or `null` → absent; a non-JSON content type
/// → the raw text (which then fails model validation); bad UTF-8 → 400; bad JSON → 422.
fn parse_body(r: &Req) -> Result<Option<Value>, ApiError> {
    if r.body.is_empty() {
        return Ok(None);
    }
    let is_json = r.headers.get(CONTENT_TYPE).is_none_or(|ct| {
        let ct = String::from_utf8_lossy(ct.as_bytes()).to_ascii_lowercase();
        let mime = ct.split(';').next().unwrap_or_default().trim();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    });
    if !is_json {
        return Ok(Some(String::from_utf8_lossy(&r.body).into_owned().into()));
    }
    let Ok(text) = std::str::from_utf8(&r.body) else {
        return Err(ApiError::detail(StatusCode::BAD_REQUEST, "There was an error parsing the body"));
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            // Character offset of the error, like Python's JSONDecodeError.pos.
            let line_start: usize = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
            let byte_pos = if e.is_eof() { text.len() } else { line_start + e.column().saturating_sub(1) };
            let pos = text.char_indices().take_while(|(i, _)| *i < byte_pos).count();
            let full = e.to_string();
            let reason = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
            let loc = [Value::from("body"), Value::from(pos)];
            let ctx = json!({ "error": reason });
            let input = Value::Object(Obj::new());
            Err(ApiError::Invalid(vec![verr(&loc, "json_invalid", "JSON decode error", &input, Some(ctx))]))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------

/// Formats like pydantic: `Z` for UTC, microseconds only when non-zero.
fn fmt_time(dt: DateTime<FixedOffset>) -> String {
    let precision = if dt.timestamp_subsec_micros() == 0 { SecondsFormat::Secs } else { SecondsFormat::Micros };
    dt.to_rfc3339_opts(precision, true)
}

fn now() -> String {
    fmt_time(Utc::now().fixed_offset())
}

/// Seed timestamp: `2026-11-01T12:00:00Z` plus `minutes`.
fn seed_ts(minutes: i64) -> String {
    DateTime::from_timestamp(SEED_EPOCH + minutes * 60, 0).map(|d| fmt_time(d.fixed_offset())).unwrap_or_default()
}

fn unix_time(x: f64) -> Option<String> {
    // pydantic reads numbers above 2e10 as milliseconds.
    let secs = if x.abs() > 2e10 { x / 1000.0 } else { x };
    if !secs.is_finite() || secs.abs() > 1e13 {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos).map(|d| fmt_time(d.fixed_offset()))
}

/// Accepts RFC 3339 (aware), naive date-times and plain dates; returns the normalized text.
fn coerce_time(s: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(fmt_time(dt));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    if let Some(n) = naive {
        let secs = n.and_utc().timestamp_subsec_micros();
        let fmt = if secs == 0 { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S%.6f" };
        return Some(n.format(fmt).to_string());
    }
    s.trim().parse::<f64>().ok().and_then(unix_time)
}

/// Parses a stored timestamp for ordering (naive values are read as UTC).
fn parse_time(v: Option<&Value>) -> Option<DateTime<FixedOffset>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc().fixed_offset()))
}

// ---------------------------------------------------------------------------------------------
// Errors and responses
// ---------------------------------------------------------------------------------------------

enum ApiError {
    Detail(StatusCode, String),
    Invalid(Vec<Value>),
}

impl ApiError {
    fn detail(status: StatusCode, msg: impl Into<String>) -> Self {
        ApiError::Detail(status, msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Detail(status, msg) => reply(status, json!({ "detail": msg })),
            ApiError::Invalid(errs) => reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "detail": errs })),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

fn not_found(what: &str) -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(body: Value) -> ApiResult {
    Ok(reply(StatusCode::OK, body))
}

fn created(body: Value) -> ApiResult {
    Ok(reply(StatusCode::CREATED, body))
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// PostgREST's answer when a PATCH sets a NOT NULL column to null.
fn not_null(patch: &Obj, cols: &[&str], table: &str) -> Result<(), ApiError> {
    match cols.iter().find(|c| patch.get(**c).is_some_and(Value::is_null)) {
        Some(c) => Err(ApiError::detail(
            StatusCode::BAD_REQUEST,
            format!("null value in column \"{c}\" of relation \"{table}\" violates not-null constraint"),
        )),
        None => Ok(()),
    }
}

/// PostgREST's 409 for a UNIQUE violation on any of `cols` (ignoring row `skip`).
fn unique(t: &Table, patch: &Obj, cols: &[&str], skip: i64, table: &str) -> Result<(), ApiError> {
    for c in cols {
        let Some(v @ Value::String(_)) = patch.get(*c) else {
            continue;
        };
        if t.rows.iter().any(|(id, r)| *id != skip && r.get(*c) == Some(v)) {
            return Err(ApiError::detail(
                StatusCode::CONFLICT,
                format!("duplicate key value violates unique constraint \"{table}_{c}_key\""),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Request context
// ---------------------------------------------------------------------------------------------

/// Everything a handler reads, extracted without any rejection that is not FastAPI-shaped.
struct Req {
    method: Method,
    path: String,
    /// Percent-decoded path segments (`/api/v1/poi/7` → `["api", "v1", "poi", "7"]`).
    segs: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl Req {
    fn seg(&self, idx: usize) -> &str {
        self.segs.get(idx).map_or("", String::as_str)
    }

    /// First non-empty value of `names`, trimmed.
    fn header(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .filter_map(|n| self.headers.get(*n))
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .find(|s| !s.is_empty())
    }

    /// The station slug from the station context headers (lower-cased, `_` → `-`).
    fn station_ctx(&self) -> Option<String> {
        STATION_HEADERS
            .iter()
            .filter_map(|n| self.headers.get(*n))
            .map(|v| String::from_utf8_lossy(v.as_bytes()).replace('_', "-").to_lowercase())
            .find(|s| !s.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| ApiError::detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large").into_response())?;
        let path = parts.uri.path().to_owned();
        let segs = path.split('/').skip(1).map(|s| pct_decode(s, false)).collect();
        let query = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (pct_decode(k, true), pct_decode(v, true))
            })
            .collect();
        Ok(Req { method: parts.method, path, segs, query, headers: parts.headers, body })
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoding that never fails (invalid UTF-8 becomes U+FFFD, as in uvicorn).
fn pct_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let decoded = match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => Some(hi * 16 + lo),
            _ => None,
        };
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if plus_is_space && b[i] == b'+' { b' ' } else { b[i] });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// In-memory database
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Table {
    last_id: i64,
    rows: BTreeMap<i64, Obj>,
}

impl Table {
    /// Inserts a row with the next id; columns missing from `vals` are null, and
    /// `created_at`/`updated_at` default to `ts`.
    fn insert(&mut self, cols: &[&str], mut vals: Obj, ts: &str) -> i64 {
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

    fn get(&self, id: i64, what: &str) -> Result<&Obj, ApiError> {
        self.rows.get(&id).ok_or_else(|| not_found(what))
    }

    /// Applies the fields present in `patch` and bumps `updated_at` when the table has one.
    fn patch(&mut self, id: i64, patch: Obj, ts: &str) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.extend(patch);
            if row.contains_key("updated_at") {
                row.insert("updated_at".into(), ts.into());
            }
        }
    }
}

fn obj(v: Value) -> Obj {
    match v {
        Value::Object(o) => o,
        _ => Obj::new(),
    }
}

fn int(row: &Obj, k: &str) -> Option<i64> {
    row.get(k).and_then(Value::as_i64)
}

fn text<'a>(row: &'a Obj, k: &str) -> Option<&'a str> {
    row.get(k).and_then(Value::as_str)
}

/// The row without its hidden (`_`-prefixed) columns.
fn public(row: &Obj) -> Obj {
    row.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[derive(Default)]
struct Db {
    stations: Table,
    sources: Table,
    events: Table,
    audits: Table,
    pois: Table,
    idents: Table,
    watch: Table,
    /// `HardwareConfiguration`: `base_station`, `adsb`, `last_h4m_import_at`.
    hardware: Obj,
    /// Counter behind the generated `act-NNNNNN` action ids.
    actions: u64,
}

impl Db {
    fn station_by_slug(&self, slug: &str) -> Result<&Obj, ApiError> {
        let slug = slug.to_lowercase();
        self.stations.rows.values().find(|r| text(r, "slug") == Some(slug.as_str())).ok_or_else(|| not_found("Station"))
    }

    fn station(&self, id: Option<i64>) -> Value {
        id.and_then(|i| self.stations.rows.get(&i)).map_or(Value::Null, |r| Value::Object(public(r)))
    }

    /// A referenced `station_id` (when non-null) must exist.
    fn station_ref(&self, vals: &Obj) -> Result<(), ApiError> {
        match int(vals, "station_id") {
            Some(id) if !self.stations.rows.contains_key(&id) => Err(not_found("Station")),
            _ => Ok(()),
        }
    }

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

    /// Identifiers grouped by POI (primary first, then by type); only `poi`'s when given.
    fn identifier_index(&self, poi: Option<i64>) -> Idents {
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
    fn poi_view(&self, row: &Obj, index: &Idents) -> Value {
        let mut o = public(row);
        let identifiers = int(row, "id").and_then(|id| index.get(&id));
        let identifiers = identifiers.cloned().unwrap_or_default();
        o.insert("identifiers".into(), Value::Array(identifiers));
        Value::Object(o)
    }

    fn poi_one(&self, row: &Obj) -> Value {
        self.poi_view(row, &self.identifier_index(int(row, "id")))
    }

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

    fn hw(&self, k: &str) -> Value {
        self.hardware.get(k).cloned().unwrap_or(Value::Null)
    }

    fn hw_config(&self) -> Value {
        json!({
            "base_station": self.hw("base_station"),
            "adsb": self.hw("adsb"),
            "last_h4m_import_at": self.hw("last_h4m_import_at"),
        })
    }

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

    fn seeded() -> Self {
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
                 "poi_risk_level": "high", "station_callsign": "OPS-1"}},
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
            {"at": 60, "name": "Viktor Sokolov", "category": "person", "risk_level": "high",
             "notes": "Handset blacklisted after a relay-north sighting.", "is_active": true},
            {"at": 61, "name": "Grey Utility Van", "category": "vehicle",
             "risk_level": "medium", "is_active": true},
            {"at": 62, "name": "Maria Chen", "category": "person", "risk_level": "info",
             "notes": "Field liaison; handset whitelisted.", "is_active": true},
            {"at": 63, "name": "Unregistered Quadcopter", "category": "drone",
             "risk_level": "low", "is_active": false},
        ]);
        seed(&mut db.pois, POI_COLS, pois);
        let identifiers = json!([
            {"at": 65, "poi_id": 1, "identifier_type": "imei",
             "identifier_value": "356938035643809", "is_primary": true},
            {"at": 66, "poi_id": 1, "identifier_type": "phone",
             "identifier_value": "+1-555-0142", "is_primary": false},
            {"at": 67, "poi_id": 2, "identifier_type": "license_plate",
             "identifier_value": "7VTC042", "is_primary": true},
            {"at": 68, "poi_id": 3, "identifier_type": "imei",
             "identifier_value": "490154203237518", "is_primary": true},
            {"at": 69, "poi_id": 4, "identifier_type": "serial_number",
             "identifier_value": "QC-2231-X", "is_primary": true},
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

fn serial_ports() -> Value {
    json!([
        {"device": "/dev/ttyUSB0", "description": "u-blox 7 GPS/GNSS receiver",
         "hwid": "USB VID:PID=1546:01A7 SER=DEMO01"},
        {"device": "/dev/ttyACM0", "description": "Meshtastic radio (demo)",
         "hwid": "USB VID:PID=239A:8029 SER=DEMO02"},
    ])
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Shared, cloneable handle on the demo backend's in-memory data.
#[derive(Clone)]
pub struct DemoState {
    db: Arc<Mutex<Db>>,
}

impl DemoState {
    /// Deterministic seed: 3 stations, 5 telemetry sources, 10 events (two IMEI alerts),
    /// 2 agent action audits, 4 POIs with 5 identifiers, 4 watchlist entries and a
    /// registered base station with ADS-B enabled.
    pub fn seeded() -> Self {
        Self::with(Db::seeded())
    }

    /// No records at all (the three simulated agent tools and serial ports still exist).
    pub fn empty() -> Self {
        Self::with(Db::default())
    }

    fn with(db: Db) -> Self {
        DemoState { db: Arc::new(Mutex::new(db)) }
    }

    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, req: &Req, op: Op) -> Response {
        let result = op(&mut self.lock(), req);
        let response = result.unwrap_or_else(IntoResponse::into_response);
        let status = response.status().as_u16();
        tracing::debug!(method = %req.method, path = %req.path, status, "demo backend");
        response
    }
}

type Op = fn(&mut Db, &Req) -> ApiResult;

const GET: MethodFilter = MethodFilter::GET;
const POST: MethodFilter = MethodFilter::POST;
const PATCH: MethodFilter = MethodFilter::PATCH;
const DELETE: MethodFilter = MethodFilter::DELETE;

/// Every operation of the contract: (path, method, handler).
#[rustfmt::skip]
const ROUTES: &[(&str, MethodFilter, Op)] = &[
    ("/api/v1/telemetry/sources", POST, create_source),
    ("/api/v1/telemetry/sources/{source_id}", GET, read_source),
    ("/api/v1/telemetry/sources/{source_id}", PATCH, update_source),
    ("/api/v1/telemetry/sources/{source_id}", DELETE, delete_source),
    ("/api/v1/telemetry/events", GET, list_events),
    ("/api/v1/telemetry/events", POST, create_event),
    ("/api/v1/telemetry/events/{event_id}", GET, read_event),
    ("/api/v1/telemetry/events/{event_id}", PATCH, update_event),
    ("/api/v1/telemetry/events/{event_id}", DELETE, delete_event),
    ("/api/v1/agent-actions/tools", GET, list_tools),
    ("/api/v1/agent-actions/audits", GET, list_audits),
    ("/api/v1/agent-actions/execute", POST, execute_action),
    ("/api/v1/agent-actions/webhook", POST, webhook),
    ("/api/v1/stations/", GET, list_stations),
    ("/api/v1/stations/{station_slug}", GET, read_station),
    ("/api/v1/stations/{station_slug}/dashboard", GET, station_dashboard),
    ("/api/v1/stations/{station_slug}/tasks", GET, station_tasks),
    ("/api/v1/stations/{station_slug}/agentkit/actions", GET, station_actions),
    ("/api/v1/stations/{station_slug}/timeline", GET, station_timeline),
    ("/api/v1/hardware/serial", GET, hw_list_serial),
    ("/api/v1/hardware/test-gps", POST, hw_test_gps),
    ("/api/v1/hardware/register-base-station", POST, hw_register_base_station),
    ("/api/v1/hardware/enable-adsb", POST, hw_enable_adsb),
    ("/api/v1/hardware/status", GET, hw_status),
    ("/api/v1/hardware/h4m/import", POST, h4m_import),
    ("/api/v1/poi", GET, list_poi),
    ("/api/v1/poi", POST, create_poi),
    ("/api/v1/poi/{poi_id}", GET, get_poi),
    ("/api/v1/poi/{poi_id}", PATCH, update_poi),
    ("/api/v1/poi/{poi_id}", DELETE, delete_poi),
    ("/api/v1/poi/{poi_id}/identifiers", POST, create_poi_identifier),
    ("/api/v1/poi/{poi_id}/identifiers", GET, list_poi_identifiers),
    ("/api/v1/poi/{poi_id}/identifiers/{identifier_id}", DELETE, delete_poi_identifier),
    ("/api/v1/imei-watchlist", GET, list_watchlist),
    ("/api/v1/imei-watchlist", POST, create_watch_entry),
    ("/api/v1/imei-watchlist/{entry_id}", GET, get_watch_entry),
    ("/api/v1/imei-watchlist/{entry_id}", PATCH, update_watch_entry),
    ("/api/v1/imei-watchlist/{entry_id}", DELETE, delete_watch_entry),
    ("/api/v1/imei-watchlist/check/{imei}", GET, check_imei),
    ("/healthz", GET, healthz),
];

/// All routes of the demo backend, without a listener.
pub fn router(state: DemoState) -> Router {
    let mut app: Router<DemoState> = Router::new();
    let mut seen: Vec<&str> = Vec::new();
    for &(path, _, _) in ROUTES {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let methods = ROUTES.iter().filter(|r| r.0 == path).fold(MethodRouter::new(), |methods, &(_, filter, op)| {
            methods.on(filter, move |State(st): State<DemoState>, req: Req| async move { st.run(&req, op) })
        });
        app = app.route(path, methods.fallback(method_not_allowed));
    }
    // Like FastAPI, the backend serves its own contract: the one this binary was built from.
    let openapi = axum::routing::get(|| async {
        ([(http::header::CONTENT_TYPE, "application/json")], crate::generated::SPEC_JSON)
    });
    app.route("/openapi.json", openapi).fallback(unknown_route).with_state(state)
}

/// Bind `addr` (tests pass 127.0.0.1:0), serve until `shutdown` resolves. Returns the bound
/// address and the join handle.
pub async fn spawn(
    addr: SocketAddr,
    state: DemoState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::trace!(%err, "demo backend: TCP_NODELAY not set");
        }
    });
    let app = router(state);
    let handle = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!(%err, "demo backend stopped with an error");
        }
    });
    tracing::info!(addr = %bound, "demo vTOC backend listening");
    Ok((bound, handle))
}

async fn method_not_allowed() -> Response {
    ApiError::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response()
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p })
}

/// Starlette's `redirect_slashes` (307 to the path with the trailing slash toggled), else 404.
async fn unknown_route(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let alt = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p.to_owned(),
        _ => format!("{path}/"),
    };
    if ROUTES.iter().any(|(t, _, _)| template_matches(t, &alt)) {
        let mut location = match headers.get(HOST) {
            Some(host) => format!("http://{}{alt}", String::from_utf8_lossy(host.as_bytes())),
            None => alt,
        };
        if let Some(q) = uri.query() {
            location.push('?');
            location.push_str(q);
        }
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response();
        }
    }
    ApiError::detail(StatusCode::NOT_FOUND, "Not Found").into_response()
}

// ---------------------------------------------------------------------------------------------
// Handlers: telemetry
// ---------------------------------------------------------------------------------------------

const SOURCE_NOT_NULL: &[&str] = &["is_active", "slug", "name", "source_type", "connection_mode"];

fn create_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &SOURCE_CREATE)?;
    v.finish()?;
    db.station_ref(&body)?;
    unique(&db.sources, &body, &["name", "slug"], 0, "telemetry_sources")?;
    let id = db.sources.insert(SOURCE_COLS, body, &now());
    let row = db.sources.get(id, "Source")?;
    Ok(reply(StatusCode::CREATED, db.source_view(row)))
}

fn read_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "source_id");
    v.finish()?;
    ok(db.source_view(db.sources.get(id, "Source")?))
}

fn update_source(db: &mut Db, r: &Req) -> ApiResult {
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

fn delete_source(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "source_id");
    v.finish()?;
    db.sources.get(id, "Source")?;
    db.sources.rows.remove(&id);
    // ON DELETE CASCADE
    db.events.rows.retain(|_, e| int(e, "_source_id") != Some(id));
    no_content()
}

fn list_events(db: &mut Db, r: &Req) -> ApiResult {
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

fn create_event(db: &mut Db, r: &Req) -> ApiResult {
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

fn read_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    v.finish()?;
    ok(Value::Object(public(db.events.get(id, "Event")?)))
}

fn update_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    let patch = v.body(r, &EVENT_UPDATE)?;
    v.finish()?;
    db.events.get(id, "Event")?;
    not_null(&patch, &["event_time", "status"], "telemetry_events")?;
    db.events.patch(id, patch, &now());
    ok(Value::Object(public(db.events.get(id, "Event")?)))
}

fn delete_event(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 4, "event_id");
    v.finish()?;
    db.events.get(id, "Event")?;
    db.events.rows.remove(&id);
    no_content()
}

// ---------------------------------------------------------------------------------------------
// Handlers: agent actions
// ---------------------------------------------------------------------------------------------

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

fn list_tools(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(agent_tools())
}

fn list_audits(db: &mut Db, _r: &Req) -> ApiResult {
    let mut rows: Vec<&Obj> = db.audits.rows.values().collect();
    rows.sort_by_cached_key(|a| std::cmp::Reverse((parse_time(a.get("created_at")), int(a, "id"))));
    ok(rows.into_iter().take(100).map(|a| Value::Object(public(a))).collect())
}

fn execute_action(db: &mut Db, r: &Req) -> ApiResult {
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

fn webhook(_db: &mut Db, _r: &Req) -> ApiResult {
    Ok(reply(StatusCode::ACCEPTED, json!({"status": "accepted"})))
}

// ---------------------------------------------------------------------------------------------
// Handlers: stations
// ---------------------------------------------------------------------------------------------

fn list_stations(db: &mut Db, _r: &Req) -> ApiResult {
    let mut rows: Vec<&Obj> = db.stations.rows.values().collect();
    rows.sort_by_cached_key(|s| text(s, "slug").unwrap_or_default().to_owned());
    ok(rows.into_iter().map(|s| Value::Object(public(s))).collect())
}

fn read_station(db: &mut Db, r: &Req) -> ApiResult {
    ok(Value::Object(public(db.station_by_slug(r.seg(3))?)))
}

fn station_dashboard(db: &mut Db, r: &Req) -> ApiResult {
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

fn station_tasks(db: &mut Db, r: &Req) -> ApiResult {
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

fn station_actions(db: &mut Db, r: &Req) -> ApiResult {
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

fn station_timeline(db: &mut Db, r: &Req) -> ApiResult {
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

// ---------------------------------------------------------------------------------------------
// Handlers: hardware (simulated)
// ---------------------------------------------------------------------------------------------

fn hw_list_serial(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(serial_ports())
}

fn hw_test_gps(_db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &GPS_TEST)?;
    v.finish()?;
    let port = text(&body, "port").unwrap_or_default();
    let baud = int(&body, "baudrate").unwrap_or(9600).to_string();
    let command = ["gpsctl", "--device", port, "--baud", baud.as_str()];
    let known = serial_ports().as_array().is_some_and(|ports| ports.iter().any(|p| p["device"] == port));
    let (output, error) = if known {
        let nmea = "$GPGGA,120000.00,3403.1320,N,11814.6220,W,1,09,0.9,89.0,M,-33.9,M,,*6B";
        (Some(nmea.to_owned()), None)
    } else {
        (None, Some(format!("Command failed: {}: no such device", command.join(" "))))
    };
    ok(json!({"success": known, "command": command, "output": output, "error": error}))
}

fn hw_register_base_station(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let mut body = v.body(r, &BASE_STATION)?;
    v.finish()?;
    body.insert("registered_at".into(), now().into());
    db.hardware.insert("base_station".into(), Value::Object(body.clone()));
    created(Value::Object(body))
}

fn hw_enable_adsb(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &ADSB)?;
    v.finish()?;
    let mut config: Obj = ["enabled", "device", "gain", "frequency", "options"]
        .iter()
        .map(|k| (k.to_string(), body.get(*k).cloned().unwrap_or(Value::Null)))
        .collect();
    config.insert("last_updated_at".into(), now().into());
    db.hardware.insert("adsb".into(), Value::Object(config.clone()));
    ok(Value::Object(config))
}

fn hw_status(db: &mut Db, _r: &Req) -> ApiResult {
    let ports = serial_ports();
    let adsb = db.hw("adsb");
    let health = json!({
        "gps": if db.hw("base_station").is_null() { "unconfigured" } else { "configured" },
        "adsb": if adsb["enabled"] == true { "enabled" } else { "disabled" },
        "h4m": if db.hw("last_h4m_import_at").is_null() { "missing" } else { "imported" },
        "generated_at": now(),
        "details": {"serial_ports": ports.as_array().map_or(0, Vec::len),
            "adsb_device": adsb["device"]},
    });
    ok(json!({"configuration": db.hw_config(), "serial_ports": ports, "health": health}))
}

fn h4m_import(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &H4M)?;
    v.finish()?;
    let source = text(&body, "source_path").unwrap_or_default();
    let dest = text(&body, "destination_dir").filter(|d| !d.is_empty()).unwrap_or("/var/lib/vtoc/h4m");
    let dest = dest.trim_end_matches('/');
    let name = source.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("h4m-archive");
    let archive_stem = name
        .len()
        .checked_sub(4)
        .filter(|_| body.get("extract") == Some(&Value::Bool(true)))
        .and_then(|cut| Some((name.get(..cut)?, name.get(cut..)?)))
        .filter(|(stem, ext)| {
            !stem.is_empty() && (ext.eq_ignore_ascii_case(".zip") || ext.eq_ignore_ascii_case(".kmz"))
        })
        .map(|(stem, _)| stem);
    let (destination, files) = match archive_stem {
        Some(stem) => {
            let target = format!("{dest}/{stem}");
            let files = vec![format!("{target}/airspace.geojson"), format!("{target}/manifest.json")];
            (target, files)
        }
        None => {
            let target = format!("{dest}/{name}");
            (target.clone(), vec![target])
        }
    };
    db.hardware.insert("last_h4m_import_at".into(), now().into());
    ok(json!({"imported": true, "destination": destination, "files": files}))
}

// ---------------------------------------------------------------------------------------------
// Handlers: POI and identifiers
// ---------------------------------------------------------------------------------------------

fn list_poi(db: &mut Db, r: &Req) -> ApiResult {
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

fn create_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &POI_CREATE)?;
    v.finish()?;
    let id = db.pois.insert(POI_COLS, body, &now());
    created(db.poi_one(db.pois.get(id, "POI")?))
}

fn get_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "poi_id");
    v.finish()?;
    ok(db.poi_one(db.pois.get(id, "POI")?))
}

fn update_poi(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "poi_id");
    let patch = v.body(r, &POI_UPDATE)?;
    v.finish()?;
    db.pois.get(id, "POI")?;
    not_null(&patch, &["name", "category", "risk_level", "is_active"], "poi")?;
    db.pois.patch(id, patch, &now());
    ok(db.poi_one(db.pois.get(id, "POI")?))
}

fn delete_poi(db: &mut Db, r: &Req) -> ApiResult {
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

fn create_poi_identifier(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let poi_id = v.path_int(r, 3, "poi_id");
    let mut body = v.body(r, &IDENT_CREATE)?;
    v.finish()?;
    db.pois.get(poi_id, "POI")?;
    body.insert("poi_id".into(), poi_id.into());
    let id = db.idents.insert(IDENT_COLS, body, &now());
    created(Value::Object(public(db.idents.get(id, "POI identifier")?)))
}

fn list_poi_identifiers(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let poi_id = v.path_int(r, 3, "poi_id");
    v.finish()?;
    db.pois.get(poi_id, "POI")?;
    let identifiers = db.identifier_index(Some(poi_id)).remove(&poi_id);
    ok(Value::Array(identifiers.unwrap_or_default()))
}

fn delete_poi_identifier(db: &mut Db, r: &Req) -> ApiResult {
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

// ---------------------------------------------------------------------------------------------
// Handlers: IMEI watchlist
// ---------------------------------------------------------------------------------------------

const WATCH: &str = "IMEI watch entry";

fn list_watchlist(db: &mut Db, r: &Req) -> ApiResult {
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

fn create_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &WATCH_CREATE)?;
    v.finish()?;
    db.poi_ref(&body)?;
    unique(&db.watch, &body, &["identifier_value"], 0, "imei_watch_entry")?;
    let id = db.watch.insert(WATCH_COLS, body, &now());
    created(db.watch_one(db.watch.get(id, WATCH)?))
}

fn get_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "entry_id");
    v.finish()?;
    ok(db.watch_one(db.watch.get(id, WATCH)?))
}

fn update_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
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

fn delete_watch_entry(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let id = v.path_int(r, 3, "entry_id");
    v.finish()?;
    db.watch.get(id, WATCH)?;
    db.watch.rows.remove(&id);
    no_content()
}

fn check_imei(db: &mut Db, r: &Req) -> ApiResult {
    let imei = r.seg(4);
    let hit = db.watch.rows.values().find(|w| text(w, "identifier_value") == Some(imei));
    ok(hit.map_or(Value::Null, |w| db.watch_one(w)))
}

fn healthz(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(json!({"status": "ok"}))
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A running demo backend; dropping it shuts the server down.
    struct Server {
        base: String,
        client: reqwest::Client,
        _stop: tokio::sync::oneshot::Sender<()>,
    }

    struct Reply {
        status: u16,
        headers: HeaderMap,
        body: Value,
    }

    async fn start(state: DemoState) -> Server {
        // The crate builds reqwest with `rustls-no-provider`; any provider will do for http://.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let (bound, _) = spawn(addr, state, shutdown).await.expect("bind");
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http client");
        let base = format!("http://{bound}");
        Server { base, client, _stop: stop }
    }

    /// Only `keys` of an object, for compact assertions.
    fn pick(v: &Value, keys: &[&str]) -> Value {
        keys.iter().map(|k| (k.to_string(), v[*k].clone())).collect::<Obj>().into()
    }

    fn field<'a>(items: &'a Value, key: &str) -> Vec<&'a Value> {
        items.as_array().into_iter().flatten().map(|i| &i[key]).collect()
    }

    impl Server {
        fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            self.client.request(method, format!("{}{path}", self.base))
        }

        async fn send(&self, rb: reqwest::RequestBuilder) -> Reply {
            let resp = rb.send().await.expect("request");
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.expect("response body");
            let body = match bytes.is_empty() {
                true => Value::Null,
                false => serde_json::from_slice(&bytes).expect("JSON response body"),
            };
            Reply { status, headers, body }
        }

        async fn call(&self, method: &str, path: &str, body: &Value, hdrs: &[(&str, &str)]) -> Reply {
            let mut rb = self.request(method, path);
            for (k, v) in hdrs {
                rb = rb.header(*k, *v);
            }
            if !body.is_null() {
                rb = rb.json(body);
            }
            self.send(rb).await
        }

        async fn get(&self, path: &str) -> Value {
            let reply = self.call("GET", path, &Value::Null, &[]).await;
            assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
            reply.body
        }

        async fn post(&self, path: &str, body: Value) -> Reply {
            self.call("POST", path, &body, &[]).await
        }

        async fn patch(&self, path: &str, body: Value) -> Value {
            let reply = self.call("PATCH", path, &body, &[]).await;
            assert_eq!(reply.status, 200, "PATCH {path}: {}", reply.body);
            reply.body
        }

        async fn raw(&self, path: &str, body: Vec<u8>, content_type: &str) -> Reply {
            let rb = self.request("POST", path).header("content-type", content_type);
            self.send(rb.body(body)).await
        }
    }

    #[tokio::test]
    async fn every_operation_answers_with_its_documented_status() {
        let s = start(DemoState::seeded()).await;
        // [method, path, body, status]; ids 5/6/11 are the first ones after the seed.
        let cases = json!([
            ["POST", "/api/v1/telemetry/sources",
             {"slug": "new-src", "name": "New Source", "source_type": "gps"}, 201],
            ["GET", "/api/v1/telemetry/sources/1", null, 200],
            ["PATCH", "/api/v1/telemetry/sources/6", {"description": "x"}, 200],
            ["GET", "/api/v1/telemetry/events", null, 200],
            ["POST", "/api/v1/telemetry/events", {"source_id": 6, "latitude": 1.5}, 201],
            ["GET", "/api/v1/telemetry/events/1", null, 200],
            ["PATCH", "/api/v1/telemetry/events/11", {"status": "processed"}, 200],
            ["DELETE", "/api/v1/telemetry/events/11", null, 204],
            ["DELETE", "/api/v1/telemetry/sources/6", null, 204],
            ["GET", "/api/v1/agent-actions/tools", null, 200],
            ["GET", "/api/v1/agent-actions/audits", null, 200],
            ["POST", "/api/v1/agent-actions/execute",
             {"tool_name": "lookup_imei", "action_input": {"imei": "1"}}, 202],
            ["POST", "/api/v1/agent-actions/webhook", {"action_id": "a", "status": "failed"}, 202],
            ["GET", "/api/v1/stations/", null, 200],
            ["GET", "/api/v1/stations/ops-center", null, 200],
            ["GET", "/api/v1/stations/ops-center/dashboard", null, 200],
            ["GET", "/api/v1/stations/ops-center/tasks", null, 200],
            ["GET", "/api/v1/stations/ops-center/agentkit/actions", null, 200],
            ["GET", "/api/v1/stations/ops-center/timeline?limit=5&offset=0", null, 200],
            ["GET", "/api/v1/hardware/serial", null, 200],
            ["POST", "/api/v1/hardware/test-gps", {"port": "/dev/ttyUSB0"}, 200],
            ["POST", "/api/v1/hardware/register-base-station", {"callsign": "VTOC-2"}, 201],
            ["POST", "/api/v1/hardware/enable-adsb", {"enabled": true}, 200],
            ["GET", "/api/v1/hardware/status", null, 200],
            ["POST", "/api/v1/hardware/h4m/import", {"source_path": "/data/h4m.zip"}, 200],
            ["GET", "/api/v1/poi?is_active=true", null, 200],
            ["POST", "/api/v1/poi", {"name": "Test Subject"}, 201],
            ["GET", "/api/v1/poi/1", null, 200],
            ["PATCH", "/api/v1/poi/5", {"notes": "seen"}, 200],
            ["POST", "/api/v1/poi/5/identifiers",
             {"identifier_type": "imei", "identifier_value": "1", "poi_id": 5}, 201],
            ["GET", "/api/v1/poi/5/identifiers", null, 200],
            ["DELETE", "/api/v1/poi/5/identifiers/6", null, 204],
            ["DELETE", "/api/v1/poi/5", null, 204],
            ["GET", "/api/v1/imei-watchlist?list_type=blacklist", null, 200],
            ["POST", "/api/v1/imei-watchlist", {"identifier_value": "1", "list_type": "whitelist"},
             201],
            ["GET", "/api/v1/imei-watchlist/5", null, 200],
            ["PATCH", "/api/v1/imei-watchlist/5", {"label": "x"}, 200],
            ["DELETE", "/api/v1/imei-watchlist/5", null, 204],
            ["GET", "/api/v1/imei-watchlist/check/356938035643809", null, 200],
            ["GET", "/healthz", null, 200],
        ]);
        let cases = cases.as_array().cloned().unwrap_or_default();
        for (template, filter, _) in ROUTES {
            let covered = cases.iter().any(|c| {
                let method = reqwest::Method::from_bytes(c[0].as_str().unwrap_or_default().as_bytes());
                let path = c[1].as_str().unwrap_or_default().split('?').next().unwrap_or_default();
                method.ok().and_then(|m| MethodFilter::try_from(m).ok()) == Some(*filter)
                    && template_matches(template, path)
            });
            assert!(covered, "no test case for {template}");
        }
        for c in &cases {
            let (method, path) = (c[0].as_str().unwrap_or_default(), c[1].as_str().unwrap_or_default());
            let reply = s.call(method, path, &c[2], &[]).await;
            assert_eq!(json!(reply.status), c[3], "{method} {path}: {}", reply.body);
            let content_type = reply.headers.get(CONTENT_TYPE).map(|v| v.as_bytes());
            if reply.status == 204 {
                assert!(content_type.is_none() && reply.body.is_null(), "{method} {path}");
            } else {
                assert_eq!(content_type, Some(&b"application/json"[..]), "{method} {path}");
            }
        }
        assert_eq!(s.get("/healthz").await, json!({"status": "ok"}));
        let webhook = s.post("/api/v1/agent-actions/webhook", Value::Null).await;
        assert_eq!(webhook.body, json!({"status": "accepted"}));
    }

    #[tokio::test]
    async fn unknown_things_get_fastapi_errors() {
        let s = start(DemoState::seeded()).await;
        let cases = json!([
            ["GET", "/api/v1/poi/999", null, 404, "POI not found"],
            ["GET", "/api/v1/stations/nowhere/timeline", null, 404, "Station not found"],
            ["DELETE", "/api/v1/telemetry/sources/99", null, 404, "Source not found"],
            ["PATCH", "/api/v1/telemetry/events/99", {}, 404, "Event not found"],
            ["GET", "/api/v1/imei-watchlist/77", null, 404, "IMEI watch entry not found"],
            ["DELETE", "/api/v1/poi/2/identifiers/1", null, 404, "POI identifier not found"],
            ["POST", "/api/v1/poi/99/identifiers",
             {"identifier_type": "imei", "identifier_value": "1", "poi_id": 99}, 404,
             "POI not found"],
            ["POST", "/api/v1/telemetry/sources",
             {"slug": "s", "name": "n", "source_type": "t", "station_id": 9}, 404,
             "Station not found"],
            ["GET", "/api/v1/nothing-here", null, 404, "Not Found"],
            ["PUT", "/api/v1/poi", null, 405, "Method Not Allowed"],
            ["GET", "/api/v1/agent-actions/execute", null, 405, "Method Not Allowed"],
            ["PATCH", "/api/v1/poi/1", {"name": null}, 400,
             "null value in column \"name\" of relation \"poi\" violates not-null constraint"],
            ["POST", "/api/v1/imei-watchlist",
             {"identifier_value": "356938035643809", "list_type": "blacklist"}, 409,
             concat!("duplicate key value violates unique constraint ",
                 "\"imei_watch_entry_identifier_value_key\"")],
        ]);
        for c in cases.as_array().into_iter().flatten() {
            let (method, path) = (c[0].as_str().unwrap_or_default(), c[1].as_str().unwrap_or_default());
            let reply = s.call(method, path, &c[2], &[]).await;
            assert_eq!((json!(reply.status), reply.body), (c[3].clone(), json!({"detail": c[4]})));
        }
        let reply = s.call("PUT", "/api/v1/poi", &Value::Null, &[]).await;
        assert!(reply.headers.contains_key("allow"));
        // Starlette's redirect_slashes, both ways.
        let reply = s.call("GET", "/api/v1/stations?x=1", &Value::Null, &[]).await;
        assert_eq!(reply.status, 307);
        let location = reply.headers.get(LOCATION).map(|v| v.as_bytes().to_vec());
        let expected = format!("{}/api/v1/stations/?x=1", s.base).into_bytes();
        assert_eq!(location, Some(expected));
        assert_eq!(s.call("GET", "/api/v1/poi/", &Value::Null, &[]).await.status, 307);
    }

    #[tokio::test]
    async fn invalid_input_gets_pydantic_style_422s() {
        let s = start(DemoState::seeded()).await;
        let reply = s.call("GET", "/api/v1/poi/abc", &Value::Null, &[]).await;
        let expected = json!({"detail": [{"type": "int_parsing", "loc": ["path", "poi_id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "abc"}]});
        assert_eq!((reply.status, reply.body), (422, expected));
        let reply = s.post("/api/v1/poi", json!({"notes": "n"})).await;
        let expected = json!({"detail": [{"type": "missing", "loc": ["body", "name"],
            "msg": "Field required", "input": {"notes": "n"}}]});
        assert_eq!((reply.status, reply.body), (422, expected));

        // [method, path, body, type, loc, msg] of the first error.
        let cases = json!([
            ["POST", "/api/v1/poi", {"name": ""}, "string_too_short", ["body", "name"],
             "String should have at least 1 character"],
            ["POST", "/api/v1/imei-watchlist", {"identifier_value": "1", "list_type": "grey"},
             "string_pattern_mismatch", ["body", "list_type"],
             "String should match pattern '^(whitelist|blacklist)$'"],
            ["POST", "/api/v1/hardware/register-base-station", {"callsign": "X", "bogus": 1},
             "extra_forbidden", ["body", "bogus"], "Extra inputs are not permitted"],
            ["POST", "/api/v1/poi", [1, 2], "model_attributes_type", ["body"],
             "Input should be a valid dictionary or object to extract fields from"],
            ["POST", "/api/v1/hardware/test-gps", {"port": "p", "baudrate": 0},
             "greater_than_equal", ["body", "baudrate"],
             "Input should be greater than or equal to 1"],
            ["POST", "/api/v1/hardware/enable-adsb", {"enabled": true, "start_command": ["a", 1]},
             "string_type", ["body", "start_command", 1], "Input should be a valid string"],
            ["POST", "/api/v1/telemetry/events", {"latitude": "north"}, "float_parsing",
             ["body", "latitude"],
             "Input should be a valid number, unable to parse string as a number"],
            ["POST", "/api/v1/agent-actions/execute", {"tool_name": "t", "action_input": 3},
             "dict_type", ["body", "action_input"], "Input should be a valid dictionary"],
            ["POST", "/api/v1/poi", {"name": "n", "is_active": 2}, "bool_parsing",
             ["body", "is_active"], "Input should be a valid boolean, unable to interpret input"],
            ["POST", "/api/v1/telemetry/events", {"event_time": "yesterday"}, "datetime_parsing",
             ["body", "event_time"], "Input should be a valid datetime, invalid datetime format"],
            ["GET", "/api/v1/stations/ops-center/timeline?limit=201", null, "less_than_equal",
             ["query", "limit"], "Input should be less than or equal to 200"],
            ["GET", "/api/v1/stations/ops-center/timeline?offset=-1", null, "greater_than_equal",
             ["query", "offset"], "Input should be greater than or equal to 0"],
            ["GET", "/api/v1/stations/ops-center/timeline?limit=ten", null, "int_parsing",
             ["query", "limit"],
             "Input should be a valid integer, unable to parse string as an integer"],
            ["GET", "/api/v1/poi?is_active=maybe", null, "bool_parsing", ["query", "is_active"],
             "Input should be a valid boolean, unable to interpret input"],
            ["DELETE", "/api/v1/poi/1/identifiers/1.5", null, "int_parsing",
             ["path", "identifier_id"],
             "Input should be a valid integer, unable to parse string as an integer"],
        ]);
        for c in cases.as_array().into_iter().flatten() {
            let (method, path) = (c[0].as_str().unwrap_or_default(), c[1].as_str().unwrap_or_default());
            let reply = s.call(method, path, &c[2], &[]).await;
            assert_eq!(reply.status, 422, "{method} {path}: {}", reply.body);
            let err = pick(&reply.body["detail"][0], &["type", "loc", "msg"]);
            assert_eq!(err, json!({"type": c[3], "loc": c[4], "msg": c[5]}), "{method} {path}");
        }

        // Unparsable JSON fails alone; an empty body is a missing body.
        let reply = s.raw("/api/v1/poi", b"{\"name\": ".to_vec(), "application/json").await;
        let expected = json!({"detail": [{"type": "json_invalid", "loc": ["body", 9],
            "msg": "JSON decode error", "input": {},
            "ctx": {"error": "EOF while parsing a value"}}]});
        assert_eq!((reply.status, reply.body), (422, expected));
        let reply = s.raw("/api/v1/poi", Vec::new(), "application/json").await;
        assert_eq!(reply.body["detail"][0]["loc"], json!(["body"]));
        // Path and body errors are reported together, path first.
        let body = json!({"is_active": "perhaps"});
        let reply = s.call("PATCH", "/api/v1/poi/x", &body, &[]).await;
        let locs = field(&reply.body["detail"], "loc");
        assert_eq!(locs, [&json!(["path", "poi_id"]), &json!(["body", "is_active"])]);
        // Lax coercions pydantic accepts.
        assert_eq!(field(&s.get("/api/v1/poi?is_active=0").await, "id"), [&json!(4)]);
        let body = json!({"port": "/dev/ttyACM0", "baudrate": " 4800 ", "timeout_seconds": 1});
        let reply = s.post("/api/v1/hardware/test-gps", body).await;
        let command = json!(["gpsctl", "--device", "/dev/ttyACM0", "--baud", "4800"]);
        assert_eq!(reply.body["command"], command);
    }

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
        let after = s.patch("/api/v1/poi/1", json!({"risk_level": "medium"})).await;
        let expected = json!({"notes": null, "risk_level": "medium", "name": "Viktor Sokolov"});
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

    #[tokio::test]
    async fn hardware_is_simulated() {
        let s = start(DemoState::empty()).await;
        let status = s.get("/api/v1/hardware/status").await;
        let config = json!({"base_station": null, "adsb": null, "last_h4m_import_at": null});
        assert_eq!(status["configuration"], config);
        assert_eq!(status["health"]["gps"], "unconfigured");
        let gps = s.post("/api/v1/hardware/test-gps", json!({"port": "/dev/ttyS9"})).await.body;
        assert_eq!(pick(&gps, &["success", "output"]), json!({"success": false, "output": null}));
        assert!(gps["error"].as_str().is_some_and(|e| e.contains("/dev/ttyS9")));
        let gps = s.post("/api/v1/hardware/test-gps", json!({"port": "/dev/ttyUSB0"})).await.body;
        assert_eq!(gps["success"], true);
        assert!(gps["output"].as_str().is_some_and(|o| o.starts_with("$GPGGA")));

        let body = json!({"callsign": "VTOC-9", "latitude": "34.5"});
        let reply = s.post("/api/v1/hardware/register-base-station", body).await;
        let base = reply.body;
        let expected = json!({"callsign": "VTOC-9", "latitude": 34.5, "notes": null});
        assert_eq!((reply.status, pick(&base, &["callsign", "latitude", "notes"])), (201, expected));
        let body = json!({"enabled": false, "device": "rtl=1"});
        let adsb = s.post("/api/v1/hardware/enable-adsb", body).await.body;
        assert_eq!(pick(&adsb, &["enabled", "options"]), json!({"enabled": false, "options": {}}));
        let body = json!({"source_path": "/data/airspace.ZIP", "destination_dir": "/srv/h4m/"});
        let import = s.post("/api/v1/hardware/h4m/import", body).await.body;
        let files = json!(["/srv/h4m/airspace/airspace.geojson", "/srv/h4m/airspace/manifest.json"]);
        let expected = json!({"imported": true, "destination": "/srv/h4m/airspace", "files": files});
        assert_eq!(import, expected);
        let body = json!({"source_path": "/data/airspace.zip", "extract": false});
        let import = s.post("/api/v1/hardware/h4m/import", body).await.body;
        assert_eq!(import["files"], json!(["/var/lib/vtoc/h4m/airspace.zip"]));

        let status = s.get("/api/v1/hardware/status").await;
        assert_eq!(status["configuration"]["base_station"], base);
        assert_eq!(status["configuration"]["adsb"], adsb);
        let health = json!({"gps": "configured", "adsb": "disabled", "h4m": "imported"});
        assert_eq!(pick(&status["health"], &["gps", "adsb", "h4m"]), health);
        assert_eq!(status["serial_ports"].as_array().map(Vec::len), Some(2));
    }

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

    #[tokio::test]
    async fn hostile_input_never_breaks_the_server() {
        let s = start(DemoState::seeded()).await;
        let paths = [
            ("/api/v1/stations/%F0%9F%9B%B0%EF%B8%8F", 404),
            ("/api/v1/stations/%FF%FE", 404),
            ("/api/v1/poi/%FF", 422),
            ("/api/v1/poi/99999999999999999999999999", 404),
            ("/api/v1/poi/-1", 404),
            ("/api/v1/imei-watchlist/check/%00%E2%80%AE", 200),
            ("/api/v1/stations/ops-center/timeline?limit=%ZZ&offset=+5", 422),
            ("/api/v1/stations/ops-center/timeline?limit=&&=&offset", 422),
        ];
        for (path, status) in paths {
            let reply = s.call("GET", path, &Value::Null, &[]).await;
            assert_eq!(reply.status, status, "{path}: {}", reply.body);
        }
        let long_name = format!("{{\"name\": \"{}\"}}", "é".repeat(300_000));
        let bodies = [
            (vec![0xff, 0xfe, 0x00, 0x7b], "application/json", 400),
            ("[".repeat(100_000).into_bytes(), "application/json", 422),
            (long_name.into_bytes(), "application/json", 422),
            (b"name=x".to_vec(), "application/x-www-form-urlencoded", 422),
            (b"\"just a string\"".to_vec(), "application/json", 422),
            (b"null".to_vec(), "application/vnd.api+json", 422),
        ];
        for (body, content_type, status) in bodies {
            let reply = s.raw("/api/v1/poi", body, content_type).await;
            assert_eq!(reply.status, status, "{content_type}: {}", reply.body);
        }
        // Over the body limit: 413, unless the server closed the connection before the client
        // finished sending (also fine: the server only has to survive it).
        let big = s.request("POST", "/api/v1/poi").body(vec![b'x'; 3 * 1024 * 1024]);
        if let Ok(resp) = big.send().await {
            assert_eq!(resp.status().as_u16(), 413);
        }
        let body = json!({"source_id": 1, "event_time": 1.7e12, "speed": 1e308, "heading": -0.0});
        let reply = s.post("/api/v1/telemetry/events", body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["event_time"], "2023-11-14T22:13:20Z");
        assert_eq!(s.get("/healthz").await, json!({"status": "ok"}));
    }
}
