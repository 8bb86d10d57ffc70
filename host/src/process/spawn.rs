//! Starting a `process.lua` entry in a slot of the process table: its ties to the process that
//! spawned it, the task that runs its sandbox, and its exit.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::{Exit, ProcessError, Slot, Ties};
use crate::engine::{Engine, Extensions};
use crate::error::{CallError, RunError};
use crate::kinds::process::ProcessEntry;
use crate::modules::{AppServices, InApp};

/// What a process's run reaches of the app besides what its modules do: the engine processes run
/// on. `app::App` implements it.
pub trait ProcessHost: AppServices {
    /// The engine of the app's processes; `None` when the app has none.
    fn process_engine(&self) -> Option<&Engine>;
}

/// Start `entry` in the process reserved as `slot` (see [`Node::reserve`]); `parent` and `ties`
/// say who monitors or links it from the start. The task ends when the process does, after its
/// exit reached everyone tied to it; it returns the run's own result, with the Lua traceback
/// that the exit reported to others leaves out. The failure of a process spawned by another is
/// logged here; the supervisor and `--exec` report those they start.
pub fn spawn(
    app: &Arc<dyn ProcessHost>,
    entry: &ProcessEntry,
    slot: Arc<Slot>,
    args: Vec<u8>,
    parent: Option<(&Slot, Ties)>,
    handed: Extensions,
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
        let caller = handed
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
