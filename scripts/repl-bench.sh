#!/usr/bin/env bash
# Replication benchmark: ferredis against the real redis-server, master and
# replicas of the same kind, one setup at a time on the same machine.
#   full sync   time from a replica's start until its link is up with a
#               master holding KEYS small keys (DEBUG POPULATE), with
#               repl-diskless-sync no (disk) and yes (diskless, delay 0)
#   throughput  master req/s under `redis-benchmark -t set -P 16` with 0, 1
#               and 2 replicas attached, and the replicas' worst lag during
#               the load, sampled every 100 ms: applied (the master's offset
#               minus the slowest replica's own processed offset) and
#               acknowledged (minus the offset of its last REPLCONF ACK), in
#               bytes and in milliseconds of stream at the run's rate
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
# on CPU CPU, in its own directory DIR, with DEBUG enabled.
start_server() {
    local name=$1 bin=$2 cpu=$3 dir=$4
    shift 4
    mkdir -p "$dir"
    start_with_retry "$name" "$WORK/$name.log" launch_pinned "$WORK/$name.log" "$cpu" "$bin" \
        --dir "$dir" --enable-debug-command yes "$@"
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

# info_on_fd FD: sends INFO replication on an open connection and leaves
# the reply's text in INFO_TEXT.
info_on_fd() {
    local hdr
    printf 'INFO replication\r\n' >&"$1" || return 1
    IFS= read -r hdr <&"$1" || return 1
    hdr=${hdr%$'\r'}
    IFS= read -r -N $((${hdr#\$} + 2)) INFO_TEXT <&"$1" || return 1
}

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

declare -A SYNC_MS RPS LAG ACKLAG RATE

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
        # Lag sampler, every 100 ms. Applied lag: each replica's own
        # processed offset (slave_repl_offset) is read first, the master's
        # offset after, so the difference is an upper bound on how far the
        # slowest replica is behind. Acknowledged lag: the master's view
        # (the offsets of the replicas' last REPLCONF ACK, sent once a
        # second), so it holds about a second of stream at any speed.
        lagfile="$WORK/lag-$kind-$n"
        echo "0 0" >"$lagfile"
        if [ "$n" -gt 0 ]; then
            (
                # One connection per server, read with bash's own /dev/tcp
                # (no redis-cli process per sample): the replicas and the
                # master are read within a fraction of a millisecond.
                fds=()
                for p in "${ports[@]}"; do
                    exec {fd}<>"/dev/tcp/127.0.0.1/$p"
                    fds+=("$fd")
                done
                exec {mfd}<>"/dev/tcp/127.0.0.1/$PORT_m"
                worst_applied=0
                worst_acked=0
                while :; do
                    lo_applied=
                    for fd in "${fds[@]}"; do
                        info_on_fd "$fd" || exit 0
                        [[ $INFO_TEXT =~ slave_repl_offset:([0-9]+) ]] || continue
                        o=${BASH_REMATCH[1]}
                        if [ -z "$lo_applied" ] || [ "$o" -lt "$lo_applied" ]; then
                            lo_applied=$o
                        fi
                    done
                    info_on_fd "$mfd" || exit 0
                    [[ $INFO_TEXT =~ master_repl_offset:([0-9]+) ]] || continue
                    mo=${BASH_REMATCH[1]}
                    lo_acked=$mo
                    rest=$INFO_TEXT
                    while [[ $rest =~ offset=([0-9]+),lag ]]; do
                        [ "${BASH_REMATCH[1]}" -lt "$lo_acked" ] && lo_acked=${BASH_REMATCH[1]}
                        rest=${rest#*offset="${BASH_REMATCH[1]}",lag}
                    done
                    if [ -n "$lo_applied" ] && [ $((mo - lo_applied)) -gt "$worst_applied" ]; then
                        worst_applied=$((mo - lo_applied))
                    fi
                    if [ $((mo - lo_acked)) -gt "$worst_acked" ]; then
                        worst_acked=$((mo - lo_acked))
                    fi
                    echo "$worst_applied $worst_acked" >"$lagfile"
                    sleep 0.1
                done
            ) &
            sampler=$!
        fi
        off0=$(info_field "$PORT_m" replication master_repl_offset)
        t0=$(now_ms)
        out=$(taskset -c 1 redis-benchmark -p "$PORT_m" -t set -P 16 -n "$REQUESTS" -r 100000 -q 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1)
        [ "$n" -gt 0 ] && { kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; }
        RPS[$kind,$n]=$(echo "$out" | sed 's/.*: \([0-9.]*\) requests.*/\1/')
        # The stream's rate over the run turns bytes of lag into time.
        off1=$(info_field "$PORT_m" replication master_repl_offset)
        RATE[$kind,$n]=$(( (off1 - off0) * 1000 / ($(now_ms) - t0 + 1) ))
        read -r LAG[$kind,$n] ACKLAG[$kind,$n] <"$lagfile"
        echo "repl-bench: $kind with $n replicas: ${RPS[$kind,$n]} SET/s, worst applied lag ${LAG[$kind,$n]} bytes, acknowledged ${ACKLAG[$kind,$n]} bytes, stream ${RATE[$kind,$n]} bytes/s" >&2
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
lag_ms() { # BYTES RATE
    awk -v b="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.1f", b * 1000 / r; else print "-" }'
}
for n in 1 2; do
    echo "| worst replica lag, applied, $n replicas (bytes) | ${LAG[ferredis,$n]} | ${LAG[redis,$n]} |"
    echo "| worst replica lag, applied, $n replicas (ms of stream) | $(lag_ms "${LAG[ferredis,$n]}" "${RATE[ferredis,$n]}") | $(lag_ms "${LAG[redis,$n]}" "${RATE[redis,$n]}") |"
    echo "| worst replica lag, acknowledged, $n replicas (bytes) | ${ACKLAG[ferredis,$n]} | ${ACKLAG[redis,$n]} |"
    echo "| worst replica lag, acknowledged, $n replicas (ms of stream) | $(lag_ms "${ACKLAG[ferredis,$n]}" "${RATE[ferredis,$n]}") | $(lag_ms "${ACKLAG[redis,$n]}" "${RATE[redis,$n]}") |"
done
