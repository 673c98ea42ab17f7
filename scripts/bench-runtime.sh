#!/usr/bin/env bash
# Prints the end-to-end figures measured against the real offline runtime:
# /api/embed throughput by batch size, indexing throughput with and without
# the BM25 index, and search latency per mode. Run through `make bench-runtime`,
# which starts the runtime and sets OLLAMA_HOST and SEMSEARCH_MODEL.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OLLAMA_HOST:?run through make bench-runtime}"
BIN=${BIN:-bin/semsearch}
SHARED_DATA=${SHARED_DATA:-../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== /api/embed throughput (300-word inputs, one request per batch)"
SEMSEARCH_TEST_OLLAMA=1 go test -run '^$' -bench 'Embed_Batch' -benchtime 3x ./internal/embed/ | grep -E '^Benchmark'

corpus=examples/articles
if [ -d "$SHARED_DATA/bbc/business" ]; then corpus=$SHARED_DATA/bbc/business; fi
echo
echo "== indexing $corpus"
for bm25 in false true; do
	printf 'bm25=%-5s ' "$bm25"
	"$BIN" --data "$tmp/data-$bm25" --bm25="$bm25" index "$corpus" 2>/dev/null
done

echo
echo "== indexing $corpus, vectors only, with 2 embedding requests in flight"
"$BIN" --data "$tmp/data-c2" --bm25=false --embed-concurrency 2 index "$corpus" 2>/dev/null

echo
echo "== search latency by mode (sample questions, mean over the set)"
"$BIN" --data "$tmp/data-true" eval --dataset eval/sample/queries.jsonl --corpus examples/articles \
	--sweep mode=vector,bm25,hybrid 2>/dev/null
