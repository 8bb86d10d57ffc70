//! Workflows on a Temporal cluster (docs/architecture.md §5, Wippy: wippyai/docs en/concepts/workflows.md, issue 8): luabox as a Temporal
//! worker. Temporal owns each workflow's history; luabox runs the same `workflow.lua` sandboxes
//! as the embedded engine ([`crate::durable`]) and answers Temporal's activations with commands.
//!
//! - [`Directory`]: who is registered where, from the app's `temporal.*` entries and the
//!   `meta.temporal` bindings of its Lua entries;
//! - [`client`]: connections, and starting, signalling, cancelling and awaiting workflows;
//! - [`remote`]: the app's client side: starts by entry and worker, with their options;
//! - [`worker`]: the polling loops of one `temporal.worker` entry;
//! - [`run`]: one workflow run's sandbox, driven by activations;
//! - [`activity`]: activity tasks, each in a fresh function sandbox;
//! - [`payload`]: Lua values and error objects as Temporal payloads and failures.

pub mod activity;
pub mod client;
pub mod payload;
pub mod remote;
pub mod run;
pub mod worker;

use std::collections::HashMap;
use std::time::Duration;

use temporalio_common::protos::temporal::api::common::v1::RetryPolicy as TemporalRetry;

use crate::config::temporal::{TemporalBinding, TemporalClient, TemporalWorker};
use crate::config::{EntryId, Spec};
use crate::durable::activity::RetryPolicy;
use crate::registry::Registry;

/// The pid of workflow `id` running on Temporal worker `worker`: what `process.send` takes to
/// signal it.
pub fn workflow_pid(worker: &EntryId, id: &str) -> String {
    format!("{{workflow@{worker}|{id}}}")
}

/// The worker and workflow id in a pid of [`workflow_pid`].
pub fn parse_workflow_pid(pid: &str) -> Option<(EntryId, &str)> {
    let inner = pid.strip_prefix("{workflow@")?.strip_suffix('}')?;
    let (worker, id) = inner.split_once('|')?;
    Some((EntryId::resolve(worker, "").ok()?, id))
}

/// A duration as Temporal's protos take it (`None` past their range).
pub fn proto_duration(duration: Duration) -> Option<prost_wkt_types::Duration> {
    prost_wkt_types::Duration::try_from(duration).ok()
}

/// A retry policy (of an activity, or of a workflow's start) as Temporal takes it.
pub fn proto_retry(policy: &RetryPolicy) -> TemporalRetry {
    TemporalRetry {
        initial_interval: proto_duration(policy.initial_interval),
        backoff_coefficient: policy.backoff_coefficient,
        maximum_interval: proto_duration(policy.maximum_interval),
        maximum_attempts: i32::try_from(policy.maximum_attempts).unwrap_or(i32::MAX),
        non_retryable_error_types: policy.non_retryable.clone(),
    }
}

/// A `temporal.worker` entry with what is registered on it.
#[derive(Debug, Clone)]
pub struct WorkerEntry {
    pub id: EntryId,
    pub config: TemporalWorker,
    pub client: TemporalClient,
    /// Workflow type name → `workflow.lua` entry.
    pub workflows: HashMap<String, EntryId>,
    /// Activity type name → `function.lua` entry.
    pub activities: HashMap<String, EntryId>,
}

/// Where a workflow or activity entry is registered: its type name and its worker's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub worker: EntryId,
    pub task_queue: String,
}

/// The app's Temporal workers and registrations.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    workers: HashMap<EntryId, WorkerEntry>,
    registrations: HashMap<EntryId, Registration>,
}

impl Directory {
    /// Read from the app's entries (their references were checked when the app loaded).
    pub fn new(registry: &Registry) -> Self {
        let clients: HashMap<&EntryId, &TemporalClient> = registry
            .entries()
            .filter_map(|entry| match &entry.spec {
                Spec::TemporalClient(client) => Some((&entry.id, client)),
                _ => None,
            })
            .collect();
        let mut workers: HashMap<EntryId, WorkerEntry> = registry
            .entries()
            .filter_map(|entry| match &entry.spec {
                Spec::TemporalWorker(worker) => Some((
                    entry.id.clone(),
                    WorkerEntry {
                        id: entry.id.clone(),
                        client: (*clients.get(&worker.client)?).clone(),
                        config: worker.clone(),
                        workflows: HashMap::new(),
                        activities: HashMap::new(),
                    },
                )),
                _ => None,
            })
            .collect();
        let mut registrations = HashMap::new();
        for entry in registry.entries() {
            let Spec::Lua(lua) = &entry.spec else {
                continue;
            };
            let Some(binding) = &lua.temporal else {
                continue;
            };
            let (worker_id, name, is_workflow) = match binding {
                TemporalBinding::Workflow { worker, name } => (worker, name, true),
                TemporalBinding::Activity { worker, name } => (worker, name, false),
            };
            let Some(worker) = workers.get_mut(worker_id) else {
                continue;
            };
            let table = if is_workflow {
                &mut worker.workflows
            } else {
                &mut worker.activities
            };
            table.insert(name.clone(), entry.id.clone());
            registrations.insert(
                entry.id.clone(),
                Registration {
                    name: name.clone(),
                    worker: worker_id.clone(),
                    task_queue: worker.config.task_queue.clone(),
                },
            );
        }
        Directory {
            workers,
            registrations,
        }
    }

    pub fn worker(&self, id: &EntryId) -> Option<&WorkerEntry> {
        self.workers.get(id)
    }

    pub fn workers(&self) -> impl Iterator<Item = &WorkerEntry> {
        self.workers.values()
    }

    /// Where workflow or activity entry `id` is registered, if it is.
    pub fn registration(&self, id: &EntryId) -> Option<&Registration> {
        self.registrations.get(id)
    }

    /// The name Temporal knows entry `id` by on `worker`, with the queue to reach it: its own
    /// registration, else (an entry registered nowhere) its id on `worker`'s queue, where the
    /// worker reports it as not registered.
    pub fn route(&self, id: &EntryId, worker: &WorkerEntry) -> (String, String) {
        self.registrations.get(id).map_or_else(
            || (id.to_string(), worker.config.task_queue.clone()),
            |found| (found.name.clone(), found.task_queue.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_name_worker_and_workflow() {
        let worker = EntryId::resolve("app:orders", "").unwrap();
        let pid = workflow_pid(&worker, "order-7");
        assert_eq!(pid, "{workflow@app:orders|order-7}");
        assert_eq!(parse_workflow_pid(&pid), Some((worker, "order-7")));
        assert_eq!(parse_workflow_pid("{workflow|order-7}"), None);
    }
}
