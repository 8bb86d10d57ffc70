#!/usr/bin/env bash
# The project's scoreboard: runs every benchmark and prints one table of figures, each beside a
# baseline measured in the same run (see docs/architecture.md §7 for the targets).
#
# The process benchmark keeps 10,000 processes alive, more than Linux's default
# vm.max_map_count (65,530) leaves room for; as root this raises it (it only ever grows it),
# otherwise run `sudo sysctl -w vm.max_map_count=1048576` first. Its Erlang baseline needs
# `escript` (Debian: erlang-base), installed here when apt-get is usable. The HTTP benchmark
# (scripts/bench/http.sh) needs wrk and nginx with its Lua module, installed the same way; the
# noisy-neighbour benchmark (scripts/bench/noisy.sh) needs wrk. The
# SQL benchmark's PostgreSQL part and the workflow benchmark's Temporal part use
# LUABOX_TEST_POSTGRES and LUABOX_TEST_TEMPORAL, or throwaway servers started for the run
# (scripts/with-test-servers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)" -lt 1048576 ] && [ "$(id -u)" = 0 ]; then
  sysctl -q -w vm.max_map_count=1048576 || true
fi
if ! command -v escript >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -q erlang-base >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q erlang-base >/dev/null; }) || true
fi

# The SQL and Temporal parts need their servers: run the rest beside them.
if [ -z "${LUABOX_TEST_POSTGRES:-}" ] || [ -z "${LUABOX_TEST_TEMPORAL:-}" ]; then
  exec scripts/with-test-servers.sh "$0" "$@"
fi

cargo bench -q --bench cpu 2>/dev/null
echo
cargo bench -q --bench processes 2>/dev/null
echo
cargo bench -q --bench workflows 2>/dev/null
echo
cargo bench -q --bench sql 2>/dev/null
echo
scripts/bench/http.sh
echo
scripts/bench/noisy.sh
