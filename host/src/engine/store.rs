//! The data a wasmtime `Store` holds for one sandbox instance: who it runs, its memory limiter,
//! the host operations it has started, and when it began (what `os.clock` measures). Host module
//! implementations (`modules/*.rs`) are written against this type.

use std::time::Instant;

use wasmtime::ResourceLimiter;

use super::limits::Limits;
use super::pending::Pending;

pub struct SandboxState {
    entry: String,
    started: Instant,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) pending: Pending,
}

impl SandboxState {
    pub(crate) fn new(entry: &str, limits: &Limits) -> Self {
        SandboxState {
            entry: entry.to_owned(),
            started: Instant::now(),
            limiter: MemoryLimiter {
                limit: limits.memory,
                refused: false,
            },
            pending: Pending::default(),
        }
    }

    /// The id of the entry this sandbox runs, for logs and messages.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// When this sandbox was created.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Host operations this sandbox has started.
    pub fn pending(&mut self) -> &mut Pending {
        &mut self.pending
    }
}

/// Caps linear memory at the entry's limit. A refused growth makes `memory.grow` return -1 (it
/// does not trap), so the guest's allocator fails and Lua raises a memory error; `refused`
/// remembers that the limit was the cause.
pub(crate) struct MemoryLimiter {
    limit: u64,
    pub(crate) refused: bool,
}

/// Tables in the guest hold function references; Lua never grows them, so a small cap suffices.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired as u64 <= self.limit;
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
