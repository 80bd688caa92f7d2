//! Fuzzing argument decoding and request building through the real call path (dry run:
//! requests are built, never sent). Schema-aware random arguments, seeded with hostile
//! strings and numbers, for every tool. Properties checked for every case:
//! - nothing panics, every call answers;
//! - a refused input builds no request;
//! - an accepted input builds exactly the request its schema allows: the tool's method, the
//!   path template with each parameter as one percent-encoded segment, only declared query
//!   parameters carrying the argument's value, and the `body` argument byte for byte.
//!
//! Budget: `FUZZ_CASES` (default 6000 in `make test`; `make fuzz` runs 300 000 in release),
//! seed `FUZZ_SEED`. A failure prints the seed, tool and arguments to replay it.

use rmcp::model::CallToolResponse;
use serde_json::{Map, Value, json};
use vtoc_mcp::bridge::support::{Location, ToolSpec};
use vtoc_mcp::bridge::{Bridge, CallRequest, Confirmer};
use vtoc_mcp::cli::config::BackendArgs;
use vtoc_mcp::guard::Guardrails;
use vtoc_mcp::guard::caller::Caller;
use vtoc_mcp::guard::policy::Scope;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const STRINGS: &[&str] = &[
    "ops-center",
    "",
    ".",
    "..",
    "...",
    "../healthz",
    "1/identifiers",
    "a/b",
    "a\\b",
    "%2F",
    "%2e%2e",
    "%",
    "?x=1",
    "#frag",
    "a b",
    "ü☃🛰",
    "\u{202e}rtl",
    "\u{0}",
    "\n",
    "null",
    "true",
    "0",
    "-1",
    "{}",
    "[]",
    "'; DROP TABLE poi; --",
    "<script>",
    "whitelist",
    "blacklist",
    "received",
    "ｆｕｌｌ",
    "e\u{301}",
    "\u{fffd}",
];

fn number(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(0),
        1 => json!(1),
        2 => json!(-1),
        3 => json!(i64::MAX),
        4 => json!(i64::MIN),
        5 => json!(u64::MAX),
        6 => json!(2.5),
        7 => json!(1e308),
        8 => json!(3.0),
        9 => json!(200),
        10 => json!(201),
        _ => json!(rng.below(1000)),
    }
}

fn string(rng: &mut Rng) -> Value {
    if rng.chance(10) {
        return json!("x".repeat(rng.below(400)));
    }
    json!(STRINGS[rng.below(STRINGS.len())])
}

fn garbage(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => number(rng),
        3 | 4 => string(rng),
        5 => Value::Array((0..rng.below(3)).map(|_| garbage(rng, depth + 1)).collect()),
        _ => Value::Object((0..rng.below(3)).map(|i| (format!("k{i}"), garbage(rng, depth + 1))).collect()),
    }
}

fn types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => vec![],
    }
}

/// Mostly what the schema asks for, sometimes anything.
fn value_for(rng: &mut Rng, schema: &Value, depth: usize) -> Value {
    if depth > 6 || rng.chance(12) {
        return garbage(rng, depth);
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.is_empty()
        && rng.chance(80)
    {
        let pick = rng.below(options.len());
        return options[pick].clone();
    }
    if let Some(Value::Array(branches)) = schema.get("anyOf").or_else(|| schema.get("oneOf"))
        && !branches.is_empty()
    {
        let pick = rng.below(branches.len());
        return value_for(rng, &branches[pick], depth + 1);
    }
    let ts = types(schema);
    let t = if ts.is_empty() { "any".to_string() } else { ts[rng.below(ts.len())].clone() };
    match t.as_str() {
        "null" => Value::Null,
        "boolean" => json!(rng.chance(50)),
        "integer" => {
            if rng.chance(70) {
                json!(rng.below(250))
            } else {
                number(rng)
            }
        }
        "number" => {
            if rng.chance(50) {
                json!(rng.below(100) as f64 / 3.0)
            } else {
                number(rng)
            }
        }
        "string" => {
            if schema.get("format").and_then(Value::as_str) == Some("date-time") && rng.chance(70) {
                json!("2026-11-01T12:00:00Z")
            } else {
                string(rng)
            }
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..rng.below(4)).map(|_| value_for(rng, &items, depth + 1)).collect())
        }
        "object" => object_for(rng, schema, depth),
        _ => garbage(rng, depth),
    }
}

fn object_for(rng: &mut Rng, schema: &Value, depth: usize) -> Value {
    let mut out = Map::new();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(Value::Object(props)) = schema.get("properties") {
        for (name, prop) in props {
            let include = if required.contains(&name.as_str()) { rng.chance(95) } else { rng.chance(50) };
            if include {
                out.insert(name.clone(), value_for(rng, prop, depth + 1));
            }
        }
    }
    if rng.chance(5) {
        out.insert("unexpected".into(), garbage(rng, depth + 1));
    }
    Value::Object(out)
}

/// progenitor's path-segment encoding (progenitor_client::encode_path): controls, space,
/// `"#<>?`{}/%` and every non-ASCII byte.
fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let special = b < 0x20 || b == 0x7f || b >= 0x80 || b" \"#<>?`{}/%".contains(&b);
        if special {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Check one built request against the tool and the arguments that produced it.
fn check(spec: &ToolSpec, args: &Map<String, Value>, request: &Value) -> Result<(), String> {
    if request["method"] != spec.method.as_str() {
        return Err(format!("method {} for a {} tool", request["method"], spec.method.as_str()));
    }
    let mut expected = spec.path.to_string();
    for p in spec.params.iter().filter(|p| p.location == Location::Path) {
        let value = args.get(p.name).ok_or_else(|| format!("accepted without path parameter {}", p.name))?;
        expected = expected.replace(&format!("{{{}}}", p.name), &encode_segment(&scalar_text(value)));
    }
    let path = request["path"].as_str().unwrap_or_default();
    if path != expected {
        return Err(format!("path {path:?}, expected {expected:?}"));
    }
    for segment in path.split('/') {
        if segment == "." || segment == ".." {
            return Err(format!("dot segment in {path:?}"));
        }
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(request["query"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
    for (key, value) in &query {
        let declared = spec.params.iter().any(|p| p.location == Location::Query && p.name == key);
        if !declared {
            return Err(format!("undeclared query parameter {key:?}"));
        }
        let sent = args.get(key).map(scalar_text);
        if sent.as_deref() != Some(value.as_str()) {
            return Err(format!("query {key}={value:?} but the argument was {sent:?}"));
        }
    }
    for p in spec.params.iter().filter(|p| p.location == Location::Query) {
        let given = args.get(p.name).is_some_and(|v| !v.is_null());
        let sent = query.iter().any(|(k, _)| k == p.name);
        if given != sent {
            return Err(format!("query parameter {} given={given} sent={sent}", p.name));
        }
    }
    if spec.body == Some(vtoc_mcp::bridge::support::BodyKind::Json) {
        match args.get("body").filter(|b| !b.is_null()) {
            Some(body) if request["body"] != *body => {
                return Err(format!("body {} differs from the argument {body}", request["body"]));
            }
            _ => {}
        }
    }
    Ok(())
}

#[tokio::test]
async fn arguments_never_panic_and_accepted_ones_build_exactly_the_allowed_request() {
    let cases: usize = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(6000);
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_1234_abcd_0001);
    let args = BackendArgs { dry_run: true, retries: 0, ..BackendArgs::default() };
    let backend = args.build("http://fuzz.invalid").unwrap();
    let bridge = Bridge::new(backend, Guardrails::permissive()).unwrap();
    let tools: Vec<&'static ToolSpec> = vtoc_mcp::bridge::tools::all().collect();
    let schemas: Vec<Value> = bridge.tools().iter().map(|t| Value::Object((*t.input_schema).clone())).collect();
    let mut rng = Rng(seed);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for case in 0..cases {
        let i = rng.below(tools.len());
        let spec = tools[i];
        let arguments = match object_for(&mut rng, &schemas[i], 0) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let replay =
            format!("seed {seed}, case {case}, tool {}, arguments {}", spec.name, Value::Object(arguments.clone()));
        let request =
            CallRequest::new(spec.name, arguments.clone(), Caller::local(Scope::Admin), Confirmer::Preapproved);
        match bridge.call(request).await {
            Err(e) => panic!("a protocol error for a known tool: {replay}: {e:?}"),
            Ok(CallToolResponse::Complete(result))
                if result.is_error == Some(true)
                    && result
                        .meta
                        .as_ref()
                        .is_some_and(|m| m.0.contains_key(vtoc_mcp::bridge::call::VIOLATIONS_META)) =>
            {
                refused += 1;
            }
            Ok(CallToolResponse::Complete(result)) => {
                let text = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
                assert!(!text.contains("internal error"), "a panic: {replay}: {text}");
                let sc = result.structured_content.unwrap_or_else(|| panic!("no dry-run record: {replay}: {text}"));
                let requests = sc["requests"].as_array().unwrap();
                if spec.operation_id.starts_with("custom:") {
                    assert_eq!(requests.len(), 3, "{replay}");
                } else {
                    assert_eq!(requests.len(), 1, "{replay}");
                    if let Err(why) = check(spec, &arguments, &requests[0]) {
                        panic!("{why}\n{replay}\nrequest: {}", requests[0]);
                    }
                }
                accepted += 1;
            }
            Ok(other) => panic!("unexpected response {other:?}: {replay}"),
        }
    }
    eprintln!(
        "fuzz: {cases} cases over {} tools (seed {seed}): {accepted} accepted and checked, {refused} refused",
        tools.len()
    );
    assert!(
        accepted > cases / 10 && refused > cases / 10,
        "the generator explores both sides: {accepted} accepted, {refused} refused"
    );
}
