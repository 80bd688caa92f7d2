//! The MCP server: an rmcp `ServerHandler` over the generated tool table.
//!
//! One call path for every transport (and for `vtoc-mcp call`): look the tool up,
//! validate the arguments against its `inputSchema` (refusing before any backend call),
//! build the per-call context, run the generated wrapper under the backend deadline.

use crate::client::Client;
use crate::support::{Args, Backend, CallCtx, ToolSpec};
use crate::tools::TOOLS;
use crate::validate::Validator;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The request headers vTOC reads for mission context (FACTS: station, ChatKit channel
/// and initiator). These, and only these, are forwarded from the MCP request.
pub const CONTEXT_HEADERS: &[&str] = &[
    "x-station-id",
    "x-station-slug",
    "x-chatkit-station",
    "x-toc-station",
    "x-chatkit-channel",
    "x-chatkit-thread",
    "x-chatkit-user",
    "x-chatkit-initiator",
];

const INSTRUCTIONS: &str = "Tools for vTOC, a virtual tactical operations center: stations and their dashboards, \
timelines and task queues; telemetry sources and events; points of interest (POI) and their identifiers; an IMEI \
watchlist; hardware control (GPS, ADS-B, H4M import); and agent actions relayed to OpenAI AgentKit. Tools marked \
read-only only read. Update tools change only the fields you send; send null to clear a field. Errors carry the \
backend's HTTP status and detail: read them and correct the call.";

/// A tool of the table, with what the server derives from it once.
struct Entry {
    spec: &'static ToolSpec,
    tool: Tool,
    validator: OnceLock<Result<Validator, String>>,
}

struct Inner {
    backend: Arc<Backend>,
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
    listed: Vec<Tool>,
    info: ServerConfig,
}

/// The MCP handler. Cheap to clone (one per session or per stateless request).
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

impl Bridge {
    pub fn new(backend: Arc<Backend>) -> Result<Bridge, String> {
        let entries = TOOLS
            .iter()
            .map(|spec| Ok(Entry { spec, tool: to_rmcp_tool(spec)?, validator: OnceLock::new() }))
            .collect::<Result<Vec<_>, String>>()?;
        let by_name = entries.iter().enumerate().map(|(i, e)| (e.spec.name, i)).collect();
        let listed = entries.iter().map(|e| e.tool.clone()).collect();
        let info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("vtoc-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS);
        Ok(Bridge { inner: Arc::new(Inner { backend, entries, by_name, listed, info }) })
    }

    pub fn backend(&self) -> &Arc<Backend> {
        &self.inner.backend
    }

    /// The tools as served by `tools/list`.
    pub fn tools(&self) -> &[Tool] {
        &self.inner.listed
    }

    /// One tool call, from any transport.
    ///
    /// `Err` is a protocol error (unknown tool, bad arguments: the backend is not called);
    /// backend failures are `Ok` results with `isError`, which the model reads.
    pub async fn call(
        &self,
        name: &str,
        arguments: JsonObject,
        headers: HeaderMap,
    ) -> Result<CallToolResult, ErrorData> {
        let entry = self.entry(name)?;
        let spec = entry.spec;
        let validator = entry
            .validator
            .get_or_init(|| Validator::new(&entry.tool.input_schema.as_ref().clone().into()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ErrorData::internal_error(format!("tool `{name}` has an unusable input schema: {e}"), None))?;
        let arguments = Value::Object(arguments);
        if let Err(violations) = validator.validate(&arguments) {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return Err(ErrorData::invalid_params(
                format!("invalid arguments for tool `{name}`: {}", list.join("; ")),
                Some(json!({ "tool": name, "violations": list })),
            ));
        }
        let Value::Object(arguments) = arguments else { unreachable!("constructed as an object above") };
        let backend = self.inner.backend.clone();
        let ctx = Arc::new(CallCtx::new(spec, backend.clone(), &arguments, headers));
        let client = Client { baseurl: backend.base_url.clone(), client: backend.http.clone(), inner: ctx };
        let args = Args::new(&arguments);
        // The HTTP client enforces the timeout per request; this bounds the whole call.
        let deadline = backend.timeout + Duration::from_secs(1);
        match tokio::time::timeout(deadline, (spec.call)(&client, &args)).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(arg)) => Err(ErrorData::invalid_params(
                format!("invalid arguments for tool `{name}`: {arg}"),
                Some(json!({ "tool": name, "field": arg.field })),
            )),
            Err(_) => Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "{} {}: no answer from the vTOC backend at {} within {} s",
                spec.method.as_str(),
                spec.path,
                backend.base_url,
                deadline.as_secs()
            ))])),
        }
    }

    fn entry(&self, name: &str) -> Result<&Entry, ErrorData> {
        self.inner.by_name.get(name).map(|&i| &self.inner.entries[i]).ok_or_else(|| {
            ErrorData::invalid_params(
                format!("unknown tool `{name}`; call tools/list for the {} available tools", self.inner.entries.len()),
                None,
            )
        })
    }
}

/// Forward the mission-context headers of an MCP HTTP request.
pub fn context_headers(incoming: &http::HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in CONTEXT_HEADERS {
        if let Some(value) = incoming.get(*name).filter(|v| !v.is_empty()) {
            out.insert(HeaderName::from_static(name), value.clone());
        }
    }
    out
}

fn to_rmcp_tool(spec: &'static ToolSpec) -> Result<Tool, String> {
    let object = |text: &str, what: &str| -> Result<Arc<JsonObject>, String> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Arc::new(map)),
            _ => Err(format!("tool `{}`: the generated {what} is not a JSON object", spec.name)),
        }
    };
    let mut tool = Tool::new(spec.name, spec.description, object(spec.input_schema, "inputSchema")?);
    if let Some(title) = spec.title {
        tool = tool.with_title(title);
    }
    if let Some(output) = spec.output_schema {
        tool = tool.with_raw_output_schema(object(output, "outputSchema")?);
    }
    let h = spec.hints;
    let mut annotations = ToolAnnotations::new()
        .read_only(h.read_only)
        .destructive(h.destructive)
        .idempotent(h.idempotent)
        .open_world(h.open_world);
    annotations.title = spec.title.map(str::to_owned);
    Ok(tool.with_annotations(annotations))
}

impl ServerHandler for Bridge {
    fn get_info(&self) -> ServerConfig {
        self.inner.info.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.listed.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.entry(name).ok().map(|e| e.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let headers = context
            .extensions
            .get::<http::request::Parts>()
            .map(|parts| context_headers(&parts.headers))
            .unwrap_or_default();
        self.call(&request.name, request.arguments.unwrap_or_default(), headers).await.map(Into::into)
    }
}

/// A header value for a bearer token, marked sensitive so it never appears in debug output.
pub fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the token contains characters that cannot go in an HTTP header".to_string())?;
    value.set_sensitive(true);
    Ok(value)
}
