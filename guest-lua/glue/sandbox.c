/*
 * sandbox.c — the Lua environment an entry sees (DESIGN §2).
 *
 * The standard library minus: `io`, `os` except time/clock/date/difftime, `package.loadlib`,
 * `dofile`/`loadfile`, binary chunks (`load` takes text only), `debug` except `traceback`.
 * `print` writes to the host log, `require` resolves only the entry's `modules:` allowlist, and
 * the clocks and random seed come from host imports (see wasi_stubs.c).
 */
#include <string.h>

#include "lualib.h"
#include "luabox.h"
#include "prelude.h"

#define ENTRY_KEY "luabox.entry"
#define ALLOWED_KEY "luabox.allowed"
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
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  entry_string_t message = {.ptr = (uint8_t *)text, .len = len};
  luabox_sandbox_log_write(LUABOX_SANDBOX_LOG_LEVEL_INFO, &message);
  return 0;
}

static const luabox_module *find_module(const char *name) {
  for (const luabox_module *m = luabox_modules; m->name; m++)
    if (strcmp(m->name, name) == 0) return m;
  return NULL;
}

static int l_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE); /* 2 */
  if (lua_getfield(L, 2, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, ALLOWED_KEY);
  int allowed = lua_getfield(L, -1, name) != LUA_TNIL;
  lua_pop(L, 2);
  const luabox_module *module = find_module(name);
  if (!allowed && module)
    return luaL_error(L, "module '%s' is not allowed in entry '%s': add it to the entry's modules",
                      name, luabox_entry_id(L));
  if (!module)
    return luaL_error(L, "module '%s' not found (entry '%s'): luabox has no such module", name,
                      luabox_entry_id(L));
  lua_pushcfunction(L, module->open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, name);
  return 1;
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

/* os.clock: seconds this sandbox has run (lua-src's WASI build of loslib.c refuses clock()). */
static int l_os_clock(lua_State *L) {
  lua_pushnumber(L, (lua_Number)luabox_sandbox_sys_cpu_clock() / 1e9);
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
  lua_register(L, "require", l_require);

  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_setfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
  lua_pop(L, 1);

  if (luaL_loadbufferx(L, (const char *)luabox_prelude, sizeof luabox_prelude, "=[luabox]",
                       "t") != LUA_OK)
    return lua_error(L);
  luabox_push_wait_marker(L);
  lua_call(L, 1, 1);
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
  luabox_sandbox_sys_random_seed(&seed);
  lua_getfield(L, LUA_REGISTRYINDEX, RANDOMSEED_KEY);
  lua_pushinteger(L, (lua_Integer)seed.f0);
  lua_pushinteger(L, (lua_Integer)seed.f1);
  lua_call(L, 2, 0);
}

void luabox_set_entry(lua_State *L, const char *entry, size_t entry_len,
                      const entry_list_string_t *modules) {
  lua_pushlstring(L, entry, entry_len);
  lua_setfield(L, LUA_REGISTRYINDEX, ENTRY_KEY);
  lua_createtable(L, 0, (int)modules->len);
  for (size_t i = 0; i < modules->len; i++) {
    lua_pushlstring(L, (const char *)modules->ptr[i].ptr, modules->ptr[i].len);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, ALLOWED_KEY);
}

void luabox_push_run_entry(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, RUN_ENTRY_KEY); }

void luabox_push_owned_string(lua_State *L, entry_string_t *s) {
  lua_pushlstring(L, (const char *)s->ptr, s->len);
  entry_string_free(s);
}
