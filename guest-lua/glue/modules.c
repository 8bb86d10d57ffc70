/*
 * modules.c — the list of Lua modules built into the guest, and helpers their faces share.
 * Adding a module: write mod_NAME.c with `luabox_open_NAME` and add one line below.
 */
#include <math.h>

#include "luabox.h"

int luabox_open_time(lua_State *L);

const luabox_module luabox_modules[] = {
    {"time", luabox_open_time},
    {NULL, NULL},
};

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
    size_t len;
    const char *text = luaL_checklstring(L, arg, &len);
    out->tag = LUABOX_SANDBOX_TYPES_DURATION_TEXT;
    out->val.text = (entry_string_t){(uint8_t *)text, len};
  }
}
