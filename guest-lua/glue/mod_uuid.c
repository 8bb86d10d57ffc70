/*
 * mod_uuid.c — raw functions of the `uuid` module (wit/uuid.wit): v4 and v7 come from the host
 * (recorded in a workflow's history, in a workflow);
 * lua/uuid.lua adds validation and inspection.
 */
#include "luabox.h"

static int l_v4(lua_State *L) {
  if (luabox_in_workflow) return luabox_workflow_uuid(L, 4);
  entry_string_t id;
  luabox_sandbox_uuid_v4(&id);
  luabox_push_owned_string(L, &id);
  return 1;
}

static int l_v7(lua_State *L) {
  if (luabox_in_workflow) return luabox_workflow_uuid(L, 7);
  entry_string_t id;
  luabox_sandbox_uuid_v7(&id);
  luabox_push_owned_string(L, &id);
  return 1;
}

int luabox_open_uuid(lua_State *L) {
  static const luaL_Reg functions[] = {{"v4", l_v4}, {"v7", l_v7}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
