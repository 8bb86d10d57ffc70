/*
 * mod_json.c — the `json` module (wit/json.wit): `json.encode(value) -> text | nil, err` and
 * `json.decode(text) -> value | nil, err`. The host does the JSON work on the value's MessagePack
 * form; see host/src/modules/json.rs for the edge cases (empty table, sparse arrays, NaN, depth).
 */
#include "luabox.h"

static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 1, 1, "value", &buf)) return 2;
  luabox_sandbox_json_payload_t value = {buf.data, buf.len};
  entry_string_t text;
  luabox_sandbox_json_host_error_t err;
  bool ok = luabox_sandbox_json_encode(&value, &text, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &text);
  return 1;
}

static int l_decode(lua_State *L) {
  entry_string_t text;
  if (!luabox_text_arg(L, 1, "json.decode: the text", &text)) return 2;
  luabox_sandbox_json_payload_t value;
  luabox_sandbox_json_host_error_t err;
  if (!luabox_sandbox_json_decode(&text, &value, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &value);
}

int luabox_open_json(lua_State *L) {
  static const luaL_Reg functions[] = {{"encode", l_encode}, {"decode", l_decode}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
