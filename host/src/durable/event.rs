//! The vocabulary of a workflow history: what each event records, as stored (a JSON object whose
//! `kind` is also the event's kind column) and as exported by `luabox workflow show --json`.
//!
//! Three sorts of events follow `workflow.started`:
//! - **commands**, which the workflow's code issued (schedule an activity, start a timer, record
//!   a uuid...). Each has a number, `cmd`, counting the commands of the run from 1; a command
//!   the code waits on is answered on the handle of the same number. Replayed code must issue
//!   the same commands in the same order ([`Recorded::same_command`]).
//! - **inputs**, which the host delivered to the code (an activity's result, a timer firing, a
//!   signal). Each is delivered alone, in its own step, at the workflow clock `at_ms`, so a
//!   replay can deliver them exactly as they came.
//! - one **close** event, when the workflow ends.
//!
//! Lua values are kept in the lossless JSON of [`super::values`].

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::NewEvent;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Recorded {
    #[serde(rename = "workflow.started")]
    Started {
        entry: String,
        input: Json,
        /// The seed of the workflow's `math.random`.
        seed: [u64; 2],
        at_ms: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
    },

    // Commands.
    #[serde(rename = "activity.scheduled")]
    ActivityScheduled {
        cmd: u64,
        target: String,
        args: Json,
        options: Json,
        line: String,
    },
    #[serde(rename = "timer.started")]
    TimerStarted {
        cmd: u64,
        duration_ns: u64,
        fire_at_ms: i64,
        line: String,
    },
    #[serde(rename = "child.started")]
    ChildStarted {
        cmd: u64,
        entry: String,
        workflow_id: String,
        input: Json,
        line: String,
    },
    #[serde(rename = "command.canceled")]
    Canceled { cmd: u64, target: u64, line: String },
    #[serde(rename = "side_effect")]
    SideEffect {
        cmd: u64,
        name: String,
        value: Json,
        line: String,
    },
    #[serde(rename = "version.marker")]
    Version {
        cmd: u64,
        change_id: String,
        version: i64,
        line: String,
    },
    #[serde(rename = "signal.sent")]
    SignalSent {
        cmd: u64,
        dest: String,
        topic: String,
        values: Json,
        line: String,
    },

    // Inputs.
    #[serde(rename = "activity.completed")]
    ActivityCompleted {
        cmd: u64,
        values: Json,
        attempts: u32,
        at_ms: i64,
    },
    #[serde(rename = "activity.failed")]
    ActivityFailed {
        cmd: u64,
        error: Json,
        attempts: u32,
        at_ms: i64,
    },
    #[serde(rename = "timer.fired")]
    TimerFired { cmd: u64, at_ms: i64 },
    #[serde(rename = "child.completed")]
    ChildCompleted { cmd: u64, values: Json, at_ms: i64 },
    #[serde(rename = "child.failed")]
    ChildFailed { cmd: u64, error: Json, at_ms: i64 },
    #[serde(rename = "signal.received")]
    SignalReceived {
        handle: u64,
        topic: String,
        from: Option<String>,
        values: Json,
        at_ms: i64,
    },
    #[serde(rename = "cancel.requested")]
    CancelRequested {
        handle: u64,
        reason: String,
        at_ms: i64,
    },

    // Close.
    #[serde(rename = "workflow.completed")]
    Completed { values: Json },
    #[serde(rename = "workflow.failed")]
    Failed { error: Json },
    #[serde(rename = "workflow.canceled")]
    WorkflowCanceled { reason: String },
    #[serde(rename = "workflow.terminated")]
    Terminated { reason: String },
}

/// Which sort of event (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Start,
    Command,
    Input,
    Close,
}

impl Recorded {
    pub fn kind(&self) -> &'static str {
        match self {
            Recorded::Started { .. } => "workflow.started",
            Recorded::ActivityScheduled { .. } => "activity.scheduled",
            Recorded::TimerStarted { .. } => "timer.started",
            Recorded::ChildStarted { .. } => "child.started",
            Recorded::Canceled { .. } => "command.canceled",
            Recorded::SideEffect { .. } => "side_effect",
            Recorded::Version { .. } => "version.marker",
            Recorded::SignalSent { .. } => "signal.sent",
            Recorded::ActivityCompleted { .. } => "activity.completed",
            Recorded::ActivityFailed { .. } => "activity.failed",
            Recorded::TimerFired { .. } => "timer.fired",
            Recorded::ChildCompleted { .. } => "child.completed",
            Recorded::ChildFailed { .. } => "child.failed",
            Recorded::SignalReceived { .. } => "signal.received",
            Recorded::CancelRequested { .. } => "cancel.requested",
            Recorded::Completed { .. } => "workflow.completed",
            Recorded::Failed { .. } => "workflow.failed",
            Recorded::WorkflowCanceled { .. } => "workflow.canceled",
            Recorded::Terminated { .. } => "workflow.terminated",
        }
    }

    pub fn sort(&self) -> Sort {
        match self {
            Recorded::Started { .. } => Sort::Start,
            Recorded::ActivityScheduled { .. }
            | Recorded::TimerStarted { .. }
            | Recorded::ChildStarted { .. }
            | Recorded::Canceled { .. }
            | Recorded::SideEffect { .. }
            | Recorded::Version { .. }
            | Recorded::SignalSent { .. } => Sort::Command,
            Recorded::ActivityCompleted { .. }
            | Recorded::ActivityFailed { .. }
            | Recorded::TimerFired { .. }
            | Recorded::ChildCompleted { .. }
            | Recorded::ChildFailed { .. }
            | Recorded::SignalReceived { .. }
            | Recorded::CancelRequested { .. } => Sort::Input,
            Recorded::Completed { .. }
            | Recorded::Failed { .. }
            | Recorded::WorkflowCanceled { .. }
            | Recorded::Terminated { .. } => Sort::Close,
        }
    }

    /// The command number of a command, or of the command an input answers.
    pub fn cmd(&self) -> Option<u64> {
        match self {
            Recorded::ActivityScheduled { cmd, .. }
            | Recorded::TimerStarted { cmd, .. }
            | Recorded::ChildStarted { cmd, .. }
            | Recorded::Canceled { cmd, .. }
            | Recorded::SideEffect { cmd, .. }
            | Recorded::Version { cmd, .. }
            | Recorded::SignalSent { cmd, .. }
            | Recorded::ActivityCompleted { cmd, .. }
            | Recorded::ActivityFailed { cmd, .. }
            | Recorded::TimerFired { cmd, .. }
            | Recorded::ChildCompleted { cmd, .. }
            | Recorded::ChildFailed { cmd, .. } => Some(*cmd),
            _ => None,
        }
    }

    /// Number a command (the code issued it as the run's `number`th).
    pub fn set_cmd(&mut self, number: u64) {
        match self {
            Recorded::ActivityScheduled { cmd, .. }
            | Recorded::TimerStarted { cmd, .. }
            | Recorded::ChildStarted { cmd, .. }
            | Recorded::Canceled { cmd, .. }
            | Recorded::SideEffect { cmd, .. }
            | Recorded::Version { cmd, .. }
            | Recorded::SignalSent { cmd, .. } => *cmd = number,
            _ => {}
        }
    }

    /// Stamp an input with the workflow clock of its delivery.
    pub fn set_at_ms(&mut self, now: i64) {
        match self {
            Recorded::ActivityCompleted { at_ms, .. }
            | Recorded::ActivityFailed { at_ms, .. }
            | Recorded::TimerFired { at_ms, .. }
            | Recorded::ChildCompleted { at_ms, .. }
            | Recorded::ChildFailed { at_ms, .. }
            | Recorded::SignalReceived { at_ms, .. }
            | Recorded::CancelRequested { at_ms, .. } => *at_ms = now,
            _ => {}
        }
    }

    /// The Lua line that issued a command.
    pub fn line(&self) -> Option<&str> {
        match self {
            Recorded::ActivityScheduled { line, .. }
            | Recorded::TimerStarted { line, .. }
            | Recorded::ChildStarted { line, .. }
            | Recorded::Canceled { line, .. }
            | Recorded::SideEffect { line, .. }
            | Recorded::Version { line, .. }
            | Recorded::SignalSent { line, .. } => Some(line),
            _ => None,
        }
    }

    /// The workflow clock at which an input was delivered.
    pub fn at_ms(&self) -> Option<i64> {
        match self {
            Recorded::Started { at_ms, .. }
            | Recorded::ActivityCompleted { at_ms, .. }
            | Recorded::ActivityFailed { at_ms, .. }
            | Recorded::TimerFired { at_ms, .. }
            | Recorded::ChildCompleted { at_ms, .. }
            | Recorded::ChildFailed { at_ms, .. }
            | Recorded::SignalReceived { at_ms, .. }
            | Recorded::CancelRequested { at_ms, .. } => Some(*at_ms),
            _ => None,
        }
    }

    /// Whether replayed code issuing `self` does what the history recorded in `recorded`: the
    /// same sort of command on the same target with the same arguments. Options, lines and
    /// recorded answers (a uuid's value, a timer's fire time) may differ.
    pub fn same_command(&self, recorded: &Recorded) -> bool {
        use Recorded as R;
        match (self, recorded) {
            (
                R::ActivityScheduled { target, args, .. },
                R::ActivityScheduled {
                    target: t, args: a, ..
                },
            ) => target == t && args == a,
            (R::TimerStarted { duration_ns, .. }, R::TimerStarted { duration_ns: d, .. }) => {
                duration_ns == d
            }
            (
                R::ChildStarted { entry, input, .. },
                R::ChildStarted {
                    entry: e, input: i, ..
                },
            ) => entry == e && input == i,
            (R::Canceled { target, .. }, R::Canceled { target: t, .. }) => target == t,
            (R::SideEffect { name, .. }, R::SideEffect { name: n, .. }) => name == n,
            (R::Version { change_id, .. }, R::Version { change_id: c, .. }) => change_id == c,
            (
                R::SignalSent {
                    dest,
                    topic,
                    values,
                    ..
                },
                R::SignalSent {
                    dest: d,
                    topic: t,
                    values: v,
                    ..
                },
            ) => dest == d && topic == t && values == v,
            _ => false,
        }
    }

    /// A short description of a command for errors and `luabox workflow show`.
    pub fn describe(&self) -> String {
        let brief = |json: &Json| {
            let text = json.to_string();
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(60).collect::<String>())
            } else {
                text
            }
        };
        match self {
            Recorded::Started { entry, input, .. } => format!("{entry} {}", brief(input)),
            Recorded::ActivityScheduled { target, args, .. } => {
                format!("activity {target} {}", brief(args))
            }
            Recorded::TimerStarted { duration_ns, .. } => format!(
                "timer {}",
                humantime::format_duration(std::time::Duration::from_nanos(*duration_ns))
            ),
            Recorded::ChildStarted {
                entry, workflow_id, ..
            } => format!("child workflow {entry} ({workflow_id})"),
            Recorded::Canceled { target, .. } => format!("cancel of command #{target}"),
            Recorded::SideEffect { name, value, .. } => format!("{name} = {}", brief(value)),
            Recorded::Version {
                change_id, version, ..
            } => format!("version of '{change_id}' = {version}"),
            Recorded::SignalSent {
                dest,
                topic,
                values,
                ..
            } => format!("send '{topic}' to {dest} {}", brief(values)),
            Recorded::ActivityCompleted {
                values, attempts, ..
            } => format!("{} (attempts: {attempts})", brief(values)),
            Recorded::ActivityFailed {
                error, attempts, ..
            } => format!("{} (attempts: {attempts})", brief(error)),
            Recorded::TimerFired { .. } => String::new(),
            Recorded::ChildCompleted { values, .. } => brief(values),
            Recorded::ChildFailed { error, .. } | Recorded::Failed { error } => brief(error),
            Recorded::SignalReceived {
                topic,
                from,
                values,
                ..
            } => format!(
                "'{topic}' from {} {}",
                from.as_deref().unwrap_or("outside"),
                brief(values)
            ),
            Recorded::CancelRequested { reason, .. }
            | Recorded::WorkflowCanceled { reason }
            | Recorded::Terminated { reason } => reason.clone(),
            Recorded::Completed { values } => brief(values),
        }
    }

    pub fn to_new_event(&self) -> NewEvent {
        NewEvent {
            kind: self.kind().to_owned(),
            payload: serde_json::to_vec(self).expect("a recorded event is always JSON"),
        }
    }

    /// Read an event's payload.
    pub fn parse(payload: &[u8]) -> Result<Recorded, String> {
        crate::codec::lossless::parse_json(payload)
            .map_err(|error| format!("unreadable event: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_round_trip_with_their_kind() {
        let event = Recorded::ActivityScheduled {
            cmd: 2,
            target: "app:charge".into(),
            args: json!([10]),
            options: json!({}),
            line: "order.lua:7".into(),
        };
        let stored = event.to_new_event();
        assert_eq!(stored.kind, "activity.scheduled");
        assert_eq!(Recorded::parse(&stored.payload).unwrap(), event);
        assert_eq!(event.sort(), Sort::Command);
        assert!(Recorded::parse(b"{\"kind\":\"nope\"}").is_err());
    }

    #[test]
    fn commands_match_on_what_they_do_not_where() {
        let timer = |ns, line: &str| Recorded::TimerStarted {
            cmd: 1,
            duration_ns: ns,
            fire_at_ms: 5,
            line: line.into(),
        };
        assert!(timer(10, "a.lua:1").same_command(&timer(10, "a.lua:2")));
        assert!(!timer(10, "a.lua:1").same_command(&timer(11, "a.lua:1")));
    }
}
