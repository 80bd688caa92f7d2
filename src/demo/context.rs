//! The request as handlers see it.
//!
//! [`Req`] is extracted without any rejection that is not FastAPI-shaped: the body is read up to
//! the size limit (413 beyond), path segments are percent-decoded and the query string is
//! parsed as `application/x-www-form-urlencoded` (invalid UTF-8 becomes U+FFFD, as in uvicorn).
//! It also reads vTOC's station context headers.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use super::errors::ApiError;

/// Largest request body read (the same as axum's default body limit).
const BODY_LIMIT: usize = 2 * 1024 * 1024;
const STATION_HEADERS: &[&str] = &["x-station-id", "x-station-slug", "x-chatkit-station", "x-toc-station"];

/// Everything a handler reads, extracted without any rejection that is not FastAPI-shaped.
pub(super) struct Req {
    pub(super) method: Method,
    pub(super) path: String,
    /// Percent-decoded path segments (`/api/v1/poi/7` → `["api", "v1", "poi", "7"]`).
    segs: Vec<String>,
    /// Decoded query parameters in order (`+` is a space).
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl Req {
    pub(super) fn seg(&self, idx: usize) -> &str {
        self.segs.get(idx).map_or("", String::as_str)
    }

    /// First non-empty value of `names`, trimmed.
    pub(super) fn header(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .filter_map(|n| self.headers.get(*n))
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .find(|s| !s.is_empty())
    }

    /// The station slug from the station context headers (lower-cased, `_` → `-`).
    pub(super) fn station_ctx(&self) -> Option<String> {
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
        let segs = path.split('/').skip(1).map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned()).collect();
        let query = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        Ok(Req { method: parts.method, path, segs, query, headers: parts.headers, body })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::demo::DemoState;
    use crate::demo::testkit::{field, start};

    #[tokio::test]
    async fn query_strings_are_form_decoded() {
        let s = start(DemoState::seeded()).await;
        // Percent escapes are decoded, the last occurrence wins, empty pairs are skipped.
        let listed = s.get("/api/v1/imei-watchlist?list_type=white&&list_type=black%6Cist").await;
        assert_eq!(field(&listed, "id"), [&json!(3), &json!(1)]);
        // `+` is a space (which the lax integer parsing then trims).
        let page = s.get("/api/v1/stations/ops-center/timeline?limit=+2&offset=%201").await;
        assert_eq!((&page["limit"], &page["offset"]), (&json!(2), &json!(1)));
        // A malformed escape is kept as is, then fails validation like any other bad integer.
        let reply = s.call("GET", "/api/v1/stations/ops-center/timeline?limit=%ZZ", &Value::Null, &[]).await;
        assert_eq!((reply.status, &reply.body["detail"][0]["input"]), (422, &json!("%ZZ")));
        // Invalid UTF-8 becomes U+FFFD instead of failing the request.
        let reply = s.call("GET", "/api/v1/imei-watchlist?list_type=%FF", &Value::Null, &[]).await;
        assert_eq!((reply.status, reply.body), (200, json!([])));
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
