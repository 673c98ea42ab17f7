#!/usr/bin/env bash
# Measures /v1/search under load: the demo collection served by a real
# `semsearch serve` on a free loopback port, 16 connections for LOAD_SECONDS,
# once with repeated questions (served from the query-embedding cache) and once
# with every query distinct (each one embedded by Ollama). Run through
# `make bench-http`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OLLAMA_HOST:?run through make bench-http}"
BIN=${BIN:-bin/semsearch}
secs=${LOAD_SECONDS:-30}
tmp=$(mktemp -d)
. scripts/serve-lib.sh
trap 'stop_serve; rm -rf "$tmp"' EXIT

"$BIN" --data "$tmp/data" index examples/articles >/dev/null
start_serve "$tmp/data"

echo "== /v1/search, 16 connections, ${secs}s, repeated questions (query cache)"
"$tmp/load" -url "$url" -c 16 -d "${secs}s"
echo
echo "== /v1/search, 16 connections, ${secs}s, distinct questions (no cache hits)"
"$tmp/load" -url "$url" -c 16 -d "${secs}s" -unique
