#!/usr/bin/env bash
# `cargo test "$@"` once per guest (see scripts/test.sh, which starts the servers first).
set -euo pipefail
cd "$(dirname "$0")/.."
guests=${LUABOX_GUESTS:-production checked}
for guest in $guests; do
  case $guest in
    production)
      echo "== tests on the production guest (guest-lua/luabox-guest.wasm)"
      env -u LUABOX_GUEST cargo test "$@"
      ;;
    checked)
      echo "== tests on the checked guest (guest-lua/luabox-guest-checked.wasm)"
      LUABOX_GUEST="$PWD/guest-lua/luabox-guest-checked.wasm" cargo test "$@"
      ;;
    *)
      echo "test-guests: unknown guest '$guest' (expected production or checked)" >&2
      exit 2
      ;;
  esac
done
