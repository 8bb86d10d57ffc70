//! Processes: `process.lua` entries running as actors (docs/architecture.md §3, Wippy: wippyai/docs en/concepts/process-model.md).
//!
//! A process is a sandbox of its own, driven by one tokio task from `start` to its result. While
//! it waits (on its mailbox, a timer, a call...) no export call is in flight: the task awaits the
//! host operations the sandbox started, including [`Mailbox::take_batch`], and resumes the
//! sandbox with what completed. The [`Node`] holds the table of live processes, their links,
//! monitors and names; [`spawn`] starts one.

pub mod capacity;
mod mailbox;
mod node;
mod pid;
pub mod supervisor;

use std::sync::Arc;

pub use mailbox::{Delivery, MAX_QUEUED, Mailbox, encode_batch};
pub use node::{CANCEL, EXIT, Exit, LINK_DOWN, Node, ProcessError, Slot};
pub use pid::Pid;
use tokio::task::JoinHandle;

use crate::app::{App, CallError};
use crate::engine::Extensions;
use crate::error::RunError;
use crate::kinds::process::ProcessEntry;
use crate::modules::InApp;

/// How a new process is tied to the one that spawns it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ties {
    pub monitor: bool,
    pub link: bool,
}

/// Start `entry` in the process reserved as `slot` (see [`Node::reserve`]); `parent` and `ties`
/// say who monitors or links it from the start. The task ends when the process does, after its
/// exit reached everyone tied to it; it returns the run's own result, with the Lua traceback
/// that the exit reported to others leaves out. The failure of a process spawned by another is
/// logged here; the supervisor and `--exec` report those they start.
pub fn spawn(
    app: &Arc<App>,
    entry: &ProcessEntry,
    slot: Arc<Slot>,
    args: Vec<u8>,
    parent: Option<(&Slot, Ties)>,
) -> Result<JoinHandle<Result<Vec<u8>, RunError>>, ProcessError> {
    let node = app.node();
    if let Some((parent, ties)) = parent {
        let child = slot.pid_text();
        let tied = (if ties.monitor {
            node.monitor(parent.pid.id, child)
        } else {
            Ok(())
        })
        .and_then(|()| {
            if ties.link {
                node.link(parent.pid.id, child)
            } else {
                Ok(())
            }
        });
        if let Err(error) = tied {
            node.exit(slot.pid.id, Exit::Normal(Vec::new()));
            return Err(error);
        }
    }
    let spawned_by_process = parent.is_some();
    let invocation = entry.invocation(args);
    let deadline = entry.deadline;
    let invocation_entry = invocation.entry.clone();
    let app = app.clone();
    Ok(tokio::spawn(async move {
        let caller = Extensions::default()
            .with(Arc::new(InApp {
                app: app.clone(),
                depth: 0,
            }))
            .with(slot.clone());
        let stopped = slot.clone().stopped();
        let result = match app.process_engine() {
            Some(engine) => {
                engine
                    .run_process(invocation, caller, deadline, stopped)
                    .await
            }
            None => Err(RunError::Host(anyhow::anyhow!(
                "this app has no process engine"
            ))),
        };
        let exit = match &result {
            Ok(values) => Exit::Normal(values.clone()),
            Err(error) => {
                if spawned_by_process && !matches!(error, RunError::Stopped(_)) {
                    tracing::warn!(pid = %slot.pid_text(), entry = %invocation_entry, "process failed: {}", error.describe());
                }
                Exit::Failed(CallError::run_error_object(error))
            }
        };
        app.node().exit(slot.pid.id, exit);
        // A terminal's process may leave it in raw mode; the terminal outlives it.
        if app.terminal_host(&slot.pid.host).is_some() {
            app.terminal().reset();
        }
        result
    }))
}
