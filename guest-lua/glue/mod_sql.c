/*
 * mod_sql.c — raw part of the `sql` module (wit/sql.wit). Statements start a host operation and
 * wait on its handle through the scheduler (docs/architecture.md §3), so other coroutines run meanwhile.
 *   raw.open(id)                                  -> handle, type | nil, err
 *   raw.release(handle)
 *   raw.query(on_tx, handle, sql, params, count)  -> rows | nil, err          (waits)
 *   raw.execute(on_tx, handle, sql, params, count)-> {rows_affected, ...} | nil, err (waits)
 *   raw.prepare(on_tx, handle, sql)               -> true | nil, err          (waits)
 *   raw.begin(handle, isolation, read_only)       -> transaction | nil, err   (waits)
 *   raw.finish(transaction, commit)               -> true | nil, err          (waits)
 *   raw.savepoint(transaction, action, name)      -> true | nil, err          (waits)
 *   raw.stats(handle)                             -> table | nil, err
 * `params` is a table (or nil) and `count` the number of parameters it stands for: positions
 * missing from the table are NULL. lua/sql.lua checks arguments and builds the objects.
 */
#include "luabox.h"

static luabox_sandbox_sql_target_t check_target(lua_State *L) {
  luabox_sandbox_sql_target_t target;
  target.tag = lua_toboolean(L, 1) ? LUABOX_SANDBOX_SQL_TARGET_TRANSACTION
                                   : LUABOX_SANDBOX_SQL_TARGET_DATABASE;
  uint32_t handle = (uint32_t)luaL_checkinteger(L, 2);
  if (target.tag == LUABOX_SANDBOX_SQL_TARGET_TRANSACTION)
    target.val.transaction = handle;
  else
    target.val.database = handle;
  return target;
}

static int l_open(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  entry_tuple2_u32_string_t opened;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_open(&id, &opened, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, opened.f0);
  luabox_push_owned_string(L, &opened.f1);
  return 2;
}

static int l_release(lua_State *L) {
  luabox_sandbox_sql_release((uint32_t)luaL_checkinteger(L, 1));
  return 0;
}

typedef bool (*statement_fn)(luabox_sandbox_sql_target_t *, entry_string_t *,
                             luabox_sandbox_sql_payload_t *, uint64_t *,
                             luabox_sandbox_sql_host_error_t *);

static int run_statement(lua_State *L, statement_fn start, const char *what) {
  luabox_sandbox_sql_target_t target = check_target(L);
  entry_string_t statement = luabox_check_text(L, 3);
  luaL_checkinteger(L, 5);
  luabox_buf params;
  if (!luabox_encode_arg(L, 4, 2, "params", &params)) return 2;
  luabox_sandbox_sql_payload_t payload = {params.data, params.len};
  uint64_t handle;
  luabox_sandbox_sql_host_error_t err;
  bool ok = start(&target, &statement, &payload, &handle, &err);
  luabox_buf_free(&params);
  if (!ok) return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, what);
}

static int l_query(lua_State *L) {
  return run_statement(L, luabox_sandbox_sql_query, "sql.query");
}

static int l_execute(lua_State *L) {
  return run_statement(L, luabox_sandbox_sql_execute, "sql.execute");
}

static int l_prepare(lua_State *L) {
  luabox_sandbox_sql_target_t target = check_target(L);
  entry_string_t statement = luabox_check_text(L, 3);
  uint64_t handle;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_prepare(&target, &statement, &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "sql.prepare");
}

static int l_begin(lua_State *L) {
  uint32_t database = (uint32_t)luaL_checkinteger(L, 1);
  entry_string_t isolation = luabox_check_text(L, 2);
  bool read_only = lua_toboolean(L, 3);
  uint64_t handle;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_begin(database, &isolation, read_only, &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "sql.begin");
}

static int l_finish(lua_State *L) {
  uint32_t transaction = (uint32_t)luaL_checkinteger(L, 1);
  uint64_t handle;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_finish(transaction, lua_toboolean(L, 2), &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "sql.finish");
}

static int l_savepoint(lua_State *L) {
  uint32_t transaction = (uint32_t)luaL_checkinteger(L, 1);
  lua_Integer action = luaL_checkinteger(L, 2);
  luaL_argcheck(L, action >= 0 && action <= 2, 2, "unknown savepoint action");
  entry_string_t name = luabox_check_text(L, 3);
  uint64_t handle;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_savepoint(transaction, (luabox_sandbox_sql_savepoint_action_t)action,
                                    &name, &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "sql.savepoint");
}

static int l_stats(lua_State *L) {
  luabox_sandbox_sql_payload_t stats;
  luabox_sandbox_sql_host_error_t err;
  if (!luabox_sandbox_sql_stats((uint32_t)luaL_checkinteger(L, 1), &stats, &err))
    return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &stats);
}

int luabox_open_sql(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"open", l_open},       {"release", l_release},     {"query", l_query},
      {"execute", l_execute}, {"prepare", l_prepare},     {"begin", l_begin},
      {"finish", l_finish},   {"savepoint", l_savepoint}, {"stats", l_stats},
      {NULL, NULL},
  };
  luaL_newlib(L, functions);
  return 1;
}
