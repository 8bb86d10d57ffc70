/*
 * sandbox.c — the Lua environment an entry sees (docs/architecture.md §2).
 *
 * The standard library minus: `io`, `os` except time/clock/date/difftime, `package.loadlib`,
 * `dofile`/`loadfile`, binary chunks (`load` takes text only), `debug` except `traceback`.
 * `print` writes to the host log, the clocks and random seed come from host imports (see
 * wasi_stubs.c), `errors` is a global, and every module value is built here, once, so that the
 * snapshot holds them ready; `require` (prelude.lua) hands out only those a chunk's scope allows.
 */
#include <string.h>

#include "lualib.h"
#include "luabox.h"
#include "prelude.h"

#define ENTRY_KEY "luabox.entry"
#define RANDOMSEED_KEY "luabox.randomseed"
#define RUN_ENTRY_KEY "luabox.run_entry"

const char *luabox_entry_id(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, ENTRY_KEY);
  const char *id = lua_tostring(L, -1);
  lua_pop(L, 1); /* the registry keeps the string alive */
  return id ? id : "?";
}

static int l_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  entry_string_t message = luabox_shown_text(L, -1);
  luabox_sandbox_log_write(LUABOX_SANDBOX_LOG_LEVEL_INFO, &message);
  return 0;
}

/* debug.traceback([thread,] [message [, level]]), as in ldblib.c. */
static int l_traceback(lua_State *L) {
  lua_State *L1 = L;
  int arg = 0;
  if (lua_type(L, 1) == LUA_TTHREAD) {
    L1 = lua_tothread(L, 1);
    arg = 1;
  }
  const char *msg = lua_tostring(L, arg + 1);
  if (msg == NULL && !lua_isnoneornil(L, arg + 1)) {
    lua_pushvalue(L, arg + 1);
  } else {
    int level = (int)luaL_optinteger(L, arg + 2, (L == L1) ? 1 : 0);
    luaL_traceback(L, L1, msg, level);
  }
  return 1;
}

/* load_code(code, chunk_name, mode, env): load a chunk the host sent (mode "t": source text; "b":
 * bytecode from the `compile` export) with `env` as its globals. Only the prelude holds it: user
 * code gets the text-only `load`. */
static int l_load_code(lua_State *L) {
  static const char *const modes[] = {"t", "b", NULL};
  size_t len;
  const char *code = luaL_checklstring(L, 1, &len);
  const char *name = luaL_checkstring(L, 2);
  const char *mode = modes[luaL_checkoption(L, 3, NULL, modes)];
  if (luaL_loadbufferx(L, code, len, name, mode) != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushvalue(L, 4);
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  return 1;
}

/* os.clock: seconds this sandbox has run (lua-src's WASI build of loslib.c refuses clock()). */
static int l_os_clock(lua_State *L) {
  lua_pushnumber(L, (lua_Number)luabox_cpu_clock() / 1e9);
  return 1;
}

/* Keep only `keep` in the table on top of the stack. */
static void keep_fields(lua_State *L, const char *const keep[]) {
  lua_newtable(L);
  for (int i = 0; keep[i]; i++) {
    lua_getfield(L, -2, keep[i]);
    lua_setfield(L, -2, keep[i]);
  }
  lua_replace(L, -2);
}

static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}

static int init_state(lua_State *L) {
  open_lib(L, LUA_GNAME, luaopen_base);
  open_lib(L, LUA_COLIBNAME, luaopen_coroutine);
  open_lib(L, LUA_TABLIBNAME, luaopen_table);
  open_lib(L, LUA_STRLIBNAME, luaopen_string);
  open_lib(L, LUA_MATHLIBNAME, luaopen_math);
  open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);

  luaopen_os(L);
  keep_fields(L, (const char *const[]){"time", "date", "difftime", NULL});
  lua_pushcfunction(L, l_os_clock);
  lua_setfield(L, -2, "clock");
  lua_pushvalue(L, -1);
  lua_setglobal(L, LUA_OSLIBNAME);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, LUA_OSLIBNAME);

  lua_newtable(L); /* debug */
  lua_pushcfunction(L, l_traceback);
  lua_setfield(L, -2, "traceback");
  lua_pushvalue(L, -1);
  lua_setglobal(L, LUA_DBLIBNAME);
  lua_setfield(L, -2, LUA_DBLIBNAME);

  lua_newtable(L); /* package: only `loaded` */
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "loaded");
  lua_setglobal(L, LUA_LOADLIBNAME);
  lua_pop(L, 1); /* LOADED */

  lua_pushnil(L);
  lua_setglobal(L, "dofile");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");
  lua_register(L, "print", l_print);

  if (!luabox_load_face(L, "errors")) return luaL_error(L, "the errors face is missing");
  lua_call(L, 0, 2);
  lua_setfield(L, LUA_REGISTRYINDEX, LUABOX_ERROR_MT);
  lua_getfield(L, -1, "from_host");
  lua_setfield(L, LUA_REGISTRYINDEX, LUABOX_FROM_HOST);
  lua_setglobal(L, "errors");

  /* the run-time values of typed Lua's types, and the globals typeof, Integer, integer, ... */
  if (!luabox_load_face(L, "types")) return luaL_error(L, "the types face is missing");
  lua_call(L, 0, 0);

  /* channel (global) and coroutine.spawn */
  if (!luabox_load_face(L, "channel")) return luaL_error(L, "the channel face is missing");
  luabox_open_tasks(L);
  lua_call(L, 1, 2);
  lua_getglobal(L, LUA_COLIBNAME);
  lua_insert(L, -2);
  lua_setfield(L, -2, "spawn");
  lua_pop(L, 1);
  lua_setglobal(L, "channel");

  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_setfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
  lua_pop(L, 1);

  if (luaL_loadbufferx(L, (const char *)luabox_prelude, sizeof luabox_prelude, "=[luabox]",
                       "t") != LUA_OK)
    return lua_error(L);
  luabox_give_scope(L, -1, LUABOX_OWN_SCOPE);
  luabox_push_wait_marker(L);
  luabox_push_park_marker(L);
  lua_pushcfunction(L, l_load_code);
  lua_newtable(L);
  luabox_build_modules(L);
  lua_newtable(L); /* the task coroutines (scheduler.c), weakly */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, LUABOX_TASK_THREADS);
  lua_newtable(L); /* the grant records by scope (grants.c), kept by the prelude */
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, LUABOX_GRANTS);
  lua_pushcfunction(L, luabox_set_scope);
  lua_call(L, 7, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, RUN_ENTRY_KEY);
  return 0;
}

lua_State *luabox_new_state(void) {
  lua_State *L = luaL_newstate();
  if (!L) return NULL;
  lua_pushcfunction(L, init_state);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    lua_close(L);
    return NULL;
  }
  return L;
}

void luabox_reseed(lua_State *L) {
  entry_tuple2_u64_u64_t seed;
  luabox_random_seed(&seed);
  lua_getfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
  lua_pushinteger(L, (lua_Integer)seed.f0);
  lua_pushinteger(L, (lua_Integer)seed.f1);
  lua_call(L, 2, 0);
}

void luabox_set_entry(lua_State *L, const char *entry, size_t entry_len) {
  lua_pushlstring(L, entry, entry_len);
  lua_setfield(L, LUA_REGISTRYINDEX, ENTRY_KEY);
}

void luabox_push_run_entry(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, RUN_ENTRY_KEY); }

/* Push a copy of `len` bytes the host returned, then free them (held meanwhile: the copy may
 * raise a memory error). */
static void push_owned(lua_State *L, uint8_t *ptr, size_t len) {
  luabox_hold(L, ptr, len);
  lua_pushlstring(L, (const char *)ptr, len);
  luabox_free_held(ptr, len);
}

void luabox_push_owned_string(lua_State *L, entry_string_t *s) {
  push_owned(L, s->ptr, s->len);
  *s = (entry_string_t){0};
}

void luabox_push_owned_bytes(lua_State *L, entry_list_u8_t *bytes) {
  push_owned(L, bytes->ptr, bytes->len);
  *bytes = (entry_list_u8_t){0};
}
