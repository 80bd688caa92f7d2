#!/usr/bin/env bash
# `make check-frameworks`: the MCP tools through five agent frameworks, as an agent host loads
# them (issue 21). No model API is called: each framework is driven up to the point where a
# model would be, and what it would send is measured.
#
#   scripts/check-frameworks.sh                  the full run (what CI runs)
#   scripts/check-frameworks.sh --tools FILE     convert only: a tools/list JSON file (as
#                                                `target/debug/vtoc-mcp tools --json` prints it)
#                                                through every converter, no server; prints the
#                                                per-tool table and bytes, and the differences
#                                                from tests/frameworks/expected.tsv (never fails)
#   UPDATE_EXPECTED=1 scripts/check-frameworks.sh   rewrite tests/frameworks/expected.tsv from
#                                                this run (after a deliberate change)
# Fast loop while changing the generator:
#   MCP_ALLOW_WRITES=true MCP_LOCAL_SCOPE=vtoc:admin target/debug/vtoc-mcp tools --json > /tmp/t.json
#   scripts/check-frameworks.sh --tools /tmp/t.json
#
# Frameworks (one pinned venv each, target/frameworks/NAME, installed from PyPI by this script
# and reinstalled only when tests/frameworks/NAME.txt changes): openai-agents, langchain,
# pydantic-ai, llamaindex, adk; fastmcp for the comparison. Drivers: tests/frameworks/drive_*.py.
#
# The full run starts the demo backend (`vtoc-mcp demo-backend`), `vtoc-mcp serve` against it
# (HTTP, writes allowed, admin local caller, every tool listed), and FastMCP 4's
# `FastMCP.from_openapi(openapi/vtoc.json)` against the same backend, all on free loopback
# ports, and stops them on exit. For each framework and provider (OpenAI strict, Gemini) and
# each tool: loaded, converted, strict-valid, the fields the model sees and those whose type
# or nullability changed, and the bytes of the converted list, ours and FastMCP's. Then the
# invocations through the framework's own tool object, checked against the backend over REST:
# a read, a bad argument, a partial update, a field clear (and both again as a strict-mode
# model must send them), a destructive delete refused without a confirmation handler and done
# with an accepting one. tests/frameworks/expected.tsv says what each cell and scenario does;
# any regression fails the run, an improvement is printed.
#
# Options:  --tools FILE   convert only (above)
#           --only A,B     these frameworks only (the full run then fails on the others' absence)
# Env:      VTOC_MCP_BIN (default target/debug/vtoc-mcp), FASTMCP=0 skips FastMCP (the table then
#           shows tests/frameworks/fastmcp-recorded.json), UPDATE_EXPECTED=1.
# Output:   the tables on stdout; target/frameworks/report.json; per-framework results and logs
#           in target/frameworks/run/ (convert-only: target/frameworks/convert/, with its
#           report.json). Runs may overlap: each writes its own directory and renames it there
#           when done; venv installs take turns (a lock).
# Exit:     0 ok, 1 regression, 2 setup problem.
set -euo pipefail
started=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

dir=tests/frameworks
venvs=target/frameworks
all_frameworks=(openai-agents langchain pydantic-ai llamaindex adk)
frameworks=("${all_frameworks[@]}")
tools_file=
while [ $# -gt 0 ]; do
  case "$1" in
    --tools) tools_file=${2:?--tools needs a file}; shift 2 ;;
    --only) IFS=, read -r -a frameworks <<<"${2:?--only needs names}"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-frameworks: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
die() { echo "check-frameworks: $*" >&2; exit 2; }
driver_of() { echo "$dir/drive_${1//-/_}.py"; }

# 1. One venv per framework, pinned; (re)installed only when its requirements file changed.
#    Installs run side by side (they wait on the network more than on the CPU).
want_fastmcp=0
if [ -z "$tools_file" ] && [ "${FASTMCP:-1}" != 0 ]; then want_fastmcp=1; fi
envs=("${frameworks[@]}")
[ "$want_fastmcp" = 1 ] && envs+=(fastmcp)
# Runs may overlap (a developer's convert-only loop beside a full run): one installs at a time.
mkdir -p "$venvs"
exec 9>"$venvs/.install.lock"
flock 9
declare -A install_pid=()
for name in "${envs[@]}"; do
  req="$dir/$name.txt"
  [ -f "$req" ] || die "no requirements file $req"
  venv="$venvs/$name"
  stamp=$(sha256sum "$req" | cut -d' ' -f1)
  if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$stamp" ] && [ -x "$venv/bin/python" ]; then continue; fi
  echo "check-frameworks: installing $name ($(tr '\n' ' ' <"$req"))into $venv"
  mkdir -p "$venvs"
  (
    rm -rf "$venv" && python3 -m venv "$venv" &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" &&
      echo "$stamp" >"$venv/.requirements.sha256"
  ) >"$venvs/$name.install.log" 2>&1 &
  install_pid[$name]=$!
done
for name in "${!install_pid[@]}"; do
  if ! wait "${install_pid[$name]}"; then
    tail -n 30 "$venvs/$name.install.log" >&2
    die "installing $name failed (log: $venvs/$name.install.log)"
  fi
done
[ ${#install_pid[@]} -gt 0 ] && echo "check-frameworks: venvs ready after $(($(date +%s) - started)) s"
flock -u 9

# Each run writes to its own directory, renamed to DIR (convert/ or run/) at the end: the
# last run to finish leaves its results there.
publish() { # tmp final
  rm -rf "$2.old" && { [ ! -e "$2" ] || mv "$2" "$2.old"; } && mv "$1" "$2" && rm -rf "$2.old"
}

# Runs one driver per framework side by side; each writes OUT/NAME.LABEL.json and a log.
run_drivers() { # out label args...
  local out=$1 label=$2 fw failed=0
  shift 2
  declare -A pid=()
  for fw in "${frameworks[@]}"; do
    # No model API may be reached: no keys from the caller's shell, no tracing exports.
    env -u OPENAI_API_KEY -u GOOGLE_API_KEY -u GEMINI_API_KEY -u ANTHROPIC_API_KEY -u LANGSMITH_API_KEY \
      OPENAI_AGENTS_DISABLE_TRACING=1 LANGCHAIN_TRACING_V2=false LANGSMITH_TRACING=false \
      timeout --kill-after=10 300 "$venvs/$fw/bin/python" "$(driver_of "$fw")" "$@" --label "$label" \
      --out "$out/$fw.$label.json" >"$out/$fw.$label.log" 2>&1 &
    pid[$fw]=$!
  done
  for fw in "${frameworks[@]}"; do
    if ! wait "${pid[$fw]}"; then
      echo "check-frameworks: the $fw driver failed ($label); last lines of $out/$fw.$label.log:" >&2
      tail -n 15 "$out/$fw.$label.log" >&2
      rm -f "$out/$fw.$label.json"
      failed=1
    fi
  done
  return $failed
}

compare_args=(--expected "$dir/expected.tsv" --fastmcp-recorded "$dir/fastmcp-recorded.json"
  --frameworks "$(IFS=,; echo "${frameworks[*]}")")
[ "${UPDATE_EXPECTED:-}" = 1 ] && compare_args+=(--update)

# 2. Convert only: no server.
if [ -n "$tools_file" ]; then
  [ -f "$tools_file" ] || die "no such file: $tools_file"
  out=$venvs/convert.$$
  rm -rf "$out" && mkdir -p "$out"
  run_drivers "$out" ours --tools "$tools_file" || true
  status=0
  python3 "$dir/compare.py" --results "$out" --report "$out/report.json" --convert-only "${compare_args[@]}" || status=$?
  publish "$out" "$venvs/convert"
  echo "check-frameworks: convert-only run of $tools_file in $(($(date +%s) - started)) s (results: $venvs/convert)"
  exit $status
fi

# 3. The full run: demo backend, our server, FastMCP's, on free loopback ports.
bin=${VTOC_MCP_BIN:-target/debug/vtoc-mcp}
[ -x "$bin" ] || die "no server binary at $bin: run 'cargo build' or set VTOC_MCP_BIN"
command -v curl >/dev/null || die "curl is needed to wait for the servers"
out=$venvs/run.$$
rm -rf "$out" && mkdir -p "$out"

pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
# On any exit: stop the servers, and leave this run's logs in run/ even when it stopped early.
finish() {
  stop_all
  [ ! -d "$venvs/run.$$" ] || publish "$venvs/run.$$" "$venvs/run"
}
trap finish EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url pid log
  for _ in $(seq 300); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$3" >&2
  return 1
}
# A developer's MCP_*/VTOC_* settings must not change what is measured.
mapfile -t clean_env < <(compgen -e | grep -E '^(MCP|VTOC)_' | sed 's/^/-u/')

backend_port=$(free_port)
env "${clean_env[@]}" "$bin" demo-backend --bind "127.0.0.1:$backend_port" >"$out/demo-backend.log" 2>&1 &
pids+=($!)
backend="http://127.0.0.1:$backend_port"
wait_http "$backend/api/v1/poi" "${pids[-1]}" "$out/demo-backend.log" || die "the demo backend did not start"

mcp_port=$(free_port)
env "${clean_env[@]}" VTOC_API_BASE_URL="$backend" MCP_ALLOW_WRITES=true MCP_LOCAL_SCOPE=vtoc:admin \
  MCP_TOOL_MODE=all "$bin" serve --transport http --bind "127.0.0.1:$mcp_port" >"$out/server.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$mcp_port/healthz" "${pids[-1]}" "$out/server.log" || die "vtoc-mcp serve did not start"
url="http://127.0.0.1:$mcp_port/mcp"

fast_url=
if [ "$want_fastmcp" = 1 ]; then
  fast_port=$(free_port)
  "$venvs/fastmcp/bin/python" "$dir/fastmcp_server.py" --spec openapi/vtoc.json --backend "$backend" \
    --port "$fast_port" >"$out/fastmcp-server.log" 2>&1 &
  pids+=($!)
  fast_url="http://127.0.0.1:$fast_port/mcp"
  wait_http "http://127.0.0.1:$fast_port/healthz" "${pids[-1]}" "$out/fastmcp-server.log" ||
    die "the FastMCP server did not start"
fi
echo "check-frameworks: $("$bin" --version) at $url, demo backend $backend${fast_url:+, FastMCP at $fast_url}"

drivers_ok=0
run_drivers "$out" ours --url "$url" --backend "$backend" || drivers_ok=1
if [ -n "$fast_url" ]; then
  run_drivers "$out" fastmcp --url "$fast_url" || drivers_ok=1
  # Keep the FastMCP measurement, with its version, for runs without it (FASTMCP=0).
  if [ "$drivers_ok" = 0 ]; then
    fast_version=$("$venvs/fastmcp/bin/python" -c 'from importlib import metadata; print(metadata.version("fastmcp"))')
    python3 - "$out" "$fast_version" >"$out/fastmcp-recorded.json" <<'EOF'
import json, os, sys, time
out, version = sys.argv[1], sys.argv[2]
results = {}
for name in sorted(os.listdir(out)):
    if name.endswith(".fastmcp.json"):
        with open(os.path.join(out, name)) as f:
            r = json.load(f)
        # What the summary needs; the visible-field lists and error texts stay in target/.
        for prov in r["providers"].values():
            for cell in prov["cells"].values():
                for key in ("visible", "notes", "errors"):
                    cell.pop(key, None)
        results[name[: -len(".fastmcp.json")]] = r
print(json.dumps({"recorded": time.strftime("%Y-%m-%d", time.gmtime()), "fastmcp_version": version,
                  "results": results}, indent=1, sort_keys=True))
EOF
  fi
fi
stop_all

status=0
python3 "$dir/compare.py" --results "$out" --report "$out/report.json" "${compare_args[@]}" || status=$?
publish "$out" "$venvs/run"
cp "$venvs/run/report.json" "$venvs/report.json" 2>/dev/null || true
out=$venvs/run
if [ "${UPDATE_EXPECTED:-}" = 1 ] && [ -s "$out/fastmcp-recorded.json" ]; then
  cp "$out/fastmcp-recorded.json" "$dir/fastmcp-recorded.json"
  echo "check-frameworks: wrote $dir/fastmcp-recorded.json (this run's FastMCP measurement)"
fi
echo "check-frameworks: report in $venvs/report.json; results and logs in $out; $(($(date +%s) - started)) s"
[ "$drivers_ok" = 0 ] || exit 2
exit $status
