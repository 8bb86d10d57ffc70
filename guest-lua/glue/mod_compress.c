/*
 * mod_compress.c — raw functions of the `compress` module (wit/compress.wit); lua/compress.lua
 * checks the options and builds compress.gzip / deflate / zlib / brotli / zstd from them:
 *   raw.encode(format, data, level|nil, dict|nil)     -> bytes | nil, err
 *   raw.decode(format, data, max_size|nil, dict|nil)  -> bytes | nil, err
 *   raw.train_dict(samples, size|nil, id|nil, level|nil) -> bytes | nil, err
 *   raw.inspect_dict(dict)                            -> {id=, content_size=} | nil, err
 * `format` is the index of the WIT enum (0 gzip, 1 deflate, 2 zlib, 3 brotli, 4 zstd).
 */
#include <stdint.h>

#include "luabox.h"

static luabox_sandbox_compress_format_t check_format(lua_State *L, int arg) {
  lua_Integer format = luaL_checkinteger(L, arg);
  luaL_argcheck(L, format >= LUABOX_SANDBOX_COMPRESS_FORMAT_GZIP &&
                       format <= LUABOX_SANDBOX_COMPRESS_FORMAT_ZSTD,
                arg, "unknown format");
  return (luabox_sandbox_compress_format_t)format;
}

/* An optional integer argument as a WIT option (`*out` points at `val` or is NULL). */
static int64_t *opt_integer(lua_State *L, int arg, int64_t *val) {
  if (lua_isnoneornil(L, arg)) return NULL;
  *val = (int64_t)luaL_checkinteger(L, arg);
  return val;
}

/* An optional bytes argument as a WIT option. */
static entry_list_u8_t *opt_bytes(lua_State *L, int arg, entry_list_u8_t *val) {
  if (lua_isnoneornil(L, arg)) return NULL;
  *val = luabox_check_bytes(L, arg);
  return val;
}

static int push_bytes_result(lua_State *L, int ok, entry_list_u8_t *out,
                             luabox_sandbox_compress_host_error_t *err) {
  if (!ok) return luabox_push_host_error(L, err);
  luabox_push_owned_bytes(L, out);
  return 1;
}

static int l_encode(lua_State *L) {
  luabox_sandbox_compress_format_t format = check_format(L, 1);
  entry_list_u8_t data = luabox_check_bytes(L, 2), dict, out;
  int64_t level;
  int64_t *maybe_level = opt_integer(L, 3, &level);
  entry_list_u8_t *maybe_dict = opt_bytes(L, 4, &dict);
  luabox_sandbox_compress_host_error_t err;
  int ok = luabox_sandbox_compress_encode(format, &data, maybe_level, maybe_dict, &out, &err);
  return push_bytes_result(L, ok, &out, &err);
}

static int l_decode(lua_State *L) {
  luabox_sandbox_compress_format_t format = check_format(L, 1);
  entry_list_u8_t data = luabox_check_bytes(L, 2), dict, out;
  int64_t max_size;
  int64_t *maybe_max_size = opt_integer(L, 3, &max_size);
  entry_list_u8_t *maybe_dict = opt_bytes(L, 4, &dict);
  luabox_sandbox_compress_host_error_t err;
  int ok = luabox_sandbox_compress_decode(format, &data, maybe_max_size, maybe_dict, &out, &err);
  return push_bytes_result(L, ok, &out, &err);
}

static void set_option(lua_State *L, int arg, entry_option_s64_t *option) {
  option->is_some = !lua_isnoneornil(L, arg);
  if (option->is_some) option->val = (int64_t)luaL_checkinteger(L, arg);
}

/* The samples (a sequence of strings at `arg`) as a WIT list, in a userdata left on the stack;
 * the strings stay alive in the table. Together they must fit the payload limit. */
static entry_list_list_u8_t check_samples(lua_State *L, int arg) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Unsigned n = lua_rawlen(L, arg);
  luaL_argcheck(L, n <= luabox_max_payload() / sizeof(entry_list_u8_t), arg, "too many samples");
  entry_list_list_u8_t list = {NULL, (size_t)n};
  if (n == 0) return list;
  list.ptr = lua_newuserdatauv(L, sizeof *list.ptr * (size_t)n, 0);
  size_t total = 0;
  for (lua_Unsigned i = 0; i < n; i++) {
    if (lua_rawgeti(L, arg, (lua_Integer)(i + 1)) != LUA_TSTRING)
      luaL_error(L, "compress.zstd.train_dict: every sample must be a string");
    size_t len;
    const char *sample = lua_tolstring(L, -1, &len);
    total += len + sizeof(entry_list_u8_t); /* the host builds a Vec of each */
    if (total > luabox_max_payload())
      luaL_error(L, "compress.zstd.train_dict: the samples are larger than the sandbox's "
                    "payload limit of %I bytes (limits.max_payload)",
                 (lua_Integer)luabox_max_payload());
    list.ptr[i] = (entry_list_u8_t){(uint8_t *)sample, len};
    lua_pop(L, 1); /* the table keeps the string alive */
  }
  return list;
}

static int l_train_dict(lua_State *L) {
  luabox_sandbox_compress_train_options_t options;
  set_option(L, 2, &options.size);
  set_option(L, 3, &options.id);
  set_option(L, 4, &options.level);
  entry_list_list_u8_t samples = check_samples(L, 1);
  entry_list_u8_t out;
  luabox_sandbox_compress_host_error_t err;
  int ok = luabox_sandbox_compress_train_dict(&samples, &options, &out, &err);
  return push_bytes_result(L, ok, &out, &err);
}

static int l_inspect_dict(lua_State *L) {
  entry_list_u8_t dict = luabox_check_bytes(L, 1);
  luabox_sandbox_compress_dict_info_t info;
  luabox_sandbox_compress_host_error_t err;
  if (!luabox_sandbox_compress_inspect_dict(&dict, &info, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "compress.zstd.inspect_dict");
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)info.id);
  lua_setfield(L, -2, "id");
  lua_pushinteger(L, (lua_Integer)info.content_size);
  lua_setfield(L, -2, "content_size");
  return 1;
}

int luabox_open_compress(lua_State *L) {
  static const luaL_Reg functions[] = {{"encode", l_encode},
                                       {"decode", l_decode},
                                       {"train_dict", l_train_dict},
                                       {"inspect_dict", l_inspect_dict},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
