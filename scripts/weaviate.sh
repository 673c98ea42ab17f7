#!/usr/bin/env bash
# Starts (or reuses) Weaviate on loopback for semsearch: one node, or a
# three-node cluster, and stops what it started. The binary is built by the
# Makefile (make weaviate) into the cache; this script only runs it.
#
#   weaviate.sh start          one node at 127.0.0.1:$WEAVIATE_PORT; prints `export SEMSEARCH_STORE=...`
#   weaviate.sh cluster        three nodes at 127.0.0.1:$((WEAVIATE_PORT+1..3)); prints `export SEMSEARCH_STORE=...`
#   weaviate.sh stop           stops every node this script started (recorded pids)
#   weaviate.sh status
#   weaviate.sh kill-node N    SIGKILL cluster node N (1-3); stop-node N: SIGTERM; start-node N: start it again
#
# Settings (environment): WEAVIATE_BIN, WEAVIATE_DIR (state), WEAVIATE_PORT
# (default 8090: the single node; the cluster takes the next three).
# Other ports: single node gRPC 50090, gossip/data/raft/raft-rpc/pprof
# 7900-7904; cluster node N gossip/data/raft/raft-rpc/pprof/gRPC 79N0-79N5.
# The cluster's gRPC ports are below Linux's ephemeral range (32768-60999):
# a node restarted after a kill could not listen on 50092 when an outgoing
# connection somewhere on the machine had taken it as its local port.
set -euo pipefail

: "${WEAVIATE_BIN:?path to the weaviate-server binary}"
: "${WEAVIATE_DIR:?state directory}"
: "${WEAVIATE_PORT:=8090}"

log_name=weaviate
. "$(dirname "$0")/lib.sh"

# node_env KIND N: the ports of a node. KIND is single (N=0) or cluster (N=1..3).
http_port() { if [ "$1" = single ]; then echo "$WEAVIATE_PORT"; else echo $((WEAVIATE_PORT + $2)); fi; }
base_port() { if [ "$1" = single ]; then echo 7900; else echo $((7900 + 10 * $2)); fi; }
grpc_port() { if [ "$1" = single ]; then echo $((42000 + $(http_port "$1" "$2"))); else echo $(($(base_port "$1" "$2") + 5)); fi; }
node_dir() { if [ "$1" = single ]; then echo "$WEAVIATE_DIR/single"; else echo "$WEAVIATE_DIR/cluster/node$2"; fi; }

ready() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$1/v1/.well-known/ready" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() { # running_pid KIND N
	local pidfile pid
	pidfile="$(node_dir "$1" "$2")/weaviate.pid"
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid that is not our weaviate does not count.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^$WEAVIATE_BIN " || return 1
	echo "$pid"
}

launch() { # launch KIND N: start one node in the background, record its pid
	local kind=$1 n=$2 dir http grpc base name
	dir=$(node_dir "$kind" "$n")
	http=$(http_port "$kind" "$n")
	grpc=$(grpc_port "$kind" "$n")
	base=$(base_port "$kind" "$n")
	mkdir -p "$dir/data"
	if listening "$http"; then die "127.0.0.1:$http is taken by a server this script did not start; stop it or set WEAVIATE_PORT"; fi
	local -a env=(
		PERSISTENCE_DATA_PATH="$dir/data"
		AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true
		DEFAULT_VECTORIZER_MODULE=none
		AUTOSCHEMA_ENABLED=false
		ENABLE_MODULES=
		DISABLE_TELEMETRY=true
		LOG_LEVEL=warning
		CLUSTER_ADVERTISE_ADDR=127.0.0.1
		CLUSTER_BIND_ADDR=127.0.0.1
		GRPC_PORT="$grpc"
		CLUSTER_GOSSIP_BIND_PORT="$base"
		CLUSTER_DATA_BIND_PORT=$((base + 1))
		RAFT_PORT=$((base + 2))
		RAFT_INTERNAL_RPC_PORT=$((base + 3))
		GO_PROFILING_PORT=$((base + 4))
	)
	if [ "$kind" = single ]; then
		name=node1
		env+=(CLUSTER_HOSTNAME=node1 RAFT_BOOTSTRAP_EXPECT=1)
	else
		name=node$n
		# RAFT_TIMEOUTS_MULTIPLIER=1: raft's own timeouts (heartbeat and
		# election 1s, leader lease 0.5s) instead of Weaviate's 5x; with 5x a
		# SIGKILLed leader stalls every write on the other nodes for about 10s
		# while they elect a new one (docs/scaling-out.md).
		env+=(CLUSTER_HOSTNAME="$name" CLUSTER_IN_LOCALHOST=true RAFT_BOOTSTRAP_EXPECT=3 RAFT_TIMEOUTS_MULTIPLIER=1
			RAFT_JOIN="node1:$(($(base_port cluster 1) + 2)),node2:$(($(base_port cluster 2) + 2)),node3:$(($(base_port cluster 3) + 2))")
		# Join the gossip of every other node running now (memberlist needs
		# one of them to answer). Not a fixed node: a node restarted
		# while node 1 is down exits when node 1's port refuses the join,
		# and node 1 restarted without a join stays alone in its own
		# memberlist and never catches up. The first node of a cluster
		# joins nobody; the others join it.
		local m join=""
		for m in 1 2 3; do
			[ "$m" != "$n" ] || continue
			running_pid cluster "$m" >/dev/null && join="${join:+$join,}127.0.0.1:$(base_port cluster "$m")"
		done
		if [ -n "$join" ]; then env+=(CLUSTER_JOIN="$join"); fi
	fi
	say "starting $kind $name at http://127.0.0.1:$http (gRPC $grpc; log: $dir/weaviate.log)"
	# setsid: the server outlives make and the shell that started it.
	env "${env[@]}" setsid nohup "$WEAVIATE_BIN" --host 127.0.0.1 --port "$http" --scheme http \
		>>"$dir/weaviate.log" 2>&1 </dev/null 9>&- &
	echo $! >"$dir/weaviate.pid"
}

start_single() {
	mkdir -p "$WEAVIATE_DIR"
	exec 9>"$WEAVIATE_DIR/start.lock"
	flock 9
	local http pid
	http=$(http_port single 0)
	if pid=$(running_pid single 0); then
		say "reusing weaviate (pid $pid) at http://127.0.0.1:$http"
	else
		[ -x "$WEAVIATE_BIN" ] || die "no weaviate binary at $WEAVIATE_BIN (run: make weaviate)"
		launch single 0
	fi
	wait_until 90 ready "$http" || { tail -20 "$(node_dir single 0)/weaviate.log" >&2; die "weaviate did not become ready at 127.0.0.1:$http within 90s"; }
	say "ready at http://127.0.0.1:$http"
	echo "export SEMSEARCH_STORE=weaviate://127.0.0.1:$http"
}

start_cluster() {
	mkdir -p "$WEAVIATE_DIR"
	exec 9>"$WEAVIATE_DIR/start.lock"
	flock 9
	[ -x "$WEAVIATE_BIN" ] || die "no weaviate binary at $WEAVIATE_BIN (run: make weaviate-bin)"
	local n hosts="" grpcs=""
	# Node 1 first: the others exit at once if its gossip port is not up yet.
	for n in 1 2 3; do
		if pid=$(running_pid cluster "$n"); then
			say "reusing cluster node$n (pid $pid)"
		else
			launch cluster "$n"
		fi
		if [ "$n" = 1 ]; then
			wait_until 60 listening "$(base_port cluster 1)" || die "node1 gossip port $(base_port cluster 1) did not open"
		fi
	done
	for n in 1 2 3; do
		wait_until 120 ready "$(http_port cluster "$n")" || { tail -20 "$(node_dir cluster "$n")/weaviate.log" >&2; die "cluster node$n did not become ready"; }
		hosts="${hosts:+$hosts,}127.0.0.1:$(http_port cluster "$n")"
		grpcs="${grpcs:+$grpcs,}$(grpc_port cluster "$n")"
	done
	say "cluster ready: $hosts"
	echo "export SEMSEARCH_STORE=weaviate://$hosts?grpc=$grpcs"
}

stop_node() { # stop_node KIND N SIGNAL
	local pid
	if pid=$(running_pid "$1" "$2"); then
		kill "-$3" "$pid"
		wait_until 30 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
		say "stopped $1 node $2 (pid $pid, SIG$3)"
		return 0
	fi
	return 1
}

stop_all() {
	local any=0
	stop_node single 0 TERM && any=1
	for n in 3 2 1; do stop_node cluster "$n" TERM && any=1; done
	[ $any = 1 ] || say "no weaviate started by this project is running"
	rm -f "$WEAVIATE_DIR"/single/weaviate.pid "$WEAVIATE_DIR"/cluster/node*/weaviate.pid
}

status() {
	local ok=1 pid
	if pid=$(running_pid single 0); then say "single node running (pid $pid) at 127.0.0.1:$(http_port single 0)"; ok=0; fi
	for n in 1 2 3; do
		if pid=$(running_pid cluster "$n"); then say "cluster node$n running (pid $pid) at 127.0.0.1:$(http_port cluster "$n")"; ok=0; fi
	done
	[ $ok = 0 ] || say "not running"
	return $ok
}

node_arg() { case "${1:-}" in 1 | 2 | 3) echo "$1" ;; *) die "node number 1-3 expected" ;; esac; }

case "${1:-}" in
start) start_single ;;
cluster) start_cluster ;;
stop) stop_all ;;
status) status ;;
kill-node) n=$(node_arg "${2:-}"); stop_node cluster "$n" KILL || die "cluster node$n is not running" ;;
stop-node) n=$(node_arg "${2:-}"); stop_node cluster "$n" TERM || die "cluster node$n is not running" ;;
start-node)
	n=$(node_arg "${2:-}")
	if pid=$(running_pid cluster "$n"); then say "cluster node$n already running (pid $pid)"; else launch cluster "$n"; fi
	wait_until 120 ready "$(http_port cluster "$n")" || { tail -5 "$(node_dir cluster "$n")/weaviate.log" >&2; die "cluster node$n did not become ready"; }
	;;
*) die "usage: $0 start|cluster|stop|status|kill-node N|stop-node N|start-node N" ;;
esac
