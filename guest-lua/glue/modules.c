/*
 * modules.c — the table of Lua modules built into the guest, how their values are built, and the
 * helpers their C parts share (errors, payloads, durations).
 *
 * Adding a module: write mod_NAME.c with `luabox_open_NAME` (raw functions over the module's WIT
 * imports), optionally lua/NAME.lua (its Lua face), and add its one line to modules.def.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "luabox.h"
#include "faces.h"

#define LUABOX_MODULE(name, grant, unchecked) int luabox_open_##name(lua_State *L);
#include "modules.def"
#undef LUABOX_MODULE

const luabox_module luabox_modules[] = {
#define LUABOX_MODULE(name, grant, unchecked) {#name, luabox_open_##name, grant, unchecked},
#include "modules.def"
#undef LUABOX_MODULE
    {NULL, NULL, LUABOX_OPEN, NULL},
};

int luabox_load_face(lua_State *L, const char *name) {
  for (const luabox_face *f = luabox_faces; f->name; f++) {
    if (strcmp(f->name, name) != 0) continue;
    lua_pushfstring(L, "=[luabox:%s]", name);
    if (luaL_loadbufferx(L, (const char *)f->code, f->len, lua_tostring(L, -1), "t") != LUA_OK)
      lua_error(L);
    lua_remove(L, -2);
    luabox_give_scope(L, -1, LUABOX_OWN_SCOPE);
    return 1;
  }
  return 0;
}

/* load_part(name) -> function: the chunk of glue/lua/NAME.lua, for a face split into parts. */
static int l_load_part(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (!luabox_load_face(L, name)) return luaL_error(L, "no Lua face part named '%s'", name);
  return 1;
}

void luabox_build_modules(lua_State *L) {
  for (const luabox_module *m = luabox_modules; m->name; m++) {
    int has_face = luabox_load_face(L, m->name);
    lua_pushcfunction(L, m->open);
    lua_call(L, 0, 1);
    luabox_guard_module(L, m);
    if (has_face) {
      lua_pushcfunction(L, l_load_part);
      lua_call(L, 2, 1);
    }
    lua_setfield(L, -2, m->name);
  }
}

int luabox_push_error(lua_State *L, const char *kind, const char *message) {
  lua_pushnil(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUABOX_FROM_HOST);
  lua_pushstring(L, kind);
  lua_pushstring(L, message);
  lua_call(L, 2, 1);
  return 2;
}

int luabox_push_host_error(lua_State *L, luabox_sandbox_types_host_error_t *err) {
  entry_string_t kind = err->kind, message = err->message;
  *err = (luabox_sandbox_types_host_error_t){0};
  luabox_hold(L, kind.ptr, kind.len);
  luabox_hold(L, message.ptr, message.len);
  lua_pushnil(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUABOX_FROM_HOST);
  lua_pushlstring(L, (const char *)kind.ptr, kind.len);
  lua_pushlstring(L, (const char *)message.ptr, message.len);
  luabox_free_held(message.ptr, message.len);
  luabox_free_held(kind.ptr, kind.len);
  lua_call(L, 2, 1);
  return 2;
}

int luabox_encode_arg(lua_State *L, int first, int count, const char *what, luabox_buf *out) {
  if (luabox_encode_values(L, first, count, what, luabox_max_payload(), out)) return 1;
  const char *message = lua_tostring(L, -1);
  luabox_push_error(L, "Invalid", message ? message : "cannot encode the value");
  return 0;
}

int luabox_push_payload(lua_State *L, luabox_sandbox_types_payload_t *payload) {
  luabox_hold(L, payload->ptr, payload->len);
  int n = luabox_decode_values(L, payload->ptr, payload->len);
  luabox_free_held(payload->ptr, payload->len);
  *payload = (luabox_sandbox_types_payload_t){0};
  if (n >= 0) return n;
  lua_pushfstring(L, "malformed data from the host: %s", lua_tostring(L, -1));
  return luabox_push_error(L, "Internal", lua_tostring(L, -1));
}

void luabox_check_duration(lua_State *L, int arg, luabox_sandbox_types_duration_t *out) {
  if (lua_isinteger(L, arg)) {
    out->tag = LUABOX_SANDBOX_TYPES_DURATION_NANOS;
    out->val.nanos = lua_tointeger(L, arg);
  } else if (lua_type(L, arg) == LUA_TNUMBER) {
    double ns = lua_tonumber(L, arg);
    luaL_argcheck(L, isfinite(ns) && fabs(ns) < 9.2e18, arg, "duration out of range");
    out->tag = LUABOX_SANDBOX_TYPES_DURATION_NANOS;
    out->val.nanos = (int64_t)llround(ns);
  } else {
    out->tag = LUABOX_SANDBOX_TYPES_DURATION_TEXT;
    out->val.text = luabox_check_text(L, arg);
  }
}

/* Every string handed to the host is copied there: past the payload limit it is refused, so the
 * host's copy of a sandbox's input is bounded by a fixed amount, not by the sandbox's memory. */
static const char *too_large(lua_State *L, size_t len) {
  return lua_pushfstring(L, "%I bytes, more than the sandbox's payload limit of %I bytes "
                         "(limits.max_payload)", (lua_Integer)len, (lua_Integer)luabox_max_payload());
}

entry_list_u8_t luabox_check_bytes(lua_State *L, int arg) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  if (len > luabox_max_payload()) luaL_argerror(L, arg, too_large(L, len));
  return (entry_list_u8_t){(uint8_t *)s, len};
}

entry_string_t luabox_check_text(lua_State *L, int arg) {
  entry_list_u8_t s = luabox_check_bytes(L, arg);
  if (!luabox_valid_utf8(s.ptr, s.len))
    luaL_argerror(L, arg, "UTF-8 text expected, got bytes that are not UTF-8");
  return (entry_string_t){s.ptr, s.len};
}

int luabox_text_arg(lua_State *L, int arg, const char *what, entry_string_t *out) {
  size_t len;
  const char *s = lua_type(L, arg) == LUA_TSTRING ? lua_tolstring(L, arg, &len) : NULL;
  if (s && len > luabox_max_payload()) {
    lua_pushfstring(L, "%s is %s", what, too_large(L, len));
    luabox_push_error(L, "Invalid", lua_tostring(L, -1));
    return 0;
  }
  if (!s || !luabox_valid_utf8((const unsigned char *)s, len)) {
    lua_pushfstring(L, "%s must be %s", what, s ? "UTF-8 text" : "a string");
    luabox_push_error(L, "Invalid", lua_tostring(L, -1));
    return 0;
  }
  *out = (entry_string_t){(uint8_t *)s, len};
  return 1;
}

entry_string_t luabox_shown_text(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_tolstring(L, idx, &len);
  if (len > LUABOX_MAX_SHOWN || !luabox_valid_utf8(s, len)) {
    size_t size = luabox_escape_utf8(s, len, NULL);
    luaL_Buffer b;
    luabox_escape_utf8(s, len, (uint8_t *)luaL_buffinitsize(L, &b, size));
    luaL_pushresultsize(&b, size);
    lua_remove(L, -2);
  }
  lua_replace(L, idx);
  s = (const unsigned char *)lua_tolstring(L, idx, &len);
  return (entry_string_t){(uint8_t *)s, len};
}
