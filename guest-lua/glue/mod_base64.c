/*
 * mod_base64.c — the `base64` module (wit/base64.wit): `base64.encode(s) -> text` and
 * `base64.decode(text) -> s | nil, err`, standard alphabet with padding.
 */
#include "luabox.h"

static int l_encode(lua_State *L) {
  entry_list_u8_t data = luabox_check_bytes(L, 1);
  entry_string_t text;
  luabox_sandbox_base64_encode(&data, &text);
  luabox_push_owned_string(L, &text);
  return 1;
}

static int l_decode(lua_State *L) {
  entry_string_t text;
  if (!luabox_text_arg(L, 1, "base64.decode: the text", &text)) return 2;
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
