#!/usr/bin/env bash
# Run every test twice, beside a throwaway PostgreSQL and a throwaway Temporal dev server
# (scripts/with-test-servers.sh; a server whose LUABOX_TEST_POSTGRES or LUABOX_TEST_TEMPORAL is
# already set is used as it is): `cargo test` (arguments go to it) on the production guest, then
# the same test binaries on the checked guest (guest-lua/luabox-guest-checked.wasm: Lua's API
# checks and assertions and undefined-behaviour traps on, see scripts/build-guest.sh), chosen by
# LUABOX_GUEST. LUABOX_GUESTS=production or LUABOX_GUESTS=checked runs one pass only.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-test-servers.sh scripts/test-guests.sh "$@"
