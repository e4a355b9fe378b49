# releaselake. The commands a fresh machine needs:
#   make run    build and serve on http://127.0.0.1:8080 over a local lake in .run/lake
#   make test   install what the tests need, then run the whole test suite
#   make demo   the same as run over demo data, offline and with no token (docs/demo.md)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/releaselake
GITHUB_SCHEMA := .cache/github-schema.graphql
PY_VENV := .cache/venv

.PHONY: run build test test-go deps chromium promtool github-schema py-deps generate check-generate vet clean graphql-sse
.PHONY: graphql-audit schema-lint schema-lint-deps bench bench-gateway bench-shortcuts bench-ab wrk bench-github bench-scale fuzz soak bench-latency
.PHONY: hdfs-up hdfs-down spark-check

# What `releaselake version` says (docs/cli.md): the checkout's git describe and commit, or
# "unknown" without git (a source archive). VERSION=… COMMIT=… set them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
build: export VERSION := $(VERSION)
build: export COMMIT := $(COMMIT)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X github.com/releaselake/releaselake/internal/cli.version=$${VERSION} -X github.com/releaselake/releaselake/internal/cli.commit=$${COMMIT}" -o $(BIN) ./cmd/releaselake

# The demo: every product of the default catalog crawled from recorded upstreams served
# in-process, offline and with no token, into a temporary lake removed at exit; served
# where run serves (RELEASELAKE_ADDR). DEMO_FLAGS="-dir DIR" keeps the lake in DIR.
.PHONY: demo
demo: build
	exec $(BIN) demo $(DEMO_FLAGS)

# Serve with no configuration: the lake and page data live in .run/ (the lake/
# directory of this repository is a Go package, so the run does not use ./lake here).
run: build
	mkdir -p .run
	cd .run && exec ../$(BIN) serve

test: deps vet check-generate schema-lint test-go fuzz

# The venv comes first on PATH so the tests' python3 is the one with deltalake.
# The HDFS tests use the real HDFS of scripts/hdfs: started for the run and
# stopped after it, unless it was up already (then it stays up).
test-go:
	scripts/hdfs up --for $$$$; rc=0; \
	  PATH="$(CURDIR)/$(PY_VENV)/bin:$$PATH" $(GO) test -count=1 -timeout 20m ./... || rc=$$?; \
	  scripts/hdfs release $$$$; exit $$rc

# A local HDFS (NameNode 127.0.0.1:9000, 3 DataNodes) that stays up until hdfs-down.
hdfs-up:
	scripts/hdfs up
hdfs-down:
	scripts/hdfs down

# Spark 4 (pyspark, delta-spark from PyPI) reads the lake on the local HDFS: yellow
# as a Delta table (current and VERSION AS OF 0), red with spark.read.json. Slow
# (a JVM, Spark's jars), so not part of make test.
spark-check:
	scripts/spark-check

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*' -not -path '*/node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

deps: github-schema py-deps chromium graphql-audit graphql-sse axe schema-lint-deps promtool
	$(GO) mod download

# A real browser for the page tests: Debian's chromium (CI runs as root).
chromium:
	@command -v chromium >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# axe-core (npm), which the browser tests inject into the release page to check
# its accessibility (cmd/releaselake/page_browser_test.go).
.PHONY: axe
axe: scripts/axe/node_modules/.package-lock.json
scripts/axe/node_modules/.package-lock.json: scripts/axe/package-lock.json
	npm ci --prefix scripts/axe --no-audit --no-fund --loglevel=error

# promtool runs the unit tests of the example alerts (deploy/monitoring/alerts_test.yaml).
promtool:
	@command -v promtool >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }

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

# The graphql-sse browser client (npm), which the subscription browser test
# serves to headless Chromium.
graphql-sse: scripts/graphql-sse/node_modules/.package-lock.json
scripts/graphql-sse/node_modules/.package-lock.json: scripts/graphql-sse/package-lock.json
	npm ci --prefix scripts/graphql-sse --no-audit --no-fund --loglevel=error

# The graphql-http audit suite (GraphQL over HTTP), run by a Go test against the
# real server (cmd/releaselake/graphql_test.go).
graphql-audit: scripts/graphql-audit/node_modules/.package-lock.json
scripts/graphql-audit/node_modules/.package-lock.json: scripts/graphql-audit/package-lock.json
	npm ci --prefix scripts/graphql-audit --no-audit --no-fund --loglevel=error

# graphql-schema-linter (npm, pinned in scripts/schema-lint) over the schema:
# its default rules but the three that want fields, input fields and enum
# values in alphabetical order (scripts/schema-lint/.graphql-schema-linterrc).
# Any finding fails.
SCHEMA_LINT := scripts/schema-lint/node_modules/.bin/graphql-schema-linter
schema-lint: schema-lint-deps
	$(SCHEMA_LINT) -c scripts/schema-lint schema.graphqls
schema-lint-deps: scripts/schema-lint/node_modules/.package-lock.json
scripts/schema-lint/node_modules/.package-lock.json: scripts/schema-lint/package-lock.json
	npm ci --prefix scripts/schema-lint --no-audit --no-fund --loglevel=error

# Benchmarks; each writes its section of BENCHMARKS.md.
bench: bench-gateway bench-github

# GitHub crawl cost against the fake GitHub serving the default catalog:
# requests and points of a first crawl, a run with nothing new, three new releases.
bench-github: github-schema
	@{ echo; echo "## GitHub crawl cost ($$(date -u +%Y-%m-%d), $$(nproc) CPUs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"; \
	  echo; echo 'Command: `make bench-github` (`go test -run CrawlCost ./ingest/github/`). Default catalog, 46 GitHub repositories:'; \
	  echo 'the fixtures of ../shared/fixtures plus generated histories (vercel/next.js: 2,500 releases).'; echo; \
	  echo '| scenario | GraphQL requests | points | seed (REST per repository, per page of 100) |'; echo '|---|---|---|---|'; } > .cache/bench-github.md
	RELEASELAKE_BENCH_OUT=$(CURDIR)/.cache/bench-github.md $(GO) test -count=1 -run CrawlCost ./ingest/github/
	cat .cache/bench-github.md >> BENCHMARKS.md

# Scale (issues 9 and 21): 10,000 products and 1M releases generated, parsed,
# committed (a rebuild, then one new release and 1,000 changed products), loaded
# and queried; 10,000 repositories crawled; two replicas on local disk and HDFS.
# RELEASES=10000000 does it at 10M in .cache/scale-10m (1M stays in .cache/scale),
# with the last 1M figures beside (the crawl and the test-lake replicas, which do
# not depend on the rows, are left out). Each step is a script in
# scripts/bench-scale.d/; all append to BENCHMARKS.md. Needs wrk, the Python venv
# and HDFS. Not in CI (tens of minutes; 10M: ~10 GB of disk and 4 GiB of memory).
RELEASES ?= 1000000
bench-scale: github-schema py-deps wrk
	scripts/hdfs up --for $$$$; rc=0; \
	  PATH="$(CURDIR)/$(PY_VENV)/bin:$$PATH" SCALE_RELEASES=$(RELEASES) scripts/bench-scale || rc=$$?; \
	  scripts/hdfs release $$$$; exit $$rc

# Soak: serve under a fixed query rate for SOAK_DURATION (default 10m) while
# ingests commit every 30 s; appends errors, p99 and RSS to BENCHMARKS.md. Not in CI.
soak: github-schema
	$(GO) test -tags soak -count=1 -run TestSoak -timeout 30m -v ./cmd/releaselake/

# Fuzz targets (CI: part of make test). The kept corpus is in each package's
# testdata/fuzz/ (a failing input lands there too). Each runs for a count of
# executions, sized to ~10 s on a 2-CPU machine, not for a duration: with a
# duration, go1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" and no failing input when the time runs out
# (golang/go#75804, fixed in go1.27; it failed a clean run here on 2026-11-26).
# FUZZTIME=5m (or 1000000x) sets one budget for all.
fuzz = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $(or $(FUZZTIME),$(3)) $(2)
fuzz:
	$(call fuzz,FuzzVersions,.,150000x)
	$(call fuzz,FuzzSemverAndLine,.,150000x)
	$(call fuzz,FuzzParse,./catalog/,40000x)
	$(call fuzz,FuzzParse,./ingest/github/,4000x)
	$(call fuzz,FuzzRequest,./graph/,4000x)
	$(call fuzz,FuzzListArgs,./graph/,50000x)
	$(call fuzz,FuzzNodeID,./graph/,30000x)
	$(call fuzz,FuzzFastPath,./graph/,3000x)
	$(call fuzz,FuzzDecodeParams,./graph/fastpath/,60000x)

# Each shortcut of graph/fastpath on its own, off then on (the runs of -count
# alternate them), on this machine; medians into BENCHMARKS.md. ~2 minutes.
SHORTCUTS_BENCH = $(GO) test -run '^$$' -bench Shortcut -count 5 ./graph/ ./graph/fastpath/
bench-shortcuts:
	@{ echo; echo "## Fast-path shortcuts (issue 16) ($$(date -u +%Y-%m-%d), $$(nproc) CPUs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"; \
	  echo; echo 'Command: `make bench-shortcuts` (`go test -run '"'"'^$$'"'"' -bench Shortcut -count 5 ./graph/ ./graph/fastpath/`);'; \
	  echo 'medians of 5 runs, off and on alternating. CPU is the process'"'"'s (user + system, collector included) per request.'; echo; } > .cache/bench-shortcuts.md
	$(SHORTCUTS_BENCH) | tee .cache/bench-shortcuts.txt | $(GO) run ./scripts/bench-shortcuts >> .cache/bench-shortcuts.md
	cat .cache/bench-shortcuts.md >> BENCHMARKS.md

# The GraphQL gateway under load on loopback, beside a plain net/http handler
# (scripts/gateway-bench): needs 2 CPUs, taskset and Debian's wrk.
bench-gateway: wrk
	$(GO) build -o .cache/gateway-bench ./scripts/gateway-bench
	.cache/gateway-bench run -o BENCHMARKS.md

# The gateway benchmark of commit OLD and of the work tree, alternated in one run
# (scripts/gateway-ab): does a change regress the gateway beyond the machine's noise?
bench-ab: wrk
	scripts/gateway-ab $(or $(OLD),$(error OLD=<commit> is needed)) $(or $(ROUNDS),3)

# Open-loop latency (issue 21): vegeta (v12.13.0, built from the Go module
# proxy into bin/) at fixed rates against the plain handler and the gateway,
# alternated, each a fresh server on CPU 0 with GOMAXPROCS=1 after a warm-up of
# distinct queries; vegeta and its targets on CPU 1. Replaces its section of
# BENCHMARKS.md. ~13 minutes with the defaults; a quick look:
#   make bench-latency LATENCY_WARMUP=10s LATENCY_DURATION=10s LATENCY_RATES=5000
# LATENCY_SERVERS adds "repeated"; LATENCY_PRIORITY=nice runs server and
# vegeta above the machine's other work (a shared machine); LATENCY_PROFILE=DIR
# keeps each gateway run's gctrace, a trace and heap profiles.
VEGETA := bin/vegeta-v12.13.0
LATENCY_WARMUP ?= 60s
LATENCY_DURATION ?= 60s
LATENCY_RATES ?= 2000,5000,10000
LATENCY_SERVERS ?= plain,distinct
LATENCY_ROUNDS ?= 1
LATENCY_PRIORITY ?=
LATENCY_PROFILE ?=
bench-latency: $(VEGETA)
	$(GO) build -o bin/gateway-bench ./scripts/gateway-bench
	bin/gateway-bench latency -vegeta $(VEGETA) -o BENCHMARKS.md -warmup $(LATENCY_WARMUP) -d $(LATENCY_DURATION) \
	  -rates $(LATENCY_RATES) -servers $(LATENCY_SERVERS) -rounds $(LATENCY_ROUNDS) -priority "$(LATENCY_PRIORITY)" -profile "$(LATENCY_PROFILE)"
$(VEGETA):
	d=$$(mktemp -d) && GOBIN=$$d $(GO) install github.com/tsenart/vegeta/v12@v12.13.0 && \
	  mkdir -p bin && mv $$d/vegeta $@ && rmdir $$d

wrk:
	@command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }
