/*
 * mod_events.c — raw part of the `events` module (wit/events.wit); lua/events.lua builds
 * Subscription objects and their channels over it and checks arguments first.
 *   raw.subscribe(system, kind | nil) -> n | nil, err
 *   raw.next(n) -> {event, ...} | nil (waits; nil once the subscription is closed)
 *   raw.close(n)
 *   raw.send(system, kind, path, data) -> true | nil, err
 */
#include "luabox.h"

typedef luabox_sandbox_events_host_error_t host_error_t;

static uint32_t check_subscription(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n > 0 && n <= UINT32_MAX, 1, "not a subscription number");
  return (uint32_t)n;
}

static int l_subscribe(lua_State *L) {
  entry_string_t system = luabox_check_text(L, 1), kind_text;
  entry_string_t *kind = NULL;
  if (!lua_isnoneornil(L, 2)) {
    kind_text = luabox_check_text(L, 2);
    kind = &kind_text;
  }
  uint32_t n;
  host_error_t err;
  if (!luabox_sandbox_events_subscribe(&system, kind, &n, &err))
    return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int l_next(lua_State *L) {
  uint64_t handle;
  host_error_t err;
  if (!luabox_sandbox_events_next(check_subscription(L), &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "events");
}

static int l_close(lua_State *L) {
  luabox_sandbox_events_close(check_subscription(L));
  return 0;
}

static int l_send(lua_State *L) {
  entry_string_t system = luabox_check_text(L, 1), kind = luabox_check_text(L, 2),
                 path = luabox_check_text(L, 3);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 4, lua_gettop(L) >= 4 ? 1 : 0, "events.send: the data", &buf))
    return 2;
  luabox_sandbox_events_payload_t data = {buf.data, buf.len};
  host_error_t err;
  bool ok = luabox_sandbox_events_send(&system, &kind, &path, &data, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

int luabox_open_events(lua_State *L) {
  static const luaL_Reg functions[] = {{"subscribe", l_subscribe}, {"next", l_next},
                                       {"close", l_close},         {"send", l_send},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
