/*
 * runner.c — the `runner` export (wit/runner.wit): `start` loads an entry's chunk into the
 * sandbox's Lua state and runs it as task 0; `resume` delivers host completions. Both run the
 * scheduler until no task can progress and report the step: done, failed or waiting.
 *
 * The Lua state is normally built by `wizer-initialize` before the host snapshots the instance;
 * `start` builds it on first use otherwise.
 *
 * Everything that touches Lua runs under lua_pcall, so even an allocation failure while building
 * the report (the sandbox at its memory limit) becomes a `failed` step instead of a Lua panic.
 */
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

static lua_State *state;
static size_t max_payload = 16u << 20;

static void set_string(entry_string_t *out, const char *s, size_t len) {
  out->ptr = malloc(len ? len : 1);
  out->len = out->ptr ? len : 0;
  if (out->ptr) memcpy(out->ptr, s, len);
}

static void set_failed(luabox_sandbox_types_step_t *ret, uint8_t kind, const char *msg,
                       size_t len) {
  memset(ret, 0, sizeof *ret);
  ret->tag = LUABOX_SANDBOX_TYPES_STEP_FAILED;
  ret->val.failed.kind = kind;
  set_string(&ret->val.failed.message, msg, len);
}

/* Fill `ret` from a failed task: error value at -2, traceback at -1. */
static void report_failure(lua_State *L, int status, luabox_sandbox_types_step_t *ret) {
  int err = lua_gettop(L) - 1;
  uint8_t kind = status == LUA_ERRMEM ? LUABOX_SANDBOX_TYPES_ERROR_KIND_MEMORY
                                      : LUABOX_SANDBOX_TYPES_ERROR_KIND_RUNTIME;
  size_t len;
  const char *msg;
  luabox_buf value = {0};
  if (lua_type(L, err) == LUA_TSTRING) {
    msg = lua_tolstring(L, err, &len);
  } else {
    if (!(luaL_callmeta(L, err, "__tostring") && lua_type(L, -1) == LUA_TSTRING))
      lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, err));
    msg = lua_tolstring(L, -1, &len);
    if (!luabox_encode_values(L, err, 1, "error", max_payload, &value)) lua_pop(L, 1);
  }
  set_failed(ret, kind, msg, len);
  const char *tb = lua_tolstring(L, err + 1, &len);
  set_string(&ret->val.failed.traceback, tb, len);
  if (value.data) {
    ret->val.failed.value.is_some = true;
    ret->val.failed.value.val = (luabox_sandbox_types_payload_t){value.data, value.len};
  }
}

/* Run the scheduler and turn what it reports into `ret`. Called under lua_pcall. */
static void run_and_report(lua_State *L, luabox_sandbox_types_step_t *ret) {
  int count = 0;
  int base = lua_gettop(L);
  switch (luabox_sched_run(L, &count)) {
    case LUABOX_RUN_DONE: {
      luabox_buf out;
      if (luabox_encode_values(L, base + 1, count, "result", max_payload, &out)) {
        ret->tag = LUABOX_SANDBOX_TYPES_STEP_DONE;
        ret->val.done = (luabox_sandbox_types_payload_t){out.data, out.len};
      } else {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        set_failed(ret, LUABOX_SANDBOX_TYPES_ERROR_KIND_VALUE, msg, len);
      }
      luabox_sched_reset(L);
      break;
    }
    case LUABOX_RUN_FAILED:
      report_failure(L, count, ret);
      luabox_sched_reset(L);
      break;
    case LUABOX_RUN_WAITING: {
      uint64_t *handles = malloc(sizeof(uint64_t) * (size_t)count);
      if (!handles) luaL_error(L, "not enough memory");
      for (int i = 0; i < count; i++) handles[i] = (uint64_t)lua_tointeger(L, base + 1 + i);
      ret->tag = LUABOX_SANDBOX_TYPES_STEP_WAITING;
      ret->val.waiting = (luabox_sandbox_types_list_handle_t){handles, (size_t)count};
      break;
    }
    case LUABOX_RUN_DEADLOCK: {
      static const char msg[] =
          "deadlock: every coroutine is blocked and none waits on a host operation";
      set_failed(ret, LUABOX_SANDBOX_TYPES_ERROR_KIND_DEADLOCK, msg, sizeof msg - 1);
      luabox_sched_reset(L);
      break;
    }
  }
  lua_settop(L, base);
}

static int protected_start(lua_State *L) {
  exports_luabox_sandbox_runner_invocation_t *inv = lua_touserdata(L, 1);
  luabox_sandbox_types_step_t *ret = lua_touserdata(L, 2);
  lua_settop(L, 0);
  max_payload = inv->max_payload;
  luabox_set_entry(L, (const char *)inv->entry.ptr, inv->entry.len, &inv->modules);
  luabox_sched_reset(L);
  luabox_reseed(L);
  luabox_push_run_entry(L);
  lua_pushlstring(L, (const char *)inv->chunk_name.ptr, inv->chunk_name.len);
  int status = luaL_loadbufferx(L, (const char *)inv->source.ptr, inv->source.len,
                                lua_tostring(L, -1), "t");
  lua_remove(L, -2);
  if (status != LUA_OK) {
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    set_failed(ret, status == LUA_ERRMEM ? LUABOX_SANDBOX_TYPES_ERROR_KIND_MEMORY
                                         : LUABOX_SANDBOX_TYPES_ERROR_KIND_SYNTAX,
               msg, len);
    return 0;
  }
  int nargs = luabox_decode_values(L, inv->args.ptr, inv->args.len);
  if (nargs < 0) return lua_error(L);
  luabox_sched_spawn(L, nargs + 1);
  run_and_report(L, ret);
  return 0;
}

static int protected_resume(lua_State *L) {
  exports_luabox_sandbox_runner_list_completion_t *list = lua_touserdata(L, 1);
  luabox_sandbox_types_step_t *ret = lua_touserdata(L, 2);
  lua_settop(L, 0);
  for (size_t i = 0; i < list->len; i++)
    luabox_sched_complete(L, list->ptr[i].handle, list->ptr[i].values.ptr,
                          list->ptr[i].values.len);
  run_and_report(L, ret);
  return 0;
}

/* Call `fn` protected; turn a failure of the glue itself into a failed step. */
static void guarded(lua_CFunction fn, void *arg, luabox_sandbox_types_step_t *ret) {
  memset(ret, 0, sizeof *ret);
  if (!state) {
    state = luabox_new_state();
    if (!state) {
      static const char msg[] = "cannot create the Lua state: not enough memory";
      set_failed(ret, LUABOX_SANDBOX_TYPES_ERROR_KIND_MEMORY, msg, sizeof msg - 1);
      return;
    }
  }
  lua_State *L = state;
  lua_settop(L, 0);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, arg);
  lua_pushlightuserdata(L, ret);
  int status = lua_pcall(L, 2, 0, 0);
  if (status != LUA_OK) {
    size_t len = 0;
    const char *msg = lua_tolstring(L, -1, &len);
    if (!msg) msg = "unknown error in the sandbox glue";
    luabox_sandbox_types_step_free(ret);
    set_failed(ret,
               status == LUA_ERRMEM ? LUABOX_SANDBOX_TYPES_ERROR_KIND_MEMORY
                                    : LUABOX_SANDBOX_TYPES_ERROR_KIND_RUNTIME,
               msg, msg ? strlen(msg) : 0);
  }
  lua_settop(L, 0);
}

void exports_entry_wizer_initialize(void) {
  if (!state) state = luabox_new_state();
  /* Leave a compact heap with no GC debt in the snapshot: a short call then touches (and
   * copy-on-write faults) as few pages as possible. */
  if (state) lua_gc(state, LUA_GCCOLLECT);
}

void exports_luabox_sandbox_runner_start(exports_luabox_sandbox_runner_invocation_t *inv,
                                         exports_luabox_sandbox_runner_step_t *ret) {
  guarded(protected_start, inv, ret);
  exports_luabox_sandbox_runner_invocation_free(inv);
}

void exports_luabox_sandbox_runner_resume(exports_luabox_sandbox_runner_list_completion_t *list,
                                          exports_luabox_sandbox_runner_step_t *ret) {
  guarded(protected_resume, list, ret);
  exports_luabox_sandbox_runner_list_completion_free(list);
}
