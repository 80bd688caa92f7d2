//! OAuth 2.1 resource-server mode: JWT access tokens validated against a JWKS served on
//! loopback, the RFC 9728 metadata document, and each refusal.

use crate::common::*;
use crate::guardrails::{post, rpc_2026};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use vtoc_mcp::cli::config::GuardArgs;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "https://mcp.vtoc.test/mcp";

async fn jwks_server() -> String {
    let jwks: Value = serde_json::from_str(&std::fs::read_to_string("tests/fixtures/jwt/jwks.json").unwrap()).unwrap();
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/jwks")
}

fn mint(claims: Value) -> String {
    let pem = std::fs::read("tests/fixtures/jwt/test-only-rsa.pem").unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn claims(scope: &str, aud: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": ISSUER, "aud": aud, "sub": "agent-42", "scope": scope, "iat": now, "exp": now + exp_offset})
}

async fn call(url: &str, token: &str, tool: &str, arguments: Value) -> (u16, http::HeaderMap, Value) {
    crate::common::pinned(tool);
    let bearer = format!("Bearer {token}");
    let body = rpc_2026("tools/call", json!({"name": tool, "arguments": arguments}));
    post(
        url,
        body,
        &[
            ("authorization", &bearer),
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", tool),
        ],
    )
    .await
}

#[tokio::test]
async fn jwt_access_tokens_are_validated_and_refused_precisely() {
    let backend = RecordingBackend::start().await;
    let jwks = jwks_server().await;
    let settings = GuardArgs {
        oauth_issuer: Some(ISSUER.into()),
        oauth_audience: Some(AUDIENCE.into()),
        oauth_jwks_url: Some(jwks),
        allow_writes: true,
        audit_log: "off".into(),
        ..GuardArgs::default()
    };
    let bridge = start_guarded(backend_args(&backend.url), settings).await;

    // The protected resource metadata (RFC 9728), at the root and the path-suffixed URL.
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let doc: Value = reqwest::get(format!("http://{}{path}", bridge.addr)).await.unwrap().json().await.unwrap();
        assert_eq!(doc["resource"], AUDIENCE);
        assert_eq!(doc["authorization_servers"], json!([ISSUER]));
        assert_eq!(doc["scopes_supported"], json!(["vtoc:read", "vtoc:operate", "vtoc:admin"]));
    }

    let refusals = [
        (mint(claims("vtoc:read", AUDIENCE, -3600)), 401, "expired"),
        (mint(claims("vtoc:read", "https://other.example/mcp", 600)), 401, "audience"),
        (
            mint(
                json!({"iss": "https://evil.test", "aud": AUDIENCE, "sub": "x", "scope": "vtoc:read", "exp": chrono::Utc::now().timestamp() + 600}),
            ),
            401,
            "issuer",
        ),
        (mint(claims("openid profile", AUDIENCE, 600)), 403, "insufficient_scope"),
        (
            encode(
                &Header::new(Algorithm::HS256),
                &claims("vtoc:admin", AUDIENCE, 600),
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap(),
            401,
            "not accepted",
        ),
    ];
    for (token, status, says) in refusals {
        let (got, headers, body) = call(&bridge.url, &token, "get_poi", json!({"poi_id": 1})).await;
        assert_eq!(got, status, "{says}: {body}");
        let challenge = headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains(says), "{says}: {challenge}");
        assert!(
            challenge.contains("resource_metadata=\"https://mcp.vtoc.test/.well-known/oauth-protected-resource/mcp\""),
            "{challenge}"
        );
    }
    assert!(backend.requests().is_empty(), "no refused token reached the backend");

    let reader = mint(claims("openid vtoc:read", AUDIENCE, 600));
    let (status, _, body) = call(&bridge.url, &reader, "get_poi", json!({"poi_id": 1})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["structuredContent"]["id"], 1);
    assert_eq!(backend.take_one().header("x-chatkit-user"), Some("agent-42"), "the subject is the initiator");
    let (status, headers, _) = call(&bridge.url, &reader, "update_poi", json!({"poi_id": 1})).await;
    assert_eq!(status, 403);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("scope=\"vtoc:operate\""));
    let operator = mint(
        json!({"iss": ISSUER, "aud": [AUDIENCE, "other"], "sub": "agent-43", "scp": ["vtoc:operate"], "exp": chrono::Utc::now().timestamp() + 600}),
    );
    let (status, _, body) =
        call(&bridge.url, &operator, "update_poi", json!({"poi_id": 1, "risk_level": "high"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["structuredContent"]["risk_level"], "high");
}
