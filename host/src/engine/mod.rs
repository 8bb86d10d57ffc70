//! The wasmtime side of luabox: one [`Engine`] per host process.
//!
//! It configures wasmtime for the Lua guest (component model, exnref exceptions for Lua's
//! setjmp/longjmp, async exports, epoch interruption, the pooling allocator), pre-initialises the
//! guest's Lua state ([`snapshot`]), loads it through the compiled-artifact cache, and keeps one
//! instance template (`InstancePre`) per set of modules: the linker behind a template holds only
//! the interfaces of those modules, and every other import traps (docs/architecture.md §2, allowlist at link
//! time). [`Engine::run`] runs one invocation in a fresh instance; see [`run`] for how it drives
//! the sandbox.

mod admission;
mod cache;
mod extensions;
pub(crate) mod lane;
pub mod limits;
mod long_lane;
pub mod pending;
mod run;
pub mod session;
mod snapshot;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::EntryPre;
use crate::error::RunError;
pub use extensions::Extensions;
pub use limits::Limits;
pub use session::{Progress, Session};
pub use store::SandboxState;

/// The guest component, built by `scripts/build-guest.sh` and checked in (CI rebuilds it and
/// compares).
pub static GUEST: &[u8] = include_bytes!("../../../guest-lua/luabox-guest.wasm");

/// The environment variable naming a guest component file to run instead of [`GUEST`]: the
/// checked build (`guest-lua/luabox-guest-checked.wasm`, which the test suite also runs on), or a
/// guest rebuilt by `scripts/build-guest.sh` without rebuilding luabox.
pub const GUEST_VARIABLE: &str = "LUABOX_GUEST";

/// The guest an engine runs: the file `config` names, else the one `$LUABOX_GUEST` names, else
/// [`GUEST`].
fn guest(config: &EngineConfig) -> Result<std::borrow::Cow<'static, [u8]>> {
    let path = match (&config.guest, std::env::var_os(GUEST_VARIABLE)) {
        (Some(path), _) => path.clone(),
        (None, Some(path)) => PathBuf::from(path),
        (None, None) => return Ok(GUEST.into()),
    };
    std::fs::read(&path)
        .map(Into::into)
        .with_context(|| format!("cannot read the guest component {}", path.display()))
}

/// How often the epoch advances; a running sandbox yields to tokio every [`SLICE_TICKS`] ticks.
const EPOCH_TICK: Duration = Duration::from_millis(1);
const SLICE_TICKS: u64 = 1;
/// Bytes at the top of each pooled fiber stack kept mapped between calls: the stack a short
/// call uses, which would otherwise page-fault back in on every call.
const ASYNC_STACK_KEEP_RESIDENT: usize = 128 << 10;
/// Bytes of each pooled linear memory reset in place (only the pages written) rather than dropped.
const LINEAR_MEMORY_KEEP_RESIDENT: usize = 4 << 20;
/// The same for a process's memory: the pages a process's start-up writes.
const PROCESS_MEMORY_KEEP_RESIDENT: usize = 512 << 10;
/// The GC heap each sandbox starts with (where exception objects live).
const GC_HEAP_INITIAL: u64 = 64 << 10;
/// Bytes of each pooled table zeroed in place rather than dropped: the guest's function table
/// (a few hundred entries) fits, so a call does not fault it back in and the release does not
/// cost a TLB shootdown.
const TABLE_KEEP_RESIDENT: usize = 16 << 10;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Sandboxes that may exist at once (the pooling allocator's slots).
    pub max_instances: u32,
    /// The largest memory limit any sandbox may be given.
    pub max_memory: u64,
    /// Virtual memory reserved per linear memory. `None` reserves 4 GiB, so compiled code needs
    /// no bounds checks (the fastest code, for short calls: a few thousand slots). A small
    /// reservation (it must hold `max_memory`) costs a bounds check per access but lets tens of
    /// thousands of long-lived sandboxes fit in the address space: processes.
    pub memory_reservation: Option<u64>,
    /// Where compiled artifacts are cached; `None` uses [`cache::default_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Compile for deterministic execution (NaN canonicalisation, deterministic relaxed SIMD):
    /// the engine that runs workflows, whose replays must compute exactly what their first
    /// run computed, on any machine (docs/architecture.md §2).
    pub deterministic: bool,
    /// A guest component file to run instead of the built-in one (see [`GUEST_VARIABLE`]).
    pub guest: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_instances: 1000,
            max_memory: 4 << 30,
            memory_reservation: None,
            cache_dir: None,
            deterministic: false,
            guest: None,
        }
    }
}

impl EngineConfig {
    /// The engine for processes: `max_instances` live at once, each with at most `max_memory`
    /// of linear memory reserved (docs/architecture.md §3: 4 GiB each would not fit 10,000 in the address
    /// space).
    pub fn for_processes(max_instances: u32, max_memory: u64, cache_dir: Option<PathBuf>) -> Self {
        EngineConfig {
            max_instances,
            max_memory,
            memory_reservation: Some(max_memory),
            cache_dir,
            deterministic: false,
            guest: None,
        }
    }
}

/// What to run: an entry's chunks (its own and the libraries it imports), the modules linked into
/// its sandbox, its arguments and limits.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The entry's id, named in logs and error messages.
    pub entry: String,
    /// The field to call when the entry's chunk returns a table (see `wit/runner.wit`).
    pub method: Option<String>,
    /// The entry's chunk first, then the libraries it can reach.
    pub chunks: Vec<Chunk>,
    /// Modules whose interfaces are linked into the sandbox; every other import traps. Normally
    /// the union of the chunks' `modules` ([`Invocation::link_modules_of_chunks`]).
    pub linked: Vec<String>,
    /// Arguments for the function the chunk returns, as a MessagePack array.
    pub args: Vec<u8>,
    pub limits: Limits,
    /// Whether the guest runs deterministically (a workflow: no `sys` interface, no clock or
    /// randomness of its own; see `wit/runner.wit`).
    pub deterministic: bool,
    /// What the entry's kind hands its sandboxes (the grants its modules check, for instance).
    pub extensions: Extensions,
}

/// One Lua chunk of an invocation, with its own `require` scope.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The entry id that owns the chunk (named in `require` errors).
    pub id: String,
    /// The chunk's name as Lua shows it ("@path/main.lua" for a file, "=name" for anything else).
    pub chunk_name: String,
    /// Source text, or bytecode from [`Engine::compile`] (then `compiled` is true).
    pub code: Arc<[u8]>,
    /// Whether `code` is bytecode from [`Engine::compile`]; text is required otherwise, so a
    /// binary chunk from anywhere else is refused.
    pub compiled: bool,
    /// Modules `require` may load inside this chunk.
    pub modules: Vec<String>,
    /// `require(alias)` returns the value of the chunk at this index of the invocation's chunks.
    pub imports: Vec<(String, u32)>,
    /// A library runs on its first `require`, with its own globals.
    pub library: bool,
}

impl Invocation {
    /// An invocation of `source` with no modules, no arguments and default limits.
    pub fn script(entry: &str, source: &str) -> Self {
        Invocation {
            entry: entry.to_owned(),
            method: None,
            chunks: vec![Chunk {
                id: entry.to_owned(),
                chunk_name: format!("={entry}"),
                code: source.as_bytes().into(),
                compiled: false,
                modules: Vec::new(),
                imports: Vec::new(),
                library: false,
            }],
            linked: Vec::new(),
            args: crate::codec::json_to_values(&[]),
            limits: Limits::default(),
            deterministic: false,
            extensions: Extensions::default(),
        }
    }

    /// Let the entry's chunk `require` these modules, and link them.
    pub fn allow_modules(mut self, modules: &[&str]) -> Self {
        if let Some(chunk) = self.chunks.first_mut() {
            chunk.modules = modules.iter().map(|m| m.to_string()).collect();
        }
        self.link_modules_of_chunks();
        self
    }

    /// Set `linked` to the union of the chunks' modules.
    pub fn link_modules_of_chunks(&mut self) {
        self.linked = modules_of(&self.chunks);
    }
}

/// The union of the modules of `chunks`, sorted: what their sandbox must link.
pub fn modules_of(chunks: &[Chunk]) -> Vec<String> {
    let mut modules: Vec<String> = chunks
        .iter()
        .flat_map(|chunk| chunk.modules.iter().cloned())
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// The interfaces an engine can link into sandboxes, given to [`Engine::new`] by the embedder
/// (luabox's module table, `modules::interfaces`), so the engine knows no module by name.
pub trait Interfaces: Send + Sync {
    /// Link what every sandbox gets; a `deterministic` sandbox gets nothing that observes the
    /// outside.
    fn link_base(&self, linker: &mut Linker<SandboxState>, deterministic: bool) -> Result<()>;
    /// Link the interface of module `name`; fails for a name it does not know.
    fn link(&self, linker: &mut Linker<SandboxState>, name: &str) -> Result<()>;
}

pub struct Engine {
    wasmtime: wasmtime::Engine,
    component: Component,
    config: EngineConfig,
    interfaces: Arc<dyn Interfaces>,
    /// Instance templates by module set: `[0]` for ordinary sandboxes, `[1]` deterministic ones.
    templates: std::sync::Mutex<[HashMap<Vec<String>, EntryPre<SandboxState>>; 2]>,
    ticker: EpochTicker,
    /// Where long export calls take turns (see `lane`).
    long_lane: Arc<long_lane::LongLane>,
    /// The sandbox slots, taken before a sandbox is created (see `admission`).
    admission: admission::Admission,
}

impl Engine {
    /// An engine whose sandboxes may link the modules of `interfaces`.
    pub fn new(config: EngineConfig, interfaces: Arc<dyn Interfaces>) -> Result<Self> {
        if config.max_instances == 0 {
            bail!("the engine needs room for at least one sandbox (max_instances is 0)");
        }
        let wasmtime = wasmtime::Engine::new(&wasmtime_config(&config))?;
        let cache_dir = config.cache_dir.clone().unwrap_or_else(cache::default_dir);
        let guest = guest(&config)?;
        let component = cache::load_component(
            &wasmtime,
            &guest,
            || snapshot::pre_initialise(&wasmtime, &guest, interfaces.as_ref()),
            &cache_dir,
        )?;
        let ticker = EpochTicker::start(wasmtime.clone());
        let admission = admission::Admission::new(config.max_instances);
        Ok(Engine {
            wasmtime,
            component,
            config,
            interfaces,
            templates: Default::default(),
            ticker,
            long_lane: long_lane::LongLane::for_this_machine(),
            admission,
        })
    }

    /// Run one invocation in a fresh sandbox; the result is the MessagePack array of the values
    /// the chunk (or the function it returned) returned.
    pub async fn run(&self, invocation: Invocation) -> Result<Vec<u8>, RunError> {
        self.run_as(invocation, Extensions::default()).await
    }

    /// [`Engine::run`] on behalf of `caller`.
    pub async fn run_as(
        &self,
        invocation: Invocation,
        caller: Extensions,
    ) -> Result<Vec<u8>, RunError> {
        self.run_until_deadline(invocation, caller, false).await
    }

    /// A function's run for `caller`: as [`Engine::run_as`], but coroutines the function
    /// spawned that live when it returns run on after its result is handed back, until they
    /// end or its deadline passes (as in Wippy: an HTTP handler answers at once and its
    /// background work goes on).
    pub async fn run_function(
        &self,
        invocation: Invocation,
        caller: Extensions,
    ) -> Result<Vec<u8>, RunError> {
        self.run_until_deadline(invocation, caller, true).await
    }

    async fn run_until_deadline(
        &self,
        invocation: Invocation,
        caller: Extensions,
        background: bool,
    ) -> Result<Vec<u8>, RunError> {
        let control = run::Control {
            deadline: Some(invocation.limits.deadline),
            stop: None,
            background,
        };
        self.run_with(invocation, caller, control).await
    }

    /// Run a process: like [`Engine::run_as`], but with no deadline unless `deadline` is given,
    /// and ended early with [`RunError::Stopped`] when `stop` resolves.
    pub async fn run_process(
        &self,
        invocation: Invocation,
        caller: Extensions,
        deadline: Option<Duration>,
        stop: impl std::future::Future<Output = String> + Send + 'static,
    ) -> Result<Vec<u8>, RunError> {
        let control = run::Control {
            deadline,
            stop: Some(Box::pin(stop)),
            background: false,
        };
        self.run_with(invocation, caller, control).await
    }

    async fn run_with(
        &self,
        invocation: Invocation,
        caller: Extensions,
        control: run::Control,
    ) -> Result<Vec<u8>, RunError> {
        if invocation.limits.memory > self.config.max_memory {
            return Err(RunError::Host(anyhow::anyhow!(
                "memory limit {} is above this host's maximum of {}",
                crate::error::format_size(invocation.limits.memory),
                crate::error::format_size(self.config.max_memory)
            )));
        }
        let template = self.template(&invocation.linked, invocation.deterministic)?;
        run::run(self, template, invocation, caller, control).await
    }

    /// Compile Lua sources to bytecode in one sandbox without running them: `(chunk name,
    /// source)` in, per source the bytecode or Lua's syntax message out.
    pub async fn compile(
        &self,
        sources: &[(&str, &[u8])],
    ) -> Result<Vec<Result<Vec<u8>, String>>, RunError> {
        let template = self.template(&[], false)?;
        run::compile(self, template, sources).await
    }

    /// The instance template for a set of modules, built once per set.
    fn template(&self, modules: &[String], deterministic: bool) -> Result<EntryPre<SandboxState>> {
        let mut templates = self.templates.lock().unwrap_or_else(|e| e.into_inner());
        let templates = &mut templates[usize::from(deterministic)];
        // `modules_of` already sorts: the common case finds its template without allocating.
        if let Some(template) = templates.get(modules) {
            return Ok(template.clone());
        }
        let mut key = modules.to_vec();
        key.sort();
        key.dedup();
        if let Some(template) = templates.get(&key) {
            return Ok(template.clone());
        }
        let mut linker = Linker::new(&self.wasmtime);
        self.interfaces.link_base(&mut linker, deterministic)?;
        for name in &key {
            self.interfaces.link(&mut linker, name)?;
        }
        linker.define_unknown_imports_as_traps(&self.component)?;
        let template = EntryPre::new(linker.instantiate_pre(&self.component)?)
            .map_err(anyhow::Error::from)
            .context("preparing the sandbox template")?;
        templates.insert(key, template.clone());
        Ok(template)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub(crate) fn wasmtime(&self) -> &wasmtime::Engine {
        &self.wasmtime
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.ticker.stop.store(true, Ordering::Relaxed);
    }
}

fn wasmtime_config(config: &EngineConfig) -> Config {
    let mut pool = PoolingAllocationConfig::default();
    let slots = config.max_instances;
    // The guest component instantiates three core modules (its code, and the shim and fixup
    // modules `wasm-tools component new` adds) with two tables between them; its store has a
    // linear memory and a GC heap (exception objects), both from the memory pool.
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(3))
        .total_memories(slots.saturating_mul(2))
        .total_tables(slots.saturating_mul(2))
        .total_stacks(slots)
        .total_gc_heaps(slots)
        .max_memory_size(usize::try_from(config.max_memory).unwrap_or(usize::MAX));
    // A slot's pages stay resident when it is freed and only the pages the sandbox wrote are
    // copied back (PAGEMAP_SCAN, Linux 6.7+), so the next sandbox does not copy-on-write fault
    // its way back into the Lua state: each such fault, and each page dropped with madvise,
    // costs a TLB shootdown across cores, most of a short call's or process's start-up time.
    // Function slots keep more (a call may touch megabytes); process slots, which are many,
    // keep what a process start-up touches, and the freed slots a new process takes first are
    // the most recently used (no warm-slot reserve), so retained memory follows the most
    // processes alive at once, not the pool's size.
    let short_calls = config.memory_reservation.is_none();
    pool.table_keep_resident(TABLE_KEEP_RESIDENT);
    if short_calls {
        pool.async_stack_keep_resident(ASYNC_STACK_KEEP_RESIDENT);
    } else {
        pool.max_unused_warm_slots(0);
    }
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(wasmtime::Enabled::Yes)
            .linear_memory_keep_resident(if short_calls {
                LINEAR_MEMORY_KEEP_RESIDENT
            } else {
                PROCESS_MEMORY_KEEP_RESIDENT
            });
    }
    let mut wasm = Config::new();
    if let Some(reservation) = config.memory_reservation {
        wasm.memory_reservation(reservation.max(config.max_memory))
            .memory_reservation_for_growth(0);
    }
    if config.deterministic {
        wasm.cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true);
    }
    // Lua's error and yield paths throw wasm exceptions, whose objects live in the store's GC
    // heap. A heap that starts empty grows on a call's first throw and shrinks back when the
    // slot is reused: two mprotects, each a TLB shootdown across cores, on every call that
    // waits on anything. Starting it at a size a call's exceptions fit in keeps it mapped.
    wasm.gc_heap_initial_size(GC_HEAP_INITIAL);
    wasm.wasm_component_model(true)
        .wasm_exceptions(true)
        .epoch_interruption(true)
        .cranelift_opt_level(wasmtime::OptLevel::Speed)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    wasm
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a thread of its own.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: wasmtime::Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("luabox-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop }
    }
}
