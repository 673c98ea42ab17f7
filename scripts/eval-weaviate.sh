#!/usr/bin/env bash
# nDCG@10 per search mode on the embedded store and on Weaviate, in one table
# (make eval-scifact-weaviate, make eval-sample-weaviate). The dataset
# (DATASET_ARGS, e.g. --beir DIR --split test) is indexed (or reused) in the
# embedded store in EVAL_DATA, collection EVAL_COLL (eval-<dataset>), and moved
# to Weaviate with export/import, so nothing is embedded twice. Needs
# bin/semsearch, the offline runtime (OLLAMA_HOST, SEMSEARCH_MODEL) and
# SEMSEARCH_STORE.
set -euo pipefail
: "${SEMSEARCH_STORE:?weaviate URL (eval \"\$(make -s weaviate)\")}"
: "${EVAL_DATA:?embedded data directory}"
: "${DATASET_ARGS:?dataset flags of semsearch eval}"
: "${EVAL_COLL:?collection eval indexes the dataset into (eval-<dataset name>)}"
bin=bin/semsearch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
read -r -a beir <<<"$DATASET_ARGS"
beir+=(--eval-collection "$EVAL_COLL" --sweep mode=vector,bm25,hybrid --json)

echo "== embedded store ($EVAL_DATA)" >&2
SEMSEARCH_STORE= "$bin" --data "$EVAL_DATA" eval "${beir[@]}" >"$tmp/embedded.json"
SEMSEARCH_STORE= "$bin" --data "$EVAL_DATA" --collection "$EVAL_COLL" export -o "$tmp/scifact.jsonl"
echo "== Weaviate ($SEMSEARCH_STORE): import without re-embedding" >&2
"$bin" --collection "$EVAL_COLL" import "$tmp/scifact.jsonl"
"$bin" eval "${beir[@]}" >"$tmp/weaviate.json"

echo
echo "| mode | embedded nDCG@10 | Weaviate nDCG@10 | Weaviate - embedded | embedded search ms | Weaviate search ms |"
echo "|---|---|---|---|---|---|"
jq -r -n --slurpfile e "$tmp/embedded.json" --slurpfile w "$tmp/weaviate.json" '
  range(0; $e[0].runs | length) as $i
  | $e[0].runs[$i] as $a | $w[0].runs[$i] as $b
  | "| \($a.value) | \($a.metrics["ndcg@10"] * 10000 | round / 10000) | \($b.metrics["ndcg@10"] * 10000 | round / 10000) | \(($b.metrics["ndcg@10"] - $a.metrics["ndcg@10"]) * 10000 | round / 10000) | \($a.search_ms) | \($b.search_ms) |"'
