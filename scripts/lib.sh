# Sourced by the scripts that run the project's servers (runtime.sh,
# weaviate.sh) after they set log_name: say and die prefix their messages with it.

say() { echo "$log_name: $*" >&2; }
die() { echo "$log_name: error: $*" >&2; exit 1; }

wait_until() { # wait_until SECONDS COMMAND...
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}
