//! The command line: settings ([`config`], every variable and flag), the one check of
//! what `serve` starts with ([`check`], which `doctor` runs too), developer and operator
//! workflows ([`workflow`]: `sync-spec`, `doctor`, the start-up contract check, `init`)
//! and the tool-surface diff ([`surface`]).
//!
//! The CLI computes and writes files; `main.rs` prints and sets exit codes. Nothing here
//! runs during a tool call.

pub mod check;
pub mod config;
pub mod surface;
pub mod workflow;
