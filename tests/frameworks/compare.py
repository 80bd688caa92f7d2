"""Reads the drivers' results, prints the tables, writes report.json, and compares the run with
expected.tsv (stdlib only; the machine's python3 runs it).

    compare.py --results DIR --expected FILE [--report FILE] [--update] [--convert-only]

Exit status: 0 when nothing regressed; 1 on a regression (a clean cell that is not clean any
more, an exception with a problem it did not have, an invocation that no longer behaves, a
tool or scenario the expected file does not list with a problem); 2 when a driver's result
is missing. --convert-only (the --tools mode) prints the comparison but never fails.
--update rewrites the expected file from this run (notes written by hand are kept while the
row's issues stay the same).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FRAMEWORKS = ["openai-agents", "langchain", "pydantic-ai", "llamaindex", "adk"]
SHORT = {"openai-agents": "agents", "langchain": "langchain", "pydantic-ai": "pydantic-ai", "llamaindex": "llamaindex",
         "adk": "adk"}
COL = {"openai-agents": "agents", "langchain": "lc", "pydantic-ai": "pai", "llamaindex": "li", "adk": "adk"}
PROV_SHORT = {"openai": "openai", "gemini": "gemini", "gemini-legacy": "legacy"}
PROVIDER_ORDER = ["openai", "gemini", "gemini-legacy"]


def providers_of(result: dict) -> list:
    return sorted(result["providers"], key=lambda p: PROVIDER_ORDER.index(p) if p in PROVIDER_ORDER else 9)
SCENARIOS = ["read", "bad-argument", "partial-update", "clear", "strict-partial-update", "strict-clear",
             "delete-refused", "delete-confirmed"]

HEADER = """\
# Expected results of `make check-frameworks` (scripts/check-frameworks.sh; tests/frameworks/).
# Tab-separated: framework, provider, item, status, issues, note.
#   provider  openai (OpenAI strict), gemini, gemini-legacy (ADK's older Schema conversion),
#             or `invoke` for the invocation scenarios (item = scenario)
#   status    tools: clean | exception; scenarios: pass | exception | n/a
#   issues    exception: the problem codes, `; `-separated (tests/frameworks/common.py,
#             cell_problems; scenarios: scenarios.py). A run with a problem not listed here
#             fails; a listed problem that is gone is printed as an improvement.
#   note      why, for a reader (kept across regeneration while the issues stay the same)
# Regenerate after a deliberate change: UPDATE_EXPECTED=1 make check-frameworks
# framework	provider	item	status	issues	note
"""


def load_results(directory: str, label: str) -> dict:
    out = {}
    for fw in FRAMEWORKS:
        path = os.path.join(directory, f"{fw}.{label}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                out[fw] = json.load(f)
    return out


def load_expected(path: str) -> dict:
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (6 - len(parts))
            fw, prov, item, status, issues, note = parts[:6]
            rows[(fw, prov, item)] = {
                "status": status,
                "issues": [i.strip() for i in issues.split(";") if i.strip()],
                "note": note,
            }
    return rows


def explain(issues: list, errors: list) -> str:
    """A reader's note for an exception: the framework's own error first, then what each kind
    of problem means, with the fields it concerns."""
    kinds: dict[str, list] = {}
    for code in issues:
        if code.startswith("changed:"):
            path, what = code[len("changed:"):].rsplit(":", 1) if code.count(":") == 2 else (
                code.split(":")[1], ":".join(code.split(":")[2:]))
            kinds.setdefault(what.split(":")[0] if not what.startswith("type") else what, []).append(path)
        elif code.startswith(("strict:", "gemini:")):
            rule, _, path = code.partition("@")
            kinds.setdefault(rule, []).append(path or "(root)")
        elif code.startswith("hidden:"):
            kinds.setdefault("hidden", []).append(code[len("hidden:"):])
        else:
            kinds.setdefault(code, [])
    words = {
        "now-required": "must now be sent (optional in ours, required and not nullable here)",
        "null-dropped": "lose null (the model cannot send null)",
        "null-added": "gain null",
        "now-optional": "are no longer required",
        "closed": "free-form object closed (additionalProperties false, no properties: nothing can be sent)",
        "free-form": "become a free-form object",
        "enum-dropped": "lose their enum",
        "hidden": "hidden from the model",
        "strict:keyword-default": "carry `default`, not allowed in OpenAI strict mode",
        "strict:additionalProperties-not-false": "objects left open (strict needs additionalProperties false)",
        "strict:no-properties": "objects without properties",
        "gemini:empty-object": "OBJECT without properties (Gemini API: should be non-empty for OBJECT type)",
        "non-strict": "served without strict",
        "rejected": "the request cannot be built",
        "not-loaded": "not loaded",
    }
    parts = []
    if errors:
        parts.append(errors[0])
    for kind, paths in kinds.items():
        if kind in ("non-strict", "rejected", "not-loaded") and errors:
            continue
        label = words.get(kind) or (f"type changes {kind[5:]}" if kind.startswith("type:") else kind)
        parts.append(f"{', '.join(paths[:4])}{' ...' if len(paths) > 4 else ''}: {label}" if paths else label)
    return "; ".join(parts)


def actual_rows(results: dict) -> dict:
    rows = {}
    for fw, r in results.items():
        for prov, p in r["providers"].items():
            for tool, cell in p["cells"].items():
                problems = common.cell_problems(cell)
                note = explain(problems, cell.get("errors") or []) if problems else ""
                rows[(fw, prov, tool)] = {"status": "exception" if problems else "clean", "issues": problems,
                                          "note": note}
        for scen, res in (r.get("invocations") or {}).items():
            outcome = res.get("outcome", "missing")
            if outcome.startswith("n/a"):
                status, issues = "n/a", [outcome]
            elif outcome == "ok":
                status, issues = "pass", []
            else:
                status, issues = "exception", [x for x in outcome.split(",") if x]
            note = re.sub(r"/(\d+)\b", "/ID", res.get("model_sees", ""))[:160] if status != "pass" else ""
            rows[(fw, "invoke", scen)] = {"status": status, "issues": issues, "note": note}
    return rows


def compare(expected: dict, actual: dict) -> tuple[list, list, list]:
    regressions, improvements, notes, unlisted_clean = [], [], [], []
    for key, a in sorted(actual.items()):
        e = expected.get(key)
        name = "/".join(key)
        if e is None:
            if a["status"] in ("clean", "pass"):
                unlisted_clean.append(name)
            else:
                regressions.append(f"{name}: {a['status']} and not in the expected file: {'; '.join(a['issues'])}")
            continue
        if e["status"] == "n/a":
            if a["status"] != "n/a":
                improvements.append(f"{name}: was n/a, now {a['status']} {'; '.join(a['issues'])}".rstrip())
            continue
        new = [i for i in a["issues"] if i not in e["issues"]]
        gone = [i for i in e["issues"] if i not in a["issues"]]
        if a["status"] == "n/a":
            regressions.append(f"{name}: expected {e['status']}, now n/a")
        elif new:
            regressions.append(f"{name}: expected {e['status']}, now: {'; '.join(new)}")
        if gone and a["status"] != "n/a":
            improvements.append(f"{name}: no longer {'; '.join(gone)}" + (" (now clean)" if not a["issues"] else ""))
    if unlisted_clean:
        notes.append(f"{len(unlisted_clean)} clean cell(s) not in the expected file (add them: UPDATE_EXPECTED=1): "
                     + ", ".join(unlisted_clean[:6]) + (" ..." if len(unlisted_clean) > 6 else ""))
    gone = sorted(set(expected) - set(actual))
    for key in [k for k in gone if k[1] == "invoke"]:
        regressions.append(f"{'/'.join(key)}: expected {expected[key]['status']}, not run")
    gone = [k for k in gone if k[1] != "invoke"]
    if gone:
        notes.append(f"{len(gone)} row(s) of the expected file not in this run: "
                     + ", ".join("/".join(k) for k in gone[:6]) + (" ..." if len(gone) > 6 else ""))
    return regressions, improvements, notes


def write_expected(path: str, expected: dict, actual: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        order = {fw: i for i, fw in enumerate(FRAMEWORKS)}
        for key in sorted(actual, key=lambda k: (order.get(k[0], 99), k[1] == "invoke", k[1],
                                                SCENARIOS.index(k[2]) if k[2] in SCENARIOS else 0, k[2])):
            a = actual[key]
            old = expected.get(key)
            note = old["note"] if old and old["issues"] == a["issues"] and old["note"] else a["note"]
            note = " ".join(str(note).split()).replace("\t", " ")
            f.write("\t".join([*key, a["status"], "; ".join(a["issues"]), note]) + "\n")


def summary(results: dict) -> dict:
    out = {}
    for fw in [f for f in FRAMEWORKS if f in results]:
        r = results[fw]
        for prov in providers_of(r):
            p = r["providers"][prov]
            cells = p["cells"]
            probs = {t: common.cell_problems(c) for t, c in cells.items()}
            out[(fw, prov)] = {
                "tools": len(cells),
                "loaded": sum(1 for c in cells.values() if c["loaded"]),
                "clean": sum(1 for v in probs.values() if not v),
                "exceptions": sum(1 for v in probs.values() if v),
                "rejected": sum(1 for c in cells.values() if c.get("rejected")),
                "non_strict": sum(1 for c in cells.values() if c["strict"] is False),
                "strict_invalid": sum(1 for c in cells.values() if c["strict"] and c["violations"]),
                "hiding": sum(1 for c in cells.values() if c["hidden"]),
                "hidden_fields": sum(len(c["hidden"]) for c in cells.values()),
                "changing": sum(1 for c in cells.values() if c["changes"]),
                "bytes": p["bytes"],
                "tools_sent": p["tools_sent"],
                "request_error": p.get("request_error"),
            }
    return out


def letters(problems: list) -> str:
    if not problems:
        return "."
    out = ""
    for code, letter in (("not-loaded", "L"), ("not-converted", "X"), ("rejected", "R"), ("non-strict", "N"),
                         ("strict:", "S"), ("gemini:", "G"), ("hidden:", "H"), ("changed:", "C")):
        if any(p == code or p.startswith(code) for p in problems):
            out += letter
    return out or "?"


def print_matrix(results: dict) -> None:
    cols = [(fw, prov) for fw in FRAMEWORKS if fw in results for prov in providers_of(results[fw])]
    tools = sorted({t for fw, prov in cols for t in results[fw]["providers"][prov]["cells"]})
    heads = [f"{COL[fw]}:{PROV_SHORT.get(prov, prov)}" for fw, prov in cols]
    width = max(len(t) for t in tools) if tools else 10
    print("Per tool (. clean; L not loaded, X not converted, R rejected, N served non-strict, S strict-invalid,")
    print("G refused by the Gemini API, H fields hidden from the model, C fields whose type/nullability changed)")
    print("B:...: bytes of the tool as that framework sends it to that provider (compact JSON)")
    byte_cols = [c for c in (("openai-agents", "openai"), ("pydantic-ai", "gemini")) if c in cols]
    byte_heads = [f"B:{COL[fw]}:{PROV_SHORT[prov]}" for fw, prov in byte_cols]
    print(" " * width + "  " + "  ".join(h.rjust(max(len(h), 4)) for h in heads + byte_heads))
    for t in tools:
        row = []
        for (fw, prov), h in zip(cols, heads):
            cell = results[fw]["providers"][prov]["cells"].get(t)
            row.append((letters(common.cell_problems(cell)) if cell else "-").rjust(max(len(h), 4)))
        for (fw, prov), h in zip(byte_cols, byte_heads):
            n = (results[fw]["providers"][prov]["cells"].get(t) or {}).get("bytes")
            row.append((f"{n:,}" if isinstance(n, int) else "-").rjust(len(h)))
        print(t.ljust(width) + "  " + "  ".join(row))


def fmt_bytes(n) -> str:
    return f"{n:,}" if isinstance(n, int) else "-"


def print_summary(ours: dict, fast: dict) -> None:
    s_ours, s_fast = summary(ours), summary(fast)
    print()
    print("framework      provider     loaded  clean  exceptions  rejected  non-strict  strict-invalid  hiding(fields)"
          "  changing   bytes ours  bytes FastMCP")
    for key, s in s_ours.items():
        fw, prov = key
        f = s_fast.get(key)
        print(f"{fw:<14} {prov:<13}{s['loaded']:>3}/{s['tools']:<3} {s['clean']:>5}  {s['exceptions']:>10}  "
              f"{s['rejected']:>8}  {s['non_strict']:>10}  {s['strict_invalid']:>14}  "
              f"{str(s['hiding']) + '(' + str(s['hidden_fields']) + ')':>14}  {s['changing']:>8}  "
              f"{fmt_bytes(s['bytes']):>11}  {fmt_bytes(f['bytes']) if f else '-':>13}")
        if s["request_error"]:
            print(f"{'':<28}the whole request fails: {s['request_error'][:110]}")
    if s_fast:
        print()
        print("FastMCP through the same frameworks (reported, not compared with expected.tsv):")
        for key, f in s_fast.items():
            print(f"  {key[0]:<14} {key[1]:<13} loaded {f['loaded']}/{f['tools']}, clean {f['clean']}, rejected "
                  f"{f['rejected']}, non-strict {f['non_strict']}, strict-invalid {f['strict_invalid']}, hiding "
                  f"{f['hiding']}, changing {f['changing']}")


def print_invocations(results: dict) -> None:
    fws = [fw for fw in FRAMEWORKS if results.get(fw, {}).get("invocations")]
    if not fws:
        return
    print()
    print("Invocations through each framework's tool object (checked against the demo backend):")
    print(f"{'scenario':<24}" + "".join(f"{SHORT[fw]:<26}" for fw in fws))
    for scen in SCENARIOS:
        row = []
        for fw in fws:
            res = results[fw]["invocations"].get(scen)
            row.append((res or {}).get("outcome", "-")[:25])
        print(f"{scen:<24}" + "".join(f"{x:<26}" for x in row))
    print()
    print("What the model is shown for a bad argument (get_poi with poi_id \"not-a-number\"):")
    for fw in fws:
        seen = results[fw]["invocations"].get("bad-argument", {}).get("model_sees", "")
        print(f"  {SHORT[fw]:<12} {' '.join(seen.split())[:200]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--report")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--convert-only", action="store_true")
    ap.add_argument("--fastmcp-recorded", help="a recorded FastMCP run (used when this run has none)")
    ap.add_argument("--frameworks", help="comma-separated: compare these frameworks only (--only)")
    a = ap.parse_args()
    if a.frameworks:
        FRAMEWORKS[:] = [f for f in FRAMEWORKS if f in a.frameworks.split(",")]

    ours = load_results(a.results, "ours")
    fast = load_results(a.results, "fastmcp")
    fast_source = "this run" if fast else None
    if not fast and a.fastmcp_recorded and os.path.exists(a.fastmcp_recorded):
        with open(a.fastmcp_recorded, encoding="utf-8") as f:
            rec = json.load(f)
        fast = rec.get("results", {})
        fast_source = f"recorded {rec.get('recorded', '?')} (fastmcp {rec.get('fastmcp_version', '?')})"
    missing = [fw for fw in FRAMEWORKS if fw not in ours]

    print_matrix(ours)
    print_summary(ours, fast)
    if fast_source:
        print(f"(FastMCP: {fast_source})")
    print_invocations(ours)

    expected = {k: v for k, v in load_expected(a.expected).items() if k[0] in FRAMEWORKS}
    actual = actual_rows(ours)
    if a.convert_only:
        actual = {k: v for k, v in actual.items() if k[1] != "invoke"}
        expected = {k: v for k, v in expected.items() if k[1] != "invoke"}
    regressions, improvements, notes = compare(expected, actual)

    if a.report:
        report = {
            "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "versions": {fw: r["versions"] for fw, r in ours.items()},
            "fastmcp": {"source": fast_source,
                        "versions": {fw: r.get("versions") for fw, r in fast.items()}} if fast_source else None,
            "summary": [{"framework": k[0], "provider": k[1], **v, "bytes_fastmcp": summary(fast).get(k, {}).get("bytes")}
                        for k, v in summary(ours).items()],
            "fastmcp_summary": [{"framework": k[0], "provider": k[1], **v} for k, v in summary(fast).items()],
            "invocations": {fw: r.get("invocations") for fw, r in ours.items()},
            "cells": {f"{k[0]}/{k[1]}/{k[2]}": v for k, v in actual.items()},
            # Bytes of each tool as the framework sends it, ours and FastMCP's (its own names).
            "tool_bytes": {label: {f"{fw}/{prov}": {t: c.get("bytes") for t, c in p["cells"].items()}
                                   for fw, r in res.items() for prov, p in r["providers"].items()}
                           for label, res in (("ours", ours), ("fastmcp", fast))},
            "regressions": regressions,
            "improvements": improvements,
        }
        with open(a.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, default=str)
            f.write("\n")

    if a.update:
        if len(FRAMEWORKS) < 5:
            print("\nnot writing the expected file from a run of some frameworks only (--only)")
            return 2
        write_expected(a.expected, load_expected(a.expected), actual_rows(ours))
        print(f"\nwrote {a.expected} from this run ({len(actual_rows(ours))} rows)")
        return 0 if not missing else 2

    print()
    for n in notes:
        print(f"note: {n}")
    for i in improvements:
        print(f"improved: {i}")
    for r in regressions:
        print(f"REGRESSION: {r}")
    if missing:
        print(f"MISSING: no result from {', '.join(missing)}")
    if a.convert_only:
        print(f"convert-only: {len(regressions)} difference(s) from {a.expected} that would fail the full run, "
              f"{len(improvements)} improvement(s)")
        return 0 if not missing else 2
    n_pass = sum(1 for k, v in actual.items() if k in expected and not [i for i in v["issues"] if i not in expected[k]["issues"]])
    print(f"check-frameworks: {n_pass} passed, {len(regressions)} failed")
    if missing:
        return 2
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
