//! Checking credentials: static bearer tokens (compared as SHA-256 in constant time) and
//! OAuth 2.1 access tokens (JWT, validated against the issuer's JWKS, audience included,
//! as the MCP authorization spec asks), plus the RFC 9728 metadata that points clients at
//! the authorization server. The HTTP guard (`transport::guard`) asks these; stdio has
//! the local caller.

use super::policy::Scope;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::{Duration, Instant};

/// Static tokens: name, scope, SHA-256 of the token. The token itself is not kept.
#[derive(Clone, Default)]
pub struct StaticTokens {
    entries: Vec<(String, Scope, [u8; 32])>,
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.iter().map(|(n, s, _)| (n, s))).finish()
    }
}

/// An entry of MCP_AUTH_TOKENS that cannot be used: which one (1-based, never the token
/// itself) and why.
#[derive(Debug, thiserror::Error)]
#[error("entry {entry}{}: {problem}", name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default())]
pub struct TokenEntryError {
    pub entry: usize,
    pub name: Option<String>,
    pub problem: TokenProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenProblem {
    #[error("expected NAME:SCOPE:TOKEN")]
    Shape,
    #[error("scope {0:?} is not read, operate or admin")]
    Scope(String),
    #[error("the name must be letters, digits, - _ . @")]
    Name,
    #[error("the token is shorter than {MIN_TOKEN_LEN} characters; generate one with `openssl rand -hex 32`")]
    Short,
    #[error("the name is used twice")]
    Duplicate,
}

/// Why no key could check a JWT.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot fetch the JWKS from {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the JWKS at {url} answered HTTP {status}")]
    Status { url: String, status: reqwest::StatusCode },
    #[error("the JWKS at {url} is not a key set: {source}")]
    NotAKeySet { url: String, source: reqwest::Error },
    #[error("no key with kid {0:?} in the JWKS")]
    UnknownKid(String),
    #[error("the token names no key (kid) and the JWKS has several")]
    NoKid,
    #[error("unusable JWK: {0}")]
    Unusable(#[source] jsonwebtoken::errors::Error),
}

/// Tokens shorter than this are refused at start.
pub const MIN_TOKEN_LEN: usize = 32;

impl StaticTokens {
    /// `NAME:SCOPE:TOKEN` entries separated by commas or newlines; `#` starts a comment.
    /// SCOPE is `read`, `operate` or `admin` (or `vtoc:read`, ...).
    pub fn parse(text: &str) -> Result<StaticTokens, TokenEntryError> {
        let mut entries = Vec::new();
        for (i, raw) in text.split(['\n', ',']).enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fail = |name: Option<&str>, problem| TokenEntryError {
                entry: i + 1,
                name: name.map(|n| format!("{:?}", n.trim())),
                problem,
            };
            let (name, rest) = line.split_once(':').ok_or_else(|| fail(None, TokenProblem::Shape))?;
            let (scope, token) = rest.rsplit_once(':').ok_or_else(|| fail(Some(name), TokenProblem::Shape))?;
            let scope = Scope::parse(scope).ok_or_else(|| fail(Some(name), TokenProblem::Scope(scope.into())))?;
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
                return Err(fail(Some(name), TokenProblem::Name));
            }
            if token.len() < MIN_TOKEN_LEN {
                return Err(fail(Some(name), TokenProblem::Short));
            }
            if entries.iter().any(|(n, _, _): &(String, Scope, [u8; 32])| n == name) {
                return Err(fail(Some(name), TokenProblem::Duplicate));
            }
            entries.push((name.to_string(), scope, Sha256::digest(token.as_bytes()).into()));
        }
        Ok(StaticTokens { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry whose token this is. Every entry is compared, in constant time, so the
    /// time taken says nothing about which entry (or how much of one) matched.
    pub fn check(&self, presented: &str) -> Option<(&str, Scope)> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (name, scope, stored) in &self.entries {
            if same_digest(stored, &digest) {
                found = Some((name.as_str(), *scope));
            }
        }
        found
    }
}

/// Whether a presented secret is the expected one, in time that depends on neither (their
/// digests are compared, in constant time): for a single credential such as the metrics token.
pub fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    same_digest(&Sha256::digest(presented).into(), &Sha256::digest(expected).into())
}

fn same_digest(a: &[u8; 32], b: &[u8; 32]) -> bool {
    std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

/// OAuth 2.1 resource-server settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`: this server's canonical URL (e.g. `https://mcp.example.com/mcp`).
    pub audience: String,
    pub jwks_url: String,
    /// Listed in the protected resource metadata; defaults to the issuer.
    pub authorization_servers: Vec<String>,
}

/// Validates JWT access tokens against a JWKS that is fetched lazily, cached, and
/// refetched (at most every 30 s) when a token names an unknown key.
pub struct JwtVerifier {
    config: OAuthConfig,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<Option<(Instant, JwkSet)>>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    azp: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<serde_json::Value>,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid(String),
    /// Valid, but with no `vtoc:*` scope.
    NoScope,
}

const JWKS_TTL: Duration = Duration::from_secs(300);
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl JwtVerifier {
    pub fn new(config: OAuthConfig, http: reqwest::Client) -> JwtVerifier {
        JwtVerifier { config, http, keys: tokio::sync::RwLock::new(None), refresh: tokio::sync::Mutex::new(()) }
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    async fn fetch(&self) -> Result<JwkSet, KeyError> {
        let url = || self.config.jwks_url.clone();
        let response = self
            .http
            .get(&self.config.jwks_url)
            .send()
            .await
            .map_err(|source| KeyError::Unreachable { url: url(), source })?;
        if !response.status().is_success() {
            return Err(KeyError::Status { url: url(), status: response.status() });
        }
        response.json::<JwkSet>().await.map_err(|source| KeyError::NotAKeySet { url: url(), source })
    }

    /// The key set, fetched when missing, stale, or (rate-limited) when `kid` is unknown.
    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, KeyError> {
        let lookup = |set: &JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        {
            let guard = self.keys.read().await;
            if let Some((at, set)) = guard.as_ref()
                && at.elapsed() < JWKS_TTL
                && let Some(jwk) = lookup(set)
            {
                return DecodingKey::from_jwk(&jwk).map_err(KeyError::Unusable);
            }
        }
        let _one_at_a_time = self.refresh.lock().await;
        let recent = self.keys.read().await.as_ref().is_some_and(|(at, _)| at.elapsed() < JWKS_MIN_REFRESH);
        if !recent {
            let set = self.fetch().await?;
            *self.keys.write().await = Some((Instant::now(), set));
        }
        let guard = self.keys.read().await;
        let jwk = guard.as_ref().and_then(|(_, set)| lookup(set)).ok_or_else(|| match kid {
            Some(k) => KeyError::UnknownKid(k.to_string()),
            None => KeyError::NoKid,
        })?;
        DecodingKey::from_jwk(&jwk).map_err(KeyError::Unusable)
    }

    pub async fn verify(&self, token: &str) -> Result<(String, Scope), AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(format!("malformed token: {e}")))?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.key_for(header.kid.as_deref()).await.map_err(|e| AuthError::Invalid(e.to_string()))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AuthError::Invalid(
                match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::InvalidAudience => "the token was not issued for this server (audience)",
                    K::InvalidIssuer => "the token was issued by another issuer",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::InvalidSignature => "the token signature is invalid",
                    K::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss, aud)",
                    _ => "the token is invalid",
                }
                .to_string(),
            )
        })?;
        let c = data.claims;
        let scopes: Vec<String> = match (&c.scope, &c.scp) {
            (Some(s), _) => s.split_whitespace().map(str::to_owned).collect(),
            (None, Some(serde_json::Value::Array(items))) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            (None, Some(serde_json::Value::String(s))) => s.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let scope = Scope::highest_of(scopes.iter().map(String::as_str)).ok_or(AuthError::NoScope)?;
        let name = c.sub.or(c.client_id).or(c.azp).unwrap_or_else(|| "oauth-client".into());
        Ok((name, scope))
    }
}

/// RFC 9728 protected resource metadata.
pub fn resource_metadata(oauth: &OAuthConfig) -> serde_json::Value {
    json!({
        "resource": oauth.audience,
        "authorization_servers": oauth.authorization_servers,
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "bearer_methods_supported": ["header"],
        "resource_name": "vTOC MCP server",
        "resource_documentation": "https://github.com/PR-CYBR/vTOC",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "0123456789abcdef0123456789abcdef-ops";
    const T2: &str = "fedcba9876543210fedcba9876543210-adm";

    #[test]
    fn static_tokens_parse_and_match() {
        let tokens = StaticTokens::parse(&format!("# agents\nops-agent:operate:{T1}\nroot:vtoc:admin:{T2}\n")).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.check(T1), Some(("ops-agent", Scope::Operate)));
        assert_eq!(tokens.check(T2), Some(("root", Scope::Admin)));
        assert_eq!(tokens.check("wrong"), None);
        assert_eq!(tokens.check(&T1[..T1.len() - 1]), None);
        assert!(!format!("{tokens:?}").contains("0123"), "tokens never print");
        let inline = StaticTokens::parse(&format!("a:read:{T1},b:admin:{T2}")).unwrap();
        assert_eq!(inline.check(T2), Some(("b", Scope::Admin)));
    }

    #[test]
    fn bad_static_tokens_are_refused_with_the_entry_named() {
        assert!(StaticTokens::parse("ops:operate:short").unwrap_err().to_string().contains("shorter than 32"));
        assert!(StaticTokens::parse(&format!("ops:root:{T1}")).unwrap_err().to_string().contains("\"root\""));
        assert!(StaticTokens::parse("nocolons").unwrap_err().to_string().contains("NAME:SCOPE:TOKEN"));
        assert!(StaticTokens::parse(&format!("a:read:{T1}\na:read:{T2}")).unwrap_err().to_string().contains("twice"));
        assert!(
            StaticTokens::parse(&format!("bad name:read:{T1}")).unwrap_err().to_string().contains("must be letters")
        );
    }
}
