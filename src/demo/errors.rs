//! FastAPI-shaped errors and the response helpers every handler uses.
//!
//! [`ApiError`] renders `{"detail": "..."}` or a 422 list of validation errors; the helpers
//! build 200/201/204 replies and reproduce PostgREST's 400 (NOT NULL) and 409 (UNIQUE)
//! answers that the real backend passes through.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Obj;
use super::store::Table;

pub(super) enum ApiError {
    Detail(StatusCode, String),
    Invalid(Vec<Value>),
}

impl ApiError {
    pub(super) fn detail(status: StatusCode, msg: impl Into<String>) -> Self {
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

pub(super) type ApiResult = Result<Response, ApiError>;

pub(super) fn not_found(what: &str) -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, format!("{what} not found"))
}

pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(super) fn ok(body: Value) -> ApiResult {
    Ok(reply(StatusCode::OK, body))
}

pub(super) fn created(body: Value) -> ApiResult {
    Ok(reply(StatusCode::CREATED, body))
}

pub(super) fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// PostgREST's answer when a PATCH sets a NOT NULL column to null.
pub(super) fn not_null(patch: &Obj, cols: &[&str], table: &str) -> Result<(), ApiError> {
    match cols.iter().find(|c| patch.get(**c).is_some_and(Value::is_null)) {
        Some(c) => Err(ApiError::detail(
            StatusCode::BAD_REQUEST,
            format!("null value in column \"{c}\" of relation \"{table}\" violates not-null constraint"),
        )),
        None => Ok(()),
    }
}

/// PostgREST's 409 for a UNIQUE violation on any of `cols` (ignoring row `skip`).
pub(super) fn unique(t: &Table, patch: &Obj, cols: &[&str], skip: i64, table: &str) -> Result<(), ApiError> {
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

#[cfg(test)]
mod tests {
    use axum::http::header::LOCATION;
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::start;

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
}
