//! The events of 2025-era SSE streams, kept so a client that lost its stream gets what it
//! missed (`GET /mcp` with `Last-Event-ID`).
//!
//! rmcp's own cache forgets a request's stream the moment its response is sent, so a
//! client whose POST stream dropped before the result arrived could never get that result
//! (the action ran; its answer was lost), and a resume replayed the given event itself.
//! rmcp lets a server supply an [`EventStore`]; this one keeps each stream's events in
//! memory for a while, replays strictly after the given id, and
//! numbers events so an id is unique across every stream of every session. Ids carry a
//! random stream token: a client cannot name, and so cannot read, another client's stream.
//!
//! Bounded: a stream is forgotten [`KEEP`] after it began (rmcp's own cache keeps a
//! completed request's events for as long); at most [`MAX_EVENTS_PER_STREAM`] events a
//! stream; and at most [`MAX_BYTES`] of events in all (each event's size is its JSON as
//! sent), the oldest streams forgotten first. Eviction is first-in first-out, O(1) a stream.
//!
//! With a shared store (`MCP_STATE_URL`), [`Shared`] also copies to Redis every event of
//! the streams answered without a session ([`Sessions`] keeps a session's streams here,
//! with the session), under its unguessable stream token, with the same bounds, so a `GET` with
//! `Last-Event-ID` on another replica replays what the client missed. That holds for the
//! streams rmcp resumes without a session: every 2026-07-28 request, and 2025-era requests
//! of a stateless server (`MCP_STATELESS=true`). A 2025 session's stream is resumed inside
//! its session, which lives on one replica. The copy is written beside the stream, not in
//! its way; when the store cannot be reached, resumption falls back to this process's
//! memory, and the log says so once until the store answers again.

use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::{EventStore, EventStoreError, EventStream};
use rmcp::transport::streamable_http_server::session::{RestoreOutcome, ServerSseMessage, SessionId, SessionManager};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a stream's events stay resumable after it began.
pub const KEEP: Duration = Duration::from_secs(60);
/// Events kept per stream.
pub const MAX_EVENTS_PER_STREAM: usize = 256;
/// Bytes of events kept in all.
pub const MAX_BYTES: usize = 32 << 20;

struct Stream {
    token: String,
    /// (sequence number, size in bytes, event), oldest first.
    events: VecDeque<(u64, usize, ServerSseMessage)>,
    bytes: usize,
}

#[derive(Default)]
struct State {
    /// By rmcp's stream id.
    streams: HashMap<String, Stream>,
    /// Stream token → rmcp's stream id.
    by_token: HashMap<String, String>,
    /// Streams in the order they began: (began, rmcp's stream id).
    order: VecDeque<(Instant, String)>,
    bytes: usize,
    next_seq: u64,
}

impl State {
    fn forget_oldest(&mut self) {
        if let Some((_, id)) = self.order.pop_front()
            && let Some(stream) = self.streams.remove(&id)
        {
            self.by_token.remove(&stream.token);
            self.bytes -= stream.bytes;
        }
    }
}

/// The in-memory event store (one per HTTP server).
pub struct Events {
    state: Mutex<State>,
    /// Keys the stream tokens (SipHash with a random key: unpredictable, no syscall).
    tokens: (RandomState, RandomState),
}

impl Default for Events {
    fn default() -> Events {
        Events { state: Mutex::default(), tokens: (RandomState::new(), RandomState::new()) }
    }
}

impl Events {
    /// (events kept, their bytes), for the metrics.
    pub fn size(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (state.streams.values().map(|s| s.events.len()).sum(), state.bytes)
    }
}

/// The size of an event as sent (its message's JSON and room for the SSE framing), without
/// building the JSON.
fn size_of(event: &ServerSseMessage) -> usize {
    event.message.as_deref().map_or(0, crate::guard::truncate::json_len).saturating_add(64)
}

#[async_trait::async_trait]
impl EventStore for Events {
    async fn store_event(&self, stream_id: &str, event: &ServerSseMessage) -> Result<String, EventStoreError> {
        let now = Instant::now();
        let size = size_of(event);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while state.order.front().is_some_and(|(began, _)| now.duration_since(*began) >= KEEP) {
            state.forget_oldest();
        }
        while state.bytes + size > MAX_BYTES && !state.order.is_empty() {
            state.forget_oldest();
        }
        state.next_seq += 1;
        let seq = state.next_seq;
        if !state.streams.contains_key(stream_id) {
            let token = format!("{:016x}{:016x}", self.tokens.0.hash_one(seq), self.tokens.1.hash_one(seq));
            state.by_token.insert(token.clone(), stream_id.to_string());
            state.order.push_back((now, stream_id.to_string()));
            state.streams.insert(stream_id.to_string(), Stream { token, events: VecDeque::new(), bytes: 0 });
        }
        let stream = state.streams.get_mut(stream_id).expect("inserted above");
        let mut freed = 0;
        if stream.events.len() >= MAX_EVENTS_PER_STREAM
            && let Some((_, old, _)) = stream.events.pop_front()
        {
            freed = old;
        }
        let id = format!("{}-{seq}", stream.token);
        let mut stored = event.clone();
        stored.event_id = Some(id.clone());
        stream.events.push_back((seq, size, stored));
        stream.bytes = stream.bytes + size - freed;
        state.bytes = state.bytes + size - freed;
        Ok(id)
    }

    async fn replay_events_after(&self, last_event_id: &str) -> Result<EventStream, EventStoreError> {
        let (token, seq) = parse_id(last_event_id)?;
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let stream =
            state.by_token.get(token).and_then(|id| state.streams.get(id)).ok_or_else(|| {
                format!("no stream has event {last_event_id} (streams are kept {} s)", KEEP.as_secs())
            })?;
        let after: Vec<ServerSseMessage> =
            stream.events.iter().filter(|(s, _, _)| *s > seq).map(|(_, _, e)| e.clone()).collect();
        Ok(Box::pin(futures::stream::iter(after)))
    }
}

/// The list space of stream events in the shared store.
const SPACE: &str = "events";

/// One event as the shared store keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    seq: u64,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_ms: Option<u64>,
}

/// The event id's parts: the stream token and the event's sequence number.
fn parse_id(id: &str) -> Result<(&str, u64), EventStoreError> {
    id.rsplit_once('-')
        .and_then(|(t, s)| Some((t, s.parse::<u64>().ok()?)))
        .ok_or_else(|| format!("Last-Event-ID {id:?} is not an event id of this server").into())
}

/// This process's events, copied to the replicas' shared store (see the module comment).
pub struct Shared {
    local: std::sync::Arc<Events>,
    store: std::sync::Arc<crate::store::SharedStore>,
    /// The store failed and the log said so; cleared when it answers again.
    degraded: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Shared {
    /// `local` keeps this process's copy (and answers the size of what is kept).
    pub fn new(local: std::sync::Arc<Events>, store: std::sync::Arc<crate::store::SharedStore>) -> Shared {
        Shared { local, store, degraded: Default::default() }
    }
}

/// Say once that the shared store is gone, and once that it is back.
fn note_store(degraded: &std::sync::atomic::AtomicBool, failure: Option<&crate::store::StoreError>) {
    use std::sync::atomic::Ordering;
    match failure {
        Some(e) if !degraded.swap(true, Ordering::Relaxed) => tracing::warn!(
            "resumable streams fall back to this replica's memory (a client that resumes on another replica gets nothing): {e}"
        ),
        None if degraded.swap(false, Ordering::Relaxed) => {
            tracing::info!("the shared state store answers again: streams resume on any replica")
        }
        _ => {}
    }
}

#[async_trait::async_trait]
impl EventStore for Shared {
    async fn store_event(&self, stream_id: &str, event: &ServerSseMessage) -> Result<String, EventStoreError> {
        let id = self.local.store_event(stream_id, event).await?;
        let (token, seq) = parse_id(&id)?;
        let stored = Stored {
            seq,
            id: id.clone(),
            message: event.message.as_ref().and_then(|m| serde_json::to_value(&**m).ok()),
            retry_ms: event.retry.map(|r| r.as_millis() as u64),
        };
        let item = serde_json::to_string(&stored).map_err(|e| e.to_string())?;
        let (store, degraded, token) = (self.store.clone(), self.degraded.clone(), token.to_string());
        // Beside the stream, not in its way: the event goes to the client now. Writes of one
        // stream may land out of order; replay sorts them by sequence.
        tokio::spawn(async move {
            let written = store.append(SPACE, &token, item, MAX_EVENTS_PER_STREAM, KEEP).await;
            note_store(&degraded, written.as_ref().err());
        });
        Ok(id)
    }

    async fn replay_events_after(&self, last_event_id: &str) -> Result<EventStream, EventStoreError> {
        if let Ok(here) = self.local.replay_events_after(last_event_id).await {
            return Ok(here);
        }
        let (token, seq) = parse_id(last_event_id)?;
        let items = self.store.items(SPACE, token).await;
        note_store(&self.degraded, items.as_ref().err());
        let mut events: Vec<Stored> =
            items?.iter().filter_map(|i| serde_json::from_str::<Stored>(i).ok()).filter(|e| e.seq > seq).collect();
        if events.is_empty() {
            return Err(format!("no stream has event {last_event_id} (streams are kept {} s)", KEEP.as_secs()).into());
        }
        events.sort_by_key(|e| e.seq);
        // The struct is non-exhaustive: built from its constructors, then its fields set.
        let replay = events.into_iter().map(|e| {
            let mut event = ServerSseMessage::retry(Duration::ZERO);
            event.event_id = Some(e.id);
            event.message = e.message.and_then(|m| serde_json::from_value(m).ok()).map(std::sync::Arc::new);
            event.retry = e.retry_ms.map(Duration::from_millis);
            event
        });
        Ok(Box::pin(futures::stream::iter(replay.collect::<Vec<_>>())))
    }
}

/// The session manager rmcp is given: rmcp's own, whose sessions keep their streams'
/// events in this process only, with [`Shared`] offered for the streams answered without a
/// session. A 2025 session lives on one replica, and so does the resumption of its
/// streams: copying their events to the shared store bought nothing and cost a 2025 call
/// 46% more CPU (`make bench BENCH_ARGS='--only store'`, docs/performance.md).
pub struct Sessions {
    pub inner: std::sync::Arc<LocalSessionManager>,
    /// Where streams without a session keep their events: [`Shared`] with a shared store,
    /// else the session manager's own store.
    pub sessionless: Option<std::sync::Arc<dyn EventStore>>,
}

impl SessionManager for Sessions {
    type Error = <LocalSessionManager as SessionManager>::Error;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    fn create_session(&self) -> impl Future<Output = Result<(SessionId, Self::Transport), Self::Error>> + Send {
        self.inner.create_session()
    }

    fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<ServerJsonRpcMessage, Self::Error>> + Send {
        self.inner.initialize_session(id, message)
    }

    fn has_session(&self, id: &SessionId) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        self.inner.has_session(id)
    }

    fn close_session(&self, id: &SessionId) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close_session(id)
    }

    fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>>
    + Send {
        self.inner.create_stream(id, message)
    }

    fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.accept_message(id, message)
    }

    fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>>
    + Send {
        self.inner.create_standalone_stream(id)
    }

    fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> impl Future<Output = Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>>
    + Send {
        self.inner.resume(id, last_event_id)
    }

    fn restore_session(
        &self,
        id: SessionId,
    ) -> impl Future<Output = Result<RestoreOutcome<Self::Transport>, Self::Error>> + Send {
        self.inner.restore_session(id)
    }

    fn event_store(&self) -> Option<std::sync::Arc<dyn EventStore>> {
        self.sessionless.clone().or_else(|| self.inner.event_store())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn event() -> ServerSseMessage {
        ServerSseMessage::retry(Duration::from_secs(3))
    }

    async fn ids_after(store: &Events, id: &str) -> Vec<String> {
        store.replay_events_after(id).await.unwrap().map(|e| e.event_id.unwrap()).collect().await
    }

    #[tokio::test]
    async fn replay_is_strictly_after_and_ids_are_unique_across_streams() {
        let store = Events::default();
        let a1 = store.store_event("a", &event()).await.unwrap();
        let b1 = store.store_event("b", &event()).await.unwrap();
        let a2 = store.store_event("a", &event()).await.unwrap();
        let a3 = store.store_event("a", &event()).await.unwrap();
        let all = [&a1, &b1, &a2, &a3];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_eq!(ids_after(&store, &a1).await, [a2.clone(), a3.clone()], "not a1 itself, and not b's");
        assert_eq!(ids_after(&store, &a3).await, Vec::<String>::new());
        assert_eq!(ids_after(&store, &b1).await, Vec::<String>::new());
        assert!(store.replay_events_after("nope").await.is_err());
        assert!(store.replay_events_after("0123-1").await.is_err(), "an unknown stream");
    }

    #[tokio::test]
    async fn streams_are_bounded() {
        let store = Events::default();
        let first = store.store_event("s", &event()).await.unwrap();
        for _ in 0..MAX_EVENTS_PER_STREAM + 10 {
            store.store_event("s", &event()).await.unwrap();
        }
        let replayed = ids_after(&store, &first).await;
        assert_eq!(replayed.len(), MAX_EVENTS_PER_STREAM, "the oldest went first");
        // Bytes in all: a flood of streams forgets the oldest first.
        let many = MAX_BYTES / 64 + 10;
        let oldest = store.store_event("first-of-many", &event()).await.unwrap();
        for i in 0..many {
            store.store_event(&format!("s{i}"), &event()).await.unwrap();
        }
        assert!(store.replay_events_after(&oldest).await.is_err(), "forgotten");
        assert!(store.state.lock().unwrap().bytes <= MAX_BYTES);
    }
}
