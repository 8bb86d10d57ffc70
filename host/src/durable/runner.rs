//! Runs one workflow: replays its history in a fresh sandbox, then drives it live, one input
//! per step, until it closes (docs/architecture.md §3, §4).
//!
//! Every step ends with one append to the history store: the input the step delivered, the
//! commands the code issued in it, and the close event if it finished. Only after that append
//! is durable are the commands acted on (activities started, timers armed, messages sent). A
//! crash before the append loses only what nothing outside has seen: the replay after the
//! restart reaches the same point and the input comes again (an activity runs again, a signal
//! is still in the inbox, a timer fires at its recorded time).
//!
//! Signals wait in the store's inbox; one is delivered when the code waits on `receive`
//! (`process.inbox()`, `listen`, `events()`). Two reserved topics are handled here: `@cancel`
//! (delivered as a CANCEL event when the code waits on `receive`, otherwise the workflow closes
//! as canceled) and `@terminate` (closes it at once).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures::FutureExt;
use futures::future::{AbortHandle, Abortable, BoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use rmpv::Value;
use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

use super::drive::{Backend, Close, End, deliver, end_of, execute};
use super::event::Recorded;
use super::host::WorkflowHost;
use super::replay::{WorkflowState, workflow_state};
use super::sandbox::replayed_sandbox;
use super::service::{Control, Workflows};
use super::{Append, History, Signal, Status, StoreError, Workflow, activity};
use crate::codec::lossless::{parse_json, to_json, values_to_json};
use crate::codec::{ErrorObject, encode_values};
use crate::config::EntryId;
use crate::engine::{Progress, Session};
use crate::error::CallError;
use crate::error::ErrorKind;
use crate::error::RunError;

pub const CANCEL_TOPIC: &str = "@cancel";
pub const TERMINATE_TOPIC: &str = "@terminate";

/// An input produced by a running command, waiting to be stamped with the workflow clock.
type Pending = BoxFuture<'static, Option<Recorded>>;

/// Why a workflow stopped running here without closing.
#[derive(Debug, thiserror::Error)]
pub enum Halt {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
}

pub(super) struct Runner {
    service: Arc<Workflows>,
    app: Arc<dyn WorkflowHost>,
    id: String,
    /// Events in the stored history.
    seq: u64,
    pending: FuturesUnordered<Pending>,
    aborts: HashMap<u64, AbortHandle>,
    inbox: VecDeque<Signal>,
    /// The last signal delivered and not yet recorded as leaving the inbox.
    delivered_signal: Option<i64>,
    /// The workflow's row as loaded.
    row: Option<Workflow>,
    control: mpsc::UnboundedReceiver<Control>,
}

/// A workflow after its history was loaded.
enum Resumed {
    Closed(Workflow),
    /// Replayed into this sandbox, which reached this point.
    Running(Box<Session>, Result<Progress, RunError>),
}

impl Runner {
    pub(super) fn new(
        service: Arc<Workflows>,
        app: Arc<dyn WorkflowHost>,
        id: String,
        control: mpsc::UnboundedReceiver<Control>,
    ) -> Self {
        Runner {
            service,
            app,
            id,
            seq: 0,
            pending: FuturesUnordered::new(),
            aborts: HashMap::new(),
            inbox: VecDeque::new(),
            delivered_signal: None,
            row: None,
            control,
        }
    }

    /// Run until the workflow closes (returning its row as closed) or cannot go on here.
    pub(super) async fn run(mut self, history: Option<History>) -> Result<Workflow, Halt> {
        let (mut session, mut progress) = match self.resume(history).await? {
            Resumed::Closed(workflow) => return Ok(workflow),
            Resumed::Running(session, progress) => (session, progress),
        };
        let mut first = true;
        let mut input: Option<Recorded> = None;
        loop {
            let close = self.settle(end_of(&mut session, progress));
            let state = workflow_state(&mut session);
            let fresh = state.take_fresh();
            let mut events: Vec<Recorded> = input.take().into_iter().collect();
            events.extend(fresh.iter().cloned());
            state.recorded(fresh.iter().map(event_size));
            if let Some(close) = close {
                return self.close(events, close).await;
            }
            let signals_through = self.delivered_signal.take();
            if !events.is_empty() || signals_through.is_some() {
                self.append(events, signals_through, None).await?;
            }
            // After a replay, the commands the history left unanswered start (again) too:
            // activities interrupted by a crash, timers not yet fired, children still running.
            let mut to_start = fresh;
            if first {
                to_start.retain(|command| !command.cmd().is_some_and(|cmd| state.is_open(cmd)));
                let open: Vec<Recorded> = state.open_commands().cloned().collect();
                to_start.splice(0..0, open);
                first = false;
            }
            for command in to_start {
                execute(&mut self, command).await;
            }
            let next = match self.next_input(&mut session).await? {
                Ok(next) => next,
                Err(close) => return self.close(Vec::new(), close).await,
            };
            progress = deliver(&mut session, self.seq + 1, &next, event_size(&next))
                .await
                .map_err(Halt::Setup)?;
            input = Some(next);
        }
    }

    /// Load the history and replay it in a fresh sandbox (unless the workflow is closed, or a
    /// terminate request waits in its inbox).
    async fn resume(&mut self, history: Option<History>) -> Result<Resumed, Halt> {
        let history = match history {
            Some(history) => history,
            None => self.service.store().load(&self.id).await?,
        };
        if history.workflow.status != Status::Running {
            return Ok(Resumed::Closed(history.workflow));
        }
        self.row = Some(history.workflow.clone());
        self.seq = history.workflow.events;
        self.inbox = history.signals.into();
        let mut events = Vec::with_capacity(history.events.len());
        for event in &history.events {
            let recorded = Recorded::parse(&event.payload)
                .map_err(|message| Halt::Setup(format!("event #{}: {message}", event.seq)))?;
            events.push((event.seq, recorded, event.payload.len() as u64));
        }
        if let Some(close) = self.reserved_close(false) {
            return Ok(Resumed::Closed(self.close(Vec::new(), close).await?));
        }
        let entry_id = EntryId::resolve(&history.workflow.entry, "")
            .map_err(|message| Halt::Setup(format!("entry: {message}")))?;
        let Some(entry) = self.app.workflow(&entry_id) else {
            return Err(Halt::Setup(format!(
                "the app has no workflow.lua entry '{entry_id}' (it was removed or renamed): the \
                 workflow stays open until the entry is back"
            )));
        };
        let state = WorkflowState::new(&self.id, events).map_err(Halt::Setup)?;
        let (session, progress) =
            replayed_sandbox(&self.app, entry, state, history.workflow.input.clone())
                .await
                .map_err(|error| Halt::Setup(format!("cannot create its sandbox: {error}")))?;
        Ok(Resumed::Running(Box::new(session), progress))
    }

    /// What a step's end means for the workflow: still running (`None`), or how it closes.
    fn settle(&self, end: End) -> Option<Close> {
        match end {
            End::Waiting => None,
            End::Closes(close) => Some(close),
            End::Diverged(divergence) => {
                tracing::error!(workflow = %self.id, "{divergence}");
                let mut error = ErrorObject::new(ErrorKind::NonDeterministic, divergence.0);
                error.retryable = Some(false);
                Some(Close::Failed(error))
            }
            End::Crashed(error) => {
                tracing::warn!(workflow = %self.id, "workflow failed: {error}");
                Some(Close::Failed(CallError::run_error_object(&error)))
            }
        }
    }

    async fn append(
        &mut self,
        events: Vec<Recorded>,
        signals_through: Option<i64>,
        close: Option<(Status, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        let events: Vec<_> = events.iter().map(Recorded::to_new_event).collect();
        let append = Append {
            after: self.seq,
            events,
            signals_through,
            close,
        };
        self.seq = self.service.store().append(&self.id, append).await?;
        Ok(())
    }

    async fn close(&mut self, mut events: Vec<Recorded>, close: Close) -> Result<Workflow, Halt> {
        let (status, event, outcome) = match close {
            Close::Completed(values) => {
                let json = values_to_json(&values).unwrap_or(Json::Null);
                (
                    Status::Completed,
                    Recorded::Completed { values: json },
                    values,
                )
            }
            Close::Failed(error) => {
                let value = error.to_msgpack();
                let event = Recorded::Failed {
                    error: to_json(&value),
                };
                (
                    Status::Failed,
                    event,
                    encode_values(vec![Value::Nil, value]),
                )
            }
            Close::Canceled(reason) => {
                let error =
                    ErrorObject::new(ErrorKind::Canceled, format!("workflow canceled: {reason}"));
                let outcome = encode_values(vec![Value::Nil, error.to_msgpack()]);
                (
                    Status::Canceled,
                    Recorded::WorkflowCanceled { reason },
                    outcome,
                )
            }
            Close::Terminated(reason) => {
                let error = ErrorObject::new(
                    ErrorKind::Canceled,
                    format!("workflow terminated: {reason}"),
                );
                let outcome = encode_values(vec![Value::Nil, error.to_msgpack()]);
                (Status::Terminated, Recorded::Terminated { reason }, outcome)
            }
        };
        events.push(event);
        let through = self.inbox.back().map(|signal| signal.id);
        for abort in self.aborts.values() {
            abort.abort();
        }
        self.append(events, through, Some((status, outcome.clone())))
            .await?;
        let row = self
            .row
            .take()
            .ok_or_else(|| Halt::Setup("closed before it was loaded".into()))?;
        Ok(Workflow {
            status,
            outcome: Some(outcome),
            updated_ms: super::service::now_ms(),
            events: self.seq,
            ..row
        })
    }

    /// A close that a reserved signal in the inbox asks for: `@terminate` always, `@cancel`
    /// unless the code takes it as a CANCEL event.
    fn reserved_close(&self, takes_cancel: bool) -> Option<Close> {
        for signal in &self.inbox {
            let reason = || {
                parse_json::<Json>(&signal.payload)
                    .ok()
                    .and_then(|payload| payload["reason"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            match signal.topic.as_str() {
                TERMINATE_TOPIC => return Some(Close::Terminated(reason())),
                CANCEL_TOPIC if !takes_cancel => return Some(Close::Canceled(reason())),
                _ => {}
            }
        }
        None
    }

    fn track(
        &mut self,
        cmd: u64,
        operation: impl Future<Output = Option<Recorded>> + Send + 'static,
    ) {
        let (abort, registration) = AbortHandle::new_pair();
        self.aborts.insert(cmd, abort);
        self.pending.push(
            Abortable::new(operation, registration)
                .map(|done| done.ok().flatten())
                .boxed(),
        );
    }

    /// Wait for the next input to deliver, or a reserved signal that closes the workflow.
    async fn next_input(&mut self, session: &mut Session) -> Result<Result<Recorded, Close>, Halt> {
        loop {
            let state = workflow_state(session);
            let receive_waiting = state.receive_waiting();
            if let Some(close) = self.reserved_close(state.takes_cancel()) {
                return Ok(Err(close));
            }
            if let Some(handle) = receive_waiting
                && let Some(signal) = self.inbox.pop_front()
            {
                self.delivered_signal = Some(signal.id);
                return Ok(Ok(signal_input(handle, &signal)));
            }
            tokio::select! {
                Some(done) = self.pending.next(), if !self.pending.is_empty() => {
                    if let Some(mut input) = done {
                        input.set_at_ms(super::service::now_ms());
                        if let Some(cmd) = input.cmd() {
                            self.aborts.remove(&cmd);
                        }
                        return Ok(Ok(input));
                    }
                }
                control = self.control.recv() => match control {
                    Some(Control::InboxChanged) => {
                        let delivered = self.delivered_signal.unwrap_or(0);
                        let known = self.inbox.back().map_or(delivered, |s| s.id.max(delivered));
                        let fresh = self.service.store().inbox(&self.id).await?;
                        self.inbox.extend(fresh.into_iter().filter(|s| s.id > known));
                    }
                    Some(Control::Stop) | None => {
                        return Err(Halt::Setup("the host is shutting down".into()));
                    }
                },
            }
        }
    }
}

/// The embedded engine carries out a command once it is recorded: activities and children run
/// on tokio, timers sleep until their recorded time, and what they produce comes back as the
/// next input.
impl Backend for Runner {
    async fn schedule_activity(&mut self, cmd: u64, target: String, args: Vec<u8>, options: Json) {
        let (app, id) = (self.app.clone(), self.id.clone());
        self.track(cmd, async move {
            let outcome = activity::run(app, id, cmd, target, args, options).await;
            let attempts = outcome.attempts;
            Some(match outcome.result {
                Ok(values) => Recorded::ActivityCompleted {
                    cmd,
                    values: values_to_json(&values).unwrap_or(Json::Null),
                    attempts,
                    at_ms: 0,
                },
                Err(error) => Recorded::ActivityFailed {
                    cmd,
                    error: to_json(&error.to_msgpack()),
                    attempts,
                    at_ms: 0,
                },
            })
        });
    }

    async fn start_timer(&mut self, cmd: u64, _duration_ns: u64, fire_at_ms: i64) {
        self.track(cmd, async move {
            let wait = fire_at_ms.saturating_sub(super::service::now_ms()).max(0);
            tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
            Some(Recorded::TimerFired { cmd, at_ms: 0 })
        });
    }

    async fn start_child(&mut self, cmd: u64, entry: String, workflow_id: String, input: Vec<u8>) {
        let service = self.service.clone();
        let parent = self.id.clone();
        self.track(cmd, async move {
            let result = service
                .run_child(&entry, &workflow_id, input, &parent)
                .await;
            Some(match result {
                Ok(values) => Recorded::ChildCompleted {
                    cmd,
                    values: values_to_json(&values).unwrap_or(Json::Null),
                    at_ms: 0,
                },
                Err(error) => Recorded::ChildFailed {
                    cmd,
                    error: to_json(&error.to_msgpack()),
                    at_ms: 0,
                },
            })
        });
    }

    async fn cancel(&mut self, target: u64) {
        if let Some(abort) = self.aborts.remove(&target) {
            abort.abort();
        }
    }

    async fn send(&mut self, _cmd: u64, dest: String, topic: String, values: Vec<u8>) {
        let from = super::workflow_pid(&self.id);
        if let Err(error) =
            super::service::send_from(&self.app, &dest, &topic, Some(from), values).await
        {
            tracing::warn!(workflow = %self.id, "process.send to {dest} failed: {error}");
        }
    }

    /// The marker is the answer, and it is in the history already.
    async fn mark_version(&mut self, _change_id: String, _version: i64) {}
}

/// The size of an event as stored (what `workflow.info().history_size` adds up).
pub fn event_size(event: &Recorded) -> u64 {
    event.to_new_event().payload.len() as u64
}

/// The input that delivers `signal` to the code's `receive`.
fn signal_input(handle: u64, signal: &Signal) -> Recorded {
    let payload: Json = parse_json(&signal.payload).unwrap_or(json!({}));
    let at_ms = super::service::now_ms();
    if signal.topic == CANCEL_TOPIC {
        return Recorded::CancelRequested {
            handle,
            reason: payload["reason"].as_str().unwrap_or_default().to_owned(),
            at_ms,
        };
    }
    Recorded::SignalReceived {
        handle,
        topic: signal.topic.clone(),
        from: payload["from"].as_str().map(str::to_owned),
        values: payload.get("values").cloned().unwrap_or(json!([])),
        at_ms,
    }
}
