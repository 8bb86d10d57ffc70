/*
 * mod_yaml.c — the `yaml` module (wit/yaml.wit): `yaml.encode(table [, options]) -> text |
 * nil, err` and `yaml.decode(text) -> value | nil, err`. The host does the YAML work on the
 * value's MessagePack form; see host/src/modules/yaml/ for what is written and read.
 */
#include "luabox.h"

static int l_encode(lua_State *L) {
  lua_settop(L, 2); /* a missing table or options is nil, which the host refuses or ignores */
  luabox_buf value_buf, options_buf;
  if (!luabox_encode_arg(L, 1, 1, "value", &value_buf)) return 2;
  if (!luabox_encode_arg(L, 2, 1, "options", &options_buf)) {
    luabox_buf_free(&value_buf);
    return 2;
  }
  luabox_sandbox_yaml_payload_t value = {value_buf.data, value_buf.len};
  luabox_sandbox_yaml_payload_t options = {options_buf.data, options_buf.len};
  entry_string_t text;
  luabox_sandbox_yaml_host_error_t err;
  bool ok = luabox_sandbox_yaml_encode(&value, &options, &text, &err);
  luabox_buf_free(&options_buf);
  luabox_buf_free(&value_buf);
  if (!ok) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &text);
  return 1;
}

static int l_decode(lua_State *L) {
  entry_string_t text;
  if (!luabox_text_arg(L, 1, "yaml.decode: the text", &text)) return 2;
  luabox_sandbox_yaml_payload_t value;
  luabox_sandbox_yaml_host_error_t err;
  if (!luabox_sandbox_yaml_decode(&text, &value, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &value);
}

int luabox_open_yaml(lua_State *L) {
  static const luaL_Reg functions[] = {{"encode", l_encode}, {"decode", l_decode}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
