#!/usr/bin/env bash
# Pub/Sub throughput, publisher latency and server CPU per delivered
# message: ferredis against the real redis-server, with
# examples/pubsub_bench.rs (one publisher, 1 / 10 / 100 subscribers on one
# channel, 64-byte messages, pipeline depth 16).
#
# Both servers run pinned to CPU 0 with `--save "" --appendonly no` and a
# pubsub output-buffer limit large enough that no subscriber is dropped;
# the load generator runs pinned to CPU 1. For each subscriber count the
# servers alternate over ROUNDS rounds; the table shows medians of
# messages/s delivered (received by all subscribers / time), the
# publisher's p99 PUBLISH latency, and the server's CPU time (utime+stime
# from /proc/PID/stat) per delivered message, with ferredis/redis ratios.
#
# Env knobs:
#   ROUNDS    rounds per row (default 3)
#   SECS      seconds of publishing per run (default 5)
#   SUBS      subscriber counts (default "1 10 100")
#   SIZE      message size in bytes (default 64)
#   PIPELINE  PUBLISH pipeline depth (default 16)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
SUBS=${SUBS:-"1 10 100"}
SIZE=${SIZE:-64}
PIPELINE=${PIPELINE:-16}
CLK_TCK=$(getconf CLK_TCK)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
make_workdir pubsub-bench

for tool in redis-cli taskset; do
    command -v "$tool" >/dev/null || { echo "pubsub-bench: $tool is required" >&2; exit 1; }
done

echo "pubsub-bench: building release binaries..." >&2
cargo build --release --bin ferredis-server --example pubsub_bench >&2
FERREDIS=target/release/ferredis-server
BENCH=target/release/examples/pubsub_bench


SERVERS=(ferredis)
start_pinned_server ferredis "$FERREDIS" --client-output-buffer-limit "pubsub 1gb 1gb 60"
if command -v redis-server >/dev/null; then
    start_pinned_server redis "$(command -v redis-server)" --client-output-buffer-limit "pubsub 1gb 1gb 60"
    SERVERS+=(redis)
else
    echo "pubsub-bench: redis-server not installed: benchmarking ferredis alone" >&2
fi


# field NAME LINE: the value of NAME=... in a pubsub_bench output line.
field() {
    echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}

RESULTS=$WORK/results
: >"$RESULTS"

# A short unrecorded run per server first (buffers grown, pages touched).
for server in "${SERVERS[@]}"; do
    port=PORT_$server
    taskset -c 1 "$BENCH" --port "${!port}" --subscribers 10 --seconds 0.5 --size "$SIZE" \
        --pipeline "$PIPELINE" >/dev/null
done

for round in $(seq 1 "$ROUNDS"); do
    for subs in $SUBS; do
        for server in "${SERVERS[@]}"; do
            port=PORT_$server
            port=${!port}
            pid=PID_$server
            pid=${!pid}
            before=$(cpu_ticks "$pid")
            out=$(taskset -c 1 "$BENCH" --port "$port" --subscribers "$subs" --seconds "$SECS" \
                --size "$SIZE" --pipeline "$PIPELINE")
            after=$(cpu_ticks "$pid")
            delivered=$(field delivered "$out")
            published=$(field published "$out")
            rate=$(field msgs_per_sec "$out")
            p99=$(field p99_us "$out")
            cpu=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$delivered" \
                'BEGIN { if (n == 0) print "n/a"; else printf "%.3f", d / hz * 1000000 / n }')
            if [ "$delivered" != "$((published * subs))" ]; then
                echo "pubsub-bench: $server lost messages: $out" >&2
            fi
            echo "$server $subs $rate $p99 $cpu" >>"$RESULTS"
            echo "pubsub-bench: round $round $server subs=$subs: $out cpu ${cpu}us/msg" >&2
        done
    done
done

# median FIELD SERVER SUBS
median() {
    awk -v f="$1" -v s="$2" -v n="$3" '$1 == s && $2 == n { print $f }' "$RESULTS" |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "n/a"; exit }
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

echo
echo "ferredis vs redis-server $(redis-server --version 2>/dev/null | awk '{print $3}' | tr -d 'v=' || true)," \
    "pub/sub, ${SIZE}-byte messages, pipeline $PIPELINE, ${SECS}s runs, medians of $ROUNDS round(s)," \
    "servers on CPU 0, load on CPU 1"
echo
if [ "${#SERVERS[@]}" = 2 ]; then
    echo "| subscribers | ferredis msg/s | redis msg/s | ratio | publisher p99 us f / r | CPU us/msg f / r | CPU ratio |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
else
    echo "| subscribers | ferredis msg/s | publisher p99 us | CPU us/msg |"
    echo "|---:|---:|---:|---:|"
fi
for subs in $SUBS; do
    f_rate=$(median 3 ferredis "$subs")
    f_p99=$(median 4 ferredis "$subs")
    f_cpu=$(median 5 ferredis "$subs")
    if [ "${#SERVERS[@]}" = 2 ]; then
        r_rate=$(median 3 redis "$subs")
        r_p99=$(median 4 redis "$subs")
        r_cpu=$(median 5 redis "$subs")
        echo "| $subs | $f_rate | $r_rate | $(ratio "$f_rate" "$r_rate") | $f_p99 / $r_p99 |" \
            "$f_cpu / $r_cpu | $(ratio "$f_cpu" "$r_cpu") |"
    else
        echo "| $subs | $f_rate | $f_p99 | $f_cpu |"
    fi
done
