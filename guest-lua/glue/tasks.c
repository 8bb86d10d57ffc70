/*
 * tasks.c — the raw task functions that lua/channel.lua builds channels and coroutine.spawn on:
 *   park(what)        -> the values the task is woken with (blocks the running task)
 *   wake(id, ...)     -> true if task `id` was parked and is now runnable with those values
 *   current()         -> the id of the running task
 *   spawn(fn, ...)    -> the new task's coroutine; it runs when the scheduler gets to it
 * Only the channel face holds them; user code sees channels and coroutine.spawn.
 */
#include "scheduler.h"

static int l_park(lua_State *L) { return luabox_park(L, luaL_optstring(L, 1, "channel")); }

static int l_wake(lua_State *L) {
  int id = (int)luaL_checkinteger(L, 1);
  int nvalues = lua_gettop(L) - 1;
  lua_pushboolean(L, luabox_sched_wake(L, id, nvalues));
  return 1;
}

static int l_current(lua_State *L) {
  lua_pushinteger(L, luabox_sched_current());
  return 1;
}

static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int id = luabox_sched_spawn(L, lua_gettop(L) - 1);
  luabox_sched_push_thread(L, id);
  return 1;
}

int luabox_open_tasks(lua_State *L) {
  static const luaL_Reg functions[] = {{"park", l_park},
                                       {"wake", l_wake},
                                       {"current", l_current},
                                       {"spawn", l_spawn},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
