#!/usr/bin/env bash
# Start vtoc-mcp over streamable HTTP and the MCP Inspector pointed at it.
# The Inspector is pinned to 0.15.0, the newest release that runs on Node 20
# (later ones need Node 22); set INSPECTOR_VERSION to use another.
set -euo pipefail
cd "$(dirname "$0")/.."
# `make inspect BIND=…` sets BIND; MCP_BIND from the environment works too.
BIND="${BIND:-${MCP_BIND:-127.0.0.1:8765}}"
VERSION="${INSPECTOR_VERSION:-0.15.0}"
cargo build --locked -q
DEMO=()
if [ -z "${VTOC_API_BASE_URL:-}" ]; then
  echo "VTOC_API_BASE_URL is not set: serving the embedded DEMO backend (sample data, not a real vTOC)" >&2
  DEMO=(--demo)
fi
./target/debug/vtoc-mcp serve --transport http --bind "$BIND" "${DEMO[@]}" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  ./target/debug/vtoc-mcp healthcheck --url "http://$BIND/healthz" 2>/dev/null && break
  sleep 0.1
done
echo "vtoc-mcp is serving http://$BIND/mcp"
echo "In the Inspector: Transport Type = Streamable HTTP, URL = http://$BIND/mcp, then Connect"
echo "(or open the printed Inspector URL with &transport=streamable-http&serverUrl=http://$BIND/mcp appended)"
npx -y "@modelcontextprotocol/inspector@$VERSION"
