//! One workflow run on a Temporal worker: the same `workflow.lua` sandbox as the embedded
//! engine's, driven by Temporal's activations instead of a stored history.
//!
//! An activation's jobs are delivered to the sandbox one by one, in the order Temporal gives
//! them (patch notices first, as they must be known before the code reaches
//! `workflow.version`); between jobs the code runs until it waits. The commands it issues
//! become Temporal commands, numbered by the code's command numbers (`seq`), so a resolution
//! answers the handle the code waits on. Temporal replays a run that left the cache (eviction,
//! worker restart) from its history; it, not luabox, matches the commands against the history
//! and reports a mismatch as a non-determinism error.
//!
//! Signals wait here until the code waits on `receive`; a cancel request reaches the code as a
//! CANCEL event when it reads `process.events()` and waits on `receive`, and otherwise closes
//! the run as canceled, as on the embedded engine.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rmpv::Value;
use serde_json::Value as Json;
use temporalio_common::protos::coresdk::activity_result::activity_resolution;
use temporalio_common::protos::coresdk::child_workflow::{
    ChildWorkflowCancellationType, ParentClosePolicy, child_workflow_result,
};
use temporalio_common::protos::coresdk::common::NamespacedWorkflowExecution;
use temporalio_common::protos::coresdk::workflow_activation::{
    InitializeWorkflow, WorkflowActivation, remove_from_cache::EvictionReason,
    resolve_child_workflow_execution_start, workflow_activation_job::Variant as Job,
};
use temporalio_common::protos::coresdk::workflow_commands::{
    ActivityCancellationType, CancelChildWorkflowExecution, CancelTimer, CancelWorkflowExecution,
    CompleteWorkflowExecution, FailWorkflowExecution, QueryResult, QuerySuccess,
    RequestCancelActivity, ScheduleActivity, SetPatchMarker, SignalExternalWorkflowExecution,
    StartChildWorkflowExecution, StartTimer, UpdateResponse, query_result,
    signal_external_workflow_execution, update_response, workflow_command::Variant as Command,
};
use temporalio_common::protos::coresdk::workflow_completion::WorkflowActivationCompletion;
use temporalio_common::protos::temporal::api::enums::v1::WorkflowTaskFailedCause;
use temporalio_common::protos::temporal::api::failure::v1::Failure;

use super::payload::{self, error_json};
use super::{Directory, WorkerEntry, proto_duration, proto_retry};
use crate::app::App;
use crate::codec::ErrorObject;
use crate::codec::lossless::values_to_json;
use crate::config::EntryId;
use crate::durable::activity::ActivityOptions;
use crate::durable::drive::{Backend, Close, End, deliver, end_of, execute};
use crate::durable::event::Recorded;
use crate::durable::replay::{Activation, TemporalRun, WorkflowState, patch_id, workflow_state};
use crate::durable::sandbox::replayed_sandbox;
use crate::engine::{Progress, Session};
use crate::error::CallError;
use crate::error::ErrorKind;
use crate::error::RunError;

/// What a command the code waits on is, to cancel it the right way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    Activity,
    Timer,
    Child,
}

/// A signal waiting for the code to receive it.
struct Signal {
    topic: String,
    from: Option<String>,
    values: Json,
}

pub struct Run {
    session: Session,
    awaited: HashMap<u64, Awaited>,
    signals: VecDeque<Signal>,
    cancel: Option<String>,
    closed: bool,
    /// What the code issued in the last activation (`what at file:line`), to name the Lua
    /// lines when Temporal finds them different from the history.
    issued: Vec<String>,
}

/// Where a run is: the worker's context.
pub struct Context<'a> {
    pub app: &'a Arc<App>,
    pub worker: &'a WorkerEntry,
}

impl Context<'_> {
    fn directory(&self) -> &Directory {
        self.app.temporal().directory()
    }
}

/// What handling one activation produces.
struct Step {
    commands: Vec<Command>,
    /// Inputs produced here, without Temporal (an activity whose options are malformed).
    immediate: VecDeque<Recorded>,
}

/// An activation that failed: Temporal retries its workflow task.
struct TaskFailure {
    message: String,
    nondeterminism: bool,
}

impl TaskFailure {
    fn host(message: impl Into<String>) -> Self {
        TaskFailure {
            message: message.into(),
            nondeterminism: false,
        }
    }
}

fn millis(timestamp: Option<&prost_wkt_types::Timestamp>) -> i64 {
    timestamp.map_or_else(crate::durable::service::now_ms, |t| {
        t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
    })
}

/// The completion answering `activation` for the run in `slot` (made by its
/// `InitializeWorkflow` job, emptied when the run closes or is evicted).
pub async fn activate(
    context: &Context<'_>,
    slot: &mut Option<Run>,
    activation: WorkflowActivation,
) -> WorkflowActivationCompletion {
    let run_id = activation.run_id.clone();
    let eviction = activation.jobs.iter().find_map(|job| match &job.variant {
        Some(Job::RemoveFromCache(eviction)) => Some(eviction),
        _ => None,
    });
    if let Some(job) = eviction {
        if job.reason == EvictionReason::Nondeterminism as i32 {
            let (workflow, entry, issued) = match slot.as_mut() {
                Some(run) => {
                    let issued = run.issued.join("; ");
                    let state = run.state();
                    (state.id().to_owned(), state.entry().to_owned(), issued)
                }
                None => (String::new(), String::new(), String::new()),
            };
            tracing::error!(
                workflow = %workflow,
                entry = %entry,
                run = %run_id,
                "non-determinism: {}; the code now issues: [{issued}] (Temporal retries the \
                 task: put the change behind workflow.version, or restore the code)",
                job.message
            );
        }
        *slot = None;
        return WorkflowActivationCompletion::empty(run_id);
    }
    match step(context, slot, activation).await {
        Ok(commands) => WorkflowActivationCompletion::from_cmds(run_id, commands),
        Err(failure) => {
            // Temporal evicts the run and retries the task from a replay.
            *slot = None;
            tracing::warn!(run = %run_id, "workflow task failed: {}", failure.message);
            let cause = failure
                .nondeterminism
                .then_some(WorkflowTaskFailedCause::NonDeterministicError);
            let failure = Failure {
                message: failure.message,
                source: payload::SOURCE.to_owned(),
                ..Failure::default()
            };
            WorkflowActivationCompletion::fail(run_id, failure, cause)
        }
    }
}

async fn step(
    context: &Context<'_>,
    slot: &mut Option<Run>,
    activation: WorkflowActivation,
) -> Result<Vec<Command>, TaskFailure> {
    let mut step = Step {
        commands: Vec::new(),
        immediate: VecDeque::new(),
    };
    let mut patches = Vec::new();
    let mut init = None;
    let mut jobs = Vec::new();
    for job in activation.jobs.into_iter().filter_map(|job| job.variant) {
        match job {
            Job::NotifyHasPatch(notice) => patches.push(notice.patch_id),
            Job::InitializeWorkflow(start) => init = Some(start),
            // The seed only changes on a reset; the code keeps the one it started with.
            Job::UpdateRandomSeed(_) => {}
            other => jobs.push(other),
        }
    }
    let observed = Activation {
        at_ms: millis(activation.timestamp.as_ref()),
        replaying: activation.is_replaying,
        history_length: u64::from(activation.history_length),
        history_size: activation.history_size_bytes,
        patches,
    };
    let run = if let Some(init) = init {
        let books = TemporalRun {
            run_id: activation.run_id.clone(),
            workflow_type: init.workflow_type.clone(),
            task_queue: context.worker.config.task_queue.clone(),
            namespace: context.worker.client.namespace.clone(),
            attempt: u32::try_from(init.attempt).unwrap_or(1).max(1),
            pid: super::workflow_pid(&context.worker.id, &init.workflow_id),
            ..TemporalRun::default()
        };
        match start(context, &init, books, observed).await? {
            Started::Running(run, progress) => {
                let run = slot.insert(*run);
                run.settle(context, &mut step, progress).await?;
                run
            }
            Started::Refused(error) => {
                step.commands.push(fail_command(&error));
                return Ok(step.commands);
            }
        }
    } else if let Some(run) = slot.as_mut() {
        run.issued.clear();
        run.state().observe(observed);
        run
    } else {
        return Err(TaskFailure::host(
            "an activation for a run this worker does not hold (it replays from the start)",
        ));
    };
    for job in jobs {
        if run.closed {
            break;
        }
        run.apply(context, &mut step, job).await?;
        run.drain(context, &mut step).await?;
    }
    run.drain(context, &mut step).await?;
    if run.closed {
        *slot = None;
    }
    Ok(step.commands)
}

enum Started {
    Running(Box<Run>, Result<Progress, RunError>),
    /// The run cannot start here: it fails with this error.
    Refused(ErrorObject),
}

async fn start(
    context: &Context<'_>,
    init: &InitializeWorkflow,
    books: TemporalRun,
    observed: Activation,
) -> Result<Started, TaskFailure> {
    let Some(entry_id) = context.worker.workflows.get(&init.workflow_type) else {
        let mut known: Vec<&String> = context.worker.workflows.keys().collect();
        known.sort();
        return Ok(Started::Refused(ErrorObject::new(
            ErrorKind::NotFound,
            format!(
                "workflow type '{}' is not registered on temporal.worker '{}' (registered: {known:?})",
                init.workflow_type, context.worker.id
            ),
        )));
    };
    let Some(entry) = context.app.workflow(entry_id) else {
        return Err(TaskFailure::host(format!(
            "the app has no workflow.lua entry '{entry_id}'"
        )));
    };
    let input = match payload::values_of(&init.arguments) {
        Ok(input) => input,
        Err(message) => {
            return Ok(Started::Refused(ErrorObject::new(
                ErrorKind::Invalid,
                format!("the workflow's input: {message}"),
            )));
        }
    };
    let seed = init.randomness_seed;
    let seed = [seed, seed.rotate_left(32) ^ 0x5DEE_CE66_D1CE_4E5B];
    let mut state =
        WorkflowState::on_temporal(&init.workflow_id, &entry_id.to_string(), seed, books);
    state.observe(observed);
    let (session, progress) = replayed_sandbox(&context.app.workflow_host(), entry, state, input)
        .await
        .map_err(|error| TaskFailure::host(format!("cannot create its sandbox: {error}")))?;
    let run = Run {
        session,
        awaited: HashMap::new(),
        signals: VecDeque::new(),
        cancel: None,
        closed: false,
        issued: Vec::new(),
    };
    Ok(Started::Running(Box::new(run), progress))
}

fn fail_command(error: &ErrorObject) -> Command {
    Command::FailWorkflowExecution(FailWorkflowExecution {
        failure: Some(payload::failure(error)),
    })
}

impl Run {
    fn state(&mut self) -> &mut WorkflowState {
        workflow_state(&mut self.session)
    }

    /// After the code ran: turn its new commands into Temporal's, and close the run if it
    /// finished.
    async fn settle(
        &mut self,
        context: &Context<'_>,
        step: &mut Step,
        progress: Result<Progress, RunError>,
    ) -> Result<(), TaskFailure> {
        let end = end_of(&mut self.session, progress);
        let state = workflow_state(&mut self.session);
        let replaying = state.temporal().is_some_and(|run| run.replaying);
        let pid = state.pid();
        let fresh = state.take_fresh();
        self.issued.extend(fresh.iter().map(|command| {
            format!(
                "{} at {}",
                command.describe(),
                command.line().unwrap_or("?")
            )
        }));
        let mut issue = Issue {
            awaited: &mut self.awaited,
            step,
            context,
            replaying,
            pid: &pid,
        };
        for command in fresh {
            execute(&mut issue, command).await;
        }
        let close = match end {
            End::Waiting => return Ok(()),
            End::Closes(close) => close,
            End::Diverged(divergence) => {
                return Err(TaskFailure {
                    message: divergence.to_string(),
                    nondeterminism: true,
                });
            }
            End::Crashed(RunError::Host(error)) => {
                return Err(TaskFailure::host(format!("{error:#}")));
            }
            End::Crashed(error) => {
                tracing::warn!(workflow = %self.state().id(), "workflow failed: {error}");
                Close::Failed(CallError::run_error_object(&error))
            }
        };
        self.close(step, close)
    }

    /// Close the run with the command for `close`.
    fn close(&mut self, step: &mut Step, close: Close) -> Result<(), TaskFailure> {
        let command = match close {
            Close::Completed(values) => {
                let result = payload::result(&values).map_err(TaskFailure::host)?;
                Command::CompleteWorkflowExecution(CompleteWorkflowExecution {
                    result: Some(result),
                })
            }
            Close::Failed(error) => fail_command(&error),
            // Temporal terminates runs itself; a run only learns of a cancel request.
            Close::Canceled(_) | Close::Terminated(_) => {
                Command::CancelWorkflowExecution(CancelWorkflowExecution { details: None })
            }
        };
        step.commands.push(command);
        self.closed = true;
        Ok(())
    }

    /// Apply one job of an activation.
    async fn apply(
        &mut self,
        context: &Context<'_>,
        step: &mut Step,
        job: Job,
    ) -> Result<(), TaskFailure> {
        let input = match job {
            Job::FireTimer(fired) => Recorded::TimerFired {
                cmd: u64::from(fired.seq),
                at_ms: 0,
            },
            Job::ResolveActivity(resolved) => {
                let cmd = u64::from(resolved.seq);
                let status = resolved.result.and_then(|result| result.status);
                match status {
                    Some(activity_resolution::Status::Completed(done)) => {
                        let values = payload::result_values(done.result.as_ref())
                            .map_err(TaskFailure::host)?;
                        Recorded::ActivityCompleted {
                            cmd,
                            values: values_to_json(&values).unwrap_or(Json::Null),
                            attempts: 1,
                            at_ms: 0,
                        }
                    }
                    Some(activity_resolution::Status::Failed(failed)) => {
                        let error = payload::error_of(&failed.failure.unwrap_or_default());
                        activity_failed(cmd, &error, 1)
                    }
                    Some(activity_resolution::Status::Cancelled(canceled)) => {
                        let error = payload::error_of(&canceled.failure.unwrap_or_default());
                        activity_failed(
                            cmd,
                            &ErrorObject::new(ErrorKind::Canceled, error.message),
                            1,
                        )
                    }
                    // Local activities only, which luabox does not schedule.
                    Some(activity_resolution::Status::Backoff(_)) | None => return Ok(()),
                }
            }
            Job::ResolveChildWorkflowExecutionStart(started) => {
                use resolve_child_workflow_execution_start::Status;
                let cmd = u64::from(started.seq);
                let error = match started.status {
                    Some(Status::Succeeded(_)) | None => return Ok(()),
                    Some(Status::Failed(failed)) => ErrorObject::new(
                        ErrorKind::AlreadyExists,
                        format!("child workflow '{}' exists already", failed.workflow_id),
                    ),
                    Some(Status::Cancelled(canceled)) => {
                        payload::error_of(&canceled.failure.unwrap_or_default())
                    }
                };
                child_failed(cmd, &error)
            }
            Job::ResolveChildWorkflowExecution(resolved) => {
                let cmd = u64::from(resolved.seq);
                let status = resolved.result.and_then(|result| result.status);
                match status {
                    Some(child_workflow_result::Status::Completed(done)) => {
                        let values = payload::result_values(done.result.as_ref())
                            .map_err(TaskFailure::host)?;
                        Recorded::ChildCompleted {
                            cmd,
                            values: values_to_json(&values).unwrap_or(Json::Null),
                            at_ms: 0,
                        }
                    }
                    Some(child_workflow_result::Status::Failed(failed)) => {
                        child_failed(cmd, &payload::error_of(&failed.failure.unwrap_or_default()))
                    }
                    Some(child_workflow_result::Status::Cancelled(canceled)) => child_failed(
                        cmd,
                        &payload::error_of(&canceled.failure.unwrap_or_default()),
                    ),
                    None => child_failed(
                        cmd,
                        &ErrorObject::new(ErrorKind::Internal, "a child workflow without a result"),
                    ),
                }
            }
            Job::SignalWorkflow(signal) => {
                let values = match payload::values_of(&signal.input) {
                    Ok(values) => values,
                    Err(message) => {
                        // Dropped, the same way on every replay: a signal nobody can read
                        // must not stop the workflow.
                        tracing::warn!(
                            workflow = %self.state().id(),
                            signal = %signal.signal_name,
                            "signal dropped: {message}"
                        );
                        return Ok(());
                    }
                };
                self.signals.push_back(Signal {
                    from: super::client::sender(&signal.headers),
                    topic: signal.signal_name,
                    values: values_to_json(&values).unwrap_or(Json::Array(Vec::new())),
                });
                return Ok(());
            }
            Job::CancelWorkflow(cancel) => {
                self.cancel = Some(cancel.reason);
                return Ok(());
            }
            Job::QueryWorkflow(query) => {
                step.commands
                    .push(self.answer_query(query.query_id, &query.query_type));
                return Ok(());
            }
            Job::DoUpdate(update) => {
                let error = ErrorObject::new(
                    ErrorKind::Invalid,
                    format!(
                        "workflow updates are not supported (update '{}')",
                        update.name
                    ),
                );
                step.commands.push(Command::UpdateResponse(UpdateResponse {
                    protocol_instance_id: update.protocol_instance_id,
                    response: Some(update_response::Response::Rejected(payload::failure(
                        &error,
                    ))),
                }));
                return Ok(());
            }
            Job::ResolveSignalExternalWorkflow(resolved) => {
                if let Some(failure) = resolved.failure {
                    tracing::warn!(
                        workflow = %self.state().id(),
                        "a signal it sent was not delivered: {}",
                        failure.message
                    );
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.deliver(context, step, input).await
    }

    /// Deliver an input to the code (unless the command it answers was abandoned) and let the
    /// code run until it waits.
    async fn deliver(
        &mut self,
        context: &Context<'_>,
        step: &mut Step,
        mut input: Recorded,
    ) -> Result<(), TaskFailure> {
        let state = self.state();
        input.set_at_ms(state.clock_ms());
        if let Some(cmd) = input.cmd()
            && !state.is_open(cmd)
        {
            return Ok(());
        }
        let seq = state.temporal().map_or(0, |run| run.history_length);
        let progress = deliver(&mut self.session, seq, &input, 0)
            .await
            .map_err(TaskFailure::host)?;
        self.settle(context, step, progress).await
    }

    /// Deliver what waits for the code: inputs made here, signals while it receives, a cancel
    /// request.
    async fn drain(&mut self, context: &Context<'_>, step: &mut Step) -> Result<(), TaskFailure> {
        while !self.closed {
            if let Some(input) = step.immediate.pop_front() {
                self.deliver(context, step, input).await?;
                continue;
            }
            let state = self.state();
            let receiving = state.receive_waiting();
            let takes_cancel = state.takes_cancel();
            if let Some(reason) = self.cancel.take() {
                if let Some(handle) = receiving.filter(|_| takes_cancel) {
                    let input = Recorded::CancelRequested {
                        handle,
                        reason,
                        at_ms: 0,
                    };
                    self.deliver(context, step, input).await?;
                    continue;
                }
                step.commands
                    .push(Command::CancelWorkflowExecution(CancelWorkflowExecution {
                        details: None,
                    }));
                self.closed = true;
                break;
            }
            if let Some(handle) = receiving
                && let Some(signal) = self.signals.pop_front()
            {
                let input = Recorded::SignalReceived {
                    handle,
                    topic: signal.topic,
                    from: signal.from,
                    values: signal.values,
                    at_ms: 0,
                };
                self.deliver(context, step, input).await?;
                continue;
            }
            break;
        }
        Ok(())
    }

    /// Queries (Wippy: wippyai/docs en/concepts/workflows.md): `pid` gives the workflow's pid, `state` an empty table.
    fn answer_query(&mut self, query_id: String, query_type: &str) -> Command {
        let variant = match query_type {
            "pid" => {
                let pid = self.state().pid();
                query_result::Variant::Succeeded(QuerySuccess {
                    response: Some(payload::value_payload(&Value::from(pid))),
                })
            }
            "state" => query_result::Variant::Succeeded(QuerySuccess {
                response: Some(payload::value_payload(&Value::Map(Vec::new()))),
            }),
            other => query_result::Variant::Failed(payload::failure(&ErrorObject::new(
                ErrorKind::Invalid,
                format!("unknown query type {other:?}: luabox workflows answer 'pid' and 'state'"),
            ))),
        };
        Command::RespondToQuery(QueryResult {
            query_id,
            variant: Some(variant),
        })
    }
}

/// The Temporal commands for the code's commands in one activation, numbered by the code's
/// command numbers.
struct Issue<'r, 'c> {
    awaited: &'r mut HashMap<u64, Awaited>,
    step: &'r mut Step,
    context: &'r Context<'c>,
    /// Whether the activation replays Temporal's history (a message to a process was sent
    /// when it first ran).
    replaying: bool,
    pid: &'r str,
}

fn seq(cmd: u64) -> u32 {
    u32::try_from(cmd).unwrap_or(u32::MAX)
}

impl Backend for Issue<'_, '_> {
    async fn schedule_activity(&mut self, cmd: u64, target: String, args: Vec<u8>, options: Json) {
        match schedule_activity(self.context, seq(cmd), &target, &args, &options) {
            Ok(schedule) => {
                self.awaited.insert(cmd, Awaited::Activity);
                self.step.commands.push(Command::ScheduleActivity(schedule));
            }
            Err(error) => self
                .step
                .immediate
                .push_back(activity_failed(cmd, &error, 0)),
        }
    }

    async fn start_timer(&mut self, cmd: u64, duration_ns: u64, _fire_at_ms: i64) {
        self.awaited.insert(cmd, Awaited::Timer);
        // Temporal's timers fire after at least a millisecond.
        let duration = Duration::from_nanos(duration_ns).max(Duration::from_millis(1));
        self.step.commands.push(Command::StartTimer(StartTimer {
            seq: seq(cmd),
            start_to_fire_timeout: proto_duration(duration),
        }));
    }

    async fn start_child(&mut self, cmd: u64, entry: String, workflow_id: String, input: Vec<u8>) {
        let context = self.context;
        let child = EntryId::resolve(&entry, "")
            .ok()
            .filter(|id| context.app.workflow(id).is_some());
        let Some(child) = child else {
            // As on the embedded engine: only a workflow.lua entry can be a child.
            let error = ErrorObject::new(
                ErrorKind::Invalid,
                format!("no workflow.lua entry '{entry}' in the registry"),
            );
            self.step.immediate.push_back(child_failed(cmd, &error));
            return;
        };
        self.awaited.insert(cmd, Awaited::Child);
        let (workflow_type, task_queue) = context.directory().route(&child, context.worker);
        let start = StartChildWorkflowExecution {
            seq: seq(cmd),
            namespace: context.worker.client.namespace.clone(),
            workflow_id,
            workflow_type,
            task_queue,
            input: payload::arguments(&input).unwrap_or_default(),
            parent_close_policy: ParentClosePolicy::Terminate as i32,
            cancellation_type: ChildWorkflowCancellationType::TryCancel as i32,
            ..StartChildWorkflowExecution::default()
        };
        self.step
            .commands
            .push(Command::StartChildWorkflowExecution(start));
    }

    async fn cancel(&mut self, target: u64) {
        let command = match self.awaited.remove(&target) {
            Some(Awaited::Activity) => {
                Command::RequestCancelActivity(RequestCancelActivity { seq: seq(target) })
            }
            Some(Awaited::Timer) => Command::CancelTimer(CancelTimer { seq: seq(target) }),
            Some(Awaited::Child) => {
                Command::CancelChildWorkflowExecution(CancelChildWorkflowExecution {
                    child_workflow_seq: seq(target),
                    reason: "canceled by its parent".into(),
                })
            }
            None => return,
        };
        self.step.commands.push(command);
    }

    async fn send(&mut self, cmd: u64, dest: String, topic: String, values: Vec<u8>) {
        let context = self.context;
        let target = super::parse_workflow_pid(&dest).and_then(|(worker, id)| {
            let worker = context.directory().worker(&worker)?;
            Some((worker.client.namespace.clone(), id.to_owned()))
        });
        let Some((namespace, workflow_id)) = target else {
            // A process or an embedded workflow: sent once, when first run.
            if !self.replaying {
                let (app, pid) = (context.app.clone(), self.pid.to_owned());
                tokio::spawn(async move {
                    let sent = crate::durable::service::send_from(
                        &app.workflow_host(),
                        &dest,
                        &topic,
                        Some(pid),
                        values,
                    )
                    .await;
                    if let Err(error) = sent {
                        tracing::warn!("process.send to {dest} failed: {error}");
                    }
                });
            }
            return;
        };
        let signal = SignalExternalWorkflowExecution {
            seq: seq(cmd),
            target: Some(
                signal_external_workflow_execution::Target::WorkflowExecution(
                    NamespacedWorkflowExecution {
                        namespace,
                        workflow_id,
                        run_id: String::new(),
                    },
                ),
            ),
            signal_name: topic,
            args: payload::arguments(&values).unwrap_or_default(),
            headers: super::client::sender_fields(self.pid),
        };
        self.step
            .commands
            .push(Command::SignalExternalWorkflowExecution(signal));
    }

    async fn mark_version(&mut self, change_id: String, version: i64) {
        self.step
            .commands
            .push(Command::SetPatchMarker(SetPatchMarker {
                patch_id: patch_id(&change_id, version),
                deprecated: false,
            }));
    }
}

fn child_failed(cmd: u64, error: &ErrorObject) -> Recorded {
    Recorded::ChildFailed {
        cmd,
        error: error_json(error),
        at_ms: 0,
    }
}

/// Activity `cmd` failed with `error` after `attempts` tries (0: it never started).
fn activity_failed(cmd: u64, error: &ErrorObject, attempts: u32) -> Recorded {
    Recorded::ActivityFailed {
        cmd,
        error: error_json(error),
        attempts,
        at_ms: 0,
    }
}

/// `funcs.call` in a workflow as a Temporal activity, with its options (Wippy: wippyai/docs en/concepts/workflows.md).
fn schedule_activity(
    context: &Context<'_>,
    seq: u32,
    target: &str,
    args: &[u8],
    options: &Json,
) -> Result<ScheduleActivity, ErrorObject> {
    let invalid = |message: String| ErrorObject::new(ErrorKind::Invalid, message);
    let options = ActivityOptions::parse(options).map_err(invalid)?;
    let target_id = EntryId::resolve(target, "").map_err(invalid)?;
    let (activity_type, task_queue) = context.directory().route(&target_id, context.worker);
    let arguments = payload::arguments(args).map_err(invalid)?;
    Ok(ScheduleActivity {
        seq,
        activity_id: seq.to_string(),
        activity_type,
        task_queue,
        arguments,
        start_to_close_timeout: proto_duration(options.start_to_close),
        schedule_to_close_timeout: options.schedule_to_close.and_then(proto_duration),
        retry_policy: Some(proto_retry(&options.retry)),
        cancellation_type: ActivityCancellationType::TryCancel as i32,
        ..ScheduleActivity::default()
    })
}
