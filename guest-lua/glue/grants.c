/*
 * grants.c — a module's grant checked where the module is used, not only where it is required.
 *
 * prelude.lua's `require` hands a module only to the chunk scopes (the entry, each library it
 * imports) whose `modules:` list it. Values travel, though: a library granted `sql` can leak its
 * database handle, or the module table itself, to an importer that is not granted `sql`. So every
 * raw function of a module that acts with authority (GUARDED below) first finds the scope of the
 * Lua code that called it and checks that the scope lists the module.
 *
 * The scope is a fact of the code, not of its name: the guest's Lua (patched by
 * scripts/build-guest.sh) gives every function prototype the scope it was loaded in (set here by
 * `set_scope`: the prelude marks luabox's own Lua -1, the invocation's chunks 1..n, and a chunk
 * user code loads gets its loader's scope), and a tail call, which removes the caller's frame,
 * records the caller's scope in the frame that replaces it. The caller is the nearest frame of the
 * running coroutine that is Lua code not luabox's own; a coroutine with none (a module function
 * run directly as a coroutine body) acts for the entry. The prelude keeps each scope's record
 * (LUABOX_GRANTS[scope] = {what = "entry 'app:x'", modules = {name = true}}) per invocation.
 */
#include <limits.h>
#include <string.h>

#include "luabox.h"
#include "ldebug.h"
#include "lstate.h"

/* Functions that use no authority beyond what the caller already holds are left unguarded:
 * releasing a handle, the sandbox's own pid, its own inbox (read by process.lua's pump, a task
 * with no user code on its stack), and the outcome of a call that was already started. */
static const char *const sql_free[] = {"release", NULL};
static const char *const store_free[] = {"release", NULL};
static const char *const process_free[] = {"pid", "receive", NULL};
static const char *const funcs_free[] = {"await", "is_ready", "cancel", NULL};
static const char *const none_free[] = {NULL};

static const struct {
  const char *module;
  const char *const *free;
} GUARDED[] = {
    {"env", none_free},        {"funcs", funcs_free},   {"http_client", none_free},
    {"io", none_free},
    {"process", process_free}, {"registry", none_free}, {"sql", sql_free},
    {"store", store_free},     {NULL, NULL},
};

/* The scope of the code that called the running C function (>= 0; 0: code no scope was given
 * to, which is granted nothing). `ar` is left at that code's frame, or with i_ci NULL where the
 * frame is gone (a tail call) or the coroutine has none. */
static int caller_scope(lua_State *L, lua_Debug *ar) {
  for (int level = 1; lua_getstack(L, level, ar); level++) {
    CallInfo *ci = ar->i_ci;
    if (!isLua(ci)) continue;
    int scope = ci_func(ci)->p->scope;
    if (scope != LUABOX_OWN_SCOPE) return scope;
    if ((ci->callstatus & CIST_TAIL) && ci->tailscope != LUABOX_OWN_SCOPE) {
      ar->i_ci = NULL;
      return ci->tailscope;
    }
  }
  ar->i_ci = NULL;
  return 1; /* the entry's */
}

/* Upvalue 1: the module's name; upvalue 2: the raw function it guards (a C function without
 * upvalues, so it runs in this call's frame and may yield as if called directly). */
static int guarded_call(lua_State *L) {
  luaL_checkstack(L, 4, NULL);
  int top = lua_gettop(L);
  lua_Debug ar;
  int scope = caller_scope(L, &ar);
  int allowed = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, LUABOX_GRANTS);
  if (lua_istable(L, -1) && lua_rawgeti(L, -1, scope) == LUA_TTABLE) {
    if (lua_getfield(L, -1, "modules") == LUA_TTABLE) {
      lua_pushvalue(L, lua_upvalueindex(1));
      allowed = lua_rawget(L, -2) != LUA_TNIL;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (!allowed) {
    const char *module = lua_tostring(L, lua_upvalueindex(1));
    const char *what = lua_istable(L, -1) && lua_getfield(L, -1, "what") == LUA_TSTRING
                           ? lua_tostring(L, -1)
                           : "code that luabox gave no scope";
    if (ar.i_ci && lua_getinfo(L, "Sl", &ar))
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
    else lua_pushliteral(L, "");
    lua_pushfstring(L,
                    "%smodule '%s' is not allowed in %s: its functions and the handles it "
                    "returns work only in code whose modules list it (this value came from "
                    "another entry or library)",
                    lua_tostring(L, -1), module, what);
    return lua_error(L);
  }
  lua_settop(L, top);
  return lua_tocfunction(L, lua_upvalueindex(2))(L);
}

static void set_proto_scope(Proto *p, int scope) {
  p->scope = scope;
  for (int i = 0; i < p->sizep; i++) set_proto_scope(p->p[i], scope);
}

void luabox_give_scope(lua_State *L, int idx, int scope) {
  if (lua_type(L, idx) == LUA_TFUNCTION && !lua_iscfunction(L, idx))
    set_proto_scope(((LClosure *)lua_topointer(L, idx))->p, scope);
}

int luabox_set_scope(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_argcheck(L, !lua_iscfunction(L, 1), 1, "Lua function expected");
  lua_Integer scope = luaL_checkinteger(L, 2);
  luaL_argcheck(L, scope >= LUABOX_OWN_SCOPE && scope <= INT_MAX, 2, "scope out of range");
  luabox_give_scope(L, 1, (int)scope);
  return 0;
}

static int is_free(const char *const *free, const char *name) {
  for (; *free; free++)
    if (strcmp(*free, name) == 0) return 1;
  return 0;
}

void luabox_guard_module(lua_State *L, const char *module) {
  int i = 0;
  while (GUARDED[i].module && strcmp(GUARDED[i].module, module) != 0) i++;
  if (!GUARDED[i].module) return;
  luaL_checkstack(L, 4, NULL);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1) &&
        !is_free(GUARDED[i].free, lua_tostring(L, -2))) {
      lua_pushstring(L, module);
      lua_insert(L, -2);
      lua_pushcclosure(L, guarded_call, 2);
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    } else {
      lua_pop(L, 1);
    }
  }
}
