#!/usr/bin/env python3
"""Who calls a function, per call, from the two callgrind runs of
scripts/callgrind-per-call.sh: for each caller of FUNCTION, the cost of its calls to it
and how many it makes, in the run with N2 calls minus the run with N1, divided by
CALLS (N2 - N1), so start-up and warm-up cancel. Usage:

    scripts/callgrind-callers.py N1.callgrind N2.callgrind FUNCTION CALLS [--top 25]

FUNCTION is matched as a substring of the callee's name (`__memcpy_avx_unaligned_erms`,
`_int_free`). Reads the callgrind files directly (their `cfn=`/`calls=` lines), so no
caller is lost to callgrind_annotate's thresholds."""

import argparse
import re
from collections import Counter

NAMED = re.compile(r"^(fn|cfn)=\((\d+)\)(?: (.*))?$")


def callers(path: str, function: str) -> tuple[Counter, Counter]:
    """Per caller: the inclusive cost of its calls to `function`, and their number."""
    names: dict[str, str] = {}
    cost: Counter = Counter()
    count: Counter = Counter()
    caller = callee = None
    pending = None  # (callee, calls) of a `calls=` line: its cost is on the next line
    with open(path, errors="replace") as f:
        for line in f:
            m = NAMED.match(line.rstrip("\n"))
            if m:
                kind, idx, name = m.groups()
                if name is not None:
                    names[idx] = name
                if kind == "fn":
                    caller = names.get(idx, idx)
                else:
                    callee = names.get(idx, idx)
                continue
            if line.startswith("calls="):
                pending = (callee, int(line.split("=", 1)[1].split()[0]))
                continue
            if pending:
                parts = line.split()
                if len(parts) >= 2 and function in (pending[0] or ""):
                    cost[caller] += int(parts[1])
                    count[caller] += pending[1]
                pending = None
    return cost, count


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n1")
    p.add_argument("n2")
    p.add_argument("function")
    p.add_argument("calls", type=int)
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    c1, k1 = callers(a.n1, a.function)
    c2, k2 = callers(a.n2, a.function)
    rows = sorted(((c2[f] - c1[f]) / a.calls, (k2[f] - k1[f]) / a.calls, f) for f in c2)
    rows.reverse()
    print(f"{sum(r[0] for r in rows):,.0f} instructions per call in {a.function}, by caller "
          "(instructions, calls, caller):")
    for cost, calls, name in rows[: a.top]:
        print(f"{cost:9,.0f} {calls:6.1f}  {name}")


if __name__ == "__main__":
    main()
