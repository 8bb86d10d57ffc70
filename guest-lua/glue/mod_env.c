/*
 * mod_env.c — the `env` module (wit/env.wit): `env.get(name) -> value | nil, err` and
 * `env.get_all() -> {name = value}`, over the app's declared `env.variable` entries.
 */
#include "luabox.h"

static int l_get(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luabox_push_error(L, "Invalid", "env.get expects a variable name (a string)");
  size_t len;
  const char *name = lua_tolstring(L, 1, &len);
  entry_string_t wit_name = {(uint8_t *)name, len}, value;
  luabox_sandbox_env_host_error_t err;
  if (!luabox_sandbox_env_get(&wit_name, &value, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &value);
  return 1;
}

static int l_get_all(lua_State *L) {
  luabox_sandbox_env_payload_t all;
  luabox_sandbox_env_get_all(&all);
  return luabox_push_payload(L, &all);
}

int luabox_open_env(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get}, {"get_all", l_get_all}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
