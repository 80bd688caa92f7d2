#!/usr/bin/env bash
# `make scale-test`: three stateless replicas behind nginx, driven by the official MCP
# Python SDK (scripts/scale-test.py says what is shown). Needs the binary built first
# (the make target builds the debug one); VTOC_MCP_BIN picks another, e.g.
#   VTOC_MCP_BIN=target/release/vtoc-mcp scripts/scale-test.sh
# Installs what it needs when missing: nginx and redis-server from Debian's packages (their
# services are not started: only the test's own loopback processes run), and the SDK from
# PyPI into target/scale-venv, pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VTOC_MCP_BIN:-}
if [ -z "$BIN" ]; then
  BIN=target/debug/vtoc-mcp
  [ -x "$BIN" ] || BIN=target/release/vtoc-mcp
fi
[ -x "$BIN" ] || { echo "scale-test: no vtoc-mcp binary (cargo build --bin vtoc-mcp, or set VTOC_MCP_BIN)"; exit 2; }

missing=()
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server > /dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "scale-test: installing ${missing[*]} (Debian packages; the system services stay stopped)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Keep the packages' post-install steps from starting nginx on port 80 or redis on 6379.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

VENV=target/scale-venv
REQUIREMENTS="mcp==2.3.0"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  echo "$REQUIREMENTS" > "$VENV/.requirements"
fi
# A hard stop well under CI's patience; the driver stops every process it started.
timeout --kill-after=10 170 "$VENV/bin/python" scripts/scale-test.py --bin "$BIN" "$@"
