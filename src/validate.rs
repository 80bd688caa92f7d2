//! JSON Schema (2020-12 subset) validation of tool arguments and backend responses.
//!
//! [`Validator::new`] compiles a schema once into an arena of nodes: `$ref`s of the
//! form `#/$defs/Name` (or `#`) become arena indexes, so recursive schemas compile
//! in finite time, and regex patterns are compiled up front. [`Validator::validate`]
//! then walks the instance and reports [`Violation`]s whose paths and messages are
//! written for the model that made the call (`body.items[2].name: expected integer,
//! got string "abc"`).
//!
//! Supported keywords: `type`, `enum`, `const`, `properties`, `required`,
//! `additionalProperties`, `items`, `minItems`, `maxItems`, `uniqueItems`, `minimum`,
//! `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `minLength`,
//! `maxLength`, `pattern`, `format` (`date-time`, `date`), `anyOf`, `oneOf`, `allOf`,
//! `not`, `$ref`; every other keyword is an annotation and ignored.
//!
//! Robustness: instances nested deeper than [`MAX_DEPTH`] are refused before the
//! schema walk; deep schemas and `$ref` cycles that never descend into the value are
//! rejected at compile time; a work budget proportional to the instance size bounds
//! the (naively exponential) `anyOf`/`oneOf` search. The success path allocates
//! nothing except inside the regex engine: paths are a linked list on the stack,
//! rendered only when a violation is reported, and `anyOf`/`oneOf`/`not` branches
//! are first probed in a counting mode that builds no messages.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Map, Number, Value};

/// Validation stops after this many violations.
pub const MAX_VIOLATIONS: usize = 20;
/// Deepest instance nesting accepted (the root is level 0).
pub const MAX_DEPTH: usize = 64;
/// Deepest schema nesting accepted by [`Validator::new`].
const MAX_SCHEMA_DEPTH: usize = 128;
/// Backstop on validation recursion (schema frames), whatever the schema's shape.
const MAX_FRAMES: u32 = 512;
/// Work budget: schema checks allowed per validation, plus this many per instance
/// value. Naive `anyOf` over recursive branches is exponential; this keeps hostile
/// instances from turning that into a denial of service.
const STEPS_BASE: u64 = 10_000;
const STEPS_PER_VALUE: u64 = 256;
/// How many enum values / property names a message lists before eliding.
const LIST_LIMIT: usize = 10;

/// One reason an instance was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// `body.identifiers[2].identifier_value`; empty for the root.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// The schema itself is unusable; `at` is a JSON pointer (URI fragment) into it.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{at}: expected {expected}")]
    Invalid { at: String, expected: &'static str },
    #[error("{at}: unsupported $ref \"{target}\" (only \"#\" and \"#/$defs/<name>\" are supported)")]
    UnsupportedRef { at: String, target: String },
    #[error("{at}: $ref \"{target}\" names a definition that does not exist")]
    MissingDef { at: String, target: String },
    #[error("{at}: invalid pattern {pattern:?}: {reason}")]
    BadPattern { at: String, pattern: String, reason: String },
    #[error("{at}: schema nested deeper than {MAX_SCHEMA_DEPTH} levels")]
    TooDeep { at: String },
    #[error("{at}: schema refers back to itself without descending into the value")]
    RefCycle { at: String },
}

const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const OBJECT: u8 = 4;
const ARRAY: u8 = 8;
const NUMBER: u8 = 16;
const STRING: u8 = 32;
const INTEGER: u8 = 64;
const ANY: u8 = 127;
/// Display order: `null` last reads best ("string or null").
const TYPE_NAMES: [(&str, u8); 7] = [
    ("string", STRING),
    ("number", NUMBER),
    ("integer", INTEGER),
    ("boolean", BOOLEAN),
    ("object", OBJECT),
    ("array", ARRAY),
    ("null", NULL),
];

#[derive(Clone, Copy, PartialEq)]
enum Format {
    DateTime,
    Date,
}

/// A compiled object schema; absent keywords are `None`/empty.
#[derive(Default)]
struct Schema {
    reference: Option<usize>,
    types: u8, // 0 = no `type` keyword
    constant: Option<Value>,
    enumeration: Option<Vec<Value>>,
    props: Vec<(Box<str>, usize)>, // declaration order, for messages
    sorted: Vec<usize>,            // indexes into `props`, sorted by name
    required: Vec<Box<str>>,
    additional: Option<usize>,
    items: Option<usize>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    minimum: Option<Number>,
    maximum: Option<Number>,
    exclusive_minimum: Option<Number>,
    exclusive_maximum: Option<Number>,
    multiple_of: Option<Number>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<(String, regress::Regex)>,
    format: Option<Format>,
    all_of: Vec<usize>,
    any_of: Vec<usize>,
    one_of: Vec<usize>,
    not: Option<usize>,
}

impl Schema {
    fn lookup(&self, key: &str) -> Option<usize> {
        let i = self.sorted.binary_search_by(|&i| (*self.props[i].0).cmp(key)).ok()?;
        Some(self.props[self.sorted[i]].1)
    }
    /// Subschemas applied to the same instance location (no descent).
    fn in_place(&self) -> impl Iterator<Item = usize> + '_ {
        let lists = self.all_of.iter().chain(&self.any_of).chain(&self.one_of);
        self.reference.into_iter().chain(lists.copied()).chain(self.not)
    }
}

enum Node {
    /// `true` accepts everything, `false` nothing (JSON Schema boolean schemas).
    Bool(bool),
    Schema(Box<Schema>),
}

/// A compiled schema; cheap to share behind an `Arc`.
pub struct Validator {
    nodes: Vec<Node>, // nodes[0] is the root
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator").field("nodes", &self.nodes.len()).finish_non_exhaustive()
    }
}

/// Instance location as a linked list on the stack; rendered only for violations.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut p = self;
        while let Path::Key(parent, _) | Path::Index(parent, _) = p {
            segs.push(p);
            p = parent;
        }
        let mut s = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Path::Key(_, k) if is_ident(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Path::Key(_, k) => {
                    let _ = write!(s, "[{}]", quote(k));
                }
                Path::Index(_, i) => {
                    let _ = write!(s, "[{i}]");
                }
                Path::Root => {}
            }
        }
        s
    }
}

fn is_ident(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Violation collector. In fast mode (inside `anyOf`/`oneOf`/`not` probes) it only
/// counts, so messages are never built and nothing is allocated.
struct Sink {
    found: Vec<Violation>,
    count: usize,
    limit: usize,
    collect: bool,
    /// Schema frames on the stack: the backstop against pathological schemas.
    frames: u32,
    /// Remaining work budget, shared with sub-sinks (see [`STEPS_BASE`]).
    steps: u64,
}

impl Sink {
    fn new(collect: bool, steps: u64) -> Self {
        let limit = if collect { MAX_VIOLATIONS } else { 1 };
        let found = Vec::new();
        Sink { found, count: 0, limit, collect, frames: 0, steps }
    }
    fn sub(&self, collect: bool) -> Self {
        Sink { frames: self.frames, ..Sink::new(collect, self.steps) }
    }
    fn full(&self) -> bool {
        self.count >= self.limit
    }
    fn push(&mut self, path: &Path, message: impl FnOnce() -> String) {
        if self.full() {
            return;
        }
        self.count += 1;
        if self.collect {
            self.found.push(Violation { path: path.render(), message: message() });
        }
    }
}

impl Validator {
    /// Compiles `schema`; fails if it uses an unsupported `$ref`, a bad pattern, a
    /// keyword of the wrong type, or is nested too deeply.
    pub fn new(schema: &Value) -> Result<Self, SchemaError> {
        let mut c =
            Compiler { root: schema, nodes: Vec::new(), ptrs: Vec::new(), defs: HashMap::new(), pending: Vec::new() };
        c.compile(schema, "#".into(), 0)?;
        while let Some((name, id)) = c.pending.pop() {
            let def = &schema["$defs"][name.as_str()];
            c.nodes[id] = c.build(def, &c.ptrs[id].clone(), 1)?;
        }
        c.check_cycles()?;
        Ok(Validator { nodes: c.nodes })
    }

    /// `Ok(())` or every violation found (at most [`MAX_VIOLATIONS`]), in document order.
    pub fn validate(&self, instance: &Value) -> Result<(), Vec<Violation>> {
        self.run(instance, true)
    }

    /// Whether `instance` is valid, without building any message.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.run(instance, false).is_ok()
    }

    fn run(&self, instance: &Value, collect: bool) -> Result<(), Vec<Violation>> {
        let refuse = |path, message| Err(vec![Violation { path, message }]);
        let mut values = 0;
        if let Some(path) = too_deep(instance, &Path::Root, 0, &mut values) {
            return refuse(path, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let mut out = Sink::new(collect, STEPS_BASE + STEPS_PER_VALUE * values);
        self.check(0, instance, &Path::Root, &mut out);
        if out.steps == 0 {
            return refuse(String::new(), "too complex to validate against this schema".into());
        }
        if out.count == 0 { Ok(()) } else { Err(out.found) }
    }

    /// Runs `id` on a sub-sink that shares this sink's frames and budget.
    fn run_sub(&self, id: usize, v: &Value, path: &Path, out: &mut Sink, collect: bool) -> Sink {
        let mut sub = out.sub(collect);
        self.check(id, v, path, &mut sub);
        out.steps = sub.steps;
        sub
    }

    fn probe(&self, id: usize, v: &Value, path: &Path, out: &mut Sink) -> bool {
        self.run_sub(id, v, path, out, false).count == 0
    }

    fn check(&self, id: usize, v: &Value, path: &Path, out: &mut Sink) {
        let s = match &self.nodes[id] {
            Node::Bool(true) => return,
            Node::Bool(false) => return out.push(path, || "no value is allowed here".into()),
            Node::Schema(s) => s,
        };
        if out.full() {
            return;
        }
        // The last unit is never spent, so `steps == 0` means "exhausted"; `run`
        // then reports that instead of the violations.
        if out.steps <= 1 {
            out.steps = 0;
            return out.push(path, String::new);
        }
        out.steps -= 1;
        if out.frames >= MAX_FRAMES {
            let msg = "schema is nested too deeply to validate this value";
            return out.push(path, || msg.into());
        }
        out.frames += 1;
        self.apply(s, v, path, out);
        out.frames -= 1;
    }

    fn apply(&self, s: &Schema, v: &Value, path: &Path, out: &mut Sink) {
        // 2020-12: `$ref` is an ordinary applicator; sibling keywords apply as well.
        if let Some(r) = s.reference {
            self.check(r, v, path, out);
        }
        if s.types != 0 && !type_matches(s.types, v) {
            // The remaining keywords would only restate the type mismatch.
            return out.push(path, || format!("expected {}, got {}", type_names(s.types), describe(v)));
        }
        if let Some(c) = &s.constant
            && !json_eq(c, v)
        {
            out.push(path, || format!("expected {}, got {}", show(c), show(v)));
        }
        if let Some(e) = &s.enumeration
            && !e.iter().any(|x| json_eq(x, v))
        {
            out.push(path, || match e.as_slice() {
                [one] => format!("expected {}, got {}", show(one), show(v)),
                _ => format!("expected one of {}, got {}", list(e.iter().map(show)), show(v)),
            });
        }
        // Type-specific keywords ignore values of other types.
        match v {
            Value::Number(n) => check_number(s, n, path, out),
            Value::String(st) => check_string(s, st, path, out),
            Value::Array(a) => self.check_array(s, a, path, out),
            Value::Object(o) => self.check_object(s, o, path, out),
            _ => {}
        }
        for &b in &s.all_of {
            self.check(b, v, path, out);
        }
        if !s.any_of.is_empty() {
            self.check_union(&s.any_of, false, v, path, out);
        }
        if !s.one_of.is_empty() {
            self.check_union(&s.one_of, true, v, path, out);
        }
        if let Some(n) = s.not
            && self.probe(n, v, path, out)
        {
            out.push(path, || match self.const_of(n) {
                Some(c) => format!("must not be {}", show(c)),
                None => "must not match the excluded shape".into(),
            });
        }
    }

    fn check_object(&self, s: &Schema, o: &Map<String, Value>, path: &Path, out: &mut Sink) {
        for name in &s.required {
            if !o.contains_key(&**name) {
                out.push(&Path::Key(path, name), || "is required".to_string());
            }
        }
        if s.props.is_empty() && s.additional.is_none() {
            return;
        }
        for (k, val) in o {
            if out.full() {
                return;
            }
            let child = Path::Key(path, k);
            if let Some(p) = s.lookup(k) {
                self.check(p, val, &child, out);
            } else if let Some(a) = s.additional {
                if matches!(self.nodes[a], Node::Bool(false)) {
                    out.push(&child, || match s.props.len() {
                        0 => "is not accepted here; no properties are allowed".to_string(),
                        _ => {
                            format!("is not accepted here; allowed: {}", list(s.props.iter().map(|p| p.0.to_string())))
                        }
                    });
                } else {
                    self.check(a, val, &child, out);
                }
            }
        }
    }

    fn check_array(&self, s: &Schema, a: &[Value], path: &Path, out: &mut Sink) {
        let len = a.len() as u64;
        if let Some(min) = s.min_items
            && len < min
        {
            out.push(path, || format!("must have at least {min} item{}, got {len}", plural(min)));
        }
        if let Some(max) = s.max_items
            && len > max
        {
            out.push(path, || format!("must have at most {max} item{}, got {len}", plural(max)));
        }
        if s.unique_items
            && let Some((i, j)) = find_duplicate(a)
        {
            out.push(path, || format!("must not contain duplicate items; [{j}] repeats [{i}]"));
        }
        if let Some(it) = s.items {
            for (i, x) in a.iter().enumerate() {
                if out.full() {
                    return;
                }
                self.check(it, x, &Path::Index(path, i), out);
            }
        }
    }

    fn check_union(&self, branches: &[usize], one: bool, v: &Value, path: &Path, out: &mut Sink) {
        let mut matched = 0;
        for &b in branches {
            if self.probe(b, v, path, out) {
                matched += 1;
                // anyOf needs one match; oneOf needs to know whether there is a second.
                if !one || matched > 1 {
                    break;
                }
            }
        }
        match matched {
            1 => {}
            0 if out.collect => self.explain_union(branches, v, path, out),
            0 => out.push(path, String::new),
            _ if one => out.push(path, || "matches more than one of the allowed shapes".into()),
            _ => {}
        }
    }

    /// Every branch failed: report what would help the caller most.
    #[inline(never)]
    fn explain_union(&self, branches: &[usize], v: &Value, path: &Path, out: &mut Sink) {
        // Branches whose own `type` rejects the value are not worth reporting.
        let cands: Vec<usize> = branches.iter().copied().filter(|&b| type_matches(self.type_mask(b), v)).collect();
        match cands.as_slice() {
            [] => {
                let mask = branches.iter().fold(0, |m, &b| m | self.type_mask(b));
                return out.push(path, || match mask {
                    0 => "no value is allowed here".into(),
                    _ => format!("expected {}, got {}", type_names(mask), describe(v)),
                });
            }
            // e.g. a nullable type: the non-null branch explains itself best.
            &[only] => return self.check(only, v, path, out),
            _ => {}
        }
        // Discriminated union: every branch pins the same property with a `const`.
        if let Value::Object(o) = v
            && let Some(key) = self.discriminator(&cands)
        {
            let pins: Vec<(usize, &Value)> =
                cands.iter().filter_map(|&b| Some((b, self.prop_const(b, key)?))).collect();
            let allowed = || list(pins.iter().map(|p| show(p.1)));
            match o.get(key) {
                Some(x) => match pins.iter().find(|p| json_eq(p.1, x)) {
                    Some(&(b, c)) => {
                        let sub = self.run_sub(b, v, path, out, true);
                        relay(sub, &format!("for {key} {}: ", show(c)), out);
                    }
                    None => {
                        out.push(&Path::Key(path, key), || format!("expected one of {}, got {}", allowed(), show(x)))
                    }
                },
                None => out
                    .push(path, || format!("missing required property {}; expected one of {}", quote(key), allowed())),
            }
            return;
        }
        let mut best: Option<Sink> = None;
        for &b in &cands {
            let sub = self.run_sub(b, v, path, out, true);
            if best.as_ref().is_none_or(|x| sub.count < x.count) {
                best = Some(sub);
            }
        }
        if let Some(sub) = best {
            relay(sub, &format!("closest of {} allowed shapes: ", cands.len()), out);
        }
    }

    /// Follows in-place `$ref`s from `id` until `stop` accepts a schema node.
    fn resolve(&self, mut id: usize, stop: impl Fn(&Schema) -> bool) -> Option<&Schema> {
        for _ in 0..self.nodes.len() {
            let Node::Schema(s) = &self.nodes[id] else {
                return None;
            };
            match s.reference {
                Some(r) if !stop(s) => id = r,
                _ => return Some(s),
            }
        }
        None
    }

    /// The types a branch can accept, judged by its `type` keyword alone.
    fn type_mask(&self, id: usize) -> u8 {
        match &self.nodes[id] {
            Node::Bool(b) => ANY * u8::from(*b),
            Node::Schema(_) => {
                self.resolve(id, |s| s.types != 0).map_or(ANY, |s| if s.types == 0 { ANY } else { s.types })
            }
        }
    }

    fn const_of(&self, id: usize) -> Option<&Value> {
        let s = self.resolve(id, |s| s.constant.is_some() || s.enumeration.is_some())?;
        s.constant.as_ref().or(match s.enumeration.as_deref() {
            Some([one]) => Some(one),
            _ => None,
        })
    }

    fn prop_const(&self, id: usize, key: &str) -> Option<&Value> {
        let s = self.resolve(id, |s| !s.props.is_empty())?;
        self.const_of(s.lookup(key)?)
    }

    /// A property that every candidate pins with a `const` (or one-value `enum`).
    fn discriminator<'s>(&'s self, cands: &[usize]) -> Option<&'s str> {
        let first = self.resolve(cands[0], |s| !s.props.is_empty())?;
        first.props.iter().map(|p| &*p.0).find(|k| cands.iter().all(|&b| self.prop_const(b, k).is_some()))
    }
}

fn relay(sub: Sink, prefix: &str, out: &mut Sink) {
    for x in sub.found {
        if out.full() {
            break;
        }
        out.count += 1;
        if out.collect {
            // Nested unions of the same shape would repeat the prefix at every level.
            let mut message = x.message;
            if !message.starts_with(prefix) {
                message.insert_str(0, prefix);
            }
            out.found.push(Violation { path: x.path, message });
        }
    }
}

fn check_number(s: &Schema, n: &Number, path: &Path, out: &mut Sink) {
    let x = num(n);
    let bounds = [
        (&s.minimum, "at least", Ordering::is_ge as fn(Ordering) -> bool),
        (&s.maximum, "at most", Ordering::is_le),
        (&s.exclusive_minimum, "greater than", Ordering::is_gt),
        (&s.exclusive_maximum, "less than", Ordering::is_lt),
    ];
    for (bound, words, ok) in bounds {
        if let Some(b) = bound
            && !ok(cmp_num(x, num(b)))
        {
            out.push(path, || format!("must be {words} {b}, got {n}"));
        }
    }
    if let Some(m) = &s.multiple_of
        && !is_multiple(x, num(m))
    {
        out.push(path, || format!("must be a multiple of {m}, got {n}"));
    }
}

fn check_string(s: &Schema, st: &str, path: &Path, out: &mut Sink) {
    // Lengths count Unicode scalar values; the byte length bounds that count from above.
    if let Some(min) = s.min_length
        && (st.len() as u64) < min.saturating_mul(4)
    {
        let len = st.chars().count() as u64;
        if len < min {
            out.push(path, || format!("must be at least {min} character{} long, got {len}", plural(min)));
        }
    }
    if let Some(max) = s.max_length
        && st.len() as u64 > max
    {
        let len = st.chars().count() as u64;
        if len > max {
            out.push(path, || format!("must be at most {max} character{} long, got {len}", plural(max)));
        }
    }
    // JSON Schema patterns are unanchored searches.
    if let Some((src, re)) = &s.pattern
        && re.find(st).is_none()
    {
        out.push(path, || format!("does not match pattern {src}"));
    }
    match s.format {
        Some(Format::DateTime) if !is_date_time(st.as_bytes()) => out.push(path, || {
            format!("expected an RFC 3339 date-time such as 2026-11-01T12:00:00Z, got {}", quote_short(st))
        }),
        Some(Format::Date) if !is_date(st.as_bytes()) => {
            out.push(path, || format!("expected a date (YYYY-MM-DD) such as 2026-11-01, got {}", quote_short(st)))
        }
        _ => {}
    }
}

/// Path of the first value nested deeper than [`MAX_DEPTH`], if any; counts values.
fn too_deep(v: &Value, path: &Path, depth: usize, values: &mut u64) -> Option<String> {
    *values += 1;
    if depth > MAX_DEPTH {
        return Some(path.render());
    }
    match v {
        Value::Array(a) => {
            a.iter().enumerate().find_map(|(i, x)| too_deep(x, &Path::Index(path, i), depth + 1, values))
        }
        Value::Object(o) => o.iter().find_map(|(k, x)| too_deep(x, &Path::Key(path, k), depth + 1, values)),
        _ => None,
    }
}

fn deeper_than(v: &Value, limit: usize) -> bool {
    match v {
        _ if limit == 0 => true,
        Value::Array(a) => a.iter().any(|x| deeper_than(x, limit - 1)),
        Value::Object(o) => o.values().any(|x| deeper_than(x, limit - 1)),
        _ => false,
    }
}

fn type_matches(mask: u8, v: &Value) -> bool {
    let bit = match v {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Object(_) => OBJECT,
        Value::Array(_) => ARRAY,
        Value::String(_) => STRING,
        // `number` includes integers; `integer` is any number without a fraction.
        Value::Number(n) => return mask & NUMBER != 0 || (mask & INTEGER != 0 && is_integral(n)),
    };
    mask & bit != 0
}

fn type_names(mask: u8) -> String {
    let mask = if mask & NUMBER != 0 { mask & !INTEGER } else { mask };
    let names: Vec<&str> = TYPE_NAMES.iter().filter(|t| mask & t.1 != 0).map(|t| t.0).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn is_integral(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// Exact numeric view: every i64/u64 fits an i128, so integer comparisons are lossless.
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &Number) -> Num {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Num::Int(i.into()),
        (_, Some(u)) => Num::Int(u.into()),
        _ => Num::Float(n.as_f64().unwrap_or(0.0)),
    }
}

fn cmp_num(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Num::Float(x), Num::Int(y)) => cmp_float_int(x, y),
        (Num::Int(x), Num::Float(y)) => cmp_float_int(y, x).reverse(),
    }
}

/// Compares without rounding the integer to f64 (2^53 + 1 must exceed 2^53 as a float).
fn cmp_float_int(f: f64, i: i128) -> Ordering {
    const LIMIT: f64 = 1.7014118346046923e38; // 2^127
    if f >= LIMIT {
        return Ordering::Greater;
    }
    if f < -LIMIT {
        return Ordering::Less;
    }
    let t = f.trunc();
    (t as i128).cmp(&i).then(f.partial_cmp(&t).unwrap_or(Ordering::Equal))
}

fn is_multiple(v: Num, m: Num) -> bool {
    let f = |n| match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    };
    match (v, m) {
        (Num::Int(x), Num::Int(y)) => y == 0 || x % y == 0,
        _ => {
            // Float division is inexact (0.3 / 0.1 = 2.9999999999999996): allow a few ulps.
            let q = f(v) / f(m);
            !q.is_finite() || (q - q.round()).abs() <= q.abs() * f64::EPSILON * 4.0
        }
    }
}

/// JSON equality: numbers compare by value (1 == 1.0), objects ignore key order.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_num(num(x), num(y)) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

/// A hash consistent with [`json_eq`].
fn json_hash(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => match num(n) {
            Num::Int(i) => (2u8, i).hash(h),
            Num::Float(f) if f.fract() == 0.0 && f.abs() < 1.7e38 => (2u8, f as i128).hash(h),
            Num::Float(f) => (3u8, f.to_bits()).hash(h),
        },
        Value::String(s) => (4u8, s).hash(h),
        Value::Array(a) => {
            (5u8, a.len()).hash(h);
            a.iter().for_each(|x| json_hash(x, h));
        }
        Value::Object(o) => {
            // Order-independent: sum the entry hashes.
            let sum = o.iter().fold(0u64, |acc, (k, x)| {
                let mut eh = DefaultHasher::new();
                k.hash(&mut eh);
                json_hash(x, &mut eh);
                acc.wrapping_add(eh.finish())
            });
            (6u8, sum).hash(h);
        }
    }
}

/// First pair of equal items `(i, j)`, `i < j`; O(n log n) for long arrays.
fn find_duplicate(a: &[Value]) -> Option<(usize, usize)> {
    if a.len() <= 16 {
        return (1..a.len()).find_map(|j| (0..j).find(|&i| json_eq(&a[i], &a[j])).map(|i| (i, j)));
    }
    let mut keyed: Vec<(u64, usize)> = a
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut h = DefaultHasher::new();
            json_hash(x, &mut h);
            (h.finish(), i)
        })
        .collect();
    keyed.sort_unstable();
    keyed.chunk_by(|x, y| x.0 == y.0).find_map(|run| {
        (1..run.len()).find_map(|j| (0..j).find(|&i| json_eq(&a[run[i].1], &a[run[j].1])).map(|i| (run[i].1, run[j].1)))
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// RFC 3339 `full-date`: YYYY-MM-DD with a real day of that month.
fn is_date(b: &[u8]) -> bool {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return false;
    };
    let (Some(y), Some(m), Some(d)) = (digits(&[y0, y1, y2, y3]), digits(&[m0, m1]), digits(&[d0, d1])) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m) && d >= 1 && d <= days[m as usize - 1]
}

/// RFC 3339 `date-time`: full-date "T" HH:MM:SS[.frac] ("Z" | ±HH:MM); T and Z may be lowercase.
fn is_date_time(b: &[u8]) -> bool {
    if b.len() < 20 || !is_date(&b[..10]) || !matches!(b[10], b'T' | b't') {
        return false;
    }
    let [h0, h1, b':', m0, m1, b':', s0, s1] = b[11..19] else {
        return false;
    };
    let time_ok = matches!((digits(&[h0, h1]), digits(&[m0, m1]), digits(&[s0, s1])),
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s <= 60);
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &tail[n..];
    }
    let zone_ok = match *rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h0, h1, b':', m0, m1] => {
            matches!((digits(&[h0, h1]), digits(&[m0, m1])), (Some(h), Some(m)) if h < 24 && m < 60)
        }
        _ => false,
    };
    time_ok && zone_ok
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A string as a JSON literal, cut to 40 characters.
fn quote_short(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((cut, _)) => {
            let q = quote(&s[..cut]);
            format!("{}…\"", q.strip_suffix('"').unwrap_or(&q))
        }
        None => quote(s),
    }
}

/// A short rendering of a value for messages.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => quote_short(s),
        _ => {
            let text = v.to_string();
            match text.char_indices().nth(40) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        }
    }
}

/// The value's JSON type and a short rendering: `string "abc"`, `integer 5`, `null`.
fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(n) if is_integral(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!("{kind} {}", show(v))
}

fn list(items: impl ExactSizeIterator<Item = String>) -> String {
    let more = items.len() > LIST_LIMIT;
    let mut s = items.take(LIST_LIMIT).collect::<Vec<_>>().join(", ");
    if more {
        s.push_str(", …");
    }
    s
}

/// JSON pointer token escaping (RFC 6901).
fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    ptrs: Vec<String>, // schema location of each node, for errors
    defs: HashMap<String, usize>,
    pending: Vec<(String, usize)>, // referenced definitions not yet compiled
}

impl Compiler<'_> {
    fn compile(&mut self, v: &Value, ptr: String, depth: usize) -> Result<usize, SchemaError> {
        let id = self.reserve(ptr);
        let ptr = self.ptrs[id].clone();
        self.nodes[id] = self.build(v, &ptr, depth)?;
        Ok(id)
    }

    fn reserve(&mut self, ptr: String) -> usize {
        self.nodes.push(Node::Bool(true));
        self.ptrs.push(ptr);
        self.nodes.len() - 1
    }

    fn build(&mut self, v: &Value, ptr: &str, depth: usize) -> Result<Node, SchemaError> {
        let invalid = |key: &str, expected| SchemaError::Invalid { at: format!("{ptr}/{}", esc(key)), expected };
        if depth > MAX_SCHEMA_DEPTH {
            return Err(SchemaError::TooDeep { at: ptr.into() });
        }
        let o = match v {
            Value::Bool(b) => return Ok(Node::Bool(*b)),
            Value::Object(o) => o,
            _ => {
                return Err(SchemaError::Invalid { at: ptr.into(), expected: "a schema (object or boolean)" });
            }
        };
        let mut s = Schema::default();
        for (key, val) in o {
            let at = format!("{ptr}/{}", esc(key));
            let count = || match val.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 => Ok(Some(val.as_u64().unwrap_or(f as u64))),
                _ => Err(invalid(key, "a non-negative integer")),
            };
            let number = || val.as_number().cloned().map(Some);
            let number = || number().ok_or_else(|| invalid(key, "a number"));
            // `const`/`enum` values are compared recursively: bound their depth too.
            let value = || {
                if deeper_than(val, MAX_SCHEMA_DEPTH) {
                    Err(SchemaError::TooDeep { at: at.clone() })
                } else {
                    Ok(Some(val.clone()))
                }
            };
            match key.as_str() {
                "type" => s.types = parse_types(val).ok_or_else(|| invalid(key, "a type name or an array of them"))?,
                "const" => s.constant = value()?,
                "enum" => match value()? {
                    Some(Value::Array(a)) => s.enumeration = Some(a),
                    _ => return Err(invalid(key, "an array")),
                },
                "properties" => {
                    let m = val.as_object().ok_or_else(|| invalid(key, "an object of schemas"))?;
                    for (name, sub) in m {
                        let id = self.compile(sub, format!("{at}/{}", esc(name)), depth + 1)?;
                        s.props.push((name.as_str().into(), id));
                    }
                    s.sorted = (0..s.props.len()).collect();
                    s.sorted.sort_by(|&a, &b| s.props[a].0.cmp(&s.props[b].0));
                }
                "required" => {
                    let names = val.as_array().and_then(|a| a.iter().map(|n| n.as_str().map(Into::into)).collect());
                    s.required = names.ok_or_else(|| invalid(key, "an array of strings"))?;
                }
                // `true` (the default) constrains nothing.
                "additionalProperties" if *val != Value::Bool(true) => {
                    s.additional = Some(self.compile(val, at, depth + 1)?)
                }
                "items" => s.items = Some(self.compile(val, at, depth + 1)?),
                "not" => s.not = Some(self.compile(val, at, depth + 1)?),
                "minItems" => s.min_items = count()?,
                "maxItems" => s.max_items = count()?,
                "minLength" => s.min_length = count()?,
                "maxLength" => s.max_length = count()?,
                "uniqueItems" => s.unique_items = val.as_bool().ok_or_else(|| invalid(key, "a boolean"))?,
                "minimum" => s.minimum = number()?,
                "maximum" => s.maximum = number()?,
                "exclusiveMinimum" => s.exclusive_minimum = number()?,
                "exclusiveMaximum" => s.exclusive_maximum = number()?,
                "multipleOf" => match number()? {
                    Some(n) if n.as_f64().is_some_and(|f| f > 0.0) => s.multiple_of = Some(n),
                    _ => return Err(invalid(key, "a number greater than 0")),
                },
                "pattern" => {
                    let src = val.as_str().ok_or_else(|| invalid(key, "a string"))?;
                    if let Some(reason) = pattern_too_big(src) {
                        return Err(SchemaError::BadPattern { at, pattern: src.into(), reason: reason.into() });
                    }
                    // ECMAScript semantics; prefer the `u` flag, fall back for legacy syntax.
                    let re = regress::Regex::with_flags(src, "u").or_else(|_| regress::Regex::new(src));
                    let re =
                        re.map_err(|e| SchemaError::BadPattern { at, pattern: src.into(), reason: e.to_string() })?;
                    s.pattern = Some((src.into(), re));
                }
                "format" => {
                    s.format = match val.as_str().ok_or_else(|| invalid(key, "a string"))? {
                        "date-time" => Some(Format::DateTime),
                        "date" => Some(Format::Date),
                        _ => None, // other formats are annotations here
                    }
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let a = val.as_array().filter(|a| !a.is_empty());
                    let a = a.ok_or_else(|| invalid(key, "a non-empty array of schemas"))?;
                    let mut ids = Vec::with_capacity(a.len());
                    for (i, sub) in a.iter().enumerate() {
                        ids.push(self.compile(sub, format!("{at}/{i}"), depth + 1)?);
                    }
                    match key.as_str() {
                        "allOf" => s.all_of = ids,
                        "anyOf" => s.any_of = ids,
                        _ => s.one_of = ids,
                    }
                }
                "$ref" => {
                    let target = val.as_str().ok_or_else(|| invalid(key, "a string"))?;
                    s.reference = Some(self.reference(target, at)?);
                }
                _ => {} // annotations ($defs is read through $ref) and unknown keywords
            }
        }
        Ok(Node::Schema(Box::new(s)))
    }

    /// `#` is the root; `#/$defs/Name` is compiled later (see `pending`), so recursive
    /// definitions compile once.
    fn reference(&mut self, target: &str, at: String) -> Result<usize, SchemaError> {
        if target == "#" {
            return Ok(0);
        }
        let Some(token) = target.strip_prefix("#/$defs/").filter(|t| !t.contains('/')) else {
            return Err(SchemaError::UnsupportedRef { at, target: target.into() });
        };
        let name = token.replace("~1", "/").replace("~0", "~");
        if let Some(&id) = self.defs.get(&name) {
            return Ok(id);
        }
        if self.root.get("$defs").and_then(|d| d.get(&name)).is_none() {
            return Err(SchemaError::MissingDef { at, target: target.into() });
        }
        let id = self.reserve(format!("#/$defs/{token}"));
        self.defs.insert(name.clone(), id);
        self.pending.push((name, id));
        Ok(id)
    }

    /// Rejects cycles of in-place applicators ($ref, allOf, anyOf, oneOf, not):
    /// validating them would recurse forever on the same value. Iterative DFS.
    fn check_cycles(&self) -> Result<(), SchemaError> {
        let edge = |id: usize, i: usize| match &self.nodes[id] {
            Node::Schema(s) => s.in_place().nth(i),
            Node::Bool(_) => None,
        };
        let mut state = vec![0u8; self.nodes.len()]; // 0 new, 1 on stack, 2 done
        for start in 0..self.nodes.len() {
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            let mut stack = vec![(start, 0)];
            while let Some((id, i)) = stack.last_mut() {
                let (id, next) = (*id, edge(*id, *i));
                *i += 1;
                match next {
                    None => {
                        state[id] = 2;
                        stack.pop();
                    }
                    Some(n) if state[n] == 1 => {
                        return Err(SchemaError::RefCycle { at: self.ptrs[n].clone() });
                    }
                    Some(n) if state[n] == 0 => {
                        state[n] = 1;
                        stack.push((n, 0));
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }
}

/// regress parses (and matches lookarounds) recursively: keep patterns within what it
/// handles on a 2 MiB thread stack.
fn pattern_too_big(src: &str) -> Option<&'static str> {
    if src.len() > 2048 {
        return Some("longer than 2048 bytes");
    }
    let (mut depth, mut max, mut in_class, mut escaped) = (0i32, 0, false, false);
    for c in src.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => {
                depth += 1;
                max = max.max(depth);
            }
            ')' if !in_class => depth -= 1,
            _ => {}
        }
    }
    (max > 16).then_some("groups nested deeper than 16 levels")
}

fn parse_types(v: &Value) -> Option<u8> {
    let one = |t: &Value| TYPE_NAMES.iter().find(|n| t.as_str() == Some(n.0)).map(|n| n.1);
    match v {
        Value::Array(a) if !a.is_empty() => a.iter().try_fold(0, |m, t| Some(m | one(t)?)),
        _ => one(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Violations rendered with `Display`; empty when valid.
    fn errs(schema: Value, instance: Value) -> Vec<String> {
        let v = Validator::new(&schema).expect("schema compiles");
        assert_eq!(v.is_valid(&instance), v.validate(&instance).is_ok());
        match v.validate(&instance) {
            Ok(()) => vec![],
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    fn one(schema: Value, instance: Value) -> String {
        let e = errs(schema, instance);
        assert_eq!(e.len(), 1, "{e:?}");
        e[0].clone()
    }

    #[test]
    fn types() {
        assert_eq!(one(json!({"type": "integer"}), json!("abc")), r#"expected integer, got string "abc""#);
        assert!(errs(json!({"type": "integer"}), json!(3.0)).is_empty());
        assert!(errs(json!({"type": "integer"}), json!(u64::MAX)).is_empty());
        assert_eq!(one(json!({"type": "integer"}), json!(1.5)), "expected integer, got number 1.5");
        assert!(errs(json!({"type": "number"}), json!(7)).is_empty());
        for (t, ok, bad) in [
            ("null", json!(null), json!(0)),
            ("boolean", json!(true), json!("true")),
            ("object", json!({}), json!([])),
            ("array", json!([]), json!({})),
            ("string", json!(""), json!(null)),
        ] {
            assert!(errs(json!({"type": t}), ok).is_empty(), "{t}");
            assert_eq!(errs(json!({"type": t}), bad).len(), 1, "{t}");
        }
        let nullable = json!({"type": ["string", "null"]});
        assert!(errs(nullable.clone(), json!(null)).is_empty());
        assert_eq!(one(nullable, json!(5)), "expected string or null, got integer 5");
        assert!(errs(json!(true), json!({"a": 1})).is_empty());
        assert_eq!(one(json!(false), json!(1)), "no value is allowed here");
    }

    #[test]
    fn enum_and_const() {
        let s = json!({"enum": ["whitelist", "blacklist"]});
        assert!(errs(s.clone(), json!("blacklist")).is_empty());
        assert_eq!(one(s, json!("grey")), r#"expected one of "whitelist", "blacklist", got "grey""#);
        assert!(errs(json!({"const": 1}), json!(1.0)).is_empty());
        assert!(errs(json!({"enum": [{"a": [1, 2]}]}), json!({"a": [1.0, 2]})).is_empty());
        assert_eq!(one(json!({"const": "ip"}), json!("dns")), r#"expected "ip", got "dns""#);
        let long: Vec<i32> = (0..15).collect();
        assert!(one(json!({"enum": long}), json!(99)).ends_with("8, 9, …, got 99"));
    }

    #[test]
    fn objects_and_paths() {
        let s = json!({
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string"}, "category": {}, "risk_level": {"type": "integer"},
                "notes": {}, "is_active": {"type": "boolean"}
            }
        });
        assert!(errs(s.clone(), json!({"name": "x", "risk_level": 2})).is_empty());
        assert_eq!(
            errs(s.clone(), json!({"nmae": "x", "risk_level": "high"})),
            [
                r#"name: is required"#,
                r#"nmae: is not accepted here; allowed: name, category, risk_level, notes, is_active"#,
                r#"risk_level: expected integer, got string "high""#,
            ]
        );
        let nested = json!({"properties": {"body": {"properties": {
            "identifiers": {"items": {"properties": {"identifier_value": {"type": "string"}}}},
            "odd key": {"properties": {"x-y": {"type": "string"}}}
        }}}});
        let bad = json!({"body": {"identifiers": [{}, {}, {"identifier_value": 1}], "odd key": {"x-y": 2}}});
        assert_eq!(
            errs(nested, bad),
            [
                "body.identifiers[2].identifier_value: expected string, got integer 1",
                r#"body["odd key"]["x-y"]: expected string, got integer 2"#,
            ]
        );
        let extra = json!({"additionalProperties": {"type": "integer"}, "properties": {"a": {}}});
        assert_eq!(one(extra, json!({"a": "s", "b": "t"})), r#"b: expected integer, got string "t""#);
        assert_eq!(
            one(json!({"additionalProperties": false}), json!({"q": 1})),
            r#"q: is not accepted here; no properties are allowed"#
        );
        let v = Violation { path: String::new(), message: "m".into() };
        assert_eq!(v.to_string(), "m");
    }

    #[test]
    fn arrays() {
        let s = json!({"items": {"type": "integer"}, "minItems": 1, "maxItems": 3, "uniqueItems": true});
        assert!(errs(s.clone(), json!([1, 2, 3])).is_empty());
        assert_eq!(one(s.clone(), json!([])), "must have at least 1 item, got 0");
        assert_eq!(one(s.clone(), json!([1, 2, 3, 4])), "must have at most 3 items, got 4");
        assert_eq!(one(s.clone(), json!([1, "x"])), r#"[1]: expected integer, got string "x""#);
        assert_eq!(one(s, json!([1, 2, 1.0])), "must not contain duplicate items; [2] repeats [0]");
        let u = json!({"uniqueItems": true});
        assert_eq!(errs(u.clone(), json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}])).len(), 1);
        let mut many: Vec<Value> = (0..1000).map(|i| json!({"n": i})).collect();
        assert!(errs(u.clone(), Value::Array(many.clone())).is_empty());
        many.push(json!({"n": 500.0}));
        assert_eq!(one(u, Value::Array(many)), "must not contain duplicate items; [1000] repeats [500]");
    }

    #[test]
    fn numbers() {
        let s = json!({"minimum": 1, "maximum": 200});
        assert_eq!(one(s.clone(), json!(500)), "must be at most 200, got 500");
        assert_eq!(one(s.clone(), json!(0.5)), "must be at least 1, got 0.5");
        assert!(errs(s, json!(200.0)).is_empty());
        let ex = json!({"exclusiveMinimum": 0, "exclusiveMaximum": 10});
        assert_eq!(one(ex.clone(), json!(0)), "must be greater than 0, got 0");
        assert_eq!(one(ex.clone(), json!(10.0)), "must be less than 10, got 10.0");
        assert!(errs(ex, json!(9.99)).is_empty());
        assert!(errs(json!({"multipleOf": 0.1}), json!(0.3)).is_empty());
        assert_eq!(one(json!({"multipleOf": 0.5}), json!(1.3)), "must be a multiple of 0.5, got 1.3");
        assert_eq!(one(json!({"multipleOf": 3}), json!(10)), "must be a multiple of 3, got 10");
        // Big integers compare exactly, also against float bounds.
        assert_eq!(errs(json!({"maximum": u64::MAX - 1}), json!(u64::MAX)).len(), 1);
        assert!(errs(json!({"minimum": i64::MIN}), json!(i64::MIN)).is_empty());
        assert_eq!(errs(json!({"maximum": 9007199254740992.0}), json!(9007199254740993u64)).len(), 1);
        assert!(errs(json!({"minimum": -1.5}), json!(u64::MAX)).is_empty());
    }

    #[test]
    fn strings_and_formats() {
        let s = json!({"minLength": 1, "maxLength": 3});
        assert_eq!(one(s.clone(), json!("")), "must be at least 1 character long, got 0");
        assert!(errs(s.clone(), json!("ééé")).is_empty());
        assert_eq!(one(s, json!("😀😀😀😀")), "must be at most 3 characters long, got 4");
        let p = json!({"pattern": "^(whitelist|blacklist)$"});
        assert_eq!(one(p, json!("grey")), "does not match pattern ^(whitelist|blacklist)$");
        assert!(errs(json!({"pattern": "b+"}), json!("abbbc")).is_empty(), "unanchored search");
        assert!(errs(json!({"pattern": "^\\d{3}$"}), json!(123)).is_empty(), "non-strings ignored");
        let dt = json!({"format": "date-time"});
        for ok in ["2026-11-01T12:00:00Z", "2024-02-29t23:59:60.123456+05:30", "2026-01-01T00:00:00-00:00"] {
            assert!(errs(dt.clone(), json!(ok)).is_empty(), "{ok}");
        }
        for bad in [
            "2026-11-01",
            "2026-11-01 12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2026-11-01T12:00:00",
            "2026-11-01T12:00:00.Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T12:00:00+0100",
        ] {
            assert_eq!(errs(dt.clone(), json!(bad)).len(), 1, "{bad}");
        }
        assert_eq!(
            one(dt, json!("yesterday")),
            r#"expected an RFC 3339 date-time such as 2026-11-01T12:00:00Z, got "yesterday""#
        );
        let d = json!({"format": "date"});
        assert!(errs(d.clone(), json!("2024-02-29")).is_empty());
        assert_eq!(errs(d.clone(), json!("2026-1-01")).len(), 1);
        assert!(errs(json!({"format": "email"}), json!("nope")).is_empty());
        let long = "x".repeat(100);
        let msg = one(d, json!(long));
        assert!(msg.ends_with(&format!("got \"{}…\"", "x".repeat(40))), "{msg}");
    }

    #[test]
    fn combinators() {
        // A nullable $ref: the object branch explains itself, unprefixed.
        let s = json!({
            "$defs": {"P": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}},
            "anyOf": [{"$ref": "#/$defs/P"}, {"type": "null"}]
        });
        assert!(errs(s.clone(), json!(null)).is_empty());
        assert_eq!(one(s.clone(), json!({})), r#"a: is required"#);
        assert_eq!(one(s, json!(3)), "expected object or null, got integer 3");
        let closest = json!({"anyOf": [{"minimum": 10}, {"maximum": 0, "multipleOf": 3}]});
        assert_eq!(one(closest, json!(5)), "closest of 2 allowed shapes: must be at least 10, got 5");
        assert!(errs(json!({"allOf": [{"minimum": 1}, {"maximum": 5}]}), json!(3)).is_empty());
        assert_eq!(errs(json!({"allOf": [{"minimum": 10}, {"maximum": 5}]}), json!(7)).len(), 2);
        assert_eq!(one(json!({"not": {"const": "root"}}), json!("root")), r#"must not be "root""#);
        assert_eq!(one(json!({"not": {"type": "string"}}), json!("x")), "must not match the excluded shape");
        let ambiguous = json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]});
        assert!(errs(ambiguous.clone(), json!(-1)).is_empty());
        assert_eq!(one(ambiguous, json!(1)), "matches more than one of the allowed shapes");
    }

    #[test]
    fn discriminated_one_of() {
        let branch = |kind: &str, field: &str, ty: &str| {
            json!({"type": "object", "additionalProperties": false,
                "required": ["entry_type", field],
                "properties": {"entry_type": {"const": kind}, field: {"type": ty}}})
        };
        let s = json!({"properties": {"entry": {"oneOf": [
            branch("ip", "address", "string"),
            branch("port", "number", "integer"),
            branch("tag", "labels", "array"),
        ]}}});
        let v = Validator::new(&s).unwrap();
        assert!(v.validate(&json!({"entry": {"entry_type": "port", "number": 22}})).is_ok());
        let e = errs(s.clone(), json!({"entry": {"entry_type": "port", "number": "22"}}));
        assert_eq!(e, [r#"entry.number: for entry_type "port": expected integer, got string "22""#]);
        let e = errs(s.clone(), json!({"entry": {"entry_type": "port"}}));
        assert_eq!(e, [r#"entry.number: for entry_type "port": is required"#]);
        let e = errs(s.clone(), json!({"entry": {"entry_type": "dns", "number": 1}}));
        assert_eq!(e, [r#"entry.entry_type: expected one of "ip", "port", "tag", got "dns""#]);
        let e = errs(s, json!({"entry": {"address": "x"}}));
        assert_eq!(e, [r#"entry: missing required property "entry_type"; expected one of "ip", "port", "tag""#]);
    }

    #[test]
    fn recursion_and_depth() {
        let tree = json!({
            "$ref": "#/$defs/Node",
            "$defs": {"Node": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}}
        });
        let ok = json!({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]});
        assert!(errs(tree.clone(), ok).is_empty());
        let bad = json!({"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]});
        assert_eq!(one(tree.clone(), bad), "children[0].children[0].name: expected string, got integer 3");
        let root_ref = json!({"properties": {"next": {"$ref": "#"}}, "required": ["v"]});
        assert_eq!(one(root_ref, json!({"v": 1, "next": {"v": 2, "next": {}}})), r#"next.next.v: is required"#);
        // 200 levels: one violation at depth 65, no deeper recursion.
        let mut deep = json!({"name": "leaf"});
        for _ in 0..200 {
            deep = json!({"name": "n", "children": [deep]});
        }
        let e = Validator::new(&tree).unwrap().validate(&deep).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].message, "nesting deeper than 64 levels");
        assert_eq!(e[0].path.matches("children[0]").count(), 32);
        assert!(e[0].path.ends_with("[0].name"));
        assert!(!Validator::new(&json!(true)).unwrap().is_valid(&deep));
        // A long in-place $ref chain hits the frame backstop instead of the stack.
        let mut defs = Map::new();
        for i in 0..2000 {
            defs.insert(format!("d{i}"), json!({"$ref": format!("#/$defs/d{}", i + 1)}));
        }
        defs.insert("d2000".into(), json!({"type": "string"}));
        let chain = json!({"$defs": defs, "$ref": "#/$defs/d0"});
        assert_eq!(one(chain, json!("x")), "schema is nested too deeply to validate this value");
    }

    #[test]
    fn work_budget() {
        // Both recursive branches fail only at the leaf: 2^60 checks without the budget.
        let branch = json!({"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/N"}}});
        let s = json!({"$defs": {"N": {"anyOf": [branch, branch]}}, "$ref": "#/$defs/N"});
        let mut inst = json!(5);
        for _ in 0..60 {
            inst = json!({"a": inst});
        }
        let start = std::time::Instant::now();
        assert_eq!(one(s.clone(), inst), "too complex to validate against this schema");
        assert!(start.elapsed().as_secs() < 5);
        assert!(errs(s, json!({"a": {"a": {}}})).len() == 1);
    }

    #[test]
    fn violation_limit() {
        let s = json!({"items": {"type": "string"}});
        assert_eq!(errs(s, json!(vec![0; 100])).len(), MAX_VIOLATIONS);
    }

    #[test]
    fn schema_errors() {
        let err = |s: Value| Validator::new(&s).expect_err("schema rejected").to_string();
        assert_eq!(
            err(json!({"properties": {"a": {"$ref": "https://example.com/s.json"}}})),
            r##"#/properties/a/$ref: unsupported $ref "https://example.com/s.json" (only "#" and "#/$defs/<name>" are supported)"##
        );
        assert!(err(json!({"$ref": "#/components/schemas/X"})).contains("unsupported $ref"));
        assert!(err(json!({"$ref": "#/$defs/Nope"})).contains("does not exist"));
        let deep_groups = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(err(json!({"pattern": deep_groups})).ends_with("groups nested deeper than 16 levels"));
        assert!(
            err(json!({"properties": {"a": {"pattern": "(unclosed"}}}))
                .starts_with("#/properties/a/pattern: invalid pattern")
        );
        assert_eq!(err(json!({"minLength": "3"})), "#/minLength: expected a non-negative integer");
        assert_eq!(err(json!({"type": "text"})), "#/type: expected a type name or an array of them");
        assert_eq!(err(json!({"items": 5})), "#/items: expected a schema (object or boolean)");
        assert!(err(json!({"anyOf": [{"type": "null"}, {"$ref": "#"}]})).contains("refers back to itself"));
        let cyc = json!({"$defs": {"A": {"allOf": [{"$ref": "#/$defs/B"}]}, "B": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"});
        assert!(err(cyc).contains("refers back to itself"));
        let mut deep = json!({});
        for _ in 0..200 {
            deep = json!({"items": deep});
        }
        assert!(err(deep).contains("nested deeper"));
        let ann = json!({"title": "t", "description": "d", "default": 1, "examples": [], "x-foo": {}, "$schema": "s",
            "$id": "i", "$comment": "c", "readOnly": true, "deprecated": true, "discriminator": {}, "format": "uuid"});
        assert!(Validator::new(&ann).is_ok());
    }

    #[test]
    fn send_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Validator>();
        assert::<SchemaError>();
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
        fn value(&mut self, depth: u32) -> Value {
            const STRS: [&str; 8] = ["", "a", "2026-11-01", "2026-11-01T12:00:00Z", "é😀", "#", "x y", "abcabc"];
            match self.next(if depth == 0 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => json!(self.next(2) == 0),
                2 => match self.next(4) {
                    0 => json!(self.next(1000) as i64 - 500),
                    1 => json!(u64::MAX - self.next(3)),
                    2 => json!(self.next(100) as f64 / 8.0),
                    _ => json!(i64::MIN),
                },
                3 | 4 => json!(STRS[self.next(8) as usize]),
                5 => Value::Array((0..self.next(4)).map(|_| self.value(depth - 1)).collect()),
                _ => Value::Object(
                    (0..self.next(4)).map(|_| (STRS[self.next(8) as usize].into(), self.value(depth - 1))).collect(),
                ),
            }
        }
        fn schema(&mut self, depth: u32) -> Value {
            const KEYS: [&str; 26] = [
                "type",
                "enum",
                "const",
                "properties",
                "required",
                "additionalProperties",
                "items",
                "minItems",
                "maxItems",
                "uniqueItems",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
                "minLength",
                "maxLength",
                "pattern",
                "format",
                "anyOf",
                "oneOf",
                "allOf",
                "not",
                "$ref",
                "title",
                "$defs",
            ];
            if depth == 0 || self.next(6) == 0 {
                return json!(self.next(2) == 0);
            }
            let mut o = Map::new();
            for _ in 0..self.next(5) {
                let key = KEYS[self.next(KEYS.len() as u64) as usize];
                let val = match self.next(9) {
                    0 => json!(["string", "integer", "null", "object", "array", "number"][self.next(6) as usize]),
                    1 => json!(
                        ["#", "#/$defs/a", "#/$defs/b", "a+", "(", "date-time", "date", "x"][self.next(8) as usize]
                    ),
                    2 => json!(self.next(5)),
                    3 => Value::Array((0..self.next(3)).map(|_| self.schema(depth - 1)).collect()),
                    4 => json!({"a": self.schema(depth - 1), "b": self.schema(depth - 1)}),
                    5 => json!(["a", "b"]),
                    _ => self.schema(depth - 1),
                };
                o.insert(key.into(), val);
            }
            Value::Object(o)
        }
    }

    /// Garbage schemas and instances: compile may fail, but nothing may panic.
    #[test]
    fn garbage_never_panics() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut compiled, mut checked) = (0, 0);
        for _ in 0..4000 {
            let schema = if rng.next(3) == 0 { rng.value(4) } else { rng.schema(4) };
            let Ok(v) = Validator::new(&schema) else {
                continue;
            };
            compiled += 1;
            for _ in 0..6 {
                let instance = rng.value(5);
                if let Err(e) = v.validate(&instance) {
                    assert!(!e.is_empty() && e.len() <= MAX_VIOLATIONS);
                    checked += e.iter().map(|x| x.to_string().len()).sum::<usize>().min(1);
                }
            }
        }
        assert!(compiled > 500 && checked > 500, "{compiled} {checked}");
    }
}
