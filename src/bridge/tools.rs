//! The generated MCP tool wrappers and tool table (`OUT_DIR/tools.rs`, mirrored in
//! `generated/tools.rs`). Each wrapper decodes arguments into the generated client's
//! types, calls it, and hands the result to `support::finish`.

include!(concat!(env!("OUT_DIR"), "/tools.rs"));

/// Every tool the server offers: the generated ones, then the hand-written ones of
/// [`crate::bridge::custom`].
pub fn all() -> impl Iterator<Item = &'static ToolSpec> {
    TOOLS.iter().chain(crate::bridge::custom::TOOLS.iter())
}
