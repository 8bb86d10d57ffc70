/*
 * mod_registry.c — raw part of the `registry` module (wit/registry.wit); an entry is
 * `{id, kind, meta, data}` and `version` is nil for the current version:
 *   raw.get(id, version) -> entry | nil, err
 *   raw.find(filter, version) -> entries | nil, err
 *   raw.versions() -> current, {kept versions, oldest first} | nil, err
 *   raw.apply(ops) -> version | nil, err
 *   raw.apply_version(version) -> version | nil, err
 *   raw.build_delta(from, to) -> ops | nil, err
 * lua/registry.lua adds argument checks, snapshots, versions, changesets and `parse_id`.
 */
#include <limits.h>

#include "luabox.h"

typedef luabox_sandbox_registry_host_error_t host_error_t;
typedef luabox_sandbox_registry_payload_t payload_t;

/* Argument `arg` as a version number, or NULL (nil: the current version). */
static uint64_t *opt_version(lua_State *L, int arg, uint64_t *out) {
  if (lua_isnoneornil(L, arg)) return NULL;
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= 0, arg, "a version is an integer from 0");
  *out = (uint64_t)v;
  return out;
}

static int l_get(lua_State *L) {
  entry_string_t wit_id = luabox_check_text(L, 1);
  uint64_t v;
  payload_t entry;
  host_error_t err;
  if (!luabox_sandbox_registry_get(&wit_id, opt_version(L, 2, &v), &entry, &err))
    return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &entry);
}

static int l_find(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  uint64_t v;
  uint64_t *version = opt_version(L, 2, &v);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 1, 1, "filter", &buf)) return 2;
  payload_t filter = {buf.data, buf.len}, entries;
  host_error_t err;
  bool ok = luabox_sandbox_registry_find(&filter, version, &entries, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &entries);
}

static int l_versions(lua_State *L) {
  entry_tuple2_u64_list_u64_t out;
  host_error_t err;
  if (!luabox_sandbox_registry_versions(&out, &err)) return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 3, "registry.versions");
  lua_pushinteger(L, (lua_Integer)out.f0);
  lua_createtable(L, out.f1.len > INT_MAX ? INT_MAX : (int)out.f1.len, 0);
  for (size_t i = 0; i < out.f1.len && i < INT_MAX; i++) {
    lua_pushinteger(L, (lua_Integer)out.f1.ptr[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  entry_list_u64_free(&out.f1);
  return 2;
}

/* Encode the table at `arg` for a host call; 0 after pushing nil, err. */
static int table_arg(lua_State *L, int arg, const char *what, luabox_buf *buf) {
  luaL_checktype(L, arg, LUA_TTABLE);
  return luabox_encode_arg(L, arg, 1, what, buf);
}

static int l_apply(lua_State *L) {
  luabox_buf buf;
  if (!table_arg(L, 1, "changes:apply: the changeset", &buf)) return 2;
  payload_t ops = {buf.data, buf.len};
  uint64_t version;
  host_error_t err;
  bool ok = luabox_sandbox_registry_apply(&ops, &version, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)version);
  return 1;
}

static int l_apply_version(lua_State *L) {
  lua_Integer v = luaL_checkinteger(L, 1);
  luaL_argcheck(L, v >= 0, 1, "a version is an integer from 0");
  uint64_t version;
  host_error_t err;
  if (!luabox_sandbox_registry_apply_version((uint64_t)v, &version, &err))
    return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)version);
  return 1;
}

static int l_build_delta(lua_State *L) {
  luabox_buf from, to;
  if (!table_arg(L, 1, "registry.build_delta: from", &from)) return 2;
  if (!table_arg(L, 2, "registry.build_delta: to", &to)) {
    luabox_buf_free(&from);
    return 2;
  }
  payload_t before = {from.data, from.len}, after = {to.data, to.len}, ops;
  host_error_t err;
  bool ok = luabox_sandbox_registry_build_delta(&before, &after, &ops, &err);
  luabox_buf_free(&from);
  luabox_buf_free(&to);
  if (!ok) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &ops);
}

int luabox_open_registry(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get},
                                       {"find", l_find},
                                       {"versions", l_versions},
                                       {"apply", l_apply},
                                       {"apply_version", l_apply_version},
                                       {"build_delta", l_build_delta},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
