/*
 * mod_queue.c — raw part of the `queue` module (wit/queue.wit); lua/queue.lua builds the
 * Message object and checks arguments first.
 *   raw.publish(id, data, headers | nil) -> true | nil, err (waits while the queue is full)
 *   raw.message() -> id, headers | nil, err
 *   raw.settle(ack) -> settled | nil, err
 *   raw.info(id) -> {message_count, ready, in_flight, consumer_count} | nil, err
 */
#include "luabox.h"

typedef luabox_sandbox_queue_host_error_t host_error_t;
typedef luabox_sandbox_queue_payload_t payload_t;

static int l_publish(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  luabox_buf data, headers;
  if (!luabox_encode_arg(L, 2, 1, "queue.publish: the message data", &data)) return 2;
  if (!luabox_encode_arg(L, 3, lua_isnoneornil(L, 3) ? 0 : 1, "queue.publish: the headers",
                         &headers)) {
    luabox_buf_free(&data);
    return 2;
  }
  payload_t wit_data = {data.data, data.len}, wit_headers = {headers.data, headers.len};
  uint64_t handle;
  host_error_t err;
  bool ok = luabox_sandbox_queue_publish(&id, &wit_data, &wit_headers, &handle, &err);
  luabox_buf_free(&data);
  luabox_buf_free(&headers);
  if (!ok) return luabox_push_host_error(L, &err);
  return luabox_wait(L, handle, "queue.publish");
}

static int l_message(lua_State *L) {
  luabox_sandbox_queue_tuple2_string_payload_t out;
  host_error_t err;
  if (!luabox_sandbox_queue_message(&out, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &out.f0);
  return 1 + luabox_push_payload(L, &out.f1);
}

static int l_settle(lua_State *L) {
  bool settled;
  host_error_t err;
  if (!luabox_sandbox_queue_settle(lua_toboolean(L, 1), &settled, &err))
    return luabox_push_host_error(L, &err);
  lua_pushboolean(L, settled);
  return 1;
}

static int l_info(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  payload_t info;
  host_error_t err;
  if (!luabox_sandbox_queue_info(&id, &info, &err)) return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &info);
}

int luabox_open_queue(lua_State *L) {
  static const luaL_Reg functions[] = {{"publish", l_publish}, {"message", l_message},
                                       {"settle", l_settle},   {"info", l_info},
                                       {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
