/*
 * held.c — buffers the glue owns while it runs Lua API calls that may raise.
 *
 * Lua reports errors (a memory error, a failed argument check) by longjmp, which skips the
 * `free` a C function meant to run after the call. So a buffer the glue must free — one the host
 * returned (wit-bindgen's rule: results belong to the guest, and a zero-length one is no
 * allocation), or one the codec encoded for a host call — is *held* while it is in use:
 *
 *   luabox_hold(L, text.ptr, text.len);
 *   lua_pushlstring(L, (const char *)text.ptr, text.len);   // may raise: the buffer is held
 *   luabox_free_held(text.ptr, text.len);
 *
 * Every protected call (lua_pcall, lua_resume: Lua's LUAI_TRY, which build-guest.sh points at
 * `luabox_held_mark`/`luabox_held_unwind`) notes how many buffers were held when it began and
 * frees those held since when it catches an error; a buffer held by a C frame outside the
 * protected call stays held. Holds nest with C frames, so the held buffers form a stack.
 */
#include <stdlib.h>

#include "luabox.h"

/* C frames nest at most about LUAI_MAXCCALLS (200) deep, each holding a few buffers. */
#define LUABOX_MAX_HELD 1024

static void *held[LUABOX_MAX_HELD];
static int nheld;

void luabox_hold(lua_State *L, void *ptr, size_t len) {
  if (len == 0) return;
  if (nheld == LUABOX_MAX_HELD) {
    free(ptr);
    luaL_error(L, "the sandbox glue holds too many buffers (%d): host calls nested too deep",
               LUABOX_MAX_HELD);
  }
  held[nheld++] = ptr;
}

/* Forget `ptr` (the newest hold first: holds are normally released in reverse order). */
static int forget(void *ptr) {
  for (int i = nheld - 1; i >= 0; i--)
    if (held[i] == ptr) {
      for (int k = i; k < nheld - 1; k++) held[k] = held[k + 1];
      nheld--;
      return 1;
    }
  return 0;
}

void luabox_unhold(void *ptr, size_t len) {
  if (len == 0) return;
  int found = forget(ptr);
  luabox_assert(found);
  (void)found;
}

void luabox_free_held(void *ptr, size_t len) {
  if (len == 0) return;
  luabox_unhold(ptr, len);
  free(ptr);
}

void luabox_rehold(void *old, void *grown) {
  for (int i = nheld - 1; i >= 0; i--)
    if (held[i] == old) {
      held[i] = grown;
      return;
    }
  luabox_assert(!"luabox_rehold of a buffer that is not held");
}

int luabox_held_mark(void) { return nheld; }

void luabox_held_unwind(int mark) {
  while (nheld > mark) free(held[--nheld]);
}
