//! `wit/log.wit`: log lines from a sandbox (and `print`, at level info) go to the host's
//! `tracing` output under the target `lua`, tagged with the entry id. A line longer than
//! [`MAX_LINE`] bytes is cut there, so a sandbox cannot flood the host's log with one call, and
//! [`LogBudget`] caps how much one sandbox logs over time (`print` and `logger` together).

use super::AppSandbox;
use std::time::Instant;

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
        if !admit(self, message.len()) {
            return Ok(());
        }
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

/// A burst of this many lines, or of [`BURST_BYTES`], passes at once...
pub const BURST_LINES: f64 = 1_000.0;
pub const BURST_BYTES: f64 = (1 << 20) as f64;
/// ...and then this many a second: a sandbox looping over `print` wrote 140 MB in 2 s.
pub const LINES_PER_SECOND: f64 = 100.0;
pub const BYTES_PER_SECOND: f64 = (256 << 10) as f64;

/// One sandbox's allowance of log lines and bytes (a token bucket of each), and what it has
/// dropped since the last note about it.
#[derive(Default)]
pub struct LogBudget {
    lines: f64,
    bytes: f64,
    /// When the allowance was last topped up; `None` before the first line (a full bucket).
    last: Option<Instant>,
    dropped_lines: u64,
    dropped_bytes: u64,
    /// When the log last said what was dropped: it says so at most once a second.
    noted: Option<Instant>,
    /// The sandbox's entry, for the last note when the sandbox ends; set with `hidden` on the
    /// first line.
    entry: String,
    /// The sandbox logs nothing (see [`hidden`]).
    hidden: bool,
}

impl Drop for LogBudget {
    fn drop(&mut self) {
        if self.dropped_lines > 0 {
            note(&self.entry, self.dropped_lines, self.dropped_bytes);
        }
    }
}

/// What [`LogBudget::admit`] decided about one line.
#[derive(Debug, PartialEq)]
pub struct Admit {
    /// Log the line.
    pub pass: bool,
    /// First note, in the log, that these many lines and bytes were dropped.
    pub dropped: Option<(u64, u64)>,
}

impl LogBudget {
    pub fn admit(&mut self, len: usize, now: Instant) -> Admit {
        match self.last {
            None => (self.lines, self.bytes) = (BURST_LINES, BURST_BYTES),
            Some(last) => {
                let seconds = now.saturating_duration_since(last).as_secs_f64();
                self.lines = (self.lines + seconds * LINES_PER_SECOND).min(BURST_LINES);
                self.bytes = (self.bytes + seconds * BYTES_PER_SECOND).min(BURST_BYTES);
            }
        }
        self.last = Some(now);
        let pass = self.lines >= 1.0 && self.bytes >= len as f64;
        if pass {
            self.lines -= 1.0;
            self.bytes -= len as f64;
        } else {
            self.dropped_lines += 1;
            self.dropped_bytes += len as u64;
        }
        let due = self
            .noted
            .is_none_or(|noted| now.saturating_duration_since(noted).as_secs() >= 1);
        let dropped = (self.dropped_lines > 0 && due).then(|| {
            self.noted = Some(now);
            let dropped = (self.dropped_lines, self.dropped_bytes);
            (self.dropped_lines, self.dropped_bytes) = (0, 0);
            dropped
        });
        Admit { pass, dropped }
    }
}

/// The process of a `terminal.host` with `hide_logs` logs nothing: its terminal shows only what
/// it writes with `io`.
fn hidden(state: &SandboxState) -> bool {
    match (state.app(), super::own_slot(state)) {
        (Some(app), Some(slot)) => app
            .terminal_host(&slot.pid.host)
            .is_some_and(|terminal| terminal.hide_logs),
        _ => false,
    }
}

/// Whether a line of `len` bytes from this sandbox is logged; while its budget drops lines, the
/// log says how many, at most once a second.
pub(super) fn admit(state: &mut SandboxState, len: usize) -> bool {
    if state.module_state::<LogBudget>().entry.is_empty() {
        let (entry, hidden) = (state.entry().to_owned(), hidden(state));
        let budget = state.module_state::<LogBudget>();
        (budget.entry, budget.hidden) = (entry, hidden);
    }
    let budget = state.module_state::<LogBudget>();
    if budget.hidden {
        return false;
    }
    let Admit { pass, dropped } = budget.admit(len, Instant::now());
    if let Some((lines, bytes)) = dropped {
        note(&budget.entry, lines, bytes);
    }
    pass
}

fn note(entry: &str, lines: u64, bytes: u64) {
    tracing::warn!(
        target: "lua",
        entry,
        "log rate limit: {lines} log lines ({bytes} bytes) of this sandbox dropped (it may log \
         {BURST_LINES} lines or 1 MiB at once, then {LINES_PER_SECOND} lines and 256 KiB a second)"
    );
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
    fn the_budget_passes_a_burst_then_a_steady_rate_and_notes_drops_once_a_second() {
        let mut budget = LogBudget::default();
        let start = Instant::now();
        let at = |ms| start + std::time::Duration::from_millis(ms);
        let admit = |pass, dropped| Admit { pass, dropped };
        for _ in 0..BURST_LINES as usize {
            assert_eq!(budget.admit(10, start), admit(true, None));
        }
        assert_eq!(budget.admit(10, start), admit(false, Some((1, 10))));
        assert_eq!(budget.admit(20, start), admit(false, None));
        // A tenth of a second later ten more lines pass; the drops are noted a second on.
        for _ in 0..10 {
            assert_eq!(budget.admit(10, at(100)), admit(true, None));
        }
        assert_eq!(budget.admit(10, at(100)), admit(false, None));
        assert_eq!(budget.admit(10, at(1_000)), admit(true, Some((2, 30))));

        // Bytes are limited as well as lines.
        let mut budget = LogBudget::default();
        assert_eq!(budget.admit(BURST_BYTES as usize, start), admit(true, None));
        assert_eq!(budget.admit(1, start), admit(false, Some((1, 1))));
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        assert_eq!(truncate_line("short".into()), "short");
        let long = "é".repeat(MAX_LINE);
        let cut = truncate_line(long);
        assert!(cut.ends_with(&format!("... ({} more bytes)", MAX_LINE)));
        assert!(cut.len() < MAX_LINE + 40);
    }
}
