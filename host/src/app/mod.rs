//! A loaded app: the registry built from a directory of YAML files, every Lua entry compiled
//! once (`compile.rs`), the backends its entries declare, and the engines that run them.
//! [`App::call`] is how anything (the CLI, `funcs.call`, HTTP routes, processes) calls a
//! `function.lua` entry; `ports.rs` implements the traits through which the modules and the
//! runtimes below reach the app.
//!
//! Loading collects every problem before failing: the configuration errors of [`config::load`]
//! and Lua syntax errors, each with the file and line they come from.

mod compile;
mod ports;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::config::{self, ConfigError, EntryId, LuaKind, Spec};
use crate::durable::service::Workflows;
use crate::durable::sqlite::SqliteStore;
use crate::durable::{ActivityInfo, HistoryStore, StoreError};
use crate::engine::{Engine, EngineConfig, Extensions};
use crate::error::ErrorKind;
use crate::http::exchange::Exchange;
use crate::kinds::function::{Function, returned_error};
use crate::kinds::library::CompiledLua;
use crate::kinds::process::ProcessEntry;
use crate::kinds::workflow::WorkflowEntry;
use crate::modules;
use crate::modules::InApp;
use crate::process::capacity::{self, MappingBudget};
use crate::process::{Node, ProcessError, Slot, Ties};
use crate::registry::Registry;
use crate::store::Stores;

pub use crate::error::{CallError, MAX_CALL_DEPTH};

pub struct App {
    root: PathBuf,
    engine: Engine,
    registry: Registry,
    /// The `env.variable` entries and their storages.
    env: crate::env::AppEnv,
    functions: HashMap<EntryId, Function>,
    processes: HashMap<EntryId, ProcessEntry>,
    workflows: HashMap<EntryId, WorkflowEntry>,
    /// Runs processes and workflows; created only for an app that has such entries.
    process_engine: Option<Engine>,
    node: Node,
    /// The workflow history store, opened on first use.
    history: OnceLock<Arc<dyn HistoryStore>>,
    /// The workflow service, when this process serves the app's workflows.
    service: OnceLock<Arc<Workflows>>,
    /// A connection pool per database entry.
    databases: crate::sql::Databases,
    /// The backends of the app's `store.*` entries.
    stores: Stores,
    /// The app's Temporal clusters, as a client; made on first use.
    temporal: OnceLock<crate::temporal::remote::Remote>,
    /// This luabox process's terminal, which the process of a `terminal.host` uses.
    terminal: crate::terminal::Terminal,
    /// The `metrics` module's series.
    metrics: Arc<crate::modules::metrics::Metrics>,
}

/// The most processes one luabox host runs at once (all its process hosts' `max_processes`
/// together), and the most memory one may have: with the hosts' limits they size the process
/// engine's reservation of address space (docs/architecture.md §3), about 0.6 GiB per process.
pub const MAX_PROCESSES: u32 = 100_000;
pub const MAX_PROCESS_MEMORY: u64 = 256 << 20;
/// Sandboxes for processes outside any host: those `luabox run --exec` starts.
const EXEC_SANDBOXES: u32 = 16;
/// Sandboxes for workflows (one per resident workflow).
const WORKFLOW_SANDBOXES: u32 = crate::durable::service::MAX_RESIDENT as u32;
/// Where an app keeps its workflow histories, under its directory.
pub const HISTORY_FILE: &str = ".luabox/workflows.db";

/// The pseudo-host of processes started from outside (`luabox run --exec`): not a
/// `process.host` entry, so nothing can spawn onto it and no host limit applies.
pub const EXEC_HOST: &str = "luabox:exec";

pub use crate::process::Spawned;

/// Why an app could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{} error(s) in the app", .0.len())]
    Config(Vec<ConfigError>),
    #[error("{0:#}")]
    Host(anyhow::Error),
}

impl App {
    /// Load the app in `dir`: read and validate its YAML, compile every Lua entry.
    pub async fn load(dir: &Path, engine: Engine) -> Result<Arc<App>, LoadError> {
        let (loaded, errors) = config::load_all(dir, &modules::names(), &config::os_env);
        Self::from_config(dir, loaded, errors, engine).await
    }

    /// The app of what [`config::load_all`] read of `dir`: its entries and its problems. With
    /// problems, the Lua of the entries that did build is compiled too, and its syntax errors
    /// join them.
    pub async fn from_config(
        dir: &Path,
        loaded: config::App,
        mut errors: Vec<ConfigError>,
        engine: Engine,
    ) -> Result<Arc<App>, LoadError> {
        crate::modules::http_client::operator_hosts()
            .map_err(|message| LoadError::Host(anyhow::anyhow!(message)))?;
        if !errors.is_empty() {
            // One pass: the Lua of the entries that did build is checked too.
            if let Err(LoadError::Config(found)) =
                compile::compile_all(dir, &engine, &loaded.entries).await
            {
                errors.extend(found);
            }
            config::sort_errors(&mut errors);
            return Err(LoadError::Config(errors));
        }
        let env =
            crate::env::AppEnv::open(&loaded.root, &loaded.entries).map_err(LoadError::Config)?;
        let compiled = compile::compile_all(dir, &engine, &loaded.entries).await?;
        let functions = compiled
            .values()
            .filter(|lua| lua.spec.kind == LuaKind::Function)
            .map(|lua| (lua.id.clone(), Function::new(lua, |id| compiled.get(id))))
            .collect();
        let processes: HashMap<_, _> = compiled
            .values()
            .filter(|lua| lua.spec.kind == LuaKind::Process)
            .map(|lua| {
                (
                    lua.id.clone(),
                    ProcessEntry::new(lua, |id| compiled.get(id)),
                )
            })
            .collect();
        let workflows: HashMap<_, _> = compiled
            .values()
            .filter(|lua| lua.spec.kind == LuaKind::Workflow)
            .map(|lua| {
                (
                    lua.id.clone(),
                    WorkflowEntry::new(lua, |id| compiled.get(id)),
                )
            })
            .collect();
        check_workflow_modules(&loaded.entries, &workflows, &compiled)?;
        let conflicts = crate::http::routes::conflicts(&loaded.entries);
        if !conflicts.is_empty() {
            return Err(LoadError::Config(conflicts));
        }
        let databases =
            crate::sql::Databases::new(&loaded.root, &loaded.entries).map_err(LoadError::Config)?;
        let node = Node::default();
        let mut hosted: u64 = 0;
        for entry in &loaded.entries {
            if let Spec::ProcessHost(host) = &entry.spec {
                node.add_host(&entry.id.to_string(), host.max_processes);
                hosted += u64::from(host.max_processes);
            }
        }
        let process_engine = if processes.is_empty() && workflows.is_empty() {
            None
        } else {
            let extra = if workflows.is_empty() {
                0
            } else {
                WORKFLOW_SANDBOXES
            };
            Some(process_engine(
                hosted,
                extra,
                &node,
                engine.config().cache_dir.clone(),
            )?)
        };
        let stores = Stores::new(&loaded.entries, &databases);
        Ok(Arc::new(App {
            root: loaded.root,
            engine,
            registry: Registry::new(loaded.entries),
            env,
            functions,
            processes,
            workflows,
            process_engine,
            node,
            history: OnceLock::new(),
            service: OnceLock::new(),
            databases,
            stores,
            temporal: OnceLock::new(),
            terminal: crate::terminal::Terminal::default(),
            metrics: Arc::default(),
        }))
    }

    /// This app as the workflow runtime sees it.
    pub fn workflow_host(self: &Arc<Self>) -> Arc<dyn crate::durable::host::WorkflowHost> {
        self.clone()
    }

    /// This luabox process's terminal.
    pub fn terminal(&self) -> &crate::terminal::Terminal {
        &self.terminal
    }

    /// What `host` (an entry id) adds as a `terminal.host`; `None` for any other host.
    pub fn terminal_host(&self, host: &str) -> Option<crate::config::TerminalHost> {
        let id = EntryId::resolve(host, "").ok()?;
        match &self.registry.get(&id)?.spec {
            Spec::ProcessHost(host) => host.terminal,
            _ => None,
        }
    }

    /// Starting, signalling and awaiting workflows on the app's Temporal workers.
    pub fn temporal(&self) -> &crate::temporal::remote::Remote {
        self.temporal
            .get_or_init(|| crate::temporal::remote::Remote::new(&self.registry))
    }

    /// The `workflow.lua` entry `id`.
    pub fn workflow(&self, id: &EntryId) -> Option<&WorkflowEntry> {
        self.workflows.get(id)
    }

    pub fn has_workflows(&self) -> bool {
        !self.workflows.is_empty()
    }

    /// The engine that runs workflows: the process engine, which an app with workflows has
    /// (compiled for deterministic execution then).
    pub fn workflow_engine(&self) -> &Engine {
        self.process_engine.as_ref().unwrap_or(&self.engine)
    }

    /// The app's workflow history store (`.luabox/workflows.db`), opened on first use.
    pub fn history_store(&self) -> Result<Arc<dyn HistoryStore>, StoreError> {
        if let Some(store) = self.history.get() {
            return Ok(store.clone());
        }
        let store: Arc<dyn HistoryStore> =
            Arc::new(SqliteStore::open(&self.root.join(HISTORY_FILE))?);
        Ok(self.history.get_or_init(|| store).clone())
    }

    /// The workflow service, when this process serves the app's workflows.
    pub fn workflows(&self) -> Option<&Arc<Workflows>> {
        self.service.get()
    }

    pub(crate) fn set_workflows(&self, service: Arc<Workflows>) {
        let _ = self.service.set(service);
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The pools of the app's database entries.
    pub fn databases(&self) -> &crate::sql::Databases {
        &self.databases
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The app's environment variables and their storages.
    pub fn env(&self) -> &crate::env::AppEnv {
        &self.env
    }

    /// The app's key-value stores.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine that runs processes (`None` when the app has no process entries).
    pub fn process_engine(&self) -> Option<&Engine> {
        self.process_engine.as_ref()
    }

    /// The series the app's sandboxes record with `metrics`.
    pub fn metrics(&self) -> &Arc<crate::modules::metrics::Metrics> {
        &self.metrics
    }

    /// The table of live processes.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Spawn `process.lua` entry `id` on `process.host` entry `host` (or on [`EXEC_HOST`]) with
    /// `args` (a MessagePack array); `parent` is the spawning process and how it is tied to the
    /// new one.
    pub fn spawn(
        self: &Arc<Self>,
        id: &EntryId,
        host: &str,
        args: Vec<u8>,
        parent: Option<(&Slot, Ties)>,
    ) -> Result<Spawned, ProcessError> {
        let Some(entry) = self.processes.get(id) else {
            return Err(match self.registry.get(id) {
                Some(entry) if entry.lua_kind() == Some(LuaKind::Workflow) => ProcessError::new(
                    ErrorKind::Invalid,
                    format!(
                        "entry '{id}' is a workflow.lua: spawn it on a temporal.worker it is \
                         registered with, not on '{host}'"
                    ),
                ),
                Some(entry) => ProcessError::new(
                    ErrorKind::Invalid,
                    format!("entry '{id}' is a {}, not a process.lua", entry.kind),
                ),
                None => ProcessError::new(
                    ErrorKind::NotFound,
                    format!("no entry '{id}' in the registry"),
                ),
            });
        };
        let counted = host != EXEC_HOST;
        if counted {
            let kind = EntryId::resolve(host, "")
                .ok()
                .and_then(|host| self.registry.get(&host))
                .map(|entry| entry.kind.as_str());
            if !kind.is_some_and(|kind| crate::config::PROCESS_HOST_KINDS.contains(&kind)) {
                return Err(ProcessError::new(
                    ErrorKind::NotFound,
                    match kind {
                        Some(kind) => {
                            format!("'{host}' is a {kind}, not a process.host or terminal.host")
                        }
                        None => format!("no process.host '{host}' in the registry"),
                    },
                ));
            }
        }
        let slot = self.node.reserve(host, counted)?;
        let host: Arc<dyn crate::process::spawn::ProcessHost> = self.clone();
        let task = crate::process::spawn::spawn(&host, entry, slot.clone(), args, parent)?;
        Ok((slot, task))
    }

    /// Call `function.lua` entry `id` with `args` (a MessagePack array) in a fresh sandbox;
    /// `depth` is how many calls deep this one is (0 from outside). Returns the MessagePack array
    /// of the function's results.
    pub async fn call(
        self: &Arc<Self>,
        id: &EntryId,
        args: Vec<u8>,
        depth: u32,
    ) -> Result<Vec<u8>, CallError> {
        self.call_with(id, args, depth, Extensions::default()).await
    }

    /// Call `function.lua` entry `id` as activity `info` of a workflow.
    pub async fn call_activity(
        self: &Arc<Self>,
        id: &EntryId,
        args: Vec<u8>,
        info: Arc<ActivityInfo>,
    ) -> Result<Vec<u8>, CallError> {
        self.call_with(id, args, 0, Extensions::default().with(info))
            .await
    }

    /// Call `function.lua` entry `id` (with no arguments) to handle the HTTP request of
    /// `exchange`; what it writes is in the exchange afterwards.
    pub async fn call_http(
        self: &Arc<Self>,
        id: &EntryId,
        exchange: Arc<Exchange>,
    ) -> Result<Vec<u8>, CallError> {
        let args = crate::codec::encode_values(Vec::new());
        self.call_with(id, args, 0, Extensions::default().with(exchange))
            .await
    }

    /// Run a call `depth` calls deep, handing its sandbox `caller` and this app.
    async fn call_with(
        self: &Arc<Self>,
        id: &EntryId,
        args: Vec<u8>,
        depth: u32,
        caller: Extensions,
    ) -> Result<Vec<u8>, CallError> {
        if depth > MAX_CALL_DEPTH {
            return Err(CallError::TooDeep);
        }
        let Some(function) = self.functions.get(id) else {
            return Err(match self.registry.get(id) {
                Some(entry) => CallError::NotCallable {
                    id: id.clone(),
                    kind: entry.kind.clone(),
                },
                None => CallError::NotFound(id.clone()),
            });
        };
        let _permit = function.admit().await;
        let caller = caller.with(Arc::new(InApp {
            app: self.clone(),
            depth,
        }));
        let values = self
            .engine
            .run_function(function.invocation(args), caller)
            .await
            .map_err(CallError::Run)?;
        match returned_error(&values) {
            Some(error) => Err(CallError::Returned(error)),
            None => Ok(values),
        }
    }
}

/// The engine for processes, with a sandbox for each process the hosts allow (`hosted`) and
/// for `--exec`. Where the kernel's mapping limit leaves room for fewer, it warns and has the
/// node refuse spawns beyond that: past the limit even the host's own allocations would fail.
fn process_engine(
    hosted: u64,
    workflows: u32,
    node: &Node,
    cache_dir: Option<PathBuf>,
) -> Result<Engine, LoadError> {
    if hosted > u64::from(MAX_PROCESSES) {
        return Err(LoadError::Host(anyhow::anyhow!(
            "the process hosts allow {hosted} processes together (host.max_processes); one \
             luabox host runs at most {MAX_PROCESSES}"
        )));
    }
    let sandboxes = hosted as u32 + EXEC_SANDBOXES + workflows;
    if let Some(budget) = MappingBudget::for_slots(sandboxes)
        && budget.processes < hosted
    {
        tracing::warn!(
            "vm.max_map_count ({}) leaves memory mappings for about {} live processes, fewer than \
             the {hosted} the process hosts allow: spawns beyond that fail. Raise it with \
             `sysctl -w vm.max_map_count={}`",
            budget.max_map_count,
            budget.processes,
            capacity::SUGGESTED_MAX_MAP_COUNT
        );
        node.set_mapping_budget(budget);
    }
    let config = EngineConfig {
        deterministic: workflows > 0,
        ..EngineConfig::for_processes(sandboxes, MAX_PROCESS_MEMORY, cache_dir)
    };
    Engine::new(config, crate::modules::interfaces())
        .map_err(|error| LoadError::Host(error.context("cannot start the engine for processes")))
}

/// Workflows may use only deterministic and workflow-aware modules (also through the libraries
/// they import), and only workflows may use `workflow`.
fn check_workflow_modules(
    entries: &[config::Entry],
    workflows: &HashMap<EntryId, WorkflowEntry>,
    compiled: &HashMap<EntryId, CompiledLua>,
) -> Result<(), LoadError> {
    let mut errors = Vec::new();
    for entry in entries {
        let refused: Vec<String> = match workflows.get(&entry.id) {
            Some(workflow) => workflow
                .refused_modules()
                .into_iter()
                .map(|(chunk, module)| crate::kinds::workflow::refused_message(&entry.id, &chunk, &module))
                .collect(),
            None => compiled
                .get(&entry.id)
                .filter(|lua| lua.spec.modules.iter().any(|m| m == modules::WORKFLOW))
                .map(|_| {
                    format!(
                        "module 'workflow' is available only in workflow.lua entries, not in {} '{}'",
                        entry.kind, entry.id
                    )
                })
                .into_iter()
                .collect(),
        };
        errors.extend(refused.into_iter().map(|message| {
            ConfigError::new(entry.location.clone(), Some(entry.id.to_string()), message)
        }));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadError::Config(errors))
    }
}
