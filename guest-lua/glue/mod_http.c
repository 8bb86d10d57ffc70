/*
 * mod_http.c — raw part of the `http` module (wit/http.wit), the request an http.endpoint's
 * function handles and the response it writes:
 *   raw.request()         -> {method, path, query, headers = {name = value}, params = {name =
 *                            value}, host, remote_addr, body_size} | nil, err
 *   raw.body()            -> string | nil, err
 *   raw.body_json()       -> value | nil, err
 *   raw.set_status(code)  raw.set_header(name, value)  raw.write(data)  raw.write_json(value)
 *                         -> true | nil, err
 * lua/http.lua builds the Request and Response objects and the constants on these.
 */
#include <limits.h>

#include "luabox.h"

typedef luabox_sandbox_http_host_error_t http_error;

static int done(lua_State *L, bool ok, http_error *err) {
  if (!ok) return luabox_push_host_error(L, err);
  lua_pushboolean(L, 1);
  return 1;
}

static void set_string(lua_State *L, const char *field, const entry_string_t *s) {
  lua_pushlstring(L, (const char *)s->ptr, s->len);
  lua_setfield(L, -2, field);
}

/* Repeated header names are joined with ", " (RFC 9110 §5.3). */
static void push_headers(lua_State *L, const entry_list_tuple2_string_string_t *list) {
  lua_createtable(L, 0, list->len > INT_MAX ? INT_MAX : (int)list->len);
  for (size_t i = 0; i < list->len; i++) {
    const entry_string_t *name = &list->ptr[i].f0, *value = &list->ptr[i].f1;
    lua_pushlstring(L, (const char *)name->ptr, name->len);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) {
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, (const char *)value->ptr, value->len);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, (const char *)value->ptr, value->len);
    }
    lua_rawset(L, -3);
  }
}

/* Build the request table (run protected, so that the request is freed whatever happens). */
static int build_request(lua_State *L) {
  const luabox_sandbox_http_request_info_t *request = lua_touserdata(L, 1);
  lua_createtable(L, 0, 8);
  push_headers(L, &request->headers);
  lua_setfield(L, -2, "headers");
  push_headers(L, &request->params);
  lua_setfield(L, -2, "params");
  lua_pushinteger(L, (lua_Integer)request->body_size);
  lua_setfield(L, -2, "body_size");
  set_string(L, "method", &request->method);
  set_string(L, "path", &request->path);
  set_string(L, "query", &request->query);
  set_string(L, "host", &request->host);
  set_string(L, "remote_addr", &request->remote_addr);
  return 1;
}

static int l_request(lua_State *L) {
  luabox_sandbox_http_request_info_t request;
  http_error err;
  if (!luabox_sandbox_http_request(&request, &err)) return luabox_push_host_error(L, &err);
  lua_pushcfunction(L, build_request);
  lua_pushlightuserdata(L, &request);
  int status = lua_pcall(L, 1, 1, 0);
  luabox_sandbox_http_request_info_free(&request);
  if (status != LUA_OK) return lua_error(L);
  return 1;
}

static int l_body(lua_State *L) {
  entry_list_u8_t body;
  http_error err;
  if (!luabox_sandbox_http_body(&body, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_bytes(L, &body);
  return 1;
}

static int l_body_json(lua_State *L) {
  luabox_sandbox_http_payload_t value;
  http_error err;
  if (!luabox_sandbox_http_body_json(&value, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &value);
}

static int l_set_status(lua_State *L) {
  lua_Integer code = luaL_checkinteger(L, 1);
  if (code < 100 || code > 999)
    return luabox_push_error(L, "Invalid", "http: a status code is a number from 100 to 999");
  http_error err;
  return done(L, luabox_sandbox_http_set_status((uint16_t)code, &err), &err);
}

static int l_set_header(lua_State *L) {
  entry_string_t wit_name = luabox_check_text(L, 1);
  entry_string_t wit_value = luabox_check_text(L, 2);
  http_error err;
  return done(L, luabox_sandbox_http_set_header(&wit_name, &wit_value, &err), &err);
}

static int l_write(lua_State *L) {
  entry_list_u8_t wit_data = luabox_check_bytes(L, 1);
  http_error err;
  return done(L, luabox_sandbox_http_write(&wit_data, &err), &err);
}

static int l_write_json(lua_State *L) {
  luaL_checkany(L, 1);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 1, 1, "value", &buf)) return 2;
  luabox_sandbox_http_payload_t value = {buf.data, buf.len};
  http_error err;
  bool ok = luabox_sandbox_http_write_json(&value, &err);
  luabox_buf_free(&buf);
  return done(L, ok, &err);
}

int luabox_open_http(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"request", l_request},       {"body", l_body},       {"body_json", l_body_json},
      {"set_status", l_set_status}, {"set_header", l_set_header},
      {"write", l_write},           {"write_json", l_write_json},
      {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
