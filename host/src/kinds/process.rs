//! `process.lua`: an actor. Each spawn runs the entry in a sandbox of its own that lives until
//! its main function returns (or it fails, or is stopped); see [`crate::process`] for mailboxes,
//! links and supervision. The `process` global is always there in a process's chunk.
//!
//! Limits: `memory` and `max_payload` as for functions; a process has no wall-clock deadline
//! unless the entry sets `limits.timeout`.

use std::time::Duration;

use super::library::{CompiledLua, Program};
use crate::config::EntryId;
use crate::engine::Invocation;

#[derive(Debug)]
pub struct ProcessEntry {
    program: Program,
    pub deadline: Option<Duration>,
}

impl ProcessEntry {
    pub fn new<'a>(
        compiled: &'a CompiledLua,
        lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
    ) -> Self {
        ProcessEntry {
            program: Program::new(compiled, lookup, &[]),
            deadline: compiled.spec.limits.timeout,
        }
    }

    /// The invocation of one spawn with `args` (a MessagePack array).
    pub fn invocation(&self, args: Vec<u8>) -> Invocation {
        self.program.invocation(args)
    }
}
