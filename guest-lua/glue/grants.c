/*
 * grants.c — a module's grant checked where the module is used, not only where it is required.
 *
 * prelude.lua's `require` hands a module only to the chunk scopes (the entry, each library it
 * imports) whose `modules:` list it. Values travel, though: a library granted `sql` can leak its
 * database handle, or the module table itself, to an importer that is not granted `sql`. So every
 * raw function of a module that acts with authority (LUABOX_GUARDED in modules.def) first finds
 * the scope of the Lua code that called it and checks that the scope lists the module.
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

/* Whether `name` is one of the space-separated names in `list`. */
static int listed(const char *list, const char *name) {
  size_t len = strlen(name);
  if (len == 0 || strchr(name, ' ')) return 0;
  for (const char *at = list; (at = strstr(at, name)) != NULL; at += len)
    if ((at == list || at[-1] == ' ') && (at[len] == ' ' || at[len] == '\0')) return 1;
  return 0;
}

void luabox_guard_module(lua_State *L, const luabox_module *m) {
  if (m->grant != LUABOX_GUARDED) return;
  luaL_checkstack(L, 4, NULL);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1) &&
        !listed(m->unchecked, lua_tostring(L, -2))) {
      lua_pushstring(L, m->name);
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
