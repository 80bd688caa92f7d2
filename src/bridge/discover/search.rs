//! Ranking tools for a plain-language query, pure: documents in, ranked indices out, no
//! I/O and no state beyond the [`Index`] built once per caller scope.
//!
//! The ranking is BM25F: each query term scores by how rare it is among the tools (IDF)
//! and how often it appears in a tool's fields, each field weighted (a word in the name or
//! path says more about what a tool does than a word in a parameter name) and normalized
//! by the field's length (a short description that names the thing beats a long one that
//! mentions it). The fields: name, title, path (its own fixed segments, and apart those
//! of the path it sits under), tags, the summary (the description's first paragraph), the
//! rest of the description (code samples left out), argument names, the values arguments
//! take from a fixed set, the titles of what it returns, and the name of the body it takes.
//!
//! What makes plain language work is the vocabulary ([`vocabulary`]), applied alike to
//! tools and queries: words split on non-alphanumerics, snake_case and camelCase,
//! lowercased, function words dropped, stemmed (a light suffix stemmer); phrases read as
//! one word ("get rid of" is `delete`, "kick carol out" is `remove`). Then, for queries:
//!
//! - a query word brings in the words APIs use for the same thing (`start` finds
//!   `trigger`, `create` finds `generate` and `new`), weighing [`RELATED`]; the word and
//!   its synonyms count as one term (their frequencies add up before saturation, and the
//!   IDF is that of any of them), so a rare synonym does not outweigh the common word, and
//!   words of one meaning in a query ("make a new") ask for one thing;
//! - what the query asks to do (read, create, change, delete) and what a tool does (the
//!   verb in its name, else its HTTP method) should agree: a tool that does another kind
//!   of thing weighs [`Tuning::action_mismatch`] ("show the collection's settings" is not an
//!   update, "pause the queue" not a create);
//! - the names and values a query gives (`gpt-35-legacy`, `sk-abc123`, "Claude 3.5
//!   Sonnet", what follows "named", quoted text), words of time ("last month"), what it
//!   says not to do ("without deleting it") and why ("… so our agents can reach it")
//!   weigh little or nothing: they say which thing, not which tool; a thing given by its
//!   name favours the tools that take a name, an address the tools that take a user;
//! - what the query says a thing has ("… with a $50 budget", "…, api base https://…")
//!   weighs less than what it asks for, and so does a proper name before what it makes
//!   ("add a new Azure OpenAI deployment" makes a deployment), which weighs twice; what
//!   holds the thing ("the entries in the news collection") counts also as a parent of
//!   the tool's path (`/collections/{id}/…`: the path's parents at full weight,
//!   [`Tuning::within`]);
//!   a query word's weight multiplies its saturated score, so a tool repeating a light
//!   word many times does not make it heavy;
//! - a verb that turns a thing off is not served by a tool named for turning it on, nor
//!   the other way round ("freeze the key" is not `unblock_key`);
//! - in a query of several sentences, the ones that ask say what to do ("Flow run 3b9d is
//!   stuck. Cancel it."; a question why tells what happened), and when they name a thing
//!   of their own, the words only told weigh [`TOLD`] ("A customer gets 500s on every
//!   completion. Are the models reachable?" asks for health, not completions);
//! - a question about what is reads, whatever its verbs ("what guardrails are set up?"),
//!   and a read of things in the plural is a list ("show me the first 20 collections");
//!   starting a run is not changing the thing it runs;
//! - a thing the query gives by its identifier ("flow run 3f2a…", "key sk-7f3a…") is one
//!   the tools that take it serve: their path or an argument takes that thing
//!   (`/flow_runs/{id}`, `flow_run_id`), not another (`/flow_run_states/{id}`);
//! - one thing is asked of the tool for one thing: a bulk tool comes after it unless the
//!   query asks for many, and a `PUT` after the `PATCH` of its path;
//! - a tool that is another's operation under a second path (`/v1/x` beside `/x`, same
//!   title and description) comes after the distinct tools, so five results are five
//!   operations.
//!
//! An acronym the API's own text spells out, like "persons of interest (POI)", is learned
//! when the index is built, so the query "delete a person of interest" finds `delete_poi`.
//! An argument most tools take (an API-version header) is left out of the argument names.
//!
//! A search crate (tantivy) would bring an inverted-index engine built for millions of
//! documents; here there are at most a few thousand short ones, and what decides the
//! ranking is the vocabulary, which such an engine leaves to us anyway
//! (docs/performance.md, "Tool search quality", has the measurements).

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use vocabulary::Action;

mod vocabulary;

/// One tool, as search sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Doc {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    pub tags: Vec<String>,
    /// The HTTP method and path (`POST /key/generate`), when known.
    pub endpoint: Option<(String, String)>,
    /// Argument names, as the model sees them (a JSON body's fields are arguments).
    pub params: Vec<String>,
    /// The values arguments take from a fixed set (`CANCELLED`, `PAUSED`): the words a
    /// tool understands for what it sets.
    pub values: Vec<String>,
    /// The titles of the response schema (`FlowRunResponse`), FastAPI's made-up ones left out.
    pub returns: Vec<String>,
    /// The fields of what it returns (`state`, `parameters`, `metadata`): a question about
    /// one of them is answered by reading the thing.
    pub gives: Vec<String>,
    /// The title of the request body's schema (`Deployment`, `TeamMemberDeleteRequest`),
    /// FastAPI's made-up ones left out: what the tool takes, named by the API.
    pub takes: Option<String>,
}

impl Doc {
    /// A document from a tool's parts. Argument names come from the listed `inputSchema`
    /// (the body's fields are top-level arguments there); the mission-context arguments
    /// (`context_station`, …) are the same on many tools and say nothing about any one.
    pub fn new(name: &str, title: Option<&str>, description: &str, tags: &[&str], input_schema: &Value) -> Doc {
        let properties = |v: &Value| -> Vec<String> {
            v.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
        };
        let mut params: Vec<String> = properties(input_schema)
            .into_iter()
            .filter(|p| {
                use crate::codegen::shape::{BODY_ARG, CLEAR_ARG, CONTEXT_ARG, CONTEXT_PREFIX};
                p != CONTEXT_ARG && !p.starts_with(CONTEXT_PREFIX) && p != BODY_ARG && p != CLEAR_ARG
            })
            .collect();
        // A body that stayed one argument (not a plain object): its fields still say what
        // the tool takes.
        if let Some(body) = input_schema.get("properties").and_then(|p| p.get("body")) {
            params.extend(properties(body));
        }
        let mut values = Vec::new();
        for name in &params {
            if let Some(schema) = input_schema.get("properties").and_then(|p| p.get(name)) {
                enum_values(schema, 0, &mut values);
            }
        }
        Doc {
            name: name.to_string(),
            title: title.map(str::to_owned),
            description: description.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            endpoint: None,
            params,
            values,
            returns: Vec::new(),
            gives: Vec::new(),
            takes: None,
        }
    }

    /// With the name of the request body's schema. FastAPI names a body it has no model
    /// for after the function and path (`Body_read_flows_flows_filter_post`); those repeat
    /// the name and are left out.
    pub fn with_body(mut self, schema_name: Option<&str>) -> Doc {
        self.takes = schema_name.filter(|t| !t.starts_with("Body_")).map(str::to_owned);
        self
    }

    /// With the HTTP method and path the tool calls.
    pub fn with_endpoint(mut self, method: &str, path: &str) -> Doc {
        self.endpoint = Some((method.to_string(), path.to_string()));
        self
    }

    /// With the titles of its `outputSchema`: the schema's own, and for a wrapped result
    /// (`{"result": …}`) the result's and its items'. FastAPI titles a response it has no
    /// model for after the function and path (`Response Read Flows Flows Filter Post`);
    /// those repeat the name and are left out.
    pub fn with_output(mut self, output_schema: Option<&Value>) -> Doc {
        let Some(schema) = output_schema else { return self };
        let result = schema.get("properties").and_then(|p| p.get("result"));
        let nodes = [Some(schema), result, result.and_then(|r| r.get("items"))];
        for node in nodes.into_iter().flatten() {
            if let Some(title) = node.get("title").and_then(Value::as_str)
                && !title.starts_with("Response ")
                && !self.returns.iter().any(|t| t == title)
            {
                self.returns.push(title.to_string());
            }
            let fields = node.get("properties").and_then(Value::as_object).into_iter().flat_map(|p| p.keys());
            for field in fields.filter(|f| *f != "result") {
                if !self.gives.contains(field) {
                    self.gives.push(field.clone());
                }
            }
        }
        self
    }
}

/// The `enum` values of an argument's schema: its own, its alternatives' (`anyOf`), and
/// those of its fields one level down (`state.type`). Deeper values are filters'
/// vocabularies (`flow_runs.state.type.any_`), not what the tool is about.
fn enum_values(schema: &Value, depth: usize, out: &mut Vec<String>) {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        for v in values.iter().filter_map(Value::as_str) {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    for alternative in ["anyOf", "oneOf"].iter().filter_map(|k| schema.get(k)).filter_map(Value::as_array).flatten() {
        enum_values(alternative, depth, out);
    }
    if depth == 0
        && let Some(fields) = schema.get("properties").and_then(Value::as_object)
    {
        for field in fields.values() {
            enum_values(field, depth + 1, out);
        }
    }
}

/// The fields of a document.
#[derive(Debug, Clone, Copy)]
enum Field {
    Name,
    Title,
    Path,
    Parents,
    Tags,
    Summary,
    Details,
    Params,
    Values,
    Returns,
    Takes,
    Gives,
}

const FIELDS: usize = 12;

impl Field {
    const ALL: [Field; FIELDS] = [
        Field::Name,
        Field::Title,
        Field::Path,
        Field::Parents,
        Field::Tags,
        Field::Summary,
        Field::Details,
        Field::Params,
        Field::Values,
        Field::Returns,
        Field::Takes,
        Field::Gives,
    ];
}

/// The ranking's numbers, in one place: what each field weighs and how the rules scale a
/// score. [`CHOSEN`] is what search uses; the search evaluation (`quality.rs`) varies them
/// to measure what each is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tuning {
    /// Per field, in [`Field::ALL`] order: the weight of a match, and how much the field's
    /// length normalizes it (BM25F's `b`: 0 for a field whose length says nothing).
    pub(crate) fields: [(f32, f32); FIELDS],
    /// BM25's term-frequency saturation.
    pub(crate) k1: f32,
    /// What a word of a query's container phrase weighs among a path's parents ("the
    /// entries in the news collection" and `/collections/{id}/delete`).
    pub(crate) within: f32,
    /// What a tool's score is multiplied by when it does another kind of thing than the
    /// query asks (reads when asked to change, creates when asked to delete).
    pub(crate) action_mismatch: f32,
    /// What a verb of writing weighs in a question about what is, or a request to read
    /// ("what is set up?", "list the flows registered").
    pub(crate) state_verb: f32,
    /// What the hint weighs that a read of things in the plural is a list.
    pub(crate) list_hint: f32,
    /// What a tool's score is multiplied by when the query asks for none of its name's
    /// words; in proportion for some ([`Index::name_asked`]).
    pub(crate) unasked_name: f32,
}

/// Chosen by hand, one rule at a time, on the task sets (docs/performance.md). Fitting
/// them by coordinate ascent (`tune_search` in `quality.rs`) over nine sets found as many
/// first and 4 more in the top 5 of 530 with each set left out in turn, and one fewer
/// first on the tenth set, read by nobody: they were kept.
pub(crate) const CHOSEN: Tuning = Tuning {
    fields: [
        (3.0, 0.75), // name
        (1.0, 0.75), // title
        (2.0, 0.3),  // path: its own fixed segments
        // A word of the path's parents says where the tool acts, not on what: less than a
        // word of its own ("delete the collection" is not a record delete under it).
        (0.5, 0.3),    // parents
        (1.5, 0.3),    // tags
        (1.5, 0.75),   // summary
        (0.3, 0.75),   // details
        (0.6, 0.75),   // params
        (0.5, 0.75),   // values
        (1.0, 0.3),    // returns
        (1.0, 0.3),    // takes
        (GIVES, 0.75), // gives
    ],
    k1: 1.5,
    // As much as a word of the tool's own title, where a plain word of the parents weighs half.
    within: 1.0,
    action_mismatch: 0.5,
    state_verb: 0.3,
    list_hint: RELATED,
    unasked_name: 0.8,
};

/// What a field of what a tool returns weighs: a thing's attribute ("what state is flow
/// run 3f2a in?") is found by reading the thing, but many tools return the same fields.
const GIVES: f32 = 0.1;

/// Added to the score of a tool the query names exactly: more than any sum of term scores.
const NAMED_BONUS: f32 = 1000.0;
/// What a bulk tool's score is multiplied by, for a query that does not ask for many
/// things: one thing is asked of the tool for one thing ("cancel flow run 7f3c").
const BULK: f32 = 0.7;
/// What a `PUT` is multiplied by beside a `PATCH` of the same path: both change the thing,
/// and the `PATCH` needs only what changes ("turn off the automation").
const PUT_BESIDE_PATCH: f32 = 0.9;
/// What a path under a version is multiplied by beside the same path served without one,
/// when the two are different operations ([`unversioned`]): the unversioned route is the
/// API's standing one ("list the guardrails" is `/guardrails/list`, not
/// `/v2/guardrails/list`). A query's own version word ("the v2 list") is not read, as no
/// version is.
const VERSIONED_TWIN: f32 = 0.97;
/// What a forward's score is multiplied by, unless the query asks for one ([`FORWARD_ASKED`]).
/// A forward is a path served for every method (GET, POST, PUT, PATCH and DELETE) that
/// sends whatever it receives on to another service: LiteLLM's `/azure/{endpoint}` and
/// 29 more. It does anything, so its words (a provider's name) match many tasks
/// ("add an Azure OpenAI deployment to the proxy" is `POST /model/new`), but it is the
/// answer only to a task that asks for it: no task set's expected operation is one.
const FORWARD: f32 = 0.3;
/// Query terms (stemmed) that ask for a forward: "through the pass-through", "the raw API".
const FORWARD_ASKED: &[&str] = &["passthrough", "pass", "forward", "raw", "nativ", "direct"];
/// Words a function's name has for being code (`generate_key_fn`, `health_endpoint`):
/// no query asks for them, and they say nothing of what the tool is about.
const CODE_WORDS: &[&str] = &["fn", "func", "function", "handler", "endpoint", "route"];
/// Query terms that ask for many things at once (stemmed).
const MANY: &[&str] = &["bulk", "batch", "many", "multipl", "several", "all", "every"];
/// What a container's words add to a tool whose name and own path have no other word of
/// the query ([`vocabulary::CONTAINED`]): a tool under the container is about the thing
/// inside it only when it names that thing. "Which task runs inside flow run 5c2e are
/// still running?" asks for task runs, not for the run's graph or its inputs, whose paths
/// are under `/flow_runs/{id}`; but "the output from run 5d2a" may still be its logs,
/// which the query names otherwise.
const NOT_OWN: f32 = 0.5;
/// How much a word the vocabulary brings in weighs, beside the query's own word.
const RELATED: f32 = 0.8;

/// Per document, the words its name's compounds join (`watchlist` joins `watch` and
/// `list`): a word of the name, at least [`COMPOUND`] letters long, that is two words the
/// API's names, titles and paths use on their own, each at least half that long.
fn compounds(built: &[([Vec<String>; FIELDS], Vec<String>)]) -> Vec<Vec<String>> {
    let own: HashSet<&str> = built
        .iter()
        .flat_map(|(f, _)| [Field::Name, Field::Title, Field::Path].map(|k| &f[k as usize]))
        .flatten()
        .map(String::as_str)
        .collect();
    built
        .iter()
        .map(|(f, _)| {
            let mut parts = Vec::new();
            for t in f[Field::Name as usize].iter().filter(|t| t.len() >= COMPOUND && t.is_ascii()) {
                let half = COMPOUND / 2;
                if let Some(k) = (half..=t.len() - half).find(|&k| own.contains(&t[..k]) && own.contains(&t[k..])) {
                    parts.extend([t[..k].to_string(), t[k..].to_string()]);
                }
            }
            parts
        })
        .collect()
}

/// The least length of a word [`compounds`] splits.
const COMPOUND: usize = 8;

/// How much a word weighs that only a sentence that tells says (see [`Index::scores`]).
const TOLD: f32 = 0.5;

/// What a tool that takes the thing a query gives by its identifier ("flow run 3f2a…") is
/// multiplied by, and one whose path takes only other things (`/flow_run_states/{id}`):
/// [`identified`], [`vocabulary::given_things`].
const ID_FITS: f32 = 1.3;
const ID_OTHER: f32 = 0.7;

/// What a word for whether a service runs and answers weighs in a question
/// ([`vocabulary::says_health`]): "are all the model deployments healthy?" asks for their
/// health, not for what else is known of them (`get_deployment_warnings`). Measured on
/// the 84 sets: ×2 +28 first, ×3 +46, ×4 +52 (each moved only health and ping tasks).
const HEALTH_ASKED: f32 = 3.0;

/// What the thing "model" weighs in a delete of a model given by its name.
const MODEL_GIVEN: f32 = 1.0;

/// What a tool that takes its thing by id is multiplied by when the query gives that thing
/// by its name and no id, if another tool takes it by name (`/variables/{id}` beside
/// `/variables/name/{name}`: "set the variable max_retries to 5"); and the other way round.
const OTHER_KEY: f32 = 0.8;

/// One term's occurrences in one document, per field.
#[derive(Debug, Clone)]
struct Posting {
    doc: u32,
    counts: [u16; FIELDS],
}

/// Tools indexed for search: term statistics per field, computed once.
#[derive(Debug, Clone)]
pub struct Index {
    /// Term → the documents containing it, in document order.
    postings: HashMap<String, Vec<Posting>>,
    /// Per document, per field, the number of terms.
    lengths: Vec<[f32; FIELDS]>,
    /// Per field, the mean number of terms.
    mean_lengths: [f32; FIELDS],
    /// Per document, per field, what one occurrence of a term counts: the field's weight
    /// over its length normalization ([`Index::scale`]), computed once.
    scales: Vec<[f32; FIELDS]>,
    /// Per document, the distinct terms of its name and of its title (for [`NAMED_BONUS`]).
    names: Vec<[Vec<String>; 2]>,
    /// Per document, the distinct terms of its name that say what it is about, not the
    /// words that say it is code ([`CODE_WORDS`]; for [`Index::name_asked`]): indexes into
    /// `name_terms`.
    about: Vec<Vec<u32>>,
    /// The terms of [`Index::about`], each once, with what each does as a verb: a query
    /// marks those it asks for in one pass, and a tool's name is then read without hashing.
    name_terms: HashMap<String, u32>,
    name_actions: Vec<Action>,
    /// Per document, what it does ([`Index::action_done`]).
    actions: Vec<Action>,
    /// Per document, whether its path is a forward ([`FORWARD`]).
    forward: Vec<bool>,
    /// Per document, what its score is multiplied by whatever the query ([`demoted`]).
    demoted: Vec<f32>,
    /// Per document, whether it takes a span of time (`start_date` and `end_date`):
    /// a report over a period ([`takes_a_span`]).
    spans: Vec<bool>,
    /// Per document, the words of the prefix under which its path copies another
    /// operation's ([`copied_under`]: `/cursor/chat/completions`), or none.
    copies: Vec<Vec<String>>,
    /// Per document, what its description says it breaks its figures down by
    /// ([`vocabulary::broken_down_by`]: "Daily Spend per Team").
    breakdowns: Vec<Vec<String>>,
    /// Per document, the first document with its title and description, in terms (the
    /// same operation, routed twice: `/v1/x` and `/x`).
    operation: Vec<u32>,
    /// Per document, which way the first verb of its name turns a thing that has an off and
    /// an on ([`vocabulary::Vocabulary::polarity`]): `block_key` off, `unblock_key` on.
    polarity: Vec<Option<bool>>,
    /// Per document, the things it takes by their identifier ([`identified`]), as terms,
    /// and whether its path takes one.
    identifies: Vec<(Vec<Vec<String>>, bool)>,
    /// Per document, how its path takes its own thing when another tool takes that thing
    /// the other way ([`keyed`]).
    keys: Vec<Option<Key>>,
    /// The things any document takes by their identifier, each once, sorted.
    things: Vec<Vec<String>>,
    /// Phrases the documents abbreviate: ([`person`, `interest`], `poi`).
    acronyms: Vec<(Vec<String>, String)>,
    vocabulary: &'static vocabulary::Vocabulary,
    tuning: Tuning,
}

impl Index {
    pub fn new(docs: &[Doc]) -> Index {
        let vocabulary = vocabulary::Vocabulary::shared();
        let acronyms =
            learn_acronyms(docs.iter().flat_map(|d| [Some(d.description.as_str()), d.title.as_deref()]), vocabulary);
        let mut index = Index {
            postings: HashMap::new(),
            lengths: Vec::with_capacity(docs.len()),
            mean_lengths: [0.0; FIELDS],
            scales: Vec::new(),
            names: Vec::with_capacity(docs.len()),
            about: Vec::with_capacity(docs.len()),
            name_terms: HashMap::new(),
            name_actions: Vec::new(),
            operation: Vec::with_capacity(docs.len()),
            actions: Vec::with_capacity(docs.len()),
            forward: Vec::with_capacity(docs.len()),
            demoted: Vec::with_capacity(docs.len()),
            spans: Vec::with_capacity(docs.len()),
            breakdowns: Vec::with_capacity(docs.len()),
            copies: Vec::with_capacity(docs.len()),
            polarity: Vec::with_capacity(docs.len()),
            identifies: Vec::with_capacity(docs.len()),
            keys: keyed(docs),
            things: Vec::new(),
            acronyms,
            vocabulary,
            tuning: CHOSEN,
        };
        // An argument most tools take (an API-version header, a tenant) says nothing of
        // any one tool, and would make its words count for nothing in queries.
        let mut takes: HashMap<&str, usize> = HashMap::new();
        for doc in docs {
            for p in &doc.params {
                *takes.entry(p.as_str()).or_default() += 1;
            }
        }
        let common: Vec<&str> =
            takes.into_iter().filter(|&(_, n)| docs.len() >= 4 && 2 * n > docs.len()).map(|(p, _)| p).collect();
        let mut operations: HashMap<(Vec<String>, Vec<String>), u32> = HashMap::new();
        let served = served(docs);
        let code: Vec<String> = CODE_WORDS.iter().map(|w| vocabulary::stem(w)).collect();
        let mut found = Vec::with_capacity(docs.len());
        let mut built: Vec<([Vec<String>; FIELDS], Vec<String>)> =
            docs.iter().map(|d| index.fields(d, &common)).collect();
        // A word of a name that joins two of the API's words (`watchlist`, `healthcheck`)
        // names both: "which phones are we watching?" is `list_imei_watchlist`'s too.
        let parts = compounds(&built);
        for ((fields, _), parts) in built.iter_mut().zip(parts) {
            fields[Field::Name as usize].extend(parts);
        }
        for (i, (doc, (fields, written))) in docs.iter().zip(built).enumerate() {
            // Compared as terms, so `Count V1` (Chroma's `/api/v1/count`) is `Count`.
            let described = |f: Field| fields[f as usize].clone();
            let key = (described(Field::Title), [described(Field::Summary), described(Field::Details)].concat());
            index.operation.push(*operations.entry(key).or_insert(i as u32));
            let mut counts: HashMap<&str, [u16; FIELDS]> = HashMap::new();
            let mut lengths = [0.0; FIELDS];
            for (f, terms) in fields.iter().enumerate() {
                lengths[f] = terms.len() as f32;
                index.mean_lengths[f] += terms.len() as f32;
                for t in terms {
                    let c = &mut counts.entry(t.as_str()).or_insert([0; FIELDS])[f];
                    *c = c.saturating_add(1);
                }
            }
            let mut terms: Vec<(&str, [u16; FIELDS])> = counts.into_iter().collect();
            terms.sort_by(|a, b| a.0.cmp(b.0));
            for (t, counts) in terms {
                index.postings.entry(t.to_string()).or_default().push(Posting { doc: i as u32, counts });
            }
            let distinct = |terms: &[String]| {
                let mut v = terms.to_vec();
                v.sort();
                v.dedup();
                v
            };
            let name = index.terms(&doc.name);
            index.actions.push(index.action_done(&name, doc.endpoint.as_ref()));
            index.polarity.push(name.iter().find_map(|t| index.vocabulary.polarity(t)));
            index.demoted.push(demoted(doc, &served));
            index.spans.push(takes_a_span(doc));
            index.breakdowns.push(vocabulary::broken_down_by(&doc.description));
            index.copies.push(copied_under(doc, &served).map(|prefix| index.terms(&prefix)).unwrap_or_default());
            index.forward.push(is_forward(doc, &served));
            found.push(identified(doc));
            let mut about = Vec::new();
            for t in distinct(&written).into_iter().filter(|t| !code.contains(t)) {
                let (next, does) = (index.name_actions.len() as u32, vocabulary.action(&t));
                let id = *index.name_terms.entry(t).or_insert(next);
                if id == next {
                    index.name_actions.push(does);
                }
                about.push(id);
            }
            index.about.push(about);
            index.names.push([distinct(&written), distinct(&fields[1])]);
            index.lengths.push(lengths);
        }
        // A version's route of a path also served without it, when it is another operation
        // (`/v2/guardrails/list` beside `/guardrails/list`), comes after that one.
        let at: HashMap<(&str, &str), usize> = docs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.endpoint.as_ref().map(|(m, p)| ((m.as_str(), p.as_str()), i)))
            .collect();
        for (i, (method, path)) in docs.iter().enumerate().filter_map(|(i, d)| Some((i, d.endpoint.as_ref()?))) {
            let twin = unversioned(path).and_then(|bare| at.get(&(method.as_str(), bare.as_str())).copied());
            if twin.is_some_and(|j| index.operation[j] != index.operation[i]) {
                index.demoted[i] *= VERSIONED_TWIN;
            }
        }
        // The things some path takes; an argument named as one of them takes it too.
        let in_paths: std::collections::HashSet<&Vec<String>> = found.iter().flat_map(|f| &f.path).collect();
        let mut things = std::collections::HashSet::new();
        for f in &found {
            let mut takes: Vec<Vec<String>> = Vec::new();
            let bare = f.bare.iter().filter(|t| in_paths.contains(t));
            for t in f.path.iter().chain(&f.said).chain(bare) {
                if !takes.contains(t) {
                    takes.push(t.clone());
                }
            }
            things.extend(takes.iter().cloned());
            index.identifies.push((takes, !f.path.is_empty()));
        }
        index.things = things.into_iter().collect();
        index.things.sort();
        let n = docs.len().max(1) as f32;
        for mean in &mut index.mean_lengths {
            *mean = (*mean / n).max(1.0);
        }
        index.scale();
        index
    }

    /// What one occurrence of a term counts in each field of each document (BM25F: the
    /// field's weight, over `1 - b + b · length / mean length`).
    fn scale(&mut self) {
        let (tuning, means) = (&self.tuning, &self.mean_lengths);
        self.scales = self
            .lengths
            .iter()
            .map(|lengths| {
                Field::ALL.map(|field| {
                    let f = field as usize;
                    let (weight, b) = tuning.fields[f];
                    weight / (1.0 - b + b * lengths[f] / means[f])
                })
            })
            .collect();
    }

    /// The terms of each field of `doc`, in [`Field::ALL`] order.
    ///
    /// Also the name's terms as written (with the plural's `list`), which a query must
    /// hold all of to name the tool ([`NAMED_BONUS`]).
    fn fields(&self, d: &Doc, common: &[&str]) -> ([Vec<String>; FIELDS], Vec<String>) {
        let terms = |text: &str| self.terms(text);
        let (path, parents) = d.endpoint.as_ref().map(|(_, path)| split_path(path)).unwrap_or_default();
        // Path parameters name the things the path passes through; the path says that.
        let in_path = |p: &str| d.endpoint.as_ref().is_some_and(|(_, path)| path.contains(&format!("{{{p}}}")));
        let (summary, details) = split_description(&d.description);
        let (title, path, parents, summary_terms) =
            (terms(d.title.as_deref().unwrap_or_default()), terms(&path), terms(&parents), terms(&summary));
        // A word of the name that only repeats the path's parents says where the tool acts,
        // as the parents do (the collision rule names `/openai/deployments/{model}/embeddings`
        // `embeddings_openai_deployments`): it counts among the parents, not the name.
        let mut written = terms(&d.name);
        let mut name = written.clone();
        name.retain(|w| !parents.contains(w) || path.contains(w) || title.contains(w) || summary_terms.contains(w));
        // A name whose last word is plural (`list_stations`, `read_flows`) returns many
        // things, unless it counts or changes them: it matches "list", "all", "which".
        let last = d.name.rsplit(['_', '-']).next().unwrap_or_default();
        let changes = written.iter().any(|t| ["count", "creat", "updat", "delet"].contains(&t.as_str()));
        if looks_plural(last) && !changes {
            written.push("list".into());
            if terms(last).iter().all(|t| name.contains(t)) {
                name.push("list".into());
            }
        }
        let fields = [
            name,
            title,
            path,
            parents,
            terms(&d.tags.join(" ")),
            summary_terms,
            terms(&details),
            terms(
                &d.params
                    .iter()
                    .filter(|p| !common.contains(&p.as_str()) && !in_path(p))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            terms(&d.values.join(" ")),
            terms(&d.returns.join(" ")),
            terms(d.takes.as_deref().unwrap_or_default()),
            terms(&d.gives.join(" ")),
        ];
        (fields, written)
    }

    /// `text` as index terms: words, stemmed, phrases and acronyms replaced.
    fn terms(&self, text: &str) -> Vec<String> {
        let mut out = self.vocabulary.terms(text).into_iter().map(|t| (t, 1.0)).collect();
        replace_acronyms(&mut out, &self.acronyms);
        out.into_iter().map(|(t, _)| t).collect()
    }

    /// A query's terms with their weights, acronyms replaced.
    fn query_terms(&self, query: &str) -> Vec<(String, f32)> {
        let mut terms = self.vocabulary.query_terms(query);
        replace_acronyms(&mut terms, &self.acronyms);
        terms
    }

    /// Rank with other numbers from now on (the evaluation's measure of each).
    #[cfg(all(test, feature = "search-tuning"))]
    pub(crate) fn retune(&mut self, tuning: Tuning) {
        self.tuning = tuning;
        self.scale();
    }

    /// The number of documents.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The documents matching `query`, best first, at most `limit`; documents sharing no
    /// term with the query are not returned. Ties keep the documents' order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        self.scores(query).into_iter().take(limit).map(|(i, _)| i).collect()
    }

    /// A term's frequency in document `posting`, fields weighted and length-normalized
    /// (BM25F), before saturation.
    fn term_frequency(&self, posting: &Posting) -> f32 {
        let scales = &self.scales[posting.doc as usize];
        posting.counts.iter().zip(scales).map(|(&count, scale)| count as f32 * scale).sum()
    }

    /// A container word's frequency in document `posting` ([`vocabulary::CONTAINED`]):
    /// its count among the path's parents, weighing [`Tuning::within`], normalized as that field is.
    fn parent_frequency(&self, posting: &Posting) -> f32 {
        let f = Field::Parents as usize;
        let (_, b) = self.tuning.fields[f];
        let length = self.lengths[posting.doc as usize][f];
        self.tuning.within * posting.counts[f] as f32 / (1.0 - b + b * length / self.mean_lengths[f])
    }

    /// What tool `i`'s score is multiplied by for the words of its name the query does not
    /// ask for: 1 when it asks for all of them, [`Tuning::unasked_name`] when for none.
    /// A name says what the tool is about, and a word of it the query never mentions
    /// points elsewhere: "create a user account" is `new_user`, not `team_member_add`,
    /// though a member is a user and adding is creating. A verb of the name that does
    /// what the query asks (`get` in a question, `new` in a request to create) is asked for.
    fn name_asked(&self, i: usize, asked_for: &[bool]) -> f32 {
        let name = &self.about[i];
        if name.is_empty() {
            return 1.0;
        }
        let unasked = name.iter().filter(|&&t| !asked_for[t as usize]).count();
        1.0 - (1.0 - self.tuning.unasked_name) * unasked as f32 / name.len() as f32
    }

    /// Which terms of the tools' names ([`Index::name_terms`]) a query asks for: its words
    /// and the words its vocabulary brings in (`concepts`), and the verbs that do what it
    /// asks (`get` in a question, `new` in a request to create).
    fn names_asked(&self, concepts: &[Vec<(String, f32)>], asked: Action) -> Vec<bool> {
        let mut asked_for: Vec<bool> = self
            .name_actions
            .iter()
            .map(|&does| does != Action::None && asked != Action::None && asked.fits(does))
            .collect();
        for (t, _) in concepts.iter().flatten() {
            if let Some(&id) = self.name_terms.get(t.strip_prefix(vocabulary::CONTAINED).unwrap_or(t)) {
                asked_for[id as usize] = true;
            }
        }
        asked_for
    }

    /// What the query asks to do: the kind of its first verb, when one of its first two
    /// words is a verb ("disable the key", "temporarily disable the key"; "how many" is a
    /// read), unless it starts a read ("run a health check" reads). A question about what
    /// is reads, whatever its verbs ([`vocabulary::asks_what_is`]). A thing to be gone for
    /// good is deleted, whatever the verb ("kill the key permanently").
    fn action_asked(&self, words: &[String]) -> Action {
        let Some(first) = self.first_verb(words) else { return Action::None };
        if vocabulary::for_good(words) {
            return Action::Delete;
        }
        let action = self.vocabulary.action(&words[first]);
        // "Run a health check", "run a query": what is run is what is asked.
        if action == Action::Start {
            let next = words[first + 1..].iter().take(2).map(|w| self.vocabulary.action(w));
            if let Some(read) = next.into_iter().find(|a| *a == Action::Read) {
                return read;
            }
        }
        action
    }

    /// Where the query's verb is: the first of its first two words that is one.
    fn first_verb(&self, words: &[String]) -> Option<usize> {
        words.iter().take(2).position(|w| self.vocabulary.action(w) != Action::None)
    }

    /// What a tool does: the kind of the first verb in its name (`team_member_add`,
    /// `read_flow_runs`), else of its HTTP method (GET reads, DELETE deletes, PUT and PATCH
    /// write; POST says nothing).
    fn action_done(&self, name: &[String], endpoint: Option<&(String, String)>) -> Action {
        let by_name = name.iter().map(|w| self.vocabulary.action(w)).find(|a| *a != Action::None);
        by_name.unwrap_or(match endpoint.map(|(m, _)| m.as_str()) {
            Some("GET") => Action::Read,
            Some("DELETE") => Action::Delete,
            Some("PUT" | "PATCH") => Action::Change,
            _ => Action::None,
        })
    }

    /// The query's concepts: its words, each with the words that mean the same (weighing
    /// [`RELATED`]); words that share a meaning, or that all ask to read, are one
    /// concept ("make a new key" asks for one thing to be created, "show me all the
    /// collections" for one read). Other verbs stay apart: in "resume the paused run",
    /// `paused` says which run.
    fn concepts(&self, words: &[(String, f32)]) -> Vec<Vec<(String, f32)>> {
        /// A concept being gathered: the groups and the kind of verb of its words, and
        /// its terms with their weights.
        struct Concept {
            groups: Vec<usize>,
            action: Action,
            terms: Vec<(String, f32)>,
        }
        let mut concepts: Vec<Concept> = Vec::new();
        for (word, weight) in words.iter().filter(|(_, w)| *w > 0.0) {
            let groups = self.vocabulary.groups_of(word).to_vec();
            let action = self.vocabulary.action(word);
            let expanded = self.vocabulary.expand(word).into_iter().map(|(t, w)| (t, w * weight));
            let same = |c: &&mut Concept| {
                c.groups.iter().any(|x| groups.contains(x)) || (c.action == Action::Read && action == Action::Read)
            };
            match concepts.iter_mut().find(same) {
                Some(concept) => {
                    concept.groups.extend(groups);
                    for (t, w) in expanded {
                        match concept.terms.iter_mut().find(|(u, _)| *u == t) {
                            Some((_, v)) => *v = v.max(w),
                            None => concept.terms.push((t, w)),
                        }
                    }
                }
                None => concepts.push(Concept { groups, action, terms: expanded.collect() }),
            }
        }
        concepts.into_iter().map(|c| c.terms).collect()
    }

    /// The things the query names in the plural that the API's paths name ("collections",
    /// "guardrails", "flow runs"), as terms.
    fn plural_resources(&self, query: &str) -> Vec<String> {
        vocabulary::words(query)
            .iter()
            .filter(|w| looks_plural(w))
            .map(|w| vocabulary::stem(w))
            .filter(|t| self.postings.get(t).is_some_and(|ps| ps.iter().any(|p| p.counts[Field::Path as usize] > 0)))
            .collect()
    }

    /// Every matching document with its score, best first. A tool that is another's
    /// operation under a second path (same title and description: `/v1/x` beside `/x`)
    /// comes after the distinct tools, so five results show five operations.
    pub fn scores(&self, query: &str) -> Vec<(usize, f32)> {
        let mut weighed = self.query_terms(query);
        let mut words = vocabulary::said(&weighed);
        words.sort();
        words.dedup();
        // What to do is said by the sentences that ask ("Flow run 3b9d is stuck. Cancel it.").
        let (question, requested) = match self.vocabulary.request(query) {
            Some(request) => {
                // The sentences that only tell say where, not what: when the ones that ask
                // name a thing of their own ("A customer gets 500s. Are the models up?"),
                // the words only told weigh less. Not when they name none ("Flow run 3b9d is
                // stuck. Cancel it.": the run is the thing), nor when they point back at
                // what was told ("…leaked. Make sure nobody can use it").
                if request.words.iter().any(|w| self.vocabulary.action(w) == Action::None)
                    && !self.vocabulary.points_back(&request.text)
                {
                    for (term, weight) in &mut weighed {
                        if request.told.contains(term) {
                            *weight *= TOLD;
                        }
                    }
                }
                (vocabulary::asks_what_is(&request.text), request.words)
            }
            None => (vocabulary::asks_what_is(query), vocabulary::said(&weighed)),
        };
        let asked = if question { Action::Read } else { self.action_asked(&requested) };
        // A question whether a thing runs and answers asks for that, whatever the thing
        // ("is the Redis cache reachable?": a ping, not what Redis holds). Not "up" and
        // "down", which are as often a verb's ("ended up", "lines up").
        if question {
            for (term, weight) in &mut weighed {
                if vocabulary::says_health(term) && term != "up" && term != "down" {
                    *weight *= HEALTH_ASKED;
                }
            }
        }
        // Which way the query's verb turns a thing, when it is such a verb.
        let turns = if question {
            None
        } else {
            self.first_verb(&requested).and_then(|i| self.vocabulary.polarity(&requested[i]))
        };
        // The things the query gives by an identifier, as the API names them ("flow run
        // 3f2a…" is a flow run, the tools taking a flow run's id serve it); not a thing
        // to be made, which has none yet ("a work pool named k8s-prod").
        let given_things = if asked == Action::Create { Vec::new() } else { vocabulary::given_things(query, question) };
        // The other key than the one the query gives its thing by, if it gives one.
        let other_key = match vocabulary::keys_given(query) {
            (true, false) => Some(Key::Name),
            (false, true) => Some(Key::Id),
            _ => None,
        };
        let given: Vec<&Vec<String>> = given_things
            .iter()
            .filter_map(|candidates| candidates.iter().find(|c| self.things.binary_search(c).is_ok()))
            .collect();
        // A thing to be made has no name yet to find it by: "named" says what to call it
        // ("a tenant named acme"), which any tool that makes one takes. Not "under the
        // name …", which may be what the tool keeps by name.
        let named = || {
            let raw = vocabulary::words(query);
            raw.iter().any(|w| w == "named" || w == "titled") && !raw.iter().any(|w| w == "name")
        };
        if asked == Action::Create && named() {
            let name = vocabulary::stem("name");
            for (term, weight) in &mut weighed {
                if *term == name {
                    *weight = weight.min(vocabulary::NAME_HINT);
                }
            }
        }
        // A model given by its name is the thing to delete ("take gpt-35-legacy out of the
        // router"), whatever else the query names.
        if asked == Action::Delete && vocabulary::names_a_model(query) {
            weighed.push((vocabulary::stem("model"), MODEL_GIVEN));
        }
        // What a read names in the plural; only a read needs it.
        let plural = if asked == Action::Read { self.plural_resources(query) } else { Vec::new() };
        if asked == Action::Read {
            // In a question about what is, or a request to read, verbs of writing say what
            // state a thing is in ("what guardrails are set up?", "list the flows
            // registered"), not what to do; but a verb in the plural that the API's paths
            // name is a thing ("how many flow runs failed?").
            for (term, weight) in &mut weighed {
                let a_thing = plural.contains(term) || given.iter().any(|g| g.contains(term));
                if !matches!(self.vocabulary.action(term), Action::None | Action::Read) && !a_thing {
                    *weight *= self.tuning.state_verb;
                }
            }
        }
        // A read of things the API has, in the plural ("show me the first 20 collections",
        // "what guardrails are set up?"), is a list; not a count.
        if asked == Action::Read && !words.iter().any(|w| w == "count") && !plural.is_empty() {
            weighed.push(("list".to_string(), self.tuning.list_hint));
        }
        let n = self.len() as f32;
        let mut total = vec![0.0f32; self.len()];
        let mut tf = vec![0.0f32; self.len()];
        let mut touched: Vec<usize> = Vec::new();
        let concepts = self.concepts(&weighed);
        let asked_for = self.names_asked(&concepts, asked);
        // The container's words, bare, and per document whether its name or own path has
        // another word of the query, and what the container's words add to it.
        let container: Vec<&str> = weighed.iter().filter_map(|(t, _)| t.strip_prefix(vocabulary::CONTAINED)).collect();
        let mut own = vec![false; if container.is_empty() { 0 } else { self.len() }];
        let mut within = vec![0.0f32; own.len()];
        for concept in &concepts {
            let contained = concept.iter().all(|(t, _)| t.starts_with(vocabulary::CONTAINED));
            // A concept's words count as one term (Lucene's synonym query): their
            // frequencies add up (each weighted against the concept's own word) before
            // saturation, and its IDF is that of the documents having any of them, so a
            // rare synonym does not outweigh the common word it stands for, and a tool
            // saying both `delete` and `remove` is not counted twice. What the query's
            // word weighs (a value 0.2, a word of time 0.3) weighs the saturated score, as
            // BM25 weighs a query term: a word that says little stays little however
            // often a tool repeats it ("a team with a budget" is not `new_budget`).
            // Only the documents having one of its words are touched.
            let weight = concept.iter().map(|(_, w)| *w).fold(0.0f32, f32::max);
            touched.clear();
            for (term, w) in concept {
                // A container's word (`^collection`) counts among the path's parents only.
                let (bare, parent) = match term.strip_prefix(vocabulary::CONTAINED) {
                    Some(bare) => (bare, true),
                    None => (term.as_str(), false),
                };
                for p in self.postings.get(bare).into_iter().flatten() {
                    let f = if parent { self.parent_frequency(p) } else { self.term_frequency(p) };
                    if f == 0.0 {
                        continue;
                    }
                    let d = p.doc as usize;
                    if !parent && !own.is_empty() && !container.contains(&bare) {
                        let counts = |f: Field| p.counts[f as usize] > 0;
                        own[d] |= counts(Field::Name) || counts(Field::Path);
                    }
                    if tf[d] == 0.0 {
                        touched.push(d);
                    }
                    tf[d] += w / weight * f;
                }
            }
            let df = touched.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &d in &touched {
                let x = std::mem::take(&mut tf[d]);
                let score = weight * idf * x * (self.tuning.k1 + 1.0) / (self.tuning.k1 + x);
                if contained { within[d] += score } else { total[d] += score }
            }
        }
        for (d, (score, own)) in within.into_iter().zip(own).enumerate() {
            total[d] += if own { score } else { score * NOT_OWN };
        }
        // A query that asks for many things at once may want the bulk tools.
        let many = words.iter().any(|w| MANY.contains(&w.as_str()));
        let so_far = vocabulary::asks_so_far(query);
        let by = vocabulary::broken_down_by(query);
        let forward = if words.iter().any(|w| FORWARD_ASKED.contains(&w.as_str())) { 1.0 } else { FORWARD };
        let mut scored: Vec<(usize, f32)> = total
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .map(|(i, s)| {
                // A query that names a tool (its name or title, in any words order) finds it
                // first: in a large API many tools share those words. Not one that does
                // other than the query asks ("what guardrails are set up?" reads; it does
                // not name `create_guardrail`).
                let named = asked.fits(self.actions[i])
                    && self.names[i].iter().any(|field| {
                        !field.is_empty() && field.len() == words.len() && field.iter().all(|t| words.contains(t))
                    });
                let s = if !asked.fits(self.actions[i]) { s * self.tuning.action_mismatch } else { s };
                let opposite = turns.is_some_and(|q| self.polarity[i].is_some_and(|d| d != q));
                let s = if opposite { s * self.tuning.action_mismatch } else { s };
                let s = if many { s } else { s * self.demoted[i] };
                let s = if so_far && self.spans[i] { s * SPAN_SO_FAR } else { s };
                let s = if self.breakdowns[i].iter().any(|t| by.contains(t)) { s * BROKEN_DOWN } else { s };
                let copy = !self.copies[i].is_empty() && !self.copies[i].iter().any(|t| words.contains(t));
                let s = if copy { s * COPY } else { s };
                let s = if self.forward[i] { s * forward } else { s };
                let s = s * self.name_asked(i, &asked_for);
                let s = if other_key.is_some() && self.keys[i] == other_key { s * OTHER_KEY } else { s };
                let s = if given.is_empty() {
                    s
                } else if self.identifies[i].0.iter().any(|t| given.contains(&t)) {
                    s * ID_FITS
                } else if self.identifies[i].1 {
                    s * ID_OTHER
                } else {
                    s
                };
                (i, if named { s + NAMED_BONUS } else { s })
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut seen = HashSet::new();
        let (first, again): (Vec<_>, Vec<_>) = scored.into_iter().partition(|(i, _)| seen.insert(self.operation[*i]));
        first.into_iter().chain(again).collect()
    }
}

/// Does `word` end like an English plural (`stations`, `guardrails`; not `status`,
/// `access`, `analysis`)?
fn looks_plural(word: &str) -> bool {
    word.len() > 3 && word.ends_with('s') && !["ss", "us", "is"].iter().any(|e| word.ends_with(e))
}

/// What a report over a period (a tool that takes a span of time) is multiplied by when
/// the query asks how much so far, and names no period.
const SPAN_SO_FAR: f32 = 0.5;
/// What a tool's score is multiplied by when its description breaks its figures down by
/// what the query does ("spend per team" is the report of "Daily Spend per Team", more
/// than one team's report).
const BROKEN_DOWN: f32 = 1.6;

/// Does `doc` take a span of time: a `start…` argument and its `end…` (`start_date` and
/// `end_date`, `startTime` and `endTime`)?
fn takes_a_span(doc: &Doc) -> bool {
    let bare: Vec<String> = doc.params.iter().map(|p| p.to_lowercase().replace(['_', '-'], "")).collect();
    bare.iter()
        .any(|p| p.strip_prefix("start").is_some_and(|rest| !rest.is_empty() && bare.contains(&format!("end{rest}"))))
}

/// What a document's score is multiplied by whatever the query, unless the query asks for
/// many things: a bulk tool ([`BULK`]); a `PUT` beside a `PATCH` of its path ([`PUT_BESIDE_PATCH`]).
fn demoted(doc: &Doc, served: &Served) -> f32 {
    let Some((method, path)) = &doc.endpoint else { return 1.0 };
    let bulk = doc.name.split(['_', '-']).any(|w| w.eq_ignore_ascii_case("bulk"))
        || path.split(['/', '_', '-']).any(|w| w.eq_ignore_ascii_case("bulk"));
    let put_beside_patch = method.eq_ignore_ascii_case("PUT") && serves(served, path, "PATCH");
    (if bulk { BULK } else { 1.0 }) * (if put_beside_patch { PUT_BESIDE_PATCH } else { 1.0 })
}

/// `path` without the version it is routed under, if it has one: `/v2/guardrails/list` is
/// `/guardrails/list`, `/api/v1/count` is `/count`.
fn unversioned(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let lead = segments.iter().take_while(|s| is_prefix(s)).count();
    let versioned = segments[..lead].iter().any(|s| vocabulary::is_version(s));
    (versioned && lead < segments.len()).then(|| format!("/{}", segments[lead..].join("/")))
}

/// The methods each path is served for.
type Served<'a> = HashMap<&'a str, Vec<&'a str>>;

fn served(docs: &[Doc]) -> Served<'_> {
    let mut methods: Served = HashMap::new();
    for (method, path) in docs.iter().filter_map(|d| d.endpoint.as_ref()) {
        methods.entry(path.as_str()).or_default().push(method.as_str());
    }
    methods
}

fn serves(served: &Served, path: &str, method: &str) -> bool {
    served.get(path).is_some_and(|methods| methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
}

/// What a tool's score is multiplied by when its path copies another operation's under a
/// prefix the query does not name ([`copied_under`]).
const COPY: f32 = 0.6;

/// The prefix, as text, under which `doc`'s path repeats another path of two segments or
/// more served for the same method: `/cursor/chat/completions` is Cursor's copy of `POST
/// /chat/completions`, `/ui/task_runs/count` the UI's of `/task_runs/count`. Not a prefix
/// of versions (`/v1/...`, the same operation routed twice).
fn copied_under(doc: &Doc, served: &Served) -> Option<String> {
    let (method, path) = doc.endpoint.as_ref()?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (1..segments.len().saturating_sub(1)).find_map(|k| {
        let (prefix, rest) = segments.split_at(k);
        let words: Vec<&str> = prefix.iter().copied().filter(|s| !s.starts_with('{') && !is_prefix(s)).collect();
        let copied = !words.is_empty() && serves(served, &format!("/{}", rest.join("/")), method);
        copied.then(|| words.join(" "))
    })
}

/// Is `doc`'s path served for every method, GET, POST, PUT, PATCH and DELETE: a forward
/// ([`FORWARD`])?
fn is_forward(doc: &Doc, served: &Served) -> bool {
    doc.endpoint
        .as_ref()
        .is_some_and(|(_, path)| ["GET", "POST", "PUT", "PATCH", "DELETE"].iter().all(|m| serves(served, path, m)))
}

/// A path's own words (what the operation acts on or does: the fixed segments after the
/// last parameter, or the one before a trailing parameter) and the words of the path it
/// sits under: `/collections/{id}/update` is (`update`, `collections`);
/// `/work_pools/{name}/queues/{id}` is (`queues`, `work_pools`).
fn split_path(path: &str) -> (String, String) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let last_param = segments.iter().rposition(|s| s.starts_with('{'));
    let own_from = match last_param {
        Some(p) if p + 1 == segments.len() => segments[..p].iter().rposition(|s| !s.starts_with('{')).unwrap_or(p),
        Some(p) => p + 1,
        None => 0,
    };
    let fixed = |s: &[&str]| s.iter().filter(|s| !s.starts_with('{')).copied().collect::<Vec<_>>().join(" ");
    (fixed(&segments[own_from..]), fixed(&segments[..own_from]))
}

/// The last word of an argument's name that says it identifies a thing, not which thing.
const IDENTIFIER_WORDS: &[&str] = &["id", "ids", "name", "names", "uuid", "slug"];

/// The things `doc` takes by their identifier (or name), as terms: those its path takes
/// (`/flow_runs/{id}` a flow run, `{collection_id}` a collection, `/variables/name/{name}`
/// a variable), those an argument says it identifies (`flow_run_id`, `team_id`), and the
/// arguments named as a thing is (`key`), which count if some path takes that thing.
fn identified(doc: &Doc) -> Identified {
    let words = vocabulary::words;
    let thing = |mut w: Vec<String>| -> Vec<String> {
        if w.last().is_some_and(|l| IDENTIFIER_WORDS.contains(&l.as_str())) {
            w.pop();
            // Either key (`{id_or_name}`) says no more which thing than one does.
            while w.len() >= 2 && ["or", "and"].contains(&w[w.len() - 1].as_str()) {
                w.truncate(w.len() - 2);
            }
        }
        w.iter().map(|w| vocabulary::stem(w)).collect()
    };
    let mut out = Identified::default();
    let mut in_path = Vec::new();
    if let Some((_, path)) = &doc.endpoint {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for (at, segment) in segments.iter().enumerate() {
            let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else { continue };
            in_path.push(param);
            let mut t = thing(words(param));
            // `{id}` identifies what the segment before it names (past `name`, `slug`); a
            // `{key}` both a key and that (`/artifacts/{key}/latest`: an artifact's key).
            let named = || {
                let named = segments[..at]
                    .iter()
                    .rev()
                    .find(|s| !s.starts_with('{') && !IDENTIFIER_WORDS.contains(&s.to_lowercase().as_str()));
                named.map(|s| thing(words(s))).unwrap_or_default()
            };
            if t.is_empty() {
                t = named();
            } else if param == "key" {
                let thing = named();
                if !thing.is_empty() && !out.path.contains(&thing) {
                    out.path.push(thing);
                }
            }
            if !t.is_empty() && !out.path.contains(&t) {
                out.path.push(t);
            }
        }
    }
    // An `id` alone, on a path that takes nothing, identifies what the path names first
    // (`POST /model/delete` with `{"id": …}` takes a model).
    let named_first = doc.endpoint.as_ref().and_then(|(_, path)| {
        let mut literal = path.split('/').filter(|s| !s.is_empty() && !is_prefix(s));
        literal.next().filter(|_| in_path.is_empty())
    });
    for p in doc.params.iter().filter(|p| !in_path.contains(&p.as_str())) {
        if let Some(first) = named_first
            && ["id", "ids"].contains(&p.as_str())
        {
            let t = thing(words(first));
            if !t.is_empty() {
                out.said.push(t);
            }
            continue;
        }
        let w = words(p);
        let says_so = w.len() > 1 && w.last().is_some_and(|l| IDENTIFIER_WORDS.contains(&l.as_str()));
        let t = thing(w);
        if !t.is_empty() {
            if says_so { &mut out.said } else { &mut out.bare }.push(t);
        }
    }
    out
}

/// How a path takes its own thing, in its last segment: by an id (`/variables/{id}`,
/// `/collections/by-id/{collection_id}`) or by a name (`/variables/name/{name}`,
/// `/block_types/slug/{slug}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Name,
}

/// The words of a path that say how it takes its thing, not what the thing is.
const KEY_SEGMENTS: &[&str] = &["id", "name", "slug", "by-id", "by_id", "by-name", "by_name"];

/// Per document, how its path takes its own thing ([`Key`]), when another document with the
/// same method and the same path but for its parameters and [`KEY_SEGMENTS`] takes it the
/// other way; else `None`.
fn keyed(docs: &[Doc]) -> Vec<Option<Key>> {
    fn key(doc: &Doc) -> Option<(Key, &str, Vec<&str>)> {
        let (method, path) = doc.endpoint.as_ref()?;
        let last = path.rsplit('/').find(|s| !s.is_empty())?;
        let param = last.strip_prefix('{')?.strip_suffix('}')?.to_lowercase();
        let kind = if param == "id" || param == "uuid" || param.ends_with("_id") {
            Key::Id
        } else if param == "name" || param == "slug" || param.ends_with("_name") || param.ends_with("_slug") {
            Key::Name
        } else {
            return None;
        };
        let literal: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty() && !s.starts_with('{') && !is_prefix(s) && !KEY_SEGMENTS.contains(s))
            .collect();
        Some((kind, method.as_str(), literal))
    }
    let keys: Vec<_> = docs.iter().map(key).collect();
    keys.iter()
        .map(|k| {
            let (kind, method, literal) = k.as_ref()?;
            let other = keys.iter().flatten().any(|(o, m, l)| o != kind && m == method && l == literal);
            other.then_some(*kind)
        })
        .collect()
}

/// A path's segment that only says where the API is (`api`, `v1`).
fn is_prefix(segment: &str) -> bool {
    segment == "api" || vocabulary::is_version(segment)
}

/// What [`identified`] finds in one document.
#[derive(Debug, Clone, Default)]
struct Identified {
    path: Vec<Vec<String>>,
    said: Vec<Vec<String>>,
    bare: Vec<Vec<String>>,
}

/// A description's first paragraph (the summary; past a `[BETA]`-like tag alone on its
/// line) and the rest, fenced code left out: a curl example's headers and JSON say nothing
/// of what the tool is for.
fn split_description(description: &str) -> (String, String) {
    let prose: String = description.split("```").step_by(2).collect::<Vec<_>>().join("\n");
    let mut paragraphs = prose.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    let mut summary = String::new();
    for p in paragraphs.by_ref() {
        if !summary.is_empty() {
            summary.push(' ');
        }
        summary.push_str(p);
        if p.split_whitespace().count() >= 3 {
            break;
        }
    }
    let details: Vec<&str> = paragraphs.collect();
    (summary, details.join("\n"))
}

fn replace_acronyms(out: &mut Vec<(String, f32)>, acronyms: &[(Vec<String>, String)]) {
    for (phrase, acronym) in acronyms {
        let mut i = 0;
        while i + phrase.len() <= out.len() {
            let words = &out[i..i + phrase.len()];
            if words.iter().map(|(t, _)| t).eq(phrase.iter()) {
                // The acronym weighs what its heaviest word did (a negated phrase stays 0).
                let weight = words.iter().map(|(_, w)| *w).fold(0.0, f32::max);
                out.splice(i..i + phrase.len(), [(acronym.clone(), weight)]);
            }
            i += 1;
        }
    }
}

/// Acronyms the text spells out: an uppercase word of 2 to 6 letters whose letters are the
/// initials of the words just before it ("persons of interest (POI"). Each becomes the
/// phrase's terms (function words dropped) and the acronym's term.
fn learn_acronyms<'a>(
    texts: impl Iterator<Item = Option<&'a str>>,
    vocabulary: &vocabulary::Vocabulary,
) -> Vec<(Vec<String>, String)> {
    let mut found: Vec<(Vec<String>, String)> = Vec::new();
    for text in texts.flatten() {
        let raw: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        for (i, word) in raw.iter().enumerate() {
            let n = word.len();
            if !(2..=6).contains(&n) || i < n || !word.chars().all(|c| c.is_ascii_uppercase()) {
                continue;
            }
            let before = &raw[i - n..i];
            let initials: String = before.iter().filter_map(|w| w.chars().next()).collect();
            if !initials.eq_ignore_ascii_case(word) {
                continue;
            }
            let phrase = vocabulary.terms(&before.join(" "));
            let acronym = vocabulary::stem(&word.to_lowercase());
            if phrase.len() >= 2 && !found.iter().any(|(p, _)| *p == phrase) {
                found.push((phrase, acronym));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(name: &str, description: &str) -> Doc {
        Doc::new(name, None, description, &[], &json!({}))
    }

    #[test]
    fn acronyms_spelled_out_are_learned() {
        let docs = [
            doc("list_poi", "Persons of interest (POI: people, vehicles) with their identifiers."),
            doc("delete_poi", "Delete a POI and its identifiers."),
            doc("create_poi", "Add a person of interest."),
            doc("delete_event", "Delete a telemetry event."),
        ];
        let index = Index::new(&docs);
        assert_eq!(index.acronyms, [(vec!["person".to_string(), "interest".to_string()], "poi".to_string())]);
        assert_eq!(index.search("delete a person of interest", 1), [1]);
    }

    #[test]
    fn names_weigh_more_than_descriptions_and_nothing_matches_nothing() {
        let docs = [doc("read_flow", "Get a deployment's flow."), doc("read_deployment", "Get a deployment by id.")];
        let index = Index::new(&docs);
        assert_eq!(index.search("show the deployment", 5), [1, 0]);
        assert!(index.search("zebra", 5).is_empty());
        assert!(index.search("", 5).is_empty());
        assert!(Index::new(&[]).search("flow", 5).is_empty());
    }

    #[test]
    fn plural_names_answer_list_questions() {
        let docs = [doc("read_flow", "A flow by id."), doc("read_flows", "Query for flows.")];
        assert_eq!(Index::new(&docs).search("list all flows", 1), [1]);
    }

    #[test]
    fn a_query_word_finds_the_words_apis_use_for_it() {
        let docs = [
            doc("backfill_runs", "Backfill the runs of a deployment."),
            doc("trigger_deployment", "Trigger a deployment now."),
            doc("generate_key", "Generate an API key."),
            doc("delete_key", "Delete an API key."),
        ];
        let index = Index::new(&docs);
        assert_eq!(index.search("start the deployment", 1), [1]);
        assert_eq!(index.search("create a new key", 1), [2]);
        assert_eq!(index.search("get rid of a key", 1), [3]);
    }

    #[test]
    fn a_word_and_its_synonym_in_one_tool_count_once() {
        let docs = [
            doc("remove_delete_erase_item", "Delete, remove, erase, drop an item."),
            doc("delete_item", "Delete an item."),
            doc("delete_item_tag", "Delete the tag of an item."),
        ];
        let index = Index::new(&docs);
        let scores = index.scores("remove item");
        let of = |i: usize| scores.iter().find(|(d, _)| *d == i).unwrap().1;
        assert!(of(0) < 2.0 * of(1), "synonyms are one match, not four: {scores:?}");
    }

    #[test]
    fn paths_tags_arguments_and_returns_are_searched() {
        let docs = [
            Doc::new("op_1", None, "Does it.", &[], &json!({})).with_endpoint("POST", "/key/{key}/regenerate"),
            Doc::new("op_2", None, "Does it.", &["Billing"], &json!({})),
            Doc::new("op_3", None, "Does it.", &[], &json!({"properties": {"is_paused": {}}})),
            Doc::new("op_4", None, "Does it.", &[], &json!({}))
                .with_output(Some(&json!({"title": "HeartbeatResponse", "type": "object"}))),
            Doc::new("op_5", None, "Does it.", &[], &json!({})).with_body(Some("Deployment")),
        ];
        let index = Index::new(&docs);
        assert_eq!(index.search("regenerate a key", 1), [0]);
        assert_eq!(index.search("billing", 1), [1]);
        assert_eq!(index.search("paused", 1), [2]);
        assert_eq!(index.search("heartbeat", 1), [3]);
        assert_eq!(index.search("deployment", 1), [4]);
    }

    #[test]
    fn returns_and_bodies_skip_fastapi_made_up_titles() {
        let output = json!({"type": "object", "properties": {"result": {"type": "array",
            "title": "Response Read Flows Flows Filter Post", "items": {"title": "Flow"}}}});
        assert_eq!(Doc::default().with_output(Some(&output)).returns, ["Flow"]);
        assert_eq!(Doc::default().with_body(Some("Body_read_flows_flows_filter_post")).takes, None);
        assert_eq!(Doc::default().with_body(Some("FlowCreate")).takes.as_deref(), Some("FlowCreate"));
    }

    #[test]
    fn a_field_of_what_a_tool_returns_is_found_by_reading_the_thing() {
        let run = json!({"type": "object", "properties": {"id": {}, "state": {}, "parameters": {}}});
        let listed = json!({"type": "object", "properties": {"result": {"type": "array",
            "items": {"title": "Flow", "properties": {"name": {}, "tags": {}}}}}});
        assert_eq!(Doc::default().with_output(Some(&run)).gives, ["id", "state", "parameters"]);
        assert_eq!(Doc::default().with_output(Some(&listed)).gives, ["name", "tags"], "a wrapped list's items'");
        // The same tool twice (the first would come first): only what the second returns
        // says it has the run's parameters.
        let docs = [
            routed("read_flow_run", "Read a flow run.", "GET", "/flow_runs/{id}"),
            routed("read_flow_run", "Read a flow run.", "GET", "/flow_runs/{id}").with_output(Some(&run)),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What parameters did flow run 3f2a9b1c get?", 1), [1]);
    }

    #[test]
    fn a_forward_answers_only_a_query_that_asks_for_one() {
        let docs: Vec<Doc> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .map(|m| {
                Doc::new(
                    &format!("azure_route_{}", m.to_lowercase()),
                    None,
                    "Call any Azure deployment.",
                    &[],
                    &json!({}),
                )
                .with_endpoint(m, "/azure/{endpoint}")
            })
            .chain([Doc::new("add_new_model", None, "Add a new model.", &[], &json!({}))
                .with_endpoint("POST", "/model/new")])
            .collect();
        let index = Index::new(&docs);
        assert_eq!(index.search("add an Azure deployment", 1), [5]);
        assert!(index.search("call Azure directly through the pass-through", 1)[0] < 5);
        // Four methods are not a forward: a path of a thing (`/guardrails/{id}`) has them.
        let four = Index::new(&docs[1..]);
        assert_ne!(four.search("add an Azure deployment", 1), [4]);
    }

    #[test]
    fn a_name_word_the_query_never_asks_for_points_elsewhere() {
        let docs = [doc("team_member_add", "Add a user to a team, with its role."), doc("new_user", "Create a user.")];
        let index = Index::new(&docs);
        assert_eq!(index.search("Create a user account for bob with the viewer role", 1), [1]);
        assert_eq!(index.search("Add bob to the growth team", 1), [0]);
        // A verb of the name that does what the query asks is asked for: `get` in a
        // question, as `list` is.
        let index = Index::new(&[
            doc("list_databases", "List the databases of a tenant."),
            doc("get_identity", "The caller's identity: its user, tenant and databases."),
        ]);
        let unasked = |i: usize, query: &str| {
            let concepts = index.concepts(&index.query_terms(query));
            index.name_asked(i, &index.names_asked(&concepts, Action::Read))
        };
        assert_eq!(unasked(1, "what is the identity?"), 1.0);
        assert!(unasked(1, "what is the tenant?") < 1.0);
        // A word that says the name is code is not one the query could ask for.
        let index = Index::new(&[doc("generate_key_fn", "Generate a key.")]);
        let about: Vec<&str> = index.about[0]
            .iter()
            .map(|&id| index.name_terms.iter().find(|&(_, &i)| i == id).map_or("", |(t, _)| t.as_str()))
            .collect();
        assert_eq!(about, ["generat", "key"]);
        assert!(!index.name_terms.contains_key("fn"));
    }

    #[test]
    fn the_whole_of_something_is_global() {
        let docs = [
            routed("get_team_spend_report", "Spend per team, for a period.", "GET", "/team/spend/report"),
            routed("get_global_spend_report", "Spend report, for a period.", "GET", "/global/spend/report"),
            routed("get_key_spend_report", "Spend per key, for a period.", "GET", "/key/spend/report"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What's our total spend over the whole proxy this month?", 1), [1]);
        // A total is the whole's too.
        assert_eq!(index.search("How much have we spent in total across the gateway?", 1), [1]);
    }

    #[test]
    fn an_api_noun_is_found_by_the_words_people_use_for_it() {
        let docs = [
            routed("generate_key", "Generate an API key.", "POST", "/key/generate"),
            routed("regenerate_key", "Regenerate a key, keeping its settings.", "POST", "/key/regenerate"),
            routed("list_guardrails", "List the guardrails.", "GET", "/guardrails/list"),
            routed("list_filters", "List the saved filters of the dashboard.", "GET", "/filters"),
            routed("create_fallback", "Create a fallback for a model.", "POST", "/fallback"),
            routed("active_callbacks", "The callbacks that are active.", "GET", "/active/callbacks"),
            routed("create_automation", "Create an automation.", "POST", "/automations/"),
            routed("create_flow_run", "Create a flow run.", "POST", "/flow_runs/"),
        ];
        let index = among_others(&docs);
        let found = |query: &str| index.search(query, 1);
        assert_eq!(
            [
                found("Give key billing-bot a fresh secret"),
                found("What content safety filters are set up?"),
                found("When gpt-4o errors out, fall back to claude"),
                found("Which logging integrations are we sending data to?"),
                found("Whenever a run fails, email me automatically. Set that up."),
            ],
            [[1], [2], [4], [5], [6]]
        );
    }

    #[test]
    fn a_servers_limits_are_its_pre_flight_checks() {
        let docs = [
            routed("pre_flight_checks", "Pre Flight Checks", "GET", "/api/v2/pre-flight-checks"),
            routed("list_collections", "List collections, at most `limit`.", "GET", "/api/v2/collections"),
            routed("add", "Add records to a collection.", "POST", "/api/v2/collections/{id}/add"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What's the largest batch of records the server accepts in one write?", 1), [0]);
        assert_eq!(index.search("Add a batch of records to the notes collection", 1), [2]);
    }

    #[test]
    fn a_quoted_text_for_a_model_that_chats_is_a_prompt() {
        let docs = [
            routed("chat_completion", "Chat Completion", "POST", "/chat/completions"),
            routed(
                "send_message",
                "Send a message to an agent and get its response.",
                "POST",
                "/a2a/{id}/message/send",
            ),
            routed("update_deployment", "Update a model deployment.", "POST", "/model/update"),
            routed("embeddings", "Embeddings: a vector embedding of each input.", "POST", "/embeddings"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Send 'Summarize this paragraph in one sentence' to gpt-4o-mini", 1), [0]);
        assert_eq!(index.search("Ask claude-3-haiku: 'Summarize the Q3 report in 3 bullets'", 1), [0]);
        // A model's name in quotes is no prompt; nor is an apostrophe.
        assert_eq!(index.search("Send a message to the agent we're testing with gpt-4o", 1), [1]);
        assert_eq!(index.search("Update the deployment 'gpt-4o-eu'", 1), [2]);
        // Unquoted, a text the model is asked to write is a prompt too.
        assert_eq!(index.search("Ask gpt-4o-mini to explain gradient descent in two sentences", 1), [0]);
        assert_eq!(index.search("Send a note to gpt-4o asking it to pick a colour", 1), [0]);
        // What it is to write about is the prompt's, not a tool's.
        assert_eq!(index.search("Ask gpt-4o-mini to explain what a vector embedding is", 1), [0]);
        assert_eq!(index.search("Embed 'hello' as a vector with text-embedding-3-small", 1), [3]);
    }

    #[test]
    fn to_pull_or_grab_is_to_read() {
        let docs = [
            routed("get_records", "Get records from a collection.", "POST", "/collections/{id}/get"),
            routed(
                "add_records",
                "Add records to a collection, stored with their metadata.",
                "POST",
                "/collections/{id}/add",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Pull the stored records and metadata from the notes collection", 1), [0]);
        assert_eq!(index.search("Grab the stored records of the notes collection", 1), [0]);
    }

    #[test]
    fn what_polls_a_pool_is_its_worker() {
        let docs = [
            routed("read_workers", "Read a work pool's workers.", "POST", "/work_pools/{name}/workers/filter"),
            routed("read_work_queues", "Read a work pool's queues.", "POST", "/work_pools/{name}/queues/filter"),
            routed("read_work_pool", "Read a work pool.", "GET", "/work_pools/{name}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Is anything polling the k8s-prod pool right now?", 1), [0]);
    }

    #[test]
    fn a_servers_build_is_its_version() {
        let docs = [
            routed("version", "Version", "GET", "/api/v2/version"),
            routed("list_collections", "List collections.", "GET", "/api/v2/collections"),
            routed("create_collection", "Create a collection.", "POST", "/api/v2/collections"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What build is that server running?", 1), [0]);
        assert_eq!(index.search("Build a new collection called notes", 1), [2]);
    }

    #[test]
    fn to_kill_a_thing_is_to_turn_it_off() {
        let docs = [
            routed("block_key", "Block all calls from a key.", "POST", "/key/block"),
            routed("cancel_batch", "Cancel a batch.", "POST", "/batches/{id}/cancel"),
            routed("cancel_response", "Cancel a response.", "POST", "/responses/{id}/cancel"),
            routed("generate_key", "Generate a key.", "POST", "/key/generate"),
            routed("update_key", "Update a key.", "POST", "/key/update"),
            routed("key_info", "A key's spend and limits.", "GET", "/key/info"),
            routed("list_keys", "List keys.", "GET", "/key/list"),
            routed("regenerate_key", "Regenerate a key.", "POST", "/key/regenerate"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Kill key sk-old-intern-7781 right now; the intern left.", 1), [0]);
        assert_eq!(index.search("Kill batch batch_123, it is stuck", 1), [1]);
    }

    #[test]
    fn gone_for_good_is_a_delete() {
        let docs = [
            routed("delete_model", "Delete a model from the proxy.", "POST", "/model/delete"),
            routed("update_model", "Update a model: take it offline, or bring it back.", "POST", "/model/update"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Take the legacy model offline permanently", 1), [0]);
        assert_eq!(index.search("Take the legacy model offline", 1), [1]);
    }

    #[test]
    fn a_thing_given_by_its_name_is_found_by_the_tool_that_takes_its_name() {
        // Two tools each that differ only in how they take their thing: without the rule,
        // the first of each pair would come first.
        let docs = [
            routed("read_collection", "Read a collection.", "GET", "/collections/{collection_id}"),
            routed("read_collection", "Read a collection.", "GET", "/collections/{collection_name}"),
            routed("read_pool", "Read a pool.", "GET", "/pools/{pool_name}"),
            routed("read_pool", "Read a pool.", "GET", "/pools/{pool_id}"),
        ];
        assert_eq!(keyed(&docs), [Some(Key::Id), Some(Key::Name), Some(Key::Name), Some(Key::Id)]);
        let index = among_others(&docs);
        assert_eq!(index.search("Show me the collection support_tickets", 1), [1]);
        assert_eq!(index.search("Show me pool 7c1e2a90-4b5d-4f3e-9a1b-0d2c3e4f5a6b", 1), [3]);
        assert_eq!(vocabulary::keys_given("flow run 7c1e2a90-4b5d, run id 12"), (true, false));
        assert_eq!(vocabulary::keys_given("the support_tickets collection"), (false, true));
        assert_eq!(vocabulary::keys_given("a flow named nightly"), (false, true));
        assert_eq!(vocabulary::keys_given("key sk-9f2a, gpt-4o-mini, from 2025-03-01 to 20250307"), (false, false));
    }

    #[test]
    fn what_to_do_is_said_by_the_sentence_that_asks() {
        let docs = [
            routed("create_flow_run", "Create a flow run.", "POST", "/flow_runs/"),
            routed("cancel_flow_run", "Cancel a flow run.", "POST", "/flow_runs/{id}/cancel"),
        ];
        let index = among_others(&docs);
        // "Flow run" tells which thing; "cancel it" says what to do.
        assert_eq!(index.search("Flow run 3b9d2c1e is stuck. Cancel it.", 1), [1]);
        assert_eq!(index.search("Start a flow run.", 1), [0]);
        // "Got" is no read when ", so" and a verb say what to do.
        let keys = [
            routed("info_key", "Information about a key.", "GET", "/key/info"),
            routed("block_key", "Block a key.", "POST", "/key/block"),
        ];
        let index = among_others(&keys);
        assert_eq!(index.search("That key got pasted in Slack, so block the key.", 1), [1]);
        assert_eq!(index.search("Show me the key", 1), [0]);
    }

    #[test]
    fn words_only_told_weigh_less_when_the_ask_names_its_own_thing() {
        let docs = [
            routed("health", "Check that the upstream models are reachable.", "GET", "/health"),
            routed(
                "completion",
                "Completion: a customer's request for a completion by the models.",
                "POST",
                "/completions",
            ),
        ];
        let index = among_others(&docs);
        // The completions are where the trouble shows; the models' health is asked.
        let query = "A customer says they're getting 500s on every completion. Are the upstream models reachable?";
        assert_eq!(index.search(query, 1), [0]);
        // A sentence that asks and points back at what was told keeps it whole.
        let vocabulary = vocabulary::Vocabulary::shared();
        assert!(vocabulary.points_back("Make sure nobody can use it anymore"));
        assert!(vocabulary.points_back("Create one for team ds-team"));
        assert!(!vocabulary.points_back("what's the largest batch I can send in one request?"));
        assert!(!vocabulary.points_back("does the collection exist, and what metadata does it have?"));
    }

    #[test]
    fn a_lead_that_does_not_ask_names_the_occasion_before_its_colon() {
        let docs = [
            routed("key_health", "Check a key's health.", "GET", "/key/health"),
            routed("block_key", "Block a key.", "POST", "/key/block"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("QA check: temporarily block key sk-test-4 without deleting it.", 1), [1]);
        let vocabulary = vocabulary::Vocabulary::shared();
        let asked = |query: &str| vocabulary.request(query).map(|r| r.text);
        assert_eq!(asked("Step 2: block the key").as_deref(), Some("block the key"));
        // After a lead that asks come its details, in one clause.
        assert!(asked("Rotate sk-prod-77: new secret, same limits").is_none());
        assert!(asked("Give me the details for sk-prod-77: its budget and spend").is_none());
        // A clause after a comma with its own subject tells what happened.
        let left = "Remove Pete from the marketing team, he left the company.";
        assert_eq!(asked(left).as_deref(), Some("Remove Pete from the marketing team,"));
    }

    #[test]
    fn what_a_rule_infers_from_the_whole_query_is_not_only_told() {
        let docs = [
            routed("chat_completion", "Chat completion.", "POST", "/chat/completions"),
            routed("read_back", "What comes back: a model's answers, read back.", "GET", "/back"),
        ];
        let index = among_others(&docs);
        // The prompt makes it a chat completion, whichever sentence quotes it.
        let query = "Smoke test: send 'hello, are you there?' to gpt-4o-mini and show me what comes back.";
        assert_eq!(index.search(query, 1), [0]);
    }

    #[test]
    fn a_copy_of_an_operation_under_a_prefix_comes_after_it_unless_the_prefix_is_named() {
        let docs = [
            routed(
                "cursor_chat_completions",
                "Cursor Chat Completions. Answers in chat format.",
                "POST",
                "/cursor/chat/completions",
            ),
            routed("chat_completion", "Chat Completion.", "POST", "/chat/completions"),
            routed("read_flow_run", "Read a flow run.", "GET", "/flow_runs/{id}"),
            routed("read_flow_run_v1", "Read a flow run.", "GET", "/v1/flow_runs/{id}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Send 'hi' to gpt-4o-mini and give me the answer", 1), [1]);
        assert_eq!(index.search("Send 'hi' to gpt-4o-mini through Cursor's endpoint", 1), [0]);
        let served = served(&docs);
        assert_eq!(copied_under(&docs[0], &served).as_deref(), Some("cursor"));
        // A version's prefix routes the same operation twice; it copies nothing.
        assert_eq!(copied_under(&docs[3], &served), None);
        assert_eq!(copied_under(&docs[1], &served), None, "`/completions` is not served");
    }

    #[test]
    fn a_versions_route_of_another_operation_comes_after_the_unversioned_one() {
        let docs = [
            routed(
                "list_guardrails_v2",
                "List the guardrails (guardrail_name, guardrail_info) in the database.",
                "GET",
                "/v2/guardrails/list",
            ),
            routed(
                "list_guardrails",
                "List the guardrails that are available on the proxy server, with the parameters each takes.",
                "GET",
                "/guardrails/list",
            ),
            routed("chat_completion_v1", "Chat Completion.", "POST", "/v1/chat/completions"),
            routed("chat_completion", "Chat Completion.", "POST", "/chat/completions"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What guardrails are configured on the gateway?", 1), [1]);
        // The same operation routed twice is one tool, whichever route comes first.
        assert!(index.demoted[0] < 1.0 && index.demoted[2] == 1.0);
        assert_eq!(unversioned("/v2/guardrails/list").as_deref(), Some("/guardrails/list"));
        assert_eq!(unversioned("/api/v1/count").as_deref(), Some("/count"));
        assert_eq!(unversioned("/api/collections"), None, "no version");
        assert_eq!(unversioned("/v1"), None, "nothing under it");
    }

    #[test]
    fn asking_why_says_what_happened() {
        let docs = [
            routed("create_logs", "Create logs.", "POST", "/logs/"),
            routed("read_logs", "Read logs.", "POST", "/logs/filter"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Why did run 3c9e1a42 fail? Show me its logs.", 1), [1]);
        let request =
            vocabulary::Vocabulary::shared().request("Why did flow run 3f2c9a1e stop? Can you show me its logs?");
        assert_eq!(request.map(|r| r.text).as_deref(), Some("Can you show me its logs?"));
    }

    #[test]
    fn to_force_a_thing_to_a_state_is_to_set_it() {
        let docs = [
            routed("set_task_run_state", "Set a task run's state.", "POST", "/task_runs/{id}/set_state"),
            routed("delete_task_run", "Delete a task run.", "DELETE", "/task_runs/{id}"),
        ];
        let index = among_others(&docs);
        // "Force" asks, so "forever" in the sentence that tells asks for no delete.
        assert_eq!(index.search("Task run keeps retrying forever. Force task run 8d2f0c11 to Failed.", 1), [0]);
    }

    #[test]
    fn a_word_that_joins_two_words_names_both() {
        let docs = [
            routed("get_imei_watch_entry", "One watchlist entry by id.", "GET", "/imei-watchlist/{entry_id}"),
            routed("list_imei_watchlist", "IMEI watchlist entries.", "GET", "/imei-watchlist"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Which phones are we watching?", 1), [1]);
        let fields = |name: &str| {
            let mut f: [Vec<String>; FIELDS] = Default::default();
            f[Field::Name as usize] = vec![name.to_string()];
            (f, Vec::new())
        };
        let built = [fields("watchlist"), fields("watch"), fields("list"), fields("healthcheck")];
        // Only words the API uses on their own: `health` and `check` are not here.
        assert_eq!(compounds(&built), [vec!["watch".to_string(), "list".to_string()], vec![], vec![], vec![]]);
    }

    #[test]
    fn a_figure_broken_down_by_a_thing_is_the_report_that_breaks_it_down() {
        let docs = [
            routed(
                "get_team_spend_report",
                "Get Team Spend Report. Spend of one team, by key.",
                "GET",
                "/team/spend/report",
            ),
            routed(
                "get_global_spend_report",
                "Get Global Spend Report. Daily spend per team.",
                "GET",
                "/global/spend/report",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Show me total spend broken down by team for last month.", 1), [1]);
        assert_eq!(index.search("How much has each team spent this month?", 1), [1]);
        // One team's spend is the team's report.
        assert_eq!(index.search("How much has team search-platform spent this month?", 1), [0]);
    }

    #[test]
    fn how_much_so_far_is_what_a_thing_holds_not_a_report_over_a_period() {
        let docs = [
            Doc::new(
                "get_key_spend_report",
                None,
                "Spend of a key over a date range, per model.",
                &[],
                &arguments(&["start_date", "end_date", "api_key"]),
            )
            .with_endpoint("GET", "/key/spend/report"),
            Doc::new(
                "info_key",
                None,
                "Information about a key: its spend, budget and expiry.",
                &[],
                &arguments(&["key"]),
            )
            .with_endpoint("GET", "/key/info"),
        ];
        let index = among_others(&docs);
        assert!(takes_a_span(&docs[0]) && !takes_a_span(&docs[1]));
        assert_eq!(index.search("How much has key sk-abc123 spent so far?", 1), [1]);
        // What is left of it is a running total too; not someone who left.
        assert!(vocabulary::asks_so_far("What's the remaining budget and spend on my key?"));
        assert!(vocabulary::asks_so_far("How much budget is left on the staging key?"));
        assert!(vocabulary::asks_so_far("What's left on my key?"));
        assert!(!vocabulary::asks_so_far("The intern left, so what did the staging key spend?"));
        // A period named is the report's business, "so far" or not. (Given by its id, the
        // key favours the tools that take a key by name, as the report's `api_key` is not.)
        assert_eq!(index.search("How much has the staging key spent this month?", 1), [0]);
        assert_eq!(index.search("How much has the staging key spent so far this month?", 1), [0]);
    }

    #[test]
    fn a_setting_is_configuration_not_the_verb_set() {
        let docs = [
            doc("get_guardrail_ui_settings", "Get the UI settings for the guardrails."),
            doc("list_guardrails", "List the guardrails that are available on the proxy server."),
        ];
        let index = Index::new(&docs);
        // "Configured" asks which things are set up, not for their settings.
        assert_eq!(index.search("Which guardrails are configured?", 1), [1]);
        // A question about settings still finds the settings.
        assert_eq!(index.search("show the guardrail settings", 1), [0]);
    }

    #[test]
    fn a_name_counts_the_path_parents_it_repeats_among_the_parents() {
        // The collision rule names `/openai/deployments/{model}/embeddings` after its
        // parents; those words say where it acts, as the parents do, not what it is.
        let docs = [Doc::new("embeddings_openai_deployments", Some("Embeddings"), "Embeddings.", &[], &json!({}))
            .with_endpoint("POST", "/openai/deployments/{model}/embeddings")];
        let index = Index::new(&docs);
        let (fields, written) = index.fields(&docs[0], &[]);
        assert_eq!(fields[Field::Name as usize], ["embed"]);
        // Named as written all the same: "embeddings" alone does not name it.
        assert_eq!(written, ["embed", "openai", "deployment", "list"]);
        assert_eq!(fields[Field::Parents as usize], ["openai", "deployment"]);
    }

    #[test]
    fn paths_split_into_their_own_words_and_their_parents() {
        assert_eq!(split_path("/collections/{id}/update"), ("update".into(), "collections".into()));
        assert_eq!(split_path("/work_pools/{name}/queues/{id}"), ("queues".into(), "work_pools".into()));
        assert_eq!(split_path("/key/generate"), ("key generate".into(), String::new()));
        assert_eq!(split_path("/api/v2/tenants/{t}/databases"), ("databases".into(), "api v2 tenants".into()));
    }

    #[test]
    fn descriptions_split_into_summary_and_details_without_code() {
        let (summary, details) =
            split_description("[BETA]\n\ndelete members from a team\n\n```\ncurl -X POST header\n```\nMore words.");
        assert_eq!(summary, "[BETA] delete members from a team");
        assert!(!details.contains("curl") && details.contains("More words."), "{details}");
    }

    fn routed(name: &str, description: &str, method: &str, path: &str) -> Doc {
        doc(name, description).with_endpoint(method, path)
    }

    /// An `inputSchema` with these arguments.
    fn arguments(names: &[&str]) -> Value {
        json!({ "properties": names.iter().map(|n| (n.to_string(), json!({}))).collect::<serde_json::Map<_, _>>() })
    }

    /// `docs` among tools about other things, so a word's rarity counts as in a real API.
    fn among_others(docs: &[Doc]) -> Index {
        let others = [
            routed("delete_key", "Delete an API key.", "DELETE", "/keys/{id}"),
            routed("read_user", "Read a user.", "GET", "/users/{id}"),
            routed("update_budget", "Update a budget.", "PATCH", "/budgets/{id}"),
            routed("health", "Is the server up?", "GET", "/health"),
            routed("list_events", "Events.", "GET", "/events"),
            routed("create_variable", "Create a variable.", "POST", "/variables"),
        ];
        Index::new(&[docs, &others].concat())
    }

    #[test]
    fn a_question_about_what_is_reads_whatever_its_verbs() {
        let docs = [
            routed("update_variable", "Update a variable.", "PATCH", "/variables/{id}"),
            routed("read_variable", "Read a variable.", "GET", "/variables/{id}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("What is the retries variable set to?", 1), [1]);
        assert_eq!(index.search("Set the retries variable to 3", 1), [0]);
        // A request to read, as a question: a verb of writing after it says which things.
        let docs = [
            routed("read_saved_searches", "Query for saved searches.", "POST", "/saved_searches/filter"),
            routed("read_flows", "Query for flows.", "POST", "/flows/filter"),
            routed("read_flow_runs", "Query for flow runs.", "POST", "/flow_runs/filter"),
            routed("delete_flow", "Delete a flow by id.", "DELETE", "/flows/{id}"),
            routed("read_flow", "Get a flow by id.", "GET", "/flows/{id}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("List all the flows registered on the server", 1), [1]);
        // "Configured" is such a verb: what is set up, not a word of the tool.
        let docs = [
            routed("list_guardrails", "List the guardrails on the proxy.", "GET", "/guardrails/list"),
            routed(
                "get_policy_templates",
                "Configured guardrail templates, to configure guardrails.",
                "GET",
                "/policy/templates",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Which guardrails are configured?", 1), [0]);
    }

    #[test]
    fn a_state_set_by_name_is_found_by_its_verb() {
        let doc = |name: &str, schema: Value| Doc::new(name, None, "Set a flow run state.", &[], &schema);
        let docs = [
            doc("update_flow_run", json!({"properties": {"name": {}, "tags": {}}})),
            doc(
                "set_flow_run_state",
                json!({"properties": {"state": {"properties": {"type": {"enum":
                ["RUNNING", "CANCELLING", "CANCELLED", "PAUSED"]}}}}}),
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Cancel that flow run", 1), [1]);
    }

    #[test]
    fn bulk_tools_and_puts_beside_patches_come_after_the_plain_tool() {
        let docs = [
            routed("bulk_set_flow_run_state", "Set the state of flow runs.", "POST", "/flow_runs/bulk_set_state"),
            routed("set_flow_run_state", "Set the state of a flow run.", "POST", "/flow_runs/{id}/set_state"),
            routed("update_automation", "Update an automation.", "PUT", "/automations/{id}"),
            routed("patch_automation", "Update an automation.", "PATCH", "/automations/{id}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("set the state of flow run 7f3c to cancelled", 1), [1]);
        assert_eq!(index.search("set the state of flow runs in bulk", 1), [0]);
        assert_eq!(index.search("turn off the automation", 1), [3]);
    }

    #[test]
    fn a_model_given_by_its_name_is_the_thing_to_delete() {
        let docs = [
            routed("preview_router", "Preview how the router routes a request.", "POST", "/router/preview"),
            routed("delete_router_rule", "Delete a routing rule.", "POST", "/router/rules/delete"),
            routed("delete_model", "Delete a model from the model list.", "POST", "/model/delete"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Take azure-gpt4-eastus out of the router", 1), [2]);
        assert_eq!(index.search("Take the old rule out of the router", 1), [1]);
    }

    #[test]
    fn a_thing_to_make_has_no_name_to_find_it_by() {
        let named = |name: &str, description: &str, args: &[&str]| {
            Doc::new(name, None, description, &[], &arguments(args)).with_endpoint("POST", &format!("/{name}"))
        };
        let docs = [
            named(
                "create_access_group",
                "Create an access group of models, by name.",
                &["access_group_name", "models"],
            ),
            named("add_model", "Add a model to the list.", &["model", "params"]),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Add a new model named gpt-4o-eu", 1), [1]);
    }

    #[test]
    fn a_read_of_things_in_the_plural_is_a_list() {
        let docs = [
            routed("get_collection", "Get a collection.", "GET", "/collections/{name}"),
            routed("list_collections", "List the collections.", "GET", "/collections"),
            routed("count_collections", "Count collections.", "GET", "/collections_count"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Show me the first 20 collections we have", 1), [1]);
        assert_eq!(index.search("How many collections are there?", 1), [2]);
        assert_eq!(index.search("Show me the support collection", 1), [0]);
    }

    #[test]
    fn starting_a_run_is_not_changing_the_thing_it_runs() {
        let docs = [
            routed("update_deployment", "Update a deployment.", "PATCH", "/deployments/{id}"),
            routed(
                "create_flow_run_from_deployment",
                "Create a flow run from a deployment.",
                "POST",
                "/deployments/{id}/create_flow_run",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Kick off the weekly-report deployment with region set to EU", 1), [1]);
        assert_eq!(index.action_asked(&index.vocabulary.terms("run a health check")), Action::Read);
        assert_eq!(index.action_asked(&index.vocabulary.terms("run the deployment")), Action::Start);
        assert_eq!(index.search("Change the weekly-report deployment", 1), [0]);
    }

    #[test]
    fn an_address_is_a_person() {
        let docs = [
            routed("team_model_add", "Add models to a team.", "POST", "/team/model/add"),
            routed("team_member_add", "Add a member to a team.", "POST", "/team/member_add"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Put jane@example.com on the growth team", 1), [1]);
    }

    #[test]
    fn a_container_is_a_parent_of_the_path() {
        let docs = [
            routed("count_collections", "Count collections.", "GET", "/databases/{db}/collections_count"),
            routed("count", "Count.", "GET", "/databases/{db}/collections/{id}/count"),
            routed("delete_collection", "Delete collection.", "DELETE", "/databases/{db}/collections/{name}"),
            routed("delete", "Delete.", "POST", "/databases/{db}/collections/{id}/delete"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("How many items are stored in the reviews collection?", 1), [1]);
        assert_eq!(index.search("How many collections are there?", 1), [0]);
        assert_eq!(index.search("Remove the entries whose source is crawler from the news collection", 1), [3]);
        assert_eq!(index.search("Drop the whole scratch collection", 1), [2]);
    }

    #[test]
    fn what_is_inside_a_container_is_what_the_tool_names() {
        let docs = [
            routed(
                "read_flow_run_graph",
                "Get a task run dependency map for a given flow run.",
                "GET",
                "/flow_runs/{id}/graph",
            ),
            routed("read_flow_run_input", "Read a value of a flow run's input.", "GET", "/flow_runs/{id}/input/{key}"),
            Doc::new("read_task_runs", None, "Query for task runs.", &[], &arguments(&["flow_runs", "task_runs"]))
                .with_endpoint("POST", "/task_runs/filter"),
            Doc::new("read_flow_runs", None, "Query for flow runs.", &[], &arguments(&["flow_runs", "task_runs"]))
                .with_endpoint("POST", "/flow_runs/filter"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Which task runs inside flow run 5c2e81d0 are still running?", 1), [2]);
        assert_eq!(index.search("Show the dependency graph of the tasks in flow run 5c2e81d0", 1), [0]);
    }

    #[test]
    fn to_raise_a_figure_is_to_change_it() {
        let docs = [
            routed("update_key_fn", "Update an existing API key's parameters.", "POST", "/key/update"),
            routed("new_budget", "Create a new budget object with a max budget.", "POST", "/budget/new"),
            routed("budget_info", "Get the budget's max budget and spend.", "GET", "/budget/info"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Raise the max budget on key sk-4b81e0d2 to $500", 1), [0]);
        assert_eq!(index.search("Bump the max budget of key sk-99 to $20", 1), [0]);
    }

    #[test]
    fn a_secret_key_is_a_key() {
        let docs = [
            routed(
                "info_key_fn",
                "Retrieve information about a key: its spend, budget and models.",
                "GET",
                "/key/info",
            ),
            routed("budget_info", "Get the budget's spend and max budget.", "POST", "/budget/info"),
            routed("list_spend_log_users", "List the users who spent, with their spend.", "GET", "/spend/users"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("How much budget is left on sk-team-ml-01?", 1), [0]);
        assert_eq!(index.search("How much has 'sk_live_9f2a' spent so far?", 1), [0]);
    }

    #[test]
    fn to_stop_a_thing_from_working_is_to_turn_it_off() {
        let docs = [
            routed("block_key", "Block a key from making requests.", "POST", "/key/block"),
            routed("cancel_key_request", "Cancel a key's pending request.", "POST", "/key/request/cancel"),
            routed("pause_deployment", "Pause a deployment's schedule.", "POST", "/deployments/{id}/pause"),
            routed("cancel_flow_run", "Cancel a flow run.", "POST", "/flow_runs/{id}/cancel"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Stop key sk-91ac77e0 from making any calls", 1), [0]);
        assert_eq!(index.search("The key leaked. Stop it working right now.", 1), [0]);
        assert_eq!(index.search("Stop the nightly deployment from running on its schedule", 1), [2]);
        assert_eq!(index.search("Stop flow run 7f3c, it is stuck", 1), [3]);
    }

    #[test]
    fn to_cap_a_thing_is_to_give_it_a_limit() {
        let docs = [
            routed("create_concurrency_limit", "Create a task run concurrency limit.", "POST", "/concurrency_limits/"),
            routed(
                "read_concurrency_limit_by_tag",
                "Get a concurrency limit by tag.",
                "GET",
                "/concurrency_limits/tag/{tag}",
            ),
            routed(
                "delete_concurrency_limit_by_tag",
                "Delete a concurrency limit by tag.",
                "DELETE",
                "/concurrency_limits/tag/{tag}",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Cap the 'database' tag at 3 tasks", 1), [0]);
        assert_eq!(index.search("Limit the database tag to 5 tasks", 1), [0]);
        assert_eq!(index.search("What is the limit of the database tag?", 1), [1]);
    }

    #[test]
    fn a_particle_may_come_after_a_long_name() {
        let docs = [
            routed("update_model", "Update a deployment.", "POST", "/model/update"),
            routed("delete_model", "Delete a deployment.", "POST", "/model/delete"),
            routed("get_router_settings", "Get the router's settings.", "GET", "/router/settings"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Take the azure-gpt35-eastus deployment out of the router", 1), [1]);
        assert_eq!(index.search("Take the llama-3-70b-legacy model out of the router", 1), [1]);
    }

    #[test]
    fn a_thing_given_by_its_id_is_served_by_the_tools_that_take_it() {
        let docs = [
            routed("read_flow_run", "Get a flow run by id.", "GET", "/flow_runs/{id}"),
            routed("read_flow_run_state", "Get a flow run state by id.", "GET", "/flow_run_states/{id}"),
        ];
        let index = among_others(&docs);
        // The id is a flow run's, which the state's tool does not take.
        assert_eq!(index.search("What state is flow run 3f2a9b1c-7d4e in right now?", 1), [0]);
        assert_eq!(index.search("Show me flow run state 9e1d", 1), [1]);
    }

    #[test]
    fn a_question_does_not_name_a_tool_that_writes() {
        let docs = [
            routed("create_guardrail", "Add a guardrail.", "POST", "/guardrails"),
            routed("list_guardrails", "The guardrails available.", "GET", "/guardrails/list"),
        ];
        let index = among_others(&docs);
        // "Set up" is a state in a question, and `create guardrail` is not named.
        assert_eq!(index.search("What guardrails are set up?", 1), [1]);
        assert_eq!(index.search("Set up a guardrail", 1), [0]);
    }

    #[test]
    fn a_question_whether_a_thing_answers_asks_for_its_health() {
        let docs = [
            routed(
                "cache_redis_info",
                "Get the Redis cache's info: memory, clients, keys.",
                "GET",
                "/cache/redis/info",
            ),
            routed("cache_ping", "Check that the cache can be pinged.", "GET", "/cache/ping"),
            routed("get_deployment_warnings", "List the warnings of deployments.", "GET", "/deployment_warnings"),
            routed("health_check", "Check the health of the configured models.", "GET", "/model_health"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Is the Redis cache reachable?", 1), [1]);
        // Either tool of health (`/health` is among the others), not the warnings.
        assert!(matches!(index.search("Are all the deployments healthy?", 1)[..], [3] | [7]));
        // Not when it says what to do with the thing.
        assert_eq!(index.search("Show the Redis cache info", 1), [0]);
    }

    #[test]
    fn what_a_tool_takes_by_its_identifier() {
        let takes = |path: &str, params: &[&str]| {
            let doc = Doc::new("t", None, "", &[], &arguments(params)).with_endpoint("POST", path);
            let found = identified(&doc);
            (found.path, found.said, found.bare)
        };
        let t = |words: &[&str]| words.iter().map(|w| vocabulary::stem(w)).collect::<Vec<_>>();
        let none = Vec::<Vec<String>>::new;
        assert_eq!(takes("/flow_runs/{id}", &["id"]), (vec![t(&["flow", "runs"])], none(), none()));
        assert_eq!(takes("/variables/name/{name}", &["name"]).0, [t(&["variables"])], "past `name`");
        assert_eq!(
            takes("/api/v2/tenants/{tenant}/databases/{database_name}/collections/{collection_id}/get", &["ids"]).0,
            [t(&["tenant"]), t(&["database"]), t(&["collection"])]
        );
        assert_eq!(takes("/model/delete", &["id"]), (none(), vec![t(&["model"])], none()), "an id alone");
        assert_eq!(takes("/flow_run_states/", &["flow_run_id"]), (none(), vec![t(&["flow", "run"])], none()));
        assert_eq!(takes("/key/info", &["key"]), (none(), none(), vec![t(&["key"])]), "a thing if a path takes it");
        assert_eq!(takes("/v2/concurrency_limits/{id_or_name}", &[]).0, [t(&["concurrency", "limits"])], "either key");
        assert_eq!(takes("/artifacts/{key}/latest", &[]).0, [t(&["artifacts"]), t(&["key"])], "an artifact's key");
        assert_eq!(takes("/key/{key}/regenerate", &[]).0, [t(&["key"])]);
    }

    #[test]
    fn a_thing_gone_for_good_is_deleted() {
        let docs = [
            Doc::new("block_key", None, "Block a key.", &[], &arguments(&["key"])).with_endpoint("POST", "/key/block"),
            Doc::new("delete_key_fn", None, "Delete a key.", &[], &arguments(&["keys", "key_aliases"]))
                .with_endpoint("POST", "/key/delete"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Kill the key sk-7f3a9e21 permanently", 1), [1]);
        assert_eq!(index.search("Kill key sk-3f9a2c71 for good", 1), [1]);
        assert_eq!(index.search("Kill key sk-3f9a2c71 until Monday", 1), [0]);
        // How long a state lasts is no thing gone for good.
        let docs = [
            routed("set_flow_run_state", "Set a flow run's state.", "POST", "/flow_runs/{id}/set_state"),
            routed("delete_flow_run", "Delete a flow run.", "DELETE", "/flow_runs/{id}"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("cancel flow run 3f2a9c1e its stuck in running forever", 1), [0]);
        assert_eq!(index.search("delete flow run 3f2a9c1e forever", 1), [1]);
    }

    #[test]
    fn to_onboard_is_to_create() {
        let docs = [
            routed("user_info", "Get a user's information: budget, role and keys.", "GET", "/user/info"),
            routed("new_user", "Create a user.", "POST", "/user/new"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Onboard bob@corp.com as an internal user with a $50 budget", 1), [1]);
    }

    #[test]
    fn what_a_run_printed_is_in_its_logs() {
        let docs = [
            routed("read_flow_run", "Get a flow run.", "GET", "/flow_runs/{id}"),
            Doc::new("read_logs", None, "Query for the logs of a flow run.", &[], &arguments(&["logs", "limit"]))
                .with_endpoint("POST", "/logs/filter"),
            // In an API about flow runs, as Prefect's is, "flow run" says little.
            routed("read_flow_runs", "Query for flow runs.", "POST", "/flow_runs/filter"),
            routed("delete_flow_run", "Delete a flow run.", "DELETE", "/flow_runs/{id}"),
            routed("set_flow_run_state", "Set a flow run's state.", "POST", "/flow_runs/{id}/set_state"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Show me what flow run 3f1a2b7c printed before it died", 1), [1]);
    }

    #[test]
    fn who_the_server_thinks_i_am_is_my_identity() {
        let docs = [
            routed("get_user_identity", "Get User Identity.", "GET", "/auth/identity"),
            routed("list_databases", "List the tenant's databases.", "GET", "/tenants/{tenant}/databases"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Before I hand this token over: who does the server think I am?", 1), [0]);
        assert_eq!(index.search("I am new here. Which databases are there?", 1), [1]);
    }

    #[test]
    fn whom_a_thing_is_for_says_less_than_what_it_is() {
        let docs = [
            routed("generate_key_fn", "Generate an API key.", "POST", "/key/generate"),
            routed("new_team", "Create a new team for the marketing or sales people.", "POST", "/team/new"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Generate a new key for the marketing team", 1), [0]);
        assert_eq!(index.search("Create a new team for marketing", 1), [1]);
    }

    #[test]
    fn insert_or_overwrite_is_an_upsert() {
        let docs = [
            routed("add", "Add records.", "POST", "/collections/{id}/add"),
            routed("update", "Update records.", "POST", "/collections/{id}/update"),
            routed("upsert", "Upsert records.", "POST", "/collections/{id}/upsert"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Insert the record, or overwrite it if it is already there", 1), [2]);
        assert_eq!(index.search("Insert a record", 1), [0]);
    }

    #[test]
    fn insert_or_replace_is_an_upsert() {
        let docs = [
            routed("add", "Add records.", "POST", "/collections/{id}/add"),
            routed("update", "Update records.", "POST", "/collections/{id}/update"),
            routed("upsert", "Upsert records.", "POST", "/collections/{id}/upsert"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Insert these records, or replace them if the ids are already there", 1), [2]);
        assert_eq!(index.search("Add records, replacing any that exist", 1), [2]);
    }

    #[test]
    fn what_a_thing_has_says_less_than_what_it_is() {
        let docs = [
            routed("new_team", "Create a new team.", "POST", "/team/new"),
            routed(
                "new_budget",
                "Create a new budget. A budget applies to teams: max budget, budget duration, soft budget.",
                "POST",
                "/budget/new",
            ),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("Create a team called data-science with a monthly budget of 500 dollars", 1), [0]);
        assert_eq!(index.search("Create a budget of 500 dollars a month", 1), [1]);
    }

    #[test]
    fn turning_off_is_not_turning_on() {
        let docs = [
            routed("unblock_key", "Unblock a key, even one on hold.", "POST", "/key/unblock"),
            routed("block_key", "Block a key.", "POST", "/key/block"),
        ];
        let index = among_others(&docs);
        // Freezing turns the key off: `block_key`, though only `unblock_key` says "hold".
        assert_eq!(index.search("Freeze the key sk-abc123", 1), [1]);
        assert_eq!(index.search("Unblock the key sk-abc123", 1), [0]);
    }

    #[test]
    fn a_verb_in_the_plural_the_paths_name_is_a_thing() {
        let docs = [
            routed("count_flows", "Count flows, the flows that failed included.", "POST", "/flows/count"),
            routed("count_flow_runs", "Query for flow runs.", "POST", "/flow_runs/count"),
        ];
        let index = among_others(&docs);
        assert_eq!(index.search("How many flow runs failed yesterday?", 1), [1]);
    }

    #[test]
    fn argument_names_leave_out_context_and_clear() {
        let schema = json!({"properties": {"id": {}, "context_station": {}, "is_paused": {}, "clear": {}}});
        let d = Doc::new("update_work_queue", Some("Update Work Queue"), "Updates a work queue.", &[], &schema);
        assert_eq!(d.params, ["id", "is_paused"]);
    }
}
