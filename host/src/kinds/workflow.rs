//! `workflow.lua`: a durable workflow (docs/architecture.md §5, Wippy: wippyai/docs en/concepts/workflows.md; run by [`crate::durable`]).
//!
//! Its sandbox is the deterministic world of `wit/workflow.wit`: the `workflow` interface and
//! the deterministic modules (json, yaml, base64, hash) are linked; the workflow-aware modules (funcs,
//! time, uuid, process) are allowed in `modules:` and reach the host through `workflow`; any
//! other module, listed by the entry or by a library it imports, is refused when the app loads
//! ([`WorkflowEntry::refused_modules`]). `process` and `workflow` are always there.

use super::library::{CompiledLua, Program};
use crate::config::EntryId;
use crate::engine::Invocation;
use crate::modules::{self, InWorkflows};

#[derive(Debug)]
pub struct WorkflowEntry {
    program: Program,
}

impl WorkflowEntry {
    pub fn new<'a>(
        compiled: &'a CompiledLua,
        lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
    ) -> Self {
        WorkflowEntry {
            program: Program::new(compiled, lookup, &[modules::WORKFLOW]),
        }
    }

    /// `(chunk id, module)` for each module a chunk of this workflow lists that workflows may
    /// not use.
    pub fn refused_modules(&self) -> Vec<(String, String)> {
        let invocation = self.program.invocation(Vec::new());
        invocation
            .chunks
            .iter()
            .flat_map(|chunk| {
                chunk
                    .modules
                    .iter()
                    .map(move |m| (chunk.id.clone(), m.clone()))
            })
            .filter(|(_, module)| {
                modules::find(module).is_none_or(|m| m.in_workflows() == InWorkflows::Denied)
            })
            .collect()
    }

    /// The invocation of one run with `input` (a MessagePack array): only the deterministic
    /// modules and `workflow` are linked.
    pub fn invocation(&self, input: Vec<u8>) -> Invocation {
        let mut invocation = self.program.invocation(input);
        invocation.deterministic = true;
        invocation.linked.retain(|module| {
            modules::find(module).is_some_and(|m| m.in_workflows() == InWorkflows::Linked)
        });
        invocation
    }
}

/// The message for a module a workflow may not use.
pub fn refused_message(entry: &EntryId, chunk: &str, module: &str) -> String {
    let allowed: Vec<&str> = modules::ALL
        .iter()
        .filter(|m| m.in_workflows() != InWorkflows::Denied)
        .map(|m| m.name())
        .collect();
    let place = if chunk == entry.to_string() {
        String::new()
    } else {
        format!(" (through library '{chunk}')")
    };
    format!(
        "module '{module}' is not allowed in workflow.lua '{entry}'{place}: a workflow must \
         replay the same way every time, so it may use only {}",
        allowed.join(", ")
    )
}
