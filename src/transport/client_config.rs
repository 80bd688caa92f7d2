//! `GET /.well-known/mcp-config`: what a front end (vTOC's ChatKit panel, an AgentKit
//! workflow, the operator console) needs to connect to this server, for the caller asking.
//!
//! Authenticated like `/mcp` and scoped like `tools/list`: the `tools` are exactly the ones
//! this caller may call, which its `tools/list` returns unless it is served the discovery
//! meta-tools (`MCP_TOOL_MODE`); `openai.allowed_tools` is always what `tools/list` returns.
//! Tools the server policy turns off for everyone (read-only mode, deny or allow lists) are
//! named under `unavailable` with the reason, so an operator can tell "not allowed for me"
//! from "off on this server"; tools beyond the caller's scope are not mentioned.

use crate::bridge::server::Bridge;
use crate::guard::caller::Caller;
use crate::guard::policy::{CONTEXT_META, ContextArgument, Refusal, Scope};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

/// Where clients reach this server, as seen by the request for the document.
pub struct Endpoint {
    /// The MCP endpoint's URL.
    pub url: String,
    /// The OAuth protected resource metadata URL, when OAuth is configured.
    pub resource_metadata: Option<String>,
    /// Whether callers must send a bearer token.
    pub auth_required: bool,
    /// Whether the stateless mode is on (`MCP_STATELESS`).
    pub stateless: bool,
    /// Whether the operator console is served (`MCP_CONSOLE`); it is advertised only then.
    pub console: bool,
}

/// The headers a front end may send on every MCP request to set the mission context.
const CONTEXT_HEADERS: [(&str, &str); 3] = [
    ("x-station-id", "The station (slug) the conversation is about; forwarded to vTOC on every call."),
    ("x-chatkit-channel", "The ChatKit thread or channel; recorded by vTOC on agent actions."),
    ("x-chatkit-user", "Who asked (the operator's user id); recorded by vTOC on agent actions."),
];

/// The document for `caller`.
pub fn document(bridge: &Bridge, caller: &Caller, endpoint: &Endpoint) -> Value {
    let guard = bridge.guardrails();
    let mut tools = Vec::new();
    let mut unavailable = Vec::new();
    for (spec, tool) in bridge.catalog() {
        match guard.policy.permits(spec, caller.scope) {
            Ok(()) => tools.push(json!({
                "name": spec.name,
                "title": spec.title,
                "description": spec.description,
                "tags": spec.tags,
                "endpoint": format!("{} {}", spec.method.as_str(), spec.path),
                "annotations": tool.annotations,
                "requiredScope": Scope::required_for(spec).as_str(),
                "confirmation": guard.policy.needs_confirmation(spec),
            })),
            Err(Refusal::Policy(reason)) if Scope::required_for(spec) <= caller.scope => unavailable.push(json!({
                "name": spec.name,
                "title": spec.title,
                "tags": spec.tags,
                "annotations": tool.annotations,
                "reason": reason,
            })),
            Err(_) => {}
        }
    }
    // What the hosted MCP tool may list and call: this caller's `tools/list`, which is the
    // discovery meta-tools when it is served them (the tools above stay callable through them).
    let listed: Vec<Value> = if bridge.serves_meta(caller.scope) {
        bridge.tools_for(caller.scope).iter().map(|t| json!({"name": t.name, "annotations": t.annotations})).collect()
    } else {
        tools.clone()
    };
    let read_only_names: Vec<&Value> =
        listed.iter().filter(|t| t["annotations"]["readOnlyHint"] == true).map(|t| &t["name"]).collect();
    let all_names: Vec<&Value> = listed.iter().map(|t| &t["name"]).collect();
    let defaults = &guard.defaults;
    let headers: serde_json::Map<String, Value> = CONTEXT_HEADERS
        .iter()
        .map(|(name, description)| {
            let default = match *name {
                "x-station-id" => defaults.station.as_deref(),
                "x-chatkit-channel" => defaults.channel.as_deref(),
                _ => defaults.initiator.as_deref(),
            };
            ((*name).to_string(), json!({"required": false, "description": description, "serverDefault": default}))
        })
        .collect();
    let versions: Vec<&str> = ProtocolVersion::KNOWN_VERSIONS.iter().map(|v| v.as_str()).collect();
    let mut doc = json!({
        "server": {"name": "vtoc-mcp", "version": env!("CARGO_PKG_VERSION")},
        "url": endpoint.url,
        "transport": "streamable-http",
        "protocolVersions": versions,
        "sessions": if endpoint.stateless { "none: every request stands alone" } else { "2025-era clients get a session (Mcp-Session-Id); 2026-07-28 clients none" },
        "auth": {
            "scheme": "bearer",
            "header": "Authorization",
            "required": endpoint.auth_required,
            "resourceMetadata": endpoint.resource_metadata,
        },
        "caller": {"name": caller.name, "scope": caller.scope.as_str()},
        "context": {
            "headers": headers,
            "arguments": (guard.context_argument != ContextArgument::Off).then(|| {
                ["station", "channel", "initiator"]
                    .map(|f| (f.to_string(), json!(crate::codegen::shape::context_name(f))))
                    .into_iter()
                    .collect::<serde_json::Map<_, _>>()
            }),
            "meta": CONTEXT_META,
            "precedence": "the call's context arguments (context_station, …), then its `_meta` entry, then these headers, then the server defaults",
            "stations": stations(bridge, caller),
        },
        "policy": {
            "writes": guard.policy.allow_writes,
            "confirmDestructive": guard.policy.confirm_destructive,
        },
        "tools": tools,
        "unavailable": unavailable,
        // The Responses API / Agents SDK hosted MCP tool for this caller: add the bearer
        // token as `authorization` (or a header) from your own secret store.
        "openai": {
            "type": "mcp",
            "server_label": "vtoc",
            "server_url": endpoint.url,
            "allowed_tools": all_names,
            "require_approval": {"never": {"tool_names": read_only_names}},
        },
    });
    // The console is advertised only where it is served (`MCP_CONSOLE`).
    if endpoint.console {
        doc["console"] = json!("/console/");
    }
    doc
}

/// Where a front end lists the stations to choose the station context from: the list tool
/// that completes a resource's station variable (generated, so it follows a renamed
/// operation), when this caller may call it.
fn stations(bridge: &Bridge, caller: &Caller) -> Option<Value> {
    let variable = crate::bridge::resources::station_variable()?;
    let tool = variable.list_tool?;
    bridge
        .tools_for(caller.scope)
        .iter()
        .any(|t| t.name == tool)
        .then(|| json!({"tool": tool, "value": variable.value_field.unwrap_or("id"), "labels": variable.label_fields}))
}
