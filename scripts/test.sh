#!/usr/bin/env bash
# Run every test: `cargo test` (arguments go to it) beside a throwaway PostgreSQL and a throwaway
# Temporal dev server (scripts/with-test-servers.sh; a server whose LUABOX_TEST_POSTGRES or
# LUABOX_TEST_TEMPORAL is already set is used as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-test-servers.sh cargo test "$@"
