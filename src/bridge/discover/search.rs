//! Ranking tools for a plain-language query, pure: documents in, ranked indices out, no
//! I/O and no state beyond the [`Index`] built once per caller scope.
//!
//! The ranking is BM25F: each query term scores by how rare it is among the tools (IDF)
//! and how often it appears in a tool's fields, each field weighted (a word in the name or
//! title says more about what a tool does than a word in a parameter name) and normalized
//! by the field's length (a short description that names the thing beats a long one that
//! mentions it). Thirty lines of arithmetic; a search crate would bring an inverted-index
//! engine built for millions of documents, where we have at most a few thousand short ones.
//!
//! What makes plain language work is the normalization, applied alike to tools and
//! queries ([`terms`]): words split on non-alphanumerics, snake_case and camelCase,
//! lowercased; function words dropped ("which stations are online" → `station online`);
//! a crude stemmer (`stations`/`station`, `paused`/`pause`, `entries`/`entry`); and a small
//! table of verbs models use for the API's verbs (`remove` → `delete`, `change` →
//! `update`, `show` → `get`, `how many` → `count`). An acronym the API's own text spells
//! out, like "persons of interest (POI)", is learned when the index is built, so the query
//! "delete a person of interest" finds `delete_poi`.

use serde_json::Value;
use std::collections::HashMap;

/// One tool, as search sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Doc {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    pub tags: Vec<String>,
    /// Argument names: the tool's own and its JSON body's top-level fields.
    pub params: Vec<String>,
}

impl Doc {
    /// A document from a tool's parts. Argument names come from the `inputSchema`: its
    /// properties and, for the `body` argument, the body's properties (an update tool's
    /// `is_paused` field is how "pause a work queue" finds it). The per-call `context`
    /// argument is the same on many tools and says nothing about any one of them.
    pub fn new(name: &str, title: Option<&str>, description: &str, tags: &[&str], input_schema: &Value) -> Doc {
        let properties = |v: &Value| -> Vec<String> {
            v.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
        };
        let mut params: Vec<String> =
            properties(input_schema).into_iter().filter(|p| p != "context" && p != "body").collect();
        if let Some(body) = input_schema.get("properties").and_then(|p| p.get("body")) {
            params.extend(properties(body));
        }
        Doc {
            name: name.to_string(),
            title: title.map(str::to_owned),
            description: description.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            params,
        }
    }
}

/// The fields of a document, with their weights and length normalization (BM25F `b`).
const FIELDS: [(f32, f32); 5] = [
    (3.0, 0.5),  // name
    (2.0, 0.5),  // title
    (1.0, 0.75), // description
    (1.5, 0.3),  // tags
    (0.6, 0.75), // argument names
];
/// Added to the score of a tool the query names exactly: more than any sum of term scores.
const NAMED_BONUS: f32 = 1000.0;
/// BM25's term-frequency saturation.
const K1: f32 = 1.2;

/// Tools indexed for search: term statistics per field, computed once.
#[derive(Debug, Clone)]
pub struct Index {
    /// Per document, per field, term → count.
    docs: Vec<[HashMap<String, u32>; 5]>,
    /// Per document, per field, the number of terms.
    lengths: Vec<[f32; 5]>,
    /// Per field, the mean number of terms.
    mean_lengths: [f32; 5],
    /// Term → documents containing it.
    frequency: HashMap<String, u32>,
    /// Phrases the documents abbreviate: ([`person`, `interest`], `poi`).
    acronyms: Vec<(Vec<String>, String)>,
}

impl Index {
    pub fn new(docs: &[Doc]) -> Index {
        let acronyms = learn_acronyms(docs.iter().flat_map(|d| [Some(d.description.as_str()), d.title.as_deref()]));
        let fields = |d: &Doc| -> [Vec<String>; 5] {
            let mut name = terms_with(&d.name, &acronyms);
            // A name whose last word is plural (`list_stations`, `read_flows`) returns
            // many things, unless it counts or changes them: it matches "list", "all",
            // "which".
            let plural = d.name.rsplit(['_', '-']).next().is_some_and(|last| stem(last) != last && last.ends_with('s'));
            let changes = name.iter().any(|t| ["count", "creat", "updat", "delet"].contains(&t.as_str()));
            if plural && !changes {
                name.push("list".into());
            }
            [
                name,
                terms_with(d.title.as_deref().unwrap_or_default(), &acronyms),
                terms_with(&d.description, &acronyms),
                terms_with(&d.tags.join(" "), &acronyms),
                terms_with(&d.params.join(" "), &acronyms),
            ]
        };
        let mut index = Index {
            docs: Vec::with_capacity(docs.len()),
            lengths: Vec::with_capacity(docs.len()),
            mean_lengths: [0.0; 5],
            frequency: HashMap::new(),
            acronyms: Vec::new(),
        };
        for doc in docs {
            let fields = fields(doc);
            let mut counts: [HashMap<String, u32>; 5] = Default::default();
            let mut lengths = [0.0; 5];
            for (f, terms) in fields.iter().enumerate() {
                lengths[f] = terms.len() as f32;
                index.mean_lengths[f] += terms.len() as f32;
                for t in terms {
                    *counts[f].entry(t.clone()).or_default() += 1;
                }
            }
            let mut seen: Vec<&String> = counts.iter().flat_map(|c| c.keys()).collect();
            seen.sort();
            seen.dedup();
            for t in seen {
                *index.frequency.entry(t.clone()).or_default() += 1;
            }
            index.docs.push(counts);
            index.lengths.push(lengths);
        }
        index.acronyms = acronyms;
        let n = docs.len().max(1) as f32;
        for mean in &mut index.mean_lengths {
            *mean = (*mean / n).max(1.0);
        }
        index
    }

    /// The number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The documents matching `query`, best first, at most `limit`; documents sharing no
    /// term with the query are not returned. Ties keep the documents' order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        self.scores(query).into_iter().take(limit).map(|(i, _)| i).collect()
    }

    /// Every matching document with its score, best first.
    pub fn scores(&self, query: &str) -> Vec<(usize, f32)> {
        let mut query = terms_with(query, &self.acronyms);
        query.sort();
        query.dedup();
        let n = self.docs.len() as f32;
        let mut scored: Vec<(usize, f32)> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, fields)| {
                let score = query
                    .iter()
                    .map(|t| {
                        let df = self.frequency.get(t).copied().unwrap_or(0) as f32;
                        if df == 0.0 {
                            return 0.0;
                        }
                        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                        let tf: f32 = FIELDS
                            .iter()
                            .enumerate()
                            .map(|(f, (weight, b))| {
                                let count = fields[f].get(t).copied().unwrap_or(0) as f32;
                                weight * count / (1.0 - b + b * self.lengths[i][f] / self.mean_lengths[f])
                            })
                            .sum();
                        idf * tf * (K1 + 1.0) / (K1 + tf)
                    })
                    .sum::<f32>();
                (i, score)
            })
            .filter(|(_, s)| *s > 0.0)
            .map(|(i, s)| {
                // A query that names a tool (its name or title, in any words order) finds it
                // first: in a large API many tools share those words.
                let named = [0, 1].iter().any(|&f| {
                    let field: Vec<&String> = self.docs[i][f].keys().collect();
                    !field.is_empty() && field.len() == query.len() && field.iter().all(|t| query.contains(t))
                });
                (i, if named { s + NAMED_BONUS } else { s })
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// Words that say nothing about which tool: articles, prepositions, question words,
/// pronouns, auxiliaries.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "to",
    "for",
    "in",
    "on",
    "at",
    "by",
    "from",
    "with",
    "into",
    "and",
    "or",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "do",
    "does",
    "did",
    "i",
    "me",
    "my",
    "we",
    "our",
    "us",
    "you",
    "your",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "there",
    "what",
    "how",
    "can",
    "could",
    "would",
    "should",
    "please",
    "some",
    "any",
    "one",
    "currently",
    "now",
    "whose",
    "who",
    "want",
    "need",
    "like",
    "let",
    "s",
];

/// The words models use for an API's verbs, and the verb they mean. Applied to stems.
const SYNONYMS: &[(&str, &str)] = &[
    ("remov", "delet"),
    ("eras", "delet"),
    ("drop", "delet"),
    ("destroy", "delet"),
    ("purg", "delet"),
    ("add", "creat"),
    ("new", "creat"),
    ("mak", "creat"),
    ("insert", "creat"),
    ("chang", "updat"),
    ("edit", "updat"),
    ("modify", "updat"),
    ("alter", "updat"),
    ("renam", "updat"),
    ("patch", "updat"),
    ("fetch", "get"),
    ("retriev", "get"),
    ("show", "get"),
    ("view", "get"),
    ("read", "get"),
    ("look", "get"),
    ("lookup", "get"),
    ("display", "get"),
    ("see", "get"),
    ("all", "list"),
    ("which", "list"),
    ("every", "list"),
    ("enumerat", "list"),
    ("healthy", "health"),
    ("aliv", "health"),
    ("many", "count"),
    ("number", "count"),
    ("search", "find"),
    ("query", "find"),
    ("filter", "find"),
];

/// `text` as search terms: split, lowercased, function words dropped, stemmed, verbs mapped.
pub fn terms(text: &str) -> Vec<String> {
    terms_with(text, &[])
}

fn terms_with(text: &str, acronyms: &[(Vec<String>, String)]) -> Vec<String> {
    let mut out: Vec<String> = words(text)
        .into_iter()
        .filter(|w| w.len() > 1 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| {
            let s = stem(&w);
            SYNONYMS.iter().find(|(from, _)| *from == s).map(|(_, to)| to.to_string()).unwrap_or(s)
        })
        .collect();
    for (phrase, acronym) in acronyms {
        let mut i = 0;
        while i + phrase.len() <= out.len() {
            if out[i..i + phrase.len()] == phrase[..] {
                out.splice(i..i + phrase.len(), [acronym.clone()]);
            }
            i += 1;
        }
    }
    out
}

/// Lowercase words: split on anything not a letter or digit (so snake_case and
/// kebab-case), and between a lowercase letter or digit and an uppercase one (camelCase).
/// URLs are dropped: their parts are noise.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace().filter(|c| !c.contains("://")) {
        let mut word = String::new();
        let mut previous: Option<char> = None;
        for c in chunk.chars() {
            if !c.is_alphanumeric() {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            } else {
                if c.is_uppercase()
                    && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                    && !word.is_empty()
                {
                    out.push(std::mem::take(&mut word));
                }
                word.extend(c.to_lowercase());
            }
            previous = Some(c);
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

/// A crude stemmer: plural, adverb and verb endings off, then a final `e`, so `queues`, `queue`;
/// `paused`, `pause`, `pausing`; `entries`, `entry`; `statuses`, `status` meet. It keeps
/// at least three letters, and conflates a few words it should not; for ranking tool
/// names that costs less than a missed plural.
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    let keep = |w: &str, cut: usize| w.len() >= cut + 3;
    if w.ends_with("ies") && keep(&w, 3) {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if (w.ends_with("sses")
        || w.ends_with("uses")
        || w.ends_with("ches")
        || w.ends_with("shes")
        || w.ends_with("xes"))
        && keep(&w, 2)
    {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") && keep(&w, 1) {
        w.truncate(w.len() - 1);
    }
    // `recently` → `recent`, not `apply` → `app`.
    if w.ends_with("ly") && w.len() >= 7 {
        w.truncate(w.len() - 2);
    }
    let verb = if w.ends_with("ing") && keep(&w, 3) {
        w.truncate(w.len() - 3);
        true
    } else if w.ends_with("ed") && keep(&w, 2) {
        w.truncate(w.len() - 2);
        true
    } else {
        false
    };
    // `running` → `run`, `stopped` → `stop` (but `fill`, `pass` stay).
    let bytes = w.as_bytes();
    if verb
        && bytes.len() >= 4
        && bytes[bytes.len() - 1] == bytes[bytes.len() - 2]
        && !b"lsz".contains(&bytes[bytes.len() - 1])
    {
        w.pop();
    }
    if w.ends_with('e') && keep(&w, 1) {
        w.pop();
    }
    w
}

/// Acronyms the text spells out: an uppercase word of 2 to 6 letters whose letters are the
/// initials of the words just before it ("persons of interest (POI"). Each becomes the
/// phrase's terms (function words dropped) and the acronym's term.
fn learn_acronyms<'a>(texts: impl Iterator<Item = Option<&'a str>>) -> Vec<(Vec<String>, String)> {
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
            let phrase = terms(&before.join(" "));
            let acronym = stem(&word.to_lowercase());
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
    fn words_split_cases_and_drop_urls() {
        assert_eq!(
            words("list_work_pools workPoolName ADS-B v2"),
            ["list", "work", "pools", "work", "pool", "name", "ads", "b", "v2"]
        );
        assert_eq!(words("see https://x.io/docs now"), ["see", "now"]);
    }

    #[test]
    fn stems_meet() {
        for (a, b) in [
            ("stations", "station"),
            ("queues", "queue"),
            ("paused", "pause"),
            ("pausing", "pause"),
            ("entries", "entry"),
            ("statuses", "status"),
            ("processes", "process"),
            ("deleted", "delete"),
            ("running", "runs"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("gps"), "gps", "too short to cut");
    }

    #[test]
    fn plain_language_becomes_terms() {
        assert_eq!(terms("Which stations are online?"), ["list", "station", "onlin"]);
        assert_eq!(terms("remove an identifier"), ["delet", "identifier"]);
        assert_eq!(terms("how many flow runs"), ["count", "flow", "run"]);
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
    fn body_fields_are_argument_names_but_context_is_not() {
        let schema = json!({"properties": {"id": {}, "context": {}, "body": {"properties": {"is_paused": {}}}}});
        let d = Doc::new(
            "update_work_queue",
            Some("Update Work Queue"),
            "Updates a work queue.",
            &["Work Queues"],
            &schema,
        );
        assert_eq!(d.params, ["id", "is_paused"]);
    }
}
