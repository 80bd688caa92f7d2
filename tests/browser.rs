//! The operator console in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`), against the `vtoc-mcp` binary serving HTTP with its embedded demo
//! backend, everything on loopback.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`, so the tests are `#[ignore]`d
//! for a plain `cargo test` on a machine without them; `make test` (and CI) installs them
//! through `scripts/setup-test-deps.sh` and runs them with `--include-ignored`. `CHROMEDRIVER` and `CHROMIUM` override the
//! binaries. With `UPDATE_SCREENSHOT=1`, the screenshot of a tool result is written to
//! `docs/console.png` (it is always written to `target/console.png`).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vtoc_mcp::bridge::roles;

/// The tools the page drives, chosen by role from the generated table (`bridge::roles`), so
/// a renamed operation changes the buttons clicked, not the test's outcome.
struct Cast {
    list: &'static str,
    read: &'static str,
    create: &'static str,
    delete: &'static str,
    /// The read's path parameter (`poi_id`).
    id: &'static str,
    /// The list's endpoint (`GET /api/v1/poi`).
    list_endpoint: String,
    /// A read-only tool whose backend reads the station context.
    contextual: &'static str,
    /// The first tags of the list and the contextual tool: groups in the catalog.
    list_tag: &'static str,
    contextual_tag: &'static str,
    /// A read by a string path parameter, and the parameter.
    by_name: (&'static str, &'static str),
    /// The tool that lists stations (what mcp-config names).
    stations: &'static str,
}

fn cast() -> Cast {
    let things = roles::collection().expect("the API has a REST collection (GET /things, GET /things/{id})");
    let contextual = roles::reads_context().expect("the API has a read-only tool that reads the station context");
    let (by_name, slug) = roles::read_by_name().expect("the API has a GET of one item by a string path parameter");
    let stations = vtoc_mcp::bridge::resources::station_variable()
        .and_then(|v| v.list_tool)
        .expect("a resource variable lists the stations");
    Cast {
        list: things.list.name,
        read: things.read.name,
        create: things.create.expect("the collection has a create").name,
        delete: things.delete.expect("the collection has a delete").name,
        id: things.id,
        list_endpoint: format!("GET {}", things.list.path),
        contextual: contextual.name,
        list_tag: things.list.tags.first().copied().unwrap_or("other"),
        contextual_tag: contextual.tags.first().copied().unwrap_or("other"),
        by_name: (by_name.name, slug),
        stations,
    }
}

fn tool_button(name: &str) -> String {
    format!("button[data-tool='{name}']")
}

const OPERATOR: &str = "operator-0123456789abcdef0123456789abcdef";
const WAIT: Duration = Duration::from_secs(15);

/// A process killed (with its process group) when dropped.
struct Process {
    child: Child,
    /// Leads its own process group (chromedriver and the browsers it starts).
    group: bool,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.group {
            let pgid = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &pgid]).stderr(Stdio::null()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(var: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists()).unwrap_or_else(|| {
        panic!(
            "{} not found (looked in {candidates:?}); install the Debian packages chromium and chromium-driver \
             (scripts/setup-test-deps.sh does it), or set {var}",
            candidates[0]
        )
    })
}

/// `vtoc-mcp serve --transport http --demo` on 127.0.0.1:0; returns the process and the
/// base URL (without `/mcp`).
fn start_bridge(env: &[(&str, &str)]) -> (Process, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vtoc-mcp"));
    cmd.args(["serve", "--transport", "http", "--bind", "127.0.0.1:0", "--demo"])
        .env_remove("VTOC_API_BASE_URL")
        .env_remove("VTOC_API_TOKEN")
        .env("MCP_AUTH_TOKENS", format!("operator:admin:{OPERATOR}"))
        .env("MCP_AUDIT_LOG", "off")
        .env("VTOC_MCP_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start vtoc-mcp");
    let process = Process { child, group: false, _dir: Some(dir) };
    let started = Instant::now();
    while started.elapsed() < WAIT {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("MCP streamable HTTP on http://")) {
            let url = line[line.find("http://").unwrap()..].trim().trim_end_matches("/mcp").to_string();
            return (process, url);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("vtoc-mcp did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
}

/// A minimal W3C WebDriver client over chromedriver.
struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Process,
}

struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn start() -> Browser {
        let driver_bin = find("CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium =
            find("CHROMIUM", &["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        // chromedriver needs a port number: take a free one from the OS.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        // The browser profile lives (and is removed) with the driver.
        let profile = tempfile::tempdir().unwrap();
        let profile_path = profile.path().display().to_string();
        let driver = Process { child: cmd.spawn().expect("start chromedriver"), group: true, _dir: Some(profile) };
        let base = format!("http://127.0.0.1:{port}");
        vtoc_mcp::install_crypto_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(started.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,1200".into(),
            "--force-device-scale-factor=1".into(),
            format!("--user-data-dir={profile_path}"),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {r}"));
        Browser { http, session: format!("{base}/session/{session}"), _driver: driver }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        let mut r = self.http.request(method, &url);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    /// A GET that may fail (a stale element): its value, or `None`.
    async fn try_get(&self, path: &str) -> Option<Value> {
        let v: Value = self.http.get(format!("{}{path}", self.session)).send().await.ok()?.json().await.ok()?;
        v["value"].get("error").is_none().then(|| v["value"].clone())
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args})).await
    }

    async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css})).await;
        v.as_array().unwrap().iter().map(|e| Element(e[ELEMENT_KEY].as_str().unwrap().to_string())).collect()
    }

    /// The first element matching `css`, waiting for it to appear (and be displayed).
    async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            // An element the page redraws between finding and checking it is stale: look again.
            if let Some(e) = self.find_all(css).await.into_iter().next()
                && self.try_get(&format!("/element/{}/displayed", e.0)).await == Some(Value::Bool(true))
            {
                return e;
            }
            if started.elapsed() > WAIT {
                let body = self.js("return document.body.innerText", json!([])).await;
                panic!(
                    "no visible element matches `{css}` after {WAIT:?}; the page says:\n{}",
                    body.as_str().unwrap_or("")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{}/click", e.0), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{}/clear", e.0), json!({})).await;
        self.post(&format!("/element/{}/value", e.0), json!({"text": text})).await;
    }

    async fn text(&self, css: &str) -> String {
        loop {
            let e = self.find(css).await;
            if let Some(text) = self.try_get(&format!("/element/{}/text", e.0)).await {
                return text.as_str().unwrap_or_default().to_string();
            }
        }
    }

    /// Wait until the text of `css` contains `needle`; returns that text.
    async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            assert!(started.elapsed() < WAIT, "`{css}` never said `{needle}`; it says: {text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn screenshot(&self, path: &Path) {
        let b64 = self.get("/screenshot").await;
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

async fn connect(browser: &Browser, token: &str) {
    browser.type_into("#token", token).await;
    browser.click("#connect-button").await;
}

/// The path of the whole operator session: a wrong token, then connect, choose a station,
/// run a read tool and read its rows, submit a form with a missing field, and try a write
/// tool on a read-only server.
#[tokio::test]
#[ignore = "needs headless Chromium and chromedriver (Debian: chromium chromium-driver); `make test` installs them and runs this"]
async fn an_operator_connects_picks_a_station_runs_tools_and_sees_refusals() {
    let (_bridge, base) = start_bridge(&[]);
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/console")).await;
    assert_eq!(browser.js("return document.title", json!([])).await, "vTOC MCP console");

    // A wrong token: the server's 401 is shown, and the tools stay hidden.
    connect(&browser, "not-the-token").await;
    let status = browser.wait_text("#status", "Could not connect").await;
    assert!(status.contains("HTTP 401"), "{status}");
    assert_eq!(browser.js("return document.getElementById('app').hidden", json!([])).await, true);

    // The right token: connected, with the read-only server's write tools marked off.
    connect(&browser, OPERATOR).await;
    let status = browser.wait_text("#status", "Connected").await;
    assert!(status.contains("as operator (vtoc:admin)"), "{status}");
    assert!(status.contains("off on this server (read-only)"), "{status}");
    assert_eq!(browser.js("return document.getElementById('token').value", json!([])).await, "", "token field cleared");

    let c = cast();
    // Stations come from the demo backend through the list tool mcp-config names.
    browser.find("#station option[value='relay-north']").await;
    browser.click("#station option[value='relay-north']").await;
    browser.wait_text("#status", "station relay-north").await;

    // The chosen station reaches vTOC: the demo backend filters events by x-station-id.
    browser.click(&tool_button(c.contextual)).await;
    browser.wait_text("#tool-title", c.contextual).await;
    browser.click("#run").await;
    let summary = browser.wait_text("#result-summary", &format!("{}: OK", c.contextual)).await;
    assert!(summary.contains(", 1 row."), "one event at relay-north: {summary}");
    let stations = browser.js("return [...document.querySelectorAll('#result-body tbody tr')].length", json!([])).await;
    assert_eq!(stations, 1);
    browser.click("#station option[value='']").await;
    browser.wait_text("#status", "the server default").await;
    browser.click("#run").await;
    let summary = browser.wait_text("#result-summary", "rows.").await;
    assert!(summary.contains(", 10 rows."), "every station's events without a context: {summary}");
    browser.click("#station option[value='relay-north']").await;
    browser.wait_text("#status", "station relay-north").await;

    // Tools are grouped by tag, with plain annotations.
    let groups = browser
        .js("return [...document.querySelectorAll('#tool-groups summary')].map(s => s.textContent)", json!([]))
        .await;
    let groups: Vec<&str> = groups.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for tag in [c.list_tag, c.contextual_tag] {
        assert!(groups.iter().any(|g| g.starts_with(&format!("{tag} ("))), "no group for tag {tag}: {groups:?}");
    }
    let badge = browser.text(&format!("{} .badge", tool_button(c.list))).await;
    assert_eq!(badge, "read-only");

    // A read tool: its rows are shown as a table.
    browser.click(&tool_button(c.list)).await;
    browser.wait_text("#tool-title", c.list).await;
    let panel = browser.text("#tool").await;
    assert!(panel.contains(&c.list_endpoint) && panel.contains("Reads only\nyes"), "{panel}");
    assert!(!panel.lines().any(|l| l.trim() == "null" || l.trim() == "undefined"), "{panel}");
    browser.click("#run").await;
    let summary = browser.wait_text("#result-summary", "OK").await;
    assert!(summary.contains("rows"), "{summary}");
    let cells = browser
        .js("return [...document.querySelectorAll('#result-body td')].map(td => td.textContent)", json!([]))
        .await;
    assert!(cells.as_array().unwrap().iter().any(|c| c == "Viktor Sokolov"), "the demo POIs are in the table: {cells}");
    let headers = browser
        .js("return [...document.querySelectorAll('#result-body th')].map(th => th.textContent)", json!([]))
        .await;
    assert!(headers.as_array().unwrap().iter().any(|h| h == "risk_level"), "{headers}");
    browser.js("window.scrollTo(0, 0); document.querySelector('#catalog').scrollTop = 0", json!([])).await;
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console.png");
    browser.screenshot(&shot).await;
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&shot, Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/console.png")).unwrap();
    }

    // The JSON tree view of the same result.
    browser.click("#result-views button[data-view='tree']").await;
    browser.find("#result-body .tree details").await;

    // A form with a missing required field: refused in the page, nothing sent.
    let id_field = format!("arg-{}", c.id);
    browser.click(&tool_button(c.read)).await;
    browser.wait_text("#tool-title", c.read).await;
    browser.click("#run").await;
    let errors = browser.wait_text(".form-errors", "Not sent").await;
    assert!(errors.contains(&format!("{} is required", c.id)), "{errors}");
    assert_eq!(
        browser
            .js("return document.getElementById(arguments[0]).getAttribute('aria-invalid')", json!([id_field]))
            .await,
        "true"
    );
    assert_eq!(browser.js("return document.activeElement.id", json!([])).await, id_field, "focus on the field");
    // What only the server can refuse (a path parameter that is not one segment) comes back
    // as a tool error naming the field, and the page marks that field.
    let (by_name, slug) = c.by_name;
    browser.click(&tool_button(by_name)).await;
    browser.wait_text("#tool-title", by_name).await;
    browser.type_into(&format!("#arg-{slug}"), "..").await;
    browser.click("#run").await;
    let refused = browser.wait_text(".form-errors", slug).await;
    assert!(refused.contains("not a valid path segment"), "{refused}");
    assert_eq!(
        browser
            .js(
                "return document.getElementById(arguments[0]).getAttribute('aria-invalid')",
                json!([format!("arg-{slug}")])
            )
            .await,
        "true"
    );
    browser.click(&tool_button(c.read)).await;
    browser.wait_text("#tool-title", c.read).await;
    // Corrected, it runs; the backend's record is shown as field/value rows.
    browser.type_into(&format!("#{id_field}"), "1").await;
    browser.click("#run").await;
    browser.wait_text("#result-summary", &format!("{}: OK", c.read)).await;
    browser.click("#result-views button[data-view='table']").await;
    browser.wait_text("#result-body caption", "One record").await;
    // An unknown id: the backend's 404 detail is shown.
    browser.type_into(&format!("#{id_field}"), "99999").await;
    browser.click("#run").await;
    browser.wait_text("#result-summary", "the tool returned an error").await;
    let detail = browser.text("#result-body .error-box").await;
    assert!(detail.contains("404"), "{detail}");

    // A write tool on a read-only server: the server refuses, and says how to change it.
    browser.type_into("#filter", c.create).await;
    browser.click(&tool_button(c.create)).await;
    browser.wait_text("#tool", "Off on this server").await;
    browser.type_into("#arg-arguments", r#"{"name": "Test"}"#).await;
    browser.click("#run").await;
    browser.wait_text("#result-summary", &format!("{}: the tool returned an error", c.create)).await;
    let refusal = browser.text("#result-body .error-box").await;
    assert!(refusal.contains("read-only") && refusal.contains("MCP_ALLOW_WRITES"), "{refusal}");

    browser.quit().await;
}

/// Destructive tools ask the operator first (the server's 2026-07-28 input-required round
/// trip, shown as a dialog); cancelling sends nothing, confirming runs it.
#[tokio::test]
#[ignore = "needs headless Chromium and chromedriver (Debian: chromium chromium-driver); `make test` installs them and runs this"]
async fn a_destructive_tool_asks_for_confirmation_in_the_page() {
    let (_bridge, base) = start_bridge(&[("MCP_ALLOW_WRITES", "true")]);
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/console/")).await;
    connect(&browser, OPERATOR).await;
    browser.wait_text("#status", "Connected").await;

    let c = cast();
    let (id_field, target) = (format!("#arg-{}", c.id), format!("{}=2", c.id));
    browser.click(&tool_button(c.delete)).await;
    browser.wait_text("#tool", "yes: you will be asked to confirm").await;
    browser.type_into(&id_field, "2").await;
    browser.click("#run").await;
    let message = browser.wait_text("#confirm-message", c.delete).await;
    assert!(message.contains(&target), "{message}");
    browser.click("#confirm-cancel").await;
    let refused = browser.wait_text("#result-body .error-box", "did not confirm").await;
    assert!(refused.contains("nothing was changed"), "{refused}");

    browser.click("#run").await;
    browser.wait_text("#confirm-message", &target).await;
    browser.click("#confirm-ok").await;
    browser.wait_text("#result-summary", &format!("{}: OK", c.delete)).await;

    // It is gone: reading it now shows the backend's 404.
    browser.click(&tool_button(c.read)).await;
    browser.type_into(&id_field, "2").await;
    browser.click("#run").await;
    browser.wait_text("#result-summary", "the tool returned an error").await;
    assert!(browser.text("#result-body .error-box").await.contains("404"));
    browser.quit().await;
}

/// A page on another loopback origin: it calls `/mcp` with `fetch` when its origin is in
/// `MCP_ALLOWED_ORIGINS` (CORS), and the browser blocks it when it is not.
#[tokio::test]
#[ignore = "needs headless Chromium and chromedriver (Debian: chromium chromium-driver); `make test` installs them and runs this"]
async fn a_page_on_an_allowed_origin_calls_the_server_and_others_are_blocked() {
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let foreign = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed_origin = format!("http://{}", allowed.local_addr().unwrap());
    let foreign_origin = format!("http://{}", foreign.local_addr().unwrap());
    let (_bridge, base) = start_bridge(&[("MCP_ALLOWED_ORIGINS", allowed_origin.as_str())]);
    // The page: one 2026-07-28 tools/call, with a bearer token and a context header.
    let page = format!(
        r#"<!doctype html><title>front end</title><p id="out">…</p><script>
fetch({url:?}, {{method: "POST", headers: {{
  "content-type": "application/json", "accept": "application/json, text/event-stream",
  "authorization": "Bearer {OPERATOR}", "mcp-protocol-version": "2026-07-28",
  "mcp-method": "tools/call", "mcp-name": "{stations}", "x-station-id": "ops-center"}},
  body: JSON.stringify({{jsonrpc: "2.0", id: 1, method: "tools/call", params: {{name: "{stations}", arguments: {{}},
    _meta: {{"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {{}}}}}}}})}})
  .then(r => r.json())
  .then(m => document.getElementById("out").textContent = "stations: " + m.result.structuredContent.result.length)
  .catch(e => document.getElementById("out").textContent = "blocked: " + e);
</script>"#,
        url = format!("{base}/mcp"),
        stations = cast().stations,
    );
    for listener in [allowed, foreign] {
        let html = page.clone();
        let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(html) }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{allowed_origin}/")).await;
    let out = browser.wait_text("#out", "stations:").await;
    assert!(!out.ends_with(": 0"), "{out}");
    browser.goto(&format!("{foreign_origin}/")).await;
    let out = browser.wait_text("#out", "blocked").await;
    assert!(out.contains("Failed to fetch"), "{out}");
    browser.quit().await;
}

/// The first of the search hits once they show `want` first (or the last seen after
/// [`WAIT`]): the list is redrawn as the query is typed, so it is read by script.
async fn first_hit(browser: &Browser, want: &str) -> String {
    let started = Instant::now();
    loop {
        let first =
            browser.js("return document.querySelector('#search-hits li button')?.dataset.tool ?? ''", json!([])).await;
        let first = first.as_str().unwrap_or_default().to_string();
        if first == want || started.elapsed() > WAIT {
            // Let a redraw already scheduled pass before the caller clicks.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return first;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Discovery mode (`MCP_TOOL_MODE=discover`): the server lists only the three meta-tools,
/// and the console still browses every tool the token may call, searches them with
/// `search_tools` (the model's ranking), builds a tool's form from `describe_tool` and runs
/// it through `call_tool`.
#[tokio::test]
#[ignore = "needs headless Chromium and chromedriver (Debian: chromium chromium-driver); `make test` installs them and runs this"]
async fn the_console_searches_describes_and_runs_tools_in_discovery_mode() {
    let (_bridge, base) = start_bridge(&[("MCP_TOOL_MODE", "discover"), ("MCP_ALLOW_WRITES", "true")]);
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/console/")).await;
    connect(&browser, OPERATOR).await;
    let status = browser.wait_text("#status", "Connected").await;
    assert!(status.contains("discovery mode"), "{status}");
    let c = cast();
    // Browsing: every callable tool, though tools/list served three.
    browser.find(&tool_button(c.list)).await;
    browser.find(&tool_button(c.delete)).await;
    // Searching: the filter asks search_tools; the hits come in its order.
    browser.type_into("#filter", "delete a person of interest").await;
    assert_eq!(first_hit(&browser, c.delete).await, c.delete, "search_tools ranks the delete first");
    // Describing and running: the form comes from describe_tool, the call goes through
    // call_tool, and a destructive one still asks first.
    browser.click(&tool_button(c.delete)).await;
    browser.wait_text("#tool-title", c.delete).await;
    browser.type_into(&format!("#arg-{}", c.id), "3").await;
    browser.click("#run").await;
    let message = browser.wait_text("#confirm-message", c.delete).await;
    assert!(message.contains(&format!("{}=3", c.id)), "{message}");
    browser.click("#confirm-cancel").await;
    browser.wait_text("#result-body .error-box", "did not confirm").await;
    // A read, found by name, runs and shows its rows.
    browser.type_into("#filter", c.list).await;
    first_hit(&browser, c.list).await;
    browser.click(&format!("#search-hits {}", tool_button(c.list))).await;
    browser.wait_text("#tool-title", c.list).await;
    browser.click("#run").await;
    let summary = browser.wait_text("#result-summary", &format!("{}: OK", c.list)).await;
    assert!(summary.contains("rows"), "{summary}");
    // A form built from the definition: a missing required field is refused in the page.
    browser.type_into("#filter", c.read).await;
    first_hit(&browser, c.read).await;
    browser.click(&format!("#search-hits {}", tool_button(c.read))).await;
    browser.wait_text("#tool-title", c.read).await;
    browser.click("#run").await;
    let errors = browser.wait_text(".form-errors", "Not sent").await;
    assert!(errors.contains(&format!("{} is required", c.id)), "{errors}");
    browser.quit().await;
}
