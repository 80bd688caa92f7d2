#!/usr/bin/env bash
# `make observability-test`: the alert rules and the dashboard in deploy/observability/
# against the real Prometheus (Debian's package), scraping a running bridge.
#   1. promtool check rules / test rules (deploy/observability/alerts{,.test}.yml);
#   2. scripts/observability-test.py: `vtoc-mcp serve --demo` with metrics behind a token,
#      Prometheus scraping it every second, a known run of calls counted through
#      Prometheus's HTTP API, every PromQL expression of the dashboard and the rules
#      evaluated without error.
# Needs the binary built first (the make target builds the debug one); VTOC_MCP_BIN picks
# another. Installs `prometheus` from Debian when missing (it ships promtool too); its
# service is not started: only the test's own loopback processes run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VTOC_MCP_BIN:-}
if [ -z "$BIN" ]; then
  BIN=target/debug/vtoc-mcp
  [ -x "$BIN" ] || BIN=target/release/vtoc-mcp
fi
[ -x "$BIN" ] || { echo "observability-test: no vtoc-mcp binary (cargo build --bin vtoc-mcp, or set VTOC_MCP_BIN)"; exit 2; }

if ! command -v prometheus > /dev/null || ! command -v promtool > /dev/null; then
  echo "observability-test: installing prometheus (Debian package; the system service stays stopped)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null || { echo "observability-test: need root to run: apt-get install -y prometheus" >&2; exit 1; }
    sudo=sudo
  fi
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Keep the package's post-install step from starting prometheus on port 9090.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d > /dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus > /dev/null
fi
prometheus --version 2>&1 | head -1

echo "== promtool check rules deploy/observability/alerts.yml"
promtool check rules deploy/observability/alerts.yml
echo "== promtool test rules deploy/observability/alerts.test.yml"
promtool test rules deploy/observability/alerts.test.yml

echo "== Prometheus scraping a running bridge (scripts/observability-test.py)"
# A hard stop well under CI's patience; the driver stops every process it started.
timeout --kill-after=10 110 python3 scripts/observability-test.py --bin "$BIN" "$@"
