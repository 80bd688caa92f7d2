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
//! An operation of the contract it does not implement (see [`unimplemented_operations`];
//! today there is none) answers `501 Not Implemented` with a `detail` naming it.
//!
//! [`DemoState::seeded`] starts from a deterministic data set (fixed ids and timestamps from
//! `2026-11-01T12:00:00Z`); [`DemoState::empty`] starts with no records. Records created at
//! run time get the current UTC time and ids from per-table counters that continue after the
//! seed.
//!
//! This module holds the public API and the routing (one table of the implemented operations);
//! the rest is split by concern: `model` (table columns and request models), `validation`
//! (pydantic-style checks), `time`, `errors`, `context` (the request), `store` (the
//! in-memory database), `seed`, and one module of handlers per resource group
//! (`telemetry`, `agents`, `stations`, `hardware`, `poi`, `watchlist`).

mod agents;
mod context;
mod errors;
mod hardware;
mod model;
mod poi;
mod seed;
mod stations;
mod store;
mod telemetry;
#[cfg(test)]
mod testkit;
mod time;
mod validation;
mod watchlist;

use std::future::{Future, ready};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::serve::ListenerExt;
use serde_json::{Map, Value, json};

use context::Req;
use errors::{ApiError, ApiResult, ok};
use store::Db;

type Obj = Map<String, Value>;

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

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

/// Every operation the demo implements: (method, path template, handler). The router is built
/// from it, and [`unimplemented_operations`] compares it with the contract.
#[rustfmt::skip]
const ROUTES: &[(Method, &str, Op)] = &[
    (POST, "/api/v1/telemetry/sources", telemetry::create_source),
    (GET, "/api/v1/telemetry/sources/{source_id}", telemetry::read_source),
    (PATCH, "/api/v1/telemetry/sources/{source_id}", telemetry::update_source),
    (DELETE, "/api/v1/telemetry/sources/{source_id}", telemetry::delete_source),
    (GET, "/api/v1/telemetry/events", telemetry::list_events),
    (POST, "/api/v1/telemetry/events", telemetry::create_event),
    (GET, "/api/v1/telemetry/events/{event_id}", telemetry::read_event),
    (PATCH, "/api/v1/telemetry/events/{event_id}", telemetry::update_event),
    (DELETE, "/api/v1/telemetry/events/{event_id}", telemetry::delete_event),
    (GET, "/api/v1/agent-actions/tools", agents::list_tools),
    (GET, "/api/v1/agent-actions/audits", agents::list_audits),
    (POST, "/api/v1/agent-actions/execute", agents::execute_action),
    (POST, "/api/v1/agent-actions/webhook", agents::webhook),
    (GET, "/api/v1/stations/", stations::list_stations),
    (GET, "/api/v1/stations/{station_slug}", stations::read_station),
    (GET, "/api/v1/stations/{station_slug}/dashboard", stations::station_dashboard),
    (GET, "/api/v1/stations/{station_slug}/tasks", stations::station_tasks),
    (GET, "/api/v1/stations/{station_slug}/agentkit/actions", stations::station_actions),
    (GET, "/api/v1/stations/{station_slug}/timeline", stations::station_timeline),
    (GET, "/api/v1/hardware/serial", hardware::hw_list_serial),
    (POST, "/api/v1/hardware/test-gps", hardware::hw_test_gps),
    (POST, "/api/v1/hardware/register-base-station", hardware::hw_register_base_station),
    (POST, "/api/v1/hardware/enable-adsb", hardware::hw_enable_adsb),
    (GET, "/api/v1/hardware/status", hardware::hw_status),
    (POST, "/api/v1/hardware/h4m/import", hardware::h4m_import),
    (GET, "/api/v1/poi", poi::list_poi),
    (POST, "/api/v1/poi", poi::create_poi),
    (GET, "/api/v1/poi/{poi_id}", poi::get_poi),
    (PATCH, "/api/v1/poi/{poi_id}", poi::update_poi),
    (DELETE, "/api/v1/poi/{poi_id}", poi::delete_poi),
    (POST, "/api/v1/poi/{poi_id}/identifiers", poi::create_poi_identifier),
    (GET, "/api/v1/poi/{poi_id}/identifiers", poi::list_poi_identifiers),
    (DELETE, "/api/v1/poi/{poi_id}/identifiers/{identifier_id}", poi::delete_poi_identifier),
    (GET, "/api/v1/imei-watchlist", watchlist::list_watchlist),
    (POST, "/api/v1/imei-watchlist", watchlist::create_watch_entry),
    (GET, "/api/v1/imei-watchlist/{entry_id}", watchlist::get_watch_entry),
    (PATCH, "/api/v1/imei-watchlist/{entry_id}", watchlist::update_watch_entry),
    (DELETE, "/api/v1/imei-watchlist/{entry_id}", watchlist::delete_watch_entry),
    (GET, "/api/v1/imei-watchlist/check/{imei}", watchlist::check_imei),
    (GET, "/healthz", healthz),
];

fn healthz(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(json!({"status": "ok"}))
}

/// All routes of the demo backend, without a listener.
pub fn router(state: DemoState) -> Router {
    build(state, unimplemented_operations().into())
}

/// The routes of [`ROUTES`]; requests for an operation of `missing` answer 501.
fn build(state: DemoState, missing: Arc<[Operation]>) -> Router {
    let mut app: Router<DemoState> = Router::new();
    let mut seen: Vec<&str> = Vec::new();
    for &(_, path, _) in ROUTES {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let mut methods = MethodRouter::new();
        for (method, _, op) in ROUTES.iter().filter(|r| r.1 == path) {
            let (Ok(filter), op) = (MethodFilter::try_from(method.clone()), *op) else {
                continue;
            };
            methods = methods.on(filter, move |State(st): State<DemoState>, req: Req| async move { st.run(&req, op) });
        }
        let missing = missing.clone();
        let fallback = move |method: Method, uri: Uri| ready(method_not_allowed(&missing, &method, &uri));
        app = app.route(path, methods.fallback(fallback));
    }
    // Like FastAPI, the backend serves its own contract: the one this binary was built from.
    let openapi = axum::routing::get(|| async {
        ([(http::header::CONTENT_TYPE, "application/json")], crate::generated::SPEC_JSON)
    });
    let fallback =
        move |method: Method, uri: Uri, headers: HeaderMap| ready(unknown_route(&missing, &method, &uri, &headers));
    app.route("/openapi.json", openapi).fallback(fallback).with_state(state)
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
    let missing = unimplemented_operations();
    if !missing.is_empty() {
        // By tool name where there is one: what a user of `make run` sees in tools/list.
        let named: Vec<String> = missing
            .iter()
            .map(|(id, method, path)| match crate::bridge::tools::all().find(|t| t.operation_id == id) {
                Some(tool) => format!("{} ({method} {path})", tool.name),
                None => format!("{id} ({method} {path})"),
            })
            .collect();
        tracing::warn!(
            "the demo backend cannot serve {} tool(s) of this contract; they answer 501 (use a real vTOC backend, VTOC_API_BASE_URL): {}",
            named.len(),
            named.join(", ")
        );
    }
    let app = build(state, missing.into());
    let handle = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!(%err, "demo backend stopped with an error");
        }
    });
    tracing::info!(addr = %bound, "demo vTOC backend listening");
    Ok((bound, handle))
}

// ---------------------------------------------------------------------------------------------
// Operations of the contract the demo lacks
// ---------------------------------------------------------------------------------------------

/// One operation of a contract: (operationId, METHOD, path template).
type Operation = (String, String, String);

const SPEC_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The operations of the compiled contract (`crate::generated::SPEC_JSON`) that the demo does
/// not implement, as (operationId, METHOD, path template), in the contract's order. Requests
/// for them answer `501 Not Implemented`. Empty when the demo covers the whole contract.
pub fn unimplemented_operations() -> Vec<(String, String, String)> {
    let implemented: Vec<(&str, &str)> = ROUTES.iter().map(|(m, p, _)| (m.as_str(), *p)).collect();
    missing_operations(crate::generated::SPEC_JSON, &implemented)
}

/// Every operation of an OpenAPI document (unparsable or path-less: none).
fn spec_operations(spec_json: &str) -> Vec<Operation> {
    let spec: Value = serde_json::from_str(spec_json).unwrap_or_default();
    let paths = spec.get("paths").and_then(Value::as_object).into_iter().flatten();
    let ops = paths.filter_map(|(path, item)| Some((path, item.as_object()?)));
    ops.flat_map(|(path, item)| {
        let methods = item.iter().filter(|(m, _)| SPEC_METHODS.contains(&m.as_str()));
        methods.map(move |(m, op)| {
            let method = m.to_ascii_uppercase();
            let id = op.get("operationId").and_then(Value::as_str).map(str::to_owned);
            (id.unwrap_or_else(|| format!("{method} {path}")), method, path.clone())
        })
    })
    .collect()
}

/// The operations of `spec_json` missing from `implemented` (METHOD, path template) pairs;
/// templates are compared segment by segment, any `{param}` matching any other.
fn missing_operations(spec_json: &str, implemented: &[(&str, &str)]) -> Vec<Operation> {
    let mut ops = spec_operations(spec_json);
    ops.retain(|(_, method, path)| !implemented.iter().any(|(m, p)| m == method && same_template(p, path)));
    ops
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn same_template(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(a, b)| a == b || (is_param(a) && is_param(b)))
}

/// Whether a request path matches a path template (`{param}` matches one non-empty segment).
fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if is_param(t) { !p.is_empty() } else { t == p })
}

/// The operation of `missing` a request is for, if any (HEAD also stands for GET, as axum
/// serves HEAD with the GET handler).
fn find_missing<'a>(missing: &'a [Operation], method: &Method, path: &str) -> Option<&'a Operation> {
    let is = |m: &str| m == method.as_str() || (method == Method::HEAD && m == "GET");
    missing.iter().find(|(_, m, template)| is(m) && template_matches(template, path))
}

/// `501 Not Implemented` naming the operation, FastAPI-shaped.
fn not_implemented((id, method, path): &Operation) -> Response {
    tracing::debug!(operation = %id, %method, %path, "demo backend: not implemented");
    let msg = format!(
        "the demo backend does not implement {id} ({method} {path}); run against a real vTOC backend \
         (VTOC_API_BASE_URL) for it"
    );
    ApiError::detail(StatusCode::NOT_IMPLEMENTED, msg).into_response()
}

// ---------------------------------------------------------------------------------------------
// Fallbacks
// ---------------------------------------------------------------------------------------------

/// A known path with another method: 501 when the contract has that operation, else 405.
fn method_not_allowed(missing: &[Operation], method: &Method, uri: &Uri) -> Response {
    match find_missing(missing, method, uri.path()) {
        Some(op) => not_implemented(op),
        None => ApiError::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response(),
    }
}

/// An operation of the contract the demo lacks: 501. Otherwise Starlette's `redirect_slashes`
/// (307 to the path with the trailing slash toggled), else 404.
fn unknown_route(missing: &[Operation], method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let path = uri.path();
    if let Some(op) = find_missing(missing, method, path) {
        return not_implemented(op);
    }
    let alt = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p.to_owned(),
        _ => format!("{path}/"),
    };
    if ROUTES.iter().any(|(_, t, _)| template_matches(t, &alt)) {
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

#[cfg(test)]
mod tests {
    use axum::http::header::CONTENT_TYPE;

    use super::*;
    use crate::demo::testkit::{serve, start};

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
        for (method, template, _) in ROUTES {
            let covered = cases.iter().any(|c| {
                let path = c[1].as_str().unwrap_or_default().split('?').next().unwrap_or_default();
                c[0] == method.as_str() && template_matches(template, path)
            });
            assert!(covered, "no test case for {method} {template}");
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

    /// The demo's routes are operations of the contract. An operation the demo lacks (the
    /// backend added one) is a note, not a failure: it answers 501 and `make run` names it.
    #[test]
    #[allow(clippy::print_stdout)] // the note goes to the test output
    fn every_demo_route_is_an_operation_of_the_contract() {
        for (id, method, path) in unimplemented_operations() {
            println!("note: the demo backend does not implement {id} ({method} {path}); it answers 501");
        }
        let spec = spec_operations(crate::generated::SPEC_JSON);
        let stale: Vec<String> = ROUTES
            .iter()
            .filter(|(method, template, _)| {
                !spec.iter().any(|(_, m, p)| m == method.as_str() && same_template(p, template))
            })
            .map(|(method, template, _)| format!("{method} {template}"))
            .collect();
        assert!(
            stale.is_empty(),
            "the demo backend serves routes the contract no longer has: {}. If the backend moved them, \
             update their paths in ROUTES (src/demo/mod.rs); if it removed them, delete them there",
            stale.join(", ")
        );
    }

    /// A contract with a PUT on an implemented path, a whole new path with a path-level
    /// `parameters` key, and an implemented operation whose parameter is named differently.
    const SYNTHETIC_SPEC: &str = r#"{"openapi": "3.1.0", "paths": {
        "/api/v1/poi": {"get": {"operationId": "list_poi"}, "put": {"operationId": "replace_pois"}},
        "/api/v1/poi/{id}": {"get": {"operationId": "get_poi"}},
        "/api/v1/missions/{mission_id}/logs": {
            "parameters": [{"name": "mission_id", "in": "path", "required": true}],
            "get": {"operationId": "mission_logs"}},
        "/healthz": {"get": {"operationId": "healthz"}}
    }}"#;

    fn synthetic_missing() -> Vec<Operation> {
        let implemented: Vec<(&str, &str)> = ROUTES.iter().map(|(m, p, _)| (m.as_str(), *p)).collect();
        missing_operations(SYNTHETIC_SPEC, &implemented)
    }

    #[test]
    fn missing_operations_are_found_and_matched() {
        let missing = synthetic_missing();
        let op = |id: &str, method: &str, path: &str| (id.to_owned(), method.to_owned(), path.to_owned());
        let expected =
            [op("replace_pois", "PUT", "/api/v1/poi"), op("mission_logs", "GET", "/api/v1/missions/{mission_id}/logs")];
        assert_eq!(missing, expected);
        let found = |method: Method, path: &str| find_missing(&missing, &method, path).map(|o| o.0.as_str());
        assert_eq!(found(Method::PUT, "/api/v1/poi"), Some("replace_pois"));
        assert_eq!(found(Method::GET, "/api/v1/missions/m-7/logs"), Some("mission_logs"));
        assert_eq!(found(Method::POST, "/api/v1/missions/m-7/logs"), None);
        assert_eq!(found(Method::HEAD, "/api/v1/missions/m-7/logs"), Some("mission_logs"));
        assert_eq!(found(Method::GET, "/api/v1/missions//logs"), None);
        assert_eq!(found(Method::GET, "/api/v1/missions/m-7"), None);
        assert_eq!(found(Method::GET, "/api/v1/missions/m-7/logs/1"), None);
        assert_eq!(found(Method::PUT, "/api/v1/poi/"), None);
        assert!(missing_operations("not json", &[]).is_empty());
    }

    #[tokio::test]
    async fn missing_operations_answer_501_naming_the_operation() {
        let s = serve(build(DemoState::seeded(), synthetic_missing().into())).await;
        let detail = |op: &str| {
            let msg = format!(
                "the demo backend does not implement {op}; run against a real vTOC backend \
                 (VTOC_API_BASE_URL) for it"
            );
            json!({"detail": msg})
        };
        let reply = s.call("PUT", "/api/v1/poi", &Value::Null, &[]).await;
        assert_eq!((reply.status, reply.body), (501, detail("replace_pois (PUT /api/v1/poi)")));
        let reply = s.call("GET", "/api/v1/missions/7/logs?limit=1", &Value::Null, &[]).await;
        let expected = detail("mission_logs (GET /api/v1/missions/{mission_id}/logs)");
        assert_eq!((reply.status, reply.body), (501, expected));
        // Everything else is as before: 404, 405, 307 and the implemented operations.
        let cases = [("GET", "/api/v1/missions/7", 404), ("DELETE", "/api/v1/poi", 405), ("GET", "/api/v1/poi/", 307)];
        for (method, path, status) in cases {
            assert_eq!(s.call(method, path, &Value::Null, &[]).await.status, status, "{method} {path}");
        }
        assert_eq!(s.get("/api/v1/poi/1").await["name"], "Viktor Sokolov");
        // The real router, built from the live contract, has nothing to refuse.
        let live = start(DemoState::seeded()).await;
        assert_eq!(live.call("PUT", "/api/v1/poi", &Value::Null, &[]).await.status, 405);
    }
}
