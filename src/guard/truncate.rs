//! Results larger than the configured limit are cut, never silently.
//!
//! A model pays for every byte it reads, and a listing can be megabytes. The limit
//! (`MCP_MAX_RESULT_BYTES`) bounds what is sent: the structured content *and* its text copy
//! (MCP asks for the JSON in a text block too, and clients such as the OpenAI Agents SDK
//! read only the text). A result over it keeps its shape: the largest arrays lose their
//! last items (then the longest strings their ends), so `structuredContent` still matches
//! the tool's `outputSchema`; the text ends with a marker giving the original size and
//! what was cut, and `_meta` carries the same facts for programs.
//!
//! Values are addressed by JSON Pointer (RFC 6901), so no key (`a.b`, `x[0]`, `a/b`, `~`)
//! can defeat the limit, and the cutting takes a bounded number of passes: each pass
//! measures the whole value once and cuts in proportion to the excess.

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

/// `_meta` key describing a cut.
pub const META_KEY: &str = "vtoc-mcp/truncated";

/// At most this many measure-and-cut passes.
const MAX_PASSES: usize = 24;

/// Room kept for the marker text and the result's framing.
const MARKER_ROOM: usize = 600;

/// Room kept for what wraps the result: the JSON-RPC envelope and its id, or an SSE event's
/// `id:`/`event:` lines.
const ENVELOPE: usize = 256;

/// At most this many shrink-and-measure rounds to fit the message as sent.
const FIT_PASSES: usize = 6;

/// Whether `result` goes out whole under `max_bytes` ([`limit`] leaves it as it is).
pub fn fits(result: &CallToolResult, max_bytes: usize) -> bool {
    estimated_len(result) <= max_bytes.saturating_sub(ENVELOPE)
}

/// Cut `result` so that, as sent (serialized, text escaped, inside its JSON-RPC message or
/// SSE event), it stays within `max_bytes`.
pub fn limit(mut result: CallToolResult, max_bytes: usize) -> CallToolResult {
    let room = max_bytes.saturating_sub(ENVELOPE);
    if fits(&result, max_bytes) {
        return result;
    }
    match result.structured_content.take() {
        Some(value) => {
            let original = json_len(&value);
            // The structured content and its text copy are about twice the JSON; quotes
            // escaped in the copy and the note add the rest. Start there, then shrink the
            // budget by what the measured message is over, a few times at most.
            let mut budget = room.saturating_sub(MARKER_ROOM) / 2;
            let mut best = None;
            for _ in 0..FIT_PASSES {
                let (cut_value, cuts) = shrink(value.clone(), budget);
                let cut = with_cuts(result.clone(), cut_value, &cuts, original, max_bytes);
                let sent = json_len(&cut);
                best = Some(cut);
                if sent <= room || budget == 0 {
                    break;
                }
                budget = budget.saturating_mul(room).checked_div(sent).unwrap_or(0).saturating_sub(budget / 50);
            }
            best.expect("at least one pass")
        }
        None => {
            // Bytes (an image, a blob) count as sent; over the limit they are not attached.
            let attached: usize = result.content.iter().filter(|c| c.as_text().is_none()).map(json_len).sum();
            let total = json_len(&result);
            if attached > 0 {
                result.content.retain(|c| c.as_text().is_some());
                result.content.push(ContentBlock::text(format!(
                    "[not attached by vtoc-mcp: the body, {attached} bytes as sent, is over the {max_bytes}-byte limit (MCP_MAX_RESULT_BYTES); fetch it another way or raise the limit.]"
                )));
                let returned = json_len(&result);
                add_meta(
                    &mut result,
                    json!({"originalBytes": total, "returnedBytes": returned, "limitBytes": max_bytes, "cuts": [], "detached": attached}),
                );
                return limit(result, max_bytes);
            }
            let text: String = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            let marker = format!(
                "[truncated by vtoc-mcp: the full text was {} bytes, over the {max_bytes}-byte limit (MCP_MAX_RESULT_BYTES).]",
                text.len()
            );
            let mut end = room.saturating_sub(MARKER_ROOM).min(text.len());
            let mut cut = result.clone();
            for _ in 0..FIT_PASSES {
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                cut = result.clone();
                cut.content = vec![ContentBlock::text(text[..end].to_string()), ContentBlock::text(marker.clone())];
                add_meta(
                    &mut cut,
                    json!({"originalBytes": text.len(), "returnedBytes": end, "limitBytes": max_bytes, "cuts": []}),
                );
                let sent = json_len(&cut);
                if sent <= room || end == 0 {
                    break;
                }
                // Escapes make the sent text longer than the text: cut by what is over.
                end = end.saturating_sub(sent - room + 16);
            }
            cut
        }
    }
}

/// `result` carrying `value` (cut) as its structured content and text copy, with the note.
fn with_cuts(
    mut result: CallToolResult,
    value: Value,
    cuts: &[Cut],
    original: usize,
    max_bytes: usize,
) -> CallToolResult {
    let kept = json_len(&value);
    let cut_text: Vec<String> = cuts.iter().map(|c| format!("{} kept {} of {}", c.path, c.kept, c.of)).collect();
    let marker = format!(
        "[truncated by vtoc-mcp: the full result was {original} bytes of JSON; with its text copy, over the {max_bytes}-byte limit (MCP_MAX_RESULT_BYTES); {}. Narrow the request (filters, limit/offset) to see the rest.]",
        if cut_text.is_empty() { "nothing could be cut".to_string() } else { cut_text.join("; ") }
    );
    result.content = vec![ContentBlock::text(value.to_string()), ContentBlock::text(marker)];
    let info = json!({
        "originalBytes": original,
        "returnedBytes": kept,
        "limitBytes": max_bytes,
        "cuts": cuts.iter().map(|c| json!({"path": c.path, "pointer": c.pointer, "kept": c.kept, "of": c.of})).collect::<Vec<_>>(),
    });
    result.structured_content = Some(value);
    add_meta(&mut result, info);
    result
}

/// An upper bound of the result's [`json_len`] (what goes inside the JSON-RPC message) for the common case (a structured result and its text
/// copy, no images), found without serializing the text copy: every call goes through
/// here, and most results are far below the limit.
fn estimated_len(result: &CallToolResult) -> usize {
    if result.content.iter().any(|c| c.as_text().is_none()) {
        return json_len(result);
    }
    let escaped = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
                0..=0x1f => 6,
                _ => 1,
            })
            .sum::<usize>()
    };
    let texts: usize = result.content.iter().filter_map(|c| c.as_text()).map(|t| escaped(&t.text) + 32).sum();
    let rest = result.structured_content.as_ref().map_or(0, json_len) + result.meta.as_ref().map_or(0, json_len);
    texts + rest + 64
}

fn add_meta(result: &mut CallToolResult, info: Value) {
    let meta = result.meta.get_or_insert_with(|| MetaObject(Default::default()));
    meta.0.insert(META_KEY.into(), info);
}

/// Bytes of `v` as compact JSON, counted as they are written: nothing is kept. Every call
/// measures its result (and the event store each event it keeps); a buffer of the whole
/// JSON was allocated and copied only to be dropped.
pub fn json_len(v: &(impl serde::Serialize + ?Sized)) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, v) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// One array that lost items.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// For people: `result`, `items[3].identifiers`, `(root)`.
    pub path: String,
    /// For programs: the RFC 6901 pointer (`/result`, `/items/3/identifiers`).
    pub pointer: String,
    pub kept: usize,
    pub of: usize,
}

/// What one measuring pass finds: the largest non-empty array and the longest string.
#[derive(Default)]
struct Found {
    /// (serialized size, item count, pointer)
    array: Option<(usize, usize, String)>,
    /// (length in bytes, pointer)
    string: Option<(usize, String)>,
}

/// Cut until the value's JSON fits `budget`, in at most [`MAX_PASSES`] passes.
fn shrink(mut value: Value, budget: usize) -> (Value, Vec<Cut>) {
    let mut cuts: Vec<Cut> = Vec::new();
    for _ in 0..MAX_PASSES {
        let mut found = Found::default();
        let total = measure(&value, &mut String::new(), &mut found);
        if total <= budget {
            break;
        }
        let excess = total - budget;
        if let Some((size, len, pointer)) = found.array {
            let Some(Value::Array(items)) = value.pointer_mut(&pointer) else { break };
            // Remove enough items, on average, to cover the excess (at least one).
            let per_item = (size / len).max(1);
            let drop = (excess.div_ceil(per_item) + 1).min(len);
            items.truncate(len - drop);
            let kept = items.len();
            match cuts.iter_mut().find(|c| c.pointer == pointer) {
                Some(c) => c.kept = kept,
                None => cuts.push(Cut { path: display(&pointer), pointer, kept, of: len }),
            }
            continue;
        }
        match found.string {
            Some((len, pointer)) if len > 16 => {
                if let Some(Value::String(s)) = value.pointer_mut(&pointer) {
                    let mut end = len.saturating_sub(excess + 3).max(8).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    s.truncate(end);
                    s.push('…');
                }
            }
            _ => break,
        }
    }
    (value, cuts)
}

/// The compact JSON length of `v` (exactly what `serde_json` writes), noting the largest
/// array and the longest string on the way; `pointer` is `v`'s RFC 6901 pointer.
fn measure(v: &Value, pointer: &mut String, found: &mut Found) -> usize {
    match v {
        Value::Array(items) => {
            let at = pointer.len();
            let mut size = 2 + items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                size += measure(item, pointer, found);
                pointer.truncate(at);
            }
            if !items.is_empty() && found.array.as_ref().is_none_or(|(s, _, _)| size > *s) {
                found.array = Some((size, items.len(), pointer.clone()));
            }
            size
        }
        Value::Object(map) => {
            let at = pointer.len();
            let mut size = 2 + map.len().saturating_sub(1);
            for (k, item) in map {
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                size += json_len(k) + 1 + measure(item, pointer, found);
                pointer.truncate(at);
            }
            size
        }
        Value::String(s) => {
            if found.string.as_ref().is_none_or(|(l, _)| s.len() > *l) {
                found.string = Some((s.len(), pointer.clone()));
            }
            json_len(v)
        }
        other => json_len(other),
    }
}

/// `/items/3/a.b` → `items[3]["a.b"]`, for people.
fn display(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(root)".into();
    }
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        } else {
            out.push_str(&format!("[{}]", Value::String(seg)));
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn bytes_over_the_limit_are_not_attached_and_the_text_says_so() {
        let blob = rmcp::model::ResourceContents::BlobResourceContents {
            uri: "http://b/x".into(),
            mime_type: Some("application/zip".into()),
            blob: "A".repeat(10_000),
            meta: None,
        };
        let result =
            CallToolResult::success(vec![ContentBlock::text("HTTP 200: 7500 bytes"), ContentBlock::resource(blob)]);
        let small = limit(result.clone(), 100_000);
        assert_eq!(small.content.len(), 2, "under the limit: attached");
        let cut = limit(result, 4_000);
        assert!(cut.content.iter().all(|c| c.as_text().is_some()), "the blob is gone");
        let said = cut.content.last().unwrap().as_text().unwrap().text.clone();
        assert!(said.contains("not attached") && said.contains("MCP_MAX_RESULT_BYTES"), "{said}");
        assert!(serde_json::to_vec(&cut).unwrap().len() <= 4_000);
        assert!(cut.meta.unwrap().0[META_KEY]["detached"].as_u64().unwrap() > 10_000);
    }

    use super::*;

    fn big_list(n: usize) -> Value {
        json!({"result": (0..n).map(|i| json!({"id": i, "name": format!("entry number {i}")})).collect::<Vec<_>>()})
    }

    /// The message as a client receives it: structured content plus every text block.
    fn sent(r: &CallToolResult) -> usize {
        serde_json::to_vec(r).unwrap().len()
    }

    #[test]
    fn small_results_are_untouched() {
        let r = CallToolResult::structured(big_list(3));
        let out = limit(r.clone(), 10_000);
        assert_eq!(out.structured_content, r.structured_content);
        assert!(out.meta.is_none());
    }

    #[test]
    fn large_arrays_are_cut_with_a_visible_marker_and_the_whole_message_fits() {
        let value = big_list(5000);
        let original = json_len(&value);
        let out = limit(CallToolResult::structured(value), 8192);
        let kept = out.structured_content.as_ref().unwrap()["result"].as_array().unwrap().len();
        assert!(kept > 0 && kept < 5000);
        assert!(sent(&out) <= 8192, "{} bytes sent", sent(&out));
        let marker = out.content.last().unwrap().as_text().unwrap().text.clone();
        assert!(marker.contains(&format!("the full result was {original} bytes")), "{marker}");
        assert!(marker.contains(&format!("result kept {kept} of 5000")), "{marker}");
        let meta = &out.meta.unwrap().0[META_KEY];
        assert_eq!(meta["originalBytes"], original);
        assert_eq!(
            (meta["cuts"][0]["of"].as_u64(), meta["cuts"][0]["pointer"].as_str()),
            (Some(5000), Some("/result"))
        );
    }

    #[test]
    fn nested_arrays_and_long_strings() {
        let value = json!({"station": {"slug": "x"}, "items": [{"payload": "p".repeat(10_000)}]});
        let out = limit(CallToolResult::structured(value), 3000);
        let sc = out.structured_content.clone().unwrap();
        assert_eq!(sc["station"]["slug"], "x", "the shape is kept");
        assert!(sent(&out) <= 3000, "{}", sent(&out));
    }

    #[test]
    fn keys_that_look_like_paths_cannot_defeat_the_limit() {
        for key in ["a.b", "x[0]", "a/b", "~1", "~0x", "[1]", ""] {
            let mut inner = serde_json::Map::new();
            inner.insert(key.to_string(), big_list(3000)["result"].clone());
            let value = json!({"outer": inner});
            let out = limit(CallToolResult::structured(value), 8192);
            assert!(sent(&out) <= 8192, "{key:?}: {} bytes", sent(&out));
            let cut = &out.meta.as_ref().unwrap().0[META_KEY]["cuts"][0];
            let pointer = cut["pointer"].as_str().unwrap();
            let kept =
                out.structured_content.as_ref().unwrap().pointer(pointer).and_then(Value::as_array).map(Vec::len);
            assert_eq!(kept, cut["kept"].as_u64().map(|k| k as usize), "{key:?}");
        }
    }

    #[test]
    fn measuring_is_exact() {
        let v = json!({"a": [1, "x\"y", {"b/c": null, "é": [true, 2.5]}], "": {}});
        assert_eq!(measure(&v, &mut String::new(), &mut Found::default()), json_len(&v));
        assert_eq!(display("/items/3/a.b/c~1d"), r#"items[3]["a.b"]["c/d"]"#);
    }

    #[test]
    fn text_results_are_cut_at_a_char_boundary() {
        let out = limit(CallToolResult::success(vec![ContentBlock::text("é".repeat(1000))]), 1000);
        let first = out.content[0].as_text().unwrap().text.clone();
        assert!(first.len() <= 1000 && first.chars().all(|c| c == 'é'));
        assert!(out.content[1].as_text().unwrap().text.contains("2000 bytes"));
    }
}
