//! Local `$ref` resolution, shared by normalization and the schema compiler.
//!
//! OpenAPI documents only use local references here (`#/components/schemas/X`, JSON
//! pointers, and in 3.1 `$defs`). Remote references are refused: the generator never
//! reaches the network, and MCP forbids auto-dereferencing network `$ref`s.

use serde_json::Value;
use std::collections::BTreeMap;

/// A `$ref` the generator cannot follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`$ref: {0}` is not a local reference; bundle remote schemas into components first")]
    NotLocal(String),
    #[error("`$ref: {0}` points to nothing in this document")]
    Dangling(String),
}

/// Resolves `$ref` strings against one document.
pub struct Refs<'a> {
    doc: &'a Value,
    /// `$defs` entries anywhere in the document, by name → their JSON pointers.
    defs_by_name: BTreeMap<String, Vec<String>>,
}

impl<'a> Refs<'a> {
    pub fn new(doc: &'a Value) -> Self {
        let mut defs_by_name = BTreeMap::new();
        collect_defs(doc, &mut String::new(), &mut defs_by_name);
        Refs { doc, defs_by_name }
    }

    /// Resolve `reference` to the schema it names and its canonical JSON pointer.
    pub fn resolve(&self, reference: &str) -> Result<(&'a Value, String), RefError> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(RefError::NotLocal(reference.to_string()));
        };
        let pointer = percent_decode(fragment);
        if let Some(target) = self.doc.pointer(&pointer) {
            return Ok((target, pointer));
        }
        // A 3.1 subschema may say `#/$defs/X` meaning the `$defs` of its own schema
        // resource; accept it when exactly one `$defs` entry has that name.
        if let Some(name) = pointer.strip_prefix("/$defs/")
            && let Some(pointers) = self.defs_by_name.get(name)
            && let [only] = pointers.as_slice()
            && let Some(target) = self.doc.pointer(only)
        {
            return Ok((target, only.clone()));
        }
        Err(RefError::Dangling(reference.to_string()))
    }

    /// Every `$defs` entry: (pointer, name).
    pub fn all_defs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.defs_by_name.iter().flat_map(|(name, ptrs)| ptrs.iter().map(move |p| (p.as_str(), name.as_str())))
    }
}

fn collect_defs(value: &Value, pointer: &mut String, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
                if key == "$defs"
                    && let Value::Object(defs) = child
                {
                    for name in defs.keys() {
                        out.entry(name.clone()).or_default().push(format!("{pointer}/{}", escape_pointer(name)));
                    }
                }
                collect_defs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                collect_defs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The last segment of a pointer, unescaped: `/components/schemas/PoiRead` → `PoiRead`.
pub fn last_segment(pointer: &str) -> String {
    pointer.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_components_and_nested_defs() {
        let doc = json!({
            "components": {"schemas": {
                "A": {"type": "object", "$defs": {"Inner": {"type": "string"}}},
                "B b": {"type": "integer"}
            }}
        });
        let refs = Refs::new(&doc);
        assert_eq!(refs.resolve("#/components/schemas/A").unwrap().1, "/components/schemas/A");
        assert_eq!(refs.resolve("#/components/schemas/B%20b").unwrap().0, &json!({"type": "integer"}));
        let (inner, ptr) = refs.resolve("#/$defs/Inner").unwrap();
        assert_eq!(inner, &json!({"type": "string"}));
        assert_eq!(ptr, "/components/schemas/A/$defs/Inner");
        assert!(refs.resolve("#/components/schemas/Missing").unwrap_err().to_string().contains("points to nothing"));
        assert!(refs.resolve("https://example.com/x.json").unwrap_err().to_string().contains("not a local"));
    }
}
