//! Who is calling: the caller a request was authenticated as, and how.

use super::policy::Scope;
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A token from MCP_AUTH_TOKENS / MCP_AUTH_TOKENS_FILE.
    StaticToken,
    /// An OAuth 2.1 access token (JWT).
    Oauth,
    /// stdio, or HTTP without authentication (loopback or `--insecure-no-auth`).
    Local,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// For audit and limits: the token's name, or the JWT subject.
    pub name: String,
    pub scope: Scope,
    pub method: AuthMethod,
    /// The caller's own bearer token, kept only when `MCP_FORWARD_CALLER_TOKEN` is on.
    pub token: Option<SecretString>,
}

impl Caller {
    pub fn local(scope: Scope) -> Caller {
        Caller { name: "local".into(), scope, method: AuthMethod::Local, token: None }
    }
}
