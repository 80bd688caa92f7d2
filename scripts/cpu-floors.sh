#!/usr/bin/env bash
# `make bench`'s CPU per small call (a 2025 session, back to back), for the bridge and for
# the floors of `make bench-peer` (examples/loadgen/floor.rs: the same call on a minimal
# rmcp handler, on the bridge's HTTP stack without rmcp, on the standard library alone),
# interleaved in rounds so that the machine's load falls on all four alike. Usage:
#
#   scripts/cpu-floors.sh [SERVER_BIN] [LOADGEN_BIN]
#
# SERVER_BIN defaults to target/release/vtoc-mcp.shipped (as `make bench` builds it).
# Env: ROUNDS (default 5), REPS (default 3 per round), CALLS (default 2000 per rep).
# Prints one line a round and server (the median of its reps), then each server's median
# of rounds with their spread.
set -euo pipefail
bin=$(realpath "${1:-target/release/vtoc-mcp.shipped}")
loadgen=$(realpath "${2:-target/release/examples/loadgen}")
rounds=${ROUNDS:-5}
reps=${REPS:-3}
calls=${CALLS:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The load generator starts a server as `BIN serve --transport http --bind 127.0.0.1:0`, with
# the backend in VTOC_API_BASE_URL; a floor announces where it listens as the bridge does.
for floor in rmcp stack std; do
  case $floor in
  rmcp) flag=--rmcp ;;
  stack) flag= ;;
  std) flag=--std ;;
  esac
  printf '#!/bin/sh\nexec "%s" floor %s --port 0 --backend "$VTOC_API_BASE_URL"\n' "$loadgen" "$flag" >"$work/floor-$floor"
  chmod +x "$work/floor-$floor"
done

servers=(bridge floor-rmcp floor-stack floor-std)
for round in $(seq "$rounds"); do
  # Each server goes first in turn.
  shift_by=$(((round - 1) % ${#servers[@]}))
  order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
  for server in "${order[@]}"; do
    path=$work/$server
    [ "$server" = bridge ] && path=$bin
    "$loadgen" bench --only cpu --clients session --reps "$reps" --calls "$calls" --bin "$path" --baseline "" \
      --out "$work/$server.$round.json" >/dev/null 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
    median=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cpu_ms_per_call"]["small"]["median"])' "$work/$server.$round.json")
    printf 'round %s %-12s %.3f ms\n' "$round" "$server" "$median"
    echo "$median" >>"$work/$server.medians"
  done
done
echo
for server in "${servers[@]}"; do
  python3 - "$server" "$work/$server.medians" <<'PY'
import statistics, sys
values = [float(v) for v in open(sys.argv[2])]
print(f"{sys.argv[1]:<12} CPU per small call {statistics.median(values):.3f} ms ({min(values):.3f}–{max(values):.3f}) over {len(values)} rounds")
PY
done
