#!/usr/bin/env python3
"""Compare two per-call profiles (each from scripts/callgrind-per-call.sh's pair of runs):
which functions cost more or less per call in B than in A. Usage:

    scripts/callgrind-compare.py A.N1.callgrind A.N2.callgrind B.N1.callgrind B.N2.callgrind CALLS
        [--inclusive] [--top 40]

Function names are matched without the binary's path."""

import argparse
import importlib.util
import os
import re

spec = importlib.util.spec_from_file_location("cgdiff", os.path.join(os.path.dirname(__file__), "callgrind-diff.py"))
cgdiff = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cgdiff)


def per_call(n1: str, n2: str, calls: int, inclusive: bool) -> dict[str, float]:
    one, two = cgdiff.flat(n1, inclusive), cgdiff.flat(n2, inclusive)
    out: dict[str, float] = {}
    for k in set(one) | set(two):
        name = re.sub(r"\s*\[[^\]]*\]$", "", k)
        out[name] = out.get(name, 0) + (two.get(k, 0) - one.get(k, 0)) / calls
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a1")
    ap.add_argument("a2")
    ap.add_argument("b1")
    ap.add_argument("b2")
    ap.add_argument("calls", type=int)
    ap.add_argument("--inclusive", action="store_true")
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    pa = per_call(a.a1, a.a2, a.calls, a.inclusive)
    pb = per_call(a.b1, a.b2, a.calls, a.inclusive)
    rows = sorted(((pb.get(k, 0) - pa.get(k, 0), k) for k in set(pa) | set(pb)), key=lambda r: -abs(r[0]))
    print(f"{'B - A':>10} {'A':>10} {'B':>10}  function (instructions per call)")
    for delta, name in rows[: a.top]:
        print(f"{delta:>+10,.0f} {pa.get(name, 0):>10,.0f} {pb.get(name, 0):>10,.0f}  {name[:170]}")


if __name__ == "__main__":
    main()
