//! The process table of one luabox host: which processes live, on which `process.host`, the
//! links and monitors between them, and the name registry (Wippy: wippyai/docs en/concepts/process-model.md).
//!
//! One lock guards the table, so the relations change atomically with the set of live
//! processes: a process that exits while another links to it either is linked first (and its
//! exit reaches the linker) or is already gone (and `link` fails with NotFound); nothing falls
//! between. Mailboxes have locks of their own, so sending takes the table lock only to find the
//! receiver.
//!
//! When a process ends ([`Node::exit`]): its names are released; its monitors receive EXIT with
//! the result; if the exit was abnormal, each linked process receives LINK_DOWN when it traps
//! links and is otherwise stopped itself ("linked process ... failed"), which cascades.
//! (`process.exec` awaits the process's task, which ends with its result.)

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rmpv::Value;
use tokio::sync::Notify;

use super::capacity::MappingBudget;
use super::mailbox::{Delivery, Mailbox};
use super::pid::Pid;
use crate::codec::{ErrorObject, decode_values};
use crate::error::ErrorKind;

pub const EXIT: &str = "pid.exit";
pub const LINK_DOWN: &str = "pid.link.down";
pub const CANCEL: &str = "pid.cancel";

/// An expected failure of a process operation; Lua sees `nil, err` of this kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProcessError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ProcessError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProcessError {
            kind,
            message: message.into(),
        }
    }

    /// The same failure as an error object from elsewhere (a kind outside the `errors` kinds
    /// reads as `Internal`).
    pub fn from_error_object(error: crate::codec::ErrorObject) -> Self {
        // RateLimited and NonDeterministic are not kinds a process exit carries.
        let kind = ErrorKind::parse(&error.kind)
            .filter(|kind| !matches!(kind, ErrorKind::RateLimited | ErrorKind::NonDeterministic))
            .unwrap_or(ErrorKind::Internal);
        ProcessError::new(kind, error.message)
    }
}

/// How a process ended.
#[derive(Debug, Clone)]
pub enum Exit {
    /// Its main function returned these values (a MessagePack array).
    Normal(Vec<u8>),
    /// It raised an error, hit a limit, was terminated, or a linked process took it down.
    Failed(ErrorObject),
}

impl Exit {
    /// The `result` table of EXIT and LINK_DOWN events: `{value = first value}` or `{error = e}`.
    fn result(&self) -> Value {
        match self {
            Exit::Normal(values) => {
                let first = decode_values(values)
                    .ok()
                    .and_then(|values| values.into_iter().next())
                    .unwrap_or(Value::Nil);
                Value::Map(vec![(Value::from("value"), first)])
            }
            Exit::Failed(error) => Value::Map(vec![(Value::from("error"), error.to_msgpack())]),
        }
    }
}

/// The shared record of one live process: what others need to reach it.
pub struct Slot {
    pub pid: Pid,
    pid_text: Arc<str>,
    pub mailbox: Arc<Mailbox>,
    trap_links: AtomicBool,
    stop_reason: Mutex<Option<String>>,
    stop_signal: Notify,
}

impl Slot {
    pub fn pid_text(&self) -> &Arc<str> {
        &self.pid_text
    }

    pub fn set_trap_links(&self, trap: bool) {
        self.trap_links.store(trap, Ordering::Relaxed);
    }

    /// Ask the process's driver to end it now, abnormally, with `reason`; the first reason wins.
    pub fn stop(&self, reason: String) {
        let mut current = lock(&self.stop_reason);
        if current.is_none() {
            *current = Some(reason);
            self.stop_signal.notify_one();
        }
    }

    /// Resolves with the reason once [`Slot::stop`] is called.
    pub async fn stopped(self: Arc<Self>) -> String {
        loop {
            if let Some(reason) = lock(&self.stop_reason).clone() {
                return reason;
            }
            self.stop_signal.notified().await;
        }
    }
}

/// A `process.host` as the table sees it.
struct Host {
    running: bool,
    max_processes: u32,
    live: u32,
}

struct Live {
    slot: Arc<Slot>,
    host_counted: bool,
    links: HashSet<u64>,
    monitored_by: HashSet<u64>,
    monitoring: HashSet<u64>,
    names: Vec<String>,
}

#[derive(Default)]
struct Table {
    live: HashMap<u64, Live>,
    names: HashMap<String, u64>,
    hosts: HashMap<String, Host>,
}

#[derive(Default)]
pub struct Node {
    table: Mutex<Table>,
    last_id: AtomicU64,
    /// Set where the kernel leaves room for fewer processes than the hosts allow.
    mapping_budget: OnceLock<MappingBudget>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    /// Make a `process.host` known (not yet running).
    pub fn add_host(&self, id: &str, max_processes: u32) {
        lock(&self.table).hosts.insert(
            id.to_owned(),
            Host {
                running: false,
                max_processes,
                live: 0,
            },
        );
    }

    /// Refuse spawns on hosts beyond `budget.processes` live processes in all.
    pub fn set_mapping_budget(&self, budget: MappingBudget) {
        let _ = self.mapping_budget.set(budget);
    }

    pub fn set_host_running(&self, id: &str, running: bool) {
        if let Some(host) = lock(&self.table).hosts.get_mut(id) {
            host.running = running;
        }
    }

    /// Enter a new process in the table. On a `process.host` (`counted`), the host must be running
    /// and below its limit; other slots (a `luabox run --exec` process, a function that uses
    /// `process`) are named after `host` but not counted.
    pub fn reserve(&self, host: &str, counted: bool) -> Result<Arc<Slot>, ProcessError> {
        let mut table = lock(&self.table);
        if counted && let Some(budget) = self.mapping_budget.get() {
            let live: u64 = table.hosts.values().map(|host| u64::from(host.live)).sum();
            if live >= budget.processes {
                return Err(ProcessError::new(
                    ErrorKind::Unavailable,
                    budget.exhausted(),
                ));
            }
        }
        if counted {
            let Some(state) = table.hosts.get_mut(host) else {
                return Err(ProcessError::new(
                    ErrorKind::NotFound,
                    format!("no process.host '{host}'"),
                ));
            };
            if !state.running {
                return Err(ProcessError::new(
                    ErrorKind::Unavailable,
                    format!("process host '{host}' is not running (give it lifecycle.auto_start)"),
                ));
            }
            if state.live >= state.max_processes {
                return Err(ProcessError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "process host '{host}' is at its limit of {} processes (host.max_processes)",
                        state.max_processes
                    ),
                ));
            }
            state.live += 1;
        }
        let pid = Pid {
            host: host.to_owned(),
            id: self.last_id.fetch_add(1, Ordering::Relaxed) + 1,
        };
        let slot = Arc::new(Slot {
            pid_text: pid.to_string().into(),
            pid: pid.clone(),
            mailbox: Arc::default(),
            trap_links: AtomicBool::new(false),
            stop_reason: Mutex::new(None),
            stop_signal: Notify::new(),
        });
        table.live.insert(
            pid.id,
            Live {
                slot: slot.clone(),
                host_counted: counted,
                links: HashSet::new(),
                monitored_by: HashSet::new(),
                monitoring: HashSet::new(),
                names: Vec::new(),
            },
        );
        Ok(slot)
    }

    /// The live process `dest` names: a pid, or a registered name.
    pub fn resolve(&self, dest: &str) -> Result<Arc<Slot>, ProcessError> {
        let table = lock(&self.table);
        Self::find(&table, dest).map(|id| table.live[&id].slot.clone())
    }

    fn find(table: &Table, dest: &str) -> Result<u64, ProcessError> {
        match Pid::parse(dest) {
            Some(pid) if table.live.contains_key(&pid.id) => Ok(pid.id),
            Some(_) => Err(ProcessError::new(
                ErrorKind::NotFound,
                format!("process {dest} not found (it has exited or never existed)"),
            )),
            None => table.names.get(dest).copied().ok_or_else(|| {
                ProcessError::new(
                    ErrorKind::NotFound,
                    format!("no process is registered as '{dest}' (nor is it a pid)"),
                )
            }),
        }
    }

    pub fn send(
        &self,
        from: Option<&Slot>,
        dest: &str,
        topic: &str,
        values: Vec<u8>,
    ) -> Result<(), ProcessError> {
        self.send_as(from.map(|slot| slot.pid_text.clone()), dest, topic, values)
    }

    /// [`Node::send`] from a sender that is not a process of this table (a workflow).
    pub fn send_as(
        &self,
        from: Option<Arc<str>>,
        dest: &str,
        topic: &str,
        values: Vec<u8>,
    ) -> Result<(), ProcessError> {
        let target = self.resolve(dest)?;
        let delivered = target.mailbox.push_message(Delivery::Message {
            topic: topic.to_owned(),
            from,
            values,
        });
        if delivered {
            Ok(())
        } else {
            Err(ProcessError::new(
                ErrorKind::Unavailable,
                format!(
                    "the mailbox of {dest} is full ({} messages waiting)",
                    super::mailbox::MAX_QUEUED
                ),
            ))
        }
    }

    /// Queue a CANCEL event for `dest`.
    /// `from` is `None` when the host asks (a supervisor at shutdown).
    pub fn cancel(
        &self,
        from: Option<&Slot>,
        dest: &str,
        reason: &str,
    ) -> Result<(), ProcessError> {
        let target = self.resolve(dest)?;
        let from = from.map_or(Value::Nil, |slot| Value::from(&*slot.pid_text));
        target.mailbox.push_event(Value::Map(vec![
            (Value::from("kind"), Value::from(CANCEL)),
            (Value::from("from"), from),
            (Value::from("reason"), Value::from(reason)),
        ]));
        Ok(())
    }

    /// Stop every process on `host`.
    pub fn stop_host(&self, host: &str, reason: &str) {
        let table = lock(&self.table);
        for live in table.live.values() {
            if live.slot.pid.host == host {
                live.slot.stop(reason.to_owned());
            }
        }
    }

    /// End `dest` now.
    pub fn terminate(&self, from: &Slot, dest: &str) -> Result<(), ProcessError> {
        self.resolve(dest)?
            .stop(format!("terminated by {}", from.pid_text));
        Ok(())
    }

    pub fn monitor(&self, watcher: u64, dest: &str) -> Result<(), ProcessError> {
        let mut table = lock(&self.table);
        let target = Self::find(&table, dest)?;
        if target == watcher {
            return Err(ProcessError::new(
                ErrorKind::Invalid,
                "a process cannot monitor itself",
            ));
        }
        if let Some(live) = table.live.get_mut(&target) {
            live.monitored_by.insert(watcher);
        }
        if let Some(live) = table.live.get_mut(&watcher) {
            live.monitoring.insert(target);
        }
        Ok(())
    }

    pub fn unmonitor(&self, watcher: u64, dest: &str) -> Result<(), ProcessError> {
        let mut table = lock(&self.table);
        let target = Self::find(&table, dest)?;
        if let Some(live) = table.live.get_mut(&target) {
            live.monitored_by.remove(&watcher);
        }
        if let Some(live) = table.live.get_mut(&watcher) {
            live.monitoring.remove(&target);
        }
        Ok(())
    }

    pub fn link(&self, me: u64, dest: &str) -> Result<(), ProcessError> {
        let mut table = lock(&self.table);
        let other = Self::find(&table, dest)?;
        if other == me {
            return Err(ProcessError::new(
                ErrorKind::Invalid,
                "a process cannot link to itself",
            ));
        }
        for (a, b) in [(me, other), (other, me)] {
            if let Some(live) = table.live.get_mut(&a) {
                live.links.insert(b);
            }
        }
        Ok(())
    }

    pub fn unlink(&self, me: u64, dest: &str) -> Result<(), ProcessError> {
        let mut table = lock(&self.table);
        let other = Self::find(&table, dest)?;
        for (a, b) in [(me, other), (other, me)] {
            if let Some(live) = table.live.get_mut(&a) {
                live.links.remove(&b);
            }
        }
        Ok(())
    }

    /// Bind `name` to the live process `id`.
    pub fn register(&self, name: &str, id: u64) -> Result<(), ProcessError> {
        if Pid::parse(name).is_some() {
            return Err(ProcessError::new(
                ErrorKind::Invalid,
                format!("'{name}' looks like a pid and cannot be a name"),
            ));
        }
        let mut table = lock(&self.table);
        if let Some(owner) = table.names.get(name) {
            let owner = &table.live[owner].slot.pid_text;
            return Err(ProcessError::new(
                ErrorKind::AlreadyExists,
                format!("name '{name}' is already registered to {owner}"),
            ));
        }
        let Some(live) = table.live.get_mut(&id) else {
            return Err(ProcessError::new(
                ErrorKind::NotFound,
                "the process has exited",
            ));
        };
        live.names.push(name.to_owned());
        table.names.insert(name.to_owned(), id);
        Ok(())
    }

    pub fn lookup(&self, name: &str) -> Result<Arc<Slot>, ProcessError> {
        let table = lock(&self.table);
        match table.names.get(name) {
            Some(id) => Ok(table.live[id].slot.clone()),
            None => Err(ProcessError::new(
                ErrorKind::NotFound,
                format!("no process is registered as '{name}'"),
            )),
        }
    }

    pub fn unregister(&self, name: &str) -> bool {
        let mut table = lock(&self.table);
        let Some(id) = table.names.remove(name) else {
            return false;
        };
        if let Some(live) = table.live.get_mut(&id) {
            live.names.retain(|n| n != name);
        }
        true
    }

    /// Remove process `id` from the table and tell everyone tied to it how it ended.
    pub fn exit(&self, id: u64, exit: Exit) {
        let mut table = lock(&self.table);
        let Some(live) = table.live.remove(&id) else {
            return;
        };
        for name in &live.names {
            table.names.remove(name);
        }
        if live.host_counted
            && let Some(host) = table.hosts.get_mut(&live.slot.pid.host)
        {
            host.live -= 1;
        }
        for target in &live.monitoring {
            if let Some(other) = table.live.get_mut(target) {
                other.monitored_by.remove(&id);
            }
        }
        let from = Value::from(&*live.slot.pid_text);
        let result = exit.result();
        for watcher in &live.monitored_by {
            if let Some(other) = table.live.get(watcher) {
                other.slot.mailbox.push_event(Value::Map(vec![
                    (Value::from("kind"), Value::from(EXIT)),
                    (Value::from("from"), from.clone()),
                    (Value::from("result"), result.clone()),
                ]));
            }
        }
        for linked in &live.links {
            let Some(other) = table.live.get_mut(linked) else {
                continue;
            };
            other.links.remove(&id);
            let Exit::Failed(error) = &exit else {
                continue;
            };
            if other.slot.trap_links.load(Ordering::Relaxed) {
                other.slot.mailbox.push_event(Value::Map(vec![
                    (Value::from("kind"), Value::from(LINK_DOWN)),
                    (Value::from("from"), from.clone()),
                    (Value::from("result"), result.clone()),
                ]));
            } else {
                other.slot.stop(format!(
                    "linked process {} failed: {}",
                    live.slot.pid_text, error.message
                ));
            }
        }
    }
}
