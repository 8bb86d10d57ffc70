#!/usr/bin/env bash
# Run every test: start a throwaway PostgreSQL (scripts/test-postgres.sh; it installs Debian's
# postgresql first if it is missing), run `cargo test` with LUABOX_TEST_POSTGRES pointing at it,
# and stop the server whatever happens. Arguments go to `cargo test`. With LUABOX_TEST_POSTGRES
# already set, that server is used and none is started.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LUABOX_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/test-postgres.sh start)"
  trap 'scripts/test-postgres.sh stop "$LUABOX_TEST_POSTGRES_DIR"' EXIT
fi
cargo test "$@"
