/*
 * luabox.h — what the guest's C files share: the sandbox's Lua state, the scheduler's wait
 * primitive, the MessagePack codec and the built-in module table.
 *
 * A module's Lua face is one file (`mod_NAME.c`) exposing `luabox_open_NAME`, listed once in
 * modules.def; its blocking calls start a host operation and hand the handle to `luabox_wait`.
 */
#ifndef LUABOX_H
#define LUABOX_H

#include <stddef.h>
#include <stdint.h>

#include "lua.h"
#include "lauxlib.h"
#include "entry.h"

/* ---- checks: on in the checked build (build-guest.sh --checked defines LUABOX_CHECKED) ---- */

#ifdef LUABOX_CHECKED
/* Report a failed check of the checked build to the host, which ends the sandbox with a trap
 * naming it. */
_Noreturn void luabox_check_failed(const char *what, const char *file, int line);
#define luabox_assert(c) ((c) ? (void)0 : luabox_check_failed(#c, __FILE__, __LINE__))
#else
#define luabox_assert(c) ((void)0)
#endif

/* ---- held.c: buffers owned across Lua calls that may raise ---- */

/* Hold `ptr` (`len` bytes; nothing when 0, which is no allocation) until luabox_free_held or
 * luabox_unhold; a Lua error that unwinds past the holder frees it. Raises if too many are held
 * (after freeing `ptr`). */
void luabox_hold(lua_State *L, void *ptr, size_t len);
/* Stop holding `ptr` and free it. */
void luabox_free_held(void *ptr, size_t len);
/* Stop holding `ptr`, whose ownership passes elsewhere (to the host, as an export's result). */
void luabox_unhold(void *ptr, size_t len);
/* A held buffer moved by realloc. */
void luabox_rehold(void *old, void *grown);
/* Lua's protected calls (LUAI_TRY, set by build-guest.sh): how many are held, and free those
 * held since `mark`. */
int luabox_held_mark(void);
void luabox_held_unwind(int mark);

/* ---- sandbox.c: the restricted environment ---- */

/* Build a fresh Lua state with the sandboxed standard library and prelude. NULL on failure. */
lua_State *luabox_new_state(void);
/* Reseed math.random from the host (done per instance, so snapshots do not share seeds). */
void luabox_reseed(lua_State *L);
/* Set the entry id named in messages. */
void luabox_set_entry(lua_State *L, const char *entry, size_t entry_len);
/* Push the prelude's entry runner: function(scopes, method, ...args) -> results. */
void luabox_push_run_entry(lua_State *L);
/* The current entry id, NUL-terminated. */
const char *luabox_entry_id(lua_State *L);

/* ---- scheduler.c: coroutines and waits (docs/architecture.md §3) ---- */

/* The most tasks (the entry's coroutine and those of coroutine.spawn) a sandbox runs at once. */
#define LUABOX_MAX_TASKS (1 << 20)
/* Registry key of the weak-keyed set of task coroutines, which user code may not resume. */
#define LUABOX_TASK_THREADS "luabox.task_threads"

/* Yield the running coroutine to the scheduler until host operation `handle` completes; the
 * completion's values become this C function's results. `what` names the call in the error raised
 * where Lua cannot yield (inside a C call such as a table.sort comparator). Use as
 * `return luabox_wait(L, h, "time.sleep");`. */
int luabox_wait(lua_State *L, uint64_t handle, const char *what);
/* The light-userdata key the scheduler recognises in yields (pushed by the prelude's relay). */
void luabox_push_wait_marker(lua_State *L);
/* Park the running task until another task wakes it (a channel operation that cannot complete
 * yet); the values it is woken with become this C function's results. Use as
 * `return luabox_park(L, "ch:send");`. */
int luabox_park(lua_State *L, const char *what);
/* The light-userdata marker a parking task yields (relayed through user coroutines). */
void luabox_push_park_marker(lua_State *L);
/* The raw task functions channel.lua builds on: park, wake, current, spawn. */
int luabox_open_tasks(lua_State *L);
/* Whether `handle` completed before anyone waited on it (its values are kept until awaited). */
int luabox_is_ready(lua_State *L, uint64_t handle);

/* ---- codec.c: Lua values <-> MessagePack (docs/architecture.md §4) ---- */

/* Registry key of the metatable of error objects (set from errors.lua when the state is built). */
#define LUABOX_ERROR_MT "luabox.error"
/* Registry key of errors.from_host(kind, message), which builds error objects for C code. */
#define LUABOX_FROM_HOST "luabox.errors.from_host"
/* The MessagePack extension type error objects cross as. */
#define LUABOX_EXT_ERROR 1

typedef struct {
  uint8_t *data;
  size_t len, cap, max;
} luabox_buf;

/* Encode `count` values starting at stack index `first` as one MessagePack array into `out`.
 * `what` names the root in error paths ("result"). On success `out` is a held buffer (held.c):
 * release it with luabox_buf_free once the host call that reads it returns, or pass it to the
 * host as a result with luabox_buf_give. On failure returns 0 and pushes an error message naming
 * the path of the offending value. */
int luabox_encode_values(lua_State *L, int first, int count, const char *what, size_t max,
                         luabox_buf *out);
void luabox_buf_free(luabox_buf *b);
/* The length of the valid UTF-8 sequence that starts `s` (`len` > 0 bytes), or 0 if none does. */
size_t luabox_utf8_sequence(const unsigned char *s, size_t len);
/* Whether all `len` bytes of `s` are valid UTF-8. */
int luabox_valid_utf8(const unsigned char *s, size_t len);
/* The most bytes of a text that is only shown (a log line, an error message) handed to the host,
 * which copies it: past this a note says how many bytes were cut. */
#define LUABOX_MAX_SHOWN (64u << 10)
/* `s` as text to show: every byte that is not part of valid UTF-8 written as \xNN (a WIT string
 * must be UTF-8, and Lua strings are bytes: a message may name binary data), cut after
 * LUABOX_MAX_SHOWN bytes; the size, and the text into `to` unless it is NULL. */
size_t luabox_escape_utf8(const unsigned char *s, size_t len, uint8_t *to);
luabox_sandbox_types_payload_t luabox_buf_give(luabox_buf *b);
/* Decode a MessagePack array and push its elements onto L. Returns the count pushed, or -1 after
 * pushing an error message. Every element must fit the stack: the caller has no other limit. */
int luabox_decode_values(lua_State *L, const uint8_t *data, size_t len);

/* ---- modules.c: the Lua faces of host modules ---- */

/* A module's C part: `open` pushes a table of raw functions over the module's WIT imports. If
 * glue/lua/NAME.lua exists, that Lua face is run with the raw table and `load_part` (which returns
 * the chunk of another glue/lua file, for a face split into parts) and its result is the module;
 * otherwise the raw table is. Module values are built once, in the snapshot. */
typedef struct {
  const char *name;
  lua_CFunction open;
  /* Whether its raw functions check the caller's grant (grants.c), and the space-separated
   * names of those that do not even then (modules.def). */
  enum { LUABOX_OPEN, LUABOX_GUARDED } grant;
  const char *unchecked;
} luabox_module;

/* The modules built into the guest, from modules.def, ending with a NULL name. */
extern const luabox_module luabox_modules[];

/* Build every module value into the table on top of the stack (name -> value). */
void luabox_build_modules(lua_State *L);
/* Registry key of the grant records prelude.lua keeps per invocation (grants.c): scope ->
 * {what = "entry 'app:x'", modules = {name = true}}. */
#define LUABOX_GRANTS "luabox.grants"
/* The scope of luabox's own Lua (the prelude, the faces): transparent to grant checks. */
#define LUABOX_OWN_SCOPE (-1)
/* Give the Lua function at `idx` (its prototype and every nested one) chunk scope `scope`. */
void luabox_give_scope(lua_State *L, int idx, int scope);
/* set_scope(f, scope) for the prelude: the same from Lua. */
int luabox_set_scope(lua_State *L);
/* Wrap the raw functions of module `m` (its table on top of the stack) so that each checks,
 * when called, that the calling code's scope is granted the module (grants.c): all of them but
 * its `unchecked` ones when it is LUABOX_GUARDED, none otherwise. */
void luabox_guard_module(lua_State *L, const luabox_module *m);
/* Load the Lua face `name` (glue/lua/NAME.lua) and push it as a function; 0 if there is none. */
int luabox_load_face(lua_State *L, const char *name);

/* WIT strings must be UTF-8: the host traps a sandbox that passes one that is not, so every Lua
 * string handed to the host as a WIT string goes through one of these three. */
/* Argument `arg` as bytes for the host (a string); raises an argument error, as
 * luaL_checklstring does for a value that is not a string, when it is larger than the payload
 * limit (every string handed to the host is copied there). */
entry_list_u8_t luabox_check_bytes(lua_State *L, int arg);
/* Argument `arg` as a WIT string (bounded the same way); raises an argument error, as luaL_checklstring does for a value
 * that is not a string, when it is not UTF-8 text. */
entry_string_t luabox_check_text(lua_State *L, int arg);
/* The same for a function that answers nil, err: 0 after pushing nil and an Invalid error that
 * names `what` ("json.decode: the text") when the argument is not a UTF-8 string. */
int luabox_text_arg(lua_State *L, int arg, const char *what, entry_string_t *out);
/* The value at `idx` as text that is only shown (a log line, a location): converted with
 * luaL_tolstring, bytes that are not UTF-8 written as \xNN, cut after LUABOX_MAX_SHOWN bytes;
 * the text replaces the value. */
entry_string_t luabox_shown_text(lua_State *L, int idx);
/* Push a Lua string copied from a WIT string the host returned, then free the WIT string. */
void luabox_push_owned_string(lua_State *L, entry_string_t *s);
/* The same for a list<u8> the host returned. */
void luabox_push_owned_bytes(lua_State *L, entry_list_u8_t *bytes);
/* Push the result of a failed module call: nil and an error object of the host error's kind
 * (frees the host error). Use as `return luabox_push_host_error(L, &err);`. */
int luabox_push_host_error(lua_State *L, luabox_sandbox_types_host_error_t *err);
/* Push nil and an error object of `kind` with `message`; returns 2. */
int luabox_push_error(lua_State *L, const char *kind, const char *message);
/* Encode the `count` values from stack index `first` for a host call; on failure pushes
 * nil + an Invalid error object and returns 0. */
int luabox_encode_arg(lua_State *L, int first, int count, const char *what, luabox_buf *out);
/* Decode a MessagePack array the host returned (freeing it) and push its values; on malformed
 * data pushes nil + an Internal error object. Returns the number of values pushed. */
int luabox_push_payload(lua_State *L, luabox_sandbox_types_payload_t *payload);
/* The largest payload the running invocation may produce. */
size_t luabox_max_payload(void);
/* Read a duration argument (string "1.5s" or integer nanoseconds) for a host call. */
void luabox_check_duration(lua_State *L, int arg, luabox_sandbox_types_duration_t *out);

/* ---- mod_workflow.c: the deterministic world of workflow.lua runs ---- */

/* True while the sandbox runs a workflow.lua entry (set by `start`). */
extern int luabox_in_workflow;
/* The wall clock, CPU clock and random seed: the host's, or in a workflow the recorded ones. */
uint64_t luabox_wall_clock(void);
uint64_t luabox_cpu_clock(void);
void luabox_random_seed(entry_tuple2_u64_u64_t *seed);
/* Push "file.lua:12", the innermost line of user code (not luabox's own faces) on L's stack. */
void luabox_push_where(lua_State *L);
/* Push nil and an Invalid error saying `what` is not available in a workflow; returns 2. */
int luabox_not_in_workflow(lua_State *L, const char *what);
/* The workflow forms of module calls (each records a command; see wit/workflow.wit). */
int luabox_workflow_sleep(lua_State *L, luabox_sandbox_types_duration_t *d);
int luabox_workflow_uuid(lua_State *L, uint8_t version);
uint64_t luabox_workflow_activity(lua_State *L, entry_string_t *target,
                                  luabox_sandbox_types_payload_t *args,
                                  luabox_sandbox_types_payload_t *options);
void luabox_workflow_cancel(lua_State *L, uint64_t handle);
int luabox_workflow_send(lua_State *L, entry_string_t *dest, entry_string_t *topic,
                         luabox_sandbox_types_payload_t *values);

#endif
