#!/usr/bin/env bash
# Builds a CPU-only Ollama v0.17.x from the Go module proxy (the recipe in
# docs/offline-model.md, "Ollama versions tested"). The module zip drops llama.cpp's vendor/ folder,
# so three header sets are put back before building:
#   nlohmann/json.hpp, json_fwd.hpp, detail/  Debian nlohmann-json3-dev
#   stb/stb_image.h                           Debian libstb-dev
#   miniaudio/miniaudio.h                     Go module github.com/gen2brain/malgo
# The .debs are unpacked with dpkg -x (not installed). Idempotent: does nothing
# when OUT exists; its temporary folder is removed on exit.
#
# Settings (environment): OLLAMA_VERSION (v0.17.4), OUT (the binary to write),
# MALGO_VERSION (v0.11.24), GO (go).
set -euo pipefail

: "${OLLAMA_VERSION:=v0.17.4}"
: "${OUT:?path of the binary to build}"
: "${MALGO_VERSION:=v0.11.24}"
: "${GO:=go}"

log_name=build-ollama
. "$(dirname "$0")/lib.sh"

[ -x "$OUT" ] && { say "$OUT exists"; exit 0; }

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

say "fetching github.com/ollama/ollama@${OLLAMA_VERSION} and github.com/gen2brain/malgo@${MALGO_VERSION}"
src=$(cd "$tmp" && "$GO" mod download -json "github.com/ollama/ollama@${OLLAMA_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
malgo=$(cd "$tmp" && "$GO" mod download -json "github.com/gen2brain/malgo@${MALGO_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || die "no module folder for ollama@${OLLAMA_VERSION}"
[ -f "$malgo/miniaudio.h" ] || die "no miniaudio.h in malgo@${MALGO_VERSION} ($malgo)"

say "unpacking nlohmann-json3-dev and libstb-dev (apt-get download + dpkg -x)"
# A fresh machine has no package lists yet: fetch them once and try again.
(cd "$tmp" && apt-get download nlohmann-json3-dev libstb-dev >&2) ||
	{ apt-get update >&2 && (cd "$tmp" && apt-get download nlohmann-json3-dev libstb-dev >&2); } ||
	die "apt-get download failed even after apt-get update: are Debian's package servers reachable?"
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/debs"; done

cp -r "$src" "$tmp/ollama"
chmod -R u+w "$tmp/ollama"
vendor="$tmp/ollama/llama/llama.cpp/vendor"
mkdir -p "$vendor/nlohmann" "$vendor/stb" "$vendor/miniaudio"
cp -r "$tmp/debs/usr/include/nlohmann/." "$vendor/nlohmann/"
cp "$tmp/debs/usr/include/stb/stb_image.h" "$vendor/stb/"
cp "$malgo/miniaudio.h" "$vendor/miniaudio/"

say "building Ollama ${OLLAMA_VERSION} (about 9 minutes on 2 cores, once)"
cd "$tmp/ollama"
"$GO" mod download
mkdir -p "$(dirname "$OUT")"
time CGO_ENABLED=1 "$GO" build -ldflags "-X github.com/ollama/ollama/version.Version=${OLLAMA_VERSION#v}" -o "$tmp/ollama-bin" . >&2
mv "$tmp/ollama-bin" "$OUT"
say "built $OUT"
