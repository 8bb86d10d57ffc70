/*
 * scheduler.h — the interface between the exports (runner.c) and the task scheduler.
 */
#ifndef LUABOX_SCHEDULER_H
#define LUABOX_SCHEDULER_H

#include "luabox.h"

typedef enum {
  LUABOX_RUN_DONE,     /* task 0 returned: its `count` results are on top of L (none when it
                          returned earlier, with LUABOX_RUN_RETURNED, and the rest ended) */
  LUABOX_RUN_RETURNED, /* task 0 returned (`count` results on top of L) while other tasks live:
                          running again runs them (never in a workflow) */
  LUABOX_RUN_FAILED,   /* a task raised: error value then traceback on L; `count` = Lua status */
  LUABOX_RUN_WAITING,  /* tasks wait on `count` host operations */
  LUABOX_RUN_DEADLOCK, /* tasks remain but none waits on the host */
} luabox_run;

/* Forget every task and wait. */
void luabox_sched_reset(lua_State *L);
/* Pop a function and `nargs` arguments from L into a new runnable task; returns its id. */
int luabox_sched_spawn(lua_State *L, int nargs);
/* Hand a completion's values to the task waiting on `handle`; 0 if nobody waits on it. */
int luabox_sched_complete(lua_State *L, uint64_t handle, const uint8_t *values, size_t len);
/* Push the coroutine of task `id`. */
void luabox_sched_push_thread(lua_State *L, int id);
/* The id of the task being run. */
int luabox_sched_current(void);
/* Wake parked task `id` with the `nvalues` values on top of L (popped either way); 0 if it was
 * not parked (it finished, or was woken already). */
int luabox_sched_wake(lua_State *L, int id, int nvalues);
/* Run until no task can progress. */
luabox_run luabox_sched_run(lua_State *L, int *count);

#endif
