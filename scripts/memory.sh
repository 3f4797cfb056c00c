#!/usr/bin/env bash
# Memory per key: ferredis against the real redis-server. For each server:
# start it fresh, record its RSS (/proc/PID/status VmRSS), load KEYS keys
# `SET key:N 0123456789abcdef` through `redis-cli --pipe`, check that they
# all arrived, record RSS again and print bytes per key, plus `used_memory`
# from INFO when the server reports it.
#
# Env knobs: KEYS (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferredis-memory.XXXXXX")
PID=""

cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v redis-cli >/dev/null || { echo "memory: redis-cli is required" >&2; exit 1; }

echo "memory: building release binary..." >&2
cargo build --release --bin ferredis-server >&2

# shellcheck source=scripts/lib.sh
source scripts/lib.sh

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# INFO field, or n/a when the server does not report it.
info_field() {
    local v
    v=$(redis-cli -p "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }')
    echo "${v:-n/a}"
}

# The request stream: KEYS multibulk SETs.
generate() {
    awk -v n="$KEYS" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = "key:" i
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n0123456789abcdef\r\n", length(k), k
        }
    }'
}

# measure NAME BINARY: appends one line to $WORK/results:
# "name rss_before_kb rss_after_kb used_before used_after". Runs in the
# main shell so that the EXIT trap can stop the server.
measure() {
    local name=$1 bin=$2 port out errors replies dbsize last before after ub ua
    port=$(free_port)
    "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 500); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
        kill -0 "$PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
        sleep 0.02
    done
    before=$(rss_kb "$PID")
    ub=$(info_field "$port" used_memory)
    out=$(generate | redis-cli -p "$port" --pipe 2>&1)
    errors=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\1/p')
    replies=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\2/p')
    if [ "$errors" != 0 ] || [ "$replies" != "$KEYS" ]; then
        echo "memory: $name: loading failed: $out" >&2
        exit 1
    fi
    dbsize=$(redis-cli -p "$port" dbsize 2>&1)
    if [[ "$dbsize" =~ ^[0-9]+$ ]]; then
        [ "$dbsize" = "$KEYS" ] || { echo "memory: $name: DBSIZE $dbsize, expected $KEYS" >&2; exit 1; }
    else
        # No DBSIZE yet: spot-check the first and the last key instead.
        last=$((KEYS - 1))
        for k in key:0 "key:$last"; do
            [ "$(redis-cli -p "$port" get "$k")" = 0123456789abcdef ] ||
                { echo "memory: $name: $k missing" >&2; exit 1; }
        done
    fi
    after=$(rss_kb "$PID")
    ua=$(info_field "$port" used_memory)
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
    echo "$name $before $after $ub $ua" >>"$WORK/results"
}

per_key() {
    awk -v a="$1" -v b="$2" -v n="$KEYS" -v m="$3" 'BEGIN {
        if (a == "n/a" || b == "n/a") { print "n/a"; exit }
        printf "%.1f", (b - a) * m / n }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

: >"$WORK/results"
measure ferredis target/release/ferredis-server
if command -v redis-server >/dev/null; then
    measure redis "$(command -v redis-server)"
else
    echo "memory: redis-server not installed: measuring ferredis alone" >&2
fi

echo
echo "$KEYS keys: SET key:N <16-byte value>"
echo
echo "| server | RSS before | RSS after | RSS bytes/key | used_memory after | used_memory bytes/key |"
echo "|---|---:|---:|---:|---:|---:|"
declare -A RSS_PK=() UM_PK=()
while read -r name before after ub ua; do
    RSS_PK[$name]=$(per_key "$before" "$after" 1024)
    UM_PK[$name]=$(per_key "$ub" "$ua" 1)
    echo "| $name | $((before / 1024)) MB | $((after / 1024)) MB | ${RSS_PK[$name]} | $ua | ${UM_PK[$name]} |"
done <"$WORK/results"
if [ -n "${RSS_PK[redis]:-}" ]; then
    echo
    echo "ferredis/redis bytes per key: RSS $(ratio "${RSS_PK[ferredis]}" "${RSS_PK[redis]}")," \
        "used_memory $(ratio "${UM_PK[ferredis]}" "${UM_PK[redis]}")"
fi
