//! Test harness shared by the demo's unit tests: a running demo backend on loopback, a plain
//! HTTP client that does not follow redirects, and helpers for compact JSON assertions.

use std::net::SocketAddr;

use axum::Router;
use axum::http::HeaderMap;
use serde_json::Value;

use super::{DemoState, Obj, spawn};

/// A running demo backend; dropping it shuts the server down.
pub(super) struct Server {
    pub(super) base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Value,
}

fn client() -> reqwest::Client {
    // The crate builds reqwest with `rustls-no-provider`; any provider will do for http://.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http client")
}

/// The demo backend with `state`, served through the public [`spawn`].
pub(super) async fn start(state: DemoState) -> Server {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let (bound, _) = spawn(addr, state, shutdown).await.expect("bind");
    Server { base: format!("http://{bound}"), client: client(), _stop: stop }
}

/// Any router (e.g. one built from a synthetic spec) served on loopback.
pub(super) async fn serve(app: Router) -> Server {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let bound = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    });
    Server { base: format!("http://{bound}"), client: client(), _stop: stop }
}

/// Only `keys` of an object, for compact assertions.
pub(super) fn pick(v: &Value, keys: &[&str]) -> Value {
    keys.iter().map(|k| (k.to_string(), v[*k].clone())).collect::<Obj>().into()
}

pub(super) fn field<'a>(items: &'a Value, key: &str) -> Vec<&'a Value> {
    items.as_array().into_iter().flatten().map(|i| &i[key]).collect()
}

impl Server {
    pub(super) fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub(super) async fn send(&self, rb: reqwest::RequestBuilder) -> Reply {
        let resp = rb.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("response body");
        let body = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes).expect("JSON response body"),
        };
        Reply { status, headers, body }
    }

    pub(super) async fn call(&self, method: &str, path: &str, body: &Value, hdrs: &[(&str, &str)]) -> Reply {
        let mut rb = self.request(method, path);
        for (k, v) in hdrs {
            rb = rb.header(*k, *v);
        }
        if !body.is_null() {
            rb = rb.json(body);
        }
        self.send(rb).await
    }

    pub(super) async fn get(&self, path: &str) -> Value {
        let reply = self.call("GET", path, &Value::Null, &[]).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.body
    }

    pub(super) async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, &body, &[]).await
    }

    pub(super) async fn patch(&self, path: &str, body: Value) -> Value {
        let reply = self.call("PATCH", path, &body, &[]).await;
        assert_eq!(reply.status, 200, "PATCH {path}: {}", reply.body);
        reply.body
    }

    pub(super) async fn raw(&self, path: &str, body: Vec<u8>, content_type: &str) -> Reply {
        let rb = self.request("POST", path).header("content-type", content_type);
        self.send(rb.body(body)).await
    }
}
