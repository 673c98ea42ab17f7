#!/usr/bin/env bash
# Starts (or reuses) the project's private Ollama with the offline model, and
# stops it. Everything it needs is built by the Makefile into the cache
# directory; this script only runs it.
#
#   runtime.sh start   prints `export OLLAMA_HOST=...` and `export SEMSEARCH_MODEL=...`
#                      on stdout (so `eval "$(make -s runtime)"` works); progress on stderr
#   runtime.sh stop    stops only the server this script started (recorded pid)
#   runtime.sh status
#
# Settings (environment): OLLAMA_BIN, MODEL_GGUF, RUNTIME_DIR, RUNTIME_PORT, RUNTIME_MODEL.
set -euo pipefail

: "${OLLAMA_BIN:?path to the ollama binary}"
: "${RUNTIME_DIR:?state directory}"
: "${RUNTIME_PORT:=11435}"
: "${RUNTIME_MODEL:=glove-100d}"

addr="127.0.0.1:${RUNTIME_PORT}"
url="http://${addr}"
pidfile="${RUNTIME_DIR}/ollama.pid"
logfile="${RUNTIME_DIR}/ollama.log"
models="${RUNTIME_DIR}/models"
stamp="${RUNTIME_DIR}/model.sha256"

log_name=runtime
. "$(dirname "$0")/lib.sh"

running_pid() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid that is not our ollama does not count.
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" = "$OLLAMA_BIN serve " ] || return 1
	echo "$pid"
}

answers() { curl -fsS -m 2 "$url/api/version" >/dev/null 2>&1; }

embed_ok() {
	curl -fsS -m 30 "$url/api/embed" -d "{\"model\":\"${RUNTIME_MODEL}\",\"input\":[\"runtime check\"]}" 2>/dev/null |
		grep -q '"embeddings":\[\['
}

start() {
	: "${MODEL_GGUF:?path to the model file}"
	[ -x "$OLLAMA_BIN" ] || die "no ollama binary at $OLLAMA_BIN (run: make ollama)"
	[ -f "$MODEL_GGUF" ] || die "no model file at $MODEL_GGUF (run: make model)"
	mkdir -p "$RUNTIME_DIR" "$models"

	# One start at a time (e.g. make -j running two eval targets).
	exec 9>"${RUNTIME_DIR}/start.lock"
	flock 9

	if pid=$(running_pid); then
		# Ours, perhaps still starting: wait for it rather than start another.
		wait_until 60 answers || { tail -20 "$logfile" >&2; die "ollama (pid $pid) does not answer at $url; see $logfile or run make runtime-stop"; }
		say "reusing ollama (pid $pid) at $url"
	else
		if answers; then
			die "$addr is taken by a server this script did not start; stop it or set RUNTIME_PORT"
		fi
		say "starting ollama at $url (log: $logfile)"
		# setsid: the server outlives make and the shell that started it.
		OLLAMA_HOST="$addr" OLLAMA_MODELS="$models" OLLAMA_KEEP_ALIVE=30m \
			setsid nohup "$OLLAMA_BIN" serve >>"$logfile" 2>&1 </dev/null 9>&- &
		echo $! >"$pidfile"
		wait_until 60 answers || { tail -20 "$logfile" >&2; die "ollama did not answer at $url within 60s"; }
	fi

	# (Re)create the model when it is missing or the model file changed.
	want=$(sha256sum "$MODEL_GGUF" | cut -d' ' -f1)
	have=$(cat "$stamp" 2>/dev/null || true)
	if [ "$want" != "$have" ] || ! curl -fsS -m 5 "$url/api/show" -d "{\"model\":\"${RUNTIME_MODEL}\"}" >/dev/null 2>&1; then
		say "creating model ${RUNTIME_MODEL} from $MODEL_GGUF"
		modelfile="${RUNTIME_DIR}/Modelfile"
		echo "FROM $MODEL_GGUF" >"$modelfile"
		OLLAMA_HOST="$addr" "$OLLAMA_BIN" create "$RUNTIME_MODEL" -f "$modelfile" >&2 ||
			die "ollama create failed; see $logfile"
		echo "$want" >"$stamp"
	fi
	wait_until 120 embed_ok || { tail -20 "$logfile" >&2; die "/api/embed did not answer for ${RUNTIME_MODEL}"; }
	say "ready: ${RUNTIME_MODEL} at $url"
	echo "export OLLAMA_HOST=$url"
	echo "export SEMSEARCH_MODEL=${RUNTIME_MODEL}"
}

stop() {
	if pid=$(running_pid); then
		kill "$pid"
		wait_until 20 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
		say "stopped ollama (pid $pid)"
	else
		say "no runtime started by this project is running"
	fi
	rm -f "$pidfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) if pid=$(running_pid); then say "running (pid $pid) at $url"; else say "not running"; exit 1; fi ;;
*) die "usage: $0 start|stop|status" ;;
esac
