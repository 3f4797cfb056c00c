#!/usr/bin/env bash
# The reactor's worst pause while a big set is deleted: UNLINK (freed on
# the lazy-free thread) and DEL (freed inline), for ferredis and, when
# installed, the real redis-server.
#
# For each server and command: load a set of MEMBERS members (default
# 5,000,000) with redis-cli --pipe, then delete it while another connection
# sends PINGs back to back; the longest PING round trip in that window is
# the worst pause clients saw. The probe's own floor on a small, shared
# machine is a millisecond or more, so the table also shows the server's
# own time in the command (`usec` of INFO commandstats, measured inside the
# server around the command, the part of the pause the command causes).
# Prints a markdown table.
#
# Env knobs: MEMBERS (default 5000000).
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBERS=${MEMBERS:-5000000}
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
make_workdir lazyfree

command -v redis-cli >/dev/null || { echo "lazyfree: redis-cli is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "lazyfree: python3 is required" >&2; exit 1; }
echo "lazyfree: building release binary..." >&2
cargo build --release --bin ferredis-server >&2

# The SADD commands that build the set, 1000 members per command.
python3 - "$MEMBERS" >"$WORK/load.resp" <<'EOF'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
per = 1000
for start in range(0, n, per):
    members = [b"member:%d" % i for i in range(start, min(n, start + per))]
    parts = [b"*%d\r\n$4\r\nSADD\r\n$3\r\nbig\r\n" % (len(members) + 2)]
    for m in members:
        parts.append(b"$%d\r\n%s\r\n" % (len(m), m))
    out.write(b"".join(parts))
EOF

# measure PORT CMD KEY REPLY: prints "<worst pause ms> <command ms>". The PING probe
# runs in its own process (two threads of one Python process would measure
# the interpreter's lock hand-over, up to 5 ms, rather than the server).
measure() {
    # The clients run on CPU 1; the server may use both.
    taskset -c 1 python3 - "$1" "$2" "$3" "$4" <<'EOF'
import os, socket, subprocess, sys, time
port, cmd, key, want = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
probe = subprocess.Popen([sys.executable, "-c", r"""
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
end = time.monotonic() + float(sys.argv[2])
out = []
while time.monotonic() < end:
    t = time.monotonic()
    s.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += s.recv(64)
    out.append("%.9f %.9f" % (t, time.monotonic() - t))
print("\n".join(out))
""", str(port), "1.5"], stdout=subprocess.PIPE, text=True)
time.sleep(0.5)
c = socket.create_connection(("127.0.0.1", port))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t0 = time.monotonic()
c.sendall(b"%s %s\r\n" % (cmd.encode(), key.encode()))
reply = c.recv(64)
t1 = time.monotonic()
samples, _ = probe.communicate()
assert reply == b":%s\r\n" % want.encode(), reply
# Pings in flight at any time from the command until half a second after
# its reply (one sent before it and answered after it counts too).
worst = max((float(r) for t, r in (l.split() for l in samples.splitlines())
             if float(t) + float(r) >= t0 and float(t) <= t1 + 0.5), default=0.0)
print("%.3f %.3f" % (worst * 1000, (t1 - t0) * 1000))
EOF
}

# command_usec PORT NAME: the server's time in NAME since the last
# CONFIG RESETSTAT, in microseconds.
command_usec() {
    redis-cli -p "$1" INFO commandstats | tr -d '\r' |
        sed -n "s/^cmdstat_$2:calls=[0-9]*,usec=\([0-9]*\),.*/\1/p"
}

run_server() { # NAME BINARY
    local name=$1 bin=$2 port pid
    port=$(free_port)
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec "$bin" --port "$port" --save "" --appendonly no \
        --bind 127.0.0.1 >"$WORK/$name/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        redis-cli -p "$port" PING >/dev/null 2>&1 && break
        sleep 0.1
    done
    # The floor: the same probe while a missing key is unlinked (what the
    # machine and the probe itself add, with nothing to free).
    redis-cli -p "$port" CONFIG RESETSTAT >/dev/null
    read -r worst took < <(measure "$port" UNLINK nosuchkey 0)
    echo "| $name | UNLINK (missing key: the probe's floor) | 0 | $worst | $took | $(command_usec "$port" unlink) |"
    for cmd in UNLINK DEL; do
        redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
        local n
        n=$(redis-cli -p "$port" SCARD big)
        [ "$n" = "$MEMBERS" ] || { echo "lazyfree: $name loaded $n members" >&2; exit 1; }
        redis-cli -p "$port" CONFIG RESETSTAT >/dev/null
        read -r worst took < <(measure "$port" "$cmd" big 1)
        echo "| $name | $cmd | $MEMBERS | $worst | $took | $(command_usec "$port" "${cmd,,}") |"
    done
    kill "$pid"
}

echo
echo "Worst reactor pause while deleting a set of $MEMBERS members"
echo
echo "| server | command | members | worst PING round trip (ms) | command round trip (ms) | server time in command (us) |"
echo "|---|---|---:|---:|---:|---:|"
run_server ferredis "$PWD/target/release/ferredis-server"
if command -v redis-server >/dev/null; then
    run_server redis "$(command -v redis-server)"
else
    echo "(redis-server not installed: ferredis only)"
fi
