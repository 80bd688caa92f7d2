//! Results larger than the configured limit are cut, never silently.
//!
//! A model pays for every byte it reads, and a listing can be megabytes. A result over
//! `MCP_MAX_RESULT_BYTES` keeps its shape: the largest arrays are shortened (then the
//! longest strings), so `structuredContent` still matches the tool's `outputSchema`; the
//! text block ends with a marker giving the original size and what was cut, and `_meta`
//! carries the same facts for programs.

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

/// `_meta` key describing a cut.
pub const META_KEY: &str = "vtoc-mcp/truncated";

/// Cut `result` to about `max_bytes` of JSON (structured) or text.
pub fn limit(mut result: CallToolResult, max_bytes: usize) -> CallToolResult {
    match result.structured_content.take() {
        Some(value) => {
            let original = json_len(&value);
            if original <= max_bytes {
                result.structured_content = Some(value);
                return result;
            }
            let (value, cuts) = shrink(value, max_bytes);
            let kept = json_len(&value);
            let cut_text: Vec<String> = cuts
                .iter()
                .map(|c| format!("{} kept {} of {}", if c.path.is_empty() { "(root)" } else { &c.path }, c.kept, c.of))
                .collect();
            let marker = format!(
                "[truncated by vtoc-mcp: the full result was {original} bytes, over the {max_bytes}-byte limit (MCP_MAX_RESULT_BYTES); {}. Narrow the request (filters, limit/offset) to see the rest.]",
                if cut_text.is_empty() { "nothing could be cut".to_string() } else { cut_text.join("; ") }
            );
            result.content = vec![ContentBlock::text(value.to_string()), ContentBlock::text(marker)];
            let info = json!({
                "originalBytes": original,
                "returnedBytes": kept,
                "limitBytes": max_bytes,
                "cuts": cuts.iter().map(|c| json!({"path": c.path, "kept": c.kept, "of": c.of})).collect::<Vec<_>>(),
            });
            result.structured_content = Some(value);
            add_meta(&mut result, info);
            result
        }
        None => {
            let total: usize = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.len()).sum();
            if total <= max_bytes {
                return result;
            }
            let text: String = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            let mut end = max_bytes.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let marker = format!(
                "[truncated by vtoc-mcp: the full text was {total} bytes, over the {max_bytes}-byte limit (MCP_MAX_RESULT_BYTES).]"
            );
            result.content = vec![ContentBlock::text(text[..end].to_string()), ContentBlock::text(marker)];
            add_meta(
                &mut result,
                json!({"originalBytes": total, "returnedBytes": end, "limitBytes": max_bytes, "cuts": []}),
            );
            result
        }
    }
}

fn add_meta(result: &mut CallToolResult, info: Value) {
    let meta = result.meta.get_or_insert_with(|| MetaObject(Default::default()));
    meta.0.insert(META_KEY.into(), info);
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// Where, as `items` or `result[3].identifiers`.
    pub path: String,
    pub kept: usize,
    pub of: usize,
}

/// Shorten the largest array (halving) or, when no array can shrink, the longest string,
/// until the value fits. Bounded: each round removes at least a quarter of the excess.
fn shrink(mut value: Value, max_bytes: usize) -> (Value, Vec<Cut>) {
    let mut cuts: Vec<Cut> = Vec::new();
    for _ in 0..200 {
        if json_len(&value) <= max_bytes {
            break;
        }
        if let Some((_, path)) = largest_array(&value)
            && let Some(Value::Array(items)) = pointer_mut(&mut value, &path)
            && !items.is_empty()
        {
            let of = items.len();
            items.truncate(of / 2);
            let kept = items.len();
            match cuts.iter_mut().find(|c| c.path == path) {
                Some(c) => c.kept = kept,
                None => cuts.push(Cut { path, kept, of }),
            }
            continue;
        }
        match longest_string(&value) {
            Some((len, path)) if len > 16 => {
                if let Some(Value::String(s)) = pointer_mut(&mut value, &path) {
                    let mut end = s.len() / 2;
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

/// Call `f` with every value in `v` and its path (`a.b[2].c`; the root's is empty).
fn visit(v: &Value, path: &mut String, f: &mut impl FnMut(&Value, &str)) {
    f(v, path);
    let len = path.len();
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                visit(item, path, f);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                visit(item, path, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The value in `v` with the largest `size` (`None` = not a candidate): (size, path).
fn largest(v: &Value, size: impl Fn(&Value) -> Option<usize>) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    visit(v, &mut String::new(), &mut |item, path| {
        if let Some(n) = size(item)
            && best.as_ref().is_none_or(|(b, _)| n > *b)
        {
            best = Some((n, path.to_string()));
        }
    });
    best
}

/// The non-empty array with the largest serialized size: (size, path).
fn largest_array(v: &Value) -> Option<(usize, String)> {
    largest(v, |item| matches!(item, Value::Array(a) if !a.is_empty()).then(|| json_len(item)))
}

/// The longest string: (length in bytes, path).
fn longest_string(v: &Value) -> Option<(usize, String)> {
    largest(v, |item| item.as_str().map(str::len))
}

/// Follow a path written by `largest_array` (`a.b[2].c`).
fn pointer_mut<'v>(v: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut cur = v;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (idx, tail) = after.split_once(']')?;
            cur = cur.as_array_mut()?.get_mut(idx.parse::<usize>().ok()?)?;
            rest = tail;
        } else {
            let rest2 = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest2.find(['.', '[']).unwrap_or(rest2.len());
            cur = cur.as_object_mut()?.get_mut(&rest2[..end])?;
            rest = &rest2[end..];
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_list(n: usize) -> Value {
        json!({"result": (0..n).map(|i| json!({"id": i, "name": format!("entry number {i}")})).collect::<Vec<_>>()})
    }

    #[test]
    fn small_results_are_untouched() {
        let r = CallToolResult::structured(big_list(3));
        let out = limit(r.clone(), 10_000);
        assert_eq!(out.structured_content, r.structured_content);
        assert!(out.meta.is_none());
    }

    #[test]
    fn large_arrays_are_cut_with_a_visible_marker() {
        let value = big_list(5000);
        let original = json_len(&value);
        let out = limit(CallToolResult::structured(value), 4096);
        let kept = out.structured_content.as_ref().unwrap()["result"].as_array().unwrap().len();
        assert!(kept > 0 && kept < 5000);
        assert!(json_len(out.structured_content.as_ref().unwrap()) <= 4096);
        let marker = out.content.last().unwrap().as_text().unwrap().text.clone();
        assert!(marker.contains(&format!("the full result was {original} bytes")), "{marker}");
        assert!(marker.contains(&format!("result kept {kept} of 5000")), "{marker}");
        let meta = &out.meta.unwrap().0[META_KEY];
        assert_eq!(meta["originalBytes"], original);
        assert_eq!(meta["cuts"][0]["of"], 5000);
    }

    #[test]
    fn nested_arrays_and_long_strings() {
        let value = json!({"station": {"slug": "x"}, "items": [{"payload": "p".repeat(10_000)}]});
        let out = limit(CallToolResult::structured(value), 2000);
        let sc = out.structured_content.unwrap();
        assert_eq!(sc["station"]["slug"], "x", "the shape is kept");
        assert!(json_len(&sc) <= 2000);
    }

    #[test]
    fn text_results_are_cut_at_a_char_boundary() {
        let out = limit(CallToolResult::success(vec![ContentBlock::text("é".repeat(1000))]), 101);
        let first = out.content[0].as_text().unwrap().text.clone();
        assert!(first.len() <= 101 && first.chars().all(|c| c == 'é'));
        assert!(out.content[1].as_text().unwrap().text.contains("2000 bytes"));
    }

    #[test]
    fn paths_round_trip() {
        let mut v = json!({"a": {"b": [1, {"c": [1, 2, 3]}]}});
        assert_eq!(largest_array(&v).unwrap().1, "a.b");
        assert_eq!(pointer_mut(&mut v, "a.b[1].c").unwrap(), &json!([1, 2, 3]));
    }
}
