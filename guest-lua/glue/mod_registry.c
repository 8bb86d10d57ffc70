/*
 * mod_registry.c — raw part of the `registry` module (wit/registry.wit):
 * raw.get(id) -> entry | nil, err and raw.find(filter) -> entries | nil, err, where an entry is
 * `{id, kind, meta, data}`. lua/registry.lua adds argument checks and `parse_id`.
 */
#include "luabox.h"

static int l_get(lua_State *L) {
  entry_string_t wit_id = luabox_check_text(L, 1);
  luabox_sandbox_registry_payload_t entry;
  luabox_sandbox_registry_host_error_t err;
  if (!luabox_sandbox_registry_get(&wit_id, &entry, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &entry);
}

static int l_find(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 1, 1, "filter", &buf)) return 2;
  luabox_sandbox_registry_payload_t filter = {buf.data, buf.len}, entries;
  luabox_sandbox_registry_host_error_t err;
  bool ok = luabox_sandbox_registry_find(&filter, &entries, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &entries);
}

int luabox_open_registry(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get}, {"find", l_find}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
