//! Host modules: what a sandbox can reach outside itself.
//!
//! Each module is one WIT interface (`wit/NAME.wit`), one file here implementing its generated
//! `Host` trait for [`SandboxState`] plus [`HostModule`], and its Lua face in the guest
//! (`guest-lua/glue/mod_NAME.c`, optionally with `guest-lua/glue/lua/NAME.lua`). A module's
//! interface is linked into an entry's sandbox only when the entry (or a library it imports)
//! lists the module; otherwise its imports trap. Adding a module means adding those files, the
//! import in `wit/world.wit`, one line in the `modules!` list below and one in the guest's
//! `modules.def`.
//!
//! Expected failures are results ([`HostError`], which Lua sees as `nil, err` with an error
//! object of that kind); a trap is only for host bugs.
//!
//! The base interfaces `log` and `sys` are not modules: every sandbox gets them, since `print`,
//! `os.time` and the random seed need them.

/// Declares a module whose link step is just adding its WIT interface:
/// `host_module!(Json, "json", json)` with the interface's bindings module in scope, optionally
/// followed by how workflows may use it ([`InWorkflows`]; `Denied` when left out).
macro_rules! host_module {
    ($type:ident, $name:literal, $interface:ident) => {
        host_module!($type, $name, $interface, Denied);
    };
    ($type:ident, $name:literal, $interface:ident, $in_workflows:ident) => {
        pub(super) struct $type;

        impl super::HostModule for $type {
            fn name(&self) -> &'static str {
                $name
            }

            fn in_workflows(&self) -> super::InWorkflows {
                super::InWorkflows::$in_workflows
            }

            fn link(
                &self,
                linker: &mut wasmtime::component::Linker<crate::engine::SandboxState>,
            ) -> anyhow::Result<()> {
                $interface::add_to_linker::<
                    _,
                    wasmtime::component::HasSelf<crate::engine::SandboxState>,
                >(linker, |state| state)?;
                Ok(())
            }
        }
    };
}

// The base interfaces, which every sandbox gets (see `Table::link_base`).
mod log;
mod shared;
mod sys;

pub use shared::Shared;

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmtime::component::Linker;

use futures::future::BoxFuture;

use crate::bindings::HostError;
use crate::config::{EntryId, TerminalHost};
use crate::engine::{Extensions, Interfaces, SandboxState};
use crate::error::CallError;
use crate::error::ErrorKind;
use crate::http::allowlist::HostPattern;
use crate::process::{Node, ProcessError, Slot, Spawned, Ties};
use crate::registry::Registry;
pub(crate) use process::own_slot;

/// How a `workflow.lua` entry may use a module (Wippy: wippyai/docs en/concepts/workflows.md): workflows see the world only
/// through their history, so a module that observes anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InWorkflows {
    /// Deterministic (json, hash...): linked into workflow sandboxes as it is.
    Linked,
    /// Workflow-aware (time, uuid, funcs, process): allowed, and its calls go through the
    /// `workflow` interface, which records them; its own interface is not linked.
    Recorded,
    /// Observes the outside (env, registry, logger): a workflow entry cannot list it.
    Denied,
}

/// A module that an entry can list in `modules:` and `require`.
pub trait HostModule: Send + Sync {
    /// The name `require` and `modules:` use.
    fn name(&self) -> &'static str;
    /// How workflows may use it.
    fn in_workflows(&self) -> InWorkflows;
    /// Add this module's interface to `linker`.
    fn link(&self, linker: &mut Linker<SandboxState>) -> Result<()>;
}

/// Declares each module's file and lists it in [`ALL`]: one line per module.
macro_rules! modules {
    ($($module:ident :: $type:ident),* $(,)?) => {
        $(pub(crate) mod $module;)*

        /// Every module luabox provides, in the order `luabox` lists them.
        pub static ALL: &[&dyn HostModule] = &[$(&$module::$type),*];
    };
}

modules! {
    base64::Base64,
    compress::Compress,
    contract::Contract,
    crypto::Crypto,
    ctx::Ctx,
    env::Env,
    events::Events,
    fs::Fs,
    funcs::Funcs,
    hash::Hash,
    http::Http,
    http_client::HttpClient,
    io::Io,
    json::Json,
    logger::Logger,
    metrics::MetricsModule,
    process::Process,
    queue::Queue,
    registry::Registry,
    sql::Sql,
    store::Store,
    system::System,
    templates::Templates,
    text::Text,
    time::Time,
    uuid::Uuid,
    workflow::Workflow,
    yaml::Yaml,
}

pub fn find(name: &str) -> Option<&'static dyn HostModule> {
    ALL.iter().copied().find(|module| module.name() == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|module| module.name()).collect()
}

/// The interfaces of [`ALL`], for [`crate::engine::Engine::new`].
pub fn interfaces() -> Arc<dyn Interfaces> {
    Arc::new(Table)
}

struct Table;

impl Interfaces for Table {
    /// Every sandbox gets `log`; a workflow's (`deterministic`) gets no `sys`.
    fn link_base(&self, linker: &mut Linker<SandboxState>, deterministic: bool) -> Result<()> {
        log::link(linker)?;
        if deterministic {
            return Ok(());
        }
        sys::link(linker)
    }

    fn link(&self, linker: &mut Linker<SandboxState>, name: &str) -> Result<()> {
        let Some(module) = find(name) else {
            bail!(
                "unknown module '{name}' (luabox provides: {})",
                names().join(", ")
            );
        };
        module.link(linker)
    }
}

/// The app a sandbox runs in, and how many `funcs.call`s deep: what an app hands every sandbox
/// it runs (a bare script, `luabox eval`, has none).
pub struct InApp {
    pub app: Arc<dyn AppServices>,
    pub depth: u32,
}

/// What the modules reach of the app a sandbox runs in: its registry, its backends, and the calls
/// into its entries that modules make. `app::App` implements it, so no module depends on the
/// app itself (`docs/architecture.md` §1).
pub trait AppServices: Send + Sync + 'static {
    fn registry(&self) -> &Registry;
    /// The app directory, which `fs.directory` roots are relative to.
    fn app_dir(&self) -> &std::path::Path;
    /// `env`'s variables.
    fn env(&self) -> &crate::env::AppEnv;
    /// `sql`'s databases.
    fn databases(&self) -> &crate::sql::Databases;
    /// `store`'s stores.
    fn stores(&self) -> &crate::store::Stores;
    /// `process`'s table of processes.
    fn node(&self) -> &Node;
    /// The app-wide state modules keep for themselves (the event bus...).
    fn shared(&self) -> &Shared;
    /// `io`'s terminal.
    fn terminal(&self) -> &crate::terminal::Terminal;
    /// The `terminal.host` entry `host` names, if it names one.
    fn terminal_host(&self, host: &str) -> Option<TerminalHost>;
    /// The app's Temporal clusters, for `process` starts on a `temporal.worker`.
    fn temporal(&self) -> &crate::temporal::remote::Remote;
    /// `funcs.call`: call `function.lua` entry `id` with `args` (a MessagePack array), `depth`
    /// calls deep, handing its sandbox `handed` (the caller's context...).
    fn call(
        self: Arc<Self>,
        id: EntryId,
        args: Vec<u8>,
        depth: u32,
        handed: Extensions,
    ) -> BoxFuture<'static, Result<Vec<u8>, CallError>>;
    /// `process.spawn`: start `process.lua` entry `id` on `host`, tied to `parent` as it says.
    fn spawn(
        self: Arc<Self>,
        id: &EntryId,
        host: &str,
        args: Vec<u8>,
        parent: Option<(&Slot, Ties)>,
        handed: Extensions,
    ) -> Result<Spawned, ProcessError>;
    /// `process.send` to a workflow's pid: a signal, from the process `from` if any.
    fn signal(
        self: Arc<Self>,
        dest: String,
        topic: String,
        from: Option<String>,
        values: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), ProcessError>>;
}

/// What an entry grants its sandboxes besides `modules:`, checked by the modules that open
/// things: the hosts `http_client` may reach (`allowed_hosts`; none when empty) and the
/// databases and stores of other namespaces `sql.get` / `store.get` may open (`resources:`).
#[derive(Debug, Default)]
pub struct Grants {
    pub allowed_hosts: Arc<[HostPattern]>,
    pub resources: Arc<[EntryId]>,
}

/// A sandbox's app and call depth, for the modules that reach the app.
pub(crate) trait AppSandbox {
    /// The app this sandbox runs in; `None` for a bare script.
    fn app(&self) -> Option<&Arc<dyn AppServices>>;
    /// How many `funcs.call`s deep this sandbox runs (0 for a call from outside).
    fn depth(&self) -> u32;
}

impl AppSandbox for SandboxState {
    fn app(&self) -> Option<&Arc<dyn AppServices>> {
        self.extension::<InApp>().map(|in_app| &in_app.app)
    }

    fn depth(&self) -> u32 {
        self.extension::<InApp>().map_or(0, |in_app| in_app.depth)
    }
}

/// The grants of a sandbox's entry (none for a bare script).
fn grants(state: &SandboxState) -> Option<&Grants> {
    state.extension::<Grants>()
}

/// The module that is the interface of workflow sandboxes.
pub const WORKFLOW: &str = "workflow";

/// How much host work a module does for a sandbox between two looks at its deadline.
const CHUNK: usize = 1 << 20;

/// Feed `data` to `work` a [`CHUNK`] at a time, ending the run with the sandbox's deadline error
/// once that has passed: work on the host holds the guest's export call, which the epoch
/// deadline cannot interrupt.
fn in_chunks(
    state: &SandboxState,
    data: &[u8],
    mut work: impl FnMut(&[u8]),
) -> wasmtime::Result<()> {
    for chunk in data.chunks(CHUNK) {
        state.check_deadline()?;
        work(chunk);
    }
    Ok(())
}

fn host_error(kind: ErrorKind, message: impl Into<String>) -> HostError {
    HostError {
        kind: kind.into(),
        message: message.into(),
    }
}

/// The failure of a module that reads the app (registry, env, funcs) in a bare script: there
/// is no `missing` (the registry, the event bus...) to reach.
fn no_app(call: &str, missing: &str) -> HostError {
    host_error(
        ErrorKind::Unavailable,
        format!("{call}: this sandbox runs outside an app (luabox eval), so there is no {missing}"),
    )
}

/// `PermissionDenied` unless `id` (a `what`: database, store) is in the namespace of the
/// sandbox's entry (the namespace is the tenant boundary) or the entry lists it in its
/// `resources:`; `call` names the Lua function that asked.
fn check_granted(
    state: &crate::engine::SandboxState,
    call: &str,
    what: &str,
    id: &crate::config::EntryId,
) -> Result<(), HostError> {
    let entry = state.entry();
    let own_namespace = crate::config::namespace_of(entry) == id.ns;
    if own_namespace || grants(state).is_some_and(|grants| grants.resources.contains(id)) {
        return Ok(());
    }
    Err(host_error(
        ErrorKind::PermissionDenied,
        format!(
            "{call}: entry '{entry}' may not open {what} '{id}' of another namespace: add it to \
             the entry's resources list"
        ),
    ))
}

/// The single value in a MessagePack array the guest sent.
fn one_value(payload: &[u8]) -> Result<rmpv::Value, HostError> {
    match crate::codec::decode_values(payload) {
        Ok(mut values) if values.len() == 1 => Ok(values.remove(0)),
        Ok(values) => Err(host_error(
            ErrorKind::Internal,
            format!("expected one value from the sandbox, got {}", values.len()),
        )),
        Err(error) => Err(host_error(ErrorKind::Internal, format!("{error:#}"))),
    }
}
