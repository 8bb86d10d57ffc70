//! The ports through which what the app composes reaches it back: `App` implements the traits
//! the modules, the process runtime and the workflow runtime declare (`docs/architecture.md` §1),
//! each method handing over to the app's own.

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::{App, CallError, Spawned};
use crate::config::{EntryId, TerminalHost};
use crate::durable::service::Workflows;
use crate::durable::{ActivityInfo, HistoryStore, StoreError};
use crate::engine::Engine;
use crate::kinds::workflow::WorkflowEntry;
use crate::process::{Node, ProcessError, Slot, Ties};
use crate::registry::Registry;
use crate::store::Stores;

impl crate::modules::AppServices for App {
    fn registry(&self) -> &Registry {
        App::registry(self)
    }

    fn env(&self) -> &crate::env::AppEnv {
        App::env(self)
    }

    fn databases(&self) -> &crate::sql::Databases {
        App::databases(self)
    }

    fn stores(&self) -> &Stores {
        App::stores(self)
    }

    fn node(&self) -> &Node {
        App::node(self)
    }

    fn metrics(&self) -> &crate::modules::metrics::Metrics {
        App::metrics(self)
    }

    fn terminal(&self) -> &crate::terminal::Terminal {
        App::terminal(self)
    }

    fn terminal_host(&self, host: &str) -> Option<TerminalHost> {
        App::terminal_host(self, host)
    }

    fn temporal(&self) -> &crate::temporal::remote::Remote {
        App::temporal(self)
    }

    fn call(
        self: Arc<Self>,
        id: EntryId,
        args: Vec<u8>,
        depth: u32,
    ) -> BoxFuture<'static, Result<Vec<u8>, CallError>> {
        Box::pin(async move { App::call(&self, &id, args, depth).await })
    }

    fn spawn(
        self: Arc<Self>,
        id: &EntryId,
        host: &str,
        args: Vec<u8>,
        parent: Option<(&Slot, Ties)>,
    ) -> Result<Spawned, ProcessError> {
        App::spawn(&self, id, host, args, parent)
    }

    fn signal(
        self: Arc<Self>,
        dest: String,
        topic: String,
        from: Option<String>,
        values: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), ProcessError>> {
        Box::pin(async move {
            let host: Arc<dyn crate::durable::host::WorkflowHost> = self;
            crate::durable::service::signal_from(&host, &dest, &topic, from, values).await
        })
    }
}

impl crate::durable::activity::CallActivity for App {
    fn call_activity(
        self: Arc<Self>,
        id: EntryId,
        args: Vec<u8>,
        info: Arc<ActivityInfo>,
    ) -> BoxFuture<'static, Result<Vec<u8>, CallError>> {
        Box::pin(async move { App::call_activity(&self, &id, args, info).await })
    }
}

impl crate::process::spawn::ProcessHost for App {
    fn process_engine(&self) -> Option<&Engine> {
        App::process_engine(self)
    }
}

impl crate::durable::host::WorkflowHost for App {
    fn root(&self) -> &Path {
        App::root(self)
    }

    fn workflow(&self, id: &EntryId) -> Option<&WorkflowEntry> {
        App::workflow(self, id)
    }

    fn workflow_engine(&self) -> &Engine {
        App::workflow_engine(self)
    }

    fn history_store(&self) -> Result<Arc<dyn HistoryStore>, StoreError> {
        App::history_store(self)
    }

    fn workflows(&self) -> Option<&Arc<Workflows>> {
        App::workflows(self)
    }

    fn set_workflows(&self, service: Arc<Workflows>) {
        App::set_workflows(self, service)
    }
}
