//! The developer workflow through the real binary: diff, sync-spec, doctor, call, init,
//! the start-up contract check and healthcheck.

use crate::common::*;
use serde_json::{Value, json};
use std::process::Output;
use tokio::net::TcpListener;

fn bin() -> std::process::Command {
    let mut c = vtoc_command();
    c.env("VTOC_MCP_LOG", "warn").env("MCP_AUDIT_LOG", "off");
    c
}

/// Run the binary off the async runtime's threads.
async fn run(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run vtoc-mcp")).await.unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A loopback server answering `routes` (path → (status, content type, body)).
async fn stub(routes: Vec<(&'static str, u16, &'static str, String)>) -> String {
    let mut app = axum::Router::new();
    for (path, status, kind, body) in routes {
        app = app.route(
            path,
            axum::routing::get(move || {
                let body = body.clone();
                async move { (http::StatusCode::from_u16(status).unwrap(), [(http::header::CONTENT_TYPE, kind)], body) }
            }),
        );
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// What `changed_spec` did.
struct Changed {
    spec: String,
    removed: String,
    /// `METHOD /path` of the removed tool.
    removed_endpoint: String,
    renamed_from: String,
}

/// The compiled spec with one endpoint added (`probe_added`), the first tool's operation
/// removed, and the second tool's backend function renamed. Chosen from the manifest, so
/// this holds whatever the spec contains.
fn changed_spec() -> Changed {
    let mut doc: Value = serde_json::from_str(vtoc_mcp::generated::SPEC_JSON).unwrap();
    let manifest: Value = serde_json::from_str(vtoc_mcp::generated::TOOLS_JSON).unwrap();
    let tool = |i: usize| &manifest["tools"][i];
    let ptr = |t: &Value| format!("/paths/{}", t["path"].as_str().unwrap().replace('~', "~0").replace('/', "~1"));
    let method = |t: &Value| t["method"].as_str().unwrap().to_ascii_lowercase();
    doc.pointer_mut(&ptr(tool(0))).unwrap().as_object_mut().unwrap().remove(&method(tool(0)));
    let renamed = doc.pointer_mut(&format!("{}/{}", ptr(tool(1)), method(tool(1)))).unwrap();
    renamed["operationId"] = json!(format!("renamed_{}", tool(1)["operationId"].as_str().unwrap()));
    doc["paths"].as_object_mut().unwrap().insert(
        "/api/v1/probe-added".into(),
        json!({"get": {"summary": "Probe Added",
        "operationId": "probe_added_api_v1_probe_added_get", "responses": {"200": {"description": "Successful Response",
        "content": {"application/json": {"schema": {"type": "object", "title": "Response Probe Added"}}}}}}}),
    );
    Changed {
        spec: serde_json::to_string(&doc).unwrap(),
        removed: tool(0)["name"].as_str().unwrap().to_string(),
        removed_endpoint: format!("{} {}", tool(0)["method"].as_str().unwrap(), tool(0)["path"].as_str().unwrap()),
        renamed_from: tool(1)["name"].as_str().unwrap().to_string(),
    }
}

#[tokio::test]
async fn diff_classifies_fixture_pairs_in_markdown_and_json() {
    let mut cmd = bin();
    cmd.args([
        "diff",
        "tests/fixtures/diff/v1.json",
        "tests/fixtures/diff/v2.json",
        "--format",
        "json",
        "--overrides",
        "/dev/null",
    ]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let has = |tool: &str, kind: &str, breaking: bool| {
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["tool"] == tool && c["kind"] == kind && c["breaking"] == breaking)
    };
    assert!(has("legacy", "tool_removed", true));
    assert!(has("stats", "tool_added", false));
    assert!(has("fetch_thing", "tool_renamed", true), "a rename is matched by endpoint: {report}");
    assert!(has("archive_thing", "annotation_changed", true), "becoming destructive is breaking");
    assert!(has("create_thing", "argument_added", true), "a new required argument breaks calls");
    assert!(has("list_things", "argument_added", false), "a new optional one does not");
    assert!(has("create_thing", "argument_removed", true));
    assert!(has("create_thing", "enum_narrowed", true));
    assert!(has("create_thing", "constraint_changed", true));
    assert!(has("fetch_thing", "output_field_removed", false), "an optional field could be absent already");
    assert_eq!(report["breaking"], 7);

    let mut cmd = bin();
    cmd.args([
        "diff",
        "tests/fixtures/diff/v1.json",
        "tests/fixtures/diff/v2.json",
        "--fail-on-breaking",
        "--overrides",
        "/dev/null",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("| **BREAKING** | `fetch_thing` | tool renamed |"), "{}", stdout(&out));

    // A manifest on one side works too, and identical inputs give no change.
    let mut cmd = bin();
    cmd.args(["diff", "generated/tools.json", "openapi/vtoc.json"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "No change to the tool surface.\n");
}

#[tokio::test]
async fn sync_spec_writes_the_backend_spec_as_served_and_reports_what_changed() {
    let changed = changed_spec();
    let backend = stub(vec![("/openapi.json", 200, "application/json", changed.spec.clone())]).await;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("vtoc.json");
    std::fs::copy("openapi/vtoc.json", &out_path).unwrap();
    let mut cmd = bin();
    cmd.args(["sync-spec", "--from", &backend, "--out", out_path.to_str().unwrap()]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Wrote"), "{text}");
    assert!(text.contains("### Tool surface: 4 change(s), 2 breaking"), "{text}");
    assert!(text.contains("`probe_added` | tool added"), "{text}");
    assert!(text.contains(&format!("| **BREAKING** | `{}` | tool removed", changed.removed)), "{text}");
    assert!(text.contains(&format!("`{}` is now `renamed_", changed.renamed_from)), "{text}");
    assert!(text.contains("Next: `make generate`"), "{text}");
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(written, changed.spec, "written byte for byte as the backend served it");
    // A new file: the report compares with the spec compiled into the binary.
    let new_path = dir.path().join("new").join("vtoc.json");
    let mut cmd = bin();
    cmd.args(["sync-spec", "--from", &backend, "--out", new_path.to_str().unwrap()]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("compared with the spec compiled into this binary"), "{text}");
    assert!(text.contains("### Tool surface: 4 change(s), 2 breaking"), "{text}");
    assert_eq!(std::fs::read_to_string(&new_path).unwrap(), changed.spec);
    // Syncing again changes nothing.
    let mut cmd = bin();
    cmd.args(["sync-spec", "--from", &backend, "--out", out_path.to_str().unwrap()]);
    assert!(stdout(&run(cmd).await).contains("is up to date"));

    // Not an OpenAPI document: a clear error, and the file is left alone.
    let html = stub(vec![
        ("/openapi.json", 200, "text/html", "<html>login</html>".into()),
        ("/missing/openapi.json", 404, "text/plain", "no".into()),
    ])
    .await;
    for (url, says) in
        [(html.clone(), "did not return JSON"), (format!("{html}/missing/openapi.json"), "answered HTTP 404")]
    {
        let mut cmd = bin();
        cmd.args(["sync-spec", "--from", &url, "--out", out_path.to_str().unwrap()]);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), written);
}

#[tokio::test]
async fn doctor_reports_a_live_backend_whose_spec_differs() {
    let backend = stub(vec![
        ("/healthz", 200, "application/json", r#"{"status":"ok"}"#.into()),
        ("/api/v1/stations/", 200, "application/json", "[]".into()),
        ("/openapi.json", 200, "application/json", changed_spec().spec),
    ])
    .await;
    let mut cmd = bin();
    cmd.args(["doctor", "--backend-url", &backend]);
    let out = run(cmd).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[ ok ] backend reachable"), "{text}");
    assert!(text.contains("[ ok ] backend authentication"), "{text}");
    assert!(text.contains("[FAIL] contract: 4 difference(s), 2 breaking"), "{text}");
    assert!(text.contains(&format!("`{}` | tool removed", changed_spec().removed)), "{text}");

    // The embedded demo serves the compiled contract: everything passes.
    let mut cmd = bin();
    cmd.args(["doctor", "--demo"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("[ ok ] contract: the live /openapi.json gives the same tools"), "{}", stdout(&out));

    // Unreachable: one clear failure.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = bin();
    cmd.args(["doctor", "--backend-url", &format!("http://127.0.0.1:{port}")]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("[FAIL] backend reachable"), "{}", stdout(&out));
}

#[tokio::test]
async fn call_prints_what_an_mcp_client_gets() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let client = http_client(&bridge.url).await;
    for (tool, arguments) in [
        ("get_poi", json!({"poi_id": 3})),
        ("get_poi", json!({"poi_id": 999})),
        ("check_imei", json!({"imei": "356938035643809"})),
        ("station_brief", json!({"station_slug": "ops-center", "timeline_limit": 3})),
    ] {
        let expected = call(&client, tool, arguments.clone()).await.unwrap();
        let mut cmd = bin();
        cmd.args(["call", tool, "--args", &arguments.to_string(), "--raw", "--backend-url", &backend.url]);
        let out = run(cmd).await;
        let got: Value =
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{tool}: {e}: {}", stdout(&out)));
        assert_eq!(got["structuredContent"], expected.structured_content.clone().unwrap_or(Value::Null), "{tool}");
        assert_eq!(got["content"][0]["text"].as_str().unwrap(), text(&expected), "{tool}");
        assert_eq!(got["isError"].as_bool(), expected.is_error, "{tool}");
        assert_eq!(out.status.code(), Some(if expected.is_error == Some(true) { 1 } else { 0 }), "{tool}");
    }
    // The same guardrails: read-only by default, and bad arguments never reach the backend.
    backend.clear();
    let mut cmd = bin();
    cmd.args(["call", "create_poi", "--args", r#"{"name": "x"}"#, "--backend-url", &backend.url]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("read-only"), "{}", stdout(&out));
    let mut cmd = bin();
    cmd.args(["call", "get_poi", "--args", r#"{"poi_id": "x"}"#, "--backend-url", &backend.url]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1), "a tool error, as an MCP client gets it");
    assert!(stdout(&out).contains("- poi_id: ") && stdout(&out).contains("not called"), "{}", stdout(&out));
    assert!(backend.requests().is_empty());
    // Destructive calls need --yes (the person running it is the one confirming).
    let mut cmd = bin();
    cmd.env("MCP_ALLOW_WRITES", "true").env("MCP_LOCAL_SCOPE", "vtoc:admin");
    cmd.args(["call", "delete_poi", "--args", r#"{"poi_id": 4}"#, "--backend-url", &backend.url]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(backend.requests().is_empty());
    let mut cmd = bin();
    cmd.env("MCP_ALLOW_WRITES", "true").env("MCP_LOCAL_SCOPE", "vtoc:admin");
    cmd.args(["call", "delete_poi", "--yes", "--args", r#"{"poi_id": 4}"#, "--backend-url", &backend.url]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(backend.take_one().target, "/api/v1/poi/4");
}

#[tokio::test]
async fn init_writes_tokens_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.args(["init", "--target", "stack", "--dir", dir.path().to_str().unwrap()]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(env.contains("MCP_AUTH_TOKENS_FILE=/run/secrets/mcp_auth_tokens"));
    let tokens = std::fs::read_to_string(dir.path().join("secrets/mcp_auth_tokens")).unwrap();
    assert_eq!(vtoc_mcp::guard::auth::StaticTokens::parse(&tokens).unwrap().len(), 3);
    assert!(
        !stdout(&out).contains(tokens.lines().next().unwrap().rsplit(':').next().unwrap()),
        "tokens are not printed"
    );
    let mut cmd = bin();
    cmd.args(["init", "--target", "stack", "--dir", dir.path().to_str().unwrap()]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exist"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("secrets/mcp_auth_tokens")).unwrap(), tokens);
}

#[tokio::test]
async fn the_server_checks_the_live_contract_at_start() {
    let changed = changed_spec();
    let backend = stub(vec![("/openapi.json", 200, "application/json", changed.spec.clone())]).await;
    let mut cmd = bin();
    cmd.env("VTOC_CONTRACT_CHECK", "strict").args(["serve", "--transport", "stdio", "--backend-url", &backend]);
    cmd.stdin(std::process::Stdio::null());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("differs from the spec this binary was built from: 4 change(s), 2 breaking"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("strict refuses to start"));

    // Warn (the default): the differences are logged and the server runs (stdin closed: it ends).
    let mut cmd = bin();
    cmd.args(["serve", "--transport", "stdio", "--backend-url", &backend]).stdin(std::process::Stdio::null());
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let warning = format!("contract: `{}` is gone; agents calling it will fail", changed.removed_endpoint);
    assert!(stderr(&out).contains(&warning), "{}", stderr(&out));
}

#[tokio::test]
async fn healthcheck_exits_by_health() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let mut cmd = bin();
    cmd.args(["healthcheck", "--url", &format!("http://{}/healthz", bridge.addr)]);
    assert!(run(cmd).await.status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = bin();
    cmd.args(["healthcheck", "--url", &format!("http://127.0.0.1:{port}/healthz")]);
    assert_eq!(run(cmd).await.status.code(), Some(1));
}

/// Every configuration `serve` refuses to start with: what is set, and the setting the
/// refusal must name.
/// (what, the variables set, what the refusal names).
type Refused = (&'static str, &'static [(&'static str, &'static str)], &'static str);

const REFUSED: &[Refused] = &[
    ("a token shorter than 32 characters", &[("MCP_AUTH_TOKENS", "ops:operate:short")], "shorter than 32"),
    ("OAuth half configured", &[("MCP_OAUTH_ISSUER", "https://idp.example.com")], "MCP_OAUTH_AUDIENCE"),
    ("a public bind without authentication", &[("MCP_TRANSPORT", "http"), ("MCP_BIND", "0.0.0.0:8765")], "MCP_BIND"),
    ("a bind that is not an address", &[("MCP_BIND", "garbage")], "MCP_BIND=garbage"),
    ("both the token and its file", &[("VTOC_API_TOKEN", "t"), ("VTOC_API_TOKEN_FILE", "/dev/null")], "VTOC_API_TOKEN"),
    ("an unknown context argument mode", &[("MCP_CONTEXT_ARGUMENT", "sometimes")], "MCP_CONTEXT_ARGUMENT"),
    ("a backend URL that is not http", &[("VTOC_API_BASE_URL", "ftp://backend")], "VTOC_API_BASE_URL"),
    ("a backend URL with a password", &[("VTOC_API_BASE_URL", "http://u:p@backend")], "VTOC_API_BASE_URL"),
    ("no backend at all", &[("VTOC_API_BASE_URL", "")], "VTOC_API_BASE_URL"),
    ("a switch set to a word", &[("MCP_ALLOW_WRITES", "yes")], "MCP_ALLOW_WRITES=yes"),
    ("a count set to a word", &[("MCP_MAX_CONCURRENT_CALLS", "many")], "MCP_MAX_CONCURRENT_CALLS=many"),
    ("a zero result limit", &[("MCP_MAX_RESULT_BYTES", "0")], "MCP_MAX_RESULT_BYTES"),
    ("a negative shutdown grace", &[("MCP_SHUTDOWN_GRACE_SECS", "-1")], "MCP_SHUTDOWN_GRACE_SECS"),
    ("a public URL that is not one", &[("MCP_TRANSPORT", "http"), ("MCP_PUBLIC_URL", "mcp")], "MCP_PUBLIC_URL"),
];

/// `serve` exits 2 on each refused configuration, and `doctor`, reading the same settings
/// through the same check, exits 2 naming the same setting: the two never disagree.
#[tokio::test]
async fn doctor_refuses_every_configuration_serve_refuses() {
    for (what, env, names) in REFUSED {
        for command in ["serve", "doctor"] {
            let mut cmd = bin();
            cmd.env("VTOC_API_BASE_URL", "http://127.0.0.1:9").arg(command);
            for (name, value) in *env {
                if value.is_empty() {
                    cmd.env_remove(name);
                } else {
                    cmd.env(name, value);
                }
            }
            // A configuration serve accepted would keep it running: the timeout says so.
            let out = tokio::time::timeout(std::time::Duration::from_secs(30), run(cmd))
                .await
                .unwrap_or_else(|_| panic!("{what}: `{command}` started instead of refusing"));
            let said = format!("{}{}", stdout(&out), stderr(&out));
            assert_eq!(out.status.code(), Some(2), "{what}: `{command}` exit code\n{said}");
            assert!(said.contains(names), "{what}: `{command}` does not name {names}:\n{said}");
            assert!(
                !said.contains("[ ok ] configuration"),
                "{what}: `{command}` says the configuration is fine:\n{said}"
            );
        }
    }
}

#[tokio::test]
async fn doctor_lists_every_problem_at_once_and_names_the_fix_for_an_unreachable_backend() {
    let mut cmd = bin();
    cmd.args(["doctor"])
        .env("VTOC_API_BASE_URL", "http://127.0.0.1:9")
        .env("MCP_AUTH_TOKENS", "ops:operate:short")
        .env("MCP_CONTEXT_ARGUMENT", "sometimes");
    let out = run(cmd).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("[FAIL] configuration: MCP_AUTH_TOKENS"), "{text}");
    assert!(text.contains("[FAIL] configuration: MCP_CONTEXT_ARGUMENT"), "{text}");

    // A setting two checks read is reported once.
    let mut cmd = bin();
    cmd.args(["doctor"])
        .env("VTOC_API_BASE_URL", "http://127.0.0.1:9")
        .env("MCP_TRANSPORT", "http")
        .env("MCP_LOCAL_SCOPE", "root");
    let out = run(cmd).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.matches("[FAIL] configuration: MCP_LOCAL_SCOPE").count(), 1, "{text}");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = bin();
    cmd.args(["doctor", "--backend-url", &format!("http://127.0.0.1:{port}")]);
    let out = run(cmd).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("connection refused") && text.contains("is VTOC_API_BASE_URL right?"), "{text}");
    assert!(!text.contains("error sending request"), "the raw client error is not the message: {text}");
}

#[tokio::test]
async fn a_bad_value_in_a_variable_names_the_variable_and_a_flag_names_the_flag() {
    let mut cmd = bin();
    cmd.args(["tools"]).env("MCP_ALLOW_WRITES", "yes");
    let out = run(cmd).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("MCP_ALLOW_WRITES=yes") && text.contains("true or false"), "{text}");
    assert!(!text.contains("--allow-writes"), "the user set the variable, not the flag: {text}");

    let mut cmd = bin();
    cmd.args(["tools", "--max-concurrent-calls", "many"]).env("MCP_MAX_CONCURRENT_CALLS", "many");
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-concurrent-calls"), "{}", stderr(&out));
}

/// `tools` shows what `serve` would serve with the same settings: the context argument
/// follows MCP_CONTEXT_ARGUMENT, and a read-only server marks the write tools off.
#[tokio::test]
async fn tools_shows_the_surface_the_settings_give() {
    let Some(reads_context) = vtoc_mcp::bridge::tools::all().find(|t| !t.context.is_empty()) else {
        eprintln!("note: no operation reads context in this spec; the context half is skipped");
        return;
    };
    let schema = |mode: &str| {
        let mut cmd = bin();
        cmd.args(["tools", reads_context.name, "--json"]).env("MCP_CONTEXT_ARGUMENT", mode);
        cmd
    };
    for (mode, offered) in [("auto", true), ("all", true), ("off", false), ("false", false)] {
        let out = run(schema(mode)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let tool: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let has = tool["inputSchema"]["properties"].as_object().unwrap().keys().any(|k| k.starts_with("context_"));
        assert_eq!(has, offered, "MCP_CONTEXT_ARGUMENT={mode}: {}", tool["inputSchema"]);
    }
    let listing = |writes: &str| {
        let mut cmd = bin();
        cmd.args(["tools"]).env("MCP_ALLOW_WRITES", writes);
        cmd
    };
    let read_only = stdout(&run(listing("false")).await);
    let writes = stdout(&run(listing("true")).await);
    assert!(read_only.contains("[off: ") && read_only.contains("MCP_ALLOW_WRITES=true"), "{read_only}");
    assert!(!writes.contains("the server is read-only"), "{writes}");
}

/// `tools --roles` says which tool plays each role, as `bridge::roles` decides: what
/// scripts (the scale test) use instead of tool names.
#[tokio::test]
async fn tools_roles_names_the_tools_by_role() {
    let mut cmd = bin();
    cmd.args(["tools", "--roles"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let roles: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let c = things();
    assert_eq!(roles["collection"]["read"]["name"], c.read.name);
    assert_eq!(roles["collection"]["list"]["path"], c.list.path);
    assert_eq!(roles["collection"]["delete"]["name"], delete_tool().name);
    assert_eq!(roles["collection"]["id"], c.id);
    assert_eq!(roles["collection"]["create_body"], create_body());
    assert_eq!(roles["read_by_name"]["param"], by_name().1);
}
