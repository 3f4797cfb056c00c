# Shared shell helpers for the scripts under scripts/ (sourced, not run).

# make_workdir NAME: a fresh temporary directory in WORK, an empty PIDS
# list for the processes the script starts, and an EXIT trap that stops
# them and removes the directory.
make_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferredis-$1.XXXXXX")
    PIDS=()
    trap cleanup EXIT
}

# cleanup: stops every process in PIDS and removes WORK (the EXIT trap).
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# free_port: prints a loopback TCP port nothing listens on.
free_port() {
    local p
    while :; do
        p=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# start_pinned_server NAME BINARY [ARGS...]: starts a server pinned to CPU 0
# with persistence off (and ARGS), logging to $WORK/NAME.log, adding its
# pid to PIDS; sets PORT_<NAME> and PID_<NAME> once it answers PING.
start_pinned_server() {
    local name=$1 bin=$2 port pid
    shift 2
    port=$(free_port)
    taskset -c 0 "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no "$@" \
        >"$WORK/$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 500); do
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
            printf -v "PORT_$name" '%s' "$port"
            printf -v "PID_$name" '%s' "$pid"
            return
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    echo "$(basename "$0"): $name did not start:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

# cpu_ticks PID: CPU time (utime+stime, clock ticks) of a process. Fields
# after the ")" that closes the command name: utime and stime are fields
# 14 and 15 of the whole line, 12 and 13 after it.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}
