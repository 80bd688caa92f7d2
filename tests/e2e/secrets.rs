//! No secret in any log: the real binary, at the most verbose log level, with every kind of
//! secret configured (MCP tokens, a JWT, the backend token, the request-state key), driven
//! through every authentication path; then every line it wrote (logs and audit) is
//! searched for each secret.

use crate::common::*;
use crate::guardrails::{ADMIN, OPS, READER, post, rpc_2026, tokens};
use serde_json::json;
use std::io::Read;
use std::time::Duration;

const BACKEND_TOKEN: &str = "backend-service-token-7f3a9c2e51d84b06";
const STATE_KEY: &str = "request-state-key-0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn no_secret_appears_in_any_log_line() {
    let backend = RecordingBackend::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let audit_path = dir.path().join("audit.jsonl");
    let jwt = {
        let pem = std::fs::read("tests/fixtures/jwt/test-only-rsa.pem").unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("test-key-1".into());
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"iss": "https://issuer.test", "aud": "https://mcp.vtoc.test/mcp", "sub": "jwt-agent", "scope": "vtoc:read", "exp": now + 600});
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
    };
    let jwks = {
        let body = std::fs::read_to_string("tests/fixtures/jwt/jwks.json").unwrap();
        let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { body }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/jwks")
    };

    let mut child = crate::common::vtoc_command()
        .args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
        .env("VTOC_API_BASE_URL", &backend.url)
        .env("VTOC_API_TOKEN", BACKEND_TOKEN)
        .env("MCP_AUTH_TOKENS", tokens())
        .env("MCP_OAUTH_ISSUER", "https://issuer.test")
        .env("MCP_OAUTH_AUDIENCE", "https://mcp.vtoc.test/mcp")
        .env("MCP_OAUTH_JWKS_URL", &jwks)
        .env("MCP_REQUEST_STATE_KEY", STATE_KEY)
        .env("MCP_ALLOW_WRITES", "true")
        .env("MCP_AUDIT_LOG", &audit_path)
        .env("VTOC_MCP_LOG", "trace")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("spawn vtoc-mcp");

    // The server writes its address to the log.
    let mut url = None;
    for _ in 0..200 {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(line) = log.lines().find(|l| l.contains("MCP streamable HTTP on http://")) {
            let start = line.find("http://").unwrap();
            url = Some(line[start..].trim().trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = url.expect("the server logged its address");
    let url = if url.ends_with("/mcp") { url } else { format!("{url}/mcp") };

    let call = |token: String, tool: &'static str, arguments: serde_json::Value, extra: serde_json::Value| {
        let url = url.clone();
        async move {
            let bearer = format!("Bearer {token}");
            let mut params = json!({"name": tool, "arguments": arguments});
            if let serde_json::Value::Object(more) = extra {
                params.as_object_mut().unwrap().extend(more);
            }
            post(
                &url,
                rpc_2026("tools/call", params),
                &[
                    ("authorization", &bearer),
                    ("mcp-protocol-version", "2026-07-28"),
                    ("mcp-method", "tools/call"),
                    ("mcp-name", tool),
                ],
            )
            .await
        }
    };
    // Every path: good and bad static tokens, a JWT, a scope challenge, a backend error,
    // a write, and a 2026 confirmation round trip (which seals state with the key).
    assert_eq!(call(READER.into(), "get_poi", json!({"poi_id": 1}), json!({})).await.0, 200);
    assert_eq!(call(format!("{OPS}x"), "get_poi", json!({"poi_id": 1}), json!({})).await.0, 401);
    assert_eq!(call(jwt.clone(), "list_stations", json!({}), json!({})).await.0, 200);
    assert_eq!(call(format!("{jwt}x"), "list_stations", json!({}), json!({})).await.0, 401);
    assert_eq!(call(READER.into(), "update_poi", json!({"poi_id": 1}), json!({})).await.0, 403);
    assert_eq!(call(OPS.into(), "get_poi", json!({"poi_id": 999}), json!({})).await.0, 200);
    assert_eq!(call(OPS.into(), "update_poi", json!({"poi_id": 1, "notes": "n"}), json!({})).await.0, 200);
    let (_, _, ask) = call(ADMIN.into(), "delete_poi", json!({"poi_id": 4}), json!({})).await;
    let state = ask["result"]["requestState"].as_str().expect("input required").to_string();
    let (_, _, done) = call(ADMIN.into(), "delete_poi", json!({"poi_id": 4}),
        json!({"inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}}, "requestState": state})).await;
    assert_ne!(done["result"]["isError"], true, "{done}");
    assert!(
        backend.requests().iter().all(|r| r.header("authorization") == Some(&format!("Bearer {BACKEND_TOKEN}")[..]))
    );

    // Graceful stop (SIGTERM), then read everything it wrote.
    let pid = child.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM ends the server cleanly: {status:?}");
    let mut logs = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut logs).unwrap();
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert!(logs.lines().count() > 50, "trace logging produced lines to search ({} lines)", logs.lines().count());
    assert_eq!(
        audit.lines().count(),
        10,
        "one audit line per tool call, refused ones included, and the accepted confirmation's:\n{audit}"
    );
    assert_eq!(audit.lines().filter(|l| l.contains("\"refused_unauthenticated\"")).count(), 2);
    assert_eq!(audit.lines().filter(|l| l.contains("\"refused_scope\"")).count(), 1);
    for (what, secret) in [
        ("reader token", READER),
        ("ops token", OPS),
        ("admin token", ADMIN),
        ("backend token", BACKEND_TOKEN),
        ("state key", STATE_KEY),
        ("JWT", jwt.as_str()),
    ] {
        for (file, text) in [("log", &logs), ("audit", &audit)] {
            if let Some(line) = text.lines().find(|l| l.contains(secret)) {
                panic!("the {what} appears in the {file}: {line}");
            }
        }
        // A JWT's signature alone would also be a leak.
        if what == "JWT" {
            let signature = secret.rsplit('.').next().unwrap();
            assert!(!logs.contains(signature) && !audit.contains(signature), "JWT signature in the logs");
        }
    }
}
