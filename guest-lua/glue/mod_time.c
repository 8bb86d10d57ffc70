/*
 * mod_time.c — raw part of the `time` module (wit/time.wit); lua/time.lua is its face.
 *   raw.now()       -> integer nanoseconds since the Unix epoch (the host's wall clock, or
 *                      the workflow clock in a workflow)
 *   raw.sleep(ns)   -> waits (a host timer, durable in a workflow; other coroutines run
 *                      meanwhile), or nil, err
 */
#include "luabox.h"

static int l_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)luabox_wall_clock());
  return 1;
}

static int l_sleep(lua_State *L) {
  luabox_sandbox_types_duration_t d;
  luabox_check_duration(L, 1, &d);
  if (luabox_in_workflow) return luabox_workflow_sleep(L, &d);
  uint64_t handle;
  entry_string_t err;
  if (!luabox_sandbox_time_sleep(&d, &handle, &err)) {
    lua_pushnil(L);
    luabox_push_owned_string(L, &err);
    return 2;
  }
  return luabox_wait(L, handle, "time.sleep");
}

int luabox_open_time(lua_State *L) {
  static const luaL_Reg functions[] = {{"now", l_now}, {"sleep", l_sleep}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
