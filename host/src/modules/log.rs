//! `wit/log.wit`: log lines from a sandbox (and `print`, at level info) go to the host's
//! `tracing` output under the target `lua`, tagged with the entry id.

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::luabox::sandbox::log::{self, Level};
use crate::engine::SandboxState;

pub(super) fn link(linker: &mut Linker<SandboxState>) -> Result<()> {
    log::add_to_linker::<_, HasSelf<SandboxState>>(linker, |state| state)?;
    Ok(())
}

impl log::Host for SandboxState {
    fn write(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let entry = self.entry();
        match level {
            Level::Trace => tracing::trace!(target: "lua", entry, "{message}"),
            Level::Debug => tracing::debug!(target: "lua", entry, "{message}"),
            Level::Info => tracing::info!(target: "lua", entry, "{message}"),
            Level::Warn => tracing::warn!(target: "lua", entry, "{message}"),
            Level::Error => tracing::error!(target: "lua", entry, "{message}"),
        }
        Ok(())
    }
}
