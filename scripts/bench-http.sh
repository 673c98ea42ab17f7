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
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$BIN" --data "$tmp/data" index examples/articles >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$tmp/data" serve --addr "127.0.0.1:$port" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
go build -o "$tmp/load" ./cmd/semsearch-load

echo "== /v1/search, 16 connections, ${secs}s, repeated questions (query cache)"
"$tmp/load" -url "http://127.0.0.1:$port" -c 16 -d "${secs}s"
echo
echo "== /v1/search, 16 connections, ${secs}s, distinct questions (no cache hits)"
"$tmp/load" -url "http://127.0.0.1:$port" -c 16 -d "${secs}s" -unique
