/*
 * mod_http_client.c — raw part of the `http_client` module (wit/http-client.wit). A request
 * starts a host operation and waits on its handle through the scheduler (docs/architecture.md §3), so other
 * coroutines run meanwhile.
 *   raw.request(method, url, headers, query, body, timeout, max_response_body)
 *       -> response table, or nil, err   (waits)
 * `headers` and `query` are flat arrays {name1, value1, name2, value2, ...} of strings, `body`
 * a string or nil, `timeout` nanoseconds or a duration string or nil, `max_response_body` an
 * integer or nil. lua/http_client.lua checks the user's options and builds these arguments.
 */
#include <stdint.h>

#include "luabox.h"

/* The pairs of the flat string array at `arg` as WIT tuples. The array lives in a userdata left
 * on the stack (so Lua's allocator and GC own it), and the strings stay alive in the table. */
static entry_list_tuple2_string_string_t check_pairs(lua_State *L, int arg) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Unsigned n = lua_rawlen(L, arg) / 2;
  luaL_argcheck(L, n <= SIZE_MAX / sizeof *((entry_list_tuple2_string_string_t *)0)->ptr, arg,
                "too many header or query pairs");
  entry_list_tuple2_string_string_t list = {NULL, (size_t)n};
  if (n == 0) return list;
  size_t total = 0;
  list.ptr = lua_newuserdatauv(L, sizeof *list.ptr * (size_t)n, 0);
  for (lua_Unsigned i = 0; i < n; i++) {
    entry_string_t *fields[2] = {&list.ptr[i].f0, &list.ptr[i].f1};
    for (int j = 0; j < 2; j++) {
      /* Strings only: a number converted here would be a new string nothing keeps alive. */
      if (lua_rawgeti(L, arg, (lua_Integer)(2 * i + j + 1)) != LUA_TSTRING)
        luaL_error(L, "http_client: header and query pairs must be strings");
      size_t len;
      const char *text = lua_tolstring(L, -1, &len);
      if (!luabox_valid_utf8((const unsigned char *)text, len))
        luaL_error(L, "http_client: header and query pairs must be UTF-8 text");
      total += len + sizeof(entry_string_t); /* the host builds a String of each */
      if (total > luabox_max_payload())
        luaL_error(L, "http_client: the header or query pairs are larger than the sandbox's "
                      "payload limit of %I bytes (limits.max_payload)",
                   (lua_Integer)luabox_max_payload());
      *fields[j] = (entry_string_t){(uint8_t *)text, len};
      lua_pop(L, 1); /* the table keeps the string alive */
    }
  }
  return list;
}

static int l_request(lua_State *L) {
  luabox_sandbox_http_client_request_t request;
  request.method = luabox_check_text(L, 1);
  request.url = luabox_check_text(L, 2);
  request.headers = check_pairs(L, 3);
  request.query = check_pairs(L, 4);
  request.body.is_some = !lua_isnoneornil(L, 5);
  if (request.body.is_some) {
    request.body.val = luabox_check_bytes(L, 5);
  }
  request.timeout.is_some = !lua_isnoneornil(L, 6);
  if (request.timeout.is_some) luabox_check_duration(L, 6, &request.timeout.val);
  request.max_response_body.is_some = !lua_isnoneornil(L, 7);
  if (request.max_response_body.is_some) {
    lua_Integer max = luaL_checkinteger(L, 7);
    luaL_argcheck(L, max > 0, 7, "max_response_body must be positive");
    request.max_response_body.val = (uint64_t)max;
  }
  luabox_sandbox_http_client_handle_t handle;
  luabox_sandbox_http_client_host_error_t err;
  if (!luabox_sandbox_http_client_send(&request, &handle, &err))
    return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "http_client.request");
}

int luabox_open_http_client(lua_State *L) {
  static const luaL_Reg functions[] = {{"request", l_request}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
