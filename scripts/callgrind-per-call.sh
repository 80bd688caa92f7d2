#!/usr/bin/env bash
# Instructions the server executes per small tool call, counted by valgrind's callgrind
# (repeatable on a noisy machine, unlike CPU time). Usage:
#
#   scripts/callgrind-per-call.sh SERVER_BIN [LOADGEN_BIN] [OUT_DIR]
#
# SERVER_BIN may also be `floor-rmcp`, `floor` or `floor-std`: the load generator's floors of
# `make bench-peer` (examples/loadgen/floor.rs: the same call on a minimal rmcp handler,
# on the bridge's HTTP stack without rmcp, or on the standard library alone), counted the same way.
#
# The loadgen's `bench --only cpu --clients session` runs twice, with the server under
# callgrind: N1 and N2 timed calls (same start-up, handshake and warm-up in both). The
# difference of the two whole-process counts divided by N2 - N1 is the cost of one call;
# everything else cancels. Both runs' profiles are kept (OUT_DIR/SERVER.N1.callgrind and
# SERVER.N2.callgrind): `scripts/callgrind-diff.py` turns them into a per-call profile.
# Prints one line a repetition: instructions per call, then the two totals.
# Env: N1 (default 300), N2 (default 1300), REPS (default 1: repeat and print each).
set -euo pipefail
loadgen=$(realpath "${2:-target/release/examples/loadgen}")
out=${3:-target/callgrind}
n1=${N1:-300}
n2=${N2:-1300}
reps=${REPS:-1}
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case "$1" in
floor-rmcp | floor-std | floor)
  name=$1
  flag=${1#floor}
  # The loadgen starts `BIN serve --transport http --bind 127.0.0.1:0` with the backend in
  # VTOC_API_BASE_URL, reads where it listens from its log, where a floor announces it too,
  # and stops it with SIGTERM, on which a floor exits with success as the bridge does.
  cat >"$work/server" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind -q --callgrind-out-file="$work/cg.%p" "$loadgen" floor ${flag:+-$flag} --port 0 --backend "\$VTOC_API_BASE_URL"
EOF
  ;;
*)
  bin=$(realpath "$1")
  name=$(basename "$bin")
  # The server, under callgrind, as the loadgen starts it (its pid is valgrind's: exec).
  cat >"$work/server" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind -q --callgrind-out-file="$work/cg.%p" "$bin" "\$@"
EOF
  ;;
esac
chmod +x "$work/server"

total() { # callgrind output file -> instructions
  awk '/^(summary|totals):/ {print $2; exit}' "$1"
}

run() { # calls -> total instructions of the server process
  rm -f "$work"/cg.*
  "$loadgen" bench --only cpu --clients session --reps 1 --calls "$1" --bin "$work/server" \
    --out "$work/result.json" >/dev/null 2>"$work/loadgen.log" || { cat "$work/loadgen.log" >&2; exit 1; }
  local f
  f=$(ls "$work"/cg.* | head -n 1)
  total "$f"
  cp "$f" "$work/last.callgrind"
}

for _ in $(seq "$reps"); do
  a=$(run "$n1")
  cp "$work/last.callgrind" "$out/$name.$n1.callgrind"
  b=$(run "$n2")
  cp "$work/last.callgrind" "$out/$name.$n2.callgrind"
  echo "$(( (b - a) / (n2 - n1) )) instructions/call ($name; $n1 calls: $a, $n2 calls: $b)"
done
