//! `process.lua`: an actor. Each spawn runs the entry in a sandbox of its own that lives until
//! its main function returns (or it fails, or is stopped); see [`crate::process`] for mailboxes,
//! links and supervision. The `process` global is always there in a process's chunk.
//!
//! Limits: `memory` and `max_payload` as for functions; a process has no wall-clock deadline
//! unless the entry sets `limits.timeout`.

use std::time::Duration;

use super::library::{CompiledLua, closure, limits_of};
use crate::config::EntryId;
use crate::engine::{Chunk, Invocation, Limits, modules_of};

#[derive(Debug)]
pub struct ProcessEntry {
    pub id: EntryId,
    method: Option<String>,
    chunks: Vec<Chunk>,
    linked: Vec<String>,
    limits: Limits,
    pub deadline: Option<Duration>,
}

impl ProcessEntry {
    pub fn new<'a>(
        compiled: &'a CompiledLua,
        lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
    ) -> Self {
        let spec = &compiled.spec;
        let limits = limits_of(spec);
        let mut chunks = closure(compiled, lookup);
        if let Some(own) = chunks.first_mut()
            && !own.modules.iter().any(|m| m == "process")
        {
            own.modules.push("process".to_owned());
        }
        ProcessEntry {
            id: compiled.id.clone(),
            method: spec.method.clone(),
            linked: modules_of(&chunks),
            chunks,
            limits,
            deadline: spec.limits.timeout,
        }
    }

    /// The invocation of one spawn with `args` (a MessagePack array).
    pub fn invocation(&self, args: Vec<u8>) -> Invocation {
        Invocation {
            entry: self.id.to_string(),
            method: self.method.clone(),
            chunks: self.chunks.clone(),
            linked: self.linked.clone(),
            args,
            limits: self.limits,
        }
    }
}
