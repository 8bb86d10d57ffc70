//! `wit/process.wit`, the `process` global (reference §2.6): pids, messages, spawn/exec, links,
//! monitors, cancel/terminate and the name registry, over the app's process table
//! ([`crate::process::Node`]).
//!
//! A `workflow.lua` registered with a `temporal.worker` is started on that worker's Temporal
//! cluster by a spawn or exec whose host is the worker (reference §4); its pid names the
//! worker, and `process.send` to it is a Temporal signal.
//!
//! A `process.lua` sandbox is its process. Any other sandbox that links `process` (a function
//! listing it in `modules:`) gets a pid of its own on first use, on the pseudo-host
//! `luabox:function`, so it can send requests and receive replies; that pid exits with the
//! sandbox. Entry and host references without ':' resolve in the sandbox's namespace.
//!
//! ```lua
//! local inbox = process.inbox()
//! process.send("ponger", "ping", {n = 1})
//! local msg = inbox:receive()
//! ```

use std::sync::Arc;

use rmpv::Value;

use crate::app::{App, CallError, Spawned};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::process::{self, SpawnFlags};
use crate::codec::{ErrorObject, encode_values};
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::process::{Exit, Node, ProcessError, Slot, Ties};

host_module!(Process, "process", process, Recorded);

/// The pseudo-host of pids given to functions.
const FUNCTION_HOST: &str = "luabox:function";

impl From<ProcessError> for HostError {
    fn from(error: ProcessError) -> Self {
        super::host_error(error.kind, error.message)
    }
}

/// A function's own pid: released when its sandbox ends.
pub(crate) struct BorrowedPid {
    app: Arc<App>,
    slot: Arc<Slot>,
}

impl BorrowedPid {
    pub(crate) fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }
}

impl Drop for BorrowedPid {
    fn drop(&mut self) {
        self.app
            .node()
            .exit(self.slot.pid.id, Exit::Normal(encode_values(Vec::new())));
    }
}

impl SandboxState {
    /// The app and this sandbox's process (created on first use for a function).
    fn me(&mut self) -> Result<(Arc<App>, Arc<Slot>), HostError> {
        let app = self
            .app()
            .cloned()
            .ok_or_else(|| super::no_app("process"))?;
        if let Some(slot) = self.process_slot() {
            return Ok((app, slot.clone()));
        }
        let slot = app.node().reserve(FUNCTION_HOST, false)?;
        self.set_borrowed_pid(BorrowedPid {
            app: app.clone(),
            slot: slot.clone(),
        });
        Ok((app, slot))
    }

    /// Run `operation` on the app's process table as this sandbox's process.
    fn on_node<T>(
        &mut self,
        operation: impl FnOnce(&Node, &Slot) -> Result<T, ProcessError>,
    ) -> wasmtime::Result<Result<T, HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(operation(app.node(), &me)?)))
    }

    /// The `temporal.worker` entry `host` names, if it names one.
    fn temporal_worker(&self, host: &str) -> Option<(Arc<App>, EntryId)> {
        let app = self.app()?.clone();
        let id = EntryId::resolve(host, self.namespace()).ok()?;
        app.temporal().directory().worker(&id)?;
        Some((app, id))
    }

    /// Start workflow `entry` on Temporal worker `worker`: checked and named now, sent in the
    /// background (a signal to the pid waits for it).
    fn start_on_temporal(
        &self,
        app: Arc<App>,
        worker: EntryId,
        entry: &str,
        args: Vec<u8>,
    ) -> Result<crate::temporal::remote::Started, HostError> {
        let entry = self.resolve_entry(entry)?;
        let prepared = app
            .temporal()
            .prepare(&worker, &entry, None)
            .map_err(|error| super::host_error(&error.kind, error.message))?;
        let started = prepared.started.clone();
        tokio::spawn(async move {
            let options = crate::temporal::client::StartOptions::default();
            let remote = app.temporal();
            if let Err(error) = remote
                .start(&worker, &entry, prepared, &args, &options)
                .await
            {
                tracing::warn!(workflow = %entry, worker = %worker, "starting a workflow on Temporal failed: {error}");
            }
        });
        Ok(started)
    }

    fn resolve_entry(&self, reference: &str) -> Result<EntryId, HostError> {
        EntryId::resolve(reference, self.namespace())
            .map_err(|message| super::host_error("Invalid", message))
    }

    fn start_process(
        &mut self,
        entry: &str,
        host: &str,
        args: Vec<u8>,
        ties: Ties,
    ) -> Result<Spawned, HostError> {
        let (app, me) = self.me()?;
        let entry = self.resolve_entry(entry)?;
        let host = self.resolve_entry(host)?.to_string();
        Ok(app.spawn(&entry, &host, args, Some((&me, ties)))?)
    }
}

impl process::Host for SandboxState {
    fn pid(&mut self) -> wasmtime::Result<String> {
        Ok(match self.me() {
            Ok((_, slot)) => slot.pid_text().to_string(),
            // Outside an app there is no process table; the pid only names the sandbox.
            Err(_) => format!("{{luabox:eval|{}}}", self.entry()),
        })
    }

    fn send(
        &mut self,
        dest: String,
        topic: String,
        values: Vec<u8>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.send(Some(me), &dest, &topic, values))
    }

    fn signal(&mut self, dest: String, topic: String, values: Vec<u8>) -> wasmtime::Result<u64> {
        let app = self.app().cloned();
        let from = self.me().ok().map(|(_, me)| me.pid_text().to_string());
        Ok(self.pending().start(async move {
            let sent = match app {
                None => Err(super::no_app("process.send")),
                Some(app) => {
                    crate::durable::service::signal_from(&app, &dest, &topic, from, values)
                        .await
                        .map_err(|error| super::host_error(error.kind, error.message))
                }
            };
            match sent {
                Ok(()) => encode_values(vec![Value::Boolean(true)]),
                Err(error) => encode_values(vec![
                    Value::Nil,
                    ErrorObject::new(&error.kind, error.message).to_msgpack(),
                ]),
            }
        }))
    }

    fn spawn(
        &mut self,
        entry: String,
        host: String,
        args: Vec<u8>,
        options: SpawnFlags,
    ) -> wasmtime::Result<Result<String, HostError>> {
        if let Some((app, worker)) = self.temporal_worker(&host) {
            return Ok(self
                .start_on_temporal(app, worker, &entry, args)
                .map(|started| started.pid));
        }
        let ties = Ties {
            monitor: options.contains(SpawnFlags::MONITOR),
            link: options.contains(SpawnFlags::LINK),
        };
        Ok(self
            .start_process(&entry, &host, args, ties)
            .map(|(slot, _task)| slot.pid_text().to_string()))
    }

    fn exec(&mut self, entry: String, host: String, args: Vec<u8>) -> wasmtime::Result<u64> {
        if let Some((app, worker)) = self.temporal_worker(&host) {
            let started = self.start_on_temporal(app.clone(), worker.clone(), &entry, args);
            return Ok(self.pending().start(async move {
                let outcome = match started {
                    Err(error) => Err(ErrorObject::new(&error.kind, error.message)),
                    Ok(started) => app
                        .temporal()
                        .outcome(&worker, &started.workflow_id)
                        .await
                        .and_then(|outcome| outcome),
                };
                match outcome {
                    Ok(values) => values,
                    Err(error) => encode_values(vec![Value::Nil, error.to_msgpack()]),
                }
            }));
        }
        let started = self.start_process(&entry, &host, args, Ties::default());
        Ok(self.pending().start(async move {
            let error = match started {
                Err(error) => ErrorObject::new(&error.kind, error.message),
                Ok((_, task)) => match task.await {
                    Ok(Ok(values)) => return values,
                    Ok(Err(error)) => CallError::run_error_object(&error),
                    Err(error) => {
                        ErrorObject::new("Internal", format!("the process task failed: {error}"))
                    }
                },
            };
            encode_values(vec![Value::Nil, error.to_msgpack()])
        }))
    }

    fn terminate(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.terminate(me, &dest))
    }

    fn cancel(&mut self, dest: String, reason: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.cancel(Some(me), &dest, &reason))
    }

    fn monitor(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.monitor(me.pid.id, &dest))
    }

    fn unmonitor(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.unmonitor(me.pid.id, &dest))
    }

    fn link(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.link(me.pid.id, &dest))
    }

    fn unlink(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| node.unlink(me.pid.id, &dest))
    }

    fn set_trap_links(&mut self, trap: bool) -> wasmtime::Result<()> {
        if let Ok((_, me)) = self.me() {
            me.set_trap_links(trap);
        }
        Ok(())
    }

    fn receive(&mut self) -> wasmtime::Result<u64> {
        let mailbox = self.me().map(|(_, me)| me.mailbox.clone());
        Ok(self.pending().start(async move {
            match mailbox {
                Ok(mailbox) => mailbox.take_batch().await,
                // Outside an app nothing can ever arrive.
                Err(_) => std::future::pending().await,
            }
        }))
    }

    fn register(
        &mut self,
        name: String,
        pid: Option<String>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        self.on_node(|node, me| {
            let id = match pid {
                None => me.pid.id,
                Some(dest) => node.resolve(&dest)?.pid.id,
            };
            node.register(&name, id)
        })
    }

    fn lookup(&mut self, name: String) -> wasmtime::Result<Result<String, HostError>> {
        self.on_node(|node, _| Ok(node.lookup(&name)?.pid_text().to_string()))
    }

    fn unregister(&mut self, name: String) -> wasmtime::Result<bool> {
        Ok(self.me().is_ok_and(|(app, _)| app.node().unregister(&name)))
    }
}
