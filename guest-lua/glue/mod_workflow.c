/*
 * mod_workflow.c — the workflow side of the guest (wit/workflow.wit). In a `workflow.lua` run
 * (`luabox_in_workflow`) every outside observation goes through the `workflow` interface so that
 * it is recorded and replayed: the clocks and the random seed (luabox_wall_clock & co., used by
 * sandbox.c, wasi_stubs.c and the time module), and the raw functions of time, uuid, funcs and
 * process, which call the workflow_* functions below instead of their own interfaces. Each
 * command names the Lua line that issued it (luabox_push_where).
 *
 * The `workflow` module's raw table (lua/workflow.lua is its face):
 *   raw.info() -> table    raw.version(change_id, min, max) -> integer | nil, err
 *   raw.exec(entry, options, ...) -> the child's results | nil, err   (waits)
 */
#include <string.h>

#include "luabox.h"

int luabox_in_workflow;

uint64_t luabox_wall_clock(void) {
  return luabox_in_workflow ? luabox_sandbox_workflow_clock() : luabox_sandbox_sys_wall_clock();
}

/* A workflow has no CPU clock that replays the same: os.clock() is 0 there. */
uint64_t luabox_cpu_clock(void) {
  return luabox_in_workflow ? 0 : luabox_sandbox_sys_cpu_clock();
}

void luabox_random_seed(entry_tuple2_u64_u64_t *seed) {
  if (luabox_in_workflow) luabox_sandbox_workflow_seed(seed);
  else luabox_sandbox_sys_random_seed(seed);
}

int luabox_not_in_workflow(lua_State *L, const char *what) {
  lua_pushfstring(L, "%s is not available in a workflow", what);
  return luabox_push_error(L, "Invalid", lua_tostring(L, -1));
}

void luabox_push_where(lua_State *L) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
    if (strncmp(ar.source, "=[luabox", 8) == 0) continue;
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    return;
  }
  lua_pushliteral(L, "?");
}

/* A chunk name given to `load` may hold any bytes. */
static entry_string_t where_string(lua_State *L) {
  luabox_push_where(L);
  return luabox_shown_text(L, -1);
}

int luabox_workflow_sleep(lua_State *L, luabox_sandbox_types_duration_t *d) {
  entry_string_t where = where_string(L), err;
  uint64_t handle;
  bool ok = luabox_sandbox_workflow_timer(d, &where, &handle, &err);
  lua_pop(L, 1);
  if (!ok) {
    lua_pushnil(L);
    luabox_push_owned_string(L, &err);
    return 2;
  }
  return luabox_wait(L, handle, "time.sleep");
}

int luabox_workflow_uuid(lua_State *L, uint8_t version) {
  entry_string_t where = where_string(L), id;
  luabox_sandbox_workflow_uuid(version, &where, &id);
  lua_pop(L, 1);
  luabox_push_owned_string(L, &id);
  return 1;
}

uint64_t luabox_workflow_activity(lua_State *L, entry_string_t *target,
                                  luabox_sandbox_types_payload_t *args,
                                  luabox_sandbox_types_payload_t *options) {
  entry_string_t where = where_string(L);
  uint64_t handle = luabox_sandbox_workflow_activity(target, args, options, &where);
  lua_pop(L, 1);
  return handle;
}

void luabox_workflow_cancel(lua_State *L, uint64_t handle) {
  entry_string_t where = where_string(L);
  luabox_sandbox_workflow_cancel(handle, &where);
  lua_pop(L, 1);
}

int luabox_workflow_send(lua_State *L, entry_string_t *dest, entry_string_t *topic,
                         luabox_sandbox_types_payload_t *values) {
  entry_string_t where = where_string(L);
  luabox_sandbox_types_host_error_t err;
  bool ok = luabox_sandbox_workflow_send(dest, topic, values, &where, &err);
  lua_pop(L, 1);
  if (!ok) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_info(lua_State *L) {
  luabox_sandbox_types_payload_t info;
  luabox_sandbox_workflow_info(&info);
  return luabox_push_payload(L, &info);
}

static int l_version(lua_State *L) {
  entry_string_t change = luabox_check_text(L, 1);
  int64_t min = (int64_t)luaL_checkinteger(L, 2), max = (int64_t)luaL_checkinteger(L, 3);
  entry_string_t where = where_string(L);
  int64_t version;
  luabox_sandbox_types_host_error_t err;
  bool ok = luabox_sandbox_workflow_version(&change, min, max, &where, &version, &err);
  lua_pop(L, 1);
  if (!ok)
    return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)version);
  return 1;
}

/* raw.exec(entry, options, ...): start a child workflow and wait for its results. */
static int l_exec(lua_State *L) {
  entry_string_t entry = luabox_check_text(L, 1);
  if (lua_isnoneornil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  luaL_checktype(L, 2, LUA_TTABLE);
  luabox_buf options_buf, input_buf;
  if (!luabox_encode_arg(L, 2, 1, "options", &options_buf)) return 2;
  if (!luabox_encode_arg(L, 3, lua_gettop(L) - 2, "input", &input_buf)) {
    luabox_buf_free(&options_buf);
    return 2;
  }
  entry_string_t where = where_string(L);
  luabox_sandbox_types_payload_t input = {input_buf.data, input_buf.len};
  luabox_sandbox_types_payload_t options = {options_buf.data, options_buf.len};
  uint64_t handle = luabox_sandbox_workflow_child(&entry, &input, &options, &where);
  luabox_buf_free(&input_buf);
  luabox_buf_free(&options_buf);
  lua_pop(L, 1);
  return luabox_wait(L, handle, "workflow.exec");
}

int luabox_open_workflow(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"info", l_info}, {"version", l_version}, {"exec", l_exec}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
