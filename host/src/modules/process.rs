//! `wit/process.wit`, the `process` global (Wippy: wippyai/docs en/lua/core/process.md): pids, messages, spawn/exec, links,
//! monitors, cancel/terminate and the name registry, over the app's process table
//! ([`crate::process::Node`]).
//!
//! A `workflow.lua` registered with a `temporal.worker` is started on that worker's Temporal
//! cluster by a spawn or exec whose host is the worker (Wippy: wippyai/docs en/concepts/workflows.md); its pid names the
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

use super::AppSandbox;
use std::sync::Arc;

use rmpv::Value;

use super::AppServices;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::process::{self, SpawnFlags};
use crate::codec::{ErrorObject, encode_values};
use crate::config::EntryId;
use crate::engine::{Extensions, SandboxState};
use crate::error::CallError;
use crate::error::ErrorKind;
use crate::process::{Exit, Node, ProcessError, Slot, Spawned, Ties};
use crate::temporal::remote::{Messages, Started, parse_options};

host_module!(Process, "process", process, Recorded);

/// The pseudo-host of pids given to functions.
const FUNCTION_HOST: &str = "luabox:function";

impl From<ProcessError> for HostError {
    fn from(error: ProcessError) -> Self {
        super::host_error(error.kind, error.message)
    }
}

/// A function's own pid: released when its sandbox ends.
struct BorrowedPid {
    app: Arc<dyn AppServices>,
    slot: Arc<Slot>,
}

/// The process a sandbox is: the one it runs as (a `process.lua` spawn hands it its [`Slot`]),
/// or the pid a function took when it first used `process`.
pub(crate) fn own_slot(state: &SandboxState) -> Option<Arc<Slot>> {
    state.extension_arc::<Slot>().or_else(|| {
        let borrowed = state.module_state_if_any::<Option<BorrowedPid>>()?;
        borrowed.as_ref().map(|pid| pid.slot.clone())
    })
}

impl Drop for BorrowedPid {
    fn drop(&mut self) {
        self.app
            .node()
            .exit(self.slot.pid.id, Exit::Normal(encode_values(Vec::new())));
    }
}

/// What a spawner (`process.with_options{...}:with_message(...)`) adds to a start: the
/// `spawner` payload of `wit/process.wit`.
struct Spawner {
    /// The options table as JSON (`null` without a spawner).
    options: serde_json::Value,
    /// `(topic, values)` to send right after the start, in order.
    messages: Vec<(String, Vec<u8>)>,
    /// `with_context`'s values for the new process.
    context: Vec<(Value, Value)>,
}

impl Spawner {
    fn parse(with: &[u8]) -> Result<Spawner, HostError> {
        let invalid =
            |message: &str| super::host_error(ErrorKind::Invalid, format!("spawner: {message}"));
        let values = crate::codec::decode_values(with).map_err(|_| invalid("malformed"))?;
        let mut values = values.into_iter();
        let (Some(options), Some(messages)) = (values.next(), values.next()) else {
            return Ok(Spawner {
                options: serde_json::Value::Null,
                messages: Vec::new(),
                context: Vec::new(),
            });
        };
        let context = match values.next() {
            Some(Value::Map(values)) => values,
            Some(Value::Array(items)) if items.is_empty() => Vec::new(),
            None | Some(Value::Nil) => Vec::new(),
            Some(_) => return Err(invalid("the context must be a table")),
        };
        let options = crate::codec::table_to_json(&options)
            .map(serde_json::Value::Object)
            .ok_or_else(|| invalid("the options must be a table with string keys"))?;
        let messages = match messages {
            Value::Array(items) => items,
            Value::Map(pairs) if pairs.is_empty() => Vec::new(),
            _ => return Err(invalid("malformed messages")),
        };
        let messages = messages
            .into_iter()
            .map(|message| {
                let Value::Array(mut parts) = message else {
                    return Err(invalid("malformed message"));
                };
                let packed = parts.pop().ok_or_else(|| invalid("malformed message"))?;
                let topic = parts
                    .pop()
                    .and_then(|topic| topic.as_str().map(str::to_owned))
                    .ok_or_else(|| invalid("a message topic must be a string"))?;
                Ok((topic, encode_values(unpacked(packed))))
            })
            .collect::<Result<_, _>>()?;
        Ok(Spawner {
            options,
            messages,
            context,
        })
    }
}

/// The values of a `table.pack(...)`: keys 1..n, with nils where keys are missing.
fn unpacked(packed: Value) -> Vec<Value> {
    match packed {
        Value::Array(values) => values,
        Value::Map(pairs) => {
            let count = pairs
                .iter()
                .find(|(key, _)| key.as_str() == Some("n"))
                .and_then(|(_, n)| n.as_u64())
                .unwrap_or(0)
                .min(pairs.len() as u64);
            (1..=count)
                .map(|index| {
                    pairs
                        .iter()
                        .find(|(key, _)| key.as_u64() == Some(index))
                        .map_or(Value::Nil, |(_, value)| value.clone())
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

impl SandboxState {
    /// The app and this sandbox's process (created on first use for a function).
    fn me(&mut self) -> Result<(Arc<dyn AppServices>, Arc<Slot>), HostError> {
        let app = self
            .app()
            .cloned()
            .ok_or_else(|| super::no_app("process", "registry"))?;
        if let Some(slot) = own_slot(self) {
            return Ok((app, slot));
        }
        let slot = app.node().reserve(FUNCTION_HOST, false)?;
        *self.module_state::<Option<BorrowedPid>>() = Some(BorrowedPid {
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
    fn temporal_worker(&self, host: &str) -> Option<(Arc<dyn AppServices>, EntryId)> {
        let app = self.app()?.clone();
        let id = EntryId::resolve(host, self.namespace()).ok()?;
        app.temporal().directory().worker(&id)?;
        Some((app, id))
    }

    /// Start workflow `entry` on Temporal worker `worker` as `with` says: the options are
    /// checked now; the returned future sends the start (and the spawner's messages).
    fn start_on_temporal(
        &mut self,
        app: Arc<dyn AppServices>,
        worker: EntryId,
        entry: &str,
        args: Vec<u8>,
        with: Spawner,
    ) -> Result<impl Future<Output = Result<Started, ErrorObject>> + use<>, HostError> {
        let entry = self.resolve_entry(entry)?;
        let failed = |error: ErrorObject| HostError {
            kind: error.kind,
            message: error.message,
        };
        let (options, id) = parse_options(&with.options).map_err(failed)?;
        let from = if with.messages.is_empty() {
            None
        } else {
            self.me().ok().map(|(_, me)| me.pid_text().to_string())
        };
        Ok(async move {
            let messages = Messages {
                queued: &with.messages,
                from: from.as_deref(),
            };
            app.temporal()
                .start(&worker, &entry, id, &args, &options, messages)
                .await
        })
    }

    /// Start process `entry` on `host` as `with` says (no options; its messages are sent as
    /// soon as it exists).
    fn start_process(
        &mut self,
        entry: &str,
        host: &str,
        args: Vec<u8>,
        ties: Ties,
        with: Spawner,
    ) -> Result<Spawned, HostError> {
        if !with
            .options
            .as_object()
            .is_none_or(|options| options.is_empty())
        {
            return Err(super::host_error(
                ErrorKind::Invalid,
                "process.with_options: start options apply to workflows on a temporal.worker, \
                 not to processes",
            ));
        }
        let (app, me) = self.me()?;
        let entry = self.resolve_entry(entry)?;
        let host = self.resolve_entry(host)?.to_string();
        // The new process gets this sandbox's context, with_context's values over it.
        let context = super::ctx::of(self)
            .with(with.context)
            .map_err(|message| {
                super::host_error(ErrorKind::Invalid, format!("process.with_context: {message}"))
            })?;
        let handed = Extensions::default().with(Arc::new(context));
        let spawned = app
            .clone()
            .spawn(&entry, &host, args, Some((&me, ties)), handed)?;
        let pid = spawned.0.pid_text().to_string();
        for (topic, values) in with.messages {
            app.node().send(Some(&me), &pid, &topic, values)?;
        }
        Ok(spawned)
    }

    fn resolve_entry(&self, reference: &str) -> Result<EntryId, HostError> {
        EntryId::resolve(reference, self.namespace())
            .map_err(|message| super::host_error(ErrorKind::Invalid, message))
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
                None => Err(super::no_app("process.send", "registry")),
                Some(app) => app
                    .signal(dest, topic, from, values)
                    .await
                    .map_err(|error| super::host_error(error.kind, error.message)),
            };
            match sent {
                Ok(()) => encode_values(vec![Value::Boolean(true)]),
                Err(error) => encode_values(vec![
                    Value::Nil,
                    ErrorObject::new(&error.kind, error.message).to_msgpack(),
                ]),
            }
        })?)
    }

    fn spawn(
        &mut self,
        entry: String,
        host: String,
        args: Vec<u8>,
        options: SpawnFlags,
        spawner: Vec<u8>,
    ) -> wasmtime::Result<Result<process::Spawned, HostError>> {
        let with = match Spawner::parse(&spawner) {
            Ok(with) => with,
            Err(error) => return Ok(Err(error)),
        };
        if let Some((app, worker)) = self.temporal_worker(&host) {
            let start = match self.start_on_temporal(app, worker, &entry, args, with) {
                Ok(start) => start,
                Err(error) => return Ok(Err(error)),
            };
            let handle = self.pending().start(async move {
                match start.await {
                    Ok(started) => encode_values(vec![Value::from(started.pid)]),
                    Err(error) => encode_values(vec![Value::Nil, error.to_msgpack()]),
                }
            })?;
            return Ok(Ok(process::Spawned::Pending(handle)));
        }
        let ties = Ties {
            monitor: options.contains(SpawnFlags::MONITOR),
            link: options.contains(SpawnFlags::LINK),
        };
        Ok(self
            .start_process(&entry, &host, args, ties, with)
            .map(|(slot, _task)| process::Spawned::Pid(slot.pid_text().to_string())))
    }

    fn exec(
        &mut self,
        entry: String,
        host: String,
        args: Vec<u8>,
        spawner: Vec<u8>,
    ) -> wasmtime::Result<u64> {
        let with = Spawner::parse(&spawner);
        if let Some((app, worker)) = self.temporal_worker(&host) {
            let start = with.and_then(|with| {
                self.start_on_temporal(app.clone(), worker.clone(), &entry, args, with)
            });
            return Ok(self.pending().start(async move {
                let outcome = match start {
                    Err(error) => Err(ErrorObject::new(&error.kind, error.message)),
                    Ok(start) => match start.await {
                        Err(error) => Err(error),
                        Ok(started) => app
                            .temporal()
                            .outcome(&worker, &started.workflow_id)
                            .await
                            .and_then(|outcome| outcome),
                    },
                };
                match outcome {
                    Ok(values) => values,
                    Err(error) => encode_values(vec![Value::Nil, error.to_msgpack()]),
                }
            })?);
        }
        let started =
            with.and_then(|with| self.start_process(&entry, &host, args, Ties::default(), with));
        Ok(self.pending().start(async move {
            let error = match started {
                Err(error) => ErrorObject::new(&error.kind, error.message),
                Ok((_, task)) => match task.await {
                    Ok(Ok(values)) => return values,
                    Ok(Err(error)) => CallError::run_error_object(&error),
                    Err(error) => ErrorObject::new(
                        ErrorKind::Internal,
                        format!("the process task failed: {error}"),
                    ),
                },
            };
            encode_values(vec![Value::Nil, error.to_msgpack()])
        })?)
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
        })?)
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
