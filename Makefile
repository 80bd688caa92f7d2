# vtoc-mcp developer targets. One line each; CI runs `.ci/run`, which calls the same ones.
CARGO ?= cargo
BIND ?= 127.0.0.1:8765

.DEFAULT_GOAL := help
.PHONY: help build test generate check-generated run run-http run-stdio demo lint fmt

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

build: ## Build (debug)
	$(CARGO) build --locked

test: ## Run every test (generator, runtime, end to end, drift)
	$(CARGO) test --locked

generate: ## Rewrite generated/ and the mapping in docs/API.md from openapi/vtoc.json
	UPDATE_GENERATED=1 $(CARGO) test --locked --test drift

check-generated: ## Fail when generated/ or docs/API.md do not match the spec
	$(CARGO) test --locked --test drift

run: run-http ## Serve MCP over HTTP (embedded demo backend unless VTOC_API_BASE_URL is set)

run-http: ## Serve MCP over streamable HTTP at http://$(BIND)/mcp
	$(CARGO) run --locked -- serve --transport http --bind $(BIND)

run-stdio: ## Serve MCP over stdio
	$(CARGO) run --locked -- serve --transport stdio

demo: ## Serve MCP over HTTP against the embedded demo backend, even if VTOC_API_BASE_URL is set
	$(CARGO) run --locked -- serve --transport http --bind $(BIND) --demo

lint: ## Formatting and clippy, as CI runs them
	$(CARGO) fmt --all -- --check && $(CARGO) clippy --locked --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all
