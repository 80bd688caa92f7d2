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

/// Tasks whose tool ranks first, and in the top 5, at least (of 90).
const TOP1: usize = 68;
const TOP5: usize = 84;
/// The same on the held-out set (of 66).
const HELD_OUT_TOP1: usize = 45;
const HELD_OUT_TOP5: usize = 57;
/// The same on the final set (of 45).
const FINAL_TOP1: usize = 22;
const FINAL_TOP5: usize = 31;
/// The same on the fourth set (of 45).
const FOURTH_TOP1: usize = 33;
const FOURTH_TOP5: usize = 41;
/// The same on the fifth set (of 44 with an operation).
const FIFTH_TOP1: usize = 34;
const FIFTH_TOP5: usize = 42;
/// The same on the sixth set (of 60).
const SIXTH_TOP1: usize = 45;
const SIXTH_TOP5: usize = 54;
/// The same on the seventh set (of 60).
const SEVENTH_TOP1: usize = 44;
const SEVENTH_TOP5: usize = 54;
/// The same on the eighth set (of 60).
const EIGHTH_TOP1: usize = 45;
const EIGHTH_TOP5: usize = 57;
/// The same on the ninth set (of 60).
const NINTH_TOP1: usize = 41;
const NINTH_TOP5: usize = 56;

/// The fixture exports, by the `api` of the tasks.
const APIS: [(&str, &str); 3] =
    [("chromadb", "chromadb-1.5.9.json"), ("litellm", "litellm-1.110.2.json"), ("prefect", "prefect-3.9.1.json")];

fn fixture(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
    let tasks: Vec<Task> = fixture(&format!("tests/fixtures/search/{set}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{set}: {e}: {l}")))
        .collect();
    let mut scores = Vec::new();
    for (api, file) in APIS {
        let (docs, endpoints) = indexed(file);
        let index = Index::new(&docs);
        let mut score = Score::default();
        for task in tasks.iter().filter(|t| t.api == api) {
            let Some(expected) = &task.expected else {
                score.skipped.push(task.id.clone());
                continue;
            };
            let good: Vec<String> =
                std::iter::once(expected).chain(&task.also).map(|e| format!("{} {}", e.method, e.path)).collect();
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

#[test]
#[allow(clippy::print_stdout)] // the report goes to the test output (`--nocapture`)
fn search_quality() {
    let (scores, report) = evaluate("tasks.jsonl");
    println!("{report}");
    let (n, top1, top5) = totals(&scores);
    let skipped: usize = scores.iter().map(|(_, _, s)| s.skipped.len()).sum();
    assert_eq!((n, skipped), (90, 1), "the task set has 90 tasks with an operation and one without");
    // The figures reached (docs/performance.md): a change to the ranking may move single
    // tasks, not lose any overall.
    assert!(top5 >= TOP5, "top-5 fell to {top5}/{n} (was {TOP5}):\n{report}");
    assert!(top1 >= TOP1, "top-1 fell to {top1}/{n} (was {TOP1}):\n{report}");
}

/// The held-out set (`heldout.jsonl`, see the README there): 66 tasks, written and mapped
/// by others after the ranking above was built; its misses then found the rules of 12-05.
#[test]
fn search_quality_held_out() {
    holds("heldout.jsonl", 66, HELD_OUT_TOP1, HELD_OUT_TOP5);
}

/// The final set (`final.jsonl`, see the README there): 45 tasks, written and mapped by
/// others and kept unread by whoever tuned the ranking, run once when the tuning was done.
#[test]
fn search_quality_final() {
    holds("final.jsonl", 45, FINAL_TOP1, FINAL_TOP5);
}

/// The fourth set (`fourth.jsonl`, see the README there): 45 tasks, written by one helper
/// and mapped by another, neither reading the search code; measured once, as the ranking
/// stood, before anyone read it.
#[test]
fn search_quality_fourth() {
    holds("fourth.jsonl", 45, FOURTH_TOP1, FOURTH_TOP5);
}

/// The fifth set (`fifth.jsonl`, see the README there), made like the fourth while the
/// fourth was being measured; measured once, with the same ranking, before anyone read it.
#[test]
fn search_quality_fifth() {
    holds("fifth.jsonl", 44, FIFTH_TOP1, FIFTH_TOP5);
}

/// The sixth set (`sixth.jsonl`, see the README there): 60 tasks, made like the fifth,
/// while the ranking was tuned on the five sets before it; measured once, when that tuning
/// was done, before anyone read it.
#[test]
fn search_quality_sixth() {
    holds("sixth.jsonl", 60, SIXTH_TOP1, SIXTH_TOP5);
}

/// The seventh set (`seventh.jsonl`, see the README there): 60 tasks, made like the sixth
/// while the ranking was tuned again on the six sets before it; measured once, when that
/// tuning was done, before anyone read it.
#[test]
fn search_quality_seventh() {
    holds("seventh.jsonl", 60, SEVENTH_TOP1, SEVENTH_TOP5);
}

/// The eighth set (`eighth.jsonl`, see the README there): 60 tasks, made like the seventh
/// after the third pass was done, while a fourth was tried and dropped (it moved no task
/// into or out of the top 1 or top 5); measured once, before anyone read it.
#[test]
fn search_quality_eighth() {
    holds("eighth.jsonl", 60, EIGHTH_TOP1, EIGHTH_TOP5);
}

/// The ninth set (`ninth.jsonl`, see the README there): 60 tasks, made like the eighth
/// while the request body's schema name was added to what search reads; measured once,
/// when that was done, before anyone read it.
#[test]
fn search_quality_ninth() {
    holds("ninth.jsonl", 60, NINTH_TOP1, NINTH_TOP5);
}

/// `set` has `tasks` tasks, each with an operation, and the ranking still finds at least
/// `top1` first and `top5` in the top 5 (the figures reached, docs/performance.md).
#[allow(clippy::print_stdout)] // the report goes to the test output (`--nocapture`)
fn holds(set: &str, tasks: usize, top1: usize, top5: usize) {
    let (scores, report) = evaluate(set);
    println!("{report}");
    let (n, first, in_five) = totals(&scores);
    assert_eq!(n, tasks, "{set} has {tasks} tasks, each with an operation");
    assert!(in_five >= top5, "{set}: top-5 fell to {in_five}/{n} (was {top5}):\n{report}");
    assert!(first >= top1, "{set}: top-1 fell to {first}/{n} (was {top1}):\n{report}");
}

/// Tasks with an operation, ranked first, in the top 5.
fn totals(scores: &[(&str, usize, Score)]) -> (usize, usize, usize) {
    scores.iter().fold((0, 0, 0), |(n, a, b), (_, _, s)| (n + s.tasks, a + s.top1, b + s.top5))
}

/// What search costs, per API: building the index, and a query (the median over every
/// task of the eight sets, each run 20 times). A benchmark, not a test: it asserts nothing,
/// and is run in release by `make bench-search`.
#[test]
#[ignore = "a benchmark: `make bench-search`"]
#[allow(clippy::print_stdout)] // the figures go to the test output (`--nocapture`)
fn search_cost() {
    use std::time::Instant;
    let sets = [
        "tasks.jsonl",
        "heldout.jsonl",
        "final.jsonl",
        "fourth.jsonl",
        "fifth.jsonl",
        "sixth.jsonl",
        "seventh.jsonl",
        "eighth.jsonl",
        "ninth.jsonl",
    ];
    let tasks: Vec<Task> = sets
        .iter()
        .flat_map(|set| fixture(&format!("tests/fixtures/search/{set}")).lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
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
