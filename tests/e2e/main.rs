//! End-to-end: a real MCP client (rmcp) → the bridge → a recording vTOC backend, all on
//! loopback. Each test asserts the exact HTTP request the backend received and the result
//! the client got, or that the backend received nothing.

mod calls;
mod common;
mod console;
mod contract;
mod discover;
mod errors;
mod faults;
mod guardrails;
mod hostile;
mod http_edge;
mod lifecycle;
mod listing;
mod messages;
mod oauth;
mod resources;
mod secrets;
mod transports;
mod workflow;
