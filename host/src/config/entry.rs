//! The typed entries the loader produces: [`Entry`] with its kind-specific [`Spec`].
//!
//! `data` and `meta` keep everything as written (after `${env:..}` interpolation) for the Lua
//! `registry` module; `spec` holds what luabox itself needs to run the entry, already checked:
//! sources read, modules known, imports resolved to existing libraries, limits parsed,
//! references to hosts and processes resolved to existing entries of the right kind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::db::SqlDatabase;
use super::env_storage::EnvStorage;
use super::error::Location;
use super::fs_directory::FsDirectory;
use super::http::{HttpEndpoint, HttpRouter, HttpService};
use super::id::EntryId;
use super::lifecycle::Lifecycle;
use super::store::Store;
use super::template::TemplateSpec;
use super::temporal::{TemporalBinding, TemporalClient, TemporalWorker};
use crate::http::allowlist::HostPattern;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: EntryId,
    pub kind: String,
    /// File-level meta with the entry's own meta over it (entry keys win).
    pub meta: Map<String, Value>,
    /// Every key besides `name`, `kind` and `meta` (or the explicit `data:` mapping).
    pub data: Map<String, Value>,
    /// The line of the entry's `name:`.
    pub location: Location,
    pub spec: Spec,
    /// The `lifecycle:` of a resource (a database, store, env storage or Temporal entry): when
    /// `luabox run` opens it. Service kinds keep theirs in their spec.
    pub resource_lifecycle: Option<Lifecycle>,
}

impl Entry {
    /// The entry's `lifecycle:`, for the kinds that have one (see [`LIFECYCLE_KINDS`]).
    ///
    /// [`LIFECYCLE_KINDS`]: super::kinds::LIFECYCLE_KINDS
    pub fn lifecycle(&self) -> Option<&Lifecycle> {
        self.spec.lifecycle().or(self.resource_lifecycle.as_ref())
    }

    /// The kind of a Lua entry; `None` for any other.
    pub fn lua_kind(&self) -> Option<LuaKind> {
        match &self.spec {
            Spec::Lua(lua) => Some(lua.kind),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Spec {
    Lua(LuaEntry),
    EnvVariable(EnvVariable),
    /// `env.storage.os`, `env.storage.memory`, `env.storage.file`.
    EnvStorage(EnvStorage),
    ProcessHost(ProcessHost),
    ProcessService(ProcessService),
    HttpService(HttpService),
    HttpRouter(HttpRouter),
    HttpEndpoint(HttpEndpoint),
    /// `db.sql.sqlite`, `db.sql.postgres`.
    SqlDatabase(SqlDatabase),
    /// `store.memory`, `store.sql`.
    Store(Store),
    /// `fs.directory`.
    FsDirectory(FsDirectory),
    TemporalClient(TemporalClient),
    TemporalWorker(TemporalWorker),
    /// `queue.driver.memory`.
    QueueDriver(super::queue::QueueDriver),
    /// `queue.queue`.
    Queue(super::queue::QueueSpec),
    /// `queue.consumer`.
    QueueConsumer(super::queue::QueueConsumer),
    /// `contract.definition`.
    ContractDefinition(super::contract::ContractDefinition),
    /// `contract.binding`.
    ContractBinding(super::contract::ContractBinding),
    /// `template.set`, `template.jet`: rendered by the `templates` module.
    Template(TemplateSpec),
    /// `registry.entry`: data only, read through the `registry` module.
    Data,
}

impl Spec {
    /// The `lifecycle:` block of the kinds that start as services.
    pub fn lifecycle(&self) -> Option<&Lifecycle> {
        match self {
            Spec::ProcessHost(host) => Some(&host.lifecycle),
            Spec::ProcessService(service) => Some(&service.lifecycle),
            Spec::HttpService(service) => Some(&service.lifecycle),
            Spec::QueueConsumer(consumer) => Some(&consumer.lifecycle),
            Spec::Lua(_)
            | Spec::EnvVariable(_)
            | Spec::EnvStorage(_)
            | Spec::HttpRouter(_)
            | Spec::HttpEndpoint(_)
            | Spec::SqlDatabase(_)
            | Spec::Store(_)
            | Spec::FsDirectory(_)
            | Spec::TemporalClient(_)
            | Spec::TemporalWorker(_)
            | Spec::QueueDriver(_)
            | Spec::Queue(_)
            | Spec::ContractDefinition(_)
            | Spec::ContractBinding(_)
            | Spec::Template(_)
            | Spec::Data => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LuaKind {
    Function,
    Library,
    Process,
    Workflow,
}

impl LuaKind {
    pub fn from_kind(kind: &str) -> Option<LuaKind> {
        match kind {
            "function.lua" => Some(LuaKind::Function),
            "library.lua" => Some(LuaKind::Library),
            "process.lua" => Some(LuaKind::Process),
            "workflow.lua" => Some(LuaKind::Workflow),
            _ => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            LuaKind::Function => "function.lua",
            LuaKind::Library => "library.lua",
            LuaKind::Process => "process.lua",
            LuaKind::Workflow => "workflow.lua",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LuaEntry {
    pub kind: LuaKind,
    pub source: LuaSource,
    /// The function to call in the table the chunk returns; `None` runs what the chunk returns
    /// (or the chunk itself). Workflows default to `main`.
    pub method: Option<String>,
    /// Deduplicated, in the order written.
    pub modules: Vec<String>,
    /// `require` alias -> an existing Lua entry (library, function or process).
    pub imports: BTreeMap<String, EntryId>,
    /// `require` alias -> a luabox module (`imports: {alias: ":registry"}`), which is in
    /// `modules` too.
    pub module_imports: BTreeMap<String, String>,
    pub pool: Pool,
    pub limits: LimitOverrides,
    /// The hosts `http_client` may reach (none: outbound access is denied).
    pub allowed_hosts: Vec<HostPattern>,
    /// The databases and stores `sql.get` / `store.get` may open (the entry's `resources:`).
    pub resources: Vec<EntryId>,
    /// The Temporal worker it registers with as a workflow or activity (`meta.temporal`).
    pub temporal: Option<TemporalBinding>,
}

#[derive(Debug, Clone)]
pub struct LuaSource {
    /// The `.lua` file (app dir joined with its path in the app), or the YAML file for inline code.
    pub path: PathBuf,
    /// `@src/hello.lua` for a file, `=ns:name` for inline code: the name Lua shows in messages.
    pub chunk_name: String,
    pub text: Arc<str>,
    /// The line of the `source:` field.
    pub location: Location,
    /// The line of `path` holding the text's first line: 1 for a file, the YAML line where an
    /// inline text starts (so Lua's line N is `path:first_line + N - 1`).
    pub first_line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Run in the caller's turn, one fresh instance per call (the default).
    Inline,
    Bounded {
        kind: PoolKind,
        size: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Lazy,
    Static,
    Adaptive,
}

/// Per-entry overrides of the engine's limits; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitOverrides {
    pub memory: Option<u64>,
    pub timeout: Option<Duration>,
    pub max_payload: Option<u32>,
    pub max_pending: Option<u32>,
}

impl LimitOverrides {
    /// These limits, with each one not set taken from `defaults`.
    pub fn or(self, defaults: LimitOverrides) -> LimitOverrides {
        LimitOverrides {
            memory: self.memory.or(defaults.memory),
            timeout: self.timeout.or(defaults.timeout),
            max_payload: self.max_payload.or(defaults.max_payload),
            max_pending: self.max_pending.or(defaults.max_pending),
        }
    }
}

/// `process.host` or `terminal.host`: where processes run (on tokio tasks), up to a number of
/// live ones.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessHost {
    /// The most processes alive at once on this host (1 on a terminal host).
    pub max_processes: u32,
    pub lifecycle: Lifecycle,
    /// Set on a `terminal.host`: its process has the terminal (the `io` module).
    pub terminal: Option<TerminalHost>,
}

impl ProcessHost {
    pub const DEFAULT_MAX_PROCESSES: u32 = 10_000;
}

/// What a `terminal.host` adds to a process host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TerminalHost {
    /// The log lines (`logger`, `print`) of its process are dropped, so only what it writes
    /// with `io` reaches the terminal.
    pub hide_logs: bool,
}

/// `process.service`: a `process.lua` entry spawned on a host and restarted when it fails.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessService {
    /// An existing `process.lua` entry.
    pub process: EntryId,
    /// An existing `process.host` or `terminal.host` entry; the service starts after it.
    pub host: EntryId,
    /// The positional arguments of the process's main function.
    pub input: Vec<Value>,
    pub lifecycle: Lifecycle,
}

#[derive(Debug, Clone)]
pub struct EnvVariable {
    /// The public name Lua code asks `env.get` for; `None`: a private variable, found by its
    /// entry id only.
    pub variable: Option<String>,
    /// An `env.storage.*` entry; `None`: the variable has only its default.
    pub storage: Option<EntryId>,
    pub default: Option<String>,
    pub readonly: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_kinds_round_trip() {
        for kind in [
            LuaKind::Function,
            LuaKind::Library,
            LuaKind::Process,
            LuaKind::Workflow,
        ] {
            assert_eq!(LuaKind::from_kind(kind.kind()), Some(kind));
        }
        assert_eq!(LuaKind::from_kind("registry.entry"), None);
    }
}
