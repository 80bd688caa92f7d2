//! How well `search_tools` finds the tool for a task, measured on tasks written before
//! anyone looked at the tools (`tests/fixtures/search/`, see its README): each of the
//! three real FastAPI exports in `tests/fixtures/specs/` is lowered with no overrides,
//! as a new user would serve it, its tools indexed exactly as the bridge indexes them
//! ([`super::doc_parts`]), and every task run through the same ranking `search_tools`
//! uses. A hit is the task's expected operation or one of its `also`.
//!
//! The report (top-1, top-5, the misses) is kept in docs/performance.md, "Tool search
//! quality": `cargo test --lib search_quality -- --nocapture` prints it.

use super::search::{Doc, Index};
use crate::codegen::{Input, lower_spec};
use serde::Deserialize;
use std::fmt::Write;

#[derive(Debug, Deserialize)]
struct Endpoint {
    method: String,
    path: String,
}

#[derive(Debug, Deserialize)]
struct Task {
    api: String,
    task: String,
    id: String,
    expected: Option<Endpoint>,
    #[serde(default)]
    also: Vec<Endpoint>,
}

/// A task set (`tests/fixtures/search/`, whose README says how each was made): its tasks
/// with an operation, those without, and the tasks whose tool the ranking finds first and
/// in the top 5 (the figures reached, docs/performance.md): a change to the ranking may
/// move single tasks, not lose any overall.
struct Set {
    file: &'static str,
    tasks: usize,
    skipped: usize,
    top1: usize,
    top5: usize,
}

/// Every task set, in the order they were made; each has its test below.
const SETS: [Set; 88] = [
    // Written blind, then read to build the ranking.
    Set { file: "tasks.jsonl", tasks: 90, skipped: 1, top1: 76, top5: 88 },
    // Written and mapped by others after the ranking above was built; its misses then
    // found the rules of 12-05.
    Set { file: "heldout.jsonl", tasks: 66, skipped: 0, top1: 54, top5: 64 },
    // Kept unread by whoever tuned the ranking, run once when the tuning was done.
    Set { file: "final.jsonl", tasks: 45, skipped: 0, top1: 28, top5: 35 },
    // Written by one helper and mapped by another, neither reading the search code;
    // measured once, as the ranking stood, before anyone read it. So were all below.
    Set { file: "fourth.jsonl", tasks: 45, skipped: 0, top1: 40, top5: 45 },
    // Made while the fourth was being measured; measured with the same ranking.
    Set { file: "fifth.jsonl", tasks: 44, skipped: 1, top1: 39, top5: 43 },
    // Made while the ranking was tuned on the five sets before it.
    Set { file: "sixth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 59 },
    // Made while it was tuned again on the six before it.
    Set { file: "seventh.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 58 },
    // Made while a fourth pass was tried and dropped.
    Set { file: "eighth.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 59 },
    // Made while the request body's schema name was added to what search reads.
    Set { file: "ninth.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 60 },
    // Made while the ranking's numbers were fitted to the nine before it (kept as they
    // were: the fitted numbers found one fewer first here).
    Set { file: "tenth.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 58 },
    // Made while three rules were added (a doubled final `l` stemmed, a history no log,
    // verbs of writing in a request to read).
    Set { file: "eleventh.jsonl", tasks: 60, skipped: 0, top1: 54, top5: 59 },
    // Made while forwards were told apart and a name's repeated parents moved to the
    // parents.
    Set { file: "twelfth.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 58 },
    // Made while an upsert was named and what a thing is for weighed less.
    Set { file: "thirteenth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 56 },
    // Made after the rules above, and measured with them, no rule added. 57 in the top 5
    // until the name's unasked words weighed (litellm-y02 from 5th to 6th).
    Set { file: "fourteenth.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 59 },
    // Made while "configure" became a verb of writing.
    Set { file: "fifteenth.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 58 },
    // Made while a setting became configuration, not the verb "set".
    Set { file: "sixteenth.jsonl", tasks: 60, skipped: 0, top1: 54, top5: 58 },
    // Made while a name's unasked words weighed, and "global" meant the whole.
    Set { file: "seventeenth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 57 },
    // Made after the rules above, and measured with them, no rule added.
    Set { file: "eighteenth.jsonl", tasks: 60, skipped: 0, top1: 54, top5: 59 },
    // Made after the sixteenth to eighteenth sets' rules, and measured with them.
    Set { file: "nineteenth.jsonl", tasks: 59, skipped: 1, top1: 58, top5: 58 },
    // Made while "so far" and a colon's list became rules, and measured with them.
    Set { file: "twentieth.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 58 },
    // Made while words that only stress and the names of days and months were added;
    // measured with them.
    Set { file: "twenty-first.jsonl", tasks: 58, skipped: 2, top1: 45, top5: 55 },
    Set { file: "twenty-second.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 57 },
    // Made while the sentence that asks became what says what to do; measured with it.
    Set { file: "twenty-third.jsonl", tasks: 59, skipped: 1, top1: 48, top5: 56 },
    Set { file: "twenty-fourth.jsonl", tasks: 60, skipped: 0, top1: 45, top5: 54 },
    // Made while four API nouns got the words people use for them; measured with them.
    Set { file: "twenty-fifth.jsonl", tasks: 59, skipped: 1, top1: 43, top5: 49 },
    Set { file: "twenty-sixth.jsonl", tasks: 60, skipped: 0, top1: 41, top5: 54 },
    // Made while a pre-flight check became where a server tells its limits, and a quoted
    // text for a model that chats a prompt; measured with them.
    Set { file: "twenty-seventh.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 60 },
    Set { file: "twenty-eighth.jsonl", tasks: 60, skipped: 0, top1: 33, top5: 50 },
    // Made while to pull or grab became to read; measured with it.
    Set { file: "twenty-ninth.jsonl", tasks: 60, skipped: 0, top1: 58, top5: 60 },
    Set { file: "thirtieth.jsonl", tasks: 60, skipped: 0, top1: 38, top5: 51 },
    // Made while what polls a pool became its worker, and a build a version; measured
    // with them.
    Set { file: "thirty-first.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 60 },
    Set { file: "thirty-second.jsonl", tasks: 60, skipped: 0, top1: 38, top5: 52 },
    // Measured with the ranking of 165ebfb, before anyone read them.
    Set { file: "thirty-third.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 59 },
    Set { file: "thirty-fourth.jsonl", tasks: 60, skipped: 0, top1: 40, top5: 57 },
    Set { file: "thirty-fifth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 56 },
    Set { file: "thirty-sixth.jsonl", tasks: 60, skipped: 0, top1: 41, top5: 54 },
    // Made while a container's words, raising a figure, a secret key's prefix, stopping a
    // thing from working and capping it became rules (on the four sets above); measured
    // with them, before anyone read them (with 165ebfb's ranking: 38/50, 31/49, 35/49, 34/50).
    Set { file: "thirty-seventh.jsonl", tasks: 59, skipped: 1, top1: 46, top5: 55 },
    Set { file: "thirty-eighth.jsonl", tasks: 60, skipped: 0, top1: 42, top5: 53 },
    Set { file: "thirty-ninth.jsonl", tasks: 59, skipped: 1, top1: 43, top5: 54 },
    Set { file: "fortieth.jsonl", tasks: 60, skipped: 0, top1: 39, top5: 54 },
    // Measured with the ranking of 2024671, before anyone read them (with 8014f31's, before
    // its last five rules: 46/56, 43/57, 35/53, 43/53).
    Set { file: "forty-first.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 58 },
    Set { file: "forty-second.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 57 },
    Set { file: "forty-third.jsonl", tasks: 60, skipped: 0, top1: 43, top5: 58 },
    Set { file: "forty-fourth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 60 },
    // Measured with the ranking of 9151538, before anyone read them (the same with 19bdfd3's,
    // before its upsert rule).
    Set { file: "forty-fifth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 58 },
    Set { file: "forty-sixth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 57 },
    Set { file: "forty-seventh.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 57 },
    Set { file: "forty-eighth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 59 },
    // Measured with the ranking of 393b235, before anyone read them (with 9151538's, before
    // its rule for "…, so" and a verb: 46/55, 38/52, 38/52, 44/55).
    Set { file: "forty-ninth.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 60 },
    Set { file: "fiftieth.jsonl", tasks: 60, skipped: 0, top1: 46, top5: 55 },
    Set { file: "fifty-first.jsonl", tasks: 60, skipped: 0, top1: 45, top5: 58 },
    Set { file: "fifty-second.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 57 },
    // Measured with the ranking of 99bf34e, before anyone read them (45/54, 43/53, 44/54,
    // 45/55); their misses made 36cc7da's rules.
    Set { file: "fifty-third.jsonl", tasks: 60, skipped: 0, top1: 48, top5: 59 },
    Set { file: "fifty-fourth.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 56 },
    Set { file: "fifty-fifth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 55 },
    Set { file: "fifty-sixth.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 59 },
    // Measured with the ranking of 36cc7da, before anyone read them but one task of the
    // first, `prefect-ddd03` (with cef4d94's, before its rules: 44/57, 46/55, 49/58, 46/58).
    Set { file: "fifty-seventh.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 57 },
    Set { file: "fifty-eighth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 59 },
    Set { file: "fifty-ninth.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 57 },
    Set { file: "sixtieth.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 60 },
    // Measured with the ranking of 51fb7df, before anyone read them (42/55, 38/54, 50/58,
    // 43/55); with the rule for a question's subject, written before they were read but
    // measured on them before its span was mended: 42/55, 38/54, 50/58, 44/56.
    Set { file: "sixty-first.jsonl", tasks: 60, skipped: 0, top1: 44, top5: 56 },
    Set { file: "sixty-second.jsonl", tasks: 60, skipped: 0, top1: 39, top5: 54 },
    Set { file: "sixty-third.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 60 },
    Set { file: "sixty-fourth.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 58 },
    // Measured with the ranking of 81774b6, before anyone read them (51/58, 39/51, 45/60,
    // 48/56).
    Set { file: "sixty-fifth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 59 },
    Set { file: "sixty-sixth.jsonl", tasks: 59, skipped: 1, top1: 47, top5: 55 },
    Set { file: "sixty-seventh.jsonl", tasks: 60, skipped: 0, top1: 50, top5: 60 },
    Set { file: "sixty-eighth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 58 },
    // Measured with the ranking of 4bb8c63, before anyone read them (32/55, 43/57, 47/59,
    // 51/58).
    Set { file: "sixty-ninth.jsonl", tasks: 60, skipped: 0, top1: 41, top5: 57 },
    Set { file: "seventieth.jsonl", tasks: 60, skipped: 0, top1: 47, top5: 57 },
    Set { file: "seventy-first.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 59 },
    Set { file: "seventy-second.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 58 },
    // Measured with the ranking of 8190303, before anyone read them (45/57, 41/55, 45/59,
    // 46/57).
    Set { file: "seventy-third.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 58 },
    Set { file: "seventy-fourth.jsonl", tasks: 60, skipped: 0, top1: 48, top5: 56 },
    Set { file: "seventy-fifth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 59 },
    Set { file: "seventy-sixth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 58 },
    // Measured with the ranking of d2b16f7, before anyone read them (54/59, 51/56, 46/55,
    // 47/57).
    Set { file: "seventy-seventh.jsonl", tasks: 60, skipped: 0, top1: 55, top5: 59 },
    Set { file: "seventy-eighth.jsonl", tasks: 60, skipped: 0, top1: 52, top5: 58 },
    Set { file: "seventy-ninth.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 55 },
    Set { file: "eightieth.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 59 },
    // Measured with the ranking of fa5421b, before anyone read them (49/58, 52/56, 45/58,
    // 47/58).
    Set { file: "eighty-first.jsonl", tasks: 60, skipped: 0, top1: 51, top5: 58 },
    Set { file: "eighty-second.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 57 },
    Set { file: "eighty-third.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 59 },
    Set { file: "eighty-fourth.jsonl", tasks: 60, skipped: 0, top1: 49, top5: 58 },
    // Measured with the ranking of ac40f0f, before anyone read them (49/57, 44/56, 53/59,
    // 54/58).
    Set { file: "eighty-fifth.jsonl", tasks: 60, skipped: 0, top1: 53, top5: 59 },
    Set { file: "eighty-sixth.jsonl", tasks: 60, skipped: 0, top1: 45, top5: 57 },
    Set { file: "eighty-seventh.jsonl", tasks: 60, skipped: 0, top1: 54, top5: 59 },
    Set { file: "eighty-eighth.jsonl", tasks: 60, skipped: 0, top1: 54, top5: 58 },
];

/// The fixture exports, by the `api` of the tasks.
const APIS: [(&str, &str); 3] =
    [("chromadb", "chromadb-1.5.9.json"), ("litellm", "litellm-1.110.2.json"), ("prefect", "prefect-3.9.1.json")];

fn fixture(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The tasks of `set`, a file of `tests/fixtures/search/`.
fn tasks_of(set: &str) -> Vec<Task> {
    fixture(&format!("tests/fixtures/search/{set}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{set}: {e}: {l}")))
        .collect()
}

impl Task {
    /// The endpoints that serve the task (`POST /key/generate`): its expected operation
    /// first, then its `also`; `None` when no operation serves it.
    fn answers(&self) -> Option<Vec<String>> {
        let expected = self.expected.as_ref()?;
        Some(std::iter::once(expected).chain(&self.also).map(|e| format!("{} {}", e.method, e.path)).collect())
    }
}

/// One API's tools as search sees them, with each tool's endpoint.
fn indexed(file: &str) -> (Vec<Doc>, Vec<String>) {
    let spec = fixture(&format!("tests/fixtures/specs/{file}"));
    let ir = lower_spec(Input { spec: &spec, overrides: None }).unwrap_or_else(|e| panic!("{file}: {e}"));
    let docs = ir.tools.iter().map(super::document).collect();
    let endpoints = ir.tools.iter().map(|t| format!("{} {}", t.method.as_str(), t.path)).collect();
    (docs, endpoints)
}

/// The results of one API.
#[derive(Debug, Default)]
struct Score {
    tasks: usize,
    skipped: Vec<String>,
    /// Tasks whose operations are not tools.
    not_tools: Vec<String>,
    top1: usize,
    top5: usize,
    /// Tasks whose tool is in the top 5, not first.
    near: Vec<Miss>,
    misses: Vec<Miss>,
}

/// A task whose tool is not first.
#[derive(Debug)]
struct Miss {
    id: String,
    task: String,
    expected: String,
    rank: Option<usize>,
    /// The names of the top 5.
    top: Vec<String>,
}

fn percent(hits: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { 100.0 * hits as f64 / of as f64 }
}

/// Every task of `set` (a file of `tests/fixtures/search/`), scored; and the report, as
/// docs/performance.md shows it.
fn evaluate(set: &str) -> (Vec<(&'static str, usize, Score)>, String) {
    let tasks = tasks_of(set);
    let mut scores = Vec::new();
    for (api, file) in APIS {
        let (docs, endpoints) = indexed(file);
        let index = Index::new(&docs);
        let mut score = Score::default();
        for task in tasks.iter().filter(|t| t.api == api) {
            let Some(good) = task.answers() else {
                score.skipped.push(task.id.clone());
                continue;
            };
            score.tasks += 1;
            // An operation the generator leaves out (a multipart upload) is no tool to
            // find: such a task counts, as a miss.
            if !good.iter().any(|e| endpoints.contains(e)) {
                score.not_tools.push(task.id.clone());
            }
            let ranked = index.search(&task.task, docs.len());
            let rank = ranked.iter().position(|&i| good.contains(&endpoints[i])).map(|r| r + 1);
            if rank == Some(1) {
                score.top1 += 1;
            }
            if rank != Some(1) {
                let top = ranked.iter().take(5).map(|&i| docs[i].name.clone()).collect();
                let miss = Miss { id: task.id.clone(), task: task.task.clone(), expected: good[0].clone(), rank, top };
                if rank.is_some_and(|r| r <= 5) { score.near.push(miss) } else { score.misses.push(miss) }
            }
            if rank.is_some_and(|r| r <= 5) {
                score.top5 += 1;
            }
        }
        scores.push((api, docs.len(), score));
    }
    let mut report = String::from("| API (tools) | tasks | top-1 | top-5 |\n|---|---:|---:|---:|\n");
    let (mut n, mut top1, mut top5) = (0, 0, 0);
    for (api, tools, s) in &scores {
        let _ = writeln!(
            report,
            "| {api} ({tools}) | {} | {} ({:.0}%) | {} ({:.0}%) |",
            s.tasks,
            s.top1,
            percent(s.top1, s.tasks),
            s.top5,
            percent(s.top5, s.tasks)
        );
        (n, top1, top5) = (n + s.tasks, top1 + s.top1, top5 + s.top5);
    }
    let _ =
        writeln!(report, "| **all** | {n} | {top1} ({:.1}%) | {top5} ({:.1}%) |", percent(top1, n), percent(top5, n));
    let skipped: Vec<&String> = scores.iter().flat_map(|(_, _, s)| &s.skipped).collect();
    let _ = writeln!(
        report,
        "\nSkipped (no operation serves them): {}",
        if skipped.is_empty() {
            "none".to_string()
        } else {
            skipped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        }
    );
    let _ = writeln!(report, "\nNot in the top 5:\n\n| task | expected | rank | top 5 |\n|---|---|---:|---|");
    for (_, _, s) in &scores {
        for Miss { id, task, expected, rank, top } in &s.misses {
            let top: Vec<String> = top.iter().map(|n| format!("`{n}`")).collect();
            let rank = match rank {
                Some(r) => r.to_string(),
                None if s.not_tools.contains(id) => "not a tool".to_string(),
                None => "not found".to_string(),
            };
            let _ = writeln!(report, "| {id}: {task} | `{expected}` | {rank} | {} |", top.join(", "));
        }
    }
    let _ = writeln!(report, "\nIn the top 5, not first:\n\n| task | expected | rank | top 5 |\n|---|---|---:|---|");
    for (_, _, s) in &scores {
        for Miss { id, task, expected, rank, top } in &s.near {
            let top: Vec<String> = top.iter().map(|n| format!("`{n}`")).collect();
            let _ = writeln!(report, "| {id}: {task} | `{expected}` | {} | {} |", rank.unwrap_or(0), top.join(", "));
        }
    }
    let not_tools: Vec<&String> = scores.iter().flat_map(|(_, _, s)| &s.not_tools).collect();
    let findable = n - not_tools.len();
    let _ = writeln!(
        report,
        "\nOf the {findable} tasks whose operation is a tool: top-1 {top1} ({:.1}%), top-5 {top5} ({:.1}%).",
        percent(top1, findable),
        percent(top5, findable)
    );
    (scores, report)
}

/// One test per set of [`SETS`], named after it, so a failure names its set.
macro_rules! set_tests {
    ($($name:ident: $i:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                holds(&SETS[$i]);
            }
        )*
    };
}

set_tests! {
    search_quality: 0,
    search_quality_held_out: 1,
    search_quality_final: 2,
    search_quality_fourth: 3,
    search_quality_fifth: 4,
    search_quality_sixth: 5,
    search_quality_seventh: 6,
    search_quality_eighth: 7,
    search_quality_ninth: 8,
    search_quality_tenth: 9,
    search_quality_eleventh: 10,
    search_quality_twelfth: 11,
    search_quality_thirteenth: 12,
    search_quality_fourteenth: 13,
    search_quality_fifteenth: 14,
    search_quality_sixteenth: 15,
    search_quality_seventeenth: 16,
    search_quality_eighteenth: 17,
    search_quality_nineteenth: 18,
    search_quality_twentieth: 19,
    search_quality_twenty_first: 20,
    search_quality_twenty_second: 21,
    search_quality_twenty_third: 22,
    search_quality_twenty_fourth: 23,
    search_quality_twenty_fifth: 24,
    search_quality_twenty_sixth: 25,
    search_quality_twenty_seventh: 26,
    search_quality_twenty_eighth: 27,
    search_quality_twenty_ninth: 28,
    search_quality_thirtieth: 29,
    search_quality_thirty_first: 30,
    search_quality_thirty_second: 31,
    search_quality_thirty_third: 32,
    search_quality_thirty_fourth: 33,
    search_quality_thirty_fifth: 34,
    search_quality_thirty_sixth: 35,
    search_quality_thirty_seventh: 36,
    search_quality_thirty_eighth: 37,
    search_quality_thirty_ninth: 38,
    search_quality_fortieth: 39,
    search_quality_forty_first: 40,
    search_quality_forty_second: 41,
    search_quality_forty_third: 42,
    search_quality_forty_fourth: 43,
    search_quality_forty_fifth: 44,
    search_quality_forty_sixth: 45,
    search_quality_forty_seventh: 46,
    search_quality_forty_eighth: 47,
    search_quality_forty_ninth: 48,
    search_quality_fiftieth: 49,
    search_quality_fifty_first: 50,
    search_quality_fifty_second: 51,
    search_quality_fifty_third: 52,
    search_quality_fifty_fourth: 53,
    search_quality_fifty_fifth: 54,
    search_quality_fifty_sixth: 55,
    search_quality_fifty_seventh: 56,
    search_quality_fifty_eighth: 57,
    search_quality_fifty_ninth: 58,
    search_quality_sixtieth: 59,
    search_quality_sixty_first: 60,
    search_quality_sixty_second: 61,
    search_quality_sixty_third: 62,
    search_quality_sixty_fourth: 63,
    search_quality_sixty_fifth: 64,
    search_quality_sixty_sixth: 65,
    search_quality_sixty_seventh: 66,
    search_quality_sixty_eighth: 67,
    search_quality_sixty_ninth: 68,
    search_quality_seventieth: 69,
    search_quality_seventy_first: 70,
    search_quality_seventy_second: 71,
    search_quality_seventy_third: 72,
    search_quality_seventy_fourth: 73,
    search_quality_seventy_fifth: 74,
    search_quality_seventy_sixth: 75,
    search_quality_seventy_seventh: 76,
    search_quality_seventy_eighth: 77,
    search_quality_seventy_ninth: 78,
    search_quality_eightieth: 79,
    search_quality_eighty_first: 80,
    search_quality_eighty_second: 81,
    search_quality_eighty_third: 82,
    search_quality_eighty_fourth: 83,
    search_quality_eighty_fifth: 84,
    search_quality_eighty_sixth: 85,
    search_quality_eighty_seventh: 86,
    search_quality_eighty_eighth: 87,
}

/// `set` has its tasks, and the ranking still finds at least its figures.
#[allow(clippy::print_stdout)] // the report goes to the test output (`--nocapture`)
fn holds(set: &Set) {
    let (scores, report) = evaluate(set.file);
    println!("{report}");
    let (n, first, in_five) = totals(&scores);
    let skipped: usize = scores.iter().map(|(_, _, s)| s.skipped.len()).sum();
    let (file, top1, top5) = (set.file, set.top1, set.top5);
    assert_eq!((n, skipped), (set.tasks, set.skipped), "{file}: tasks with an operation, and without");
    assert!(in_five >= top5, "{file}: top-5 fell to {in_five}/{n} (was {top5}):\n{report}");
    assert!(first >= top1, "{file}: top-1 fell to {first}/{n} (was {top1}):\n{report}");
}

/// Tasks with an operation, ranked first, in the top 5.
fn totals(scores: &[(&str, usize, Score)]) -> (usize, usize, usize) {
    scores.iter().fold((0, 0, 0), |(n, a, b), (_, _, s)| (n + s.tasks, a + s.top1, b + s.top5))
}

/// What search costs, per API: building the index, and a query (the median over every
/// task of every set, each run 20 times). A benchmark, not a test: it asserts nothing,
/// and is run in release by `make bench-search`.
#[test]
#[ignore = "a benchmark: `make bench-search`"]
#[allow(clippy::print_stdout)] // the figures go to the test output (`--nocapture`)
fn search_cost() {
    use std::time::Instant;
    let tasks: Vec<Task> = SETS.iter().flat_map(|set| tasks_of(set.file)).collect();
    // The value at `share` of the way up (0.5 the median), sorting in place.
    let at = |v: &mut Vec<f64>, share: f64| {
        v.sort_by(f64::total_cmp);
        v[(v.len() as f64 * share) as usize]
    };
    println!("| API (tools) | index build, median of 5 | query, median (µs) | query, p90 (µs) | queries |");
    println!("|---|---:|---:|---:|---:|");
    for (api, file) in APIS {
        let (docs, _) = indexed(file);
        let mut builds: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(Index::new(&docs));
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let index = Index::new(&docs);
        let mut queries = Vec::new();
        for task in tasks.iter().filter(|t| t.api == api) {
            for _ in 0..20 {
                let start = Instant::now();
                std::hint::black_box(index.search(&task.task, 5));
                queries.push(start.elapsed().as_secs_f64() * 1e6);
            }
        }
        let n = queries.len() / 20;
        let (median, p90) = (at(&mut queries, 0.5), at(&mut queries, 0.9));
        println!("| {api} ({}) | {:.1} ms | {median:.0} | {p90:.0} | {n} |", docs.len(), at(&mut builds, 0.5));
    }
}

/// Fitting the ranking's numbers to the sets (`make tune-search`): minutes of work, so
/// built only with the `search-tuning` feature, not by `cargo test -- --include-ignored`.
#[cfg(feature = "search-tuning")]
mod fit {
    use super::{APIS, Index, SETS, Task, indexed, tasks_of};
    use crate::bridge::discover::search::{CHOSEN, Tuning};

    /// One API indexed once, with every task of [`SETS`] asked of it: (set, query, the
    /// endpoints that serve it).
    struct Asked {
        index: Index,
        endpoints: Vec<String>,
        tasks: Vec<(usize, String, Vec<String>)>,
    }

    fn asked() -> Vec<Asked> {
        let tasks: Vec<(usize, Task)> =
            SETS.iter().enumerate().flat_map(|(s, set)| tasks_of(set.file).into_iter().map(move |t| (s, t))).collect();
        APIS.iter()
            .map(|(api, file)| {
                let (docs, endpoints) = indexed(file);
                let tasks = tasks
                    .iter()
                    .filter(|(_, t)| t.api == *api)
                    .filter_map(|(s, t)| Some((*s, t.task.clone(), t.answers()?)))
                    .collect();
                Asked { index: Index::new(&docs), endpoints, tasks }
            })
            .collect()
    }

    /// Per set: tasks ranked first, and in the top 5, with `tuning`.
    fn hits(apis: &mut [Asked], tuning: Tuning, sets: usize) -> Vec<(usize, usize)> {
        let mut out = vec![(0, 0); sets];
        for api in apis.iter_mut() {
            api.index.retune(tuning);
            for (s, query, good) in &api.tasks {
                let ranked = api.index.search(query, 5);
                if let Some(r) = ranked.iter().position(|&i| good.contains(&api.endpoints[i])) {
                    out[*s].0 += usize::from(r == 0);
                    out[*s].1 += 1;
                }
            }
        }
        out
    }

    /// What the ranking aims at, over the sets `among`: first and top-5 hits, counted alike.
    fn aim(per_set: &[(usize, usize)], among: &[usize]) -> usize {
        among.iter().map(|&s| per_set[s].0 + per_set[s].1).sum()
    }

    /// Each number of `tuning` in turn set to the value among its candidates that finds the
    /// most over the sets `among`, until none gains (coordinate ascent).
    #[allow(clippy::print_stdout)] // each gain goes to the test output (`--nocapture`)
    fn ascend(apis: &mut [Asked], mut tuning: Tuning, among: &[usize], sets: usize) -> Tuning {
        type Knob = (&'static str, fn(&mut Tuning) -> &mut f32, &'static [f32]);
        const WEIGHT: &[f32] = &[0.5, 0.7, 0.85, 1.2, 1.4, 2.0];
        const B: &[f32] = &[0.0, 0.2, 0.4, 0.6, 0.75, 0.9];
        const SHARE: &[f32] = &[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1.0];
        const K1: &[f32] = &[0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0];
        macro_rules! field {
            ($i:literal) => {
                [
                    (
                        concat!("weight ", $i),
                        (|t: &mut Tuning| &mut t.fields[$i].0) as fn(&mut Tuning) -> &mut f32,
                        WEIGHT,
                    ),
                    (concat!("b ", $i), |t: &mut Tuning| &mut t.fields[$i].1, B),
                ]
            };
        }
        let mut knobs: Vec<Knob> = [field!(0), field!(1), field!(2), field!(3), field!(4), field!(5), field!(6)]
            .into_iter()
            .chain([field!(7), field!(8), field!(9), field!(10), field!(11)])
            .flatten()
            .collect();
        knobs.extend([
            ("k1", (|t: &mut Tuning| &mut t.k1) as fn(&mut Tuning) -> &mut f32, K1),
            ("within", |t: &mut Tuning| &mut t.within, WEIGHT),
            ("action_mismatch", |t: &mut Tuning| &mut t.action_mismatch, SHARE),
            ("state_verb", |t: &mut Tuning| &mut t.state_verb, SHARE),
            ("list_hint", |t: &mut Tuning| &mut t.list_hint, SHARE),
            ("unasked_name", |t: &mut Tuning| &mut t.unasked_name, SHARE),
        ]);
        let mut best = aim(&hits(apis, tuning, sets), among);
        for _round in 0..4 {
            let mut gained = false;
            for (name, knob, candidates) in &knobs {
                let now = *knob(&mut tuning);
                // Weights move by factors of their value; shares and `b` take the values.
                let relative = std::ptr::eq(*candidates, WEIGHT);
                for &c in candidates.iter() {
                    let mut t = tuning;
                    *knob(&mut t) = if relative { now * c } else { c };
                    let got = aim(&hits(apis, t, sets), among);
                    if got > best {
                        println!("  {name}: {now} -> {} ({best} -> {got})", *knob(&mut t));
                        (best, tuning, gained) = (got, t, true);
                    }
                }
            }
            if !gained {
                break;
            }
        }
        tuning
    }

    /// What tuning the ranking's numbers to the sets (all read by now) is worth on a set
    /// nobody tuned to: each set left out in turn, the numbers tuned on the others, then measured on it.
    /// Then the numbers tuned on all of them. A measurement, run in release by
    /// `make tune-search` (about a minute and a half).
    #[test]
    #[allow(clippy::print_stdout)] // the figures go to the test output (`--nocapture`)
    fn tune_search() {
        let sets = SETS.len();
        let mut apis = asked();
        let base = hits(&mut apis, CHOSEN, sets);
        let (mut before, mut after) = ((0, 0), (0, 0));
        for left in 0..sets {
            let among: Vec<usize> = (0..sets).filter(|&s| s != left).collect();
            println!("{} left out:", SETS[left].file);
            let tuning = ascend(&mut apis, CHOSEN, &among, sets);
            let got = hits(&mut apis, tuning, sets)[left];
            println!("  {}: {:?} -> {:?}", SETS[left].file, base[left], got);
            before = (before.0 + base[left].0, before.1 + base[left].1);
            after = (after.0 + got.0, after.1 + got.1);
        }
        println!("each set left out, summed: top-1, top-5 {before:?} -> {after:?}");
        let all: Vec<usize> = (0..sets).collect();
        let tuning = ascend(&mut apis, CHOSEN, &all, sets);
        let got = hits(&mut apis, tuning, sets);
        println!("tuned on all: {:?} -> {:?}\n{tuning:#?}", base, got);
    }
}
