# releaselake. The two commands a fresh machine needs:
#   make run    build and serve on http://127.0.0.1:8080 over a local lake in .run/lake
#   make test   install what the tests need, then run the whole test suite
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/releaselake
GITHUB_SCHEMA := .cache/github-schema.graphql
PY_VENV := .cache/venv

.PHONY: run build test test-go deps chromium github-schema py-deps generate check-generate vet clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/releaselake

# Serve with no configuration: the lake and page data live in .run/ (the lake/
# directory of this repository is a Go package, so the run does not use ./lake here).
run: build
	mkdir -p .run
	cd .run && exec ../$(BIN) serve

test: deps vet check-generate test-go

# The venv comes first on PATH so the tests' python3 is the one with deltalake.
test-go:
	PATH="$(CURDIR)/$(PY_VENV)/bin:$$PATH" $(GO) test -count=1 ./...

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*' -not -path '*/node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

deps: github-schema py-deps chromium
	$(GO) mod download

# A real browser for the page tests: Debian's chromium (CI runs as root).
chromium:
	@command -v chromium >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# GitHub's published GraphQL schema (npm @octokit/graphql-schema), re-printed so
# gqlparser loads it; the fake GitHub server validates every query against it.
github-schema: $(GITHUB_SCHEMA)
$(GITHUB_SCHEMA): scripts/github-schema/package-lock.json scripts/github-schema/print.mjs
	npm ci --prefix scripts/github-schema --no-audit --no-fund --loglevel=error
	node scripts/github-schema/print.mjs $@

# Independent readers of the Delta table (delta-rs via the deltalake package).
py-deps: $(PY_VENV)/.installed
$(PY_VENV)/.installed: lake/testdata/requirements.txt
	python3 -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check -r lake/testdata/requirements.txt
	touch $@

generate:
	$(GO) generate ./...

# Generated code must be reproducible: regenerating from a clean tree changes nothing.
check-generate:
	@before=$$(sha256sum graph/*.go go.mod go.sum); \
	  $(GO) generate ./...; \
	  after=$$(sha256sum graph/*.go go.mod go.sum); \
	  if [ "$$before" != "$$after" ]; then echo "go generate changed files:"; \
	    diff <(echo "$$before") <(echo "$$after"); exit 1; fi

clean:
	rm -rf bin .cache
