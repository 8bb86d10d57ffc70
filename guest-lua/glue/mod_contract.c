/*
 * mod_contract.c — raw part of the `contract` module (wit/contract.wit); lua/contract.lua
 * builds Contract and Instance objects over it.
 *   raw.get(id) -> {id, methods} | nil, err
 *   raw.implementations(id) -> {binding ids} | nil, err
 *   raw.default_binding(id) -> binding id | nil, err
 *   raw.open(id) -> {id, contracts, methods} | nil, err
 *   raw.call(binding, method, scope, options, ...) -> the method's results | nil, err (waits)
 *   raw.start(binding, method, scope, options, ...) -> handle (does not wait)
 *   raw.await(handle) -> the method's results | nil, err; raw.is_ready(handle); raw.cancel(handle)
 */
#include <limits.h>

#include "luabox.h"

typedef luabox_sandbox_contract_host_error_t host_error_t;
typedef luabox_sandbox_contract_payload_t payload_t;

static int l_get(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  payload_t out;
  host_error_t err;
  if (!luabox_sandbox_contract_get(&id, &out, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &out);
}

static int l_implementations(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  entry_list_string_t out;
  host_error_t err;
  if (!luabox_sandbox_contract_implementations(&id, &out, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "contract implementations");
  lua_createtable(L, out.len > INT_MAX ? INT_MAX : (int)out.len, 0);
  for (size_t i = 0; i < out.len && i < INT_MAX; i++) {
    lua_pushlstring(L, (const char *)out.ptr[i].ptr, out.ptr[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  entry_list_string_free(&out);
  return 1;
}

static int l_default_binding(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1), out;
  host_error_t err;
  if (!luabox_sandbox_contract_default_binding(&id, &out, &err))
    return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &out);
  return 1;
}

static int l_open(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  payload_t out;
  host_error_t err;
  if (!luabox_sandbox_contract_open(&id, &out, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &out);
}

/* Start a call; pushes nil, err and returns false when its arguments cannot be encoded. */
static bool start_call(lua_State *L, uint64_t *handle) {
  entry_string_t binding = luabox_check_text(L, 1), method = luabox_check_text(L, 2);
  luabox_buf scope, options, args;
  if (!luabox_encode_arg(L, 3, 1, "contract: the scope", &scope)) return false;
  if (!luabox_encode_arg(L, 4, 1, "contract: the options", &options)) {
    luabox_buf_free(&scope);
    return false;
  }
  if (!luabox_encode_arg(L, 5, lua_gettop(L) - 4, "contract: the arguments", &args)) {
    luabox_buf_free(&scope);
    luabox_buf_free(&options);
    return false;
  }
  payload_t wit_args = {args.data, args.len}, wit_scope = {scope.data, scope.len},
            wit_options = {options.data, options.len};
  *handle = luabox_sandbox_contract_call(&binding, &method, &wit_args, &wit_scope, &wit_options);
  luabox_buf_free(&args);
  luabox_buf_free(&scope);
  luabox_buf_free(&options);
  return true;
}

static int l_call(lua_State *L) {
  uint64_t handle;
  if (!start_call(L, &handle)) return 2;
  return luabox_wait(L, handle, "contract call");
}

static int l_start(lua_State *L) {
  uint64_t handle;
  if (!start_call(L, &handle)) return 2;
  lua_pushinteger(L, (lua_Integer)handle);
  return 1;
}

static int l_await(lua_State *L) {
  return luabox_wait(L, (uint64_t)luaL_checkinteger(L, 1), "future:result");
}

static int l_is_ready(lua_State *L) {
  lua_pushboolean(L, luabox_is_ready(L, (uint64_t)luaL_checkinteger(L, 1)));
  return 1;
}

static int l_cancel(lua_State *L) {
  luabox_sandbox_contract_cancel((uint64_t)luaL_checkinteger(L, 1));
  return 0;
}

int luabox_open_contract(lua_State *L) {
  static const luaL_Reg functions[] = {{"get", l_get},
                                       {"implementations", l_implementations},
                                       {"default_binding", l_default_binding},
                                       {"open", l_open},
                                       {"call", l_call},
                                       {"start", l_start},
                                       {"await", l_await},
                                       {"is_ready", l_is_ready},
                                       {"cancel", l_cancel},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
