//! The generated MCP tool wrappers and tool table (`OUT_DIR/tools.rs`, mirrored in
//! `generated/tools.rs`). Each wrapper decodes arguments into the generated client's
//! types, calls it, and hands the result to `support::finish`.

include!(concat!(env!("OUT_DIR"), "/tools.rs"));
