#!/usr/bin/env bash
# Replication benchmark: ferredis against the real redis-server, master and
# replicas of the same kind, one setup at a time on the same machine.
#   full sync   time from a replica's start until its link is up with a
#               master holding KEYS small keys (DEBUG POPULATE), with
#               repl-diskless-sync no (disk) and yes (diskless, delay 0)
#   throughput  master req/s under `redis-benchmark -t set -P 16` with 0, 1
#               and 2 replicas attached, and the replicas' worst lag during
#               the load (master_repl_offset minus the smallest acknowledged
#               replica offset, sampled every 100 ms)
# Prints a markdown table with both servers.
#
# Env knobs: KEYS (5000000), REQUESTS (2000000), FERREDIS_BIN (default: the
# release build, built here), REPLICA_KIND (ferredis: ferredis replicas of
# the ferredis master; redis: redis-server replicas, for a branch where
# ferredis cannot be a replica yet).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-5000000}
REQUESTS=${REQUESTS:-2000000}
REPLICA_KIND=${REPLICA_KIND:-ferredis}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
make_workdir repl

command -v redis-cli >/dev/null || { echo "repl-bench: redis-cli is required" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "repl-bench: redis-benchmark is required" >&2; exit 1; }
if [ -z "${FERREDIS_BIN:-}" ]; then
    echo "repl-bench: building release binary..." >&2
    cargo build --release --bin ferredis-server >&2
    FERREDIS_BIN=target/release/ferredis-server
fi
REDIS_BIN=$(command -v redis-server)

# start_server NAME BINARY CPU DIR [ARGS...]: like start_pinned_server but
# on CPU CPU, in its own directory DIR; retried on another port when the one
# picked was taken meanwhile.
start_server() {
    local name=$1 bin=$2 cpu=$3 dir=$4 port pid attempt
    shift 4
    mkdir -p "$dir"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        taskset -c "$cpu" "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --dir "$dir" --enable-debug-command yes "$@" >"$WORK/$name.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 500); do
            if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
                PIDS+=("$pid")
                printf -v "PORT_$name" '%s' "$port"
                printf -v "PID_$name" '%s' "$pid"
                return
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        grep -q "Address already in use" "$WORK/$name.log" || break
    done
    echo "repl-bench: $name did not start:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}

info_field() { # PORT SECTION FIELD
    redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

now_ms() { date +%s%3N; }

# wait_link_up PORT: waits until the replica on PORT has its link up.
wait_link_up() {
    for _ in $(seq 1 60000); do
        [ "$(info_field "$1" replication master_link_status)" = up ] && return
        sleep 0.02
    done
    echo "repl-bench: replica on $1 never synced" >&2
    exit 1
}

replica_bin() { # KIND
    if [ "$1" = redis ] || [ "$REPLICA_KIND" = redis ]; then
        echo "$REDIS_BIN"
    else
        echo "$FERREDIS_BIN"
    fi
}

master_bin() { # KIND
    if [ "$1" = redis ]; then echo "$REDIS_BIN"; else echo "$FERREDIS_BIN"; fi
}

declare -A SYNC_MS RPS LAG

for kind in ferredis redis; do
    for mode in disk diskless; do
        diskless=no
        [ "$mode" = diskless ] && diskless=yes
        start_server m "$(master_bin $kind)" 0 "$WORK/$kind-$mode-m" \
            --repl-diskless-sync "$diskless" --repl-diskless-sync-delay 0
        redis-cli -p "$PORT_m" debug populate "$KEYS" key 10 >/dev/null
        t0=$(now_ms)
        start_server r "$(replica_bin $kind)" 1 "$WORK/$kind-$mode-r" \
            --replicaof 127.0.0.1 "$PORT_m"
        wait_link_up "$PORT_r"
        SYNC_MS[$kind,$mode]=$(( $(now_ms) - t0 ))
        echo "repl-bench: $kind $mode full sync of $KEYS keys: ${SYNC_MS[$kind,$mode]} ms" >&2
        stop_all
    done

    for n in 0 1 2; do
        start_server m "$(master_bin $kind)" 0 "$WORK/$kind-tp$n-m"
        ports=()
        for i in $(seq 1 "$n"); do
            start_server "r$i" "$(replica_bin $kind)" 1 "$WORK/$kind-tp$n-r$i" \
                --replicaof 127.0.0.1 "$PORT_m"
            p="PORT_r$i"
            wait_link_up "${!p}"
            ports+=("${!p}")
        done
        # Lag sampler: master offset minus the smallest replica offset.
        lagfile="$WORK/lag-$kind-$n"
        echo 0 >"$lagfile"
        if [ "$n" -gt 0 ]; then
            (
                worst=0
                while :; do
                    info=$(redis-cli -p "$PORT_m" info replication | tr -d '\r')
                    mo=$(echo "$info" | awk -F: '$1 == "master_repl_offset" { print $2 }')
                    lo=$(echo "$info" | grep '^slave' | sed 's/.*offset=\([0-9]*\).*/\1/' | sort -n | head -1)
                    if [ -n "$mo" ] && [ -n "$lo" ] && [ $((mo - lo)) -gt "$worst" ]; then
                        worst=$((mo - lo))
                        echo "$worst" >"$lagfile"
                    fi
                    sleep 0.1
                done
            ) &
            sampler=$!
        fi
        out=$(taskset -c 1 redis-benchmark -p "$PORT_m" -t set -P 16 -n "$REQUESTS" -r 100000 -q 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1)
        [ "$n" -gt 0 ] && { kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; }
        RPS[$kind,$n]=$(echo "$out" | sed 's/.*: \([0-9.]*\) requests.*/\1/')
        LAG[$kind,$n]=$(cat "$lagfile")
        echo "repl-bench: $kind with $n replicas: ${RPS[$kind,$n]} SET/s, worst lag ${LAG[$kind,$n]} bytes" >&2
        stop_all
    done
done

echo
echo "Replication, $KEYS keys for full sync, $REQUESTS SETs (-P 16) for throughput; replicas: $REPLICA_KIND for ferredis"
echo
echo "| measure | ferredis | redis |"
echo "|---|---:|---:|"
for mode in disk diskless; do
    echo "| full sync, $mode (ms) | ${SYNC_MS[ferredis,$mode]} | ${SYNC_MS[redis,$mode]} |"
done
for n in 0 1 2; do
    echo "| SET -P 16, $n replicas (req/s) | ${RPS[ferredis,$n]} | ${RPS[redis,$n]} |"
done
for n in 1 2; do
    echo "| worst replica lag, $n replicas (bytes) | ${LAG[ferredis,$n]} | ${LAG[redis,$n]} |"
done
