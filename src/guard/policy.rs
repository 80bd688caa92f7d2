//! Who may see and call which tool: scopes, the server-wide policy, confirmation of
//! destructive calls, and where mission context comes from. Every decision is a pure
//! function of the configuration, the caller and the tool, so it is tested here.

use crate::bridge::support::ToolSpec;
use std::fmt;

/// What a caller is allowed to do. Ordered: each level includes the ones below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Scope {
    /// `vtoc:read`: read-only tools.
    Read,
    /// `vtoc:operate`: adds writes that destroy nothing.
    Operate,
    /// `vtoc:admin`: adds destructive tools.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Operate, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "vtoc:read",
            Scope::Operate => "vtoc:operate",
            Scope::Admin => "vtoc:admin",
        }
    }

    /// `vtoc:read` or the short form `read`.
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim().strip_prefix("vtoc:").unwrap_or(s.trim()) {
            "read" => Some(Scope::Read),
            "operate" => Some(Scope::Operate),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// The highest `vtoc:*` scope among space-separated OAuth scopes.
    pub fn highest_of<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Option<Scope> {
        scopes.into_iter().filter(|s| s.starts_with("vtoc:")).filter_map(Scope::parse).max()
    }

    /// The scope a tool needs.
    pub fn required_for(tool: &ToolSpec) -> Scope {
        if tool.hints.destructive {
            Scope::Admin
        } else if tool.hints.read_only {
            Scope::Read
        } else {
            Scope::Operate
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tool pattern of the allow and deny lists: a glob over tool names (`*`, `?`), or
/// `tag:NAME` for every tool with that OpenAPI tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Glob(String),
    Tag(String),
}

impl Pattern {
    pub fn parse(s: &str) -> Option<Pattern> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(match s.strip_prefix("tag:") {
            Some(tag) => Pattern::Tag(tag.to_string()),
            None => Pattern::Glob(s.to_string()),
        })
    }

    pub fn matches(&self, tool: &ToolSpec) -> bool {
        match self {
            Pattern::Glob(g) => glob(g.as_bytes(), tool.name.as_bytes()),
            Pattern::Tag(t) => tool.tags.iter().any(|x| x == t),
        }
    }
}

/// `*` matches any run, `?` one character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// What happens to a destructive call when the client cannot ask the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    Deny,
    Allow,
}

/// The server-wide tool policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Writes are off unless enabled: only read-only tools are served.
    pub allow_writes: bool,
    /// Empty: every tool. Otherwise only tools matching one pattern.
    pub allow: Vec<Pattern>,
    /// Tools matching one of these are never served (deny wins).
    pub deny: Vec<Pattern>,
    /// Ask the user before a destructive call.
    pub confirm_destructive: bool,
    pub confirm_fallback: Fallback,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_writes: false,
            allow: Vec::new(),
            deny: Vec::new(),
            confirm_destructive: true,
            confirm_fallback: Fallback::Deny,
        }
    }
}

/// Why a tool is not available to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The caller's scope is too low.
    Scope { needed: Scope, has: Scope },
    /// The server policy hides the tool.
    Policy(String),
}

impl From<&Refusal> for crate::guard::audit::Decision {
    fn from(refusal: &Refusal) -> Self {
        match refusal {
            Refusal::Scope { .. } => crate::guard::audit::Decision::RefusedScope,
            Refusal::Policy(_) => crate::guard::audit::Decision::RefusedPolicy,
        }
    }
}

impl Refusal {
    /// In words that name the fix: a token with more scope for an authenticated caller;
    /// `MCP_LOCAL_SCOPE` for a local one (stdio, `vtoc-mcp call`, unauthenticated
    /// loopback), whose scope is that setting.
    pub fn describe(&self, tool: &str, local: bool) -> String {
        match self {
            Refusal::Scope { needed, has } if local => format!(
                "tool `{tool}` needs scope {needed}, and local callers (stdio, `vtoc-mcp call`, unauthenticated loopback) have {has}; set MCP_LOCAL_SCOPE={needed} to allow it"
            ),
            Refusal::Scope { needed, has } => format!(
                "tool `{tool}` needs scope {needed}, and this caller has {has}; ask the operator for a token with {needed}"
            ),
            Refusal::Policy(why) => format!("tool `{tool}` is disabled on this server: {why}"),
        }
    }
}

impl Policy {
    /// Does the server policy serve this tool at all (whatever the caller)?
    pub fn serves(&self, tool: &ToolSpec) -> Result<(), Refusal> {
        if !self.allow_writes && !tool.hints.read_only {
            return Err(Refusal::Policy(
                "the server is read-only (set MCP_ALLOW_WRITES=true to serve tools that change data)".into(),
            ));
        }
        if let Some(p) = self.deny.iter().find(|p| p.matches(tool)) {
            return Err(Refusal::Policy(format!("it matches the deny list ({})", show(p))));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|p| p.matches(tool)) {
            return Err(Refusal::Policy("it is not on the allow list (MCP_TOOLS_ALLOW)".into()));
        }
        Ok(())
    }

    /// May a caller with `scope` see and call this tool?
    pub fn permits(&self, tool: &ToolSpec, scope: Scope) -> Result<(), Refusal> {
        self.serves(tool)?;
        let needed = Scope::required_for(tool);
        if scope < needed {
            return Err(Refusal::Scope { needed, has: scope });
        }
        Ok(())
    }

    /// Must this call be confirmed by the user first?
    pub fn needs_confirmation(&self, tool: &ToolSpec) -> bool {
        self.confirm_destructive && tool.hints.destructive
    }
}

fn show(p: &Pattern) -> String {
    match p {
        Pattern::Glob(g) => g.clone(),
        Pattern::Tag(t) => format!("tag:{t}"),
    }
}

/// Parse a comma-separated pattern list.
pub fn patterns(list: &str) -> Vec<Pattern> {
    list.split(',').filter_map(Pattern::parse).collect()
}

/// Mission context for one call: the values sent to the backend as the headers vTOC reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Context {
    pub station: Option<String>,
    pub channel: Option<String>,
    pub initiator: Option<String>,
}

/// The argument that carries per-call context, when enabled.
pub const CONTEXT_ARG: &str = "context";

impl Context {
    /// Precedence, most specific first: the call's `context` argument, then the MCP
    /// request's headers, then the configured defaults, then (initiator only) the
    /// authenticated caller's name.
    pub fn resolve(argument: &Context, headers: &Context, defaults: &Context, caller: Option<&str>) -> Context {
        let pick = |f: fn(&Context) -> &Option<String>| {
            [argument, headers, defaults].into_iter().find_map(|c| f(c).clone().filter(|v| !v.trim().is_empty()))
        };
        Context {
            station: pick(|c| &c.station),
            channel: pick(|c| &c.channel),
            initiator: pick(|c| &c.initiator).or_else(|| caller.map(str::to_owned)),
        }
    }

    /// From MCP request headers, with vTOC's own fallbacks (first non-empty wins).
    pub fn from_headers(h: &http::HeaderMap) -> Context {
        let first = |names: &[&str]| {
            names.iter().find_map(|n| h.get(*n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()))
        };
        Context {
            station: first(&["x-station-id", "x-station-slug", "x-chatkit-station", "x-toc-station"])
                .map(str::to_owned),
            channel: first(&["x-chatkit-channel", "x-chatkit-thread"]).map(str::to_owned),
            initiator: first(&["x-chatkit-user", "x-chatkit-initiator"]).map(str::to_owned),
        }
    }

    /// `self`, with each missing value taken from `other`.
    pub fn or(mut self, other: &Context) -> Context {
        self.station = self.station.or_else(|| other.station.clone());
        self.channel = self.channel.or_else(|| other.channel.clone());
        self.initiator = self.initiator.or_else(|| other.initiator.clone());
        self
    }

    /// From the `context` argument of a call (already validated against its schema).
    pub fn from_argument(v: Option<&serde_json::Value>) -> Context {
        let get = |k: &str| v.and_then(|v| v.get(k)).and_then(|s| s.as_str()).map(str::to_owned);
        Context { station: get("station"), channel: get("channel"), initiator: get("initiator") }
    }

    /// The headers for the backend, under the configured names.
    pub fn headers(&self, names: &ContextHeaders) -> reqwest::header::HeaderMap {
        let mut out = reqwest::header::HeaderMap::new();
        for (name, value) in
            [(&names.station, &self.station), (&names.channel, &self.channel), (&names.initiator, &self.initiator)]
        {
            if let (Some(name), Some(v)) =
                (name, value.as_deref().and_then(|v| reqwest::header::HeaderValue::from_str(v).ok()))
            {
                out.insert(name.clone(), v);
            }
        }
        out
    }
}

/// The header each context value goes to the backend under (`VTOC_CONTEXT_HEADERS`); `None`:
/// not sent. vTOC's names by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextHeaders {
    pub station: Option<http::HeaderName>,
    pub channel: Option<http::HeaderName>,
    pub initiator: Option<http::HeaderName>,
}

/// `VTOC_CONTEXT_HEADERS` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ContextHeadersError {
    #[error("{0:?} is not `station=`, `channel=` or `initiator=` followed by a header name")]
    Entry(String),
    #[error("{0:?} is not a valid HTTP header name")]
    Name(String),
}

impl Default for ContextHeaders {
    fn default() -> Self {
        ContextHeaders::parse(ContextHeaders::VTOC).expect("vTOC's header names are valid")
    }
}

impl ContextHeaders {
    /// vTOC's backend reads the station from `X-Station-Id` and records the ChatKit channel
    /// and user on agent actions.
    pub const VTOC: &'static str = "station=x-station-id,channel=x-chatkit-channel,initiator=x-chatkit-user";

    /// `station=NAME,channel=NAME,initiator=NAME`; a value left out (or `off` for all) is
    /// not sent.
    pub fn parse(text: &str) -> Result<ContextHeaders, ContextHeadersError> {
        let mut out = ContextHeaders { station: None, channel: None, initiator: None };
        if text.trim() == "off" {
            return Ok(out);
        }
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (key, name) = entry.split_once('=').ok_or_else(|| ContextHeadersError::Entry(entry.into()))?;
            let slot = match key.trim() {
                "station" => &mut out.station,
                "channel" => &mut out.channel,
                "initiator" => &mut out.initiator,
                _ => return Err(ContextHeadersError::Entry(entry.into())),
            };
            let name = name.trim();
            *slot = if name.is_empty() {
                None
            } else {
                Some(http::HeaderName::try_from(name).map_err(|_| ContextHeadersError::Name(name.into()))?)
            };
        }
        Ok(out)
    }
}

/// Which tools offer the per-call `context` argument (`MCP_CONTEXT_ARGUMENT`).
///
/// Every call sends the resolved context to the backend as headers, whatever this says;
/// this only decides where a model may choose it per call. The argument costs tokens on
/// every turn in every tool that has it, so by default only the tools whose operation
/// reads context (declared in openapi/mcp-overrides.json) offer it, with only the values
/// that operation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContextArgument {
    /// Only tools whose operation reads context, with the values it reads.
    #[default]
    Auto,
    /// Every tool, with every value.
    All,
    /// No tool: context comes from request headers, `_meta` and the defaults.
    Off,
}

impl ContextArgument {
    /// `auto`, `all`, `off` (`true` and `false` are read as `all` and `off`).
    pub fn parse(s: &str) -> Option<ContextArgument> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(ContextArgument::Auto),
            "all" | "true" => Some(ContextArgument::All),
            "off" | "false" | "none" => Some(ContextArgument::Off),
            _ => None,
        }
    }

    /// The context values `tool` offers as its argument.
    pub fn fields(self, tool: &ToolSpec) -> &'static [&'static str] {
        match self {
            ContextArgument::Auto => tool.context,
            ContextArgument::All => &CONTEXT_FIELDS,
            ContextArgument::Off => &[],
        }
    }
}

/// Every context value, in the order the argument lists them.
pub const CONTEXT_FIELDS: [&str; 3] = ["station", "channel", "initiator"];

/// The `_meta` key under which a host sets one call's context (`{"station": …}`), e.g.
/// the Agents SDK's `tool_meta_resolver`; the model never sees it.
pub const CONTEXT_META: &str = "vtoc/context";

/// The JSON Schema of the `context` argument, with the given values. Kept short: it is
/// repeated in every tool that offers it, on every turn.
pub fn context_schema(fields: &[&str]) -> serde_json::Value {
    let describe = |f: &str| match f {
        "station" => "Station slug",
        "channel" => "ChatKit channel",
        _ => "Who asked",
    };
    let properties: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|f| {
            ((*f).to_string(), serde_json::json!({"type": "string", "maxLength": 128, "description": describe(f)}))
        })
        .collect();
    serde_json::json!({
        "type": "object",
        "description": "Mission context for this call; default: the session's",
        "properties": properties,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn context_headers_are_configuration_with_vtocs_names_by_default() {
        let context =
            Context { station: Some("ops-center".into()), channel: Some("t-1".into()), initiator: Some("ana".into()) };
        let sent = context.headers(&ContextHeaders::default());
        assert_eq!(sent["x-station-id"], "ops-center");
        assert_eq!(
            (sent["x-chatkit-channel"].to_str().unwrap(), sent["x-chatkit-user"].to_str().unwrap()),
            ("t-1", "ana")
        );
        let other = ContextHeaders::parse("station=X-Tenant, initiator=").unwrap();
        let sent = context.headers(&other);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent["x-tenant"], "ops-center");
        assert!(context.headers(&ContextHeaders::parse("off").unwrap()).is_empty());
        assert!(ContextHeaders::parse("region=x-r").unwrap_err().to_string().contains("station="));
        assert!(ContextHeaders::parse("station=bad name").unwrap_err().to_string().contains("header name"));
    }

    use super::*;

    /// One of vTOC's tools as an example of its kind (a read, a write, a delete, a tag).
    fn tool(name: &str) -> &'static ToolSpec {
        crate::bridge::tools::all().find(|t| t.name == name).unwrap_or_else(|| {
            panic!(
                "tool `{name}` is not in this build: the spec renamed or removed it (`cargo test --test e2e contract` \
                 says which); these policy tests use it only as an example of its kind: use the new name"
            )
        })
    }

    #[test]
    fn scopes_order_and_parse() {
        assert!(Scope::Read < Scope::Operate && Scope::Operate < Scope::Admin);
        assert_eq!(Scope::parse("vtoc:operate"), Some(Scope::Operate));
        assert_eq!(Scope::parse("admin"), Some(Scope::Admin));
        assert_eq!(Scope::parse("vtoc:root"), None);
        assert_eq!(Scope::highest_of("openid vtoc:read profile vtoc:operate".split(' ')), Some(Scope::Operate));
        assert_eq!(Scope::highest_of("openid admin".split(' ')), None, "only vtoc: scopes count");
        assert_eq!(Scope::required_for(tool("get_poi")), Scope::Read);
        assert_eq!(Scope::required_for(tool("update_poi")), Scope::Operate);
        assert_eq!(Scope::required_for(tool("delete_poi")), Scope::Admin);
    }

    #[test]
    fn read_only_by_default() {
        let p = Policy::default();
        assert!(p.permits(tool("get_poi"), Scope::Admin).is_ok());
        assert!(matches!(p.permits(tool("create_poi"), Scope::Admin), Err(Refusal::Policy(_))));
    }

    #[test]
    fn scopes_gate_writes_and_destruction() {
        let p = Policy { allow_writes: true, ..Policy::default() };
        assert_eq!(
            p.permits(tool("create_poi"), Scope::Read),
            Err(Refusal::Scope { needed: Scope::Operate, has: Scope::Read })
        );
        assert!(p.permits(tool("create_poi"), Scope::Operate).is_ok());
        assert_eq!(
            p.permits(tool("delete_poi"), Scope::Operate),
            Err(Refusal::Scope { needed: Scope::Admin, has: Scope::Operate })
        );
        assert!(p.permits(tool("delete_poi"), Scope::Admin).is_ok());
        assert!(p.needs_confirmation(tool("delete_poi")) && !p.needs_confirmation(tool("update_poi")));
    }

    #[test]
    fn allow_and_deny_lists_by_name_glob_and_tag() {
        let p = Policy { allow_writes: true, deny: patterns("hw_*, tag:agent-actions"), ..Policy::default() };
        assert!(p.serves(tool("hw_status")).is_err());
        assert!(p.serves(tool("h4m_import")).is_ok(), "tagged hardware but not matching hw_*");
        assert!(p.serves(tool("execute_action")).is_err());
        let p = Policy { allow: patterns("tag:poi,check_imei"), ..Policy::default() };
        assert!(p.serves(tool("get_poi")).is_ok() && p.serves(tool("check_imei")).is_ok());
        assert!(p.serves(tool("list_stations")).is_err());
        let both = Policy { allow: patterns("*_poi"), deny: patterns("get_poi"), ..Policy::default() };
        assert!(both.serves(tool("get_poi")).is_err(), "deny wins");
    }

    #[test]
    fn globs() {
        assert!(glob(b"*", b"anything"));
        assert!(glob(b"get_*", b"get_poi"));
        assert!(glob(b"*_poi*", b"list_poi_identifiers"));
        assert!(glob(b"?et_poi", b"get_poi"));
        assert!(!glob(b"get_*", b"list_poi"));
        assert!(!glob(b"get", b"get_poi"));
    }

    #[test]
    fn context_precedence() {
        let arg = Context { station: Some("arg-st".into()), ..Context::default() };
        let hdr = Context { station: Some("hdr-st".into()), channel: Some("hdr-ch".into()), ..Context::default() };
        let def = Context {
            station: Some("def-st".into()),
            channel: Some("def-ch".into()),
            initiator: Some("def-in".into()),
        };
        let c = Context::resolve(&arg, &hdr, &def, Some("caller"));
        assert_eq!(
            c,
            Context {
                station: Some("arg-st".into()),
                channel: Some("hdr-ch".into()),
                initiator: Some("def-in".into())
            }
        );
        let c = Context::resolve(&Context::default(), &Context::default(), &Context::default(), Some("ops-agent"));
        assert_eq!(c.initiator.as_deref(), Some("ops-agent"));
        assert_eq!(c.station, None);
        let mut h = http::HeaderMap::new();
        h.insert("x-station-slug", "relay-north".parse().unwrap());
        h.insert("x-chatkit-thread", "t-9".parse().unwrap());
        assert_eq!(Context::from_headers(&h).station.as_deref(), Some("relay-north"));
        assert_eq!(Context::from_headers(&h).channel.as_deref(), Some("t-9"));
    }
}
