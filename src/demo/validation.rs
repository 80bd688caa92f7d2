//! pydantic-style validation of path, query and body input.
//!
//! Lax type coercion (pydantic's JSON-mode conversion table), field constraints, defaults for
//! omitted fields, `extra="forbid"`, and FastAPI's 422 error entries (`type`, `loc`, `msg`,
//! `input`, `ctx`) with pydantic's messages; also FastAPI's decoding of the request body.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::Obj;
use super::context::Req;
use super::errors::ApiError;
use super::model::{F, Kind, LIST_TYPE_PATTERN, Model, req};
use super::time::{coerce_time, unix_time};

use Kind::{Bool, Dict, Int, Num, Str, StrList, Time};

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
pub(super) struct V(Vec<Value>);

impl V {
    /// An integer path parameter at segment `idx`; the `0` on failure is never used because
    /// [`V::finish`] then fails.
    pub(super) fn path_int(&mut self, r: &Req, idx: usize, name: &str) -> i64 {
        let raw = Value::String(r.seg(idx).to_owned());
        check(&req("", Int), &raw, &loc2("path", name), &mut self.0).and_then(|v| v.as_i64()).unwrap_or(0)
    }

    /// A query parameter (last occurrence wins, like Starlette); `None` when absent or invalid.
    pub(super) fn query(&mut self, r: &Req, f: &F) -> Option<Value> {
        let (_, raw) = r.query.iter().rev().find(|(k, _)| k == f.name)?;
        let raw = Value::String(raw.clone());
        check(f, &raw, &loc2("query", f.name), &mut self.0)
    }

    /// The JSON body validated against `m`. Unparsable JSON fails at once (as in FastAPI).
    pub(super) fn body(&mut self, r: &Req, m: &Model) -> Result<Obj, ApiError> {
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

    pub(super) fn finish(self) -> Result<(), ApiError> {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::{field, pick, start};

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
}
