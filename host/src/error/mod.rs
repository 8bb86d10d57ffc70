//! How a sandbox run can end badly.
//!
//! [`RunError`] separates what the Lua code did (a raised error, a syntax error, a value that
//! cannot cross the boundary) from limits the host enforced (deadline, memory, stack) and from
//! failures of the host itself. Limit breaches are never host crashes: the sandbox is discarded
//! and the error says which limit was hit.

use std::time::Duration;

use crate::bindings::{ErrorKind as LuaErrorKind, LuaError};

mod call;
mod kind;
pub use call::{CallError, MAX_CALL_DEPTH};
pub use kind::ErrorKind;

/// What a Lua failure was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The source did not compile.
    Syntax,
    /// An error was raised and not caught.
    Runtime,
    /// A value could not cross the sandbox boundary.
    Value,
    /// Every coroutine waits and nothing can wake them.
    Deadlock,
}

impl FailureKind {
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Syntax => "syntax",
            FailureKind::Runtime => "runtime",
            FailureKind::Value => "value",
            FailureKind::Deadlock => "deadlock",
        }
    }
}

/// A failure inside the Lua code, with Lua's own message and traceback.
#[derive(Debug, Clone)]
pub struct LuaFailure {
    pub kind: FailureKind,
    pub message: String,
    pub traceback: String,
    /// The raised value when it was not a string (an error table), as MessagePack.
    pub value: Option<Vec<u8>>,
}

impl std::fmt::Display for LuaFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if !self.traceback.is_empty() {
            write!(f, "\n{}", self.traceback)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Lua(LuaFailure),
    #[error("deadline exceeded: the sandbox ran longer than its {} limit", humantime::format_duration(*.limit))]
    Deadline { limit: Duration },
    #[error("memory limit ({}) exceeded", format_size(*.limit))]
    Memory { limit: u64 },
    #[error(
        "stack limit exceeded: the sandbox's native call stack is exhausted (deep C recursion)"
    )]
    Stack,
    #[error(
        "pending-operation limit ({limit}) exceeded: the sandbox started more host operations \
         (timers, calls, queries, requests, message waits; in a workflow its open timers, \
         activities and children) than limits.max_pending allows at once"
    )]
    Pending { limit: u32 },
    /// Every sandbox slot of the engine stayed in use until the call's deadline.
    #[error(
        "no free sandbox: all {slots} sandboxes of this engine stayed busy until the call's \
         deadline"
    )]
    Busy { slots: u32 },
    #[error("sandbox trapped: {0}")]
    Trap(String),
    /// A process ended from outside: terminated, or a linked process failed.
    #[error("{0}")]
    Stopped(String),
    #[error("host error: {0:#}")]
    Host(#[from] anyhow::Error),
}

impl RunError {
    /// Whether the run was stopped by a limit (deadline, memory, stack, pending operations)
    /// rather than failing.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            RunError::Deadline { .. }
                | RunError::Memory { .. }
                | RunError::Stack
                | RunError::Pending { .. }
        )
    }

    /// A short machine-readable name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            RunError::Lua(failure) => failure.kind.name(),
            RunError::Deadline { .. } => "deadline",
            RunError::Memory { .. } => "memory",
            RunError::Stack => "stack",
            RunError::Pending { .. } => "pending",
            RunError::Busy { .. } => "busy",
            RunError::Trap(_) => "trap",
            RunError::Stopped(_) => "stopped",
            RunError::Host(_) => "host",
        }
    }

    /// The message, then the Lua traceback when there is one: the error for people.
    pub fn describe(&self) -> String {
        match self {
            RunError::Lua(failure) if !failure.traceback.is_empty() => {
                format!("{}\n{}", failure.message, failure.traceback)
            }
            other => other.to_string(),
        }
    }

    /// Turn the guest's report of a failure into an error; `memory_limit` names the limit when the
    /// failure was an allocation that the limit refused.
    pub(crate) fn from_guest(error: LuaError, memory_limit: u64) -> RunError {
        let kind = match error.kind {
            LuaErrorKind::Memory => {
                return RunError::Memory {
                    limit: memory_limit,
                };
            }
            LuaErrorKind::Syntax => FailureKind::Syntax,
            LuaErrorKind::Runtime => FailureKind::Runtime,
            LuaErrorKind::Value => FailureKind::Value,
            LuaErrorKind::Deadlock => FailureKind::Deadlock,
        };
        RunError::Lua(LuaFailure {
            kind,
            message: error.message,
            traceback: error.traceback,
            value: error.value,
        })
    }
}

/// `67108864` → `64 MiB`; sizes that are not whole units keep their byte count.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    UNITS
        .iter()
        .find(|(_, unit)| bytes >= *unit && bytes.is_multiple_of(*unit))
        .map_or_else(
            || format!("{bytes} bytes"),
            |(name, unit)| format!("{} {name}", bytes / unit),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_in_whole_units() {
        assert_eq!(format_size(64 << 20), "64 MiB");
        assert_eq!(format_size(2 << 30), "2 GiB");
        assert_eq!(format_size(1536), "1536 bytes");
        assert_eq!(format_size(3 << 10), "3 KiB");
    }

    #[test]
    fn limit_errors_say_which_limit() {
        let e = RunError::Memory { limit: 32 << 20 };
        assert_eq!(e.to_string(), "memory limit (32 MiB) exceeded");
        assert!(e.is_limit());
        let e = RunError::Deadline {
            limit: Duration::from_millis(200),
        };
        assert!(e.to_string().starts_with("deadline exceeded"));
        assert!(e.to_string().contains("200ms"));
    }
}
