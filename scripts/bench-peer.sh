#!/usr/bin/env bash
# make bench-peer: the bridge against FastMCP's from_openapi on the same export, the same
# standalone demo backend and the same client, in one run (examples/loadgen/peer.rs), with
# three floors beside them (examples/loadgen/floor.rs: only what any bridge must do per call,
# on rmcp, on its HTTP stack without it, and on the standard library alone).
# Installs FastMCP (tests/bench/fastmcp-peer.txt, pinned) into target/bench-peer/venv the
# first time, or when the pins change; builds the bridge and the load generator in release.
# Results: target/bench-peer/results.json (and DATE-COMMIT.json), the table on stdout and
# in target/bench-peer/results.md. Extra arguments go to the load generator
# (e.g. --reps 5 --pace-ms 50).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-peer
venv=$out/venv
req=tests/bench/fastmcp-peer.txt
target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$out"

command -v python3 >/dev/null || { echo "bench-peer: python3 (3.10 or later, with venv) is needed for FastMCP" >&2; exit 2; }
stamp=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$stamp" ] || [ ! -x "$venv/bin/python" ]; then
  echo "bench-peer: installing FastMCP ($(grep -m1 '^fastmcp==' "$req")) into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >"$out/install.log" 2>&1; then
    tail -n 30 "$out/install.log" >&2
    echo "bench-peer: installing FastMCP failed (log: $out/install.log)" >&2
    exit 2
  fi
  echo "$stamp" >"$venv/.requirements.sha256"
fi

# Measured as the image ships it: built alone (beside the example its dependencies would
# get the dev-dependencies' features, other symbol names, and lose the release link's
# packing of the code a server runs), and stripped (symbols add ~3.5 MiB of file-backed RSS).
${CARGO:-cargo} build --release --locked --bin vtoc-mcp
strip -o "$target_dir/release/vtoc-mcp.shipped" "$target_dir/release/vtoc-mcp"
${CARGO:-cargo} build --release --locked --example loadgen
exec "$target_dir/release/examples/loadgen" peer --bin "$target_dir/release/vtoc-mcp.shipped" --python "$venv/bin/python" \
  --fastmcp-server tests/frameworks/fastmcp_server.py --spec openapi/vtoc.json --out "$out/results.json" "$@"
