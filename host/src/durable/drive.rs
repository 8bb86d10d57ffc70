//! What the two workflow backends share (docs/architecture.md §3): how a run of the code ends,
//! the one reading of the commands it issued, and the delivery of an input to it.
//!
//! The embedded engine ([`super::runner`]) records each step before acting on it; a Temporal
//! worker (`temporal/run.rs`) turns the same commands into Temporal's. Each is a [`Backend`]:
//! [`execute`] tells it what a recorded command asks for, so what a command means is decided
//! here once, and a backend only says how it is carried out.

use serde_json::Value as Json;

use super::replay::{NonDeterminism, workflow_state};
use crate::codec::ErrorObject;
use crate::codec::lossless::json_to_values;
use crate::durable::event::Recorded;
use crate::engine::{Progress, Session};
use crate::error::RunError;
use crate::kinds::function::returned_error;

/// How a workflow closes.
#[derive(Debug)]
pub enum Close {
    /// The code returned these values (MessagePack).
    Completed(Vec<u8>),
    /// The code returned `nil, err`, raised an error, or diverged from its history.
    Failed(ErrorObject),
    /// A cancel request the code did not take as a CANCEL event, with its reason.
    Canceled(String),
    /// A terminate request, with its reason.
    Terminated(String),
}

/// How the code's last stretch of running ended.
#[derive(Debug)]
pub enum End {
    /// It waits for an input.
    Waiting,
    /// It finished: the workflow closes.
    Closes(Close),
    /// It did something else than its history recorded.
    Diverged(NonDeterminism),
    /// It raised an error, ran out of a limit, or the host failed it.
    Crashed(RunError),
}

/// Read how the code ran, from its books and the `progress` the sandbox reported.
pub fn end_of(session: &mut Session, progress: Result<Progress, RunError>) -> End {
    let state = workflow_state(session);
    if let Some(divergence) = state.divergence() {
        return End::Diverged(divergence.clone());
    }
    match progress {
        Ok(Progress::Waiting) => End::Waiting,
        Ok(Progress::Done(_)) if state.replaying() => End::Diverged(NonDeterminism(format!(
            "non-determinism in workflow '{}' ({}): the code finished, but the history goes on",
            state.id(),
            state.entry()
        ))),
        Ok(Progress::Done(values)) => End::Closes(match returned_error(&values) {
            Some(error) => Close::Failed(error),
            None => Close::Completed(values),
        }),
        Err(error) => End::Crashed(error),
    }
}

/// Deliver `input` (the history's event `seq`, `size` bytes as stored) to the code waiting
/// for it, and let the code run until it waits again or ends.
pub async fn deliver(
    session: &mut Session,
    seq: u64,
    input: &Recorded,
    size: u64,
) -> Result<Result<Progress, RunError>, String> {
    let completion = workflow_state(session)
        .deliver(seq, input, size)
        .map_err(|message| format!("cannot deliver {}: {message}", input.kind()))?;
    Ok(session.resume(&[completion]).await)
}

/// How a backend carries out the commands of the code. Called once per command, when it is
/// first issued live (never for the commands a replay issues again), except that the embedded
/// engine starts again what its history left unanswered when it resumes.
#[allow(async_fn_in_trait)] // used with concrete backends only, whose futures are known
pub trait Backend {
    /// `funcs.call` and the like: run `target` with `args` (MessagePack) under `options`.
    async fn schedule_activity(&mut self, cmd: u64, target: String, args: Vec<u8>, options: Json);
    /// `time.sleep` and timers: fire at `fire_at_ms` on the workflow clock, `duration_ns` after
    /// the command.
    async fn start_timer(&mut self, cmd: u64, duration_ns: u64, fire_at_ms: i64);
    /// A child workflow of `entry` with id `workflow_id`, started with `input` (MessagePack).
    async fn start_child(&mut self, cmd: u64, entry: String, workflow_id: String, input: Vec<u8>);
    /// The code no longer waits on command `target`.
    async fn cancel(&mut self, target: u64);
    /// `process.send` from the workflow.
    async fn send(&mut self, cmd: u64, dest: String, topic: String, values: Vec<u8>);
    /// `workflow.version` gave `version` for `change_id`.
    async fn mark_version(&mut self, change_id: String, version: i64);
}

/// Hand `command` to `backend`. Commands that only record an answer (side effects, uuids)
/// need nothing of it.
pub async fn execute(backend: &mut impl Backend, command: Recorded) {
    match command {
        Recorded::ActivityScheduled {
            cmd,
            target,
            args,
            options,
            ..
        } => {
            backend
                .schedule_activity(cmd, target, values_of(&args), options)
                .await;
        }
        Recorded::TimerStarted {
            cmd,
            duration_ns,
            fire_at_ms,
            ..
        } => backend.start_timer(cmd, duration_ns, fire_at_ms).await,
        Recorded::ChildStarted {
            cmd,
            entry,
            workflow_id,
            input,
            ..
        } => {
            backend
                .start_child(cmd, entry, workflow_id, values_of(&input))
                .await;
        }
        Recorded::Canceled { target, .. } => backend.cancel(target).await,
        Recorded::SignalSent {
            cmd,
            dest,
            topic,
            values,
            ..
        } => backend.send(cmd, dest, topic, values_of(&values)).await,
        Recorded::Version {
            change_id, version, ..
        } => backend.mark_version(change_id, version).await,
        _ => {}
    }
}

/// Values the history recorded, as MessagePack. The code's own values, recorded by this
/// host, always convert back; a hand-edited history that does not gets no values.
fn values_of(json: &Json) -> Vec<u8> {
    json_to_values(json).unwrap_or_else(|_| crate::codec::encode_values(Vec::new()))
}
