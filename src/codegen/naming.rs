//! The one place that makes names: MCP tool names and the Rust identifiers of wrappers.
//!
//! Tool names must be valid for MCP and for OpenAI function calling
//! (`^[a-zA-Z0-9_-]{1,64}$`); we aim for at most [`TARGET_LEN`] characters so that
//! clients which prefix the server name (Agents SDK, Cursor) stay under 64.

use super::ir::{Method, NameOrigin};

/// The discovery meta-tools' names (`bridge::discover`): a caller served them reaches an
/// API tool of the same name only through `call_tool`, so the collision rule never makes
/// one, nor echoes one in a suffix.
pub const META_TOOLS: [&str; 3] = ["search_tools", "describe_tool", "call_tool"];

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

/// The argument name of a request-body field once the body's fields are arguments of their
/// own (`shape.rs`): the field's own name, unless a parameter or one of the bridge's own
/// arguments (`taken`) has it; then `body_<field>`, then `body_<field>_2`, … A body field
/// `slug` beside a path parameter `slug` becomes `body_slug`.
pub fn body_argument(field: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(field) {
        return field.to_string();
    }
    let base = format!("body_{field}");
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}_{n}")).find(|name| !taken(name)).expect("some suffix is free")
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

/// One tool's name as lowering chose it, for [`resolve_collisions`].
#[derive(Debug, Clone)]
pub struct Named<'a> {
    pub name: &'a str,
    /// Chosen by an override (`x-mcp-name` or the overrides file): never changed here.
    pub explicit: bool,
    pub method: Method,
    pub path: &'a str,
    /// Keys the stable hash of the last resort.
    pub operation_id: &'a str,
}

/// What the collision rule decided.
#[derive(Debug, Default, PartialEq)]
pub struct Collisions {
    /// (index into the input, new name) for every derived name that changed.
    pub renamed: Vec<(usize, String)>,
    /// One sentence per group of operations that shared a name, for the build's warnings.
    pub notes: Vec<String>,
    /// Two overrides chose the same name: only the developer can decide.
    pub clashes: Vec<(usize, usize)>,
}

/// The collision rule. Operations whose derived tool names are equal (or differ only by
/// `-` versus `_`, which the generated Rust cannot tell apart) get distinct names; every
/// other name is left as it is, so adding an operation renames only the operations it
/// collides with (and `vtoc-mcp diff` reports that as breaking).
///
/// Within a group of operations sharing a name, each derived name takes a suffix, trying in
/// turn until the names are distinct:
/// 1. the static path segments that tell its path apart from the others' (segments every
///    path of the group has, and segments whose words the name already says, are left
///    out): `/api/v1/heartbeat` + `/api/v2/heartbeat` → `heartbeat_v1`, `heartbeat_v2`;
///    `/work_queues/` + `/work_pools/{work_pool_name}/queues` → `create_work_queue` (its
///    segments add nothing to the name, so it keeps it) + `create_work_queue_work_pools`;
/// 2. for names still shared, the same judged among just those operations, then with the
///    segments the name already says in other words (`/apply_guardrail` +
///    `/guardrails/apply_guardrail` → `apply_guardrail` + `apply_guardrail_guardrails`);
/// 3. then the path parameters that tell them apart;
/// 4. then the HTTP method, when it differs (`lens_request_get`, `lens_request_post`);
/// 5. last, a stable hash of the operationId, for all but the first still sharing a name.
///
/// No tier adds words the name already has (`model_info_v1` for `/v1/model/info` is not
/// `model_info_v1_v1`), nor a discovery meta-tool's name ([`META_TOOLS`]).
///
/// A name chosen by an override is never changed; derived names that meet it are the ones
/// that move. Names over [`TARGET_LEN`] are shortened with a hash as usual.
pub fn resolve_collisions(ops: &[Named<'_>]) -> Collisions {
    let mut out = Collisions::default();
    let mut groups: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        groups.entry(wrapper_fn(op.name)).or_default().push(i);
    }
    // Every name some operation derives is its own: a suffixed name never takes it.
    let mut taken: std::collections::BTreeSet<String> = groups.keys().cloned().collect();
    for (key, group) in groups.iter().filter(|(_, g)| g.len() > 1) {
        let explicit: Vec<usize> = group.iter().copied().filter(|&i| ops[i].explicit).collect();
        for pair in explicit.windows(2) {
            out.clashes.push((pair[0], pair[1]));
        }
        if let Some(&first) = explicit.first() {
            taken.insert(wrapper_fn(ops[first].name));
        }
        let derived: Vec<usize> = group.iter().copied().filter(|&i| !ops[i].explicit).collect();
        if derived.is_empty() {
            continue;
        }
        let names = disambiguate(ops, group, &derived, !explicit.is_empty());
        let mut described = Vec::new();
        for (i, mut name) in derived.iter().copied().zip(names) {
            // A suffixed name may meet a name outside the group: the method, then a hash.
            for fallback in
                [ops[i].method.key().to_string(), format!("{:08x}", fnv1a32(ops[i].operation_id.as_bytes()))]
            {
                if wrapper_fn(&name) == *key || !taken.contains(&wrapper_fn(&name)) {
                    break;
                }
                name = format!("{name}_{fallback}");
            }
            if name.len() > TARGET_LEN {
                name = shorten(&name, ops[i].operation_id);
            }
            taken.insert(wrapper_fn(&name));
            described.push(format!("`{name}` ({} {})", ops[i].method.as_str(), ops[i].path));
            if name != ops[i].name {
                out.renamed.push((i, name));
            }
        }
        {
            let kept: Vec<String> = explicit
                .iter()
                .map(|&i| format!("`{}` ({} {}, an override)", ops[i].name, ops[i].method.as_str(), ops[i].path))
                .collect();
            out.notes.push(format!(
                "{} operations would all be the tool `{}`; the collision rule named them {}{}. Choose other names with `\"name\"` in openapi/mcp-overrides.json",
                group.len(),
                ops[group[0]].name,
                described.join(", "),
                if kept.is_empty() { String::new() } else { format!(" beside {}", kept.join(", ")) },
            ));
        }
    }
    out.renamed.sort();
    out
}

/// Distinct names for the derived members of one group (in `derived` order), by the tiers
/// of [`resolve_collisions`]. `occupied`: an override holds the bare name.
fn disambiguate(ops: &[Named<'_>], group: &[usize], derived: &[usize], occupied: bool) -> Vec<String> {
    let base = ops[derived[0]].name;
    let name_words: Vec<String> = base.split(['_', '-']).map(singular).collect();
    let says_nothing_new = |segment: &str| segment.split('_').all(|w| name_words.contains(&singular(w)));
    let segments = |i: usize, params: bool| -> Vec<String> {
        ops[i]
            .path
            .split('/')
            .filter(|s| !s.is_empty() && s.starts_with('{') == params)
            .map(|s| snake_case(s.trim_matches(['{', '}'])))
            .filter(|s| !s.is_empty())
            .collect()
    };
    // What sets each path of `members` apart: its segments that not every one of them has,
    // leaving out (when `terse`) those whose words the name already says.
    let distinct = |members: &[usize], params: bool, terse: bool| -> Vec<Vec<String>> {
        let all: Vec<Vec<String>> = members.iter().map(|&i| segments(i, params)).collect();
        all.iter()
            .map(|own| {
                own.iter()
                    .filter(|s| !all.iter().all(|other| other.contains(s)))
                    .filter(|s| !terse || !says_nothing_new(s))
                    .cloned()
                    .collect()
            })
            .collect()
    };
    // A suffix never repeats words the name already has (`model_info_v1` + `v1`), nor
    // spells a meta-tool's name (`list_search_tools` + `search_tools`): such a part is left
    // out, and a later tier tells the names apart.
    let join = |name: &str, parts: &[String]| {
        let has: Vec<&str> = name.split('_').collect();
        let kept: Vec<&String> = parts
            .iter()
            .filter(|p| !p.split('_').all(|w| has.contains(&w)) && !META_TOOLS.contains(&p.as_str()))
            .collect();
        if kept.is_empty() {
            name.to_string()
        } else {
            format!("{name}_{}", kept.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("_"))
        }
    };
    // The first tier looks at the whole group (an override's path is a path to tell apart).
    let first = distinct(group, false, true);
    let mut names: Vec<String> = derived
        .iter()
        .map(|&i| join(base, &first[group.iter().position(|&g| g == i).expect("in its group")]))
        .collect();
    // Then, for the members whose names are still shared (or bare beside an override), each
    // way of telling them apart in turn, judged among just those members.
    #[allow(clippy::type_complexity)] // four closures of one signature, used once, here
    let ways: [&dyn Fn(&[usize]) -> Vec<Vec<String>>; 4] =
        [&|m| distinct(m, false, true), &|m| distinct(m, false, false), &|m| distinct(m, true, false), &|m| {
            m.iter().map(|&i| vec![ops[i].method.key().to_string()]).collect()
        }];
    for way in ways {
        let mut shared: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
        for (k, name) in names.iter().enumerate() {
            shared.entry(name.clone()).or_default().push(k);
        }
        for (name, members) in shared {
            if members.len() < 2 && !(occupied && name == base) {
                continue;
            }
            let indices: Vec<usize> = members.iter().map(|&k| derived[k]).collect();
            let parts = way(&indices);
            // A way that says the same of every member (`get` for two GETs) tells nothing.
            if parts.windows(2).all(|w| w[0] == w[1]) && !(occupied && name == base) {
                continue;
            }
            for (&k, part) in members.iter().zip(parts) {
                names[k] = join(&names[k], &part);
            }
        }
    }
    // Last: a stable hash for whatever is still shared, but for the one with the shortest
    // path (`/model/info` beside `/v1/model/info`; the first in spec order on a tie), which
    // keeps the name unless an override holds it.
    let mut sharing: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (k, name) in names.iter().enumerate() {
        sharing.entry(name.clone()).or_default().push(k);
    }
    let depth = |k: usize| ops[derived[k]].path.split('/').filter(|s| !s.is_empty()).count();
    for (name, members) in sharing.into_iter().filter(|(_, m)| m.len() > 1) {
        let keeper = (!(occupied && name == base)).then(|| members.iter().copied().min_by_key(|&k| (depth(k), k)));
        for k in members.into_iter().filter(|k| Some(Some(*k)) != keeper) {
            names[k] = format!("{name}_{:08x}", fnv1a32(ops[derived[k]].operation_id.as_bytes()));
        }
    }
    names
}

/// A word without a plural `s` (`queues` → `queue`, `status` kept): enough to see that a
/// path segment repeats the name.
fn singular(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() > 2 && !stem.ends_with('s') && !stem.ends_with('u') => stem.to_string(),
        _ => word.to_string(),
    }
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

    fn renamed(ops: &[(&str, Method, &str)]) -> Vec<String> {
        let named: Vec<Named<'_>> = ops
            .iter()
            .map(|(name, method, path)| Named { name, explicit: false, method: *method, path, operation_id: path })
            .collect();
        let out = resolve_collisions(&named);
        let mut names: Vec<String> = ops.iter().map(|(n, _, _)| n.to_string()).collect();
        for (i, name) in out.renamed {
            names[i] = name;
        }
        names
    }

    #[test]
    fn suffixes_never_repeat_the_name_nor_spell_a_meta_tool() {
        // LiteLLM: `model_info_v1` serves `/v1/model/info` and `/model/info`.
        let names =
            renamed(&[("model_info_v1", Method::Get, "/v1/model/info"), ("model_info_v1", Method::Get, "/model/info")]);
        assert_eq!(names[1], "model_info_v1", "the shortest path keeps the name");
        assert!(names[0].starts_with("model_info_v1_") && !names[0].contains("v1_v1"), "{names:?}");
        let names = renamed(&[
            ("list_search_tools", Method::Get, "/search/tools"),
            ("list_search_tools", Method::Get, "/search_tools/list"),
            ("list_search_tools", Method::Get, "/v1/search/tools"),
        ]);
        assert_eq!(names[2], "list_search_tools_v1");
        for name in &names {
            assert_eq!(name.matches("search_tools").count(), 1, "{names:?}");
        }
        assert_eq!(names.iter().collect::<std::collections::BTreeSet<_>>().len(), 3, "{names:?}");
        // What a segment says in other words is still a suffix.
        let names = renamed(&[
            ("apply_guardrail", Method::Post, "/apply_guardrail"),
            ("apply_guardrail", Method::Post, "/guardrails/apply_guardrail"),
        ]);
        assert_eq!(names, ["apply_guardrail", "apply_guardrail_guardrails"]);
        // The method is a suffix only where it differs.
        let names = renamed(&[("lens_request", Method::Get, "/lens"), ("lens_request", Method::Post, "/lens")]);
        assert_eq!(names, ["lens_request_get", "lens_request_post"]);
    }

    #[test]
    fn wrapper_identifiers() {
        assert_eq!(wrapper_fn("create_source"), "call_create_source");
        assert_eq!(wrapper_fn("get-user"), "call_get_user");
        assert_eq!(wrapper_fn("type"), "call_type");
    }
}
