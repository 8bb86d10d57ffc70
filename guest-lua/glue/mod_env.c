/*
 * mod_env.c — the `env` module (wit/env.wit): `env.get(name) -> value | nil, err`,
 * `env.set(name, value) -> true | nil, err` and `env.get_all() -> {name = value}`, over the app's
 * declared `env.variable` entries. A set in a file storage waits (through the scheduler) until
 * the file is durably written.
 */
#include "luabox.h"

static int l_get(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luabox_push_error(L, "Invalid", "env.get expects a variable name (a string)");
  size_t len;
  const char *name = lua_tolstring(L, 1, &len);
  if (len > luabox_max_payload())
    return luabox_push_error(L, "Invalid", "env.get: the name is larger than the sandbox's "
                                           "payload limit (limits.max_payload)");
  entry_list_u8_t wit_name = {(uint8_t *)name, len};
  entry_string_t value;
  luabox_sandbox_env_host_error_t err;
  if (!luabox_sandbox_env_get(&wit_name, &value, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &value);
  return 1;
}

static int l_set(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luabox_push_error(L, "Invalid", "env.set expects a variable name (a string)");
  if (lua_type(L, 2) != LUA_TSTRING)
    return luabox_push_error(L, "Invalid", "env.set expects a string value");
  size_t name_len, value_len;
  const char *name = lua_tolstring(L, 1, &name_len);
  const char *value = lua_tolstring(L, 2, &value_len);
  if (name_len > luabox_max_payload() || value_len > luabox_max_payload())
    return luabox_push_error(L, "Invalid", "env.set: the name or value is larger than the "
                                           "sandbox's payload limit (limits.max_payload)");
  entry_list_u8_t wit_name = {(uint8_t *)name, name_len};
  entry_list_u8_t wit_value = {(uint8_t *)value, value_len};
  luabox_sandbox_env_option_handle_t writing;
  luabox_sandbox_env_host_error_t err;
  if (!luabox_sandbox_env_set(&wit_name, &wit_value, &writing, &err))
    return luabox_push_host_error(L, &err);
  if (writing.is_some) return luabox_wait(L, writing.val, "env.set");
  lua_pushboolean(L, 1);
  return 1;
}

static int l_get_all(lua_State *L) {
  luabox_sandbox_env_payload_t all;
  luabox_sandbox_env_get_all(&all);
  return luabox_push_payload(L, &all);
}

int luabox_open_env(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"get", l_get}, {"set", l_set}, {"get_all", l_get_all}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
