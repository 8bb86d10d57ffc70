/*
 * mod_funcs.c — raw part of the `funcs` module (wit/funcs.wit). Every call starts a host
 * operation and returns its handle; waiting goes through the scheduler (docs/architecture.md §3).
 *   raw.call(target, options, ...)   -> the callee's results, or nil, err   (waits)
 *   raw.start(target, options, ...)  -> handle                              (does not wait)
 *   raw.await(handle)        -> the callee's results, or nil, err   (waits unless already done)
 *   raw.is_ready(handle)     -> boolean
 *   raw.cancel(handle)
 *   raw.activity()           -> {id, workflow_id, attempt} when running as an activity, or nothing
 * In a workflow, calls are activities (mod_workflow.c).
 * lua/funcs.lua builds `funcs.call` / `funcs.async` and Future objects on these.
 */
#include "luabox.h"

/* Start a call of target (arg 1) with options (arg 2, a table or nil) and args 3..top. Pushes
 * the handle, or nil + err (returns 0). */
static int start_call(lua_State *L) {
  entry_string_t wit_target = luabox_check_text(L, 1);
  if (lua_isnoneornil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  luaL_checktype(L, 2, LUA_TTABLE);
  luabox_buf options_buf, args_buf;
  if (!luabox_encode_arg(L, 2, 1, "options", &options_buf)) return 0;
  if (!luabox_encode_arg(L, 3, lua_gettop(L) - 2, "args", &args_buf)) {
    luabox_buf_free(&options_buf);
    return 0;
  }
  luabox_sandbox_funcs_payload_t args = {args_buf.data, args_buf.len};
  luabox_sandbox_funcs_payload_t options = {options_buf.data, options_buf.len};
  uint64_t handle = luabox_in_workflow
                        ? luabox_workflow_activity(L, &wit_target, &args, &options)
                        : luabox_sandbox_funcs_call(&wit_target, &args, &options);
  luabox_buf_free(&args_buf);
  luabox_buf_free(&options_buf);
  lua_pushinteger(L, (lua_Integer)handle);
  return 1;
}

static int l_call(lua_State *L) {
  if (!start_call(L)) return 2;
  return luabox_wait(L, (uint64_t)lua_tointeger(L, -1), "funcs.call");
}

static int l_start(lua_State *L) { return start_call(L) ? 1 : 2; }

static int l_await(lua_State *L) {
  return luabox_wait(L, (uint64_t)luaL_checkinteger(L, 1), "future:result");
}

static int l_is_ready(lua_State *L) {
  lua_pushboolean(L, luabox_is_ready(L, (uint64_t)luaL_checkinteger(L, 1)));
  return 1;
}

static int l_cancel(lua_State *L) {
  uint64_t handle = (uint64_t)luaL_checkinteger(L, 1);
  if (luabox_in_workflow) luabox_workflow_cancel(L, handle);
  else luabox_sandbox_funcs_cancel(handle);
  return 0;
}

static int l_activity(lua_State *L) {
  luabox_sandbox_funcs_payload_t info;
  if (luabox_in_workflow || !luabox_sandbox_funcs_activity(&info)) return 0;
  return luabox_push_payload(L, &info);
}

int luabox_open_funcs(lua_State *L) {
  static const luaL_Reg functions[] = {{"call", l_call},         {"start", l_start},
                                       {"await", l_await},       {"is_ready", l_is_ready},
                                       {"cancel", l_cancel},     {"activity", l_activity},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
