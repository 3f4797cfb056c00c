#!/usr/bin/env bash
# Throughput, latency and CPU cost per request: ferredis against the real
# redis-server, with redis-benchmark.
#
# Both servers run pinned to CPU 0 (`taskset -c 0`) with `--save ""
# --appendonly no`; redis-benchmark runs pinned to CPU 1. For every test the
# servers alternate (ferredis, redis, ferredis, redis, ...) over ROUNDS
# rounds; the table shows medians of req/s, p50 and p99 latency, and the
# server's CPU time (utime+stime from /proc/PID/stat) per request, with the
# ratios ferredis/redis.
#
# Env knobs:
#   ROUNDS  rounds per test (default 3)
#   N       base request count per run (default 200000; the -P 16 row uses
#           12*N, the -c 1 row N/2), sized for ~2-3 s per run on one core
# Tests a server does not implement yet (unknown command) are marked n/a.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
CLK_TCK=$(getconf CLK_TCK)
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
make_workdir bench

for tool in redis-benchmark redis-cli taskset; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

echo "bench: building release binary..." >&2
cargo build --release --bin ferredis-server >&2
FERREDIS=target/release/ferredis-server


SERVERS=(ferredis)
start_pinned_server ferredis "$FERREDIS"
if command -v redis-server >/dev/null; then
    start_pinned_server redis "$(command -v redis-server)"
    SERVERS+=(redis)
else
    echo "bench: redis-server not installed: benchmarking ferredis alone" >&2
fi


# Whether the server knows the command a benchmark test sends.
supports() {
    local port=$1 test=$2 probe
    case $test in
        ping_inline|ping_mbulk) probe=(PING) ;;
        set) probe=(SET __bench_probe x) ;;
        get) probe=(GET __bench_probe) ;;
        incr) probe=(INCR __bench_probe_n) ;;
        mset) probe=(MSET __bench_probe x) ;;
        lpush|rpush|lpop|rpop|lrange_*) probe=(LLEN __bench_probe_l) ;;
        sadd|spop) probe=(SCARD __bench_probe_s) ;;
        hset) probe=(HLEN __bench_probe_h) ;;
        zadd|zpopmin) probe=(ZCARD __bench_probe_z) ;;
        *) probe=(PING) ;;
    esac
    ! redis-cli -p "$port" "${probe[@]}" 2>&1 | grep -q "unknown command"
}

# Rows: a label, the redis-benchmark tests, the options, and the request
# count.
# The last row works on big collections (redis-benchmark's fixed keys
# mylist, myset, myhash, myzset grow to hundreds of thousands of elements).
ROW_LABELS=("-c 50 -P 1 -r 100000" "-d 1024" "-c 50 -P 16" "-c 1" "-c 50 -P 16 collections")
ROW_TESTS=("ping_inline ping_mbulk set get incr mset" "set get" "set get" "get"
    "lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange_100")
ROW_OPTS=("-c 50 -P 1 -r 100000" "-c 50 -d 1024 -r 100000" "-c 50 -P 16 -r 100000" "-c 1 -r 100000"
    "-c 50 -P 16 -r 100000")
ROW_N=("$N" "$N" "$((N * 12))" "$((N / 2))" "$((N * 4))")

# Results: one line per run in $WORK/results:
# server row test rps p50 p99 cpu_us_per_req
RESULTS=$WORK/results
: >"$RESULTS"

run_one() {
    local server=$1 row=$2 test=$3 port pid n out before after line rps p50 p99
    port=PORT_$server
    port=${!port}
    pid=PID_$server
    pid=${!pid}
    n=${ROW_N[$row]}
    before=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086
    out=$(taskset -c 1 redis-benchmark -p "$port" -t "$test" -n "$n" ${ROW_OPTS[$row]} --csv 2>/dev/null)
    after=$(cpu_ticks "$pid")
    line=$(echo "$out" | grep -v '^"test"' | tail -1 | tr -d '"')
    rps=$(echo "$line" | cut -d, -f2)
    p50=$(echo "$line" | cut -d, -f5)
    p99=$(echo "$line" | cut -d, -f7)
    local cpu reqs=$n
    # redis-benchmark runs an LPUSH pass of the same size before LRANGE_*.
    case $test in lrange_*) reqs=$((n * 2)) ;; esac
    cpu=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" \
        'BEGIN { printf "%.3f", d / hz * 1000000 / n }')
    echo "$server $row $test $rps $p50 $p99 $cpu" >>"$RESULTS"
    echo "bench: round $round $server row $row ($test): $rps req/s p50 $p50 p99 $p99 cpu ${cpu}us/req" >&2
}

declare -A UNSUPPORTED=()
for round in $(seq 1 "$ROUNDS"); do
    for row in "${!ROW_LABELS[@]}"; do
        for test in ${ROW_TESTS[$row]}; do
            for server in "${SERVERS[@]}"; do
                port=PORT_$server
                if ! supports "${!port}" "$test"; then
                    UNSUPPORTED[$server.$test]=1
                    continue
                fi
                run_one "$server" "$row" "$test"
            done
        done
    done
done

# median FIELD SERVER ROW TEST
median() {
    awk -v f="$1" -v s="$2" -v r="$3" -v t="$4" '$1 == s && $2 == r && $3 == t { print $f }' "$RESULTS" |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "n/a"; exit }
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

echo
echo "ferredis vs redis-server $(redis-server --version 2>/dev/null | awk '{print $3}' | tr -d 'v=' || true)," \
    "medians of $ROUNDS round(s), servers on CPU 0, redis-benchmark on CPU 1"
echo
if [ "${#SERVERS[@]}" = 2 ]; then
    echo "| options | test | ferredis req/s | redis req/s | ratio | p50 ms f / r | p99 ms f / r | CPU us/req f / r | CPU ratio |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
else
    echo "| options | test | ferredis req/s | p50 ms | p99 ms | CPU us/req |"
    echo "|---|---|---:|---:|---:|---:|"
fi
for row in "${!ROW_LABELS[@]}"; do
    for test in ${ROW_TESTS[$row]}; do
        f_rps=$(median 4 ferredis "$row" "$test")
        f_p50=$(median 5 ferredis "$row" "$test")
        f_p99=$(median 6 ferredis "$row" "$test")
        f_cpu=$(median 7 ferredis "$row" "$test")
        label="${ROW_LABELS[$row]} -n ${ROW_N[$row]}"
        if [ "${#SERVERS[@]}" = 2 ]; then
            r_rps=$(median 4 redis "$row" "$test")
            r_p50=$(median 5 redis "$row" "$test")
            r_p99=$(median 6 redis "$row" "$test")
            r_cpu=$(median 7 redis "$row" "$test")
            echo "| $label | $test | $f_rps | $r_rps | $(ratio "$f_rps" "$r_rps") |" \
                "$f_p50 / $r_p50 | $f_p99 / $r_p99 | $f_cpu / $r_cpu | $(ratio "$f_cpu" "$r_cpu") |"
        else
            echo "| $label | $test | $f_rps | $f_p50 | $f_p99 | $f_cpu |"
        fi
    done
done
if [ "${#UNSUPPORTED[@]}" -gt 0 ]; then
    echo
    echo "n/a: not implemented yet by: ${!UNSUPPORTED[*]}"
fi
