#!/usr/bin/env bash
# What the tests need beyond Rust: Node.js (the console's unit tests, `node --test`),
# headless Chromium with its WebDriver (the console's browser tests) and redis-server (the
# shared state store's tests, on loopback). Installs the Debian packages `nodejs`,
# `chromium`, `chromium-driver` and `redis-server` when they are missing (as root, or
# through sudo); does nothing when they are there. Services stay stopped: tests start
# their own on a free port.
set -euo pipefail

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
{ [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ]; } || missing+=(chromium)
{ [ -n "${CHROMEDRIVER:-}" ] || command -v chromedriver >/dev/null 2>&1; } || missing+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-test-deps: installing ${missing[*]} (Debian packages) for the console tests"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup-test-deps: need root to install ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if [ ! -e /usr/sbin/policy-rc.d ]; then
  # Keep the packages' post-install steps from starting system services (redis on 6379).
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-test-deps: done"
