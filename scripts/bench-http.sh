#!/usr/bin/env bash
# Measures /v1/search under load, today's binary beside the working tree's
# in the same run against the same embedding runtime: the demo collection
# served by a real `semsearch serve` on a free loopback port, every query
# distinct (each one embedded; the query cache never answers), first from one
# connection (a lone question's latency), then from 16 for LOAD_SECONDS;
# then repeated questions against the new binary (the query cache answers).
# BASE (default 5f71bf9, main before queries were batched) is built once by
# scripts/build-baseline.sh. Prints req/s, p50 and p99 per binary, the ratio
# and the load average (ROUNDS=2 measures each twice, in alternating order).
# Run through `make bench-http`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OLLAMA_HOST:?run through make bench-http}"
NEW=${BIN:-bin/semsearch}
BASE=${BASE:-5f71bf9}
secs=${LOAD_SECONDS:-30}
lone_secs=${LONE_SECONDS:-10}
cache_secs=${CACHE_SECONDS:-10}
conns=${CONNS:-16}
# A search whose embedding is late answers from BM25 alone (after 5 s by
# default): that would count as served, so here the servers wait longer.
export SEMSEARCH_QUERY_EMBED_TIMEOUT=${QUERY_EMBED_TIMEOUT:-25s} # under serve's 30 s request limit
tmp=$(mktemp -d)
. scripts/serve-lib.sh
trap 'stop_serve; rm -rf "$tmp"' EXIT

scripts/build-baseline.sh "$BASE" "$tmp/semsearch-base"
go build -o "$tmp/load" ./cmd/semsearch-load

# measure KEY LABEL BINARY: one row of figures into $tmp/KEY.row, its
# requests/s into $tmp/KEY.rps.
measure() {
	local key=$1 label=$2
	BIN=$3
	"$BIN" --data "$tmp/data-$key" index examples/articles >/dev/null
	start_serve "$tmp/data-$key"
	"$tmp/load" -url "$url" -c 1 -d "${lone_secs}s" -unique >"$tmp/$key.lone"
	"$tmp/load" -url "$url" -c "$conns" -d "${secs}s" -unique >"$tmp/$key.load"
	if [ "$key" = new1 ]; then # repeated questions: the query cache answers
		"$tmp/load" -url "$url" -c "$conns" -d "${cache_secs}s" >"$tmp/cached.load"
	fi
	stop_serve
	serve_pid=
	# "throughput  36.0 requests/s", "latency     p50 X  p90 Y  p99 Z  max W"
	awk '$1 == "throughput" { print $2 }' "$tmp/$key.load" >"$tmp/$key.rps"
	awk -v label="$label" '
		FNR == 1 { f++ }
		$1 == "throughput" { rps[f] = $2 }
		$1 == "errors" { $1 = ""; err = err ";" $0 }
		$1 == "latency" { p50[f] = $3; p99[f] = $7 }
		END { printf "%-22s %8s %12s %12s %12s %12s%s\n", label, rps[2], p50[2], p99[2], p50[1], p99[1], err }
	' "$tmp/$key.lone" "$tmp/$key.load" >"$tmp/$key.row"
}

echo "== /v1/search, distinct questions, Ollama at $OLLAMA_HOST (${SEMSEARCH_MODEL:-default model}), $(nproc) cores"
echo "   query embed timeout $SEMSEARCH_QUERY_EMBED_TIMEOUT; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
new_label="new ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo +))"
# ROUNDS > 1 alternates the order (today new, new today, ...), so that a
# machine growing busier or quieter favours neither.
rows=()
for r in $(seq "${ROUNDS:-1}"); do
	if [ $((r % 2)) = 1 ]; then order="today new"; else order="new today"; fi
	for which in $order; do
		if [ "$which" = today ]; then
			measure "today$r" "today ($BASE)" "$tmp/semsearch-base"
		else
			measure "new$r" "$new_label" "$NEW"
		fi
		rows+=("$tmp/$which$r.row")
	done
done
echo "   load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf "%-22s %8s %12s %12s %12s %12s\n" "binary" "req/s" "p50" "p99" "lone p50" "lone p99"
printf "%-22s %8s %12s %12s %12s %12s\n" "" "${conns} conns" "" "" "1 conn" ""
cat "${rows[@]}"
cat "$tmp"/today*.rps | awk '{ s += $1 } END { print s }' >"$tmp/today.sum"
cat "$tmp"/new*.rps | awk '{ s += $1 } END { print s }' >"$tmp/new.sum"
awk 'NR == 1 { t = $1 } NR == 2 && t > 0 { printf "ratio new / today: %.2fx req/s\n", $1 / t }' "$tmp/today.sum" "$tmp/new.sum"
echo
echo "== the new binary, $conns connections, ${cache_secs}s, repeated questions (query cache)"
grep -E '^(throughput|latency|errors)' "$tmp/cached.load"
