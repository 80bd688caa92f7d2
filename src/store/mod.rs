//! State that replicas share, in Redis or Valkey (`MCP_STATE_URL`): what one process alone
//! cannot guarantee once several answer the same callers. The record that a 2026
//! confirmation state was used, so a replayed confirmation is refused on every replica; and
//! the events of resumable streams, so a client whose stream dropped can resume it on any
//! replica (`transport/events.rs`).
//!
//! Owns the connection (made lazily, remade after a failure, every command bounded by a
//! short timeout) and the key layout. Knows nothing of MCP, HTTP or the backend: callers
//! decide what a failure means (a confirmation fails closed).

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use tokio::sync::OnceCell;

/// Every key this program writes starts with this, so one Redis can serve other programs.
const PREFIX: &str = "vtoc-mcp:";

/// How long one command (or one connection attempt) may take before the store counts as
/// unreachable: a confirmation waits at most about this long for its answer.
const TIMEOUT: Duration = Duration::from_millis(1500);

/// A Redis or Valkey server shared by the replicas.
pub struct SharedStore {
    client: redis::Client,
    manager: OnceCell<ConnectionManager>,
    /// The URL without its password, for messages and logs.
    shown: String,
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("the shared state store ({url}, MCP_STATE_URL) did not answer: {reason}")]
    Unreachable { url: String, reason: String },
}

/// The answer to "claim this key once".
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it: it is now taken until it expires.
    Fresh,
    /// Someone (this replica or another) took it before.
    Taken,
}

impl SharedStore {
    /// `redis://[user@]host[:port][/db]` or `rediss://…` (TLS). The password comes from
    /// `password` (a secret file) or, less safely, from the URL itself; it is never shown.
    /// No connection is made here.
    pub fn open(url: &str, password: Option<&SecretString>) -> Result<SharedStore, StoreError> {
        // The URL may hold a password: messages never repeat it.
        let parsed = url::Url::parse(url).map_err(|e| {
            StoreError::Config(format!("is not a URL ({e}); use redis://host:6379 or rediss://host:6380"))
        })?;
        if !matches!(parsed.scheme(), "redis" | "rediss" | "valkey" | "valkeys") {
            return Err(StoreError::Config(format!(
                "the scheme {:?} is not redis:// or rediss:// (TLS); e.g. redis://redis:6379",
                parsed.scheme()
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(StoreError::Config(format!(
                "{url:?} names no host; use redis://host:6379 (or rediss:// for TLS)"
            )));
        }
        let mut shown = parsed.clone();
        let _ = shown.set_password(None);
        let shown = shown.to_string();
        let mut info = redis::IntoConnectionInfo::into_connection_info(parsed)
            .map_err(|e| StoreError::Config(format!("{shown}: {e}")))?;
        if let Some(password) = password {
            let settings = info.redis_settings().clone().set_password(password.expose_secret().trim());
            info = info.set_redis_settings(settings);
        }
        let client = redis::Client::open(info).map_err(|e| StoreError::Config(format!("{shown}: {e}")))?;
        Ok(SharedStore { client, manager: OnceCell::new(), shown })
    }

    /// The URL, without a password.
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn unreachable(&self, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Unreachable { url: self.shown.clone(), reason: reason.to_string() }
    }

    /// The connection, made on first use; the manager reconnects by itself after a
    /// failure, so a store that comes back is used again without a restart.
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let manager = self
            .manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await
            .map_err(|e| self.unreachable(e))?;
        Ok(manager.clone())
    }

    /// One command. A connection that failed earlier (the store was down) is remade by the
    /// failure itself, so a command that finds the old connection broken is sent once
    /// more, on the new one: the first call after the store comes back succeeds.
    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        match cmd.query_async(&mut conn).await {
            Err(e) if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() => {
                cmd.query_async(&mut conn).await.map_err(|e| self.unreachable(e))
            }
            other => other.map_err(|e| self.unreachable(e)),
        }
    }

    /// Takes `key` (in `space`) for `ttl` if nobody has: one atomic `SET NX PX`, so of
    /// any number of replicas asking at once exactly one gets [`Claim::Fresh`]. (Should a
    /// first attempt have been applied but its answer lost, the retry finds the key taken:
    /// the failure is a refusal, never a second run.)
    pub async fn claim_once(&self, space: &str, key: &str, ttl: Duration) -> Result<Claim, StoreError> {
        let millis = ttl.as_millis().clamp(1, u64::MAX as u128) as u64;
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{PREFIX}{space}:{key}")).arg(1).arg("NX").arg("PX").arg(millis);
        let set: Option<String> = self.query(&cmd).await?;
        Ok(if set.is_some() { Claim::Fresh } else { Claim::Taken })
    }

    /// Appends `item` to the list `key` (in `space`), keeping its last `max_len` items and
    /// the whole list for `ttl` after the last append: one pipelined round trip.
    pub async fn append(
        &self,
        space: &str,
        key: &str,
        item: String,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let key = format!("{PREFIX}{space}:{key}");
        let mut pipe = redis::pipe();
        pipe.cmd("RPUSH").arg(&key).arg(item).ignore();
        pipe.cmd("LTRIM").arg(&key).arg(-(max_len as i64)).arg(-1).ignore();
        pipe.cmd("PEXPIRE").arg(&key).arg(ttl.as_millis().clamp(1, u64::MAX as u128) as u64).ignore();
        let mut conn = self.connection().await?;
        let sent: Result<(), _> = pipe.query_async(&mut conn).await;
        match sent {
            Err(e) if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() => {
                pipe.query_async(&mut conn).await.map_err(|e| self.unreachable(e))
            }
            other => other.map_err(|e| self.unreachable(e)),
        }
    }

    /// The items of the list `key` (in `space`), oldest first; none when it is gone.
    pub async fn items(&self, space: &str, key: &str) -> Result<Vec<String>, StoreError> {
        let mut cmd = redis::cmd("LRANGE");
        cmd.arg(format!("{PREFIX}{space}:{key}")).arg(0).arg(-1);
        self.query(&cmd).await
    }

    /// One round trip (`PING`), timed: for `doctor` and `/healthz`.
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let started = std::time::Instant::now();
        let pong: String = self.query(&redis::cmd("PING")).await?;
        if pong != "PONG" {
            return Err(self.unreachable(format!("PING answered {pong:?}")));
        }
        Ok(started.elapsed())
    }
}

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedStore").field("url", &self.shown).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let store = SharedStore::open("redis://:hunter2@redis:6379/0", None).unwrap();
        assert_eq!(store.url(), "redis://redis:6379/0");
        assert!(!format!("{store:?}").contains("hunter2"));
        let from_file = SharedStore::open("rediss://user@redis:6380", Some(&"s3cret\n".into())).unwrap();
        assert!(!from_file.url().contains("s3cret"));
        assert_eq!(from_file.client.get_connection_info().redis_settings().password(), Some("s3cret"));
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        let e = SharedStore::open("http://redis:6379", None).unwrap_err().to_string();
        assert!(e.contains("redis://") && e.contains("http"), "{e}");
        let e = SharedStore::open("redis:6379", None).unwrap_err().to_string();
        assert!(e.contains("redis://"), "{e}");
        let e = SharedStore::open("redis://:hunter2@[bad", None).unwrap_err().to_string();
        assert!(e.contains("not a URL") && !e.contains("hunter2"), "{e}");
    }

    #[tokio::test]
    async fn an_unreachable_store_fails_fast_and_names_itself() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let store = SharedStore::open(&format!("redis://127.0.0.1:{port}"), None).unwrap();
        let started = std::time::Instant::now();
        let e = store.claim_once("confirm", "n", Duration::from_secs(5)).await.unwrap_err().to_string();
        assert!(e.contains(&format!("127.0.0.1:{port}")) && e.contains("MCP_STATE_URL"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10), "bounded by the timeouts");
    }
}
