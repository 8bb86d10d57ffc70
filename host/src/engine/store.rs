//! The data a wasmtime `Store` holds for one sandbox instance: who it runs and for whom, its
//! memory limiter, the host operations it has started, and when it began (what `os.clock`
//! measures). Host module implementations (`modules/*.rs`) are written against this type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;

use super::Caller;
use super::limits::Limits;
use super::pending::Pending;
use crate::app::App;
use crate::config::EntryId;
use crate::durable::replay::WorkflowState;
use crate::http::allowlist::HostPattern;

pub struct SandboxState {
    entry: String,
    caller: Caller,
    started: Instant,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) pending: Pending,
    /// The pid a non-process sandbox took when it first used `process`.
    borrowed_pid: Option<crate::modules::BorrowedPid>,
    /// The books of a `workflow.lua` run: its history and the commands it issues.
    workflow: Option<Box<WorkflowState>>,
    /// When the export call in flight must end (checked by the epoch callback).
    pub(crate) deadline: Option<Instant>,
    /// The time one step of a session may take: a workflow replaying many recorded steps in
    /// one export call gets it afresh for each.
    pub(crate) step_limit: Option<std::time::Duration>,
    /// The largest payload the sandbox may hand out or take in (its `max_payload` limit).
    max_payload: u32,
    /// The hosts `http_client` may reach; set from the invocation (empty: none).
    pub(crate) allowed_hosts: Arc<[HostPattern]>,
    /// The databases and stores the sandbox may open; set from the invocation (empty: none).
    pub(crate) resources: Arc<[EntryId]>,
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
        caller: Caller,
    ) -> wasmtime::Store<SandboxState> {
        let mut store = wasmtime::Store::new(engine, SandboxState::new(entry, limits, caller));
        store.limiter(|state| &mut state.limiter);
        store
    }

    fn new(entry: &str, limits: &Limits, caller: Caller) -> Self {
        SandboxState {
            entry: entry.to_owned(),
            caller,
            started: Instant::now(),
            limiter: MemoryLimiter {
                limit: limits.memory,
                refused: false,
            },
            pending: Pending::new(limits.max_pending),
            borrowed_pid: None,
            workflow: None,
            deadline: None,
            step_limit: None,
            max_payload: limits.max_payload,
            allowed_hosts: Arc::new([]),
            resources: Arc::new([]),
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

    /// The app this sandbox runs in; `None` for a bare script (`luabox eval`).
    pub fn app(&self) -> Option<&std::sync::Arc<App>> {
        self.caller.app.as_ref()
    }

    /// How many `funcs.call`s deep this sandbox runs (0 for a call from outside).
    pub fn depth(&self) -> u32 {
        self.caller.depth
    }

    /// When this sandbox was created.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The process this sandbox is, if any yet.
    pub fn process_slot(&self) -> Option<&std::sync::Arc<crate::process::Slot>> {
        self.caller
            .process
            .as_ref()
            .or_else(|| self.borrowed_pid.as_ref().map(|pid| pid.slot()))
    }

    pub(crate) fn set_borrowed_pid(&mut self, pid: crate::modules::BorrowedPid) {
        self.borrowed_pid = Some(pid);
    }

    /// Start the time of a new step (see `step_limit`).
    pub(crate) fn restart_step_clock(&mut self) {
        if let Some(limit) = self.step_limit {
            self.deadline = Some(Instant::now() + limit);
        }
    }

    /// The activity this sandbox runs for a workflow, if it does.
    pub fn activity_info(&self) -> Option<&crate::durable::ActivityInfo> {
        self.caller.activity.as_deref()
    }

    /// The HTTP exchange this sandbox handles, if it handles one.
    pub fn http_exchange(&self) -> Option<&std::sync::Arc<crate::http::exchange::Exchange>> {
        self.caller.http.as_ref()
    }

    pub fn workflow_state(&mut self) -> Option<&mut WorkflowState> {
        self.workflow.as_deref_mut()
    }

    pub(crate) fn set_workflow_state(&mut self, state: WorkflowState) {
        self.workflow = Some(Box::new(state));
    }

    /// The sandbox's `max_payload` limit in bytes.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// The hosts `http_client` may reach: the entry's `allowed_hosts`.
    pub fn allowed_hosts(&self) -> &Arc<[HostPattern]> {
        &self.allowed_hosts
    }

    /// The databases and stores this sandbox may open: the entry's `resources:`.
    pub fn resources(&self) -> &[EntryId] {
        &self.resources
    }

    /// The state module `T` keeps for this sandbox, created on first use.
    pub fn module_state<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.module_state.get_or_default()
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
