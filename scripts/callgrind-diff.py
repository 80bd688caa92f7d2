#!/usr/bin/env python3
"""Per-call profile from two callgrind runs of scripts/callgrind-per-call.sh: the cost of
each function in the run with N2 calls minus its cost in the run with N1, divided by
N2 - N1, so start-up and warm-up cancel. Usage:

    scripts/callgrind-diff.py N1.callgrind N2.callgrind CALLS [--inclusive] [--top 40]

CALLS is N2 - N1. Prints instructions per call and share, highest first."""

import argparse
import re
import subprocess
from collections import defaultdict


def flat(path: str, inclusive: bool) -> dict[str, int]:
    out = subprocess.run(
        ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", path],
        check=True, capture_output=True, text=True).stdout
    costs: dict[str, int] = defaultdict(int)
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not m or ":" not in m.group(2):
            continue
        name = m.group(2)
        name = re.sub(r"^\S*?:(?=[^/])", "", name, count=1) if not name.startswith("???") else name
        costs[name] += int(m.group(1).replace(",", ""))
    return costs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n1")
    ap.add_argument("n2")
    ap.add_argument("calls", type=int)
    ap.add_argument("--inclusive", action="store_true")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--grep", default=None, help="only functions matching this regex")
    a = ap.parse_args()
    one, two = flat(a.n1, a.inclusive), flat(a.n2, a.inclusive)
    total_one = subprocess.run(["awk", "/^(summary|totals):/ {print $2; exit}", a.n1], capture_output=True, text=True).stdout
    total_two = subprocess.run(["awk", "/^(summary|totals):/ {print $2; exit}", a.n2], capture_output=True, text=True).stdout
    per_call = (int(total_two) - int(total_one)) / a.calls
    rows = sorted(((two.get(k, 0) - one.get(k, 0)) / a.calls, k) for k in set(one) | set(two))
    rows.reverse()
    print(f"{per_call:,.0f} instructions per call ({'inclusive' if a.inclusive else 'self'} cost per function)")
    shown = 0
    for cost, name in rows:
        if a.grep and not re.search(a.grep, name):
            continue
        print(f"{cost:>10,.0f} {100 * cost / per_call:5.1f}%  {name[:200]}")
        shown += 1
        if shown >= a.top:
            break


if __name__ == "__main__":
    main()
