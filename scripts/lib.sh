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

# start_with_retry NAME LOG LAUNCH [ARGS...]: `LAUNCH PORT ARGS...` starts a
# server in the background on PORT, logging to LOG. Waits until it answers
# PING (a start-up load may take minutes); when another process took the
# port meanwhile ("Address already in use"), tries again on another one, so
# a PONG never comes from someone else's server. Adds the pid to PIDS and
# sets PORT_<NAME> and PID_<NAME>.
start_with_retry() {
    local name=$1 log=$2 launch=$3 port pid attempt
    shift 3
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        : >"$log"
        "$launch" "$port" "$@"
        pid=$!
        for _ in $(seq 1 6000); do
            if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
                PIDS+=("$pid")
                printf -v "PORT_$name" '%s' "$port"
                printf -v "PID_$name" '%s' "$pid"
                return
            fi
            grep -q "Address already in use" "$log" && break
            [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        grep -q "Address already in use" "$log" || break
    done
    echo "$(basename "$0"): $name did not start:" >&2
    cat "$log" >&2
    exit 1
}

# launch_pinned PORT LOG CPU BINARY [ARGS...]: LAUNCH for start_with_retry,
# a server pinned to CPU with persistence off.
launch_pinned() {
    local port=$1 log=$2 cpu=$3 bin=$4
    shift 4
    taskset -c "$cpu" "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no "$@" \
        >"$log" 2>&1 &
}

# start_pinned_server NAME BINARY [ARGS...]: starts a server pinned to CPU 0
# with persistence off (and ARGS), logging to $WORK/NAME.log; sets
# PORT_<NAME> and PID_<NAME> once it answers PING.
start_pinned_server() {
    local name=$1 bin=$2
    shift 2
    start_with_retry "$name" "$WORK/$name.log" launch_pinned "$WORK/$name.log" 0 "$bin" "$@"
}

# cpu_ticks PID: CPU time (utime+stime, clock ticks) of a process. Fields
# after the ")" that closes the command name: utime and stime are fields
# 14 and 15 of the whole line, 12 and 13 after it.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    echo "${stat##*) }" | awk '{ print $12 + $13 }'
}
