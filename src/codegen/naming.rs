//! The one place that makes names: MCP tool names and the Rust identifiers of wrappers.
//!
//! Tool names must be valid for MCP and for OpenAI function calling
//! (`^[a-zA-Z0-9_-]{1,64}$`); we aim for at most [`TARGET_LEN`] characters so that
//! clients which prefix the server name (Agents SDK, Cursor) stay under 64.

use super::ir::{Method, NameOrigin};

/// Names longer than this are shortened (a stable hash keeps them unique).
pub const TARGET_LEN: usize = 48;
/// The hard limit of OpenAI function names and most MCP clients.
pub const MAX_LEN: usize = 64;

/// Is `name` a valid tool name (`^[a-zA-Z0-9_-]{1,64}$`)?
pub fn is_valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The derived tool name of an operation (before overrides).
pub fn derive_tool_name(operation_id: Option<&str>, method: Method, path: &str) -> (String, NameOrigin) {
    let (base, origin) = match operation_id {
        Some(id) => match fastapi_function_name(id, method, path) {
            Some(function) => (snake_case(function), NameOrigin::FastapiFunction),
            None => (snake_case(id), NameOrigin::OperationId),
        },
        None => (method_path_name(method, path), NameOrigin::MethodPath),
    };
    let base = if base.is_empty() { method_path_name(method, path) } else { base };
    if base.len() <= TARGET_LEN {
        return (base, origin);
    }
    let key = operation_id.map_or_else(|| format!("{} {}", method.as_str(), path), str::to_owned);
    (shorten(&base, &key), NameOrigin::Shortened)
}

/// FastAPI's automatic operationId is `re.sub(r"\W", "_", name + path) + "_" + method`.
/// When `operation_id` has exactly that form, return the function name.
pub fn fastapi_function_name<'a>(operation_id: &'a str, method: Method, path: &str) -> Option<&'a str> {
    let suffix: String = path
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' })
        .chain("_".chars())
        .chain(method.key().chars())
        .collect();
    let function = operation_id.strip_suffix(suffix.as_str())?;
    (!function.is_empty()).then_some(function)
}

/// `GET /api/v1/poi/{poi_id}` → `get_api_v1_poi_poi_id`.
fn method_path_name(method: Method, path: &str) -> String {
    snake_case(&format!("{} {}", method.key(), path))
}

/// snake_case over ASCII letters and digits: `listPets` → `list_pets`,
/// `HTTPServer-v2.get` → `http_server_v2_get`. Anything else separates words.
pub fn snake_case(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower) {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    // Collapse the separators introduced before capitals next to existing ones.
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if !(c == '_' && collapsed.ends_with('_')) {
            collapsed.push(c);
        }
    }
    collapsed
}

/// Cut `name` to [`TARGET_LEN`] at a word boundary and append an 8-hex-digit hash of `key`
/// (the operationId), so the result is stable across spec reorderings and unique in practice.
fn shorten(name: &str, key: &str) -> String {
    let hash = format!("{:08x}", fnv1a32(key.as_bytes()));
    let budget = TARGET_LEN - hash.len() - 1;
    let mut cut = &name[..budget];
    if let Some(pos) = cut.rfind('_')
        && pos >= budget / 2
    {
        cut = &cut[..pos];
    }
    format!("{}_{}", cut.trim_end_matches('_'), hash)
}

/// FNV-1a, 32 bit: tiny, dependency-free and stable forever (unlike `DefaultHasher`).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Rust identifier of the generated wrapper for a tool. Tool names may contain `-`,
/// which Rust identifiers cannot, so `a-b` and `a_b` would clash: `lower` checks that.
pub fn wrapper_fn(tool_name: &str) -> String {
    let body: String =
        tool_name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("call_{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastapi_ids_become_function_names() {
        let cases = [
            ("create_source_api_v1_telemetry_sources_post", Method::Post, "/api/v1/telemetry/sources", "create_source"),
            ("list_stations_api_v1_stations__get", Method::Get, "/api/v1/stations/", "list_stations"),
            ("healthz_healthz_get", Method::Get, "/healthz", "healthz"),
            (
                "delete_poi_identifier_api_v1_poi__poi_id__identifiers__identifier_id__delete",
                Method::Delete,
                "/api/v1/poi/{poi_id}/identifiers/{identifier_id}",
                "delete_poi_identifier",
            ),
            (
                "check_imei_api_v1_imei_watchlist_check__imei__get",
                Method::Get,
                "/api/v1/imei-watchlist/check/{imei}",
                "check_imei",
            ),
        ];
        for (id, method, path, want) in cases {
            assert_eq!(
                derive_tool_name(Some(id), method, path),
                (want.to_string(), NameOrigin::FastapiFunction),
                "{id}"
            );
        }
    }

    #[test]
    fn other_ids_are_snake_cased() {
        assert_eq!(derive_tool_name(Some("listPets"), Method::Get, "/pets").0, "list_pets");
        assert_eq!(derive_tool_name(Some("showPetById"), Method::Get, "/pets/{petId}").0, "show_pet_by_id");
        assert_eq!(derive_tool_name(Some("HTTPServer-v2.get"), Method::Get, "/x").0, "http_server_v2_get");
        assert_eq!(derive_tool_name(Some("get-user"), Method::Get, "/users/{id}").0, "get_user");
        // The suffix must match exactly: a different method keeps the whole id.
        assert_eq!(derive_tool_name(Some("healthz_healthz_get"), Method::Post, "/healthz").0, "healthz_healthz_get");
    }

    #[test]
    fn missing_ids_use_method_and_path() {
        assert_eq!(
            derive_tool_name(None, Method::Get, "/api/v1/poi/{poi_id}"),
            ("get_api_v1_poi_poi_id".to_string(), NameOrigin::MethodPath)
        );
    }

    #[test]
    fn long_names_are_shortened_stably() {
        let id = "retrieve_the_complete_historical_telemetry_archive_for_every_station_in_the_theatre";
        let (name, origin) = derive_tool_name(Some(id), Method::Get, "/archive");
        assert_eq!(origin, NameOrigin::Shortened);
        assert!(name.len() <= TARGET_LEN, "{name}");
        assert!(is_valid_tool_name(&name));
        assert_eq!(name, derive_tool_name(Some(id), Method::Get, "/archive").0);
        let other = derive_tool_name(Some(&format!("{id}_v2")), Method::Get, "/archive").0;
        assert_ne!(name, other, "different ids must not collide after shortening");
    }

    #[test]
    fn validity() {
        assert!(is_valid_tool_name("create_source"));
        assert!(is_valid_tool_name("a-b_C9"));
        assert!(!is_valid_tool_name(""));
        assert!(!is_valid_tool_name("a.b"));
        assert!(!is_valid_tool_name("a b"));
        assert!(!is_valid_tool_name(&"x".repeat(65)));
    }

    #[test]
    fn wrapper_identifiers() {
        assert_eq!(wrapper_fn("create_source"), "call_create_source");
        assert_eq!(wrapper_fn("get-user"), "call_get_user");
        assert_eq!(wrapper_fn("type"), "call_type");
    }
}
