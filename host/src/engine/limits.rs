//! The per-run limits of a sandbox (their human forms, "200ms" and "32MiB", are parsed by
//! [`crate::units`]).
//!
//! Every breach ends only the sandbox that hit it, with an error naming the limit:
//! - `memory`: linear memory. Growth past it fails inside the guest (`memory.grow` returns -1,
//!   it does not trap), so Lua raises "not enough memory" and the run reports the limit.
//! - `deadline`: wall-clock time for the whole run, waits included, enforced by epoch
//!   interruption while Lua runs and by a timer while it waits.
//! - `max_payload`: the largest result or value the sandbox may hand out.
//! - `max_pending`: host operations (timers, calls, queries, requests, waits for messages) the
//!   sandbox may have started and not yet seen complete; in a workflow, its open commands
//!   (timers, activities, children). One more ends the run.
//!
//! The guest keeps its own bounds (glue/luabox.h, glue/codec.c): at most 2^20 coroutines at
//! once, 128 levels of nesting and 100,000 values per message across the boundary; channels,
//! buffered values and held completions are Lua objects that the memory limit bounds. A process's
//! mailbox holds at most `process::mailbox::MAX_QUEUED` messages.
//!
//! Lua's own stack limits stay as PUC-Rio sets them (about 200 nested C calls, 1,000,000 stack
//! slots); the wasm call stack is capped by the engine, and exhausting it ends the run.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of linear memory the sandbox may use.
    pub memory: u64,
    /// Wall-clock time for the whole run.
    pub deadline: Duration,
    /// Largest payload (result, value) in bytes.
    pub max_payload: u32,
    /// Host operations pending at once (workflows: open commands).
    pub max_pending: u32,
}

impl Limits {
    pub const DEFAULT_MEMORY: u64 = 64 << 20;
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_PAYLOAD: u32 = 16 << 20;
    pub const DEFAULT_MAX_PENDING: u32 = 100_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: Self::DEFAULT_MEMORY,
            deadline: Self::DEFAULT_DEADLINE,
            max_payload: Self::DEFAULT_MAX_PAYLOAD,
            max_pending: Self::DEFAULT_MAX_PENDING,
        }
    }
}
