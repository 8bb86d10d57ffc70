//! The app's hand on its Temporal clusters, as a client: starting a `workflow.lua` entry on the
//! worker it is registered with, signalling, cancelling and awaiting workflows there. Used by
//! `luabox workflow ... --worker` and by Lua (`process.spawn`/`exec` on a `temporal.worker`,
//! `process.send` to a workflow pid naming one). Connections are made on first use and kept.
//!
//! Start options are Wippy: wippyai/docs en/concepts/workflows.md's `temporal.workflow.*` keys (`process.with_options{...}` in
//! Lua, `--options` on the command line): `id`, `execution_timeout`,
//! `run_timeout`, `task_timeout` (durations such as "1h"), `id_conflict_policy`
//! (`use_existing`, the default, `fail` or `terminate_existing`) and `retry_policy`
//! (`initial_interval`, `backoff_coefficient`, `maximum_interval`, `maximum_attempts`,
//! `non_retryable_error_types`).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value as Json;
use temporalio_client::Connection;

use super::client::{self, IdConflict, Start, StartOptions};
use super::{Directory, WorkerEntry, payload, workflow_pid};
use crate::codec::ErrorObject;
use crate::config::EntryId;
use crate::durable::activity::RetryPolicy;
use crate::durable::valid_workflow_id;
use crate::error::ErrorKind;
use crate::registry::Registry;

const PREFIX: &str = "temporal.workflow.";

/// A workflow started on Temporal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub workflow_id: String,
    pub run_id: String,
    /// Its pid (`{workflow@WORKER|ID}`).
    pub pid: String,
}

pub struct Remote {
    directory: Directory,
    connections: tokio::sync::Mutex<HashMap<EntryId, Connection>>,
}

/// Signals to send right after a start (a spawner's `with_message`s), and who sends them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Messages<'a> {
    pub queued: &'a [(String, Vec<u8>)],
    pub from: Option<&'a str>,
}

fn invalid(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorKind::Invalid, message)
}

fn duration(key: &str, value: &Json) -> Result<Duration, ErrorObject> {
    crate::durable::activity::duration(key, value).map_err(invalid)
}

/// Read `temporal.workflow.*` start options; returns them with the `id` option, if given.
pub fn parse_options(options: &Json) -> Result<(StartOptions, Option<String>), ErrorObject> {
    let mut parsed = StartOptions::default();
    let mut id = None;
    let Some(options) = options.as_object() else {
        return match options {
            Json::Null => Ok((parsed, id)),
            _ => Err(invalid("start options must be a table")),
        };
    };
    for (key, value) in options {
        let Some(name) = key.strip_prefix(PREFIX) else {
            return Err(invalid(format!(
                "unknown start option {key:?}: Temporal options are named temporal.workflow.*"
            )));
        };
        match name {
            "id" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| invalid(format!("{key}: expected a string")))?;
                id = Some(text.to_owned());
            }
            "execution_timeout" => parsed.execution_timeout = Some(duration(key, value)?),
            "run_timeout" => parsed.run_timeout = Some(duration(key, value)?),
            "task_timeout" => parsed.task_timeout = Some(duration(key, value)?),
            "id_conflict_policy" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| invalid(format!("{key}: expected a string")))?;
                parsed.id_conflict = text.parse::<IdConflict>().map_err(invalid)?;
            }
            "retry_policy" => {
                parsed.retry_policy = Some(RetryPolicy::parse(key, value).map_err(invalid)?);
            }
            _ => {
                return Err(invalid(format!(
                    "unknown start option {key:?} (known: temporal.workflow.id, \
                     execution_timeout, run_timeout, task_timeout, id_conflict_policy, \
                     retry_policy)"
                )));
            }
        }
    }
    Ok((parsed, id))
}

impl Remote {
    pub fn new(registry: &Registry) -> Self {
        Remote {
            directory: Directory::new(registry),
            connections: tokio::sync::Mutex::default(),
        }
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    fn worker(&self, id: &EntryId) -> Result<&WorkerEntry, ErrorObject> {
        self.directory.worker(id).ok_or_else(|| {
            ErrorObject::new(
                ErrorKind::NotFound,
                format!("no temporal.worker '{id}' in the registry"),
            )
        })
    }

    async fn connection(&self, worker: &WorkerEntry) -> Result<Connection, ErrorObject> {
        let mut connections = self.connections.lock().await;
        if let Some(connection) = connections.get(&worker.config.client) {
            return Ok(connection.clone());
        }
        let connection = client::connect(&worker.client).await?;
        connections.insert(worker.config.client.clone(), connection.clone());
        Ok(connection)
    }

    /// Start `entry` on `worker` as workflow `id` (a new uuid unless given) with `input` (a
    /// MessagePack array); then send `messages`.
    pub async fn start(
        &self,
        worker: &EntryId,
        entry: &EntryId,
        id: Option<String>,
        input: &[u8],
        options: &StartOptions,
        messages: Messages<'_>,
    ) -> Result<Started, ErrorObject> {
        let worker_entry = self.worker(worker)?;
        let Some(registration) = self
            .directory
            .registration(entry)
            .filter(|registration| &registration.worker == worker)
        else {
            return Err(invalid(format!(
                "workflow.lua '{entry}' is not registered on temporal.worker '{worker}': give it \
                 meta.temporal.workflow.worker: {worker}"
            )));
        };
        let workflow_id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        valid_workflow_id(&workflow_id).map_err(invalid)?;
        let arguments = payload::arguments(input).map_err(invalid)?;
        let connection = self.connection(worker_entry).await?;
        let run_id = client::start(
            &connection,
            Start {
                namespace: &worker_entry.client.namespace,
                task_queue: &registration.task_queue,
                workflow_type: &registration.name,
                workflow_id: &workflow_id,
                input: arguments,
                options,
            },
        )
        .await?;
        for (topic, values) in messages.queued {
            self.signal(worker, &workflow_id, topic, values, messages.from)
                .await?;
        }
        Ok(Started {
            pid: workflow_pid(worker, &workflow_id),
            workflow_id,
            run_id,
        })
    }

    /// Signal workflow `workflow_id` on `worker`.
    pub async fn signal(
        &self,
        worker: &EntryId,
        workflow_id: &str,
        topic: &str,
        values: &[u8],
        from: Option<&str>,
    ) -> Result<(), ErrorObject> {
        let worker_entry = self.worker(worker)?;
        let input = payload::arguments(values).map_err(invalid)?;
        let connection = self.connection(worker_entry).await?;
        client::signal(
            &connection,
            &worker_entry.client.namespace,
            workflow_id,
            topic,
            input,
            from,
        )
        .await
    }

    /// Cancel (or, with `terminate`, end at once) workflow `workflow_id` on `worker`.
    pub async fn stop(
        &self,
        worker: &EntryId,
        workflow_id: &str,
        reason: &str,
        terminate: bool,
    ) -> Result<(), ErrorObject> {
        let worker_entry = self.worker(worker)?;
        let connection = self.connection(worker_entry).await?;
        let namespace = &worker_entry.client.namespace;
        if terminate {
            client::terminate(&connection, namespace, workflow_id, reason).await
        } else {
            client::cancel(&connection, namespace, workflow_id, reason).await
        }
    }

    /// Wait for workflow `workflow_id` on `worker` to close: its values or its error.
    pub async fn outcome(
        &self,
        worker: &EntryId,
        workflow_id: &str,
    ) -> Result<Result<Vec<u8>, ErrorObject>, ErrorObject> {
        let worker_entry = self.worker(worker)?;
        let connection = self.connection(worker_entry).await?;
        client::outcome(&connection, &worker_entry.client.namespace, workflow_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn start_options_are_read_and_checked() {
        let (options, id) = parse_options(&json!({
            "temporal.workflow.id": "order-1",
            "temporal.workflow.execution_timeout": "1h",
            "temporal.workflow.id_conflict_policy": "fail",
            "temporal.workflow.retry_policy": {"maximum_attempts": 3, "initial_interval": 500},
        }))
        .unwrap();
        assert_eq!(id.as_deref(), Some("order-1"));
        assert_eq!(options.execution_timeout, Some(Duration::from_secs(3600)));
        assert_eq!(options.id_conflict, IdConflict::Fail);
        let retry = super::super::proto_retry(&options.retry_policy.unwrap());
        assert_eq!(retry.maximum_attempts, 3);
        assert_eq!(retry.initial_interval.unwrap().nanos, 500_000_000);
        let unknown = parse_options(&json!({"temporal.workflow.cron": "x"})).unwrap_err();
        assert!(
            unknown.message.contains("temporal.workflow.cron"),
            "{unknown}"
        );
        let policy = parse_options(&json!({"temporal.workflow.id_conflict_policy": "keep"}));
        assert!(policy.unwrap_err().message.contains("use_existing"));
    }
}
