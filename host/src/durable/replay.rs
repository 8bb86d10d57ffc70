//! The host side of one workflow sandbox: what its `workflow` imports answer (docs/architecture.md §2,
//! `wit/workflow.wit`). Built from the workflow's history, it first *replays*: each command the
//! code issues is matched against the recorded one, recorded answers (uuids, versions) are
//! handed back, and the recorded inputs are delivered through `next` one by one, each once the
//! code has issued exactly the commands it had issued when the input first came. Then it is
//! *live*: commands are collected in [`WorkflowState::take_fresh`] for the runner to record and
//! act on, and `next` has nothing more.
//!
//! Any difference between the code and the history is a [`NonDeterminism`] trap: the sandbox
//! stops at once (Lua cannot catch it) and the message names the event, what the history has,
//! what the code did and the Lua line.
//!
//! On a Temporal worker ([`WorkflowState::on_temporal`]) Temporal owns the history and checks the
//! commands against it itself: the state is always live, answers what the embedded engine
//! records (uuids) from the run's randomness seed, and takes `workflow.version` from the patch
//! markers Temporal reports ([`TemporalRun`]).

use std::collections::{BTreeMap, HashMap};

use rmpv::Value;
use serde_json::Value as Json;

use super::event::{Recorded, Sort};
use crate::bindings::Completion;
use crate::codec::encode_values;
use crate::codec::lossless::{json_to_values, values_to_json};
use crate::engine::{SandboxState, Session};
use crate::process::Delivery;

/// Handles of `receive` calls start here, above any command number.
const RECEIVE_HANDLES: u64 = 1 << 40;

/// A workflow's code did not do what its history recorded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct NonDeterminism(pub String);

/// An input of the history and the number of commands issued before it was delivered.
struct Input {
    seq: u64,
    event: Recorded,
    commands_before: usize,
}

pub struct WorkflowState {
    id: String,
    entry: String,
    seed: [u64; 2],
    clock_ms: i64,
    /// Recorded commands with their event numbers, in order.
    recorded: Vec<(u64, Recorded)>,
    inputs: Vec<Input>,
    next_input: usize,
    /// Commands the code has issued so far.
    issued: usize,
    receives: u64,
    /// The `receive` handle the code waits on, if any.
    receive_waiting: Option<u64>,
    versions: HashMap<String, i64>,
    /// Whether the code reads `process.events()` (and so handles cancel requests itself).
    events_watched: bool,
    /// Commands waiting for an answer (activities, timers, children), by number.
    open: BTreeMap<u64, Recorded>,
    /// Events of the history the code has seen (for `workflow.info`).
    history_length: u64,
    history_size: u64,
    /// Stored sizes of the events, in order, and how many of them `history_size` adds up.
    sizes: Vec<u64>,
    sized: usize,
    fresh: Vec<Recorded>,
    divergence: Option<NonDeterminism>,
    temporal: Option<TemporalRun>,
    /// On a Temporal worker: the generator of uuids, seeded from the run's randomness seed.
    derived_uuids: u64,
}

/// What a workflow state on a Temporal worker knows of its run.
#[derive(Debug, Clone, Default)]
pub struct TemporalRun {
    pub run_id: String,
    pub workflow_type: String,
    pub task_queue: String,
    pub namespace: String,
    pub attempt: u32,
    /// The run's pid (naming its worker).
    pub pid: String,
    /// Whether the activation being handled replays history.
    pub replaying: bool,
    pub history_length: u64,
    pub history_size: u64,
    /// Patch markers of the history (`CHANGE_ID@VERSION`).
    pub patches: Vec<String>,
}

/// What a Temporal activation says of its run: the time it is handled at, whether it replays
/// history, the history's length and size so far, and the patch markers it reports.
#[derive(Debug, Clone, Default)]
pub struct Activation {
    pub at_ms: i64,
    pub replaying: bool,
    pub history_length: u64,
    pub history_size: u64,
    pub patches: Vec<String>,
}

/// The patch id of `workflow.version(change_id, ...)` having given `version`.
pub fn patch_id(change_id: &str, version: i64) -> String {
    format!("{change_id}@{version}")
}

impl WorkflowState {
    /// The state for replaying `events` (the whole history, `workflow.started` first, as
    /// `(seq, event, stored size)`).
    pub fn new(id: &str, events: Vec<(u64, Recorded, u64)>) -> Result<Self, String> {
        let mut events = events.into_iter();
        let Some((
            _,
            Recorded::Started {
                entry, seed, at_ms, ..
            },
            first_size,
        )) = events.next()
        else {
            return Err(format!(
                "the history of workflow '{id}' does not begin with workflow.started"
            ));
        };
        let mut state = WorkflowState {
            id: id.to_owned(),
            entry,
            seed,
            clock_ms: at_ms,
            recorded: Vec::new(),
            inputs: Vec::new(),
            next_input: 0,
            issued: 0,
            receives: 0,
            receive_waiting: None,
            versions: HashMap::new(),
            events_watched: false,
            open: BTreeMap::new(),
            history_length: 1,
            history_size: first_size,
            sizes: vec![first_size],
            sized: 1,
            fresh: Vec::new(),
            divergence: None,
            temporal: None,
            derived_uuids: 0,
        };
        for (seq, event, size) in events {
            state.sizes.push(size);
            match event.sort() {
                Sort::Command => state.recorded.push((seq, event)),
                Sort::Input => state.inputs.push(Input {
                    seq,
                    event,
                    commands_before: state.recorded.len(),
                }),
                Sort::Start => return Err(format!("event #{seq} starts the workflow again")),
                Sort::Close => {}
            }
        }
        Ok(state)
    }

    /// The state of a run on a Temporal worker, with `seed`: every command is fresh (Temporal
    /// matches them against its history). Its clock is set by [`Self::observe`].
    pub fn on_temporal(id: &str, entry: &str, seed: [u64; 2], run: TemporalRun) -> Self {
        let started = Recorded::Started {
            entry: entry.to_owned(),
            input: Json::Null,
            seed,
            at_ms: 0,
            parent: None,
        };
        let mut state =
            Self::new(id, vec![(1, started, 0)]).expect("a history of its start event is valid");
        state.temporal = Some(run);
        state.derived_uuids = seed[0] ^ seed[1].rotate_left(17);
        state
    }

    /// The Temporal run's books, on a Temporal worker.
    pub fn temporal(&self) -> Option<&TemporalRun> {
        self.temporal.as_ref()
    }

    /// On a Temporal worker: take in what the activation being handled says of the run.
    pub fn observe(&mut self, activation: Activation) {
        self.clock_ms = activation.at_ms;
        if let Some(run) = self.temporal.as_mut() {
            run.replaying = activation.replaying;
            run.history_length = activation.history_length;
            run.history_size = activation.history_size;
            run.patches.extend(activation.patches);
        }
    }

    /// On a Temporal worker, a uuid derived from the run's seed (the same on every replay);
    /// `None` on the embedded engine, which records a random one.
    pub fn derived_uuid(&mut self, version: u8) -> Option<::uuid::Uuid> {
        self.temporal.as_ref()?;
        let clock_ms = self.clock_ms;
        let state = &mut self.derived_uuids;
        // SplitMix64, spelled out: a replay must get the same uuids from any later luabox,
        // which a library generator does not promise across its releases.
        let mut next = || {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let bytes = (u128::from(next()) << 64 | u128::from(next())).to_be_bytes();
        Some(match version {
            7 => {
                let millis = u64::try_from(clock_ms).unwrap_or_default();
                let mut random = [0u8; 10];
                random.copy_from_slice(&bytes[..10]);
                ::uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
            }
            _ => ::uuid::Builder::from_random_bytes(bytes).into_uuid(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The workflow's pid: what `process.send` takes to signal it.
    pub fn pid(&self) -> String {
        match &self.temporal {
            Some(run) => run.pid.clone(),
            None => super::workflow_pid(&self.id),
        }
    }

    pub fn entry(&self) -> &str {
        &self.entry
    }

    pub fn clock_ms(&self) -> i64 {
        self.clock_ms
    }

    pub fn clock_ns(&self) -> u64 {
        u64::try_from(self.clock_ms)
            .unwrap_or_default()
            .saturating_mul(1_000_000)
    }

    /// The number the next command issued will have (and its handle, if it waits).
    pub fn next_cmd(&self) -> u64 {
        self.issued as u64 + 1
    }

    pub fn seed(&self) -> (u64, u64) {
        (self.seed[0], self.seed[1])
    }

    /// Whether recorded inputs or commands remain to be replayed.
    pub fn replaying(&self) -> bool {
        self.next_input < self.inputs.len() || self.issued < self.recorded.len()
    }

    /// The divergence that stopped the sandbox, if any.
    pub fn divergence(&self) -> Option<&NonDeterminism> {
        self.divergence.as_ref()
    }

    /// The commands issued live since the last call, to record and then act on.
    pub fn take_fresh(&mut self) -> Vec<Recorded> {
        std::mem::take(&mut self.fresh)
    }

    /// Commands still waiting for an answer.
    pub fn open_commands(&self) -> impl Iterator<Item = &Recorded> {
        self.open.values()
    }

    pub fn is_open(&self, cmd: u64) -> bool {
        self.open.contains_key(&cmd)
    }

    /// The `receive` the code waits on, if any.
    pub fn receive_waiting(&self) -> Option<u64> {
        self.receive_waiting
    }

    /// `workflow.info()`.
    pub fn info(&self) -> Vec<u8> {
        let field = |name: &str, value: Value| (Value::from(name), value);
        let Some(run) = &self.temporal else {
            return encode_values(vec![Value::Map(vec![
                field("workflow_id", Value::from(self.id.as_str())),
                field("run_id", Value::from(self.id.as_str())),
                field("workflow_type", Value::from(self.entry.as_str())),
                field("attempt", Value::from(1)),
                field("history_length", Value::from(self.history_length)),
                field("history_size", Value::from(self.history_size)),
            ])]);
        };
        encode_values(vec![Value::Map(vec![
            field("workflow_id", Value::from(self.id.as_str())),
            field("run_id", Value::from(run.run_id.as_str())),
            field("workflow_type", Value::from(run.workflow_type.as_str())),
            field("task_queue", Value::from(run.task_queue.as_str())),
            field("namespace", Value::from(run.namespace.as_str())),
            field("attempt", Value::from(run.attempt)),
            field("history_length", Value::from(run.history_length)),
            field("history_size", Value::from(run.history_size)),
        ])])
    }

    fn stop(&mut self, message: String) -> NonDeterminism {
        let error = NonDeterminism(format!(
            "non-determinism in workflow '{}' ({}): {message}",
            self.id, self.entry
        ));
        self.divergence = Some(error.clone());
        error
    }

    /// The number of commands that may be issued before the next recorded input.
    fn commands_until_next_input(&self) -> usize {
        self.inputs
            .get(self.next_input)
            .map_or(self.recorded.len(), |input| input.commands_before)
    }

    fn recorded_at(&self, index: usize) -> String {
        let (seq, event) = &self.recorded[index];
        format!(
            "event #{seq} ({}): the history has {} issued at {}",
            event.kind(),
            event.describe(),
            event.line().unwrap_or("?")
        )
    }

    /// The code issues `command` (its `cmd` is ignored and set here). Replaying, the recorded
    /// command is returned; live, `None`.
    pub fn issue(&mut self, mut command: Recorded) -> Result<Option<Recorded>, NonDeterminism> {
        let cmd = self.issued as u64 + 1;
        command.set_cmd(cmd);
        let limit = self.commands_until_next_input();
        let replayed = if self.issued < limit {
            let recorded = self.recorded[self.issued].1.clone();
            if !command.same_command(&recorded) {
                let at = self.recorded_at(self.issued);
                return Err(self.stop(format!(
                    "{at}, but the code now issues {} at {}",
                    command.describe(),
                    command.line().unwrap_or("?")
                )));
            }
            Some(recorded)
        } else if let Some(input) = self.inputs.get(self.next_input) {
            let (seq, kind) = (input.seq, input.event.kind());
            return Err(self.stop(format!(
                "the code issues {} at {}, which the history does not have: it next has event \
                 #{seq} ({kind})",
                command.describe(),
                command.line().unwrap_or("?")
            )));
        } else {
            None
        };
        self.issued += 1;
        let effective = replayed.clone().unwrap_or_else(|| command.clone());
        match &effective {
            Recorded::ActivityScheduled { .. }
            | Recorded::TimerStarted { .. }
            | Recorded::ChildStarted { .. } => {
                self.open.insert(cmd, effective.clone());
            }
            Recorded::Canceled { target, .. } => {
                self.open.remove(target);
            }
            _ => {}
        }
        if replayed.is_none() {
            self.fresh.push(command);
        }
        Ok(replayed)
    }

    /// `workflow.version(change_id, min, max)`: see `wit/workflow.wit`.
    pub fn version(
        &mut self,
        change_id: &str,
        min: i64,
        max: i64,
        line: &str,
    ) -> Result<Result<i64, String>, NonDeterminism> {
        if let Some(version) = self.versions.get(change_id) {
            return Ok(check_range(change_id, *version, min, max));
        }
        let version = match self.version_marker(change_id, max) {
            Some(marked) => {
                let issued = self.issue(Recorded::Version {
                    cmd: 0,
                    change_id: change_id.to_owned(),
                    version: marked,
                    line: line.to_owned(),
                })?;
                match issued {
                    Some(Recorded::Version { version, .. }) => version,
                    _ => marked,
                }
            }
            // The history was recorded before this change: the code took the old path there.
            None => min,
        };
        self.versions.insert(change_id.to_owned(), version);
        Ok(check_range(change_id, version, min, max))
    }

    /// The version a `workflow.version(change_id, _, max)` marker records, or `None` when the
    /// run passed that point before the change existed (no marker: the old path).
    ///
    /// Embedded: the recorded marker is next (its version wins when issued), or the run is
    /// live (`max`). On Temporal: the run's patch marker `CHANGE_ID@VERSION` (issued again so
    /// Temporal sees the same commands), or `max` when the activation is live.
    fn version_marker(&self, change_id: &str, max: i64) -> Option<i64> {
        let Some(run) = &self.temporal else {
            let limit = self.commands_until_next_input();
            let marker_next = self.issued < limit
                && matches!(&self.recorded[self.issued].1,
                    Recorded::Version { change_id: c, .. } if c == change_id);
            return (marker_next || !self.replaying()).then_some(max);
        };
        let prefix = format!("{change_id}@");
        let recorded = run
            .patches
            .iter()
            .find_map(|patch| patch.strip_prefix(&prefix)?.parse::<i64>().ok());
        recorded.or((!run.replaying).then_some(max))
    }

    pub fn watch_events(&mut self) {
        self.events_watched = true;
    }

    /// Whether a cancel request should reach the code as a CANCEL event: it reads
    /// `process.events()` and waits on `receive` now.
    pub fn takes_cancel(&self) -> bool {
        self.events_watched && self.receive_waiting.is_some()
    }

    /// A new `receive` handle.
    pub fn receive(&mut self) -> u64 {
        self.receives += 1;
        let handle = RECEIVE_HANDLES + self.receives;
        self.receive_waiting = Some(handle);
        handle
    }

    /// The next recorded input to deliver while replaying; `None` once the history is used up.
    pub fn next_recorded(&mut self) -> Result<Option<Completion>, NonDeterminism> {
        let Some(input) = self.inputs.get(self.next_input) else {
            if self.issued < self.recorded.len() {
                let at = self.recorded_at(self.issued);
                return Err(self.stop(format!("{at}, but the code now waits without issuing it")));
            }
            return Ok(None);
        };
        if self.issued < input.commands_before {
            let at = self.recorded_at(self.issued);
            return Err(self.stop(format!("{at}, but the code now waits without issuing it")));
        }
        let (seq, event) = (input.seq, input.event.clone());
        self.next_input += 1;
        self.delivered(seq, &event)
            .map(Some)
            .map_err(|message| self.stop(format!("event #{seq} ({}): {message}", event.kind())))
    }

    /// Account for commands recorded live (their stored sizes, in order).
    pub fn recorded(&mut self, sizes: impl IntoIterator<Item = u64>) {
        self.sizes.extend(sizes);
    }

    /// Account for an input delivered live (recorded as event `seq`) and build its completion.
    pub fn deliver(&mut self, seq: u64, event: &Recorded, size: u64) -> Result<Completion, String> {
        self.sizes.push(size);
        self.delivered(seq, event)
    }

    fn delivered(&mut self, seq: u64, event: &Recorded) -> Result<Completion, String> {
        if let Some(at_ms) = event.at_ms() {
            self.clock_ms = at_ms;
        }
        self.history_length = seq;
        let through = (seq as usize).min(self.sizes.len());
        self.history_size += self.sizes[self.sized.min(through)..through]
            .iter()
            .sum::<u64>();
        self.sized = self.sized.max(through);
        let completion = completion_of(event)?;
        match event {
            Recorded::SignalReceived { handle, .. } | Recorded::CancelRequested { handle, .. } => {
                if self.receive_waiting != Some(*handle) {
                    return Err(format!(
                        "it answers receive #{}, but the code does not wait on it",
                        handle - RECEIVE_HANDLES
                    ));
                }
                self.receive_waiting = None;
            }
            _ => {
                let cmd = event.cmd().unwrap_or_default();
                if self.open.remove(&cmd).is_none() {
                    return Err(format!(
                        "it answers command #{cmd}, which the code has not issued or no longer \
                         waits on"
                    ));
                }
            }
        }
        Ok(completion)
    }
}

fn check_range(change_id: &str, version: i64, min: i64, max: i64) -> Result<i64, String> {
    if (min..=max).contains(&version) {
        Ok(version)
    } else {
        Err(format!(
            "workflow.version('{change_id}'): this run has version {version}, which the code no \
             longer supports (min {min}, max {max})"
        ))
    }
}

/// The books of a workflow's session (`durable::sandbox::replayed_sandbox` opens them).
pub fn workflow_state(session: &mut Session) -> &mut WorkflowState {
    books(session.state()).expect("a workflow session holds its workflow state")
}

/// The books of a workflow's sandbox (`None` in any other sandbox).
pub fn books(sandbox: &mut SandboxState) -> Option<&mut WorkflowState> {
    sandbox.module_state::<Option<WorkflowState>>().as_mut()
}

/// The completion the code receives for an input.
pub fn completion_of(event: &Recorded) -> Result<Completion, String> {
    let failure = |error: &Json| -> Result<Vec<u8>, String> {
        let error = crate::codec::lossless::from_json(error)?;
        Ok(encode_values(vec![Value::Nil, error]))
    };
    let (handle, values) = match event {
        Recorded::ActivityCompleted { cmd, values, .. }
        | Recorded::ChildCompleted { cmd, values, .. } => (*cmd, json_to_values(values)?),
        Recorded::ActivityFailed { cmd, error, .. } | Recorded::ChildFailed { cmd, error, .. } => {
            (*cmd, failure(error)?)
        }
        Recorded::TimerFired { cmd, .. } => (*cmd, encode_values(Vec::new())),
        Recorded::SignalReceived {
            handle,
            topic,
            from,
            values,
            ..
        } => {
            let delivery = Delivery::Message {
                topic: topic.clone(),
                from: from.as_deref().map(Into::into),
                values: json_to_values(values)?,
            };
            (*handle, crate::process::encode_batch(&[delivery]))
        }
        Recorded::CancelRequested { handle, reason, .. } => {
            let event = Value::Map(vec![
                (Value::from("kind"), Value::from(crate::process::CANCEL)),
                (Value::from("reason"), Value::from(reason.as_str())),
            ]);
            (
                *handle,
                crate::process::encode_batch(&[Delivery::Event(event)]),
            )
        }
        other => return Err(format!("{} is not an input", other.kind())),
    };
    Ok(Completion { handle, values })
}

/// The JSON of a MessagePack array of values from the sandbox (for recording).
pub fn recorded_values(payload: &[u8]) -> Json {
    values_to_json(payload).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn started() -> (u64, Recorded, u64) {
        (
            1,
            Recorded::Started {
                entry: "app:w".into(),
                input: json!([]),
                seed: [1, 2],
                at_ms: 1000,
                parent: None,
            },
            10,
        )
    }

    fn activity(cmd: u64, target: &str, line: &str) -> Recorded {
        Recorded::ActivityScheduled {
            cmd,
            target: target.into(),
            args: json!([1]),
            options: json!({}),
            line: line.into(),
        }
    }

    #[test]
    fn replay_matches_commands_then_goes_live() {
        let history = vec![
            started(),
            (2, activity(1, "app:a", "w.lua:3"), 10),
            (
                3,
                Recorded::ActivityCompleted {
                    cmd: 1,
                    values: json!([5]),
                    attempts: 1,
                    at_ms: 2000,
                },
                10,
            ),
        ];
        let mut state = WorkflowState::new("w1", history).unwrap();
        assert!(
            state
                .issue(activity(0, "app:a", "w.lua:3"))
                .unwrap()
                .is_some()
        );
        let completion = state.next_recorded().unwrap().unwrap();
        assert_eq!(completion.handle, 1);
        assert_eq!(state.clock_ns(), 2_000_000_000);
        assert!(!state.replaying());
        assert!(
            state
                .issue(activity(0, "app:b", "w.lua:4"))
                .unwrap()
                .is_none()
        );
        assert_eq!(state.take_fresh().len(), 1);
        assert!(state.next_recorded().unwrap().is_none());
    }

    #[test]
    fn a_different_command_names_event_and_lines() {
        let history = vec![started(), (2, activity(1, "app:a", "w.lua:3"), 10)];
        let mut state = WorkflowState::new("w1", history).unwrap();
        let error = state.issue(activity(0, "app:b", "w.lua:9")).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("event #2 (activity.scheduled)"),
            "{message}"
        );
        assert!(message.contains("app:a"), "{message}");
        assert!(message.contains("w.lua:3"), "{message}");
        assert!(message.contains("app:b [1] at w.lua:9"), "{message}");
        assert!(state.divergence().is_some());
    }

    #[test]
    fn waiting_before_issuing_a_recorded_command_diverges() {
        let history = vec![started(), (2, activity(1, "app:a", "w.lua:3"), 10)];
        let mut state = WorkflowState::new("w1", history).unwrap();
        let message = state.next_recorded().unwrap_err().to_string();
        assert!(message.contains("waits without issuing it"), "{message}");
    }

    #[test]
    fn versions_default_to_min_for_old_histories() {
        let history = vec![
            started(),
            (2, activity(1, "app:a", "w.lua:3"), 10),
            (
                3,
                Recorded::ActivityCompleted {
                    cmd: 1,
                    values: json!([]),
                    attempts: 1,
                    at_ms: 2000,
                },
                10,
            ),
        ];
        let mut state = WorkflowState::new("w1", history).unwrap();
        assert_eq!(state.version("c", -1, 1, "w.lua:2").unwrap(), Ok(-1));
        state.issue(activity(0, "app:a", "w.lua:3")).unwrap();
        state.next_recorded().unwrap();
        assert_eq!(state.version("d", -1, 2, "w.lua:5").unwrap(), Ok(2));
        assert_eq!(state.version("c", -1, 1, "w.lua:6").unwrap(), Ok(-1));
    }
}
