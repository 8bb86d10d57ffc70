/*
 * mod_metrics.c — the `metrics` module (wit/metrics.wit; Wippy: wippyai/docs
 * en/lua/system/metrics.md), each function `true` or `nil, err`:
 *   metrics.counter_inc(name [, labels])         metrics.counter_add(name, value [, labels])
 *   metrics.gauge_set(name, value [, labels])    metrics.gauge_inc/gauge_dec(name [, labels])
 *   metrics.histogram(name, value [, labels])
 * Each is one small C function over update(), without upvalues: the module is guarded, and
 * grants.c calls a guarded function's C code directly, under its own upvalues. The host keeps
 * the series app-wide and checks names, labels and its caps.
 */
#include "luabox.h"

/* Longer names are refused here, before they cross (the host's cap is lower still). */
#define MAX_NAME_BYTES 1024

/* `fixed`: inc/dec, whose value is `step`, not an argument. */
static int update(lua_State *L, const char *call, luabox_sandbox_metrics_op_t op, int fixed,
                  double step) {
  int labels_at = fixed ? 2 : 3;
  lua_settop(L, labels_at); /* a missing labels argument is nil */
  if (lua_type(L, 1) != LUA_TSTRING) {
    lua_pushfstring(L, "metrics.%s expects a metric name (a string)", call);
    return luabox_push_error(L, "Invalid", lua_tostring(L, -1));
  }
  size_t name_len;
  const char *name = lua_tolstring(L, 1, &name_len);
  if (name_len > MAX_NAME_BYTES) {
    lua_pushfstring(L, "metrics.%s: the metric name is too long", call);
    return luabox_push_error(L, "Invalid", lua_tostring(L, -1));
  }
  double value;
  if (fixed) {
    value = step;
  } else {
    if (lua_type(L, 2) != LUA_TNUMBER) {
      lua_pushfstring(L, "metrics.%s expects a number value", call);
      return luabox_push_error(L, "Invalid", lua_tostring(L, -1));
    }
    value = (double)lua_tonumber(L, 2);
  }
  int labels_type = lua_type(L, labels_at);
  if (labels_type != LUA_TNIL && labels_type != LUA_TTABLE) {
    lua_pushfstring(L, "metrics.%s expects labels as a table (or nil)", call);
    return luabox_push_error(L, "Invalid", lua_tostring(L, -1));
  }
  luabox_buf buf;
  if (!luabox_encode_arg(L, labels_at, 1, "labels", &buf)) return 2;
  entry_list_u8_t wit_name = {(uint8_t *)name, name_len};
  luabox_sandbox_metrics_payload_t labels = {buf.data, buf.len};
  luabox_sandbox_metrics_host_error_t err;
  bool ok = luabox_sandbox_metrics_update(op, &wit_name, value, &labels, &err);
  luabox_buf_free(&buf);
  if (!ok) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_counter_inc(lua_State *L) {
  return update(L, "counter_inc", LUABOX_SANDBOX_METRICS_OP_COUNTER_ADD, 1, 1);
}
static int l_counter_add(lua_State *L) {
  return update(L, "counter_add", LUABOX_SANDBOX_METRICS_OP_COUNTER_ADD, 0, 0);
}
static int l_gauge_set(lua_State *L) {
  return update(L, "gauge_set", LUABOX_SANDBOX_METRICS_OP_GAUGE_SET, 0, 0);
}
static int l_gauge_inc(lua_State *L) {
  return update(L, "gauge_inc", LUABOX_SANDBOX_METRICS_OP_GAUGE_ADD, 1, 1);
}
static int l_gauge_dec(lua_State *L) {
  return update(L, "gauge_dec", LUABOX_SANDBOX_METRICS_OP_GAUGE_ADD, 1, -1);
}
static int l_histogram(lua_State *L) {
  return update(L, "histogram", LUABOX_SANDBOX_METRICS_OP_OBSERVE, 0, 0);
}

int luabox_open_metrics(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"counter_inc", l_counter_inc}, {"counter_add", l_counter_add},
      {"gauge_set", l_gauge_set},     {"gauge_inc", l_gauge_inc},
      {"gauge_dec", l_gauge_dec},     {"histogram", l_histogram},
      {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
