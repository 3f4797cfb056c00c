#!/usr/bin/env bash
# Differential tests: replays tests/compat/cases/*.txt against ferredis and
# Debian's redis-server 7.0 and compares every reply byte for byte.
# Extra arguments go to the test binary, e.g. `scripts/compat.sh string`
# to run only string.txt. Fails (never skips) when redis-server is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export FERREDIS_REQUIRE_REDIS=1
exec cargo test --test compat -- "$@"
