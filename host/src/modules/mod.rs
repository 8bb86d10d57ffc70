//! Host modules: what a sandbox can reach outside itself.
//!
//! Each module is one WIT interface (`wit/NAME.wit`), one file here implementing its generated
//! `Host` trait for [`SandboxState`] plus [`HostModule`], and its Lua face in the guest
//! (`guest-lua/glue/mod_NAME.c`, optionally with `guest-lua/glue/lua/NAME.lua`). A module's
//! interface is linked into an entry's sandbox only when the entry (or a library it imports)
//! lists the module; otherwise its imports trap. Adding a module means adding those files, the
//! import in `wit/world.wit`, and one line in [`ALL`] and in the guest's `modules.c`.
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

mod base64;
mod env;
mod funcs;
mod hash;
mod http;
pub mod http_client;
mod io;
mod json;
mod log;
mod logger;
mod process;
mod registry;
mod sql;
mod store;
mod sys;
mod time;
mod uuid;
mod workflow;

use anyhow::Result;
use wasmtime::component::Linker;

use crate::bindings::HostError;
use crate::engine::SandboxState;
pub(crate) use process::BorrowedPid;

/// How a `workflow.lua` entry may use a module (reference §2.4): workflows see the world only
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

/// Every module luabox provides, in the order `luabox` lists them.
pub static ALL: &[&dyn HostModule] = &[
    &base64::Base64,
    &env::Env,
    &funcs::Funcs,
    &hash::Hash,
    &http::Http,
    &http_client::HttpClient,
    &io::Io,
    &json::Json,
    &logger::Logger,
    &process::Process,
    &registry::Registry,
    &sql::Sql,
    &store::Store,
    &time::Time,
    &uuid::Uuid,
    &workflow::Workflow,
];

pub fn find(name: &str) -> Option<&'static dyn HostModule> {
    ALL.iter().copied().find(|module| module.name() == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|module| module.name()).collect()
}

/// Link the interfaces every sandbox gets; a workflow's (`deterministic`) gets no `sys`.
pub fn link_base(linker: &mut Linker<SandboxState>, deterministic: bool) -> Result<()> {
    log::link(linker)?;
    if deterministic {
        return Ok(());
    }
    sys::link(linker)
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

fn host_error(kind: &str, message: impl Into<String>) -> HostError {
    HostError {
        kind: kind.to_owned(),
        message: message.into(),
    }
}

/// The failure of a module that reads the app (registry, env, funcs) in a bare script.
fn no_app(call: &str) -> HostError {
    host_error(
        "Unavailable",
        format!("{call}: this sandbox runs outside an app (luabox eval), so there is no registry"),
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
    if own_namespace || state.resources().contains(id) {
        return Ok(());
    }
    Err(host_error(
        "PermissionDenied",
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
            "Internal",
            format!("expected one value from the sandbox, got {}", values.len()),
        )),
        Err(error) => Err(host_error("Internal", format!("{error:#}"))),
    }
}
