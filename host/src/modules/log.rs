//! `wit/log.wit`: log lines from a sandbox (and `print`, at level info) go to the host's
//! `tracing` output under the target `lua`, tagged with the entry id. A line longer than
//! [`MAX_LINE`] bytes is cut there, so a sandbox cannot flood the host's log with one call.

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::luabox::sandbox::log::{self, Level};
use crate::engine::SandboxState;

pub(super) fn link(linker: &mut Linker<SandboxState>) -> Result<()> {
    log::add_to_linker::<_, HasSelf<SandboxState>>(linker, |state| state)?;
    Ok(())
}

pub const MAX_LINE: usize = 64 * 1024;

impl log::Host for SandboxState {
    fn write(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let message = truncate_line(message);
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

pub(super) fn truncate_line(mut message: String) -> String {
    if message.len() > MAX_LINE {
        let cut = message.floor_char_boundary(MAX_LINE);
        let dropped = message.len() - cut;
        message.truncate(cut);
        message.push_str(&format!("... ({dropped} more bytes)"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        assert_eq!(truncate_line("short".into()), "short");
        let long = "é".repeat(MAX_LINE);
        let cut = truncate_line(long);
        assert!(cut.ends_with(&format!("... ({} more bytes)", MAX_LINE)));
        assert!(cut.len() < MAX_LINE + 40);
    }
}
