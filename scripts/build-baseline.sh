#!/usr/bin/env bash
# build-baseline.sh COMMIT OUT [PACKAGE]: builds PACKAGE (default
# ./cmd/semsearch) as of COMMIT into the file OUT, for benchmarks that
# measure "today's binary" beside the working tree's in the same run. The
# build is cached under $SEMSEARCH_CACHE/baseline/<commit>/ (default
# ~/.cache/semsearch), so only the first run of a commit pays for it.
set -euo pipefail
commit=${1:?usage: build-baseline.sh COMMIT OUT [PACKAGE]}
out=${2:?usage: build-baseline.sh COMMIT OUT [PACKAGE]}
pkg=${3:-./cmd/semsearch}
cd "$(dirname "$0")/.."
full=$(git rev-parse --verify --quiet "$commit^{commit}") || { echo "build-baseline: no commit $commit in this repository" >&2; exit 1; }
cache=${SEMSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/semsearch}/baseline/$full
bin=$cache/$(basename "$pkg")
if [ ! -x "$bin" ]; then
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	git archive "$full" | tar -x -C "$src"
	mkdir -p "$cache"
	echo "build-baseline: building $pkg at ${full:0:7} (once; cached in $cache)" >&2
	tmpbin=$(mktemp "$bin.XXXXXX") # two runs at once each build their own, then one wins
	(cd "$src" && go build -o "$tmpbin" "$pkg")
	mv "$tmpbin" "$bin"
fi
mkdir -p "$(dirname "$out")"
cp "$bin" "$out"
