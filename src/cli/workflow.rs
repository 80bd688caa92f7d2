//! Developer and operator workflows behind the CLI: fetching the backend's spec
//! (`sync-spec`), comparing the live contract with the compiled one (`doctor` and the
//! start-up check), and bootstrapping a deployment's settings (`init`). The CLI prints;
//! these functions only compute and write files.

use crate::bridge::exchange::Backend;
use crate::cli::surface::{self, Report, Surface};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a workflow could not finish; each names what to check or do.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{from:?} is not a URL ({reason}); expected e.g. http://localhost:8080")]
    NotAUrl { from: String, reason: String },
    #[error("{from:?} must be an http:// or https:// URL")]
    NotHttp { from: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("{}", unreachable(url.as_str(), source))]
    Unreachable { url: reqwest::Url, source: reqwest::Error },
    #[error("reading {url}: {source}")]
    Read { url: reqwest::Url, source: reqwest::Error },
    #[error("GET {url} answered HTTP {status}; is this the vTOC backend? It serves its contract at /openapi.json")]
    Status { url: reqwest::Url, status: reqwest::StatusCode },
    #[error(
        "GET {url} did not return JSON (content type {content_type:?}); point --from at the vTOC backend (it serves /openapi.json)"
    )]
    NotJson { url: reqwest::Url, content_type: String },
    #[error(
        "GET {url} returned OpenAPI {version} without `paths`, or a version this tool does not read (3.0 and 3.1 are supported)"
    )]
    UnsupportedOpenApi { url: reqwest::Url, version: String },
    #[error("GET {url} returned JSON that is not an OpenAPI document (no `openapi` field)")]
    NotOpenApi { url: reqwest::Url },
    #[error("GET {url} returned a spec that is not UTF-8")]
    NotUtf8 { url: reqwest::Url },
    #[error("the live spec cannot be turned into tools: {0}")]
    LiveSpec(#[source] surface::SurfaceError),
    #[error("the compiled spec: {0}")]
    Compiled(#[source] surface::SurfaceError),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{} already exist(s); nothing was written. Use --force (through make: `make setup-container FORCE=1` or `make setup-cloud FORCE=1`) to replace them; the old tokens stop working.", .0.join(", "))]
    Exists(Vec<String>),
}

/// `http://backend:8080` → `http://backend:8080/openapi.json`; a URL with a path is kept.
pub fn spec_url(from: &str) -> Result<reqwest::Url, WorkflowError> {
    let mut url = reqwest::Url::parse(from)
        .map_err(|e| WorkflowError::NotAUrl { from: from.to_string(), reason: e.to_string() })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WorkflowError::NotHttp { from: from.to_string() });
    }
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/openapi.json");
    }
    Ok(url)
}

/// Why a request to `url` got no answer, in words that name the fix, with the underlying
/// cause kept short: `cannot connect to http://127.0.0.1:9 (connection refused): is the vTOC
/// backend running, and is VTOC_API_BASE_URL right?`
pub fn unreachable(url: &str, e: &reqwest::Error) -> String {
    let cause = short_cause(e);
    if e.is_timeout() {
        format!(
            "no answer from {url} in time ({cause}): is the vTOC backend overloaded, or VTOC_API_TIMEOUT_SECS / VTOC_API_CONNECT_TIMEOUT_SECS too short?"
        )
    } else if e.is_connect() {
        format!("cannot connect to {url} ({cause}): is the vTOC backend running, and is VTOC_API_BASE_URL right?")
    } else {
        format!("the request to {url} failed ({cause}): is VTOC_API_BASE_URL the vTOC backend?")
    }
}

/// The innermost cause of an error, as a few words (`connection refused`), not the chain
/// of wrappers (`error sending request for url (…): client error (Connect): …`).
pub fn short_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    if let Some(io) = inner.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind;
        let words = match io.kind() {
            ErrorKind::ConnectionRefused => Some("connection refused"),
            ErrorKind::ConnectionReset => Some("connection reset"),
            ErrorKind::ConnectionAborted => Some("connection aborted"),
            ErrorKind::TimedOut => Some("timed out"),
            ErrorKind::HostUnreachable => Some("host unreachable"),
            ErrorKind::NetworkUnreachable => Some("network unreachable"),
            ErrorKind::AddrNotAvailable => Some("address not available"),
            _ => None,
        };
        if let Some(words) = words {
            return words.to_string();
        }
    }
    let text = inner.to_string();
    // `… (os error 111)` says nothing to a reader.
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Fetch an OpenAPI document and check that it is one: the parsed document and the
/// bytes exactly as the backend served them.
pub async fn fetch_spec(
    http: &reqwest::Client,
    url: &reqwest::Url,
    auth: Option<&reqwest::header::HeaderValue>,
) -> Result<(Value, bytes::Bytes), WorkflowError> {
    let mut request = http.get(url.clone()).timeout(Duration::from_secs(20));
    if let Some(a) = auth {
        request = request.header(reqwest::header::AUTHORIZATION, a.clone());
    }
    let response = request.send().await.map_err(|source| WorkflowError::Unreachable { url: url.clone(), source })?;
    let status = response.status();
    let kind =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = response.bytes().await.map_err(|source| WorkflowError::Read { url: url.clone(), source })?;
    if !status.is_success() {
        return Err(WorkflowError::Status { url: url.clone(), status });
    }
    let doc: Value =
        serde_json::from_slice(&body).map_err(|_| WorkflowError::NotJson { url: url.clone(), content_type: kind })?;
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") && doc.get("paths").is_some_and(Value::is_object) => Ok((doc, body)),
        Some(v) => Err(WorkflowError::UnsupportedOpenApi { url: url.clone(), version: v.to_string() }),
        None => Err(WorkflowError::NotOpenApi { url: url.clone() }),
    }
}

/// What `sync-spec` did.
#[derive(Debug)]
pub struct Synced {
    pub path: PathBuf,
    pub operations: usize,
    pub changed: bool,
    /// What the new spec changes for agents, and what it was compared with (none when
    /// neither the old file nor the compiled spec could be read as tools).
    pub report: Option<(Report, Baseline)>,
}

/// What `sync-spec` compares the fetched spec with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// The file it replaces.
    Previous,
    /// The output file did not exist (or was not a usable spec): the spec this binary was
    /// built from.
    Compiled,
}

impl Baseline {
    /// Says what the report compares, for the person reading it.
    pub fn describe(&self, out: &Path) -> String {
        match self {
            Baseline::Previous => format!("compared with the previous {}", out.display()),
            Baseline::Compiled => format!(
                "{} did not exist (or was not a usable spec): compared with the spec compiled into this binary",
                out.display()
            ),
        }
    }
}

/// Fetch the backend's spec and write it to `out` byte for byte, as FastAPI served it (no
/// reformatting: the committed file is the backend's own export, and a re-export of an
/// unchanged backend gives the same bytes).
pub async fn sync_spec(from: &str, out: &Path, overrides: Option<&str>) -> Result<Synced, WorkflowError> {
    crate::install_crypto_provider();
    let url = spec_url(from)?;
    let http = reqwest::Client::builder().build().map_err(WorkflowError::Client)?;
    let (doc, body) = fetch_spec(&http, &url, None).await?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| WorkflowError::NotUtf8 { url: url.clone() })?;
    let old = std::fs::read_to_string(out).ok();
    let before = match old.as_deref().and_then(|old| Surface::from_spec(old, overrides).ok()) {
        Some(before) => Some((before, Baseline::Previous)),
        None => Surface::from_spec(crate::generated::SPEC_JSON, crate::generated::overrides())
            .ok()
            .map(|compiled| (compiled, Baseline::Compiled)),
    };
    let report = before.and_then(|(before, baseline)| {
        let after = surface_of_live(&text, overrides).ok()?;
        Some((surface::diff(&before, &after), baseline))
    });
    let changed = old.as_deref() != Some(text.as_str());
    if changed {
        let write = |source| WorkflowError::Write { path: out.to_path_buf(), source };
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(write)?;
        }
        std::fs::write(out, &text).map_err(write)?;
    }
    let operations = doc
        .get("paths")
        .and_then(Value::as_object)
        .map(|p| {
            p.values()
                .filter_map(Value::as_object)
                .map(|i| i.keys().filter(|k| crate::codegen::ir::Method::from_key(k).is_some()).count())
                .sum()
        })
        .unwrap_or(0);
    Ok(Synced { path: out.to_path_buf(), operations, changed, report })
}

/// The surface of a spec, ignoring override entries for operations it does not have (a
/// live backend may be ahead of or behind the overrides file).
pub fn surface_of_live(spec: &str, overrides: Option<&str>) -> Result<Surface, surface::SurfaceError> {
    let doc: Value = serde_json::from_str(spec).map_err(surface::SurfaceError::NotJson)?;
    let mut ids = std::collections::BTreeSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for op in item.values() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    let filtered = overrides.and_then(|o| serde_json::from_str::<Value>(o).ok()).map(|mut o| {
        if let Some(Value::Object(ops)) = o.get_mut("operations") {
            ops.retain(|id, _| ids.contains(id));
        }
        o.to_string()
    });
    Surface::from_spec(spec, filtered.as_deref())
}

/// Compare the backend's live contract with the one this binary was built from.
pub async fn contract_check(backend: &Backend) -> Result<Report, WorkflowError> {
    let url = spec_url(&backend.base_url)?;
    let (doc, _) = fetch_spec(&backend.http, &url, backend.auth.as_ref()).await?;
    let live = surface_of_live(&doc.to_string(), crate::generated::overrides()).map_err(WorkflowError::LiveSpec)?;
    let built = Surface::from_spec(crate::generated::SPEC_JSON, crate::generated::overrides())
        .map_err(WorkflowError::Compiled)?;
    Ok(surface::diff(&built, &live))
}

/// One line of `doctor`.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// `MCP_STATE_URL` answers: without it, every destructive call is refused.
pub async fn state_store_check(store: &crate::store::SharedStore) -> Check {
    match store.ping().await {
        Ok(took) => Check {
            name: "state store",
            ok: true,
            detail: format!("{} answered PING in {:.1} ms", store.url(), took.as_secs_f64() * 1e3),
        },
        Err(e) => Check {
            name: "state store",
            ok: false,
            detail: format!("{e}; until it answers, confirmed destructive calls are refused (reads work)"),
        },
    }
}

/// Reachability, authentication and contract of a backend.
pub async fn doctor(backend: &Backend) -> (Vec<Check>, Option<Report>) {
    let mut checks = Vec::new();
    let health = backend.http.get(format!("{}/healthz", backend.base_url)).send().await;
    let reachable = match &health {
        Ok(r) if r.status().is_success() => {
            checks.push(Check {
                name: "backend reachable",
                ok: true,
                detail: format!("GET {}/healthz → {}", backend.base_url, r.status()),
            });
            true
        }
        Ok(r) => {
            checks.push(Check {
                name: "backend reachable",
                ok: false,
                detail: format!("GET {}/healthz → {}", backend.base_url, r.status()),
            });
            true
        }
        Err(e) => {
            checks.push(Check { name: "backend reachable", ok: false, detail: unreachable(&backend.base_url, e) });
            false
        }
    };
    if !reachable {
        return (checks, None);
    }
    let mut probe = backend.http.get(format!("{}/api/v1/stations/", backend.base_url));
    if let Some(a) = &backend.auth {
        probe = probe.header(reqwest::header::AUTHORIZATION, a.clone());
    }
    let auth_detail = match probe.send().await {
        Ok(r) if r.status().is_success() => (true, format!("GET /api/v1/stations/ → {}", r.status())),
        Ok(r) if matches!(r.status().as_u16(), 401 | 403) => (
            false,
            format!(
                "GET /api/v1/stations/ → {}: the backend refused {}; check VTOC_API_TOKEN",
                r.status(),
                if backend.auth.is_some() { "the token" } else { "a call without a token" }
            ),
        ),
        Ok(r) => (false, format!("GET /api/v1/stations/ → {}", r.status())),
        Err(e) => (false, unreachable(&backend.base_url, &e)),
    };
    checks.push(Check { name: "backend authentication", ok: auth_detail.0, detail: auth_detail.1 });
    match contract_check(backend).await {
        Ok(report) => {
            let detail = if report.is_empty() {
                "the live /openapi.json gives the same tools as the compiled spec".to_string()
            } else {
                format!("{} difference(s), {} breaking (report below)", report.changes.len(), report.breaking)
            };
            checks.push(Check { name: "contract", ok: report.breaking == 0, detail });
            (checks, Some(report))
        }
        Err(e) => {
            checks.push(Check { name: "contract", ok: false, detail: e.to_string() });
            (checks, None)
        }
    }
}

/// Render `doctor` results.
pub fn render_checks(checks: &[Check]) -> String {
    let mut s = String::new();
    for c in checks {
        let _ = writeln!(s, "[{}] {}: {}", if c.ok { " ok " } else { "FAIL" }, c.name, c.detail);
    }
    s
}

/// What `init` prepares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitTarget {
    /// `.env` for Docker Compose (tokens inline).
    Compose,
    /// `.env` plus Docker secret files under `secrets/` for the Swarm stack.
    Stack,
}

/// Hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The callers `init` creates tokens for.
pub const INIT_CALLERS: [(&str, &str); 3] =
    [("chatkit-assistant", "read"), ("ops-agent", "operate"), ("duty-officer", "admin")];

/// vTOC's backend settings `init` copies into `.env` from its environment when set:
/// docker-compose.yml passes them to the backend, which serves no data without them.
pub const BACKEND_SETTINGS: [&str; 3] = ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY"];

/// Write `.env` (from `.env.example`) and, for the stack, secret files; fresh tokens.
/// Nothing is overwritten unless `force`; on refusal nothing is written at all.
pub fn init(dir: &Path, template: &str, target: InitTarget, force: bool) -> Result<Vec<PathBuf>, WorkflowError> {
    init_from(dir, template, target, force, |key| std::env::var(key).ok())
}

/// `init`, reading the environment through `var`.
fn init_from(
    dir: &Path,
    template: &str,
    target: InitTarget,
    force: bool,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Vec<PathBuf>, WorkflowError> {
    let tokens: Vec<String> =
        INIT_CALLERS.iter().map(|(name, scope)| format!("{name}:{scope}:{}", random_hex(32))).collect();
    let state_key = random_hex(32);
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let set = |text: &str, key: &str, value: &str| -> String {
        text.lines()
            .map(|l| if l.starts_with(&format!("{key}=")) { format!("{key}={value}") } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let mut env = template.to_string();
    match target {
        InitTarget::Compose => {
            env = set(&env, "MCP_AUTH_TOKENS", &tokens.join(","));
            env = set(&env, "MCP_REQUEST_STATE_KEY", &state_key);
        }
        InitTarget::Stack => {
            env = set(&env, "MCP_AUTH_TOKENS_FILE", "/run/secrets/mcp_auth_tokens");
            env = set(&env, "MCP_REQUEST_STATE_KEY_FILE", "/run/secrets/mcp_request_state_key");
            env = set(&env, "VTOC_API_TOKEN_FILE", "/run/secrets/vtoc_api_token");
            files.push((dir.join("secrets/mcp_auth_tokens"), tokens.join("\n") + "\n"));
            files.push((dir.join("secrets/mcp_request_state_key"), state_key.clone() + "\n"));
            let backend_token = var("VTOC_API_TOKEN").unwrap_or_default();
            files.push((dir.join("secrets/vtoc_api_token"), backend_token + "\n"));
        }
    }
    for key in BACKEND_SETTINGS {
        if let Some(value) = var(key).filter(|v| !v.is_empty()) {
            env = set(&env, key, &value);
        }
    }
    files.insert(0, (dir.join(".env"), env));
    let existing: Vec<String> =
        files.iter().filter(|(p, _)| p.exists()).map(|(p, _)| p.display().to_string()).collect();
    if !existing.is_empty() && !force {
        return Err(WorkflowError::Exists(existing));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|source| WorkflowError::Write { path: parent.to_path_buf(), source })?;
        }
        write_private(path, text)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Write a file readable only by its owner (it holds secrets).
fn write_private(path: &Path, text: &str) -> Result<(), WorkflowError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let failed = |source| WorkflowError::Write { path: path.to_path_buf(), source };
    let mut f = options.open(path).map_err(failed)?;
    f.write_all(text.as_bytes()).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_urls() {
        assert_eq!(spec_url("http://backend:8080").unwrap().as_str(), "http://backend:8080/openapi.json");
        assert_eq!(spec_url("http://backend:8080/").unwrap().as_str(), "http://backend:8080/openapi.json");
        assert_eq!(spec_url("https://x/api/openapi.json").unwrap().as_str(), "https://x/api/openapi.json");
        assert!(spec_url("backend:8080").is_err());
        assert!(spec_url("ftp://x").is_err());
    }

    #[test]
    fn init_writes_fresh_tokens_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let template = "# x\nMCP_AUTH_TOKENS=\nMCP_REQUEST_STATE_KEY=\nMCP_AUTH_TOKENS_FILE=\nMCP_REQUEST_STATE_KEY_FILE=\nVTOC_API_TOKEN_FILE=\n";
        let files = init(dir.path(), template, InitTarget::Compose, false).unwrap();
        assert_eq!(files, [dir.path().join(".env")]);
        let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
        let tokens = env.lines().find_map(|l| l.strip_prefix("MCP_AUTH_TOKENS=")).unwrap();
        let parsed = crate::guard::auth::StaticTokens::parse(tokens).unwrap();
        assert_eq!(parsed.len(), 3);
        let again = init(dir.path(), template, InitTarget::Compose, false).unwrap_err();
        let again = again.to_string();
        assert!(again.contains("already exist") && again.contains("--force"), "{again}");
        assert_eq!(std::fs::read_to_string(dir.path().join(".env")).unwrap(), env, "refusal wrote nothing");
        init(dir.path(), template, InitTarget::Compose, true).unwrap();
        assert_ne!(std::fs::read_to_string(dir.path().join(".env")).unwrap(), env, "--force replaced the tokens");

        let stack = tempfile::tempdir().unwrap();
        let files = init(stack.path(), template, InitTarget::Stack, false).unwrap();
        assert_eq!(files.len(), 4);
        let secret = std::fs::read_to_string(stack.path().join("secrets/mcp_auth_tokens")).unwrap();
        assert_eq!(crate::guard::auth::StaticTokens::parse(&secret).unwrap().len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(stack.path().join("secrets/mcp_auth_tokens")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "secret files are private");
        }
    }

    #[test]
    fn init_carries_the_backend_settings_from_its_environment() {
        let template =
            "SUPABASE_URL=\nSUPABASE_SERVICE_ROLE_KEY=\nSUPABASE_ANON_KEY=\nMCP_AUTH_TOKENS=\nMCP_REQUEST_STATE_KEY=\n";
        let var = |key: &str| match key {
            "SUPABASE_URL" => Some("https://abc.supabase.co".to_string()),
            "SUPABASE_SERVICE_ROLE_KEY" => Some("service-role".to_string()),
            "SUPABASE_ANON_KEY" => Some(String::new()),
            _ => None,
        };
        for target in [InitTarget::Compose, InitTarget::Stack] {
            let dir = tempfile::tempdir().unwrap();
            init_from(dir.path(), template, target, false, var).unwrap();
            let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
            for line in
                ["SUPABASE_URL=https://abc.supabase.co", "SUPABASE_SERVICE_ROLE_KEY=service-role", "SUPABASE_ANON_KEY="]
            {
                assert!(env.lines().any(|l| l == line), "{target:?}: no `{line}` in\n{env}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        init_from(dir.path(), template, InitTarget::Compose, false, |_| None).unwrap();
        let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
        assert!(env.lines().any(|l| l == "SUPABASE_URL="), "unset stays empty:\n{env}");
    }
}
