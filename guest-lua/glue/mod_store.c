/*
 * mod_store.c — raw part of the `store` module (wit/store.wit); lua/store.lua builds Store
 * objects over it and checks their arguments first.
 *   raw.open(id) -> n, full_id | nil, err
 *   raw.get(n, key) -> value | nil, err
 *   raw.set(n, key, value, ttl_seconds | nil) -> true | nil, err
 *   raw.has(n, key) -> bool | nil, err
 *   raw.delete(n, key) -> bool | nil, err
 *   raw.release(n)
 * An operation the host finishes at once (a memory store) returns its values directly; one it
 * starts (a backend doing I/O) waits on its handle through the scheduler (docs/architecture.md §3).
 */
#include "luabox.h"

typedef luabox_sandbox_store_outcome_t outcome_t;
typedef luabox_sandbox_store_host_error_t host_error_t;

/* The Lua results of an operation that returned `ok` with `out` or failed with `err`. */
static int finish(lua_State *L, int ok, outcome_t *out, host_error_t *err, const char *what) {
  if (!ok) return luabox_push_host_error(L, err);
  if (out->tag == LUABOX_SANDBOX_STORE_OUTCOME_DONE) return luabox_push_payload(L, &out->val.done);
  return luabox_wait(L, out->val.started, what);
}

static uint32_t check_store(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n > 0 && n <= UINT32_MAX, 1, "not a store number");
  return (uint32_t)n;
}

static entry_string_t check_key(lua_State *L) { return luabox_check_text(L, 2); }

static int l_open(lua_State *L) {
  entry_string_t wit_id = luabox_check_text(L, 1);
  entry_tuple2_u32_string_t opened;
  host_error_t err;
  if (!luabox_sandbox_store_open(&wit_id, &opened, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)opened.f0);
  luabox_push_owned_string(L, &opened.f1);
  return 2;
}

static int l_get(lua_State *L) {
  uint32_t n = check_store(L);
  entry_string_t key = check_key(L);
  outcome_t out;
  host_error_t err;
  int ok = luabox_sandbox_store_get(n, &key, &out, &err);
  return finish(L, ok, &out, &err, "store:get");
}

static int l_set(lua_State *L) {
  uint32_t n = check_store(L);
  entry_string_t key = check_key(L);
  double ttl, *maybe_ttl = NULL;
  if (!lua_isnoneornil(L, 4)) {
    ttl = luaL_checknumber(L, 4);
    maybe_ttl = &ttl;
  }
  luabox_buf buf;
  if (!luabox_encode_arg(L, 3, 1, "value", &buf)) return 2;
  luabox_sandbox_store_payload_t value = {buf.data, buf.len};
  outcome_t out;
  host_error_t err;
  int ok = luabox_sandbox_store_set(n, &key, &value, maybe_ttl, &out, &err);
  luabox_buf_free(&buf);
  return finish(L, ok, &out, &err, "store:set");
}

static int l_has(lua_State *L) {
  uint32_t n = check_store(L);
  entry_string_t key = check_key(L);
  outcome_t out;
  host_error_t err;
  int ok = luabox_sandbox_store_has(n, &key, &out, &err);
  return finish(L, ok, &out, &err, "store:has");
}

static int l_delete(lua_State *L) {
  uint32_t n = check_store(L);
  entry_string_t key = check_key(L);
  outcome_t out;
  host_error_t err;
  int ok = luabox_sandbox_store_delete(n, &key, &out, &err);
  return finish(L, ok, &out, &err, "store:delete");
}

static int l_release(lua_State *L) {
  luabox_sandbox_store_release(check_store(L));
  return 0;
}

int luabox_open_store(lua_State *L) {
  static const luaL_Reg functions[] = {{"open", l_open},     {"get", l_get},
                                       {"set", l_set},       {"has", l_has},
                                       {"delete", l_delete}, {"release", l_release},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
