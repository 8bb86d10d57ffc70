/*
 * checks.c — how a failed check reaches the host. The checked build (build-guest.sh --checked)
 * turns on Lua's API checks and internal assertions (LUA_USE_APICHECK, LUAI_ASSERT: libc's
 * `assert`, which ends in __assert_fail) and the glue's luabox_assert; each failure is reported
 * through `sys.abort`, and the host ends the sandbox with a trap that names the check. (Its
 * undefined-behaviour checks trap on their own, in place.) The production build compiles the
 * checks out, so nothing here runs there.
 */
#include <stdio.h>

#include "luabox.h"

static _Noreturn void report(const char *what, const char *file, int line) {
  static char message[512];
  int n = snprintf(message, sizeof message, "%s:%d: check failed: %s", file, line, what);
  entry_string_t text = {(uint8_t *)message,
                         n < 0 ? 0 : (size_t)n < sizeof message ? (size_t)n : sizeof message - 1};
  luabox_sandbox_sys_abort(&text);
  __builtin_trap(); /* the host traps in sys.abort; this is not reached */
}

_Noreturn void luabox_check_failed(const char *what, const char *file, int line) {
  report(what, file, line);
}

_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func) {
  (void)func;
  report(expr, file, line);
}
