/*
 * runner.c — the `runner` export (wit/runner.wit): `start` loads an entry's chunk into the
 * sandbox's Lua state and runs it as task 0; `resume` delivers host completions. Both run the
 * scheduler until no task can progress and report the step: done, failed or waiting. `compile`
 * turns source into bytecode for the host to keep, so a library used by many entries is parsed
 * once per host rather than once per call.
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

/* A text the host frees after the call (post-return frees only non-empty ones, so an empty
 * text is no allocation). */
static void set_string(entry_string_t *out, const char *s, size_t len) {
  size_t size = luabox_escape_utf8((const unsigned char *)s, len, NULL);
  out->ptr = size ? malloc(size) : NULL;
  out->len = out->ptr ? size : 0;
  if (out->ptr) luabox_escape_utf8((const unsigned char *)s, len, out->ptr);
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
    ret->val.failed.value.val = luabox_buf_give(&value);
  }
}

/* Run the scheduler and turn what it reports into `ret`. Called under lua_pcall. */
static void run_and_report(lua_State *L, luabox_sandbox_types_step_t *ret) {
  int count = 0;
  int base = lua_gettop(L);
  luabox_run outcome = luabox_sched_run(L, &count);
  /* A workflow replaying its history takes the recorded events one by one without returning
   * to the host; each is delivered once every task has settled, as it was when recorded. */
  luabox_sandbox_types_completion_t next;
  while (luabox_in_workflow &&
         (outcome == LUABOX_RUN_WAITING || outcome == LUABOX_RUN_DEADLOCK) &&
         luabox_sandbox_workflow_next(&next)) {
    lua_settop(L, base);
    luabox_sched_complete(L, next.handle, next.values.ptr, next.values.len);
    luabox_sandbox_types_payload_free(&next.values);
    outcome = luabox_sched_run(L, &count);
  }
  switch (outcome) {
    case LUABOX_RUN_DONE:
    case LUABOX_RUN_RETURNED: {
      luabox_buf out;
      int returned = outcome == LUABOX_RUN_RETURNED;
      if (luabox_encode_values(L, base + 1, count, "result", max_payload, &out)) {
        ret->tag = returned ? LUABOX_SANDBOX_TYPES_STEP_RETURNED : LUABOX_SANDBOX_TYPES_STEP_DONE;
        if (returned) ret->val.returned = luabox_buf_give(&out);
        else ret->val.done = luabox_buf_give(&out);
      } else {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        set_failed(ret, LUABOX_SANDBOX_TYPES_ERROR_KIND_VALUE, msg, len);
        returned = 0;
      }
      if (!returned) luabox_sched_reset(L);
      break;
    }
    case LUABOX_RUN_FAILED:
      report_failure(L, count, ret);
      luabox_sched_reset(L);
      break;
    case LUABOX_RUN_WAITING:
      ret->tag = LUABOX_SANDBOX_TYPES_STEP_WAITING;
      ret->val.waiting = (uint32_t)count;
      break;
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

size_t luabox_max_payload(void) { return max_payload; }

static void push_wit_string(lua_State *L, const entry_string_t *s) {
  lua_pushlstring(L, (const char *)s->ptr, s->len);
}

/* The load mode of a chunk's code: bytecode only when the host says `compile` produced it. */
static const char *load_mode(const exports_luabox_sandbox_runner_chunk_t *c) {
  return c->compiled ? "b" : "t";
}

/* The scopes table prelude.lua's require works from: one record per chunk, {id, chunk_name,
 * code and mode (libraries only), modules = {name = true}, imports = {alias = index}, library};
 * empty modules and imports are left out. */
static void push_scopes(lua_State *L, const exports_luabox_sandbox_runner_list_chunk_t *chunks) {
  lua_createtable(L, (int)chunks->len, 0);
  for (size_t i = 0; i < chunks->len; i++) {
    const exports_luabox_sandbox_runner_chunk_t *c = &chunks->ptr[i];
    lua_createtable(L, 0, 6);
    push_wit_string(L, &c->id);
    lua_setfield(L, -2, "id");
    push_wit_string(L, &c->chunk_name);
    lua_setfield(L, -2, "chunk_name");
    if (c->library) {
      lua_pushlstring(L, (const char *)c->code.ptr, c->code.len);
      lua_setfield(L, -2, "code");
      lua_pushstring(L, load_mode(c));
      lua_setfield(L, -2, "mode");
    }
    lua_pushboolean(L, c->library);
    lua_setfield(L, -2, "library");
    if (c->modules.len) {
      lua_createtable(L, 0, (int)c->modules.len);
      for (size_t m = 0; m < c->modules.len; m++) {
        push_wit_string(L, &c->modules.ptr[m]);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
      }
      lua_setfield(L, -2, "modules");
    }
    if (c->imports.len) {
      lua_createtable(L, 0, (int)c->imports.len);
      for (size_t m = 0; m < c->imports.len; m++) {
        push_wit_string(L, &c->imports.ptr[m].f0);
        lua_pushinteger(L, (lua_Integer)c->imports.ptr[m].f1 + 1);
        lua_rawset(L, -3);
      }
      lua_setfield(L, -2, "imports");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int protected_start(lua_State *L) {
  exports_luabox_sandbox_runner_invocation_t *inv = lua_touserdata(L, 1);
  luabox_sandbox_types_step_t *ret = lua_touserdata(L, 2);
  lua_settop(L, 0);
  max_payload = inv->max_payload;
  luabox_set_entry(L, (const char *)inv->entry.ptr, inv->entry.len);
  luabox_in_workflow = inv->workflow;
  luabox_sched_reset(L);
  luabox_reseed(L);
  if (inv->chunks.len == 0) return luaL_error(L, "the invocation has no chunk to run");
  const exports_luabox_sandbox_runner_chunk_t *entry = &inv->chunks.ptr[0];
  luabox_push_run_entry(L);
  push_scopes(L, &inv->chunks);
  push_wit_string(L, &entry->chunk_name);
  int status = luaL_loadbufferx(L, (const char *)entry->code.ptr, entry->code.len,
                                lua_tostring(L, -1), load_mode(entry));
  lua_remove(L, -2);
  if (status != LUA_OK) {
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    set_failed(ret, status == LUA_ERRMEM ? LUABOX_SANDBOX_TYPES_ERROR_KIND_MEMORY
                                         : LUABOX_SANDBOX_TYPES_ERROR_KIND_SYNTAX,
               msg, len);
    return 0;
  }
  if (inv->method.is_some) push_wit_string(L, &inv->method.val);
  else lua_pushnil(L);
  int nargs = luabox_decode_values(L, inv->args.ptr, inv->args.len);
  if (nargs < 0) return lua_error(L);
  luabox_sched_spawn(L, nargs + 3);
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
  /* Every buffer held during the call was released, or freed by the catch of its error. */
  luabox_assert(luabox_held_mark() == 0);
}

/* lua_dump writer: append to a luabox_buf (no size cap: the source it came from was accepted). */
static int append_dump(lua_State *L, const void *p, size_t n, void *ud) {
  luabox_buf *b = ud;
  if (n > SIZE_MAX / 2 - b->len) return 1; /* cannot grow that far: "not enough memory" */
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n) cap *= 2;
    uint8_t *data = realloc(b->data, cap);
    if (!data) return 1;
    b->data = data;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

typedef struct {
  entry_string_t *chunk_name;
  entry_list_u8_t *source;
  luabox_buf out;
} compile_job;

/* Compile under lua_pcall; on failure the message is left on the stack and returns non-zero. */
static int protected_compile(lua_State *L) {
  compile_job *job = lua_touserdata(L, 1);
  lua_settop(L, 0);
  push_wit_string(L, job->chunk_name);
  if (luaL_loadbufferx(L, (const char *)job->source->ptr, job->source->len, lua_tostring(L, 1),
                       "t") != LUA_OK)
    return lua_error(L);
  if (lua_dump(L, append_dump, &job->out, 0) != 0) return luaL_error(L, "not enough memory");
  return 0;
}

bool exports_luabox_sandbox_runner_compile(entry_string_t *chunk_name, entry_list_u8_t *source,
                                           entry_list_u8_t *ret, entry_string_t *err) {
  if (!state) state = luabox_new_state();
  compile_job job = {.chunk_name = chunk_name, .source = source};
  bool ok = false;
  if (!state) {
    static const char msg[] = "cannot create the Lua state: not enough memory";
    set_string(err, msg, sizeof msg - 1);
  } else {
    lua_State *L = state;
    lua_settop(L, 0);
    lua_pushcfunction(L, protected_compile);
    lua_pushlightuserdata(L, &job);
    if (lua_pcall(L, 1, 0, 0) == LUA_OK) {
      ok = true;
      *ret = (entry_list_u8_t){job.out.data, job.out.len};
      job.out.data = NULL;
    } else {
      size_t len = 0;
      const char *msg = lua_tolstring(L, -1, &len);
      if (!msg) {
        msg = "cannot compile the chunk";
        len = strlen(msg);
      }
      set_string(err, msg, len);
    }
    lua_settop(L, 0);
  }
  free(job.out.data);
  entry_string_free(chunk_name);
  entry_list_u8_free(source);
  return ok;
}

void exports_entry_wizer_initialize(void) {
  if (!state) state = luabox_new_state();
  /* Leave a compact heap with no GC debt in the snapshot: a short call then touches (and
   * copy-on-write faults) as few pages as possible. */
  if (state) lua_gc(state, LUA_GCCOLLECT);
}

/* wit-bindgen 0.63's invocation_free leaves out two fields, `method` and each chunk's `code`
 * (build-guest.sh checks that the generated code still does, so a fixed generator cannot make
 * this a double free). */
static void free_invocation(exports_luabox_sandbox_runner_invocation_t *inv) {
  if (inv->method.is_some) entry_string_free(&inv->method.val);
  for (size_t i = 0; i < inv->chunks.len; i++) entry_list_u8_free(&inv->chunks.ptr[i].code);
  exports_luabox_sandbox_runner_invocation_free(inv);
}

void exports_luabox_sandbox_runner_start(exports_luabox_sandbox_runner_invocation_t *inv,
                                         exports_luabox_sandbox_runner_step_t *ret) {
  guarded(protected_start, inv, ret);
  free_invocation(inv);
}

void exports_luabox_sandbox_runner_resume(exports_luabox_sandbox_runner_list_completion_t *list,
                                          exports_luabox_sandbox_runner_step_t *ret) {
  guarded(protected_resume, list, ret);
  exports_luabox_sandbox_runner_list_completion_free(list);
}
