#!/usr/bin/env bash
# make check-size: fail when the stripped release binary is over its budget.
#
#   scripts/check-size.sh [BINARY]      (default target/release/vtoc-mcp)
#
# The budget is what the image ships (the Dockerfile strips the binary), stated with what
# each dependency costs in docs/performance.md ("Binary size"). Raise it there and here
# together, saying what the new bytes buy.
set -euo pipefail
budget_mib=${VTOC_BINARY_BUDGET_MIB:-18}
bin=${1:-target/release/vtoc-mcp}
[ -x "$bin" ] || { echo "check-size: no binary at $bin (cargo build --release first)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cp "$bin" "$tmp"
strip "$tmp"
bytes=$(stat -c %s "$tmp")
budget=$((budget_mib * 1024 * 1024))
mib=$(awk -v b="$bytes" 'BEGIN {printf "%.2f", b / 1048576}')
if [ "$bytes" -gt "$budget" ]; then
  echo "check-size: the stripped binary is $mib MiB ($bytes bytes), over its budget of $budget_mib MiB." >&2
  echo "  See what grew: cargo bloat --release --crates --bin vtoc-mcp (docs/performance.md, \"Binary size\")." >&2
  exit 1
fi
echo "check-size: the stripped binary is $mib MiB ($bytes bytes), within its budget of $budget_mib MiB."
