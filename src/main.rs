//! `vtoc-mcp`: serve the vTOC REST API as MCP tools, and the commands around it.
//!
//! Logs go to stderr (stdout carries the stdio protocol, and command output). Exit codes:
//! 0 done, 1 failure (a failed check, a tool error), 2 configuration or usage error,
//! 3 breaking changes found (`diff --fail-on-breaking`).

use serde_json::Value;
use std::process::ExitCode;
use std::sync::Arc;
use vtoc_mcp::bridge::exchange::Backend;
use vtoc_mcp::bridge::{Bridge, CallRequest, Confirmer};
use vtoc_mcp::cli::check::{self, BackendChoice};
use vtoc_mcp::cli::config::{
    BackendArgs, CallArgs, Cli, Command, ConfigError, ConfigErrors, ContractCheck, DiffArgs, DoctorArgs, GuardArgs,
    ReportFormat, ServeArgs, Transport,
};
use vtoc_mcp::cli::surface::{self, Surface, SurfaceError};
use vtoc_mcp::cli::workflow;
use vtoc_mcp::{demo, transport};

/// The `.env` template `init` fills in, built into the binary.
const ENV_TEMPLATE: &str = include_str!("../.env.example");

/// Print to stdout; a closed pipe (`vtoc-mcp tools | head`) ends the program quietly.
macro_rules! out {
    ($($arg:tt)*) => { emit(format_args!($($arg)*), true) };
}
macro_rules! out_raw {
    ($($arg:tt)*) => { emit(format_args!($($arg)*), false) };
}

fn emit(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|_| if newline { stdout.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// An error with the exit code it deserves.
struct Failure(u8, anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        let e = e.into();
        let configuration = e.downcast_ref::<ConfigError>().is_some() || e.downcast_ref::<ConfigErrors>().is_some();
        let code = if configuration { 2 } else { 1 };
        Failure(code, e)
    }
}

fn fail(code: u8, message: impl std::fmt::Display) -> Failure {
    Failure(code, anyhow::anyhow!(message.to_string()))
}

fn main() -> ExitCode {
    // `VAR=` in a .env file or a Compose environment means "not set". Done before the
    // runtime starts any thread, so changing the environment is sound.
    for var in vtoc_mcp::cli::config::env_vars() {
        if std::env::var_os(&var).is_some_and(|v| v.is_empty()) {
            // SAFETY: single-threaded here; nothing else reads the environment concurrently.
            unsafe { std::env::remove_var(&var) };
        }
    }
    let cli = vtoc_mcp::cli::config::parse(std::env::args_os().collect(), |name| std::env::var(name).ok())
        .unwrap_or_else(|e| e.exit());
    init_logging();
    vtoc_mcp::install_crypto_provider();
    let workers = match &cli.command {
        Command::Serve(args) => usize::from(args.worker_threads),
        _ => 1,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Tools { roles: true, .. } => roles(),
        Command::Tools { name, json, size, guard, .. } => tools(name.as_deref(), json, size, &guard),
        Command::Call(args) => call(*args).await,
        Command::Diff(args) => diff(args),
        Command::SyncSpec { from, out, overrides } => sync_spec(&from, &out, &overrides).await,
        Command::Doctor(args) => doctor(*args).await,
        Command::Init { target, dir, template, force } => init(target, &dir, template.as_deref(), force),
        Command::Healthcheck { url } => healthcheck(&url).await,
        Command::DemoBackend { bind } => demo_backend(bind).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, e)) => {
            tracing::error!("{e:#}");
            ExitCode::from(code)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VTOC_MCP_LOG").unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    use std::io::IsTerminal;
    // Colours only on a terminal: files and container logs get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("VTOC_MCP_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    // Every setting is checked before anything starts.
    let checked = check::check(&args)?;
    let (backend, demo_task) = start_backend(checked.backend, &args.backend).await?;
    if demo_task.is_none() && args.contract_check != ContractCheck::Off {
        check_contract(&backend, args.contract_check).await?;
    }
    let grace = checked.grace;
    let mut guardrails = checked.guardrails;
    let telemetry = telemetry(&args, checked.metrics.is_some())?;
    guardrails.telemetry = telemetry.clone();
    let bridge = Bridge::new(backend.clone(), guardrails)?;
    let metrics_server = match checked.metrics {
        Some((bind, token)) => {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {bind} (MCP_METRICS_BIND): {e}"))?;
            tracing::info!("Prometheus metrics on http://{}/metrics", listener.local_addr()?);
            // Served until the process ends (the task is stopped after the drain): a scrape
            // during the drain is the one that shows it.
            Some(tokio::spawn(transport::metrics::serve_metrics(listener, telemetry.clone(), token)))
        }
        None => None,
    };
    let policy = &bridge.guardrails().policy;
    tracing::info!(
        tools = bridge.catalog().count(),
        backend = %backend.base_url,
        writes = policy.allow_writes,
        "vtoc-mcp ready{}",
        if policy.allow_writes { "" } else { " (read-only: set MCP_ALLOW_WRITES=true to serve tools that change data)" }
    );
    let trimmer = transport::spawn_memory_trimmer(bridge.clone());
    let outcome = match checked.http {
        Some(settings) => {
            let listener = tokio::net::TcpListener::bind(args.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {} (MCP_BIND): {e}", args.bind))?;
            tracing::info!("MCP streamable HTTP on http://{}/mcp", listener.local_addr()?);
            transport::serve_http(bridge, settings, listener, transport::shutdown_signal(), grace).await
        }
        None => transport::serve_stdio(bridge, transport::shutdown_signal(), grace).await,
    };
    trimmer.abort();
    if let Some(task) = metrics_server {
        task.abort();
    }
    if let Some(tracing) = &telemetry.tracing {
        tracing.flush();
    }
    if let Some(task) = demo_task {
        task.abort();
    }
    Ok(outcome?)
}

/// Metrics when `/metrics` is served; traces when the `OTEL_*` variables ask for them.
fn telemetry(args: &ServeArgs, metrics: bool) -> Result<Arc<vtoc_mcp::telemetry::Telemetry>, Failure> {
    use vtoc_mcp::telemetry::{Telemetry, metrics::Metrics, trace};
    let metrics = metrics.then(|| {
        let tools = vtoc_mcp::bridge::tools::all().map(|t| t.name);
        Metrics::new(tools.chain(vtoc_mcp::bridge::discover::Meta::ALL.map(|m| m.name())))
    });
    let tracing = if trace::configured(|k| std::env::var(k).ok()) {
        let tracing = trace::Tracing::from_env(args.trace_arguments).map_err(|e| fail(2, e.to_string()))?;
        tracing::info!(arguments = args.trace_arguments, "OpenTelemetry traces exported over OTLP/HTTP");
        Some(tracing)
    } else {
        None
    };
    Ok(Arc::new(Telemetry { metrics, tracing }))
}

/// The start-up contract check: the backend's live spec against the compiled one.
async fn check_contract(backend: &Backend, mode: ContractCheck) -> Result<(), Failure> {
    match workflow::contract_check(backend).await {
        Ok(report) if report.is_empty() => {
            tracing::info!("the backend's /openapi.json matches the compiled contract");
            Ok(())
        }
        Ok(report) => {
            let summary = format!(
                "the backend's /openapi.json differs from the spec this binary was built from: {} change(s), {} breaking; run `vtoc-mcp doctor` for the report, then `vtoc-mcp sync-spec` and rebuild",
                report.changes.len(),
                report.breaking
            );
            for c in &report.changes {
                tracing::warn!(tool = %c.tool, breaking = c.breaking, "contract: {}", c.detail);
            }
            if mode == ContractCheck::Strict {
                return Err(fail(1, format!("{summary} (VTOC_CONTRACT_CHECK=strict refuses to start)")));
            }
            tracing::warn!("{summary}");
            Ok(())
        }
        Err(e) if mode == ContractCheck::Strict => Err(fail(
            1,
            format!("cannot check the backend's contract: {e} (VTOC_CONTRACT_CHECK=strict refuses to start)"),
        )),
        Err(e) => {
            tracing::warn!("cannot check the backend's contract: {e}");
            Ok(())
        }
    }
}

/// The checked backend, or the embedded demo backend, started here.
async fn start_backend(
    choice: BackendChoice,
    args: &BackendArgs,
) -> Result<(Arc<Backend>, Option<tokio::task::JoinHandle<()>>), Failure> {
    match choice {
        BackendChoice::Configured(backend) => Ok((backend, None)),
        BackendChoice::Demo => {
            if let Some(url) = &args.base_url {
                tracing::warn!(ignored = %url, "--demo: VTOC_API_BASE_URL is ignored");
            }
            let (addr, task) =
                demo::spawn("127.0.0.1:0".parse()?, demo::DemoState::seeded(), std::future::pending::<()>()).await?;
            let url = format!("http://{addr}");
            tracing::warn!(%url, "--demo: serving the embedded demo backend (in-memory sample data, not a real vTOC)");
            Ok((args.build(&url)?, Some(task)))
        }
    }
}

/// `tools --roles`: which tool plays each role (`bridge::roles`), as JSON.
fn roles() -> Result<(), Failure> {
    use vtoc_mcp::bridge::roles;
    let tool = |t: &vtoc_mcp::bridge::support::ToolSpec| serde_json::json!({"name": t.name, "method": t.method.as_str(), "path": t.path});
    let collection = roles::collection().map(|c| {
        serde_json::json!({
            "list": tool(c.list), "read": tool(c.read), "create": c.create.map(tool), "update": c.update.map(tool),
            "delete": c.delete.map(tool), "id": c.id,
            "create_body": c.create.and_then(|t| roles::wire_arguments(t).remove("body")),
        })
    });
    let by_name = roles::read_by_name().map(|(t, param)| serde_json::json!({"tool": tool(t), "param": param}));
    let doc = serde_json::json!({
        "collection": collection,
        "read_by_name": by_name,
        "reads_context": roles::reads_context().map(tool),
    });
    out!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn tools(name: Option<&str>, json: bool, size: bool, guard: &GuardArgs) -> Result<(), Failure> {
    let guardrails = guard.guardrails()?;
    let local = guardrails.local.scope;
    let bridge = Bridge::new(BackendArgs::default().build("http://127.0.0.1:1")?, guardrails)?;
    let all = bridge.tools();
    if size {
        let mut total = 0;
        for tool in &all {
            let bytes = vtoc_mcp::bridge::server::model_visible_bytes(tool);
            total += bytes;
            out!("{bytes:>6}  {}", tool.name);
        }
        let size = |tools: &[rmcp::model::Tool]| -> usize {
            tools.iter().map(vtoc_mcp::bridge::server::model_visible_bytes).sum()
        };
        let callable = bridge.callable_tools(local);
        out!("{total:>6}  total for {} tools (name, description, inputSchema as compact JSON)", all.len());
        out!("{:>6}  the {} tools a local caller may call (scope {local})", size(callable), callable.len());
        let discovery = bridge.guardrails().discovery;
        let meta = bridge.meta_tools(local);
        out!(
            "{:>6}  the 3 discovery meta-tools ({})",
            size(&meta),
            meta.iter().map(|t| t.name.as_ref()).collect::<Vec<_>>().join(", ")
        );
        let served = if bridge.serves_meta(local) { "the meta-tools" } else { "every tool it may call" };
        out!(
            "MCP_TOOL_MODE={} (budget {} bytes): tools/list serves a local caller {served}",
            discovery.mode.as_str(),
            discovery.budget_bytes
        );
        return Ok(());
    }
    match name {
        Some(name) => {
            let tool = all
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| fail(2, format!("no tool named `{name}`; `vtoc-mcp tools` lists them")))?;
            if json {
                // Machine-readable: the tool exactly as tools/list gives it, nothing else.
                out!("{}", serde_json::to_string_pretty(tool)?);
                return Ok(());
            }
            let spec = vtoc_mcp::bridge::tools::all().find(|t| t.name == name).expect("listed tools have specs");
            let h = spec.hints;
            out!("{}", tool.name);
            out!("  title:       {}", spec.title.unwrap_or("-"));
            out!("  endpoint:    {} {}", spec.method.as_str(), spec.path);
            out!("  operationId: {}", spec.operation_id);
            out!("  scope:       {}", vtoc_mcp::guard::policy::Scope::required_for(spec));
            out!(
                "  annotations: readOnly={} destructive={} idempotent={} openWorld={}",
                h.read_only,
                h.destructive,
                h.idempotent,
                h.open_world
            );
            out!("  description: {}", spec.description);
            out!("  inputSchema:\n{}", indent(&serde_json::to_string_pretty(&tool.input_schema)?));
            if let Some(out) = &tool.output_schema {
                out!("  outputSchema:\n{}", indent(&serde_json::to_string_pretty(out)?));
            }
        }
        None if json => out!("{}", serde_json::to_string_pretty(bridge.tools_for(local))?),
        None => {
            let policy = &bridge.guardrails().policy;
            for spec in vtoc_mcp::bridge::tools::all() {
                let h = spec.hints;
                let kind = if h.destructive {
                    "destructive"
                } else if h.read_only {
                    "read-only"
                } else {
                    "write"
                };
                let origin = if spec.operation_id.starts_with("custom:") { " (hand-written)" } else { "" };
                let off = match policy.permits(spec, local) {
                    Ok(()) => String::new(),
                    Err(refusal) => format!("  [off: {}]", refusal.describe(spec.name, true)),
                };
                out!("{:<28} {:<12} {} {}{origin}{off}", spec.name, kind, spec.method.as_str(), spec.path);
            }
        }
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

async fn call(args: CallArgs) -> Result<(), Failure> {
    let arguments = match serde_json::from_str::<Value>(&args.args) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(fail(2, "--args must be a JSON object, e.g. '{\"poi_id\": 1}'")),
        Err(e) => return Err(fail(2, format!("--args is not JSON: {e}"))),
    };
    let guardrails = args.guard.guardrails()?;
    let caller = guardrails.local.clone();
    let mut backend_args = args.backend.clone();
    backend_args.dry_run = args.dry_run;
    let (backend, demo_task) = start_backend(check::backend(&backend_args, args.demo)?, &backend_args).await?;
    let bridge = Bridge::new(backend, guardrails)?;
    let confirmer =
        if args.yes { Confirmer::Preapproved } else { Confirmer::Unavailable(vtoc_mcp::bridge::NoAsking::CommandLine) };
    let request = CallRequest::new(&args.tool, arguments, caller, confirmer);
    let outcome = bridge.call(request).await;
    if let Some(task) = demo_task {
        task.abort();
    }
    let result = match outcome {
        Ok(rmcp::model::CallToolResponse::Complete(result)) => result,
        Ok(_) => return Err(fail(1, "the call asked for input this command cannot give")),
        Err(e) => return Err(fail(2, e.message.to_string())),
    };
    if args.raw {
        out!("{}", serde_json::to_string_pretty(&result)?);
    } else if result.is_error != Some(true)
        && let Some(structured) = &result.structured_content
    {
        out!("{}", serde_json::to_string_pretty(structured)?);
    } else {
        for block in &result.content {
            if let Some(t) = block.as_text() {
                out!("{}", t.text);
            }
        }
    }
    if result.is_error == Some(true) {
        return Err(fail(1, format!("`{}` returned an error (printed above)", args.tool)));
    }
    Ok(())
}

fn diff(args: DiffArgs) -> Result<(), Failure> {
    let overrides_path = args.overrides.clone().or_else(|| {
        let default = std::path::PathBuf::from("openapi/mcp-overrides.json");
        default.exists().then_some(default)
    });
    let overrides = match &overrides_path {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| fail(2, format!("cannot read {}: {e}", p.display())))?),
        None => None,
    };
    let read = |p: &std::path::Path| -> Result<Surface, Failure> {
        let text = std::fs::read_to_string(p).map_err(|e| fail(2, format!("cannot read {}: {e}", p.display())))?;
        workflow_surface(&text, overrides.as_deref()).map_err(|e| fail(2, format!("{}: {e}", p.display())))
    };
    let report = surface::diff(&read(&args.old)?, &read(&args.new)?);
    match args.format {
        ReportFormat::Markdown => out_raw!("{}", report.markdown()),
        ReportFormat::Json => out_raw!("{}", report.json()),
    }
    if args.fail_on_breaking && report.breaking > 0 {
        return Err(fail(3, format!("{} breaking change(s)", report.breaking)));
    }
    Ok(())
}

/// A spec (overrides applied leniently) or a manifest.
fn workflow_surface(text: &str, overrides: Option<&str>) -> Result<Surface, SurfaceError> {
    let v: Value = serde_json::from_str(text).map_err(SurfaceError::NotJson)?;
    if v.get("openapi").is_some() { workflow::surface_of_live(text, overrides) } else { Surface::from_manifest(&v) }
}

async fn sync_spec(from: &str, out: &std::path::Path, overrides: &std::path::Path) -> Result<(), Failure> {
    let overrides = std::fs::read_to_string(overrides).ok();
    let synced = workflow::sync_spec(from, out, overrides.as_deref()).await.map_err(|e| fail(1, e))?;
    if !synced.changed {
        out!("{} is up to date ({} operations).", synced.path.display(), synced.operations);
        return Ok(());
    }
    out!("Wrote {} ({} operations).", synced.path.display(), synced.operations);
    if let Some((report, baseline)) = &synced.report {
        out!("What changes for agents, {}:", baseline.describe(&synced.path));
        out_raw!("\n{}", report.markdown());
    }
    out!(
        "\nNext: `make generate` (rebuilds and rewrites generated/ and docs/API.md), review `git diff`, then commit openapi/, generated/ and docs/API.md together."
    );
    Ok(())
}

async fn doctor(args: DoctorArgs) -> Result<(), Failure> {
    let args = args.serve;
    // The check `serve` runs: what fails here would stop the server.
    let checked = match check::check(&args) {
        Ok(checked) => checked,
        Err(errors) => {
            for e in &errors.0 {
                out!("[FAIL] configuration: {}: {}", e.setting, e.message);
            }
            out!("[skip] backend: not checked until the configuration is fixed");
            return Err(fail(
                2,
                format!(
                    "{} configuration error(s) (above): `serve` refuses to start with these settings",
                    errors.0.len()
                ),
            ));
        }
    };
    let transport = match args.transport {
        Transport::Http => format!("HTTP on {}", args.bind),
        Transport::Stdio => "stdio".to_string(),
    };
    out!("[ ok ] configuration: settings are valid (transport {transport})");
    let mut failed = false;
    let (backend, demo_task) = start_backend(checked.backend, &args.backend).await?;
    let (mut checks, report) = workflow::doctor(&backend).await;
    if let Some(store) = &checked.guardrails.shared {
        checks.push(workflow::state_store_check(store).await);
    }
    out_raw!("{}", workflow::render_checks(&checks));
    failed |= checks.iter().any(|c| !c.ok);
    if let Some(report) = report.filter(|r| !r.is_empty()) {
        out_raw!("\n{}", report.markdown());
    }
    if let Some(task) = demo_task {
        task.abort();
    }
    if failed { Err(fail(1, "doctor found problems (see above)")) } else { Ok(()) }
}

fn init(
    target: workflow::InitTarget,
    dir: &std::path::Path,
    template: Option<&std::path::Path>,
    force: bool,
) -> Result<(), Failure> {
    let template = match template {
        Some(p) => std::fs::read_to_string(p).map_err(|e| fail(2, format!("cannot read {}: {e}", p.display())))?,
        None => ENV_TEMPLATE.to_string(),
    };
    let files = workflow::init(dir, &template, target, force).map_err(|e| fail(1, e))?;
    for f in &files {
        out!("wrote {}", f.display());
    }
    out!(
        "Tokens were generated for {} (scopes read, operate, admin); they are in the files above, readable only by you. Give each MCP client its own.",
        workflow::INIT_CALLERS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    );
    if target == workflow::InitTarget::Stack {
        out!(
            "Put the vTOC backend token into secrets/vtoc_api_token if it is empty, then `docker stack deploy -c docker-stack.yml vtoc-mcp`."
        );
    }
    Ok(())
}

async fn healthcheck(url: &str) -> Result<(), Failure> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(fail(1, format!("{url} answered {}", r.status()))),
        Err(e) => Err(fail(1, format!("{url}: {e}"))),
    }
}

async fn demo_backend(bind: std::net::SocketAddr) -> Result<(), Failure> {
    let (addr, task) = demo::spawn(bind, demo::DemoState::seeded(), transport::shutdown_signal()).await?;
    tracing::info!("demo vTOC backend on http://{addr} (Ctrl-C to stop)");
    task.await?;
    Ok(())
}
