#!/usr/bin/env bash
# Memory per key: ferredis against the real redis-server. For each server:
# start it fresh, record its RSS (/proc/PID/status VmRSS), load KEYS keys
# through `redis-cli --pipe`, check that they all arrived, record RSS again
# and print bytes per key, plus `used_memory` from INFO when the server
# reports it.
#
# TYPE selects the data (default string):
#   string  SET key:N 0123456789abcdef                (KEYS default 1000000)
#   hash    HSET key:N f0 v0 ... f9 v9                (KEYS default 100000)
#   set     SADD key:N m0 ... m9                      (KEYS default 100000)
#   intset  SADD key:N 1 ... 10 (an intset)           (KEYS default 100000)
#   zset    ZADD key:N 0 m0 ... 9 m9                  (KEYS default 100000)
#   list    RPUSH key:N e0 ... e9                     (KEYS default 100000)
#   collections  all the collection loads above, one table
# A type the server does not implement yet is reported as n/a.
#
# Env knobs: TYPE, KEYS.
set -euo pipefail
cd "$(dirname "$0")/.."

TYPE=${TYPE:-string}
case "$TYPE" in
    string) TYPES=(string); KEYS=${KEYS:-1000000} ;;
    hash | set | intset | zset | list) TYPES=("$TYPE"); KEYS=${KEYS:-100000} ;;
    collections) TYPES=(hash set intset zset list); KEYS=${KEYS:-100000} ;;
    *) echo "memory: unknown TYPE=$TYPE (string, hash, set, intset, zset, list, collections)" >&2; exit 2 ;;
esac
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

# The command that creates key N of type $1, as words (for the probe).
command_words() {
    case "$1" in
        string) echo "SET key:$2 0123456789abcdef" ;;
        hash) echo "HSET key:$2 f0 v0 f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8 f9 v9" ;;
        set) echo "SADD key:$2 m0 m1 m2 m3 m4 m5 m6 m7 m8 m9" ;;
        intset) echo "SADD key:$2 1 2 3 4 5 6 7 8 9 10" ;;
        zset) echo "ZADD key:$2 0 m0 1 m1 2 m2 3 m3 4 m4 5 m5 6 m6 7 m7 8 m8 9 m9" ;;
        list) echo "RPUSH key:$2 e0 e1 e2 e3 e4 e5 e6 e7 e8 e9" ;;
    esac
}

# The request stream: KEYS multibulk commands of type $1.
generate() {
    local words
    words=$(command_words "$1" N)
    awk -v n="$KEYS" -v words="$words" 'BEGIN {
        argc = split(words, w, " ")
        for (i = 0; i < n; i++) {
            printf "*%d\r\n", argc
            for (j = 1; j <= argc; j++) {
                a = (w[j] == "key:N") ? "key:" i : w[j]
                printf "$%d\r\n%s\r\n", length(a), a
            }
        }
    }'
}

# The size of key $2 of type $1 as the server reports it (10 expected
# for collections, the value for strings).
check_words() {
    case "$1" in
        string) echo "GET $2" ;;
        hash) echo "HLEN $2" ;;
        set | intset) echo "SCARD $2" ;;
        zset) echo "ZCARD $2" ;;
        list) echo "LLEN $2" ;;
    esac
}

expected_check() {
    if [ "$1" = string ]; then echo 0123456789abcdef; else echo 10; fi
}

# measure NAME BINARY TYPE: appends one line to $WORK/results:
# "type name rss_before_kb rss_after_kb used_before used_after" (all n/a
# when the server does not implement TYPE). Runs in the main shell so that
# the EXIT trap can stop the server.
measure() {
    local name=$1 bin=$2 type=$3 port out errors replies dbsize last before after ub ua probe k
    port=$(free_port)
    "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 500); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
        kill -0 "$PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
        sleep 0.02
    done
    # shellcheck disable=SC2046 # word splitting intended
    probe=$(redis-cli -p "$port" $(command_words "$type" probe) 2>&1)
    if [[ "$probe" == *"unknown command"* ]]; then
        echo "memory: $name does not implement $type yet" >&2
        kill "$PID"
        wait "$PID" 2>/dev/null || true
        PID=""
        echo "$type $name n/a n/a n/a n/a" >>"$WORK/results"
        return
    fi
    redis-cli -p "$port" del key:probe >/dev/null
    before=$(rss_kb "$PID")
    ub=$(info_field "$port" used_memory)
    out=$(generate "$type" | redis-cli -p "$port" --pipe 2>&1)
    errors=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\1/p')
    replies=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\2/p')
    if [ "$errors" != 0 ] || [ "$replies" != "$KEYS" ]; then
        echo "memory: $name: loading failed: $out" >&2
        exit 1
    fi
    dbsize=$(redis-cli -p "$port" dbsize 2>&1)
    if [[ "$dbsize" =~ ^[0-9]+$ ]]; then
        [ "$dbsize" = "$KEYS" ] || { echo "memory: $name: DBSIZE $dbsize, expected $KEYS" >&2; exit 1; }
    fi
    # Spot-check the first and the last key.
    last=$((KEYS - 1))
    for k in key:0 "key:$last"; do
        # shellcheck disable=SC2046 # word splitting intended
        [ "$(redis-cli -p "$port" $(check_words "$type" "$k"))" = "$(expected_check "$type")" ] ||
            { echo "memory: $name: $k missing or incomplete" >&2; exit 1; }
    done
    after=$(rss_kb "$PID")
    ua=$(info_field "$port" used_memory)
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
    echo "$type $name $before $after $ub $ua" >>"$WORK/results"
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
HAVE_REDIS=""
command -v redis-server >/dev/null && HAVE_REDIS=1
[ -n "$HAVE_REDIS" ] || echo "memory: redis-server not installed: measuring ferredis alone" >&2
for type in "${TYPES[@]}"; do
    measure ferredis target/release/ferredis-server "$type"
    [ -z "$HAVE_REDIS" ] || measure redis "$(command -v redis-server)" "$type"
done

if [ "$TYPE" = string ]; then
    echo
    echo "$KEYS keys: SET key:N <16-byte value>"
    echo
    echo "| server | RSS before | RSS after | RSS bytes/key | used_memory after | used_memory bytes/key |"
    echo "|---|---:|---:|---:|---:|---:|"
    declare -A RSS_PK=() UM_PK=()
    while read -r _ name before after ub ua; do
        RSS_PK[$name]=$(per_key "$before" "$after" 1024)
        UM_PK[$name]=$(per_key "$ub" "$ua" 1)
        echo "| $name | $((before / 1024)) MB | $((after / 1024)) MB | ${RSS_PK[$name]} | $ua | ${UM_PK[$name]} |"
    done <"$WORK/results"
    if [ -n "${RSS_PK[redis]:-}" ]; then
        echo
        echo "ferredis/redis bytes per key: RSS $(ratio "${RSS_PK[ferredis]}" "${RSS_PK[redis]}")," \
            "used_memory $(ratio "${UM_PK[ferredis]}" "${UM_PK[redis]}")"
    fi
    exit 0
fi

echo
echo "$KEYS keys of 10 small elements each (see TYPE in the header)"
echo
echo "| type | ferredis RSS bytes/key | redis RSS bytes/key | RSS ratio | ferredis used_memory bytes/key | redis used_memory bytes/key | used_memory ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
declare -A RSS_PK=() UM_PK=()
while read -r type name before after ub ua; do
    RSS_PK[$type.$name]=$(per_key "$before" "$after" 1024)
    UM_PK[$type.$name]=$(per_key "$ub" "$ua" 1)
done <"$WORK/results"
for type in "${TYPES[@]}"; do
    fr=${RSS_PK[$type.ferredis]:-n/a} rr=${RSS_PK[$type.redis]:-n/a}
    fu=${UM_PK[$type.ferredis]:-n/a} ru=${UM_PK[$type.redis]:-n/a}
    echo "| $type | $fr | $rr | $(ratio "$fr" "$rr") | $fu | $ru | $(ratio "$fu" "$ru") |"
done
