# Sourced by the load benchmarks (bench-http.sh, bench-writes.sh), which set
# BIN and tmp. start_serve DATA [FLAGS...] starts `semsearch serve` on a free
# loopback port, waits until it answers and sets url (the server writes its
# address to DATA/SERVER, so no port has to be picked in advance); its log
# goes to $tmp/serve.log. stop_serve, for the caller's EXIT trap, stops it.
# The load tool is built into $tmp/load.

serve_pid=

start_serve() {
	local data=$1; shift
	"$BIN" --data "$data" "$@" serve --addr 127.0.0.1:0 2>"$tmp/serve.log" &
	serve_pid=$!
	url=
	for _ in $(seq 300); do
		[ -z "$url" ] && [ -s "$data/SERVER" ] && url=$(cat "$data/SERVER")
		[ -n "$url" ] && curl -fsS "$url/healthz" >/dev/null 2>&1 && break
		kill -0 "$serve_pid" 2>/dev/null || { echo "semsearch serve exited:" >&2; cat "$tmp/serve.log" >&2; return 1; }
		sleep 0.1
	done
	[ -n "$url" ] || { echo "semsearch serve did not announce its address in 30 s" >&2; return 1; }
	go build -o "$tmp/load" ./cmd/semsearch-load
}

stop_serve() {
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
	wait 2>/dev/null
	return 0
}
