//! A workflow's sandbox: a fresh instance of the entry on the app's workflow engine, handed the
//! books of its history ([`WorkflowState`]) and driven through the recorded steps, so that it
//! stands where the history left it. Both backends (the SQLite runner and the Temporal worker)
//! open their sandboxes here.

use std::sync::Arc;

use super::host::WorkflowHost;
use super::replay::WorkflowState;
use crate::engine::{Extensions, Progress, Session};
use crate::error::RunError;
use crate::kinds::workflow::WorkflowEntry;
use crate::modules::InApp;

/// A fresh sandbox of workflow `entry` that has replayed the history in `state`: started with
/// `input`, it ran until it finished, failed, or caught up and waits (`progress`).
pub async fn replayed_sandbox(
    app: &Arc<dyn WorkflowHost>,
    entry: &WorkflowEntry,
    state: WorkflowState,
    input: Vec<u8>,
) -> Result<(Session, Result<Progress, RunError>), RunError> {
    let invocation = entry.invocation(input);
    let caller = Extensions::default().with(Arc::new(InApp {
        app: app.clone(),
        depth: 0,
    }));
    let mut session = app
        .workflow_engine()
        .session(&invocation, caller, |sandbox| {
            *sandbox.module_state::<Option<WorkflowState>>() = Some(state);
        })
        .await?;
    let progress = session.start(invocation).await;
    Ok((session, progress))
}
