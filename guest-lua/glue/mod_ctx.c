/*
 * mod_ctx.c — the `ctx` module (wit/ctx.wit): the request context of this call.
 *   ctx.get(key) -> value | nil, err (Invalid for an empty key, NotFound for a missing one)
 *   ctx.all() -> {key = value, ...}
 */
#include "luabox.h"

static int l_get(lua_State *L) {
  entry_string_t key;
  if (!luabox_text_arg(L, 1, "ctx.get: the key", &key)) return 2;
  luabox_sandbox_ctx_payload_t value;
  luabox_sandbox_ctx_host_error_t err;
  if (!luabox_sandbox_ctx_get(&key, &value, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &value);
}

static int l_all(lua_State *L) {
  luabox_sandbox_ctx_payload_t values;
  luabox_sandbox_ctx_all(&values);
  return luabox_push_payload(L, &values);
}

int luabox_open_ctx(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get}, {"all", l_all}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
