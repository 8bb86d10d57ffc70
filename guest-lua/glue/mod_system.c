/*
 * mod_system.c — raw part of the `system` module (wit/system.wit; Wippy: wippyai/docs
 * en/lua/system/system.md). lua/system.lua builds the nested tables (`system.memory.stats()`,
 * `system.gc.collect()`, ...) over these:
 *   raw.lua_memory() -> bytes Lua holds, bytes of the sandbox's linear memory
 *   raw.gc_collect() -> true                 a full cycle of this sandbox's collector
 *   raw.gc_pause(pause | -1) -> true         Lua's incremental pause (-1 stops the collector)
 *   raw.memory_limit(), raw.cpu_count(), raw.pid() -> integer
 *   raw.tasks(), raw.workers() -> integer | nil, err
 *   raw.hostname(), raw.cwd() -> string | nil, err
 *   raw.modules() -> {{name, description, class}, ...}
 * The collector calls act on this sandbox's Lua state only; nothing here changes the host.
 */
#include "luabox.h"

/* Lua's pause is kept in a byte as pause/4 (lgc.h setgcparam), so it tops out near 1023. */
#define MAX_PAUSE 1000

static int l_lua_memory(lua_State *L) {
  lua_Integer bytes =
      (lua_Integer)lua_gc(L, LUA_GCCOUNT) * 1024 + (lua_Integer)lua_gc(L, LUA_GCCOUNTB);
  lua_pushinteger(L, bytes);
  lua_pushinteger(L, (lua_Integer)__builtin_wasm_memory_size(0) * 65536);
  return 2;
}

static int l_gc_collect(lua_State *L) {
  lua_gc(L, LUA_GCCOLLECT);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_gc_pause(lua_State *L) {
  lua_Integer pause = luaL_checkinteger(L, 1);
  if (pause == -1) {
    lua_gc(L, LUA_GCSTOP);
  } else if (pause >= 0 && pause <= MAX_PAUSE) {
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCINC, (int)pause, 0, 0); /* 0: keep the step multiplier and size */
  } else {
    return luabox_push_error(L, "Invalid", "system.gc.set_percent: out of range");
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int l_memory_limit(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)luabox_sandbox_system_memory_limit());
  return 1;
}

static int l_cpu_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)luabox_sandbox_system_cpu_count());
  return 1;
}

static int l_pid(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)luabox_sandbox_system_pid());
  return 1;
}

static int l_tasks(lua_State *L) {
  uint64_t n;
  luabox_sandbox_system_host_error_t err;
  if (!luabox_sandbox_system_tasks(&n, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int l_workers(lua_State *L) {
  uint64_t n;
  luabox_sandbox_system_host_error_t err;
  if (!luabox_sandbox_system_workers(&n, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int l_hostname(lua_State *L) {
  entry_string_t name;
  luabox_sandbox_system_host_error_t err;
  if (!luabox_sandbox_system_hostname(&name, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &name);
  return 1;
}

static int l_cwd(lua_State *L) {
  entry_string_t dir;
  luabox_sandbox_system_host_error_t err;
  if (!luabox_sandbox_system_cwd(&dir, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &dir);
  return 1;
}

static int l_modules(lua_State *L) {
  luabox_sandbox_system_payload_t list;
  luabox_sandbox_system_modules(&list);
  return luabox_push_payload(L, &list);
}

int luabox_open_system(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"lua_memory", l_lua_memory}, {"gc_collect", l_gc_collect},
      {"gc_pause", l_gc_pause},     {"memory_limit", l_memory_limit},
      {"cpu_count", l_cpu_count},   {"pid", l_pid},
      {"tasks", l_tasks},           {"workers", l_workers},
      {"hostname", l_hostname},     {"cwd", l_cwd},
      {"modules", l_modules},       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
