/*
 * mod_logger.c — raw part of the `logger` module (wit/logger.wit):
 * raw.write(level, name, message, fields) with level "debug"|"info"|"warn"|"error". Fields that
 * cannot cross the boundary (a function, a cycle) are replaced by a note rather than failing the
 * log call. lua/logger.lua builds the logger objects.
 */
#include "luabox.h"

static int l_write(lua_State *L) {
  static const char *const levels[] = {"trace", "debug", "info", "warn", "error", NULL};
  static const luabox_sandbox_log_level_t codes[] = {
      LUABOX_SANDBOX_LOG_LEVEL_TRACE, LUABOX_SANDBOX_LOG_LEVEL_DEBUG,
      LUABOX_SANDBOX_LOG_LEVEL_INFO, LUABOX_SANDBOX_LOG_LEVEL_WARN,
      LUABOX_SANDBOX_LOG_LEVEL_ERROR};
  int level = luaL_checkoption(L, 1, NULL, levels);
  luaL_checkstring(L, 2);
  entry_string_t wit_name = luabox_shown_text(L, 2);
  entry_string_t wit_message = luabox_shown_text(L, 3);
  if (lua_isnoneornil(L, 4)) {
    lua_settop(L, 3);
    lua_newtable(L);
  }
  luabox_buf buf;
  if (!luabox_encode_values(L, 4, 1, "fields", luabox_max_payload(), &buf)) {
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, "fields_error");
    if (!luabox_encode_values(L, -1, 1, "fields", luabox_max_payload(), &buf))
      return luaL_error(L, "cannot encode log fields");
  }
  luabox_sandbox_logger_payload_t fields = {buf.data, buf.len};
  luabox_sandbox_logger_write(codes[level], &wit_name, &wit_message, &fields);
  luabox_buf_free(&buf);
  return 0;
}

int luabox_open_logger(lua_State *L) {
  static const luaL_Reg functions[] = {{"write", l_write}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
