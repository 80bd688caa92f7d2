#!/usr/bin/env bash
# Regenerate scripts/symbol-order.txt: the functions a server runs, which release builds
# lay out side by side (build.rs, `symbol_order`). Usage:
#
#   scripts/symbol-order.sh [SERVER_BIN] [LOADGEN_BIN]
#
# Runs the load generator's `bench --only cpu` (a 2025 session client and a 2026-07-28
# stateless one, 200 small calls each) twice with the server under valgrind's callgrind,
# once as `make bench` starts it and once with the contract check on (what a deployment
# against a real backend runs at start-up), and writes every function that ran, by its
# symbol name, sorted. Needs valgrind. SERVER_BIN must keep its symbols (the release
# build does; the image strips its copy), and be built alone (`cargo build --release --bin
# vtoc-mcp`, as the image is): built beside the example, its dependencies get the
# dev-dependencies' features, and most generic functions other symbol hashes.
set -euo pipefail
bin=$(realpath "${1:-target/release/vtoc-mcp}")
loadgen=${2:-target/release/examples/loadgen}
out=scripts/symbol-order.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for check in off warn; do
  cat >"$work/server" <<WRAP
#!/bin/sh
VTOC_CONTRACT_CHECK=$check exec valgrind --tool=callgrind -q --demangle=no --compress-strings=no --dump-instr=no \
  --callgrind-out-file="$work/cg.$check.%p" "$bin" "\$@"
WRAP
  chmod +x "$work/server"
  "$loadgen" bench --only cpu --reps 1 --calls 200 --bin "$work/server" --out "$work/result.json" \
    >/dev/null 2>"$work/loadgen.log" || { cat "$work/loadgen.log" >&2; exit 1; }
done

# `fn=NAME` lines name every function callgrind saw run; keep the ones the binary defines.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$work/defined"
sed -n 's/^fn=//p' "$work"/cg.* | sort -u | comm -12 - "$work/defined" >"$work/ran"

# Each name as the linker script will match it (build.rs, `hot_text_script`). A generic
# function's hash (`17h…E`) changes with the crate's build metadata (a dependency added or
# bumped, features unified), and LTO's `.llvm.N` suffix with the code around it, so where
# the name without them is unique in this binary it is written with wildcards, and
# survives them; a generic function's instances share one such name and stay exact (a
# wildcard would pull every instance in).
python3 - "$work/ran" "$work/defined" >"$out" <<'PY'
import re, sys
from collections import Counter
def key(name):
    name = re.sub(r"(\.llvm)?(\.[0-9]+)+$", "", name)
    return re.sub(r"17h[0-9a-f]{16}E$", "17h*E", name)
ran = open(sys.argv[1]).read().split()
count = Counter(key(n) for n in open(sys.argv[2]).read().split())
for name in ran:
    k = key(name)
    print(k + "*" if count[k] == 1 else name)
PY
echo "$(wc -l <"$out") functions in $out (of $(wc -l <"$work/defined") in $(basename "$bin")), $(grep -c '[*]$' "$out") as patterns"
