#!/usr/bin/env bash
# Replication test on a three-node Weaviate cluster on loopback (make
# test-weaviate-cluster). With replication factor 3 it indexes the sample
# articles and BBC articles, then:
#   1. SIGKILLs node 3: every question asked of node 1 and of node 2 returns
#      the same top 10 as before the kill, and indexing at QUORUM succeeds;
#   2. restarts node 3: it catches up (the same object count on every node);
#   3. stops node 3 again and node 2 as well (two of three down): a QUORUM
#      write fails within seconds with a clear message instead of hanging.
# Needs: bin/semsearch, the offline runtime (OLLAMA_HOST, SEMSEARCH_MODEL),
# WEAVIATE_BIN/WEAVIATE_DIR/WEAVIATE_PORT as for scripts/weaviate.sh.
set -euo pipefail

: "${SHARED_DATA:=../shared/data}"
: "${BBC_ARTICLES:=300}"
: "${CLUSTER_CACHE:?directory for the embedded copy of the test corpus}"
ws=scripts/weaviate.sh
p=$((WEAVIATE_PORT))
n1="127.0.0.1:$((p + 1))" n2="127.0.0.1:$((p + 2))" n3="127.0.0.1:$((p + 3))"
all="weaviate://$n1,$n2,$n3"
coll="cluster-$(date +%s)"
tmp=$(mktemp -d)
cp bin/semsearch "$tmp/semsearch" # a rebuild meanwhile does not change the binary under test
bin=$tmp/semsearch
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }
cleanup() {
	"$bin" --store "$all" --collection "$coll" list >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -d "$SHARED_DATA/bbc" ] || fail "no BBC News at $SHARED_DATA/bbc (set SHARED_DATA)"
start=$SECONDS
$ws cluster >/dev/null
# The BBC articles: the first of each category, BBC_ARTICLES in all, plus a
# few more kept back for indexing while a node is down.
mkdir -p "$tmp/bbc" "$tmp/later"
per=$((BBC_ARTICLES / 5))
for cat in business entertainment politics sport tech; do
	files=("$SHARED_DATA/bbc/$cat"/*.txt)
	for f in "${files[@]:0:per}"; do cp "$f" "$tmp/bbc/$cat-$(basename "$f")"; done
	for f in "${files[@]:per:4}"; do cp "$f" "$tmp/later/$cat-$(basename "$f")"; done
done

W=(--collection "$coll" --replication 3 --write-consistency QUORUM)
# The corpus is embedded once into an embedded store in the cache (later
# runs embed nothing), then imported into the cluster: QUORUM batch writes of
# our own vectors, as `index` does.
say "embedding $(ls examples/articles | wc -l) sample and $(ls "$tmp/bbc" | wc -l) BBC articles (once; cached in $CLUSTER_CACHE)"
"$bin" --store "" --data "$CLUSTER_CACHE" --collection cluster-corpus index examples/articles "$tmp/bbc" >&2
"$bin" --store "" --data "$CLUSTER_CACHE" --collection cluster-corpus export -o "$tmp/corpus.jsonl"
say "importing them into the cluster at replication factor 3, QUORUM writes"
"$bin" --store "$all" "${W[@]}" import "$tmp/corpus.jsonl" >&2

counts() { # object counts of the collection's classes on every node, one line
	curl -fsS -m 10 "http://$n1/v1/nodes?output=verbose" |
		jq -c --arg c "$(echo "$coll" | sed 's/-/_2d/g')" '[.nodes[] | {name, objects: ([.shards[]? | select(.class | endswith($c)) | .objectCount] | add)}] | sort_by(.name)'
}
expected() { # documents + passages of the collection: the objects every replica must hold
	"$bin" --store "$all" --collection "$coll" stats --json | jq --arg c "$coll" '.collections[] | select(.name == $c) | .documents + .passages'
}
wait_equal() { # wait_equal SECONDS [WANT]: until every node reports the same object count (WANT, if given)
	local deadline=$((SECONDS + $1)) want=${2:-}
	while :; do
		c=$(counts 2>/dev/null || echo '[]')
		if [ "$(echo "$c" | jq --arg w "$want" '[.[].objects] | length == 3 and (unique | length == 1) and .[0] > 0 and ($w == "" or .[0] == ($w | tonumber))')" = true ]; then return 0; fi
		[ $SECONDS -lt "$deadline" ] || return 1
		sleep 5
	done
}
wait_equal 300 || fail "the replicas hold different object counts after indexing: $c"
say "every node holds the collection: $c"
base=$(echo "$c" | jq '.[0].objects') base_expected=$(expected)

questions=(
	"Who did Trump fire the day before meeting Lavrov?"
	"What did Lavrov joke about?"
	"mobile phone sales growth"
	"football club manager sacked"
	"oil prices and the economy"
	"film awards ceremony winners"
	"election campaign tax promises"
	"broadband internet users"
)
top10() { # top10 NODE: the top 10 (doc, chunk, score) of every question, asked of one node
	local q
	for q in "${questions[@]}"; do
		"$bin" --store "weaviate://$1" --collection "$coll" search --json -k 10 "$q" |
			jq -c '[.results[] | [.doc_id, .chunk, (.score * 1e5 | round)]]'
	done
}
# QUORUM returns once two replicas have a write; the third may still be
# applying it, and reads at ONE may go to it. Wait until all agree.
for try in 1 2 3 4 5 6; do
	top10 "$n1" >"$tmp/before1"
	top10 "$n2" >"$tmp/before2"
	top10 "$n3" >"$tmp/before3"
	if cmp -s "$tmp/before1" "$tmp/before2" && cmp -s "$tmp/before1" "$tmp/before3"; then break; fi
	[ $try -lt 6 ] || fail "nodes still answer differently before any failure"
	say "replicas not in step yet; asking again in 20 s"
	sleep 20
done
[ "$(grep -c '\["' "$tmp/before1")" = "${#questions[@]}" ] || fail "some question found nothing"

say "SIGKILL node 3"
$ws kill-node 3
top10 "$n1" >"$tmp/after1"
top10 "$n2" >"$tmp/after2"
cmp -s "$tmp/before1" "$tmp/after1" || fail "node 1 answers differently after node 3 was killed"
cmp -s "$tmp/before1" "$tmp/after2" || fail "node 2 answers differently after node 3 was killed"
# The client knows all three nodes and fails over to a live one.
"$bin" --store "weaviate://$n3,$n1,$n2" --collection "$coll" search --json -k 10 "${questions[0]}" |
	jq -c '[.results[] | [.doc_id, .chunk, (.score * 1e5 | round)]]' >"$tmp/failover"
[ "$(cat "$tmp/failover")" = "$(head -1 "$tmp/before1")" ] || fail "failover from the dead node 3 answered differently"
say "the same top 10 for ${#questions[@]} questions on node 1 and node 2 (and through failover) after the kill"

say "indexing $(ls "$tmp/later" | wc -l) more articles at QUORUM with node 3 down"
"$bin" --store "$all" "${W[@]}" index "$tmp/later" >&2 || fail "QUORUM indexing failed with one node down"

say "restarting node 3; waiting for it to catch up (async replication)"
$ws start-node 3 >&2
# Node 3 has caught up when every node reports the objects it had before
# the kill plus all those written while it was down.
want=$((base + $(expected) - base_expected))
wait_equal 300 "$want" || fail "node 3 did not catch up (to $want objects on every node) within 300 s: $c"
say "caught up: $c"

say "stopping node 3 again and node 2 as well: with two of three down a QUORUM write must fail within seconds"
$ws stop-node 3
$ws stop-node 2
echo "A late note written while two of three nodes are down." >"$tmp/late-note.txt"
t0=$SECONDS
if out=$("$bin" --store "$all" "${W[@]}" --store-timeout 5s index "$tmp/late-note.txt" 2>&1); then
	fail "a QUORUM write succeeded with two of three nodes down"
fi
took=$((SECONDS - t0))
echo "$out" | tail -1 >&2
[ $took -le 60 ] || fail "the failing write took ${took}s"
echo "$out" | grep -q "consistency QUORUM" || fail "the error does not say why: $out"
say "QUORUM write refused after ${took}s"

$ws start-node 2 >&2 || true
$ws start-node 3 >&2 || true
say "PASS (${SECONDS}s after the cluster start; collection $coll)"
