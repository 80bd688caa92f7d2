# vtoc-mcp developer targets. One line each; CI runs `.ci/run`, which calls the same ones.
# `make help` lists them. Variables: BIND (HTTP address), FROM (backend URL for sync-spec),
# OLD / NEW (specs or manifests for diff), FORCE=1 (setup-* replace an existing .env).
CARGO ?= cargo
BIND ?= 127.0.0.1:8765
FROM ?= http://localhost:8080
OLD ?= generated/tools.json
NEW ?= openapi/vtoc.json
VTOC := $(CARGO) run --locked --
# Where cargo builds (CARGO_TARGET_DIR when set): the benchmarks run the binaries there.
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
# Extra loadgen arguments for make bench, e.g. BENCH_ARGS='--only telemetry' or '--reps 3'.
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help build test screenshot generate check-generated check-deploy run run-http run-stdio demo lint fmt mcp-run mcp-test inspect sync-spec diff doctor setup-container setup-cloud soak fuzz bench bench-search tune-search bench-peer symbol-order check-size conformance scale-test check-apis build-cost pin-contract check-frameworks container-test observability-test

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E -e 's/:.*## /\t/' -e 's|\$$\(BIND\)|$(BIND)|g' -e 's|\$$\(FROM\)|$(FROM)|g' -e 's|\$$\(API_SPEC\)|$(API_SPEC)|g' -e 's|\$$\(APIS_TARGET\)|$(APIS_TARGET)|g' | expand -t 20
	@echo "Variables: BIND=$(BIND) FROM=$(FROM) OLD=$(OLD) NEW=$(NEW) FORCE=$(FORCE)"


build: ## Build (debug)
	$(CARGO) build --locked

test: ## Run every test (generator, runtime, end to end, drift, console in Node and headless Chromium)
	./scripts/setup-test-deps.sh
	$(CARGO) test --locked -- --include-ignored
	node --test $(wildcard tests/console/*.test.mjs)

mcp-test: test ## Same as test

screenshot: ## Rewrite docs/console.png from the browser test (headless Chromium)
	./scripts/setup-test-deps.sh
	UPDATE_SCREENSHOT=1 $(CARGO) test --locked --test browser -- --include-ignored

generate: ## Rewrite generated/ and the mapping in docs/API.md from openapi/vtoc.json
	UPDATE_GENERATED=1 $(CARGO) test --locked --test drift

check-generated: ## Fail (with the raw diff and the tool-surface report) when generated/ or docs/API.md are stale
	$(CARGO) test --locked --test drift

check-deploy: ## Validate the Compose/stack files and Kubernetes manifests (schemas, security assertions) and lint the Dockerfile
	./scripts/check-deploy.sh

container-test: ## The deployment files under Docker Engine (Debian's, no registry): image via BuildKit, Compose, Swarm + Traefik (~20 min, root); target/container/
	./scripts/container-test.sh

scale-test: ## Three stateless replicas behind nginx: 2025/2026 clients, cross-replica confirmation, SIGTERM under load; target/scale/
	$(CARGO) build --locked --bin vtoc-mcp && ./scripts/scale-test.sh

run: run-http ## Serve MCP over HTTP (embedded demo backend unless VTOC_API_BASE_URL is set)

mcp-run: run-http ## Same as run

# `vtoc-mcp serve` refuses to start without a backend; these targets choose the demo
# backend explicitly, and say so, when VTOC_API_BASE_URL is not set.
DEMO_UNLESS_BACKEND = $(if $(VTOC_API_BASE_URL),,--demo)

run-http: ## Serve MCP over streamable HTTP at http://$(BIND)/mcp (the demo backend unless VTOC_API_BASE_URL is set)
	@$(if $(VTOC_API_BASE_URL),echo "Serving against VTOC_API_BASE_URL=$(VTOC_API_BASE_URL)",echo "VTOC_API_BASE_URL is not set: serving the embedded DEMO backend (sample data, not a real vTOC)") >&2
	$(VTOC) serve --transport http --bind $(BIND) $(DEMO_UNLESS_BACKEND)

run-stdio: ## Serve MCP over stdio (the demo backend unless VTOC_API_BASE_URL is set)
	$(VTOC) serve --transport stdio $(DEMO_UNLESS_BACKEND)

demo: ## Serve MCP over HTTP against the embedded demo backend, even if VTOC_API_BASE_URL is set
	$(VTOC) serve --transport http --bind $(BIND) --demo

inspect: ## Start the server on $(BIND) and the MCP Inspector pointed at it
	BIND=$(BIND) ./scripts/inspect.sh

sync-spec: ## Fetch $(FROM)/openapi.json into openapi/vtoc.json (as served, byte for byte) and report what changes for agents
	$(VTOC) sync-spec --from $(FROM)

diff: ## Classify tool-surface changes between OLD and NEW (specs or manifests)
	$(VTOC) diff $(OLD) $(NEW)

doctor: ## Check configuration, backend reachability and auth, and the live contract
	$(VTOC) doctor

# FORCE=1 replaces files an earlier setup wrote (their tokens stop working).
INIT_FORCE = $(if $(FORCE),--force)

setup-container: ## Write .env with fresh tokens for Docker Compose (FORCE=1 to replace an existing one)
	$(VTOC) init --target compose $(INIT_FORCE)

setup-cloud: ## Write .env and secrets/ with fresh tokens for the Swarm stack (FORCE=1 to replace existing ones)
	$(VTOC) init --target stack $(INIT_FORCE)

fuzz: ## Fuzz argument decoding and request building: 300 000 cases, a new seed each run (printed)
	FUZZ_CASES=$${FUZZ_CASES:-300000} FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} $(CARGO) test --locked --test fuzz -- --nocapture

soak: ## 10 000 calls over 256 sessions against a backend failing 5% (release build); results in target/soak/
	$(CARGO) build --release --locked --bin vtoc-mcp && $(CARGO) run --release --locked --example loadgen -- soak --bin $(TARGET_DIR)/release/vtoc-mcp

bench: ## Benchmark (release, stripped as the image ships it): added latency vs direct REST, CPU, tools/list, start-up, memory, throughput; target/bench/; compared with docs/performance-results.json
	$(CARGO) build --release --locked --bin vtoc-mcp && strip -o $(TARGET_DIR)/release/vtoc-mcp.shipped $(TARGET_DIR)/release/vtoc-mcp
	$(CARGO) run --release --locked --example loadgen -- bench --bin $(TARGET_DIR)/release/vtoc-mcp.shipped $(BENCH_ARGS)

bench-search: ## What tool search costs (release): index build and query time over the three fixture exports, every task of the search sets
	$(CARGO) test --release --locked --lib search_cost -- --ignored --nocapture

tune-search: ## Fit search's numbers to the task sets read (coordinate ascent, each set left out in turn) and print what that is worth (release; a measurement, not a setting)
	$(CARGO) test --release --locked --features search-tuning --lib tune_search -- --nocapture

bench-peer: ## The bridge vs FastMCP 4.1.2 from_openapi (pinned, installed into target/bench-peer/venv): same backend, client and run, beside three floors (rmcp alone, its HTTP stack alone, the standard library); target/bench-peer/
	./scripts/bench-peer.sh

symbol-order: ## Regenerate scripts/symbol-order.txt, the functions a server runs, packed together by release builds (needs valgrind; docs/performance.md "Binary size and memory at rest")
	# The server built alone, as the image and `make bench` build it: built beside the
	# example, its dependencies get the dev-dependencies' features, and other symbol names.
	$(CARGO) build --release --locked --bin vtoc-mcp && cp $(TARGET_DIR)/release/vtoc-mcp $(TARGET_DIR)/release/vtoc-mcp.ordered
	$(CARGO) build --release --locked --example loadgen
	./scripts/symbol-order.sh $(TARGET_DIR)/release/vtoc-mcp.ordered $(TARGET_DIR)/release/examples/loadgen

check-size: ## Fail when the stripped release binary exceeds its budget (scripts/check-size.sh; docs/performance.md "Binary size")
	$(CARGO) build --release --locked --bin vtoc-mcp && ./scripts/check-size.sh $(TARGET_DIR)/release/vtoc-mcp

# The bridge built for another API: a real export of another FastAPI app, no overrides.
API_SPEC ?= tests/fixtures/specs/prefect-3.9.1.json
APIS_TARGET ?= target/apis

check-apis: ## Build the bridge for $(API_SPEC) (no overrides) and run tests/any_api.rs against it (target: $(APIS_TARGET))
	VTOC_MCP_SPEC=$(abspath $(API_SPEC)) VTOC_MCP_OVERRIDES= CARGO_TARGET_DIR=$(APIS_TARGET) $(CARGO) test --locked --test any_api -- --nocapture

build-cost: ## Generation and build times and sizes for vTOC and the real exports in tests/fixtures/specs (debug; ~20 min); target/build-cost/
	./scripts/build-cost.py

observability-test: ## Real Prometheus (Debian's) scrapes serve --demo: counts of a known run via its API, the dashboard's and alert rules' PromQL, promtool check/test rules
	$(CARGO) build --locked --bin vtoc-mcp && ./scripts/observability-test.sh

conformance: ## MCP conformance suite (pinned in tests/conformance) against serve --demo; fails on a regression vs expected.tsv; logs in target/conformance/
	$(CARGO) build --locked --bin vtoc-mcp && ./scripts/conformance.sh

check-frameworks: ## Tools through LangChain, LlamaIndex, Agents SDK, pydantic-ai, ADK (pinned venvs in target/frameworks/), OpenAI strict and Gemini, vs FastMCP; fails on a regression vs tests/frameworks/expected.tsv
	$(CARGO) build --locked --bin vtoc-mcp && ./scripts/check-frameworks.sh

lint: ## Formatting and clippy, as CI runs them
	$(CARGO) fmt --all -- --check && $(CARGO) clippy --locked --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

pin-contract: ## Pin the tool surface agents rely on (tests/contract/tools.json) from the build, after a deliberate change
	UPDATE_CONTRACT=1 $(CARGO) test --locked --test e2e -- contract::the_tools_agents_rely_on_are_still_there
