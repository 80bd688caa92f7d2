//! The events of 2025-era SSE streams, kept so a client that lost its stream gets what it
//! missed (`GET /mcp` with `Last-Event-ID`).
//!
//! rmcp's own cache forgets a request's stream the moment its response is sent, so a
//! client whose POST stream dropped before the result arrived could never get that result
//! (the action ran; its answer was lost), and a resume replayed the given event itself.
//! rmcp lets a server supply an [`EventStore`]; this one keeps each stream's events in
//! memory for a while after its last event, replays strictly after the given id, and
//! numbers events so an id is unique across every stream of every session. Ids carry a
//! random stream token: a client cannot name, and so cannot read, another client's stream.
//!
//! Bounded: at most [`MAX_EVENTS_PER_STREAM`] events a stream (the oldest go first), at
//! most [`MAX_STREAMS`] streams (the least recently written go first), and a stream is
//! forgotten [`KEEP`] after its last event.

use rmcp::transport::streamable_http_server::session::ServerSseMessage;
use rmcp::transport::streamable_http_server::session::{EventStore, EventStoreError, EventStream};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a stream's events stay resumable after its last event.
pub const KEEP: Duration = Duration::from_secs(300);
/// Events kept per stream.
pub const MAX_EVENTS_PER_STREAM: usize = 1024;
/// Streams kept at once.
pub const MAX_STREAMS: usize = 20_000;

struct Stream {
    token: String,
    /// (sequence number, event), oldest first.
    events: VecDeque<(u64, ServerSseMessage)>,
    last_write: Instant,
}

#[derive(Default)]
struct State {
    /// By rmcp's stream id.
    streams: HashMap<String, Stream>,
    /// Stream token → rmcp's stream id.
    by_token: HashMap<String, String>,
    next_seq: u64,
}

/// The in-memory event store (one per HTTP server).
#[derive(Default)]
pub struct Events {
    state: Mutex<State>,
}

impl Events {
    fn evict(state: &mut State, now: Instant) {
        if state.streams.len() < MAX_STREAMS && !state.next_seq.is_multiple_of(256) {
            return;
        }
        let State { streams, by_token, .. } = state;
        streams.retain(|_, s| {
            let keep = now.duration_since(s.last_write) < KEEP;
            if !keep {
                by_token.remove(&s.token);
            }
            keep
        });
        while streams.len() >= MAX_STREAMS {
            let Some(oldest) = streams.iter().min_by_key(|(_, s)| s.last_write).map(|(k, _)| k.clone()) else { break };
            if let Some(s) = streams.remove(&oldest) {
                by_token.remove(&s.token);
            }
        }
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait::async_trait]
impl EventStore for Events {
    async fn store_event(&self, stream_id: &str, event: &ServerSseMessage) -> Result<String, EventStoreError> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !state.streams.contains_key(stream_id) {
            Self::evict(&mut state, now);
            let token = random_token();
            state.by_token.insert(token.clone(), stream_id.to_string());
            state.streams.insert(stream_id.to_string(), Stream { token, events: VecDeque::new(), last_write: now });
        }
        state.next_seq += 1;
        let seq = state.next_seq;
        let stream = state.streams.get_mut(stream_id).expect("inserted above");
        if stream.events.len() >= MAX_EVENTS_PER_STREAM {
            stream.events.pop_front();
        }
        let id = format!("{}-{seq}", stream.token);
        let mut stored = event.clone();
        stored.event_id = Some(id.clone());
        stream.events.push_back((seq, stored));
        stream.last_write = now;
        Ok(id)
    }

    async fn replay_events_after(&self, last_event_id: &str) -> Result<EventStream, EventStoreError> {
        let (token, seq) = last_event_id
            .rsplit_once('-')
            .and_then(|(t, s)| Some((t, s.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("Last-Event-ID {last_event_id:?} is not an event id of this server"))?;
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let stream = state.by_token.get(token).and_then(|id| state.streams.get(id)).ok_or_else(|| {
            format!("no stream has event {last_event_id} (it ended more than {} s ago)", KEEP.as_secs())
        })?;
        let after: Vec<ServerSseMessage> =
            stream.events.iter().filter(|(s, _)| *s > seq).map(|(_, e)| e.clone()).collect();
        Ok(Box::pin(futures::stream::iter(after)))
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
    }
}
