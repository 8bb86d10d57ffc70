/*
 * mod_templates.c — raw part of the `templates` module (wit/templates.wit); lua/templates.lua
 * builds Set objects over it and checks their arguments first.
 *   raw.get(id) -> full_id | nil, err
 *   raw.render(full_id, name, data | nil) -> text | nil, err
 * The rendered text is at most the invocation's max_payload bytes (the host's cap), pushed as
 * one Lua string (a memory error if the sandbox cannot hold it).
 */
#include "luabox.h"

typedef luabox_sandbox_templates_host_error_t host_error_t;

static int l_get(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1), full;
  host_error_t err;
  if (!luabox_sandbox_templates_get(&id, &full, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &full);
  return 1;
}

static int l_render(lua_State *L) {
  entry_string_t set = luabox_check_text(L, 1), name = luabox_check_text(L, 2), text;
  luabox_buf buf;
  /* No data (none or nil) crosses as an empty array: the template sees no variables. */
  if (!luabox_encode_arg(L, 3, lua_isnoneornil(L, 3) ? 0 : 1, "set:render: the data", &buf))
    return 2;
  luabox_sandbox_templates_payload_t data = {buf.data, buf.len};
  host_error_t err;
  bool ok = luabox_sandbox_templates_render(&set, &name, &data, &text, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &text);
  return 1;
}

int luabox_open_templates(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get}, {"render", l_render}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
