/*
 * wasi_stubs.c — the guest needs no WASI. libc references a handful of wasi_snapshot_preview1
 * functions; defining them here keeps them out of the component's imports, so it imports only
 * luabox's own interfaces (no adapter, no ambient clock or entropy). The clocks libc offers
 * (`time`, `clock_gettime`) and its entropy (`arc4random`, used by table.sort's pivot) read the
 * host's `sys` interface; everything else reports
 * that the sandbox has no files, environment or arguments.
 */
#include <errno.h>
#include <stdint.h>

#include "entry.h"

/* mod_workflow.c: the host's clocks and seed, or a workflow's recorded ones. */
uint64_t luabox_wall_clock(void);
uint64_t luabox_cpu_clock(void);
void luabox_random_seed(entry_tuple2_u64_u64_t *seed);

#define WASI(name) __attribute__((used)) __imported_wasi_snapshot_preview1_##name
#define ERRNO_BADF 8
#define ERRNO_INVAL 28
#define ERRNO_NOSYS 52

int32_t WASI(clock_time_get)(int32_t id, int64_t precision, int32_t out) {
  uint64_t ns = id == 0 ? luabox_wall_clock() : luabox_cpu_clock();
  *(uint64_t *)(uintptr_t)out = ns;
  return 0;
}

int32_t WASI(clock_res_get)(int32_t id, int32_t out) {
  *(uint64_t *)(uintptr_t)out = 1000;
  return 0;
}

int32_t WASI(random_get)(int32_t buf, int32_t len) {
  uint8_t *p = (uint8_t *)(uintptr_t)buf;
  for (int32_t i = 0; i < len; i += 16) {
    entry_tuple2_u64_u64_t seed;
    luabox_random_seed(&seed);
    for (int k = 0; k < 16 && i + k < len; k++)
      p[i + k] = (uint8_t)((k < 8 ? seed.f0 : seed.f1) >> (8 * (k % 8)));
  }
  return 0;
}

int32_t WASI(environ_sizes_get)(int32_t count, int32_t size) {
  *(uint32_t *)(uintptr_t)count = 0;
  *(uint32_t *)(uintptr_t)size = 0;
  return 0;
}
int32_t WASI(environ_get)(int32_t environ, int32_t buf) { return 0; }
int32_t WASI(args_sizes_get)(int32_t count, int32_t size) {
  *(uint32_t *)(uintptr_t)count = 0;
  *(uint32_t *)(uintptr_t)size = 0;
  return 0;
}
int32_t WASI(args_get)(int32_t argv, int32_t buf) { return 0; }

int32_t WASI(fd_write)(int32_t fd, int32_t iovs, int32_t n, int32_t written) { return ERRNO_BADF; }
int32_t WASI(fd_read)(int32_t fd, int32_t iovs, int32_t n, int32_t nread) { return ERRNO_BADF; }
int32_t WASI(fd_close)(int32_t fd) { return ERRNO_BADF; }
int32_t WASI(fd_seek)(int32_t fd, int64_t offset, int32_t whence, int32_t out) { return ERRNO_BADF; }
int32_t WASI(fd_fdstat_get)(int32_t fd, int32_t out) { return ERRNO_BADF; }
int32_t WASI(fd_fdstat_set_flags)(int32_t fd, int32_t flags) { return ERRNO_BADF; }
int32_t WASI(fd_prestat_get)(int32_t fd, int32_t out) { return ERRNO_BADF; }
int32_t WASI(fd_prestat_dir_name)(int32_t fd, int32_t path, int32_t len) { return ERRNO_BADF; }
int32_t WASI(path_open)(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                        int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                        int32_t out) {
  return ERRNO_NOSYS;
}
int32_t WASI(path_unlink_file)(int32_t fd, int32_t path, int32_t len) { return ERRNO_NOSYS; }
int32_t WASI(path_remove_directory)(int32_t fd, int32_t path, int32_t len) { return ERRNO_NOSYS; }
int32_t WASI(path_rename)(int32_t fd, int32_t old, int32_t old_len, int32_t new_fd, int32_t new,
                          int32_t new_len) {
  return ERRNO_NOSYS;
}
int32_t WASI(path_filestat_get)(int32_t fd, int32_t flags, int32_t path, int32_t len,
                                int32_t out) {
  return ERRNO_NOSYS;
}
int32_t WASI(poll_oneoff)(int32_t in, int32_t out, int32_t n, int32_t nevents) { return ERRNO_NOSYS; }
int32_t WASI(sched_yield)(void) { return 0; }

_Noreturn void WASI(proc_exit)(int32_t code) { __builtin_trap(); }

/* zig's libc implements these in Zig, importing fd_close/fd_renumber directly; defining them here
 * keeps those imports out (Lua reaches them only through stdio code the sandbox removes). */
int close(int fd) {
  errno = EBADF;
  return -1;
}
int __wasilibc_fd_renumber(int fd, int newfd) {
  errno = EBADF;
  return -1;
}
