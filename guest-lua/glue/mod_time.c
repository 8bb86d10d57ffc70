/*
 * mod_time.c — the Lua face of the `time` module (wit/time.wit).
 *
 *   local time = require("time")
 *   time.sleep("250ms")   -- or nanoseconds: time.sleep(250 * 1000 * 1000)
 *
 * `sleep` starts a host timer and yields its handle to the scheduler; other coroutines run and
 * the sandbox returns to the host while it waits. A malformed duration returns nil, err.
 */
#include "luabox.h"

static int l_sleep(lua_State *L) {
  luabox_sandbox_types_duration_t d;
  luabox_check_duration(L, 1, &d);
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
  static const luaL_Reg functions[] = {
      {"sleep", l_sleep},
      {NULL, NULL},
  };
  luaL_newlib(L, functions);
  return 1;
}
