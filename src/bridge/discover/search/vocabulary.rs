//! The words of search: how text becomes terms, and which terms mean the same thing to
//! someone asking an API for something.
//!
//! The table is general API vocabulary, not any one API's: the verbs of CRUD and of
//! operations (start, stop, pause, rotate, flush), and the nouns every gateway, database
//! or orchestrator has (keys, users, teams, health, spend, images). A word may sit in
//! several groups (`purge` empties and deletes). Phrases are read before function words
//! are dropped ("get rid of" is `delete`, "how many" is `count`).

use std::collections::HashMap;

/// Words that say nothing about which tool: articles, prepositions, question words,
/// pronouns, auxiliaries, fillers.
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
    "onto",
    "about",
    "via",
    "through",
    "per",
    "and",
    "or",
    "but",
    "so",
    "if",
    "then",
    "than",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "do",
    "does",
    "did",
    "done",
    "have",
    "has",
    "had",
    "i",
    "me",
    "my",
    "mine",
    "we",
    "our",
    "us",
    "you",
    "your",
    "it",
    "its",
    "they",
    "them",
    "their",
    "he",
    "she",
    "his",
    "her",
    "him",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "what",
    "how",
    "why",
    "when",
    "where",
    "who",
    "whom",
    "whose",
    "can",
    "could",
    "would",
    "should",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "please",
    "some",
    "any",
    "one",
    "currently",
    "now",
    "want",
    "need",
    "like",
    "let",
    "s",
    "t",
    "just",
    "also",
    "too",
    "very",
    "really",
    // Words that only stress what is asked.
    "actually",
    "basically",
    "literally",
    "definitely",
    "certainly",
    "simply",
    "truly",
    "absolutely",
    "maybe",
    "perhaps",
    "kindly",
    "far",
    "right",
    "own",
    "same",
    "such",
    "only",
    "ever",
    "yet",
    "already",
    "still",
    "else",
    "while",
    "whether",
    "anymore",
    "don",
    "doesn",
    "isn",
    "okay",
    "ok",
    "without",
    "not",
    "never",
    "instead",
    "except",
    "stuff",
    "using",
    "use",
    "much",
    "quick",
    "quickly",
    "call",
    "calls",
    "calling",
    "called",
    // The service being asked, named by what it is: every tool is one of its operations.
    "server",
    "service",
    "proxy",
    "gateway",
    "api",
    "app",
    "application",
    "system",
    "instance",
    "backend",
];

/// Phrases read as one word (lowercase words, before function words are dropped). A
/// two-word phrase whose second word is a particle may have a few words between
/// ("kick carol out", "turn the schedule off").
const PHRASES: &[(&[&str], &str)] = &[
    (&["get", "rid", "of"], "delete"),
    (&["throw", "away"], "delete"),
    (&["blow", "away"], "wipe"),
    (&["kick", "out"], "remove"),
    (&["kick", "off"], "start"),
    (&["kick", "from"], "remove"),
    (&["turn", "off"], "disable"),
    (&["switch", "off"], "disable"),
    (&["turn", "on"], "enable"),
    (&["switch", "on"], "enable"),
    (&["shut", "down"], "stop"),
    (&["tear", "down"], "delete"),
    // Not a thing that is down: a report split by something.
    (&["break", "down"], "breakdown"),
    (&["broken", "down"], "breakdown"),
    (&["set", "up"], "create"),
    (&["sign", "up"], "register"),
    (&["look", "up"], "get"),
    (&["look", "for"], "find"),
    (&["how", "many"], "count"),
    (&["number", "of"], "count"),
    (&["who", "am", "i"], "identity"),
    (&["try", "again"], "retry"),
    (&["speech", "to", "text"], "transcribe"),
    (&["end", "user"], "customer"),
    (&["spin", "up"], "create"),
    (&["hook", "up"], "create"),
    (&["take", "off"], "remove"),
    (&["take", "out"], "remove"),
    (&["pull", "back"], "get"),
    (&["pull", "up"], "get"),
    (&["spending", "limit"], "budget"),
    (&["spend", "limit"], "budget"),
    (&["at", "the", "same", "time"], "concurrency"),
    (&["more", "than"], "limit"),
    (&["at", "most"], "limit"),
    (&["day", "by", "day"], "daily"),
    // One request at a time, each with what it cost: a log of the requests.
    (&["request", "by", "request"], "log"),
    (&["individual", "requests"], "log"),
    (&["individual", "request"], "log"),
    (&["each", "request"], "log"),
    (&["every", "request"], "log"),
    (&["per", "request"], "log"),
    (&["request", "level"], "log"),
    (&["each", "call"], "log"),
    (&["per", "call"], "log"),
    (&["fall", "back"], "fallback"),
    (&["fall", "over"], "fallback"),
    (&["fail", "over"], "fallback"),
    // A fresh secret for a thing that has one: its secret rotated.
    (&["fresh", "secret"], "regenerate"),
    (&["pre", "flight"], "preflight"),
    // Gone for good: deleted ([`FOR_GOOD`]).
    (&["for", "good"], "permanently"),
    // To stop a thing from doing what it does, or stop it working, is to turn it off; to
    // stop a run is to cancel it.
    (&["stop", "from"], "disable"),
    (&["stop", "working"], "disable"),
];

/// Forms the stemmer leaves apart from their word: irregular verbs, and adjectives of
/// nouns (`healthy` is about `health`).
const FORMS: &[(&str, &str)] = &[
    // A final `l` doubled before an ending: the rule keeps `ll` (`filled` is `fill`).
    ("cancelled", "cancel"),
    ("cancelling", "cancel"),
    ("labelled", "label"),
    ("labelling", "label"),
    ("modelled", "model"),
    ("modelling", "model"),
    // A setting is configuration, not the verb `set` ("which guardrails are set up?" is
    // not `get_guardrail_ui_settings`).
    ("setting", "config"),
    ("settings", "config"),
    ("healthy", "health"),
    ("unhealthy", "health"),
    // A server answering is up; "the answer" a model gives is not.
    ("answering", "responding"),
    ("spent", "spend"),
    ("paid", "pay"),
    ("sent", "send"),
    ("ran", "run"),
    ("began", "begin"),
    ("begun", "begin"),
    ("made", "make"),
    ("gave", "give"),
    ("given", "give"),
    ("got", "get"),
    ("gotten", "get"),
    ("found", "find"),
    ("built", "build"),
    ("broke", "break"),
    ("broken", "break"),
    ("kept", "keep"),
    ("chosen", "choose"),
    ("chose", "choose"),
    ("written", "write"),
    ("wrote", "write"),
    ("took", "take"),
    ("taken", "take"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("shut", "shut"),
    ("stuck", "stick"),
    ("left", "leave"),
    ("lost", "lose"),
    ("froze", "freeze"),
    ("frozen", "freeze"),
];

/// The words that open a question about what is: yes or no ("is this IMEI on the
/// watchlist?") or which, what, how much ("what guardrails are set up?").
const QUESTION: &[&str] = &[
    "is", "are", "was", "were", "does", "do", "did", "has", "have", "what", "which", "who", "whose", "where", "when",
    "how",
];
/// Second words that make a question a request ("can you …", "how do I delete …").
const REQUEST: &[&str] = &["do", "can", "could", "should", "would", "to", "you"];

/// Does `text` ask about what is, a question answered by reading, whatever verbs it has
/// ("what guardrails are set up?", "what's api_base_url set to?")? Not a request put as
/// a question: "how do I delete …", "do you have to …" ask for what the verb does.
pub fn asks_what_is(text: &str) -> bool {
    let raw = words(text);
    raw.len() > 2 && QUESTION.contains(&raw[0].as_str()) && !REQUEST.contains(&raw[1].as_str())
}

/// Does `text` ask for a running total ("how much has it spent so far?", "to date") or
/// what is left of one ("the remaining budget", "what's left on it"), naming no period
/// ("so far this month" names one)? What a thing holds answers it, not a report over a
/// period. Not someone who left ("the intern left").
pub fn asks_so_far(text: &str) -> bool {
    let raw = words(text);
    let joined = format!(" {} ", raw.join(" "));
    SO_FAR.iter().any(|p| joined.contains(p)) && !raw.iter().any(|w| TIME.contains(&w.as_str()))
}

/// What asks for a running total, or what is left of one, in [`words`] (`what's` is
/// `what s`).
const SO_FAR: &[&str] = &[
    " so far ",
    " to date ",
    " up to now ",
    " until now ",
    " till now ",
    " remaining ",
    " s left ",
    " is left ",
    " left on ",
    " left of ",
];

/// The second words of "I need …", "we want …": a sentence that asks.
const NEEDS: &[&str] = &["need", "want", "d", "would", "must", "have"];

/// The words between a clause's comma and the verb that asks ("…, so please remove it",
/// "…, just disable it").
const ASKING: &[&str] = &["so", "please", "pls", "just"];

/// Who did something, at a sentence's start: a sentence starting with one tells, unless it
/// says a need ([`NEEDS`]).
const SUBJECTS: &[&str] = &["i", "we", "they", "he", "she", "someone", "somebody", "everyone", "nobody"];

/// Words that start the name of a thing: a sentence starting with one tells.
const DETERMINERS: &[&str] = &["the", "a", "an", "this", "that", "these", "those", "our", "my", "your", "their", "its"];

/// Words that point back at a thing named before ("…leaked. Block it", "create one").
const POINTING_BACK: &[&str] = &["it", "its", "they", "them", "their", "one"];

/// Words that name no thing, for [`Vocabulary::points_back`]: "make sure nobody can use it".
const NO_THING: &[&str] = &["sure", "nobody", "anybody", "anyone", "everything", "anything", "nothing", "all", "more"];

/// Does a clause, as lowercase words, start by asking for something: a verb first ("add a
/// model: …", "please rotate it: …", "quickly disable it"), not its "-ing" form ("Testing
/// edge cases: …" names what is going on)? `is_verb` reads a word as written.
fn opens_with_a_verb(raw: &[String], is_verb: impl Fn(&str) -> bool) -> bool {
    let start = usize::from(raw.first().is_some_and(|w| w == "please" || w.ends_with("ly")));
    let needs = raw.len() > 1 && ["i", "we"].contains(&raw[0].as_str()) && NEEDS.contains(&raw[1].as_str());
    needs
        || raw.get(start).is_some_and(|w| {
            (is_verb(w) || ASKING_VERBS.contains(&w.as_str())) && !(w.ends_with("ing") && stem(w) != *w)
        })
}

/// Verbs that ask for something without saying what to do with it ("give me the details
/// for sk-…: …", "tell me …"), for [`opens_with_a_verb`].
const ASKING_VERBS: &[&str] = &["give", "tell", "send", "help", "let"];

/// The sentences of a query that ask, beside those that only tell
/// ([`Vocabulary::request`]): their text, and the words they say ([`said`]).
pub struct Request {
    pub text: String,
    pub words: Vec<String>,
    /// What only the sentences that tell say, their words and what their addresses, keys
    /// and prompts mean.
    pub told: Vec<String>,
}

/// The words a query's terms say, in order: those that weigh, not a container's marks.
pub fn said(terms: &[(String, f32)]) -> Vec<String> {
    terms.iter().filter(|(t, w)| *w > 0.0 && !t.starts_with(CONTAINED)).map(|(t, _)| t.clone()).collect()
}

/// `text`'s sentences: each ends at `.`, `!` or `?` before a space or the end, so
/// "…7f3a", "gpt-3.5" and "v2.1" stay whole; an ellipsis ("key sk-9f2c... got pasted")
/// ends none.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let ellipsis = c == '.' && text[..i].ends_with('.');
        let ends = matches!(c, '.' | '!' | '?' | ';') && !ellipsis;
        // A dash between spaces ends a clause as a full stop would ("a dev box — wipe it").
        let dash = matches!(c, '—' | '–' | '-') && text[..i].ends_with(' ');
        if (ends || dash) && text[i + c.len_utf8()..].chars().next().is_none_or(char::is_whitespace) {
            out.push(text[start..i + c.len_utf8()].trim());
            start = i + c.len_utf8();
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// The second words of phrases that may stand apart from the first ("kick carol out").
const PARTICLES: &[&str] = &["out", "off", "on", "up", "down", "away", "from", "working"];
/// Phrases that mean another thing when their particle is apart and a thing follows it:
/// "kick off the flow" starts it, "kick Priya off the team" removes her.
const APART: &[(&[&str], &str)] = &[(&["kick", "off"], "remove")];

/// At most this many words between a phrase's first word and its particle, a name's words
/// not counted: a name and its thing may sit between ("take the llama-3-70b-legacy model
/// out").
const PARTICLE_GAP: usize = 5;

/// Where `particle` is in `raw` after the phrase's first word at `i`, with at least one word
/// and at most [`PARTICLE_GAP`] words other than a name's between.
fn particle_at(raw: &[Option<(String, f32)>], i: usize, particle: &str) -> Option<usize> {
    let mut between = 0;
    for (j, word) in raw.iter().enumerate().skip(i + 1) {
        let Some((w, weight)) = word else { continue };
        if j > i + 1 && w == particle {
            return Some(j);
        }
        if *weight > VALUE {
            between += 1;
        }
        if between > PARTICLE_GAP {
            return None;
        }
    }
    None
}

/// Verbs that turn a thing off or stop it, and those that turn it back on: a query that
/// asks for one is not served by a tool named for the other ("freeze the key" is not
/// `unblock_key`, "cancel the run" not `resume_flow_run`).
const OFF: &[&str] = &[
    "disable",
    "deactivate",
    "block",
    "suspend",
    "ban",
    "pause",
    "lock",
    "mute",
    "offline",
    "stop",
    "cancel",
    "abort",
    "halt",
    "terminate",
    "kill",
    "interrupt",
    "freeze",
    "hold",
];
const ON: &[&str] =
    &["enable", "activate", "unblock", "unlock", "unpause", "resume", "online", "continue", "restart", "unfreeze"];

/// What a verb does, coarsely: a query that asks to read is not served by a tool that
/// writes, nor one that asks to delete by a tool that creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A noun, or a verb of no one kind.
    None,
    Read,
    /// Makes something new.
    Create,
    /// Changes something that is there: update, pause, enable, rotate.
    Change,
    /// Writes, new or not: send, save.
    Write,
    /// Starts something that runs: start, run, trigger (a new run, not a change).
    Start,
    Delete,
}

impl Action {
    /// Can a tool that does `done` serve a query that asks for `self`? Either unknown, the
    /// same, writing beside creating, changing or starting, or starting beside creating.
    pub fn fits(self, done: Action) -> bool {
        use Action::*;
        matches!(
            (self, done),
            (None, _)
                | (_, None)
                | (Write, Create | Change | Start)
                | (Create | Change, Write)
                | (Start, Create | Write)
                | (Create, Start)
        ) || self == done
    }
}

/// The words for whether a service runs and answers ("is the proxy up?", "are the
/// deployments healthy?").
const HEALTH: &[&str] = &[
    "health",
    "healthy",
    "alive",
    "liveness",
    "liveliness",
    "heartbeat",
    "ping",
    "readiness",
    "ready",
    "up",
    "uptime",
    "responding",
    "reachable",
    "down",
];

/// Is query term `term` (stemmed) a word for whether a service runs and answers
/// ([`HEALTH`])?
pub fn says_health(term: &str) -> bool {
    static STEMS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| HEALTH.iter().map(|w| stem(w)).collect());
    STEMS.iter().any(|s| s == term)
}

/// Words that mean the same thing to someone asking an API for something, and what the
/// verbs among them do.
const GROUPS: &[(Action, &[&str])] = &[
    // Verbs.
    // "Set" a value: there or not yet, it will be.
    (Action::Write, &["set", "assign", "specify", "configure", "force"]),
    (
        Action::Create,
        &[
            "create",
            "add",
            "new",
            "make",
            "register",
            "insert",
            "generate",
            "provision",
            "post",
            "build",
            "define",
            "spawn",
            "put",
            "save",
            "store",
            "mint",
            // A user, a team, a customer brought on board is created.
            "onboard",
        ],
    ),
    (
        Action::Delete,
        &[
            "delete",
            "remove",
            "drop",
            "destroy",
            "erase",
            "purge",
            "discard",
            "revoke",
            "unregister",
            "deregister",
            "evict",
            // Gone for good: "kill it permanently" deletes.
            "permanently",
            "forever",
        ],
    ),
    (Action::Delete, &["clear", "flush", "wipe", "reset", "purge", "empty", "truncate", "invalidate"]),
    (
        Action::Change,
        &[
            "update", "change", "edit", "modify", "alter", "rename", "patch", "set", "adjust", "amend",
            // A figure moved up or down is a thing changed: "raise the key's budget to $500".
            "raise", "increase", "bump", "lower", "decrease", "reduce", "extend",
        ],
    ),
    (
        Action::Read,
        &[
            "get",
            "read",
            "show",
            "view",
            "fetch",
            "retrieve",
            "display",
            "see",
            "look",
            "inspect",
            "describe",
            "detail",
            "info",
            "information",
            "peek",
            "glance",
            // "Pull the records", "grab the latest report".
            "pull",
            "grab",
        ],
    ),
    (Action::Read, &["list", "all", "every", "each", "which", "enumerate", "browse"]),
    (Action::Read, &["find", "search", "query", "filter", "lookup", "locate", "match"]),
    (Action::Read, &["count", "total", "tally", "number"]),
    (Action::Start, &["start", "run", "trigger", "launch", "execute", "begin", "invoke", "kick", "fire", "dispatch"]),
    (Action::Change, &["stop", "cancel", "abort", "halt", "terminate", "kill", "interrupt"]),
    (Action::Change, &["disable", "deactivate", "block", "suspend", "ban", "pause", "lock", "mute", "offline", "kill"]),
    (Action::Change, &["pause", "hold", "freeze", "suspend"]),
    (Action::Change, &["mark", "flag"]),
    (Action::Change, &["enable", "activate", "unblock", "unlock", "unpause", "resume", "online"]),
    (Action::Change, &["resume", "unpause", "continue", "restart"]),
    (Action::Write, &["retry", "rerun", "replay", "repeat", "restart"]),
    (Action::Change, &["rotate", "regenerate", "renew", "refresh", "reissue", "roll"]),
    // To cap or limit a thing is to give it a limit: "cap the 'database' tag at 3 runs".
    (Action::Write, &["limit", "cap", "throttle", "restrict"]),
    (Action::Create, &["upload", "import", "attach"]),
    (Action::Read, &["download", "export", "dump"]),
    (Action::Write, &["send", "submit", "publish", "push", "emit", "deliver"]),
    (Action::Read, &["check", "test", "verify", "validate", "probe"]),
    (Action::Create, &["copy", "clone", "duplicate", "fork"]),
    (Action::Write, &["save", "store", "persist", "write", "upsert"]),
    // Insert or overwrite, insert or replace: an upsert replaces what is there.
    (Action::Write, &["upsert", "overwrite", "replace"]),
    // Nouns.
    (Action::None, HEALTH),
    (Action::None, &["version", "release", "build"]),
    // What polls a pool for work is its worker: "is anything polling k8s-prod?"
    (Action::None, &["worker", "poll"]),
    (Action::None, &["identity", "whoami", "self", "caller", "current"]),
    (Action::None, &["spend", "spent", "spending", "cost", "usage", "billing", "bill", "charge", "expense", "money"]),
    (Action::None, &["price", "pricing", "cost", "rate"]),
    (Action::None, &["budget", "cap", "quota", "allowance", "ceiling"]),
    (
        Action::None,
        &["limit", "throttle", "concurrency", "cap", "maximum", "max", "quota", "rate", "largest", "biggest", "most"],
    ),
    // A pre-flight check is where a client learns what a server accepts before it sends:
    // "the largest batch the server takes in one write".
    (Action::None, &["preflight", "maximum", "max", "largest", "biggest"]),
    (Action::None, &["image", "picture", "photo", "drawing", "draw", "illustration", "img", "paint"]),
    (Action::None, &["audio", "speech", "voice", "sound", "recording", "transcribe", "transcription", "transcript"]),
    (Action::None, &["embedding", "embed", "vector", "vectorize"]),
    (Action::None, &["chat", "conversation", "completion", "converse", "message", "summarize", "summarise"]),
    (Action::None, &["moderation", "moderate", "harmful", "unsafe", "toxic", "abuse", "offensive"]),
    (Action::None, &["rerank", "rank", "ranking", "reorder", "relevance"]),
    (Action::None, &["log", "audit", "trail"]),
    // What a run printed, its traceback, is in its logs.
    (Action::None, &["log", "print", "traceback", "stdout", "stderr"]),
    (Action::None, &["user", "member", "person", "people", "account"]),
    (Action::None, &["key", "apikey"]),
    (Action::None, &["credential", "secret", "password", "token"]),
    (Action::None, &["model", "llm"]),
    (Action::None, &["organization", "organisation", "org", "company"]),
    (Action::None, &["customer", "client"]),
    (Action::None, &["schedule", "cron", "interval", "periodic", "recurring"]),
    (Action::None, &["notify", "notification", "alert"]),
    (Action::None, &["fail", "failure", "error", "crash", "broken"]),
    (Action::None, &["setting", "config", "configuration", "option", "preference"]),
    (Action::None, &["metadata", "attribute", "property"]),
    (Action::None, &["permission", "access", "role", "scope", "privilege", "grant"]),
    (Action::None, &["expire", "expiry", "expiration", "ttl", "duration"]),
    (Action::None, &["similar", "similarity", "nearest", "neighbor", "neighbour", "closest"]),
    (Action::None, &["item", "record", "entry", "row", "element", "thing"]),
    (Action::None, &["tag", "label"]),
    (Action::None, &["state", "status"]),
    (Action::None, &["type", "kind", "sort", "category", "class"]),
    (Action::None, &["latest", "newest", "recent", "newer"]),
    (Action::None, &["history", "timeline", "chart", "graph", "plot", "trend", "histogram"]),
    (Action::None, &["usage", "activity", "consumption", "utilization", "utilisation"]),
    (Action::None, &["database", "db"]),
    // What guards the models' traffic: "content safety filters" are the guardrails.
    (Action::None, &["guardrail", "safeguard", "safety"]),
    // What the proxy sends its events to: "logging and alerting integrations".
    (Action::None, &["callback", "integration", "hook", "webhook"]),
    (Action::None, &["fallback", "failover"]),
    // What happens by itself when something else does: "whenever a run fails, e-mail me".
    (Action::None, &["automation", "automate", "automatically", "automatic", "whenever"]),
    // What covers everything: a global report is the whole proxy's.
    (Action::None, &["global", "overall", "whole", "entire", "total"]),
];

/// The vocabulary, stemmed once.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// Each group's distinct stems, and what its verbs do.
    groups: Vec<(Action, Vec<String>)>,
    /// Stem → the groups it is in.
    member_of: HashMap<String, Vec<usize>>,
    /// Stem → which way it turns a thing ([`OFF`], [`ON`]): `false` off, `true` on.
    turns: HashMap<String, bool>,
}

impl Vocabulary {
    /// The built-in vocabulary, stemmed once for every index of the process.
    pub fn shared() -> &'static Vocabulary {
        static SHARED: std::sync::LazyLock<Vocabulary> = std::sync::LazyLock::new(Vocabulary::new);
        &SHARED
    }

    fn new() -> Vocabulary {
        let mut groups: Vec<(Action, Vec<String>)> = Vec::with_capacity(GROUPS.len());
        let mut member_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (g, (action, words)) in GROUPS.iter().enumerate() {
            let mut stems: Vec<String> = words.iter().map(|w| stem(w)).collect();
            stems.sort();
            stems.dedup();
            for s in &stems {
                member_of.entry(s.clone()).or_default().push(g);
            }
            groups.push((*action, stems));
        }
        let turns = ON.iter().map(|w| (stem(w), true)).chain(OFF.iter().map(|w| (stem(w), false))).collect();
        Vocabulary { groups, member_of, turns }
    }

    /// `text` as search terms: split, lowercased, phrases read, function words and
    /// numbers dropped, stemmed.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let raw = words(text).into_iter().map(|w| (w, 1.0)).collect();
        self.weighed(raw).into_iter().map(|(t, _)| t).collect()
    }

    /// A query's terms, each with its weight: the words of names and values the query
    /// gives (`gpt-35-legacy`, `sk-abc123`, what follows "named", a quoted text) weigh
    /// little: they say which thing, not which tool.
    pub fn query_terms(&self, text: &str) -> Vec<(String, f32)> {
        let mut terms = self.weighed(query_words(text, |w| self.action(&stem(w))));
        self.infer(text, &mut terms);
        terms
    }

    /// What `text` means beside its words, added to its `terms`: a name, an address, a
    /// secret key, a prompt.
    fn infer(&self, text: &str, terms: &mut Vec<(String, f32)>) {
        // A thing named by its name ("the variable temp_token", "named staging"), not by
        // an id: the tools that take a name fit better.
        let lower = text.to_lowercase();
        if gives_a_name(text) || lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == "rename") {
            terms.push((stem("name"), NAME_HINT));
        }
        // An address says the thing is a person: the tools that take a user or an email.
        if text.split_whitespace().any(|c| c.contains('@') && c.contains('.')) {
            terms.push((stem("email"), NAME_HINT));
            terms.push((stem("user"), NAME_HINT));
        }
        // "Who the server thinks I am", "ask it who I am": the caller's identity.
        if asks_who_i_am(text) {
            terms.push((stem("identity"), 1.0));
        }
        // A secret key is known by its prefix ("sk-4b81e0d2", "sk_live_…"): the thing
        // given is a key, whether or not the query says so.
        if text.split_whitespace().any(names_a_secret_key) {
            terms.push((stem("key"), SECRET_KEY));
        }
        // A quoted text given to a model that chats ("send 'summarize this' to gpt-4o-mini")
        // is a prompt: the query asks the model for an answer, a completion of the chat.
        let chats = names_a_chat_model(text);
        let writing = if chats { asks_for_writing(text) } else { None };
        if chats && (quotes_a_text(text) || writing.is_some()) {
            // "Send" it, "ask" it: the prompt's own verb, not a tool's.
            terms.retain(|(term, _)| !PROMPT_VERBS.iter().any(|v| stem(v) == *term));
            // What the model is to write about is the prompt's text, as a quoted one is: it
            // says what to ask the model, not which tool ("explain what an embedding is").
            if let Some((before, written)) = writing {
                let before: Vec<String> = before.iter().map(|w| stem(w)).collect();
                let written: Vec<String> = written.iter().map(|w| stem(w)).filter(|t| !before.contains(t)).collect();
                for (_, weight) in terms.iter_mut().filter(|(term, _)| written.contains(term)) {
                    *weight = weight.min(VALUE);
                }
            }
            for word in PROMPTED {
                terms.push((stem(word), 1.0));
            }
        }
    }

    /// What `text` asks for, when some of its sentences ask and others only tell ("Flow
    /// run 3b9d is stuck. Cancel it." asks "Cancel it."). `None` when it is one sentence,
    /// or all of them ask, or none does.
    pub fn request(&self, text: &str) -> Option<Request> {
        let sentences: Vec<&str> = sentences(text).into_iter().flat_map(|s| self.clauses(s)).collect();
        if sentences.len() < 2 {
            return None;
        }
        let (mut asking, mut words, mut told) = (Vec::new(), Vec::new(), Vec::new());
        let mut inferred = Vec::new();
        for sentence in &sentences {
            let mut terms = self.weighed(query_words(sentence, |w| self.action(&stem(w))));
            let said_here = said(&terms);
            // With what its address, key or prompt means beside its words.
            self.infer(sentence, &mut terms);
            if self.asks(sentence, &said_here) {
                asking.push(*sentence);
                words.extend(said_here);
                inferred.extend(said(&terms));
            } else {
                told.extend(said(&terms));
            }
        }
        // A word the sentences that ask say too (a prompt's verb they drop included) is asked.
        told.retain(|t| !inferred.contains(t) && !words.contains(t));
        (!asking.is_empty() && asking.len() < sentences.len()).then(|| Request { text: asking.join(" "), words, told })
    }

    /// Does `text`, a sentence that asks, point back at a thing named before it ("…leaked.
    /// Make sure nobody can use it", "create one for team ds")? A word of [`POINTING_BACK`]
    /// before any word naming a thing of its own: in "what's the key's budget, and when
    /// does it expire?" it is the key. Not "one" before a word ("in one request").
    pub fn points_back(&self, text: &str) -> bool {
        let raw = words(text);
        for (i, w) in raw.iter().enumerate() {
            let w = w.as_str();
            if POINTING_BACK.contains(&w) {
                let numeral = w == "one" && raw.get(i + 1).is_some_and(|n| !STOPWORDS.contains(&n.as_str()));
                if !numeral {
                    return true;
                }
            } else if !STOPWORDS.contains(&w) && !NO_THING.contains(&w) && self.action(&stem(w)) == Action::None {
                return false;
            }
        }
        false
    }

    /// `sentence` as the clauses that tell and ask: "The key got pasted in Slack, so block
    /// it" tells, then asks; so does "…, please delete …". One clause when no such comma is
    /// followed by a verb.
    fn clauses<'a>(&self, sentence: &'a str) -> Vec<&'a str> {
        // "QA check: block key sk-…", "Step 2: confirm …": a lead that does not ask names
        // the occasion, and the request follows its colon.
        if let Some(at) = sentence.find(": ") {
            let lead = words(&sentence[..at]);
            if !opens_with_a_verb(&lead, |w| self.action(&stem(w)) != Action::None) {
                let mut out = vec![&sentence[..=at]];
                out.extend(self.clauses(&sentence[at + ": ".len()..]));
                return out;
            }
        }
        for (at, _) in sentence.match_indices(", ") {
            let after = &sentence[at + ", ".len()..];
            let mut words = after.split_whitespace().map(bare);
            let mut led = false;
            let next = loop {
                match words.next() {
                    Some(w) if ASKING.contains(&w.as_str()) => led = true,
                    next => break next,
                }
            };
            if led && next.as_ref().is_some_and(|w| self.action(&stem(w)) != Action::None) {
                return vec![&sentence[..=at], after];
            }
            // "Remove Pete from the team, he left the company": a clause with its own
            // subject says what happened.
            if !led && next.is_some_and(|w| SUBJECTS.contains(&w.as_str())) {
                let mut out = vec![&sentence[..=at]];
                out.extend(self.clauses(after));
                return out;
            }
        }
        vec![sentence]
    }

    /// Does `sentence`, whose words are `said` ([`said`]), ask for something: a question,
    /// a verb first ("cancel it", "please rotate it", "quickly disable it"), or a need ("I
    /// need a transcript")? Not a sentence that tells ("the key leaked in Slack", "flow run
    /// 3b9d is stuck").
    fn asks(&self, sentence: &str, said: &[String]) -> bool {
        let raw = words(sentence);
        // "Why did run 3c9e fail? Show me its logs.": asking why says what happened.
        if raw.first().is_some_and(|w| w == "why") {
            return false;
        }
        if sentence.ends_with('?') || asks_what_is(sentence) {
            return true;
        }
        if raw.len() > 1 && ["i", "we"].contains(&raw[0].as_str()) && NEEDS.contains(&raw[1].as_str()) {
            return true;
        }
        let verb = |i: usize| said.get(i).is_some_and(|t| self.action(t) != Action::None);
        // A sentence that starts with "the", "our" … names a thing ("the run is stuck"); one
        // that starts with "we", "someone" … says what they did ("we just got quota").
        let named = raw.first().is_some_and(|w| DETERMINERS.contains(&w.as_str()) || SUBJECTS.contains(&w.as_str()))
            // "Run ID 7c1e… has been stuck", "run 3b9d failed": a word before an identifier
            // names a thing, whatever verb it also is (not before a count: "delete 3 keys").
            || raw.get(1).is_some_and(|w| {
                w == "id" || (w.bytes().any(|b| b.is_ascii_digit()) && w.bytes().any(|b| b.is_ascii_alphabetic()))
            });
        // "Temporarily disable …": a word of manner may come first.
        !named && (verb(0) || (raw.first().is_some_and(|w| w.ends_with("ly")) && verb(1)))
    }

    fn weighed(&self, words: Vec<(String, f32)>) -> Vec<(String, f32)> {
        let mut raw: Vec<Option<(String, f32)>> = words.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        'words: while i < raw.len() {
            let Some((w, weight)) = raw[i].take() else {
                i += 1;
                continue;
            };
            // A word of a container phrase: the thing itself, weighing less, and the thing
            // as a parent of the tool's path.
            if let Some(bare) = w.strip_prefix(CONTAINED) {
                i += 1;
                if bare.len() > 1
                    && !bare.bytes().all(|b| b.is_ascii_digit())
                    && !is_version(bare)
                    && !STOPWORDS.contains(&bare)
                {
                    out.push((stem(bare), weight * CONTAINER_SELF));
                    out.push((format!("{CONTAINED}{}", stem(bare)), weight * CONTAINER_PARENT));
                }
                continue;
            }
            for (phrase, word) in PHRASES {
                if phrase[0] != w {
                    continue;
                }
                let rest = &phrase[1..];
                let at = |j: usize, p: &str| raw.get(j).and_then(|r| r.as_ref()).is_some_and(|(w, _)| w == p);
                if rest.iter().enumerate().all(|(k, p)| at(i + 1 + k, p)) {
                    out.push((stem(word), weight));
                    i += phrase.len();
                    continue 'words;
                }
                if let [particle] = rest
                    && PARTICLES.contains(particle)
                    && let Some(j) = particle_at(&raw, i, particle)
                {
                    // Someone kicked off a thing ("kick Priya off the team") is removed from
                    // it; a run kicked off ("kick one off") is started.
                    let from_a_thing =
                        raw.get(j + 1).and_then(|r| r.as_ref()).is_some_and(|(w, _)| DETERMINERS.contains(&w.as_str()));
                    let word = APART.iter().find(|(p, _)| *p == *phrase && from_a_thing).map_or(*word, |(_, w)| *w);
                    raw[j] = None;
                    out.push((stem(word), weight));
                    i += 1;
                    continue 'words;
                }
            }
            i += 1;
            if w.len() > 1
                && !w.bytes().all(|b| b.is_ascii_digit())
                && !is_version(&w)
                && !STOPWORDS.contains(&w.as_str())
            {
                out.push((stem(&w), weight));
            }
        }
        out
    }

    /// Which way `term` turns a thing, when it is such a verb: `Some(false)` off
    /// ([`OFF`]), `Some(true)` on ([`ON`]).
    pub fn polarity(&self, term: &str) -> Option<bool> {
        self.turns.get(term).copied()
    }

    /// What `term` does, when it is a verb of one kind.
    pub fn action(&self, term: &str) -> Action {
        self.groups_of(term).iter().map(|&g| self.groups[g].0).find(|a| *a != Action::None).unwrap_or(Action::None)
    }

    /// The groups `term` is in.
    pub fn groups_of(&self, term: &str) -> &[usize] {
        self.member_of.get(term).map(Vec::as_slice).unwrap_or_default()
    }

    /// A query term and the terms that mean the same (weighing [`super::RELATED`]).
    pub fn expand(&self, term: &str) -> Vec<(String, f32)> {
        let mut out = vec![(term.to_string(), 1.0)];
        for &g in self.member_of.get(term).into_iter().flatten() {
            for other in &self.groups[g].1 {
                if !out.iter().any(|(t, _)| t == other) {
                    out.push((other.clone(), super::RELATED));
                }
            }
        }
        out
    }
}

/// `v1`, `v2`: an API version says nothing of what an operation does (`/api/v1/x` and
/// `/api/v2/x` do the same), and in a query it is more often part of a name (`docs_v1`).
pub fn is_version(word: &str) -> bool {
    word.len() >= 2 && word.starts_with('v') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The stem of a word: irregular forms to their word ([`FORMS`]), then [`suffixes`].
pub fn stem(word: &str) -> String {
    suffixes(FORMS.iter().find(|(form, _)| *form == word).map_or(word, |(_, base)| base))
}

/// A light stemmer: plural, adverb and verb endings off, then a final `e`, so `queues`,
/// `queue`; `paused`, `pause`, `pausing`; `entries`, `entry`; `statuses`, `status` meet.
/// It keeps at least three letters and leaves derivations alone (`deletion` is not
/// `delete`). Measured against Snowball's English stemmer (`rust-stemmers`) on the search
/// task set, it finds as many tools in the top 5 and more first (docs/performance.md):
/// Snowball's deeper cuts (`organization` → `organ`) merge words that API names keep apart.
fn suffixes(word: &str) -> String {
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

/// Lowercase words: split on anything not a letter or digit (so snake_case and
/// kebab-case), and between a lowercase letter or digit and an uppercase one (camelCase).
/// URLs are dropped: their parts are noise.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace().filter(|c| !c.contains("://")).flat_map(chunk_words).collect()
}

/// The words of one whitespace-separated chunk.
fn chunk_words(chunk: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous: Option<char> = None;
    for c in chunk.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        } else {
            if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) && !word.is_empty()
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
    out
}

/// What a word the query gives as a value weighs: an identifier (letters and digits mixed,
/// an address, a quoted text, the name after "named" or "called").
const VALUE: f32 = 0.2;
/// What a word of a hyphenated or underscored name weighs (`nightly-etl`, `max_retries`):
/// people write the words of a request apart, and the names of their things joined.
const JOINED: f32 = 0.5;

/// What the hint weighs that a query names a thing by its name.
pub const NAME_HINT: f32 = 0.3;

/// Words after which comes a thing's name ("a tenant named acme", "the flow called etl").
const NAME_WORDS: &[&str] = &["named", "called", "titled", "keyed"];

/// Does the query name a thing by a name: a word after "named" or "called", or a joined
/// word of letters (`temp_token`, `nightly-etl`), as opposed to an id (`7f3c2a1e`)?
fn gives_a_name(text: &str) -> bool {
    let chunks: Vec<&str> = text.split_whitespace().map(|c| c.trim_matches(|c: char| !c.is_alphanumeric())).collect();
    chunks.iter().enumerate().any(|(i, c)| {
        let after_name_word = i > 0 && NAME_WORDS.contains(&chunks[i - 1].to_lowercase().as_str());
        let joined = c.contains(['-', '_', '/']) && !c.chars().any(|c| c.is_ascii_digit());
        !c.is_empty() && (after_name_word || joined)
    })
}

/// Words between a thing and the identifier it is given by ("the team with id team_8812"),
/// besides [`NAME_WORDS`] ("the flow called legacy-import").
const BEFORE_AN_ID: &[&str] = &["id", "ids", "uuid", "with", "number", "no"];

/// Words before a thing that say it is not one the API has yet ("a tenant named acme",
/// "another flow called etl").
const NOT_YET: &[&str] = &["a", "an", "new", "another"];

/// The things a query gives by an identifier ("flow run 3f2a9b1c-…", "key sk-7f3a9c21",
/// "the team with id team_8812"), or by its name after one of [`NAME_WORDS`] ("the flow
/// called legacy-import"): per identifier, the two words before it and the one,
/// stemmed, the longer first; which of them is a thing the API takes by its identifier is
/// for the index to say. A thing named after "a" or "new" is one to be made, not one
/// given ("set a variable named region"), unless the query asks whether it is there
/// (`question`: "does a tenant named acme exist?").
pub fn given_things(text: &str, question: bool) -> Vec<Vec<Vec<String>>> {
    let chunks: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, raw) in chunks.iter().enumerate() {
        let c = bare(raw);
        let id = c.chars().any(|c| c.is_ascii_digit()) && c.chars().any(|c| c.is_alphabetic());
        let named = i > 0
            && NAME_WORDS.contains(&bare(chunks[i - 1]).as_str())
            && !c.is_empty()
            && !STOPWORDS.contains(&c.as_str());
        if !id && !named {
            continue;
        }
        // A secret key is a key, whatever words come before it ("what's left on sk-ops-12?").
        if names_a_secret_key(raw) {
            out.push(vec![vec![stem("key")]]);
            continue;
        }
        let between = |w: &&&str| [BEFORE_AN_ID, NAME_WORDS].iter().any(|list| list.contains(&bare(w).as_str()));
        let mut before = chunks[..i].iter().rev().skip_while(between).peekable();
        let mut words = Vec::new();
        while let Some(w) = before.next_if(|w| words.len() < 2 && is_thing_word(w)) {
            words.insert(0, stem(&bare(w)));
        }
        // The words before the thing's, up to its article: "a" or "new" among them.
        let not_yet = !id && !question && before.take(3).map(|w| bare(w)).any(|w| NOT_YET.contains(&w.as_str()));
        if !words.is_empty() && !not_yet {
            let mut candidates = vec![words.clone()];
            if words.len() == 2 {
                candidates.push(vec![words[1].clone()]);
            }
            out.push(candidates);
        }
    }
    out
}

/// Can query chunk `w` be a word of a thing's name: a word of letters that is not a
/// function word, and does not end a clause.
fn is_thing_word(w: &str) -> bool {
    let word = bare(w);
    !w.ends_with(CLAUSE_ENDS)
        && !word.is_empty()
        && word.chars().all(char::is_alphabetic)
        && !STOPWORDS.contains(&word.as_str())
}

/// How a query gives the things it names: by an id (a UUID or a hex digest:
/// "flow run 7c1e2a90-…"; or the word "id"), by a name (a name written joined: "the
/// variable max_retries", "support_tickets"; quoted; or after "named" or "called"), as
/// (id, name). A secret key or a model's name is neither.
pub fn keys_given(text: &str) -> (bool, bool) {
    let (mut id, mut name) = (false, false);
    let mut after_name_word = false;
    for raw in text.split_whitespace() {
        let c = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '-');
        let lower = c.to_lowercase();
        let quoted = opens_quote(raw) || closes_quote(raw);
        let neither = names_a_secret_key(raw) || names_a_model(raw);
        if ["id", "ids", "uuid"].contains(&lower.as_str()) || looks_like_an_id(&lower) {
            id = true;
        } else if !neither
            && (after_name_word || quoted || (c.contains(['_', '-']) && c.chars().any(char::is_alphabetic)))
        {
            name = true;
        }
        after_name_word = NAME_WORDS.contains(&lower.as_str());
    }
    (id, name)
}

/// Does `word` hold a run of at least eight hex digits with a digit and a letter among
/// them (a UUID, a digest: `7c1e2a90-4b5d-…`, `3f2a9b1c`)? Not a date (`20250301`).
fn looks_like_an_id(word: &str) -> bool {
    word.split(|c: char| !c.is_ascii_hexdigit()).any(|run| {
        run.len() >= 8 && run.bytes().any(|b| b.is_ascii_digit()) && run.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// The families of the models that chat, as a query names them (the start of the name).
const CHAT_MODELS: &[&str] =
    &["gpt-", "claude", "gemini", "llama", "mistral", "mixtral", "deepseek", "qwen", "grok", "o1-", "o3-", "o4-"];

/// Does the query name a model that chats (`gpt-4o-mini`, `claude-3-haiku`, "Claude 3.5
/// Sonnet")?
fn names_a_chat_model(text: &str) -> bool {
    let chunks: Vec<&str> = text.split_whitespace().collect();
    model_names(&chunks).contains(&true)
        || chunks.iter().map(|c| bare(c)).any(|c| CHAT_MODELS.iter().any(|f| c.starts_with(f) && c.len() > f.len()))
}

/// A chunk of a query as a word: without the punctuation around it, lowercase.
fn bare(chunk: &str) -> String {
    chunk.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

/// The marks that end a clause.
const CLAUSE_ENDS: [char; 6] = [',', ';', '.', '?', '!', ':'];

/// Which of `chunks` spell a model's name in words: a family of [`CHAT_MODELS`], its
/// version, and a capitalized word after it ("Claude 3.5 Sonnet", "Llama 3", "GPT 4o").
/// A name, that says which model, not which tool.
fn model_names(chunks: &[&str]) -> Vec<bool> {
    let mut out = vec![false; chunks.len()];
    for at in 0..chunks.len().saturating_sub(1) {
        let family = bare(chunks[at]);
        let is_family = CHAT_MODELS.iter().any(|f| f.trim_end_matches('-') == family);
        let version = chunks[at + 1].starts_with(|c: char| c.is_ascii_digit());
        if is_family && version {
            out[at] = true;
            out[at + 1] = true;
            let after = chunks.get(at + 2).filter(|c| {
                c.starts_with(|c: char| c.is_uppercase()) && !chunks[at + 1].ends_with([',', '.', ';', ':'])
            });
            if after.is_some() {
                out[at + 2] = true;
            }
        }
    }
    out
}

/// The starts of the names of models as a gateway's users give them: the families that
/// chat, and the providers that serve them (`azure-gpt4-eastus`, `bedrock/claude-3`).
const MODEL_NAMES: &[&str] = &["azure", "bedrock", "vertex", "openai", "anthropic", "together", "groq"];

/// Does the query name a model (`gpt-35-legacy`, `azure-gpt4-eastus`)?
pub fn names_a_model(text: &str) -> bool {
    names_a_chat_model(text)
        || text.split_whitespace().map(bare).any(|c| {
            MODEL_NAMES
                .iter()
                .any(|f| c.strip_prefix(f).is_some_and(|rest| rest.starts_with(['-', '/']) && rest.len() > 1))
        })
}

/// Does the query quote a text (`'say hi'`, "…: 'Summarize the report'") that is not a
/// model's name (`'gpt-4o-eu'`)? An apostrophe inside a word (`we're`) opens nothing.
fn quotes_a_text(text: &str) -> bool {
    // The words of the quote open so far.
    let mut quoted: Option<usize> = None;
    for chunk in text.split_whitespace() {
        if quoted.is_none() && opens_quote(chunk) {
            quoted = Some(0);
        }
        if let Some(words) = quoted.as_mut() {
            *words += 1;
            // A lone quote mark opens what it closes.
            if closes_quote(chunk) && chunk.chars().count() > 1 {
                if *words > 1 || !names_a_chat_model(chunk) {
                    return true;
                }
                quoted = None;
            }
        }
    }
    false
}

/// Does a whitespace-separated chunk of a query open a quote (`'summarize`)?
fn opens_quote(chunk: &str) -> bool {
    chunk.starts_with(['\'', '"', '`', '\u{2018}', '\u{201c}'])
}

/// Does it close one (`paragraph'.`), punctuation after the mark aside?
fn closes_quote(chunk: &str) -> bool {
    chunk.trim_end_matches(['?', '.', ',', '!', ';', ':', ')']).ends_with(['\'', '"', '`', '\u{2019}', '\u{201d}'])
}

/// How secret keys begin: OpenAI's and Anthropic's `sk-`, Stripe's `sk_live_`, and the
/// gateways' that copy them.
const SECRET_KEY_PREFIXES: &[&str] = &["sk-", "sk_"];
/// What the word a secret key stands for weighs: as much as the query's own words.
const SECRET_KEY: f32 = 1.0;

/// Does a query ask who its caller is: "who" and, after it, "I am"?
fn asks_who_i_am(text: &str) -> bool {
    let words = words(text);
    let who = words.iter().position(|w| w == "who");
    who.is_some_and(|at| words[at..].windows(2).any(|pair| pair == ["i", "am"]))
}

/// Is a whitespace-separated chunk of a query a secret key ("sk-4b81e0d2", "'sk-…'")?
fn names_a_secret_key(chunk: &str) -> bool {
    let chunk = chunk.trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    SECRET_KEY_PREFIXES.iter().any(|p| chunk.starts_with(p) && chunk.len() > p.len())
}

/// The verbs that ask for a text to be written ("summarize this paragraph using
/// gpt-4o-mini", "ask gpt-4o to explain gradient descent").
const WRITING: &[&str] = &["summarize", "summarise", "explain", "translate", "rewrite", "paraphrase", "draft"];

/// Does the query ask for a text to be written ([`WRITING`]), or a model to be asked
/// ("asking it to …")? Then, its words before that and the words of what is to be written
/// ("ask gpt-4o-mini to explain what a vector embedding is": a vector embedding).
fn asks_for_writing(text: &str) -> Option<(Vec<String>, Vec<String>)> {
    let mut words: Vec<String> = text.split_whitespace().map(bare).collect();
    let verb = words.iter().position(|w| WRITING.contains(&w.as_str()));
    let asking = words.windows(2).position(|w| w[0] == "asking" && w[1] == "it").map(|at| at + 1);
    let at = match (verb, asking) {
        (Some(v), Some(a)) => v.min(a),
        (v, a) => v.or(a)?,
    };
    let written = words.split_off(at + 1);
    Some((words, written))
}

/// What a prompt given to a model asks for: a completion of the chat.
const PROMPTED: &[&str] = &["chat", "completion"];
/// The verbs that give a model its prompt.
const PROMPT_VERBS: &[&str] = &["send", "ask", "submit", "pass", "give", "prompt", "tell"];

/// Words that say a thing is to be gone for good, whatever the verb ("kill it
/// permanently"): a delete.
const FOR_GOOD: &[&str] = &["permanently", "forever"];

/// Does the query, whose words are `said` ([`said`]), ask for a thing to be gone for good?
pub fn for_good(said: &[String]) -> bool {
    FOR_GOOD.iter().any(|w| said.contains(&stem(w)))
}

/// Words before what a figure is broken down by ("spend per team", "by model", "what each
/// team spent").
const BREAKDOWN: &[&str] = &["per", "by", "each"];
/// Past participles before "by" that group, for [`broken_down_by`]; after any other ("keys
/// owned by user u-1"), "by" says who did it.
const GROUPED: &[&str] = &["grouped", "bucketed", "aggregated", "segmented", "sliced"];
/// Words after [`BREAKDOWN`]'s that name nothing to break down by ("each other", "by
/// hand"), or a log's entries, not a figure's parts ("each request", "per call": [`PHRASES`]);
/// the word after "each" is read ("by each key").
const NOT_BROKEN_DOWN: &[&str] =
    &["other", "one", "hand", "mistake", "accident", "default", "itself", "themselves", "request", "call"];

/// The things `text` breaks a figure down by, stemmed: the word after "per", "by" or
/// "each" that is neither a function word nor a number ("total spend by team", "how much
/// each team spent", "usage per model").
pub fn broken_down_by(text: &str) -> Vec<String> {
    // Most tools' descriptions have none of the words: found without making any.
    let any = text.split(|c: char| !c.is_alphanumeric()).any(|w| BREAKDOWN.iter().any(|b| w.eq_ignore_ascii_case(b)));
    if !any {
        return Vec::new();
    }
    let raw = words(text);
    let mut out = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        // "Owned by", "emitted by": who did it, not a breakdown; "grouped by" is one.
        let by_whom = w == "by" && i > 0 && raw[i - 1].ends_with("ed") && !GROUPED.contains(&raw[i - 1].as_str());
        if !BREAKDOWN.contains(&w.as_str()) || by_whom {
            continue;
        }
        let Some(next) = raw.get(i + 1).filter(|n| *n != "each").or_else(|| raw.get(i + 2)) else { continue };
        let word = next.as_str();
        if STOPWORDS.contains(&word) || !word.chars().all(char::is_alphabetic) {
            continue;
        }
        let term = stem(word);
        if NOT_BROKEN_DOWN.iter().any(|w| stem(w) == term) {
            continue;
        }
        if !out.contains(&term) {
            out.push(term);
        }
    }
    out
}

/// Words after which the query says why, not what: "… so our agents can reach …". But
/// "…, so" and a verb say what to do, after why ("it's stuck, so cancel it").
const PURPOSE_WORDS: &[&str] = &["so", "because"];
/// What the words of a purpose weigh.
const PURPOSE: f32 = 0.3;

/// Words after which the query names what holds the thing ("the entries in the news
/// collection"): a parent of the tool's path, more than the tool's own thing.
const CONTAINER_WORDS: &[&str] = &["in", "inside", "within", "from"];
/// What a container's word weighs as itself (a tool about the collection may still be
/// meant) and as a parent of the tool's path (`/collections/{id}/count`).
const CONTAINER_SELF: f32 = 0.7;
const CONTAINER_PARENT: f32 = 1.0;
/// Words that end a container phrase.
const CONTAINER_ENDS: &[&str] =
    &["and", "or", "that", "which", "whose", "with", "so", "to", "for", "as", "where", "when", "if", "but"];
/// How many words a container phrase runs at most.
const CONTAINER_SPAN: usize = 5;
/// The mark of a container phrase's terms in a query (`^collection`): the index matches
/// them among a path's parents only.
pub const CONTAINED: &str = "^";

/// Words after which the query says what the thing has ("… with a $50 budget"); a
/// colon says it too.
const ATTRIBUTE_WORDS: &[&str] = &["with", "whose", "having"];
/// What the words of an attribute weigh.
const ATTRIBUTE: f32 = 0.35;
/// Words after which the query says whom or what the thing is for ("a key for the
/// marketing team"), not which thing.
const FOR_WORDS: &[&str] = &["for"];
/// What the words after [`FOR_WORDS`] weigh, up to the clause's end.
const FOR: f32 = 0.5;

/// The words that open a question asking which things ("which models can my key call?").
const WHICH: &[&str] = &["which", "what"];
/// The modal verbs after which such a question's subject comes, who may do something to
/// the things asked for ("which models can **my key** call?"). Not "does": "what metadata
/// does the docs collection have?" asks about the collection; nor "is" or "are", after
/// which comes what state the things are in ("which deployments are paused?").
const SUBJECT_AUX: &[&str] = &["can", "could", "may", "might", "will", "would", "should"];
/// At most this many words of a subject, a name's words not counted.
const SUBJECT_SPAN: usize = 2;
/// What the words of such a subject weigh: they say who asks, not what for.
const SUBJECT: f32 = 0.4;

/// At most this many words name a setting before its value ([`settings`]).
const SETTING_SPAN: usize = 3;

/// Which of `chunks` name a setting whose value follows, in a clause of their own after a
/// comma ("…, api base https://eu.example.com", "…, max budget 50 dollar"): what the
/// thing has, as after "with", not what to do.
fn settings(chunks: &[&str], is_verb: impl Fn(&str) -> bool) -> Vec<bool> {
    let mut out = vec![false; chunks.len()];
    let is_value =
        |c: &str| c.contains("://") || c.starts_with(['$', '\'', '"']) || c.chars().any(|c| c.is_ascii_digit());
    for start in 1..chunks.len() {
        if !chunks[start - 1].ends_with(',') {
            continue;
        }
        let Some(len) = chunks[start..].iter().take(SETTING_SPAN + 1).position(|c| is_value(c)) else { continue };
        let words = &chunks[start..start + len];
        let plain = words.iter().all(|c| {
            let w = bare(c);
            !c.ends_with(CLAUSE_ENDS) && !w.is_empty() && !is_verb(&w)
        });
        if len > 0 && plain {
            out[start..start + len].fill(true);
        }
    }
    out
}

/// Where a query's word is in a question asking which things ([`WHICH`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Outside,
    /// After "which" or "what".
    Opened,
    /// After the things asked for.
    Things,
    /// In the subject, after the modal verb.
    Subject,
}

/// Words after which the next word is what the query does not want ("disable the key
/// without deleting it").
const NEGATIONS: &[&str] = &["without", "not", "never", "instead", "except", "don't", "dont", "doesn't", "no"];

/// Words of time ("last month", "today", "every 6 hours"): they bound what a tool
/// returns or when it runs, an argument's business, and rarely name the tool.
const TIME: &[&str] = &[
    "today",
    "yesterday",
    "tomorrow",
    "tonight",
    "last",
    "past",
    "next",
    "ago",
    "since",
    "hour",
    "hours",
    "minute",
    "minutes",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    // The times of a day, the days of a week and the months by name ("may" is a function word).
    "morning",
    "evening",
    "night",
    "midnight",
    "noon",
    "weekend",
    "quarter",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
/// What a word of time weighs.
const WHEN: f32 = 0.3;

/// Words after which comes what a thing is made as ("add Claude 3.5 Sonnet as a new model").
const AS: &[&str] = &["as"];
/// At most this many words between a verb that makes and [`AS`].
const AS_SPAN: usize = 8;
/// What the words of what a thing is made as weigh: a name, or the thing's kind in other
/// words ("add our Azure deployment as a new model").
const NAMED_AS: f32 = 0.5;

/// Which of `chunks` name the thing that a verb that makes or writes makes as something
/// ("add **Claude 3.5 Sonnet on Bedrock** as a new model", "save **the Slack webhook** as
/// a block"): the words between the verb and "as a", "as an", "as the", "as our" or "as
/// new". A name, not the kind of thing the tool makes, which follows "as".
fn named_as(chunks: &[&str], action: impl Fn(&str) -> Action) -> Vec<bool> {
    if !chunks.iter().any(|c| AS.iter().any(|a| c.eq_ignore_ascii_case(a))) {
        return vec![false; chunks.len()];
    }
    let lower: Vec<String> = chunks.iter().map(|c| bare(c)).collect();
    let mut named = vec![false; chunks.len()];
    for (verb, word) in lower.iter().enumerate() {
        if !matches!(action(word), Action::Create | Action::Write) {
            continue;
        }
        let end = (verb + 2 + AS_SPAN).min(lower.len());
        let Some(at) = (verb + 2..end).find(|&j| AS.contains(&lower[j].as_str())) else { continue };
        let next = lower.get(at + 1).map(String::as_str);
        if next.is_some_and(|n| DETERMINERS.contains(&n) || n == "new") {
            for flag in &mut named[verb + 1..at] {
                *flag = true;
            }
        }
    }
    named
}

/// What a proper name's words weigh before the last word of what a query makes ("add a
/// new **Azure OpenAI** deployment"): they say whose or which kind, the last word what
/// is made.
const MODIFIER: f32 = 0.6;
/// What the last word of what a verb of making makes weighs ("generate a new virtual
/// **key** for the marketing team"): the thing the tool must make.
const MADE: f32 = 2.0;
/// Words for any thing, that leave what is made to the word before them.
const GENERIC: &[&str] = &[
    "record", "records", "entry", "entries", "item", "items", "object", "objects", "thing", "things", "tier", "plan",
    "one",
];

/// Does `word` look like a participle ("pointing", "hosted"), which ends what is made
/// ("a model entry pointing at …")?
fn participle(word: &str) -> bool {
    word.len() > 4 && (word.ends_with("ing") || word.ends_with("ed"))
}

/// Weighs what a verb of making makes, `made` (the ranges in `out` of its words, one per
/// word of the query, each with whether it is capitalized): its last word, or the one
/// before a word for any thing, by [`MADE`], and the proper names before it by
/// [`MODIFIER`]. Then `made` is read.
fn weigh_made(out: &mut [(String, f32)], made: &mut Vec<(std::ops::Range<usize>, bool)>) {
    // "A customer record", "a model entry": a word for any thing says less than the one before.
    let generic =
        |range: &std::ops::Range<usize>| out[range.clone()].iter().all(|(w, _)| GENERIC.contains(&w.as_str()));
    let mut at = made.len();
    while at > 1 && generic(&made[at - 1].0) {
        at -= 1;
    }
    if let Some(((head, _), before)) = made[..at].split_last() {
        for (range, _) in before.iter().filter(|(_, proper)| *proper) {
            for (_, w) in &mut out[range.clone()] {
                *w *= MODIFIER;
            }
        }
        for (_, w) in &mut out[head.clone()] {
            *w *= MADE;
        }
    }
    made.clear();
}

/// A query's words, each with its weight ([`VALUE`], [`JOINED`], [`WHEN`], 0 for a word
/// negated, else 1); `action` tells what a lowercase word does when it is a verb.
fn query_words(text: &str, action: impl Fn(&str) -> Action) -> Vec<(String, f32)> {
    let is_verb = |word: &str| action(word) != Action::None;
    let mut out = Vec::new();
    // The words of what a verb of making makes, while it is being read.
    let mut making = false;
    let mut made: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    let mut quoted = false;
    let mut after_name_word = false;
    let mut negated = false;
    let mut purpose = false;
    let mut since_with = usize::MAX;
    let mut attribute = false;
    let mut details = false;
    let mut for_whom = false;
    // Where a "which …" question is.
    let mut which = Which::Outside;
    let mut subject_words = 0usize;
    // Words left in a container phrase ("… in the reviews collection").
    let mut container = 0usize;
    let all: Vec<&str> = text.split_whitespace().collect();
    let settings = settings(&all, is_verb);
    let (chunks, settings): (Vec<&str>, Vec<bool>) =
        all.iter().zip(settings).filter(|(c, _)| !c.contains("://")).map(|(c, s)| (*c, s)).unzip();
    let model_names = model_names(&chunks);
    let named = named_as(&chunks, &action);
    for (at, &raw) in chunks.iter().enumerate() {
        let (opens, closes) = (opens_quote(raw), closes_quote(raw));
        let chunk = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let has_digit = chunk.chars().any(|c| c.is_ascii_digit());
        let has_letter = chunk.chars().any(|c| c.is_alphabetic());
        let lower = chunk.to_lowercase();
        // "Stuck in Running forever", "spinning forever": how long a state lasts, not a
        // thing to be gone for good ([`FOR_GOOD`]).
        let lasting = lower == "forever" && at > 0 && bare(chunks[at - 1]).ends_with("ing");
        let weight = if negated || lasting {
            0.0
        } else if quoted
            || opens
            || after_name_word
            || (has_digit && has_letter)
            || chunk.contains('@')
            || model_names[at]
        {
            VALUE
        } else if chunk.contains(['-', '_', '/', '.']) {
            JOINED
        } else if TIME.contains(&lower.as_str()) {
            WHEN
        } else if lower == "set" && since_with <= 3 {
            // "… with region set to EU": an argument's value, not what to do.
            VALUE
        } else {
            1.0
        };
        let weight = if settings[at] { weight * ATTRIBUTE } else { weight };
        // Words that say why ("… so nothing new gets picked up") weigh less than what to do.
        let weight = if purpose { weight * PURPOSE } else { weight };
        let weight = if named[at] { weight * NAMED_AS } else { weight };
        // "…, so pause the schedule": after a clause, "so" and a verb say what to do, and
        // the clause before says why.
        let so_do = lower == "so"
            && at > 0
            && chunks[at - 1].ends_with(',')
            && chunks.get(at + 1).is_some_and(|next| is_verb(&bare(next)));
        if so_do {
            for (_, w) in &mut out {
                *w *= PURPOSE;
            }
        }
        purpose |= PURPOSE_WORDS.contains(&lower.as_str()) && !so_do;
        // What follows "with" ("a team with a $500 budget") says what the thing has, not
        // which thing: up to the clause's end.
        let weight = if attribute { weight * ATTRIBUTE } else { weight };
        // What follows "for" ("a key for the marketing team") says whom the thing is for,
        // not which thing: up to the clause's end.
        let weight = if for_whom { weight * FOR } else { weight };
        let ends_clause = raw.ends_with(CLAUSE_ENDS);
        // "Which models can my key call?": the words after the auxiliary, up to a verb or
        // a function word, are who calls, not what is asked for.
        let sentence_starts = at == 0 || chunks[at - 1].ends_with(['.', '?', '!', ';']);
        let before = which;
        which = match which {
            _ if sentence_starts && WHICH.contains(&lower.as_str()) => Which::Opened,
            Which::Opened if STOPWORDS.contains(&lower.as_str()) => Which::Outside,
            Which::Opened => Which::Things,
            Which::Things if SUBJECT_AUX.contains(&lower.as_str()) => {
                subject_words = 0;
                Which::Subject
            }
            Which::Subject if DETERMINERS.contains(&lower.as_str()) => Which::Subject,
            Which::Subject
                if STOPWORDS.contains(&lower.as_str()) || is_verb(&lower) || subject_words >= SUBJECT_SPAN =>
            {
                Which::Outside
            }
            same => same,
        };
        let in_subject = before == Which::Subject && which == Which::Subject && !DETERMINERS.contains(&lower.as_str());
        if in_subject && weight >= 1.0 {
            subject_words += 1;
        }
        let weight = if in_subject { weight * SUBJECT } else { weight };
        if ends_clause {
            which = Which::Outside;
        }
        for_whom = (for_whom || FOR_WORDS.contains(&lower.as_str())) && !ends_clause;
        // After a colon come the details ("add a model: claude routed to our account"),
        // to the sentence's end, through the commas of their list ("user u_1234: their
        // keys, teams and spend").
        let lead_asks = || {
            let start = chunks[..at].iter().rposition(|c| c.ends_with(['.', '?', '!', ';'])).map_or(0, |i| i + 1);
            let lead: Vec<String> = chunks[start..=at].iter().flat_map(|c| chunk_words(c)).collect();
            opens_with_a_verb(&lead, is_verb)
        };
        details = (details || (raw.ends_with(':') && lead_asks())) && !raw.ends_with(['.', '?', '!', ';']);
        attribute = ((attribute || ATTRIBUTE_WORDS.contains(&lower.as_str())) && !ends_clause) || details;
        since_with = if lower == "with" { 1 } else { since_with.saturating_add(1) };
        if opens && !closes {
            quoted = true;
        } else if closes {
            quoted = false;
        }
        after_name_word = NAME_WORDS.contains(&lower.as_str());
        negated = NEGATIONS.contains(&lower.as_str());
        // The words of a container phrase are marked, for [`Vocabulary::weighed`].
        let inside = container > 0 && !CONTAINER_ENDS.contains(&lower.as_str());
        let mark = |w: String| if inside { format!("{CONTAINED}{w}") } else { w };
        let start = out.len();
        out.extend(chunk_words(chunk).into_iter().map(|w| (mark(w), weight)));
        // What a verb of making makes: the words after it, up to a function word, a verb,
        // a participle or the clause's end; a value once it has begun is passed over.
        if making {
            let opening =
                made.is_empty() && (DETERMINERS.contains(&lower.as_str()) || action(&lower) == Action::Create);
            let plain = weight >= 1.0
                && has_letter
                && !has_digit
                && !STOPWORDS.contains(&lower.as_str())
                && !NAME_WORDS.contains(&lower.as_str())
                && !is_verb(&lower)
                && !participle(&lower);
            let value = weight < 1.0 && (has_digit || chunk.contains(['-', '_', '/', '.'])) && !made.is_empty();
            if opening || (value && !ends_clause) {
            } else if plain {
                made.push((start..out.len(), chunk.starts_with(|c: char| c.is_uppercase())));
            } else {
                making = false;
            }
            if !making || ends_clause {
                making = false;
                weigh_made(&mut out, &mut made);
            }
        } else if action(&lower) == Action::Create && weight >= 1.0 && !ends_clause && !participle(&lower) {
            // Not "the saved settings": a participle says what a thing is, not to make it.
            making = true;
        }
        container = if CONTAINER_WORDS.contains(&lower.as_str()) {
            CONTAINER_SPAN
        } else if inside && !ends_clause {
            container - 1
        } else {
            0
        };
    }
    weigh_made(&mut out, &mut made);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `word` weighs in `query`'s terms, if it is one.
    fn weight_of(query: &str, word: &str) -> Option<f32> {
        Vocabulary::shared().query_terms(query).into_iter().find(|(t, _)| *t == stem(word)).map(|(_, w)| w)
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
            ("generated", "generate"),
            ("cancelled", "cancel"),
            ("cancelling", "cancels"),
            ("labelled", "label"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
    }

    #[test]
    fn a_history_is_not_a_log() {
        // `flow_run_history` is counts over time, a chart's data; a log is what ran said.
        let v = Vocabulary::shared();
        let related = |a: &str, b: &str| v.expand(&stem(a)).iter().any(|(t, _)| *t == stem(b));
        assert!(!related("logs", "history") && !related("history", "log"));
        assert!(related("history", "timeline") && related("log", "audit"));
    }

    #[test]
    fn plain_language_becomes_terms() {
        let v = Vocabulary::shared();
        assert_eq!(v.terms("Which stations are online?"), ["which", "station", "onlin"]);
        assert_eq!(v.terms("Get rid of the old key"), ["delet", "old", "key"]);
        assert_eq!(v.terms("how many flow runs in 2024"), ["count", "flow", "run"]);
    }

    #[test]
    fn no_group_word_is_a_function_word() {
        for (_, group) in GROUPS {
            for word in *group {
                assert!(!STOPWORDS.contains(word), "`{word}` is a group word and a function word");
                assert_eq!(*word, word.to_lowercase(), "the table is lowercase");
            }
        }
    }

    #[test]
    fn a_thing_given_by_its_identifier_is_the_words_before_it() {
        let stems = |words: &[&str]| words.iter().map(|w| stem(w)).collect::<Vec<_>>();
        assert_eq!(
            given_things("What state is flow run 3f2a9b1c-7d4e in?", true),
            [vec![stems(&["flow", "run"]), stems(&["run"])]]
        );
        assert_eq!(given_things("Show the team with id team_8812", false), [vec![stems(&["team"])]]);
        assert_eq!(given_things("How much has key sk-live-42 spent?", true), [vec![stems(&["key"])]]);
        assert_eq!(given_things("What budget is left on sk-ops-1234?", true), [vec![stems(&["key"])]], "a secret key");
    }

    #[test]
    fn a_thing_given_by_its_name_is_one_the_api_has_not_one_to_make() {
        let stems = |words: &[&str]| words.iter().map(|w| stem(w)).collect::<Vec<_>>();
        let limit = vec![stems(&["concurrency", "limit"]), stems(&["limit"])];
        assert_eq!(given_things("Delete the global concurrency limit called legacy-api", false), [limit]);
        assert_eq!(given_things("Get the artifact keyed sales-report", false), [vec![stems(&["artifact"])]]);
        assert_eq!(
            given_things("Does a tenant named acme-corp exist?", true),
            [vec![stems(&["tenant"])]],
            "asked whether it is"
        );
        assert!(given_things("Set a global concurrency limit named db to 5", false).is_empty(), "one to make");
        assert!(given_things("Create a new collection named docs", false).is_empty(), "one to make");
    }

    #[test]
    fn who_may_use_the_things_asked_for_says_less_than_the_things() {
        let weight = |query: &str, word: &str| weight_of(query, word).unwrap_or_else(|| panic!("{word} in {query}"));
        let q = "Which models can my key call through the gateway?";
        assert_eq!((weight(q, "models"), weight(q, "key")), (1.0, SUBJECT));
        assert_eq!(weight("What models can people actually reach?", "people"), SUBJECT);
        // "Does" asks about its subject; "are" says what state the things are in.
        assert_eq!(weight("What metadata does the docs collection have?", "collection"), 1.0);
        assert_eq!(weight("Which deployments are paused?", "paused"), 1.0);
        // A subject runs two words at most, and only in the question that asks which.
        assert_eq!(weight("Which models can the team members really use?", "members"), SUBJECT);
        assert_eq!(weight("Which models can the team admin group use?", "group"), 1.0);
        assert_eq!(weight("Can my key call gpt-4o?", "key"), 1.0);
    }

    #[test]
    fn a_server_down_or_not_answering_is_its_health_not_a_breakdown() {
        let v = Vocabulary::shared();
        let health = |query: &str| v.terms(query).iter().any(|t| v.expand(t).iter().any(|(u, _)| *u == stem("health")));
        assert!(health("Which providers are down?"));
        assert!(health("Are the backends answering?"));
        assert!(!health("Spend broken down by team"), "a breakdown");
        assert!(!health("Send it to gpt-4o and give me the answer"), "a model's answer");
        assert_eq!(v.terms("Break down spend by team"), ["breakdown", "spend", "team"]);
        assert_eq!(v.terms("Tear down the docs collection"), ["delet", "doc", "collection"]);
    }

    #[test]
    fn what_a_thing_is_made_as_names_its_kind_and_the_rest_names_it() {
        let weight = |query: &str, word: &str| weight_of(query, word).unwrap_or_else(|| panic!("{word} in {query}"));
        let q = "Add Claude 3.5 Sonnet on Bedrock as a new model";
        assert_eq!((weight(q, "claude"), weight(q, "bedrock"), weight(q, "model")), (NAMED_AS * VALUE, NAMED_AS, MADE));
        assert_eq!(weight("Save the Slack webhook as a block", "webhook"), NAMED_AS);
        // A name of eight words ("Claude 3.5 Sonnet on our Bedrock account").
        assert_eq!(weight("Add Claude 3.5 Sonnet on our Bedrock account as a new deployment", "bedrock"), NAMED_AS);
        // Not a verb that makes, nor "as" without a thing after it.
        assert_eq!(weight("Show the collection as a table", "collection"), 1.0);
        assert_eq!(weight("Save the collection as CSV", "collection"), MADE, "what is saved");
    }

    #[test]
    fn one_request_at_a_time_is_a_log_and_a_model_is_known_by_its_name() {
        let v = Vocabulary::shared();
        for query in ["every request user u-1 made", "the individual requests from yesterday", "it request by request"]
        {
            assert!(v.terms(query).contains(&stem("log")), "{query}");
        }
        assert!(names_a_model("take azure-gpt4-eastus out") && names_a_model("drop gpt-35-legacy"));
        assert!(!names_a_model("our azure account") && !names_a_model("the openai bill"));
    }

    #[test]
    fn what_a_figure_is_broken_down_by() {
        assert_eq!(broken_down_by("Show me total spend broken down by team"), ["team"]);
        assert_eq!(broken_down_by("how much each team spent, per model"), ["team", "model"]);
        assert_eq!(broken_down_by("usage grouped by each key"), ["key"]);
        // Who did it, a log's entries, and no thing at all are no breakdown.
        assert!(broken_down_by("list every key owned by user u-1").is_empty());
        assert!(broken_down_by("show each request and its cost, per call").is_empty());
        assert!(broken_down_by("tasks that depend on each other, fixed by hand").is_empty());
    }

    #[test]
    fn phrases_are_read_with_their_particle_apart() {
        let v = Vocabulary::shared();
        assert_eq!(v.terms("Kick carol out of the team"), ["remov", "carol", "team"]);
        assert_eq!(v.terms("kick bob from the ml team"), ["remov", "bob", "ml", "team"]);
        assert_eq!(v.terms("kick off the flow from deployment etl"), ["start", "flow", "deployment", "etl"]);
        assert_eq!(v.terms("kick carol off the ml team"), ["remov", "carol", "ml", "team"]);
        assert_eq!(v.terms("kick one off now"), ["start"]);
        assert_eq!(v.terms("turn the schedule off"), ["disabl", "schedul"]);
        assert_eq!(v.terms("blow the scratch collection away"), ["wip", "scratch", "collection"]);
        // A name's words do not count toward the gap; a name and its thing may sit between.
        let asked = |query: &str| v.query_terms(query).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(asked("take the llama-3-70b-legacy model out"), ["remov", "llama", "70b", "legacy", "model"]);
        assert_eq!(v.terms("turn this paragraph into a vector"), ["turn", "paragraph", "vector"], "no particle near");
    }

    #[test]
    fn names_values_time_and_negations_weigh_little() {
        let v = Vocabulary::shared();
        let weight =
            |query: &str, term: &str| v.query_terms(query).into_iter().find(|(t, _)| t == &stem(term)).map(|(_, w)| w);
        assert_eq!(weight("Revoke the key sk-abc123", "sk"), Some(VALUE));
        assert_eq!(weight("Revoke the key sk-abc123", "key"), Some(1.0));
        // Words that only stress ("actually", "absolutely") say nothing of the tool: an
        // API's description may use them ("the actual cost").
        assert_eq!(weight("Which models can callers actually use?", "actually"), None);
        assert_eq!(weight("Wipe absolutely everything", "absolutely"), None);
        assert_eq!(weight("Make a collection called support", "support"), Some(VALUE));
        assert_eq!(weight("Rank by relevance to the query 'refund policy'", "policy"), Some(VALUE));
        assert_eq!(weight("Delete the old-report deployment", "report"), Some(JOINED));
        assert_eq!(weight("What did we spend last month", "month"), Some(WHEN));
        assert_eq!(weight("Every request user u-4471 made last Tuesday", "tuesday"), Some(WHEN), "a day's name");
        assert_eq!(weight("What did we spend last October", "october"), Some(WHEN), "a month's name");
        assert_eq!(weight("Disable the key without deleting it", "delete"), Some(0.0));
        assert_eq!(weight("Get rid of the variable temp_token", "name"), Some(NAME_HINT), "named by a name");
        assert_eq!(weight("Stop flow run 7f3c2a1e", "name"), None, "an id is not a name");
    }

    #[test]
    fn a_container_phrase_is_the_thing_and_a_parent() {
        let v = Vocabulary::shared();
        let terms = v.query_terms("Count the items in the reviews collection and show them");
        let of = |t: &str| terms.iter().find(|(u, _)| u == t).map(|(_, w)| *w);
        assert_eq!(of("item"), Some(1.0));
        assert_eq!(of("collection"), Some(CONTAINER_SELF));
        assert_eq!(of("^collection"), Some(CONTAINER_PARENT));
        assert_eq!(of("^review"), Some(CONTAINER_PARENT));
        assert_eq!(of("^show"), None, "`and` ends the phrase");
        assert!(v.query_terms("Count the items").iter().all(|(t, _)| !t.starts_with(CONTAINED)));
    }

    #[test]
    fn questions_and_verbs_say_what_is_asked() {
        assert_eq!(weight_of("Register a server so our agents can reach it", "agents"), Some(PURPOSE), "why, not what");
        assert_eq!(weight_of("Register a server so our agents can reach it", "register"), Some(1.0));
        // "…, so" and a verb: what follows is what to do, what came before is why.
        let so = "We're migrating the database tonight, so pause the schedule";
        assert_eq!(weight_of(so, "pause"), Some(1.0), "what to do");
        assert_eq!(weight_of(so, "database"), Some(PURPOSE), "why");
        assert_eq!(weight_of("Pause it, so nothing starts", "pause"), Some(1.0));
        assert_eq!(weight_of("Pause it, so nothing starts", "nothing"), Some(PURPOSE), "no verb after: why");
        assert_eq!(
            weight_of("Kick off the deployment with region set to EU", "set"),
            Some(VALUE * ATTRIBUTE),
            "a value, of what the run has"
        );
        assert_eq!(weight_of("Create a team with a budget of $50, then list keys", "budget"), Some(ATTRIBUTE));
        assert_eq!(
            weight_of("Create a team with a budget of $50, then list keys", "keys"),
            Some(1.0),
            "to the clause's end"
        );
        assert_eq!(weight_of("Add a model: claude routed to our account", "account"), Some(ATTRIBUTE), "after a colon");
        assert_eq!(weight_of("Step 2: block the key", "block"), Some(1.0), "after a lead that does not ask");
        assert_eq!(weight_of("Testing edge cases: block the key", "block"), Some(1.0), "after an -ing lead");
        let all_of = "Show user u_1234: their keys, teams and spend. Then list teams";
        assert_eq!(weight_of(all_of, "spend"), Some(ATTRIBUTE), "a colon's list, through its commas");
        assert_eq!(weight_of(all_of, "list"), Some(1.0), "to the sentence's end");
        assert_eq!(weight_of("Generate a key for the marketing team, then list keys", "team"), Some(FOR), "for whom");
        assert_eq!(weight_of("Generate a key for the marketing team, then list keys", "list"), Some(1.0));
        assert_eq!(weight_of("Set the region to EU", "set"), Some(1.0));
        // What to do is said by the sentences that ask, beside those that only tell.
        let v = Vocabulary::shared();
        let asks = |text: &str| v.request(text).map(|request| request.text);
        assert_eq!(asks("Flow run 3b9d is stuck. Cancel it.").as_deref(), Some("Cancel it."));
        assert_eq!(asks("The key leaked. Can you disable it?").as_deref(), Some("Can you disable it?"));
        assert_eq!(
            asks("Here's the recording. I need a transcript of it.").as_deref(),
            Some("I need a transcript of it.")
        );
        assert_eq!(asks("The run is stuck. Temporarily pause it.").as_deref(), Some("Temporarily pause it."));
        // All ask, or none does, or one sentence: none is singled out.
        assert_eq!(asks("Cancel run 3b9d. Then list the runs."), None);
        // A semicolon, or a dash between spaces, ends a clause as a full stop does.
        assert_eq!(asks("key sk-9f2c... got pasted in Slack - lock it").as_deref(), Some("lock it"));
        assert_eq!(asks("Flow run 3b9d is stuck; cancel it.").as_deref(), Some("cancel it."));
        assert_eq!(
            asks("A throwaway dev box — blow away everything on it").as_deref(),
            Some("blow away everything on it")
        );
        assert_eq!(asks("Use the re-ranker - v2 only"), None, "a dash between words joins them");
        assert_eq!(asks("Use gpt-3.5 for v2.1 of the app"), None);
        // ", so" and a verb: the clause before tells why, the one after asks.
        assert_eq!(
            asks("That key got pasted in Slack, so block the key ending in 4f9a.").as_deref(),
            Some("so block the key ending in 4f9a.")
        );
        assert_eq!(asks("How much has the key spent, so far this month?"), None, "no verb after \"so\"");
        assert_eq!(
            asks("A contractor left the company, please delete their user account.").as_deref(),
            Some("please delete their user account.")
        );
        assert_eq!(
            asks("Run ID 7c1e5a0b has been stuck for an hour. What state is it in?").as_deref(),
            Some("What state is it in?"),
            "a run given by its id is no verb"
        );
        assert_eq!(asks("Delete 3 keys. Which ones leaked?").as_deref(), None, "a count is no identifier");
        // Who did something tells ("we just got …" is no read).
        assert_eq!(
            asks("We just got Azure quota, so register a new deployment.").as_deref(),
            Some("so register a new deployment.")
        );
        assert!(asks_what_is("Is this IMEI on the watchlist?"));
        assert!(asks_what_is("What guardrails are set up on this proxy?"));
        assert!(!asks_what_is("Delete the key"));
        assert!(!asks_what_is("How do I delete the key?"));
        assert_eq!(v.action(&stem("remove")), Action::Delete);
        assert_eq!(v.action(&stem("show")), Action::Read);
        assert_eq!(v.action(&stem("pause")), Action::Change);
        assert_eq!(v.action(&stem("set")), Action::Write);
        assert_eq!(v.action(&stem("collection")), Action::None);
        assert!(Action::Write.fits(Action::Create) && Action::Change.fits(Action::Write));
        assert!(!Action::Read.fits(Action::Change) && !Action::Create.fits(Action::Change));
        assert!(Action::None.fits(Action::Delete) && Action::Delete.fits(Action::None));
    }

    #[test]
    fn irregular_forms_meet_their_word() {
        assert_eq!(stem("healthy"), stem("health"));
        assert_eq!(stem("spent"), stem("spend"));
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("gps"), "gps", "too short to cut");
    }

    #[test]
    fn versions_and_numbers_are_not_terms() {
        assert_eq!(Vocabulary::shared().terms("/api/v2/heartbeat 42 times"), ["heartbeat", stem("time").as_str()]);
    }

    #[test]
    fn a_word_brings_in_its_groups() {
        let v = Vocabulary::shared();
        let related: Vec<String> = v.expand(&stem("start")).into_iter().map(|(t, _)| t).collect();
        assert!(related.contains(&stem("trigger")) && related.contains(&stem("launch")), "{related:?}");
        let related: Vec<String> = v.expand(&stem("purge")).into_iter().map(|(t, _)| t).collect();
        assert!(related.contains(&stem("delete")) && related.contains(&stem("flush")), "{related:?}");
        assert_eq!(v.expand("zebra"), [("zebra".to_string(), 1.0)]);
    }

    #[test]
    fn a_setting_given_its_value_is_what_the_thing_has() {
        // After a comma, the words before a value name a setting of the thing made.
        let q = "Register azure/gpt-4o-eu as a new model on the proxy, api base https://acme-eu.openai.azure.com";
        assert!(weight_of(q, "base").is_some_and(|w| w < 1.0));
        assert_eq!(weight_of("new key for team ds, max budget 50 dollar", "budget"), Some(ATTRIBUTE));
        // Not a clause that asks, nor words before a value without a comma.
        assert_eq!(weight_of("Create the team, then add 3 members", "add"), Some(1.0));
        assert_eq!(weight_of("Set the budget to 50", "budget"), Some(1.0));
    }

    #[test]
    fn what_is_made_weighs_most_and_a_proper_name_before_it_says_which_kind() {
        let q = "Add a new Azure OpenAI deployment of gpt-4o to the proxy";
        assert!(weight_of(q, "azure").is_some_and(|w| w < 1.0));
        assert_eq!(weight_of(q, "deployment"), Some(MADE));
        let q = "Generate a new virtual key for the marketing team, capped at $200";
        assert_eq!((weight_of(q, "virtual"), weight_of(q, "key")), (Some(1.0), Some(MADE)));
        assert!(weight_of(q, "key") > weight_of(q, "virtual"), "what is made weighs more");
        // A value inside the phrase does not end it.
        let q = "Register our new Azure OpenAI gpt-4o deployment on the proxy";
        assert_eq!(weight_of(q, "deployment"), Some(MADE));
        // A word in lower case is the thing's kind, and a word for any thing leaves what
        // is made to the word before it ("a customer record", "a model entry").
        assert_eq!(weight_of("Create a customer record for acme", "customer"), Some(MADE));
        let q = "Add a new model entry pointing at our endpoint";
        assert_eq!(weight_of(q, "model"), Some(MADE), "{:?}", Vocabulary::shared().query_terms(q));
        // A proper name alone is what is made.
        assert_eq!(weight_of("Add Azure to the allowed providers", "azure"), Some(MADE));
        // Not after a verb of another kind, nor a participle.
        assert_eq!(weight_of("Delete the virtual key", "key"), Some(1.0));
        assert_eq!(weight_of("Where are the saved connection settings?", "settings"), Some(1.0));
    }

    #[test]
    fn a_model_spelled_in_words_is_a_name() {
        assert_eq!(weight_of("Hook up Claude 3.5 Sonnet deployment", "claude"), Some(VALUE));
        assert_eq!(weight_of("Hook up Claude 3.5 Sonnet deployment", "sonnet"), Some(VALUE));
        assert_eq!(weight_of("Hook up a Claude 3.5 Sonnet deployment", "deployment"), Some(1.0));
        // Without a version, a family's word may be a product's part ("the Claude Code plugins").
        let q = "List the Claude plugins";
        assert_eq!(weight_of(q, "claude"), Some(1.0), "{:?}", Vocabulary::shared().query_terms(q));
        assert!(names_a_chat_model("Ask Llama 3 'what is 2+2'") && !names_a_chat_model("Ask Llama about it"));
    }
}
