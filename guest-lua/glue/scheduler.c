/*
 * scheduler.c — runs a sandbox's Lua coroutines until none can make progress (docs/architecture.md §3).
 *
 * Each task is a Lua coroutine; task 0 runs the entry. A task that calls a blocking module
 * function yields (WAIT marker, handle) through `luabox_wait` and sleeps in `waits` until the
 * host delivers that handle's completion through `resume`. A plain `coroutine.yield()` at task
 * level just lets the other runnable tasks go first. When the run queue is empty the export call
 * returns to the host with the handles the tasks wait on: no native stack is held between events.
 * A completion that arrives before anyone waits on its handle (a `funcs.async` future not yet
 * awaited) is kept in `ready` until a wait claims it.
 *
 * Tasks also block on each other, inside the guest: `coroutine.spawn` adds a task, and a channel
 * operation that cannot complete *parks* its task (yields the PARK marker) until another task
 * *wakes* it with the operation's result. A parked task waits on nothing the host knows about;
 * if every task is parked and none waits on the host, the run is a deadlock.
 *
 * Only the scheduler resumes a task's coroutine, with exactly the values it pushed onto it: the
 * coroutines are listed in the registry table LUABOX_TASK_THREADS, and the prelude's
 * coroutine.resume, wrap and close refuse them (user code can reach one through
 * coroutine.running). A sandbox runs at most LUABOX_MAX_TASKS tasks at once.
 *
 * When the entry's task returns while spawned tasks live, the run reports RETURNED with its
 * results; the host may run the sandbox on (a function's background coroutines, as in Wippy)
 * until the last task ends, or drop it. A workflow's run ends with its entry, as it always did:
 * its history records no background.
 */
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

static char wait_marker, park_marker;

void luabox_push_wait_marker(lua_State *L) { lua_pushlightuserdata(L, &wait_marker); }

void luabox_push_park_marker(lua_State *L) { lua_pushlightuserdata(L, &park_marker); }

static int ready_table(lua_State *L);

int luabox_is_ready(lua_State *L, uint64_t handle) {
  ready_table(L);
  int ready = lua_rawgeti(L, -1, (lua_Integer)handle) != LUA_TNIL;
  lua_pop(L, 2);
  return ready;
}

/* Push the values of a completion that arrived before this wait; -1 if there is none. */
static int take_ready(lua_State *L, uint64_t handle) {
  ready_table(L);
  if (lua_rawgeti(L, -1, (lua_Integer)handle) == LUA_TNIL) {
    lua_pop(L, 2);
    return -1;
  }
  lua_pushnil(L);
  lua_rawseti(L, -3, (lua_Integer)handle);
  size_t len;
  const char *values = lua_tolstring(L, -1, &len);
  int top = lua_gettop(L);
  int n = luabox_decode_values(L, (const uint8_t *)values, len);
  if (n < 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    n = 2;
  }
  lua_rotate(L, top - 1, n); /* drop the ready table and the string below the values */
  lua_pop(L, 2);
  return n;
}

/* Raise the error for a blocking call (`what` `verb`s: "time.sleep" "wait") made where Lua cannot
 * yield; returns 0 when it can. */
static int cannot_yield(lua_State *L, const char *what, const char *verb) {
  if (lua_isyieldable(L)) return 0;
  return luaL_error(L,
                    "%s cannot %s here: it was called inside a C call (such as a table.sort "
                    "comparator or a string.gsub callback), which cannot yield",
                    what, verb);
}

int luabox_park(lua_State *L, const char *what) {
  cannot_yield(L, what, "block");
  lua_pushlightuserdata(L, &park_marker);
  return lua_yield(L, 1);
}

static int waits_table(lua_State *L);

int luabox_wait(lua_State *L, uint64_t handle, const char *what) {
  int n = take_ready(L, handle);
  if (n >= 0) return n;
  cannot_yield(L, what, "wait");
  /* One task waits on a handle (the faces give every other waiter a channel). */
  waits_table(L);
  int waited = lua_rawgeti(L, -1, (lua_Integer)handle) != LUA_TNIL;
  lua_pop(L, 2);
  if (waited) return luaL_error(L, "%s: another coroutine already waits for this operation", what);
  lua_pushlightuserdata(L, &wait_marker);
  lua_pushinteger(L, (lua_Integer)handle);
  return lua_yield(L, 2);
}

typedef struct {
  lua_State *co; /* NULL when the slot is free */
  int ref;       /* keeps `co` alive in the registry */
  int nargs;     /* values waiting on co's stack for its next resume */
  int parked;    /* blocked on another task (a channel), until luabox_sched_wake */
  int next_free; /* with co == NULL: the next free slot, or -1 */
} task;

static struct {
  task *tasks;
  int ntasks, cap;
  int live; /* tasks in use: ntasks minus the free slots */
  int free; /* first free slot below ntasks, or -1 */
  int current; /* the task being resumed */
  int *runq; /* a ring: runcap is a power of two */
  int runhead, nrun, runcap;
  int waits; /* registry ref: handle -> task id */
  int nwaits; /* entries in `waits` */
  int ready; /* registry ref: handle -> MessagePack values nobody has waited for yet */
  int returned; /* the entry's task (0) has returned; its slot may hold another task now */
} S;

static int ready_table(lua_State *L) { return lua_rawgeti(L, LUA_REGISTRYINDEX, S.ready); }

static int waits_table(lua_State *L) { return lua_rawgeti(L, LUA_REGISTRYINDEX, S.waits); }

/* Grow `*items` to hold `want` items; `want` is at most LUABOX_MAX_TASKS, so nothing overflows. */
static int ensure_capacity(void **items, int *cap, int want, size_t size) {
  luabox_assert(want <= LUABOX_MAX_TASKS);
  if (want <= *cap) return 1;
  int n = *cap ? *cap * 2 : 8;
  while (n < want) n *= 2;
  void *grown = realloc(*items, (size_t)n * size);
  if (!grown) return 0;
  *items = grown;
  *cap = n;
  return 1;
}

/* Make the run queue (a ring) hold `want` tasks. A task is queued at most once, so a queue as
 * large as the number of live tasks never overflows: sched_spawn grows it before a task exists. */
static int reserve_runq(int want) {
  if (want <= S.runcap) return 1;
  int cap = S.runcap ? S.runcap * 2 : 8;
  while (cap < want) cap *= 2;
  int *grown = malloc((size_t)cap * sizeof(int));
  if (!grown) return 0;
  for (int i = 0; i < S.nrun; i++) grown[i] = S.runq[(S.runhead + i) & (S.runcap - 1)];
  free(S.runq);
  S.runq = grown;
  S.runcap = cap;
  S.runhead = 0;
  return 1;
}

static void make_runnable(int id) {
  luabox_assert(S.nrun < S.runcap);
  S.runq[(S.runhead + S.nrun++) & (S.runcap - 1)] = id;
}

static int next_runnable(void) {
  int id = S.runq[S.runhead];
  S.runhead = (S.runhead + 1) & (S.runcap - 1);
  S.nrun--;
  return id;
}

/* Make registry ref `*ref` an empty table, reusing it when it is already empty: the common case
 * after a run, and the state the snapshot holds, so a short call allocates nothing here. */
static void fresh_table(lua_State *L, int *ref) {
  if (*ref) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, *ref);
    lua_pushnil(L);
    int empty = !lua_next(L, -2);
    lua_settop(L, lua_gettop(L) - (empty ? 1 : 3));
    if (empty) return;
    luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  }
  lua_newtable(L);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void luabox_sched_reset(lua_State *L) {
  for (int i = 0; i < S.ntasks; i++)
    if (S.tasks[i].co) luaL_unref(L, LUA_REGISTRYINDEX, S.tasks[i].ref);
  S.ntasks = 0;
  S.live = 0;
  S.free = -1;
  S.nrun = 0;
  S.runhead = 0;
  S.nwaits = 0;
  S.returned = 0;
  fresh_table(L, &S.waits);
  fresh_table(L, &S.ready);
}

int luabox_sched_spawn(lua_State *L, int nargs) {
  if (S.live >= LUABOX_MAX_TASKS)
    return luaL_error(L, "coroutine.spawn: too many coroutines (a sandbox runs at most %d at once)",
                      LUABOX_MAX_TASKS);
  /* Everything that may raise comes before the task takes a slot. */
  lua_State *co = lua_newthread(L);
  if (!lua_checkstack(co, nargs + 1))
    return luaL_error(L, "coroutine.spawn: too many arguments (%d)", nargs);
  lua_getfield(L, LUA_REGISTRYINDEX, LUABOX_TASK_THREADS);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  if ((S.free < 0 && !ensure_capacity((void **)&S.tasks, &S.cap, S.ntasks + 1, sizeof(task))) ||
      !reserve_runq(S.live + 1))
    return luaL_error(L, "not enough memory");
  int ref = luaL_ref(L, LUA_REGISTRYINDEX); /* pops the thread */
  lua_xmove(L, co, nargs + 1);              /* the function and its arguments */
  int id = S.free;
  if (id >= 0) S.free = S.tasks[id].next_free;
  else id = S.ntasks++;
  S.tasks[id] = (task){.co = co, .ref = ref, .nargs = nargs};
  S.live++;
  make_runnable(id);
  return id;
}

static void release(lua_State *L, int id) {
  luaL_unref(L, LUA_REGISTRYINDEX, S.tasks[id].ref);
  S.tasks[id] = (task){.co = NULL, .next_free = S.free};
  S.free = id;
  S.live--;
}

int luabox_sched_current(void) { return S.current; }

void luabox_sched_push_thread(lua_State *L, int id) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, S.tasks[id].ref);
}

int luabox_sched_wake(lua_State *L, int id, int nvalues) {
  if (id < 0 || id >= S.ntasks || !S.tasks[id].co || !S.tasks[id].parked) {
    lua_pop(L, nvalues);
    return 0;
  }
  task *t = &S.tasks[id];
  if (!lua_checkstack(t->co, nvalues)) return luaL_error(L, "too many values to wake a task with");
  lua_xmove(L, t->co, nvalues);
  t->parked = 0;
  t->nargs = nvalues;
  make_runnable(id);
  return 1;
}

int luabox_sched_complete(lua_State *L, uint64_t handle, const uint8_t *values, size_t len) {
  waits_table(L);
  lua_rawgeti(L, -1, (lua_Integer)handle);
  int isnum;
  int id = (int)lua_tointegerx(L, -1, &isnum);
  lua_pop(L, 1);
  if (!isnum || id < 0 || id >= S.ntasks || !S.tasks[id].co) {
    lua_pop(L, 1);
    ready_table(L);
    lua_pushlstring(L, (const char *)values, len);
    lua_rawseti(L, -2, (lua_Integer)handle);
    lua_pop(L, 1);
    return 0;
  }
  lua_pushnil(L);
  lua_rawseti(L, -2, (lua_Integer)handle);
  lua_pop(L, 1);
  S.nwaits--;
  lua_State *co = S.tasks[id].co;
  int n = luabox_decode_values(co, values, len);
  if (n < 0) {
    /* The host sent something the guest cannot read: surface it where the task waits. */
    lua_pushnil(co);
    lua_insert(co, -2);
    n = 2;
  }
  S.tasks[id].nargs = n;
  make_runnable(id);
  return 1;
}

luabox_run luabox_sched_run(lua_State *L, int *count) {
  while (S.nrun > 0) {
    int id = next_runnable();
    task *t = &S.tasks[id];
    int nres = 0;
    S.current = id;
    int status = lua_resume(t->co, L, t->nargs, &nres);
    t = &S.tasks[id];
    t->nargs = 0;
    if (status == LUA_YIELD) {
      if (nres == 2 && lua_touserdata(t->co, -2) == &wait_marker) {
        lua_Integer handle = lua_tointeger(t->co, -1);
        lua_pop(t->co, 2);
        waits_table(L);
        lua_pushinteger(L, id);
        lua_rawseti(L, -2, handle);
        lua_pop(L, 1);
        S.nwaits++;
      } else if (nres == 1 && lua_touserdata(t->co, -1) == &park_marker) {
        lua_pop(t->co, 1);
        t->parked = 1;
      } else {
        lua_pop(t->co, nres);
        make_runnable(id);
      }
      continue;
    }
    if (status == LUA_OK && (id != 0 || S.returned)) {
      release(L, id);
      continue;
    }
    /* The entry's task finished or a task failed: either ends the run, unless the entry
     * returns while other tasks live. */
    lua_State *co = t->co;
    if (status == LUA_OK) {
      if (!lua_checkstack(L, nres + 1)) luaL_error(L, "too many results (%d)", nres);
      lua_xmove(co, L, nres);
      *count = nres;
      if (S.live > 1 && !luabox_in_workflow) {
        S.returned = 1;
        release(L, id);
        return LUABOX_RUN_RETURNED;
      }
      return LUABOX_RUN_DONE;
    }
    luaL_checkstack(L, 4, "reporting a failed task");
    lua_xmove(co, L, 1);
    luaL_traceback(L, co, NULL, 0);
    *count = status;
    return LUABOX_RUN_FAILED;
  }
  *count = S.nwaits;
  if (S.returned && S.live == 0) {
    *count = 0;
    return LUABOX_RUN_DONE;
  }
  return S.nwaits ? LUABOX_RUN_WAITING : LUABOX_RUN_DEADLOCK;
}
