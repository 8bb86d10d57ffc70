/*
 * mod_base64.c — the `base64` module (wit/base64.wit): `base64.encode(s) -> text` and
 * `base64.decode(text) -> s | nil, err`, standard alphabet with padding.
 */
#include "luabox.h"

static int l_encode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  entry_list_u8_t data = {(uint8_t *)s, len};
  entry_string_t text;
  luabox_sandbox_base64_encode(&data, &text);
  luabox_push_owned_string(L, &text);
  return 1;
}

static int l_decode(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luabox_push_error(L, "Invalid", "base64.decode expects a string");
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  entry_string_t text = {(uint8_t *)s, len};
  entry_list_u8_t data;
  luabox_sandbox_base64_host_error_t err;
  if (!luabox_sandbox_base64_decode(&text, &data, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_bytes(L, &data);
  return 1;
}

int luabox_open_base64(lua_State *L) {
  static const luaL_Reg functions[] = {{"encode", l_encode}, {"decode", l_decode}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
