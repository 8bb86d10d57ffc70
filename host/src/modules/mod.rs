//! Host modules: what a sandbox can reach outside itself.
//!
//! Each module is one WIT interface (`wit/NAME.wit`), one file here implementing its generated
//! `Host` trait for [`SandboxState`] plus [`HostModule`], and its Lua face in the guest
//! (`guest-lua/glue/mod_NAME.c`). A module's interface is linked into an entry's sandbox only
//! when the entry lists the module; otherwise its imports trap. Adding a module means adding
//! those three files and one line in [`ALL`].
//!
//! The base interfaces `log` and `sys` are not modules: every sandbox gets them, since `print`,
//! `os.time` and the random seed need them.

mod log;
mod sys;
mod time;

use anyhow::Result;
use wasmtime::component::Linker;

use crate::engine::SandboxState;

/// A module that an entry can list in `modules:` and `require`.
pub trait HostModule: Send + Sync {
    /// The name `require` and `modules:` use.
    fn name(&self) -> &'static str;
    /// Add this module's interface to `linker`.
    fn link(&self, linker: &mut Linker<SandboxState>) -> Result<()>;
}

/// Every module luabox provides, in the order `luabox` lists them.
pub static ALL: &[&dyn HostModule] = &[&time::Time];

pub fn find(name: &str) -> Option<&'static dyn HostModule> {
    ALL.iter().copied().find(|module| module.name() == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|module| module.name()).collect()
}

/// Link the interfaces every sandbox gets.
pub fn link_base(linker: &mut Linker<SandboxState>) -> Result<()> {
    log::link(linker)?;
    sys::link(linker)
}
