//! The data a wasmtime `Store` holds for one sandbox instance: which entry it runs, what its
//! caller and its entry's kind handed it ([`Extensions`]), its memory limiter, the host
//! operations it has started, the state modules keep for it, and when it began (what `os.clock`
//! measures). Host module implementations are written against this type; the engine reads none
//! of what they keep in it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;

use super::Extensions;
use super::limits::Limits;
use super::pending::Pending;

pub struct SandboxState {
    entry: String,
    /// What the caller and the entry's kind handed this sandbox.
    extensions: Extensions,
    started: Instant,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) pending: Pending,
    /// When the export call in flight must end (checked by the epoch callback).
    pub(crate) deadline: Option<Instant>,
    /// The time one step of a session may take: a workflow replaying many recorded steps in
    /// one export call gets it afresh for each.
    pub(crate) step_limit: Option<std::time::Duration>,
    /// The largest payload the sandbox may hand out or take in (its `max_payload` limit).
    max_payload: u32,
    /// What modules keep for this sandbox between calls (open transactions, ...), one value per
    /// type, dropped with the sandbox.
    module_state: ModuleState,
    /// Its turn on the engine's long lane (CPU fairness, see `lane`).
    pub(crate) lane: super::lane::Lane,
}

impl SandboxState {
    /// A store for one sandbox, its memory capped by the limiter.
    pub(crate) fn store(
        engine: &wasmtime::Engine,
        entry: &str,
        limits: &Limits,
        extensions: Extensions,
    ) -> wasmtime::Store<SandboxState> {
        let state = SandboxState::new(entry, limits, extensions);
        let mut store = wasmtime::Store::new(engine, state);
        store.limiter(|state| &mut state.limiter);
        store
    }

    fn new(entry: &str, limits: &Limits, extensions: Extensions) -> Self {
        SandboxState {
            entry: entry.to_owned(),
            extensions,
            started: Instant::now(),
            limiter: MemoryLimiter {
                limit: limits.memory,
                refused: false,
            },
            pending: Pending::new(limits.max_pending),
            deadline: None,
            step_limit: None,
            max_payload: limits.max_payload,
            module_state: ModuleState::default(),
            lane: Default::default(),
        }
    }

    /// The id of the entry this sandbox runs, for logs and messages.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The namespace of the entry ("app" for "app:hello"), where references without ':' resolve.
    pub fn namespace(&self) -> &str {
        self.entry.split_once(':').map_or("", |(ns, _)| ns)
    }

    /// The value of type `T` the caller or the entry's kind handed this sandbox.
    pub fn extension<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.extensions.get()
    }

    /// A shared handle on the value of type `T` handed to this sandbox.
    pub fn extension_arc<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.extensions.get_arc()
    }

    /// When this sandbox was created.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Start the time of a new step (see `step_limit`).
    pub(crate) fn restart_step_clock(&mut self) {
        if let Some(limit) = self.step_limit {
            self.deadline = Some(Instant::now() + limit);
        }
    }

    /// The sandbox's `max_payload` limit in bytes.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// The sandbox's memory limit in bytes (`limits.memory`).
    pub fn memory_limit(&self) -> u64 {
        self.limiter.limit
    }

    /// The state module `T` keeps for this sandbox, created on first use.
    pub fn module_state<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.module_state.get_or_default()
    }

    /// The state module `T` keeps for this sandbox, if it has made any.
    pub fn module_state_if_any<T: Send + 'static>(&self) -> Option<&T> {
        self.module_state.get()
    }

    /// For host work done inside one import call (hashing, decoding): a trap that ends the run
    /// with its deadline error once the deadline has passed, since the epoch callback that
    /// enforces it runs only while the guest does.
    pub fn check_deadline(&self) -> wasmtime::Result<()> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(super::run::DeadlineReached.into()),
            _ => Ok(()),
        }
    }

    /// Host operations this sandbox has started.
    pub fn pending(&mut self) -> &mut Pending {
        &mut self.pending
    }
}

/// One value per type, for modules that keep per-sandbox state: a module adds its state in its
/// own file instead of a field here.
#[derive(Default)]
struct ModuleState(HashMap<TypeId, Box<dyn Any + Send>>);

impl ModuleState {
    fn get<T: Send + 'static>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref()
    }

    fn get_or_default<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut()
            .expect("module state is keyed by its own type")
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
