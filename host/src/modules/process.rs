//! `wit/process.wit`, the `process` global (reference §2.6): pids, messages, spawn/exec, links,
//! monitors, cancel/terminate and the name registry, over the app's process table
//! ([`crate::process::Node`]).
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

use crate::app::App;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::process::{self, SpawnFlags};
use crate::codec::{ErrorObject, encode_values};
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::process::{Exit, ProcessError, Slot, Ties};

host_module!(Process, "process", process);

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
    ) -> Result<Arc<Slot>, HostError> {
        let (app, me) = self.me()?;
        let entry = self.resolve_entry(entry)?;
        let host = self.resolve_entry(host)?.to_string();
        let (slot, _task) = app.spawn(&entry, &host, args, Some((&me, ties)))?;
        Ok(slot)
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
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().send(Some(&me), &dest, &topic, values)?)))
    }

    fn spawn(
        &mut self,
        entry: String,
        host: String,
        args: Vec<u8>,
        options: SpawnFlags,
    ) -> wasmtime::Result<Result<String, HostError>> {
        let ties = Ties {
            monitor: options.contains(SpawnFlags::MONITOR),
            link: options.contains(SpawnFlags::LINK),
        };
        Ok(self
            .start_process(&entry, &host, args, ties)
            .map(|slot| slot.pid_text().to_string()))
    }

    fn exec(&mut self, entry: String, host: String, args: Vec<u8>) -> wasmtime::Result<u64> {
        let started = self.start_process(&entry, &host, args, Ties::default());
        let app = self.app().cloned();
        let exited = match (&started, app) {
            (Ok(slot), Some(app)) => app.node().wait_exit(slot.pid.id),
            _ => None,
        };
        Ok(self.pending().start(async move {
            let exit = match (started, exited) {
                (Err(error), _) => Exit::Failed(ErrorObject::new(&error.kind, error.message)),
                (Ok(_), Some(exited)) => exited.await.unwrap_or_else(|_| {
                    Exit::Failed(ErrorObject::new("Internal", "the process vanished"))
                }),
                (Ok(slot), None) => Exit::Failed(ErrorObject::new(
                    "Internal",
                    format!(
                        "process {} ended before it could be watched",
                        slot.pid_text()
                    ),
                )),
            };
            match exit {
                Exit::Normal(values) => values,
                Exit::Failed(error) => encode_values(vec![Value::Nil, error.to_msgpack()]),
            }
        }))
    }

    fn terminate(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().terminate(&me, &dest)?)))
    }

    fn cancel(&mut self, dest: String, reason: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().cancel(Some(&me), &dest, &reason)?)))
    }

    fn monitor(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().monitor(me.pid.id, &dest)?)))
    }

    fn unmonitor(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().unmonitor(me.pid.id, &dest)?)))
    }

    fn link(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().link(me.pid.id, &dest)?)))
    }

    fn unlink(&mut self, dest: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self
            .me()
            .and_then(|(app, me)| Ok(app.node().unlink(me.pid.id, &dest)?)))
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
        Ok(self.me().and_then(|(app, me)| {
            let id = match pid {
                None => me.pid.id,
                Some(dest) => app.node().resolve(&dest)?.pid.id,
            };
            Ok(app.node().register(&name, id)?)
        }))
    }

    fn lookup(&mut self, name: String) -> wasmtime::Result<Result<String, HostError>> {
        Ok(self
            .me()
            .and_then(|(app, _)| Ok(app.node().lookup(&name)?.pid_text().to_string())))
    }

    fn unregister(&mut self, name: String) -> wasmtime::Result<bool> {
        Ok(self.me().is_ok_and(|(app, _)| app.node().unregister(&name)))
    }
}
