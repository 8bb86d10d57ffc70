//! The workflow runtime's view of the app ([`WorkflowHost`]): the port through which the
//! runner, the service and the sandboxes reach what the app holds.

use std::path::Path;
use std::sync::Arc;

use super::activity::CallActivity;
use super::service::Workflows;
use super::{HistoryStore, StoreError};
use crate::config::EntryId;
use crate::engine::Engine;
use crate::kinds::workflow::WorkflowEntry;
use crate::modules::AppServices;

/// What the workflow runtime reaches of the app: its workflow entries, the engine and history
/// store they run on, and the service that serves them, besides what modules and activities
/// reach. `app::App` implements it, so nothing here depends on the app.
pub trait WorkflowHost: AppServices + CallActivity {
    /// The app's directory (where the history store and its lock live).
    fn root(&self) -> &Path;
    /// The `workflow.lua` entry `id`, if the app has one.
    fn workflow(&self, id: &EntryId) -> Option<&WorkflowEntry>;
    /// The engine workflows run on (compiled for deterministic execution).
    fn workflow_engine(&self) -> &Engine;
    /// The history store, opened on first use.
    fn history_store(&self) -> Result<Arc<dyn HistoryStore>, StoreError>;
    /// The service, when this process serves the app's workflows.
    fn workflows(&self) -> Option<&Arc<Workflows>>;
    /// Record that this process serves them.
    fn set_workflows(&self, service: Arc<Workflows>);
}
