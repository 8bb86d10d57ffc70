/*
 * mod_process.c — raw part of the `process` global (wit/process.wit). Each function returns what
 * Lua sees (`true` / a value, or nil + err); lua/process.lua builds the `process` table, message
 * objects and the inbox/events/listen routing on top:
 *   raw.pid() -> pid                    raw.send(dest, topic, ...) -> true | nil, err
 *   (a send to a workflow waits until its signal is durable)
 *   raw.spawn(entry, host, flags, ...) -> pid | nil, err    (flags: 0, 1 monitor, 2 link, 3 both)
 *   raw.exec(entry, host, ...) -> the process's results | nil, err    (waits)
 *   raw.terminate/monitor/unmonitor/link/unlink(dest) -> true | nil, err
 *   raw.cancel(dest, reason) -> true | nil, err        raw.set_trap_links(bool)
 *   raw.receive() -> deliveries (waits; see wit/process.wit for their shape)
 *   raw.register(name, pid?) -> true | nil, err    raw.lookup(name) -> pid | nil, err
 *   raw.unregister(name) -> boolean    raw.watch_events() (first process.events() call)
 * In a workflow, pid/send/receive go through the `workflow` interface (signals) and the others
 * fail with Invalid (Wippy: wippyai/docs en/concepts/workflows.md).
 */
#include <string.h>

#include "luabox.h"

static int done(lua_State *L, bool ok, luabox_sandbox_process_host_error_t *err) {
  if (!ok) return luabox_push_host_error(L, err);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_pid(lua_State *L) {
  entry_string_t pid;
  if (luabox_in_workflow) luabox_sandbox_workflow_pid(&pid);
  else luabox_sandbox_process_pid(&pid);
  luabox_push_owned_string(L, &pid);
  return 1;
}

static int l_send(lua_State *L) {
  entry_string_t dest = luabox_check_text(L, 1), topic = luabox_check_text(L, 2);
  luabox_buf buf;
  if (!luabox_encode_arg(L, 3, lua_gettop(L) - 2, "message", &buf)) return 2;
  luabox_sandbox_process_payload_t values = {buf.data, buf.len};
  if (luabox_in_workflow) {
    int n = luabox_workflow_send(L, &dest, &topic, &values);
    luabox_buf_free(&buf);
    return n;
  }
  /* "{workflow|ID}" on the embedded engine, "{workflow@WORKER|ID}" on a Temporal worker. */
  if (dest.len > 10 && memcmp(dest.ptr, "{workflow", 9) == 0 &&
      (dest.ptr[9] == '|' || dest.ptr[9] == '@')) {
    uint64_t handle = luabox_sandbox_process_signal(&dest, &topic, &values);
    luabox_buf_free(&buf);
    return luabox_wait(L, handle, "process.send to a workflow");
  }
  luabox_sandbox_process_host_error_t err;
  bool ok = luabox_sandbox_process_send(&dest, &topic, &values, &err);
  luabox_buf_free(&buf);
  return done(L, ok, &err);
}

/* raw.spawn(entry, host, flags, with, ...) and raw.exec(entry, host, with, ...): `with` is nil
   or the spawner's {options, messages, context} (three values), encoded as the `with` payload. */
static bool encode_with(lua_State *L, int at, luabox_buf *out) {
  if (lua_isnil(L, at)) return luabox_encode_arg(L, at, 0, "spawner", out);
  luaL_checktype(L, at, LUA_TTABLE);
  luaL_checkstack(L, 3, "spawner");
  lua_geti(L, at, 1);
  lua_geti(L, at, 2);
  lua_geti(L, at, 3);
  int top = lua_gettop(L);
  if (!luabox_encode_arg(L, top - 2, 3, "spawner", out)) return false; /* nil, err on top */
  lua_pop(L, 3);
  return true;
}

static int l_spawn(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.spawn (use workflow.exec)");
  entry_string_t entry = luabox_check_text(L, 1), host = luabox_check_text(L, 2);
  /* Only the defined bits: the host refuses (traps on) a flags value with any other bit set. */
  luabox_sandbox_process_spawn_flags_t flags =
      (uint8_t)luaL_checkinteger(L, 3) &
      (LUABOX_SANDBOX_PROCESS_SPAWN_FLAGS_MONITOR | LUABOX_SANDBOX_PROCESS_SPAWN_FLAGS_LINK);
  luabox_buf with_buf;
  if (!encode_with(L, 4, &with_buf)) return 2;
  luabox_buf buf;
  if (!luabox_encode_arg(L, 5, lua_gettop(L) - 4, "args", &buf)) {
    luabox_buf_free(&with_buf);
    return 2;
  }
  luabox_sandbox_process_payload_t args = {buf.data, buf.len};
  luabox_sandbox_process_payload_t with = {with_buf.data, with_buf.len};
  luabox_sandbox_process_spawned_t spawned;
  luabox_sandbox_process_host_error_t err;
  bool ok = luabox_sandbox_process_spawn(&entry, &host, &args, flags, &with, &spawned, &err);
  luabox_buf_free(&buf);
  luabox_buf_free(&with_buf);
  if (!ok) return luabox_push_host_error(L, &err);
  if (spawned.tag == LUABOX_SANDBOX_PROCESS_SPAWNED_PENDING)
    return luabox_wait(L, spawned.val.pending, "process.spawn");
  luabox_push_owned_string(L, &spawned.val.pid);
  return 1;
}

static int l_exec(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.exec (use workflow.exec)");
  entry_string_t entry = luabox_check_text(L, 1), host = luabox_check_text(L, 2);
  luabox_buf with_buf;
  if (!encode_with(L, 3, &with_buf)) return 2;
  luabox_buf buf;
  if (!luabox_encode_arg(L, 4, lua_gettop(L) - 3, "args", &buf)) {
    luabox_buf_free(&with_buf);
    return 2;
  }
  luabox_sandbox_process_payload_t args = {buf.data, buf.len};
  luabox_sandbox_process_payload_t with = {with_buf.data, with_buf.len};
  uint64_t handle = luabox_sandbox_process_exec(&entry, &host, &args, &with);
  luabox_buf_free(&buf);
  luabox_buf_free(&with_buf);
  return luabox_wait(L, handle, "process.exec");
}

#define DEST_CALL(name)                                              \
  static int l_##name(lua_State *L) {                                \
    if (luabox_in_workflow) return luabox_not_in_workflow(L, "process." #name); \
    entry_string_t dest = luabox_check_text(L, 1);                   \
    luabox_sandbox_process_host_error_t err;                         \
    return done(L, luabox_sandbox_process_##name(&dest, &err), &err); \
  }
DEST_CALL(terminate)
DEST_CALL(monitor)
DEST_CALL(unmonitor)
DEST_CALL(link)
DEST_CALL(unlink)

static int l_cancel(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.cancel");
  entry_string_t dest = luabox_check_text(L, 1), reason = luabox_check_text(L, 2);
  luabox_sandbox_process_host_error_t err;
  return done(L, luabox_sandbox_process_cancel(&dest, &reason, &err), &err);
}

static int l_set_trap_links(lua_State *L) {
  if (luabox_in_workflow) return 0;
  luabox_sandbox_process_set_trap_links(lua_toboolean(L, 1));
  return 0;
}

static int l_receive(lua_State *L) {
  uint64_t handle = luabox_in_workflow ? luabox_sandbox_workflow_receive()
                                       : luabox_sandbox_process_receive();
  return luabox_wait(L, handle, "process inbox");
}

/* A workflow that reads process.events() handles its own cancellation. */
static int l_watch_events(lua_State *L) {
  (void)L;
  if (luabox_in_workflow) luabox_sandbox_workflow_watch_events();
  return 0;
}

static int l_register(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.registry.register");
  entry_string_t name = luabox_check_text(L, 1), pid;
  entry_string_t *maybe_pid = NULL;
  if (!lua_isnoneornil(L, 2)) {
    pid = luabox_check_text(L, 2);
    maybe_pid = &pid;
  }
  luabox_sandbox_process_host_error_t err;
  return done(L, luabox_sandbox_process_register(&name, maybe_pid, &err), &err);
}

static int l_lookup(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.registry.lookup");
  entry_string_t name = luabox_check_text(L, 1), pid;
  luabox_sandbox_process_host_error_t err;
  if (!luabox_sandbox_process_lookup(&name, &pid, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_string(L, &pid);
  return 1;
}

static int l_unregister(lua_State *L) {
  if (luabox_in_workflow) return luabox_not_in_workflow(L, "process.registry.unregister");
  entry_string_t name = luabox_check_text(L, 1);
  lua_pushboolean(L, luabox_sandbox_process_unregister(&name));
  return 1;
}

int luabox_open_process(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"pid", l_pid},         {"send", l_send},           {"spawn", l_spawn},
      {"exec", l_exec},       {"terminate", l_terminate}, {"cancel", l_cancel},
      {"monitor", l_monitor}, {"unmonitor", l_unmonitor}, {"link", l_link},
      {"unlink", l_unlink},   {"set_trap_links", l_set_trap_links},
      {"receive", l_receive}, {"register", l_register},   {"lookup", l_lookup},
      {"watch_events", l_watch_events},
      {"unregister", l_unregister}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
