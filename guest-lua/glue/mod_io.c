/*
 * mod_io.c — the `io` module (wit/io.wit), Wippy's terminal I/O for the process of a
 * `terminal.host`; elsewhere every function answers nil and an Unavailable error.
 *   io.write(...)     -> true | nil, err   the values as tostring shows them, nothing between
 *   io.print(...)     -> true | nil, err   tab-separated, then a newline (stdout)
 *   io.eprint(...)    -> true | nil, err   the same to stderr
 *   io.read([n])      -> text | nil, err   up to n bytes (default, and for n <= 0: 1024)
 *   io.readline()     -> text | nil, err   one line without its line end
 *   io.raw([enable])  -> true | nil, err   raw mode on (default) or off, counted
 *   io.flush()        -> true | nil, err   (every write is flushed already)
 *   io.args()         -> {string...} | nil, err
 * Reads wait through the scheduler: the process's other coroutines run meanwhile.
 */
#include "luabox.h"

#define DEFAULT_READ 1024

/* Write the values from index 1 to `out`, separated by `sep` and followed by `end` (either may
 * be NULL). */
static int write_values(lua_State *L, luabox_sandbox_io_output_t out, const char *sep,
                        const char *end) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1 && sep) luaL_addstring(&b, sep);
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  if (end) luaL_addstring(&b, end);
  luaL_pushresult(&b);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  if (len > luabox_max_payload())
    return luabox_push_error(L, "Invalid", "io: the text is larger than the sandbox's payload "
                                           "limit (limits.max_payload)");
  entry_list_u8_t data = {(uint8_t *)text, len};
  luabox_sandbox_io_host_error_t err;
  if (!luabox_sandbox_io_write(out, &data, &err)) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_write(lua_State *L) {
  return write_values(L, LUABOX_SANDBOX_IO_OUTPUT_STDOUT, NULL, NULL);
}

static int l_print(lua_State *L) {
  return write_values(L, LUABOX_SANDBOX_IO_OUTPUT_STDOUT, "\t", "\n");
}

static int l_eprint(lua_State *L) {
  return write_values(L, LUABOX_SANDBOX_IO_OUTPUT_STDERR, "\t", "\n");
}

static int l_flush(lua_State *L) {
  lua_settop(L, 0);
  return write_values(L, LUABOX_SANDBOX_IO_OUTPUT_STDOUT, NULL, NULL);
}

static int start_read(lua_State *L, bool line, uint32_t max, const char *what) {
  uint64_t handle;
  luabox_sandbox_io_host_error_t err;
  if (!luabox_sandbox_io_read(line, max, &handle, &err)) return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, what);
}

static int l_read(lua_State *L) {
  lua_Integer n = luaL_optinteger(L, 1, DEFAULT_READ);
  if (n <= 0) n = DEFAULT_READ;
  uint32_t max = n > (lua_Integer)UINT32_MAX ? UINT32_MAX : (uint32_t)n;
  return start_read(L, false, max, "io.read");
}

static int l_readline(lua_State *L) {
  return start_read(L, true, UINT32_MAX, "io.readline");
}

static int l_raw(lua_State *L) {
  bool enable = lua_isnoneornil(L, 1) ? true : lua_toboolean(L, 1);
  luabox_sandbox_io_host_error_t err;
  if (!luabox_sandbox_io_raw(enable, &err)) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_args(lua_State *L) {
  luabox_sandbox_types_payload_t args;
  luabox_sandbox_io_host_error_t err;
  if (!luabox_sandbox_io_args(&args, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &args);
}

int luabox_open_io(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"write", l_write}, {"print", l_print},       {"eprint", l_eprint}, {"read", l_read},
      {"readline", l_readline}, {"raw", l_raw}, {"flush", l_flush},   {"args", l_args},
      {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
