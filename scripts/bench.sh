#!/usr/bin/env bash
# The project's scoreboard: runs every benchmark and prints one table of figures, each beside a
# baseline measured in the same run (see DESIGN.md §8 for the targets).
#
# The process benchmark keeps 10,000 processes alive, more than Linux's default
# vm.max_map_count (65,530) leaves room for; as root this raises it (it only ever grows it),
# otherwise run `sudo sysctl -w vm.max_map_count=1048576` first. Its Erlang baseline needs
# `escript` (Debian: erlang-base), installed here when apt-get is usable. The HTTP benchmark
# (scripts/bench/http.sh) needs wrk and nginx with its Lua module, installed the same way. The
# SQL benchmark's PostgreSQL part uses LUABOX_TEST_POSTGRES, or a throwaway server started here
# with scripts/test-postgres.sh; the workflow benchmark's Temporal part uses LUABOX_TEST_TEMPORAL,
# or a throwaway dev server started here with scripts/test-temporal.sh (both stopped on exit).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)" -lt 1048576 ] && [ "$(id -u)" = 0 ]; then
  sysctl -q -w vm.max_map_count=1048576 || true
fi
if ! command -v escript >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -q erlang-base >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q erlang-base >/dev/null; }) || true
fi

cleanup=()
stop_servers() {
  for command in "${cleanup[@]}"; do eval "$command"; done
}
trap stop_servers EXIT
if [ -z "${LUABOX_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/test-postgres.sh start)"
  cleanup+=('scripts/test-postgres.sh stop "$LUABOX_TEST_POSTGRES_DIR"')
fi
if [ -z "${LUABOX_TEST_TEMPORAL:-}" ]; then
  eval "$(scripts/test-temporal.sh start)"
  cleanup+=('scripts/test-temporal.sh stop "$LUABOX_TEST_TEMPORAL_DIR"')
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
