//! Guardrails, each shown refusing with the backend receiving nothing: authentication,
//! scopes, read-only mode, deny lists, Origin, confirmation of destructive calls in both
//! protocol eras, plus context, audit, limits and session binding.

use crate::common::*;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    Implementation,
};
use rmcp::service::RequestContext;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use vtoc_mcp::cli::config::GuardArgs;

pub const READER: &str = "reader-0123456789abcdef0123456789abcdef";
pub const OPS: &str = "ops-agent-0123456789abcdef0123456789abcdef";
pub const ADMIN: &str = "root-admin-0123456789abcdef0123456789abcdef";

pub fn tokens() -> String {
    format!("reader:read:{READER},ops:operate:{OPS},root:admin:{ADMIN}")
}

/// Guard settings with the three tokens, writes on, and an audit file.
fn guard(audit: &std::path::Path) -> GuardArgs {
    GuardArgs {
        auth_tokens: Some(tokens().into()),
        allow_writes: true,
        audit_log: audit.display().to_string(),
        ..GuardArgs::default()
    }
}

fn audit_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    (dir, path)
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
        .collect()
}

/// A raw JSON-RPC POST: (status, headers, body).
pub async fn post(url: &str, body: Value, headers: &[(&str, &str)]) -> (u16, http::HeaderMap, Value) {
    vtoc_mcp::install_crypto_provider();
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    // An SSE stream may carry notifications (`notifications/message`) before the response.
    let response = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("result").is_some() || v.get("error").is_some());
    let value = response.unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(Value::String(text)));
    (status, headers, value)
}

/// `GET /healthz` of the bridge whose `/mcp` is at `mcp_url`.
async fn healthz(mcp_url: &str) -> Value {
    let url = format!("{}/healthz", mcp_url.trim_end_matches("/mcp"));
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A stateless 2026-07-28 tools/call or tools/list, as raw JSON-RPC.
pub fn rpc_2026(method: &str, mut params: Value) -> Value {
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}});
    params["_meta"] = meta;
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

fn headers_2026<'a>(
    method: &'a str,
    name: Option<&'a str>,
    token: Option<&'a str>,
    bearer: &'a mut String,
) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)];
    if let Some(n) = name {
        h.push(("mcp-name", n));
    }
    if let Some(t) = token {
        *bearer = format!("Bearer {t}");
        h.push(("authorization", bearer.as_str()));
    }
    h
}

async fn call_2026(url: &str, token: Option<&str>, name: &str, params: Value) -> (u16, http::HeaderMap, Value) {
    crate::common::pinned(name);
    let mut bearer = String::new();
    let h = headers_2026("tools/call", Some(name), token, &mut bearer);
    let mut p = params;
    p["name"] = json!(name);
    post(url, rpc_2026("tools/call", p), &h).await
}

pub async fn list_2026(url: &str, token: &str) -> Vec<String> {
    let mut bearer = String::new();
    let h = headers_2026("tools/list", None, Some(token), &mut bearer);
    let (status, _, body) = post(url, rpc_2026("tools/list", json!({})), &h).await;
    assert_eq!(status, 200, "{body}");
    body["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

/// An rmcp client with a bearer token and (optionally) an elicitation handler.
#[derive(Clone)]
struct Confirming {
    answer: Option<ElicitationAction>,
}

impl ClientHandler for Confirming {
    fn get_info(&self) -> ClientConfig {
        let capabilities = match self.answer {
            Some(_) => ClientCapabilities::builder().enable_elicitation().build(),
            None => ClientCapabilities::default(),
        };
        ClientConfig::new(capabilities, Implementation::new("guardrail-tests", "1"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams { message, .. } = request else {
            return Err(ErrorData::invalid_params("form expected", None));
        };
        assert!(
            message.contains("delete_poi") && message.contains("poi_id=4"),
            "the prompt names tool and target: {message}"
        );
        Ok(match self.answer.clone() {
            Some(ElicitationAction::Accept) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirm": true}))
            }
            Some(other) => ElicitResult::new(other),
            None => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

async fn session_client(
    url: &str,
    token: &str,
    answer: Option<ElicitationAction>,
) -> rmcp::service::RunningService<RoleClient, Confirming> {
    vtoc_mcp::install_crypto_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(token.to_string());
    Confirming { answer }.serve(StreamableHttpClientTransport::from_config(config)).await.expect("client connects")
}

#[tokio::test]
async fn http_requires_a_valid_token() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let (status, headers, body) = call_2026(&bridge.url, None, "get_poi", json!({"arguments": {"poi_id": 1}})).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer realm=\"vtoc-mcp\""));
    let (status, headers, _) = call_2026(
        &bridge.url,
        Some("not-a-token-0123456789abcdef0123456789"),
        "get_poi",
        json!({"arguments": {"poi_id": 1}}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    assert!(backend.requests().is_empty(), "refused before the backend");
    let (status, _, body) = call_2026(&bridge.url, Some(READER), "get_poi", json!({"arguments": {"poi_id": 1}})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["structuredContent"]["id"], 1);
    assert_eq!(backend.take_one().target, "/api/v1/poi/1");
}

#[tokio::test]
async fn scopes_filter_tools_and_a_call_above_scope_gets_a_scope_challenge() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let reader = list_2026(&bridge.url, READER).await;
    let ops = list_2026(&bridge.url, OPS).await;
    let admin = list_2026(&bridge.url, ADMIN).await;
    use vtoc_mcp::guard::policy::Scope;
    assert_eq!(
        (reader.len(), ops.len(), admin.len()),
        (tools_for(Scope::Read), tools_for(Scope::Operate), tools_for(Scope::Admin))
    );
    assert!(reader.len() < ops.len() && ops.len() < admin.len());
    assert!(reader.contains(&"get_poi".to_string()) && !reader.contains(&"update_poi".to_string()));
    assert!(ops.contains(&"update_poi".to_string()) && !ops.contains(&"delete_poi".to_string()));

    let (status, headers, _) =
        call_2026(&bridge.url, Some(READER), "update_poi", json!({"arguments": {"poi_id": 1, "clear": ["notes"]}}))
            .await;
    assert_eq!(status, 403);
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"vtoc:operate\""),
        "{challenge}"
    );
    let (status, headers, _) =
        call_2026(&bridge.url, Some(OPS), "delete_poi", json!({"arguments": {"poi_id": 1}})).await;
    assert_eq!(status, 403);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("scope=\"vtoc:admin\""));
    assert!(backend.requests().is_empty());
}

#[tokio::test]
async fn read_only_mode_and_deny_lists_refuse_with_a_readable_error() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let read_only =
        GuardArgs { allow_writes: false, tools_deny: Some("tag:imei-watchlist,get_poi".into()), ..guard(&audit) };
    let bridge = start_guarded(backend_args(&backend.url), read_only).await;
    let listed = list_2026(&bridge.url, ADMIN).await;
    assert_eq!(listed.len(), read_only_tools() - 1 - 3, "read-only tools minus get_poi and the 3 watchlist reads");
    for (tool, args, says) in [
        ("create_poi", json!({"name": "x"}), "read-only"),
        ("get_poi", json!({"poi_id": 1}), "deny list"),
        ("check_imei", json!({"imei": "1"}), "deny list"),
    ] {
        let (status, _, body) = call_2026(&bridge.url, Some(ADMIN), tool, json!({"arguments": args})).await;
        assert_eq!(status, 200);
        assert_eq!(body["result"]["isError"], true, "{tool}: {body}");
        assert!(body["result"]["content"][0]["text"].as_str().unwrap().contains(says), "{tool}: {body}");
    }
    assert!(backend.requests().is_empty());
    let decisions: Vec<String> =
        audit_lines(&audit).iter().map(|l| l["decision"].as_str().unwrap().to_string()).collect();
    assert_eq!(decisions, ["refused_policy", "refused_policy", "refused_policy"]);
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let settings = GuardArgs { allowed_origins: Some("https://ops.example.com".into()), ..guard(&audit) };
    let bridge = start_guarded(backend_args(&backend.url), settings).await;
    let mut bearer = String::new();
    let mut h = headers_2026("tools/call", Some("get_poi"), Some(READER), &mut bearer);
    h.push(("origin", "https://evil.example"));
    let body = rpc_2026("tools/call", json!({"name": "get_poi", "arguments": {"poi_id": 1}}));
    let (status, _, reply) = post(&bridge.url, body.clone(), &h).await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(reply["error"], "forbidden_origin");
    assert!(backend.requests().is_empty());
    h.pop();
    h.push(("origin", "https://ops.example.com"));
    assert_eq!(post(&bridge.url, body.clone(), &h).await.0, 200);
    let own = format!("http://{}", bridge.addr);
    h.pop();
    h.push(("origin", own.as_str()));
    assert_eq!(post(&bridge.url, body, &h).await.0, 200, "same-origin (the console) passes");
}

#[tokio::test]
async fn destructive_calls_are_confirmed_over_a_2025_session() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;

    let declining = session_client(&bridge.url, ADMIN, Some(ElicitationAction::Decline)).await;
    let result = declining
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("did not confirm"), "{}", text(&result));
    assert!(backend.requests().is_empty(), "declined: the backend got nothing");

    let cancelling = session_client(&bridge.url, ADMIN, Some(ElicitationAction::Cancel)).await;
    let result = cancelling
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert!(text(&result).contains("cancelled"), "{}", text(&result));
    assert!(backend.requests().is_empty(), "cancelled: the backend got nothing");

    let accepting = session_client(&bridge.url, ADMIN, Some(ElicitationAction::Accept)).await;
    let result = accepting
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("DELETE", "/api/v1/poi/4"));

    // The same lines as a 2026-07-28 client's (`destructive_calls_are_confirmed_over_the_2026_input_required_round_trip`).
    let decisions: Vec<String> =
        audit_lines(&audit).iter().map(|l| l["decision"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        decisions,
        [
            "confirmation_requested",
            "confirmation_declined",
            "confirmation_requested",
            "confirmation_cancelled",
            "confirmation_requested",
            "confirmation_accepted",
            "allowed"
        ]
    );
}

/// A client that declares elicitation but never answers, and keeps its log messages.
#[derive(Clone, Default)]
pub struct Stalling {
    heard: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl ClientHandler for Stalling {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("guardrail-tests", "1"),
        )
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        std::future::pending().await
    }

    #[allow(deprecated)]
    async fn on_logging_message(
        &self,
        params: rmcp::model::LoggingMessageNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        let level = serde_json::to_value(params.level).unwrap().as_str().unwrap().to_string();
        self.heard.lock().unwrap().push((level, params.data["message"].as_str().unwrap_or_default().to_string()));
    }
}

/// A confirmation nobody answers ends at MCP_CONFIRM_TIMEOUT_SECS: nothing is changed, the
/// model reads why, and the client's log hears it (the user may never have seen it).
#[tokio::test]
async fn an_unanswered_confirmation_times_out_and_the_log_hears_it() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge =
        start_guarded(backend_args(&backend.url), GuardArgs { confirm_timeout_secs: 0.5, ..guard(&audit) }).await;
    vtoc_mcp::install_crypto_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(bridge.url.clone()).auth_header(ADMIN.to_string());
    let stalling = Stalling::default();
    let client = stalling.clone().serve(StreamableHttpClientTransport::from_config(config)).await.unwrap();
    let result = client
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("could not get the user's confirmation for `delete_poi`"), "{}", text(&result));
    assert!(text(&result).contains("nothing was changed"), "{}", text(&result));
    assert!(text(&result).contains("no answer within 0.5 s (MCP_CONFIRM_TIMEOUT_SECS)"), "{}", text(&result));
    assert!(backend.requests().is_empty(), "unconfirmed: the backend got nothing");
    let mut heard = Vec::new();
    for _ in 0..200 {
        heard = stalling.heard.lock().unwrap().clone();
        if !heard.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, "warning");
    assert!(heard[0].1.contains("delete_poi") && heard[0].1.contains("confirmation"), "{heard:?}");
}

#[tokio::test]
async fn a_client_that_cannot_confirm_is_refused_unless_the_fallback_allows() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let client = session_client(&bridge.url, ADMIN, None).await;
    let result = client
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("cannot ask"), "{}", text(&result));
    assert!(backend.requests().is_empty());
    assert_eq!(audit_lines(&audit)[0]["decision"], "confirmation_unavailable");

    let allow = GuardArgs { confirm_fallback: vtoc_mcp::cli::config::FallbackArg::Allow, ..guard(&audit) };
    let bridge = start_guarded(backend_args(&backend.url), allow).await;
    let client = session_client(&bridge.url, ADMIN, None).await;
    let result = client
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    assert_eq!(backend.take_one().target, "/api/v1/poi/4");
}

#[tokio::test]
async fn a_model_cannot_bypass_confirmation_with_an_argument() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let client = session_client(&bridge.url, ADMIN, None).await;
    for (extra, field) in [
        (json!({"poi_id": 4, "confirm": true}), "confirm"),
        (json!({"poi_id": 4, "confirmed": "yes"}), "confirmed"),
        (json!({"poi_id": 4, "context": {"confirm": true}}), "context"),
    ] {
        let result = client
            .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(extra.clone())))
            .await
            .unwrap();
        let (_, fields) = refused_arguments(&result);
        assert_eq!(fields, [field], "{extra}");
    }
    assert!(backend.requests().is_empty());
}

#[tokio::test]
async fn destructive_calls_are_confirmed_over_the_2026_input_required_round_trip() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let (status, _, first) =
        call_2026(&bridge.url, Some(ADMIN), "delete_poi", json!({"arguments": {"poi_id": 4}})).await;
    assert_eq!(status, 200);
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let request = &result["inputRequests"]["confirm"];
    assert_eq!(request["method"], "elicitation/create");
    assert!(request["params"]["message"].as_str().unwrap().contains("poi_id=4"));
    let state = result["requestState"].as_str().unwrap().to_string();
    assert!(backend.requests().is_empty(), "asking calls nothing");

    let accept = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    let decline = json!({"confirm": {"action": "decline"}});
    // A declined state is spent: the same state cannot be answered again.
    let (_, _, ask_again) =
        call_2026(&bridge.url, Some(ADMIN), "delete_poi", json!({"arguments": {"poi_id": 4}})).await;
    let declined_state = ask_again["result"]["requestState"].as_str().unwrap().to_string();
    // Declined, forged, sealed for other arguments, or already answered: refused, nothing sent.
    for (arguments, responses, state) in [
        (json!({"poi_id": 4}), decline.clone(), declined_state.clone()),
        (json!({"poi_id": 4}), accept.clone(), declined_state.clone()),
        (json!({"poi_id": 4}), accept.clone(), "forged-state".to_string()),
        (json!({"poi_id": 3}), accept.clone(), state.clone()),
    ] {
        let (_, _, reply) = call_2026(
            &bridge.url,
            Some(ADMIN),
            "delete_poi",
            json!({"arguments": arguments, "inputResponses": responses, "requestState": state}),
        )
        .await;
        assert_eq!(reply["result"]["isError"], true, "{reply}");
    }
    assert!(backend.requests().is_empty());

    let (_, _, done) = call_2026(
        &bridge.url,
        Some(ADMIN),
        "delete_poi",
        json!({"arguments": {"poi_id": 4}, "inputResponses": accept, "requestState": state}),
    )
    .await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("DELETE", "/api/v1/poi/4"));

    // Replaying the confirmed request (same state, same answer) is refused: one DELETE, not two.
    let (_, _, replay) = call_2026(
        &bridge.url,
        Some(ADMIN),
        "delete_poi",
        json!({"arguments": {"poi_id": 4}, "inputResponses": accept, "requestState": state}),
    )
    .await;
    assert_eq!(replay["result"]["isError"], true, "{replay}");
    let text = replay["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("already used") && text.contains("nothing was changed"), "{text}");
    assert!(backend.requests().is_empty(), "the replay reached the backend: {:?}", backend.requests());
    let decisions: Vec<String> =
        audit_lines(&audit).iter().map(|l| l["decision"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(decisions.last().map(String::as_str), Some("confirmation_replayed"), "{decisions:?}");
}

/// Two replicas sharing the request-state key, as docs/security.md describes: the replica
/// that ran a confirmed call refuses its replay; another replica does not know the nonce and
/// accepts it while the state lives (the documented window, closed by sticky routing).
#[tokio::test]
async fn replay_protection_is_per_process_as_documented() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let shared = GuardArgs { request_state_key: Some("k".repeat(40).into()), ..guard(&audit) };
    let a = start_guarded(backend_args(&backend.url), shared.clone()).await;
    let b = start_guarded(backend_args(&backend.url), shared).await;
    let (_, _, ask) = call_2026(&a.url, Some(ADMIN), "delete_poi", json!({"arguments": {"poi_id": 4}})).await;
    let state = ask["result"]["requestState"].as_str().unwrap().to_string();
    let answer = json!({"arguments": {"poi_id": 4}, "requestState": state,
        "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}}});
    // Started on A, answered on B: any replica completes a confirmation.
    let (_, _, done) = call_2026(&b.url, Some(ADMIN), "delete_poi", answer.clone()).await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    assert_eq!(backend.requests().len(), 1);
    backend.clear();
    // The replica that used the state refuses it again.
    let (_, _, sticky) = call_2026(&b.url, Some(ADMIN), "delete_poi", answer.clone()).await;
    assert_eq!(sticky["result"]["isError"], true, "{sticky}");
    assert!(backend.requests().is_empty());
    // Another replica does not know it was used: the window docs/security.md names.
    let (_, _, elsewhere) = call_2026(&a.url, Some(ADMIN), "delete_poi", answer).await;
    assert_eq!(elsewhere["result"]["resultType"], "complete", "{elsewhere}");
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("DELETE", "/api/v1/poi/4"), "the replay ran on A");
}

/// With a shared store (`MCP_STATE_URL`, a real redis-server), a confirmation answers
/// once across replicas; with the store down, no destructive call runs and the message names
/// the store, while reads go on; when the store is back, so are confirmations, with no restart.
#[tokio::test]
async fn a_shared_store_makes_a_confirmation_answer_once_on_every_replica() {
    let mut redis = crate::common::RedisServer::start().await;
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let shared =
        GuardArgs { request_state_key: Some("k".repeat(40).into()), state_url: Some(redis.url()), ..guard(&audit) };
    let a = start_guarded(backend_args(&backend.url), shared.clone()).await;
    let b = start_guarded(backend_args(&backend.url), shared).await;
    let confirm = |poi_id: i64, state: &str| {
        json!({"arguments": {"poi_id": poi_id}, "requestState": state,
               "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}}})
    };
    let ask = |url: String, poi_id: i64| async move {
        let (_, _, asked) = call_2026(&url, Some(ADMIN), "delete_poi", json!({"arguments": {"poi_id": poi_id}})).await;
        asked["result"]["requestState"].as_str().expect("a confirmation is asked").to_string()
    };

    let state = ask(a.url.clone(), 4).await;
    let (_, _, done) = call_2026(&b.url, Some(ADMIN), "delete_poi", confirm(4, &state)).await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    assert_eq!(backend.take_one().target, "/api/v1/poi/4");
    for replica in [&a, &b] {
        let (_, _, replay) = call_2026(&replica.url, Some(ADMIN), "delete_poi", confirm(4, &state)).await;
        assert_eq!(replay["result"]["isError"], true, "{replay}");
        assert!(replay.to_string().contains("already used"), "{replay}");
    }
    assert!(backend.requests().is_empty(), "no replica ran the replay");
    let decisions: Vec<Value> = audit_lines(&audit).iter().map(|l| l["decision"].clone()).collect();
    assert_eq!(decisions.iter().filter(|d| *d == "confirmation_replayed").count(), 2, "{decisions:?}");

    // The store goes away: the answer is refused (fail closed), naming the store; reads work.
    let state = ask(a.url.clone(), 3).await;
    redis.stop();
    let (_, _, refused) = call_2026(&b.url, Some(ADMIN), "delete_poi", confirm(3, &state)).await;
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let text = refused.to_string();
    assert!(
        text.contains("MCP_STATE_URL") && text.contains(&redis.url()) && text.contains("nothing was changed"),
        "{text}"
    );
    assert_eq!(audit_lines(&audit).last().unwrap()["decision"], "confirmation_unavailable");
    let (_, _, read) = call_2026(&a.url, Some(ADMIN), "get_poi", json!({"arguments": {"poi_id": 2}})).await;
    assert_ne!(read["result"]["isError"], true, "{read}");
    assert_eq!(backend.take_one().method, "GET", "only the read reached the backend");
    let health = healthz(&a.url).await;
    assert_eq!((health["status"].as_str(), health["state_store"].as_str()), (Some("degraded"), Some("unreachable")));

    // Back on the same port: the replicas use it again without a restart.
    redis.restart().await;
    let state = ask(a.url.clone(), 3).await;
    let (_, _, done) = call_2026(&b.url, Some(ADMIN), "delete_poi", confirm(3, &state)).await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    assert_eq!(backend.take_one().target, "/api/v1/poi/3");
    let health = healthz(&b.url).await;
    assert_eq!((health["status"].as_str(), health["state_store"].as_str()), (Some("ok"), Some("ok")));
}

#[tokio::test]
async fn context_reaches_the_backend_in_order_of_precedence() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let settings = GuardArgs {
        default_station: Some("ops-center".into()),
        default_channel: Some("default-room".into()),
        ..guard(&audit)
    };
    let bridge = start_guarded(backend_args(&backend.url), settings).await;
    let mut bearer = String::new();
    let mut h = headers_2026("tools/call", Some("list_events"), Some(OPS), &mut bearer);

    // Defaults, and the caller's name as initiator.
    post(&bridge.url, rpc_2026("tools/call", json!({"name": "list_events", "arguments": {}})), &h).await;
    let req = backend.take_one();
    assert_eq!(
        (req.header("x-station-id"), req.header("x-chatkit-channel"), req.header("x-chatkit-user")),
        (Some("ops-center"), Some("default-room"), Some("ops"))
    );
    // Headers of the MCP request beat the defaults.
    h.push(("x-station-id", "field-kit-1"));
    post(&bridge.url, rpc_2026("tools/call", json!({"name": "list_events", "arguments": {}})), &h).await;
    assert_eq!(backend.take_one().header("x-station-id"), Some("field-kit-1"));
    // The host's per-call `_meta["vtoc/context"]` beats the headers.
    let with_meta = |arguments: Value| {
        let mut request = rpc_2026("tools/call", json!({"name": "list_events", "arguments": arguments}));
        request["params"]["_meta"]["vtoc/context"] = json!({"station": "meta-station", "initiator": "analyst-7"});
        request
    };
    post(&bridge.url, with_meta(json!({})), &h).await;
    let req = backend.take_one();
    assert_eq!((req.header("x-station-id"), req.header("x-chatkit-user")), (Some("meta-station"), Some("analyst-7")));
    // The call's own `context` argument beats all of them; what it leaves out comes from the next.
    post(&bridge.url, with_meta(json!({"context_station": "relay-north"})), &h).await;
    let req = backend.take_one();
    assert_eq!((req.header("x-station-id"), req.header("x-chatkit-user")), (Some("relay-north"), Some("analyst-7")));
    assert_eq!(audit_lines(&audit).last().unwrap()["station"], "relay-north");
}

/// The `context` argument is offered where the backend reads context (`list_events` reads
/// the station), with only what it reads; `MCP_CONTEXT_ARGUMENT` widens or removes it.
#[tokio::test]
async fn the_context_argument_is_where_the_backend_reads_context() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    // The context's fields are arguments of their own: `context_station`, ...
    let context_of = |tools: &[Value], name: &str| {
        let props = tools.iter().find(|t| t["name"] == name).unwrap()["inputSchema"]["properties"].clone();
        let fields: Vec<String> =
            props.as_object().unwrap().keys().filter_map(|k| k.strip_prefix("context_")).map(String::from).collect();
        (!fields.is_empty()).then_some(fields)
    };
    for (setting, list_events, get_poi) in [
        ("auto", Some(vec!["station"]), None),
        ("all", Some(vec!["station", "channel", "initiator"]), Some(vec!["station", "channel", "initiator"])),
        ("off", None, None),
    ] {
        let bridge =
            start_guarded(backend_args(&backend.url), GuardArgs { context_argument: setting.into(), ..guard(&audit) })
                .await;
        let mut bearer = String::new();
        let h = headers_2026("tools/list", None, Some(READER), &mut bearer);
        let (_, _, listed) = post(&bridge.url, rpc_2026("tools/list", json!({})), &h).await;
        let tools = listed["result"]["tools"].as_array().unwrap().clone();
        let strs = |v: Option<Vec<&str>>| v.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(context_of(&tools, "list_events"), strs(list_events), "{setting}");
        assert_eq!(context_of(&tools, "get_poi"), strs(get_poi), "{setting}");
    }
}

#[tokio::test]
async fn the_callers_token_is_not_forwarded_unless_opted_in() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let mut args_with_token = backend_args(&backend.url);
    args_with_token.token = Some("backend-service-token".into());
    let bridge = start_guarded(args_with_token.clone(), guard(&audit)).await;
    call_2026(&bridge.url, Some(OPS), "list_stations", json!({"arguments": {}})).await;
    assert_eq!(backend.take_one().header("authorization"), Some("Bearer backend-service-token"));

    let passthrough = GuardArgs { forward_caller_token: true, ..guard(&audit) };
    let bridge = start_guarded(args_with_token, passthrough).await;
    call_2026(&bridge.url, Some(OPS), "list_stations", json!({"arguments": {}})).await;
    assert_eq!(backend.take_one().header("authorization").map(str::to_owned), Some(format!("Bearer {OPS}")));
}

#[tokio::test]
async fn audit_lines_name_the_caller_and_never_the_token() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    call_2026(&bridge.url, Some(OPS), "get_poi", json!({"arguments": {"poi_id": 2}})).await;
    call_2026(&bridge.url, Some(OPS), "get_poi", json!({"arguments": {"poi_id": 999}})).await;
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["event"], "tool_call");
    assert_eq!(first["caller"], "ops");
    assert_eq!(first["auth"], "static_token");
    assert_eq!(first["tool"], "get_poi");
    assert_eq!(first["targets"], json!({"poi_id": 2}));
    assert_eq!(first["decision"], "allowed");
    assert_eq!(first["status"], 200);
    assert!(first["latency_ms"].as_f64().unwrap() > 0.0);
    assert!(first["ts"].as_str().unwrap().ends_with('Z'));
    assert_eq!((lines[1]["status"].as_u64(), lines[1]["outcome"].as_str()), (Some(404), Some("error")));
    let raw = std::fs::read_to_string(&audit).unwrap();
    for secret in [READER, OPS, ADMIN] {
        assert!(!raw.contains(secret));
    }
}

/// Over its limit, a caller's call waits in a bounded queue for a slot instead of failing;
/// when the queue is full, or the wait is over, it is refused with when to retry.
#[tokio::test]
async fn a_burst_from_one_caller_waits_for_a_slot() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let one = |queue: usize, wait: f64| GuardArgs {
        max_concurrent_calls: 1,
        call_queue: queue,
        call_queue_wait_secs: wait,
        ..guard(&audit)
    };
    // A queue of one: the second call waits for the first and then runs.
    let bridge = start_guarded(backend_args(&backend.url), one(1, 30.0)).await;
    backend.force(Forced { delay: Duration::from_millis(300), ..Forced::json(200, json!([])) });
    let url = bridge.url.clone();
    let slow = tokio::spawn(async move { call_2026(&url, Some(OPS), "list_stations", json!({"arguments": {}})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, _, queued) = call_2026(&bridge.url, Some(OPS), "list_stations", json!({"arguments": {}})).await;
    assert_ne!(queued["result"]["isError"], true, "{queued}");
    assert_ne!(slow.await.unwrap().2["result"]["isError"], true);
    assert_eq!(backend.requests().len(), 2, "both ran, one after the other");
    backend.clear();
    // A wait that ends before a slot frees: refused, nothing sent for it.
    let bridge = start_guarded(backend_args(&backend.url), one(4, 0.05)).await;
    backend.force(Forced { delay: Duration::from_millis(800), ..Forced::json(200, json!([])) });
    let url = bridge.url.clone();
    let slow = tokio::spawn(async move { call_2026(&url, Some(OPS), "list_stations", json!({"arguments": {}})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, _, waited) = call_2026(&bridge.url, Some(OPS), "list_stations", json!({"arguments": {}})).await;
    let text = waited["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("waited") && text.contains("MCP_CALL_QUEUE_WAIT_SECS") && text.contains("Retry"), "{text}");
    assert_ne!(slow.await.unwrap().2["result"]["isError"], true);
    assert_eq!(backend.requests().len(), 1, "the refused call never reached the backend");
}

#[tokio::test]
async fn limits_on_results_concurrency_and_request_size() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let small = GuardArgs {
        max_result_bytes: 2000,
        max_concurrent_calls: 1,
        call_queue: 0,
        max_request_bytes: 4096,
        ..guard(&audit)
    };
    let bridge = start_guarded(backend_args(&backend.url), small).await;

    let (_, _, reply) = call_2026(&bridge.url, Some(OPS), "list_events", json!({"arguments": {}})).await;
    let result = &reply["result"];
    let marker = result["content"][1]["text"].as_str().unwrap();
    assert!(marker.starts_with("[truncated by vtoc-mcp: the full result was"), "{marker}");
    assert!(result["_meta"]["vtoc-mcp/truncated"]["originalBytes"].as_u64().unwrap() > 2000);
    assert!(result["structuredContent"]["result"].as_array().unwrap().len() < 10);

    backend.clear();
    backend.force(Forced { delay: Duration::from_millis(800), ..Forced::json(200, json!([])) });
    let url = bridge.url.clone();
    let slow = tokio::spawn(async move { call_2026(&url, Some(OPS), "list_stations", json!({"arguments": {}})).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, _, second) = call_2026(&bridge.url, Some(OPS), "list_stations", json!({"arguments": {}})).await;
    assert_eq!(second["result"]["isError"], true);
    let text = second["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("calls in flight") && text.contains("MCP_CALL_QUEUE") && text.contains("Retry in"), "{text}");
    let (_, _, first) = slow.await.unwrap();
    assert_ne!(first["result"]["isError"], true);
    assert_eq!(backend.requests().len(), 1, "the refused call never reached the backend");

    let huge = "x".repeat(10_000);
    let (status, _, _) = call_2026(&bridge.url, Some(OPS), "create_poi", json!({"arguments": {"name": huge}})).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_session_belongs_to_the_caller_that_opened_it() {
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
        "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let bearer_ops = format!("Bearer {OPS}");
    let (status, headers, _) = post(&bridge.url, init, &[("authorization", &bearer_ops)]).await;
    assert_eq!(status, 200);
    let session = headers["mcp-session-id"].to_str().unwrap().to_string();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    let bearer_reader = format!("Bearer {READER}");
    let (status, _, body) = post(
        &bridge.url,
        list,
        &[("authorization", &bearer_reader), ("mcp-session-id", &session), ("mcp-protocol-version", "2025-11-25")],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden_session");
}

#[test]
fn a_public_bind_without_authentication_is_refused_at_start() {
    let audit = || std::sync::Arc::new(vtoc_mcp::guard::audit::Audit::off());
    let none = GuardArgs::default();
    let err = none.http_guard("0.0.0.0:8765".parse().unwrap(), audit()).err().expect("refused");
    assert_eq!(err.settings(), ["MCP_BIND"]);
    assert!(err.to_string().contains("--insecure-no-auth"), "{err}");
    assert!(none.http_guard("127.0.0.1:8765".parse().unwrap(), audit()).is_ok(), "loopback is allowed");
    let insecure = GuardArgs { insecure_no_auth: true, ..GuardArgs::default() };
    assert!(insecure.http_guard("0.0.0.0:8765".parse().unwrap(), audit()).is_ok());
    let with_tokens = GuardArgs { auth_tokens: Some(tokens().into()), ..GuardArgs::default() };
    assert!(with_tokens.http_guard("0.0.0.0:8765".parse().unwrap(), audit()).is_ok());
}

#[tokio::test]
async fn rmcp_2026_client_drives_the_confirmation_round_trip() {
    use rmcp::model::ProtocolVersion;
    use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
    let backend = RecordingBackend::start().await;
    let (_d, audit) = audit_file();
    let bridge = start_guarded(backend_args(&backend.url), guard(&audit)).await;
    vtoc_mcp::install_crypto_provider();
    let connect = |answer| {
        let config = StreamableHttpClientTransportConfig::with_uri(bridge.url.clone()).auth_header(ADMIN.to_string());
        Confirming { answer: Some(answer) }.serve_with_lifecycle(
            StreamableHttpClientTransport::from_config(config),
            ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] },
        )
    };
    let declining = connect(ElicitationAction::Decline).await.expect("2026 client connects");
    let result = declining
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    assert!(backend.requests().is_empty());
    let accepting = connect(ElicitationAction::Accept).await.unwrap();
    let result = accepting
        .call_tool(CallToolRequestParams::new("delete_poi").with_arguments(args(json!({"poi_id": 4}))))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    assert_eq!(backend.take_one().target, "/api/v1/poi/4");
    let decisions: Vec<String> =
        audit_lines(&audit).iter().map(|l| l["decision"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        decisions,
        [
            "confirmation_requested",
            "confirmation_declined",
            "confirmation_requested",
            "confirmation_accepted",
            "allowed"
        ]
    );
}
