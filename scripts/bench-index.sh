#!/usr/bin/env bash
# Indexing throughput of this tree's binary against today's (BASE), in
# the same run: BBC News (2,226 articles) against cmd/glovesim, an embedding
# server that answers in microseconds, so only semsearch's own cost remains;
# then a subset against the real offline runtime when OLLAMA_HOST is set.
# The two binaries run interleaved (ROUNDS rounds, alternating which goes
# first) and each row is the median round, so a machine shared with other
# work loads both alike; the load average is printed beside the table.
# Run through `make bench-index`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/semsearch}
CACHE=${CACHE:?run through make bench-index}
GLOVE_TGZ=${GLOVE_TGZ:?run through make bench-index}
SHARED_DATA=${SHARED_DATA:-../shared/data}
BASE=${BASE:-5f71bf9}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-1 4}                         # --embed-concurrency values measured against glovesim
RUNTIME_CORPUS=${RUNTIME_CORPUS:-$SHARED_DATA/bbc/tech} # the subset indexed through the real runtime
RUNTIME_ROUNDS=${RUNTIME_ROUNDS:-1}
COPIES=${COPIES:-4} # a row over this many copies of BBC shows how memory grows with the folder (0: none)
GLOVESIM_PORT=${GLOVESIM_PORT:-11493}
corpus=$SHARED_DATA/bbc
[ -d "$corpus" ] || { echo "bench-index: no BBC News at $corpus (set SHARED_DATA)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench-index: needs GNU time (/usr/bin/time)" >&2; exit 1; }

tmp=$(mktemp -d)
gpid=
cleanup() {
	if [ -n "$gpid" ]; then kill "$gpid" 2>/dev/null || true; wait "$gpid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Today's binary, built once from BASE (scripts/build-baseline.sh caches it).
OLD=$tmp/semsearch-base
SEMSEARCH_CACHE=$CACHE scripts/build-baseline.sh "$BASE" "$OLD"
NEW=$BIN
go build -o "$tmp/glovesim" ./cmd/glovesim

# glovesim serves the offline model's recipe (see GLOVE_FLAGS in the Makefile).
"$tmp/glovesim" -in "$GLOVE_TGZ" -addr 127.0.0.1:"$GLOVESIM_PORT" -models 'glove-100d:sif=1e-4,remove-common' 2>"$tmp/glovesim.log" &
gpid=$!
for _ in $(seq 600); do
	curl -sf "http://127.0.0.1:$GLOVESIM_PORT/api/version" >/dev/null && break
	kill -0 "$gpid" 2>/dev/null || { cat "$tmp/glovesim.log" >&2; exit 1; }
	sleep 0.2
done

# run NAME BINARY CORPUS FLAGS...: one index run into a fresh data
# directory; appends "name wall cpu passages rss_kb" to $tmp/runs.
run() {
	local name=$1 bin=$2 dir=$3; shift 3
	rm -rf "$tmp/data"
	sync # the run before leaves dirty pages; their writeback would land in this run's time
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$bin" --data "$tmp/data" index -q -c bench "$@" "$dir" >"$tmp/out" 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	local passages
	passages=$(sed -n 's/.* \([0-9]*\) passages embedded.*/\1/p' "$tmp/out")
	read -r wall user sys rss <"$tmp/time"
	awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v p="$passages" -v r="$rss" 'BEGIN { OFS = "\t"; print n, w, u + s, p, r }' >>"$tmp/runs"
}

# measure LABEL ROUNDS CORPUS FLAGS...: both binaries, interleaved.
measure() {
	local label=$1 rounds=$2 dir=$3; shift 3
	for r in $(seq "$rounds"); do
		if [ $((r % 2)) = 1 ]; then
			run "$label|old" "$OLD" "$dir" "$@"; run "$label|new" "$NEW" "$dir" "$@"
		else
			run "$label|new" "$NEW" "$dir" "$@"; run "$label|old" "$OLD" "$dir" "$@"
		fi
	done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/runs"
for c in $CONCURRENCY; do
	OLLAMA_HOST=http://127.0.0.1:$GLOVESIM_PORT SEMSEARCH_MODEL=glove-100d \
		measure "glovesim BBC, --embed-concurrency $c" "$ROUNDS" "$corpus" --embed-concurrency "$c"
done
if [ "$COPIES" -gt 1 ]; then
	for i in $(seq "$COPIES"); do mkdir -p "$tmp/copies/$i" && cp -r "$corpus"/. "$tmp/copies/$i"; done
	OLLAMA_HOST=http://127.0.0.1:$GLOVESIM_PORT SEMSEARCH_MODEL=glove-100d \
		measure "glovesim BBC x$COPIES (memory), concurrency 1" 1 "$tmp/copies" --embed-concurrency 1
fi
kill "$gpid" 2>/dev/null || true
wait "$gpid" 2>/dev/null || true
gpid=
runtime_note=
if [ -n "${OLLAMA_HOST:-}" ] && [ -d "$RUNTIME_CORPUS" ]; then
	n=$(find "$RUNTIME_CORPUS" -type f | wc -l)
	measure "runtime $(basename "$RUNTIME_CORPUS") $n art., subset" "$RUNTIME_ROUNDS" "$RUNTIME_CORPUS"
else
	runtime_note="(no real-runtime row: run through make bench-index, which starts the offline runtime)"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
base_rev=$(git rev-parse --short "$BASE^{commit}" 2>/dev/null || echo "$BASE")

echo "== make bench-index: indexing, today's binary ($base_rev) against this tree's, interleaved, median of the rounds"
echo "   load average before: $load_before; after: $load_after ($(nproc) CPUs)"
awk -F '\t' '
{ key = $1; sub(/\|[a-z]+$/, "", key); split($1, p, "|"); bin = p[2]
  n[$1]++; wall[$1, n[$1]] = $2; cpu[$1, n[$1]] = $3; pass[$1] = $4; if ($5 > rss[$1]) rss[$1] = $5
  if (!(key in seen)) { seen[key] = 1; order[++keys] = key } }
function median(a, name,   k, i, j, t, v) {
  k = n[name]; for (i = 1; i <= k; i++) v[i] = a[name, i]
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
  return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
END {
  printf "%-46s %-4s %8s %11s %7s %7s %12s %8s\n", "corpus, flags", "bin", "passages", "passages/s", "wall s", "CPU s", "CPU ms/pass.", "RSS MB"
  for (i = 1; i <= keys; i++) {
    k = order[i]
    for (b = 0; b < 2; b++) {
      name = k "|" (b ? "new" : "old"); w = median(wall, name); c = median(cpu, name)
      rate[b] = pass[name] / w; cpp[b] = 1000 * c / pass[name]
      printf "%-46s %-4s %8d %11.0f %7.2f %7.2f %12.3f %8.0f\n", k, (b ? "new" : "old"), pass[name], rate[b], w, c, cpp[b], rss[name] / 1024
    }
    printf "%-46s %-4s %8s %10.2fx %7s %7s %11.2fx %8s\n", k, "new/old", "", rate[1] / rate[0], "", "", cpp[1] / cpp[0], "" }
}' "$tmp/runs"
[ -z "$runtime_note" ] || echo "$runtime_note"
