#!/usr/bin/env bash
# Persistence benchmark: ferredis against the real redis-server, one server
# at a time on the same machine, for two datasets:
#   strings  KEYS small string keys (default 10,000,000)
#   hashes   HASHES hashes of 10 small fields (default 1,000,000)
# Keys are named as redis-benchmark's __rand_int__ makes them, so that the
# write load (SET / HSET on random existing keys) overwrites the dataset
# instead of growing it. For each: the time BGSAVE takes under that load, the
# peak memory of parent plus child during it (sum of PSS, which counts a
# shared page once, and sum of RSS, which counts it twice), the child's
# copy-on-write as the server reports it, the size of a SAVE of the loaded
# dataset, and the start-up load time of the BGSAVE dump (the server's own
# "DB loaded from disk" line).
# Prints a markdown table with both servers and the ratios.
#
# Env knobs: KEYS, HASHES, DATASETS ("strings hashes").
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-10000000}
HASHES=${HASHES:-1000000}
DATASETS=${DATASETS:-"strings hashes"}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
make_workdir persistence

command -v redis-cli >/dev/null || { echo "persistence: redis-cli is required" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "persistence: redis-benchmark is required" >&2; exit 1; }
echo "persistence: building release binary..." >&2
cargo build --release --bin ferredis-server >&2

# The dataset as RESP for redis-cli --pipe: SET key:%012d or HSET
# hash:%012d with 10 fields.
gen() { # DATASET COUNT
    python3 - "$1" "$2" <<'EOF'
import sys
kind, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
batch = []
for i in range(n):
    if kind == "strings":
        key, val = b"key:%012d" % i, b"v%09d" % i
        batch.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$10\r\n%s\r\n" % (key, val))
    else:
        key = b"hash:%012d" % i
        parts = [b"*22\r\n$4\r\nHSET\r\n$17\r\n%s\r\n" % key]
        for f in range(10):
            field, value = b"field%d" % f, b"value%d" % (i + f)
            parts.append(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(field), field, len(value), value))
        batch.append(b"".join(parts))
    if len(batch) == 10000:
        out.write(b"".join(batch))
        batch = []
out.write(b"".join(batch))
EOF
}
for ds in $DATASETS; do
    case $ds in
        strings) gen strings "$KEYS" >"$WORK/strings.resp" ;;
        hashes) gen hashes "$HASHES" >"$WORK/hashes.resp" ;;
        *) echo "persistence: unknown dataset $ds" >&2; exit 2 ;;
    esac
done

kb() { # PID FIELD FILE: a kB figure from /proc/PID/FILE (0 once gone)
    local v
    v=$(awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/$3" 2>/dev/null || true)
    echo "${v:-0}"
}

info() { # PORT FIELD
    redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

# launch_in_dir PORT DIR BINARY: LAUNCH for start_with_retry, a server
# working in DIR (where its dump.rdb is) and logging to DIR/log (the
# load time is read from there).
launch_in_dir() {
    (cd "$2" && exec "$3" --port "$1" --bind 127.0.0.1 --save "" --appendonly no \
        --logfile "$2/log") &
}

start() { # NAME BINARY DIR -> sets SPID and SPORT
    # A fresh port each time (the restart too).
    start_with_retry srv "$3/log" launch_in_dir "$3" "$2"
    SPID=$PID_srv
    SPORT=$PORT_srv
}

# run NAME BINARY DATASET: prints "bgsave_s pss_mb rss_mb cow_mb size_mb load_s"
run() {
    local name=$1 bin=$2 ds=$3 dir port
    dir=$WORK/$name-$ds
    mkdir -p "$dir"
    start "$name" "$bin" "$dir"
    local pid=$SPID
    port=$SPORT
    redis-cli -p "$port" --pipe <"$WORK/$ds.resp" >/dev/null
    # The file size of the dataset as loaded (the BGSAVE below snapshots a
    # dataset the write load has already changed, by how much depends on
    # the server's speed).
    redis-cli -p "$port" save >/dev/null
    local size
    size=$(stat -c %s "$dir/dump.rdb")
    # Overwrite existing keys while the child writes.
    local cmd=(set key:__rand_int__ v999999999) range=$KEYS
    [ "$ds" = hashes ] && { cmd=(hset hash:__rand_int__ field3 overwritten); range=$HASHES; }
    redis-benchmark -p "$port" -r "$range" -n 1000000000 -P 16 -c 4 -q \
        "${cmd[@]}" >/dev/null 2>&1 &
    local load=$!
    PIDS+=("$load")
    sleep 0.5
    local t0 t1 peak_pss=0 peak_rss=0 pss rss child
    t0=$(date +%s%N)
    redis-cli -p "$port" bgsave >/dev/null
    while :; do
        pss=$(kb "$pid" Pss smaps_rollup)
        rss=$(kb "$pid" VmRSS status)
        for child in $(pgrep -P "$pid" || true); do
            pss=$((pss + $(kb "$child" Pss smaps_rollup)))
            rss=$((rss + $(kb "$child" VmRSS status)))
        done
        [ "$pss" -gt "$peak_pss" ] && peak_pss=$pss
        [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
        [ "$(info "$port" rdb_bgsave_in_progress)" = 0 ] && break
        sleep 0.02
    done
    t1=$(date +%s%N)
    kill "$load" 2>/dev/null || true
    wait "$load" 2>/dev/null || true
    local status cow
    status=$(info "$port" rdb_last_bgsave_status)
    [ "$status" = ok ] || { echo "persistence: $name bgsave failed" >&2; exit 1; }
    cow=$(info "$port" rdb_last_cow_size)
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    # Load it back: the server logs how long the load took.
    start "$name" "$bin" "$dir"
    local loaded
    loaded=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$dir/log" | awk '{ print $5 }')
    redis-cli -p "$SPORT" shutdown nosave >/dev/null 2>&1 || true
    wait "$SPID" 2>/dev/null || true
    rm -f "$dir/dump.rdb"
    awk -v b="$((t1 - t0))" -v p="$peak_pss" -v r="$peak_rss" -v c="$cow" -v s="$size" -v l="$loaded" \
        'BEGIN { printf "%.3f %.1f %.1f %.1f %.1f %s\n", b / 1e9, p / 1024, r / 1024, c / 1048576, s / 1048576, l }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

echo
echo "Persistence: ferredis vs redis-server $(redis-server --version | awk '{ print $3 }' | tr -d 'v='), BGSAVE under a SET load"
echo
echo "| dataset | figure | ferredis | redis | ratio f/r |"
echo "|---|---|---:|---:|---:|"
for ds in $DATASETS; do
    read -r -a f < <(run ferredis "$PWD/target/release/ferredis-server" "$ds")
    read -r -a r < <(run redis "$(command -v redis-server)" "$ds")
    label=$ds
    [ "$ds" = strings ] && label="$KEYS strings"
    [ "$ds" = hashes ] && label="$HASHES hashes x 10 fields"
    names=("BGSAVE time (s)" "peak PSS parent+child (MB)" "peak RSS parent+child (MB)"
        "child copy-on-write (MB)" "dump.rdb size (MB)" "start-up load (s)")
    for i in "${!names[@]}"; do
        echo "| $label | ${names[$i]} | ${f[$i]} | ${r[$i]} | $(ratio "${f[$i]}" "${r[$i]}") |"
    done
done
