#!/usr/bin/env python3
"""What building the bridge costs per API: generation (the build script), compiling the
crate from clean and after a spec edit, and the size of what is generated and built.

For each spec (vTOC's and the real exports in tests/fixtures/specs/), in one target
directory whose dependencies are already built (the first spec pays for them, and is
measured again after), this runs:

  cargo clean -p vtoc-mcp; cargo build --timings --bin vtoc-mcp   (clean: the crate only)
  edit one operation's summary; cargo build --bin vtoc-mcp        (after a spec edit)

and reads the build script's run time and the library's compile time from Cargo's
timings report. Debug builds, as developers and CI build. Prints a Markdown table and
writes target/build-cost/results.json.

Usage: scripts/build-cost.py [--target DIR] [SPEC ...]   (make build-cost)
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SPECS = [
    ("vTOC (openapi/vtoc.json)", ROOT / "openapi/vtoc.json", ROOT / "openapi/mcp-overrides.json"),
    ("Chroma 1.5.9", ROOT / "tests/fixtures/specs/chromadb-1.5.9.json", None),
    ("Prefect 3.9.1", ROOT / "tests/fixtures/specs/prefect-3.9.1.json", None),
    ("LiteLLM 1.110.2", ROOT / "tests/fixtures/specs/litellm-1.110.2.json", None),
]


def operations(spec):
    doc = json.loads(spec.read_text())
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(1 for item in doc.get("paths", {}).values() for m in item if m in methods)


def cargo(args, env):
    started = time.monotonic()
    run = subprocess.run(["cargo", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-4000:])
        raise SystemExit(f"cargo {' '.join(args)} failed")
    return elapsed, run.stderr


def timings(target):
    """(build script run, library compile) seconds from the newest Cargo timings report."""
    reports = sorted((target / "cargo-timings").glob("cargo-timing-*.html"), key=os.path.getmtime)
    html = reports[-1].read_text()
    units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
    ours = [u for u in units if u["name"] == "vtoc-mcp"]
    script = sum(u["duration"] for u in ours if u.get("mode") == "run-custom-build")
    lib = sum(u["duration"] for u in ours if u.get("mode") == "todo" and u.get("target", "") == "")
    return script, lib


def measure(label, original, overrides, target):
    # A copy, so the edit below never touches the repository.
    spec = target / "specs" / original.name
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(original.read_text())
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), VTOC_MCP_SPEC=str(spec), CARGO_TERM_COLOR="never")
    env["VTOC_MCP_OVERRIDES"] = str(overrides) if overrides else ""
    cargo(["build", "--locked", "--bin", "vtoc-mcp"], env)  # dependencies, once
    cargo(["clean", "--locked", "-p", "vtoc-mcp"], env)
    clean, _ = cargo(["build", "--locked", "--timings", "--bin", "vtoc-mcp"], env)
    script, lib = timings(target)
    doc = json.loads(spec.read_text())
    first = next(op for item in doc["paths"].values() for op in item.values() if isinstance(op, dict) and "responses" in op)
    first["summary"] = (first.get("summary") or "") + " (edited)"
    spec.write_text(json.dumps(doc))
    incremental, _ = cargo(["build", "--locked", "--bin", "vtoc-mcp"], env)
    out = max(target.glob("debug/build/vtoc-mcp-*/out/tools.json"), key=os.path.getmtime).parent
    manifest = json.loads((out / "tools.json").read_text())
    row = {
        "api": label,
        "operations": operations(original),
        "tools": len(manifest["tools"]),
        "excluded": len(manifest["excluded"]),
        "generated_client_bytes": (out / "client.rs").stat().st_size,
        "generated_tools_bytes": (out / "tools.rs").stat().st_size,
        "generation_s": round(script, 1),
        "crate_compile_s": round(lib, 1),
        "clean_build_s": round(clean, 1),
        "incremental_build_s": round(incremental, 1),
        "debug_binary_bytes": (target / "debug/vtoc-mcp").stat().st_size,
    }
    print(json.dumps(row), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=str(ROOT / "target/build-cost"))
    parser.add_argument("specs", nargs="*")
    args = parser.parse_args()
    target = pathlib.Path(args.target)
    specs = [(s, pathlib.Path(s).resolve(), None) for s in args.specs] or DEFAULT_SPECS
    rows = [measure(label, spec, overrides, target) for label, spec, overrides in specs]
    out = ROOT / "target/build-cost"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    print("\n| API | operations | tools (excluded) | generated client + tools | generation | crate compile | clean build | after a spec edit | debug binary |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        mb = (r["generated_client_bytes"] + r["generated_tools_bytes"]) / 1e6
        print(
            f"| {r['api']} | {r['operations']} | {r['tools']} ({r['excluded']}) | {mb:.1f} MB | {r['generation_s']} s "
            f"| {r['crate_compile_s']} s | {r['clean_build_s']} s | {r['incremental_build_s']} s | {r['debug_binary_bytes'] / 1e6:.0f} MB |"
        )


if __name__ == "__main__":
    main()
