//! `wit/workflow.wit`: what a `workflow.lua` sandbox can observe, all of it recorded in the
//! workflow's history ([`crate::durable::replay::WorkflowState`] keeps the books; the workflow
//! runner records and acts on the commands between steps). Linked only into workflow sandboxes,
//! which get no `sys`, `time`, `uuid`, `funcs` or `process` interface: the guest sends those
//! modules' calls here.
//!
//! A divergence from the history is a trap carrying [`NonDeterminism`], so no Lua code can catch
//! it; expected failures (a malformed duration, a bad topic) are ordinary `nil, err` results.

use serde_json::Value as Json;

use crate::bindings::luabox::sandbox::workflow;
use crate::bindings::{Completion, Duration, HostError};
use crate::codec::table_to_json;
use crate::config::EntryId;
use crate::durable::event::Recorded;
use crate::durable::replay::{NonDeterminism, WorkflowState, recorded_values};
use crate::engine::SandboxState;
use crate::engine::pending::TooManyPending;
use crate::error::ErrorKind;

pub(super) struct Workflow;

impl super::HostModule for Workflow {
    fn name(&self) -> &'static str {
        "workflow"
    }

    fn in_workflows(&self) -> super::InWorkflows {
        super::InWorkflows::Linked
    }

    fn link(&self, linker: &mut wasmtime::component::Linker<SandboxState>) -> anyhow::Result<()> {
        workflow::add_to_linker::<_, wasmtime::component::HasSelf<SandboxState>>(
            linker,
            |state| state,
        )?;
        Ok(())
    }
}

impl SandboxState {
    fn workflow(&mut self) -> wasmtime::Result<&mut WorkflowState> {
        crate::durable::replay::books(self)
            .ok_or_else(|| wasmtime::format_err!("the workflow interface used outside a workflow"))
    }

    /// The workflow's state, with room for one more open command: a workflow's open timers,
    /// activities and children count against `max_pending` as a sandbox's operations do (the
    /// count follows the code, so a replay stops where the first run did).
    fn workflow_with_room(&mut self) -> wasmtime::Result<&mut WorkflowState> {
        let limit = self.pending().limit();
        let state = self.workflow()?;
        if state.open_commands().count() >= limit as usize {
            return Err(TooManyPending { limit }.into());
        }
        Ok(state)
    }

    /// Resolve an entry reference in the workflow's namespace; an invalid one is kept as written
    /// (recorded as is, it fails when the runner starts it).
    fn entry_reference(&self, reference: &str) -> String {
        EntryId::resolve(reference, self.namespace())
            .map_or_else(|_| reference.to_owned(), |id| id.to_string())
    }
}

fn trap(error: NonDeterminism) -> wasmtime::Error {
    wasmtime::Error::new(error)
}

/// A call's options map (`funcs.new():with_options{...}`), as recorded.
fn options_json(payload: &[u8]) -> Json {
    super::one_value(payload)
        .ok()
        .and_then(|value| table_to_json(&value))
        .map_or(Json::Null, Json::Object)
}

impl workflow::Host for SandboxState {
    fn clock(&mut self) -> wasmtime::Result<u64> {
        Ok(self.workflow()?.clock_ns())
    }

    fn seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok(self.workflow()?.seed())
    }

    fn info(&mut self) -> wasmtime::Result<Vec<u8>> {
        Ok(self.workflow()?.info())
    }

    fn next(&mut self) -> wasmtime::Result<Option<Completion>> {
        let next = self.workflow()?.next_recorded().map_err(trap)?;
        if next.is_some() {
            self.restart_step_clock();
        }
        Ok(next)
    }

    fn activity(
        &mut self,
        target: String,
        args: Vec<u8>,
        options: Vec<u8>,
        line: String,
    ) -> wasmtime::Result<u64> {
        let command = Recorded::ActivityScheduled {
            cmd: 0,
            target: self.entry_reference(&target),
            args: recorded_values(&args),
            options: options_json(&options),
            line,
        };
        let state = self.workflow_with_room()?;
        let cmd = state.next_cmd();
        state.issue(command).map_err(trap)?;
        Ok(cmd)
    }

    fn timer(&mut self, duration: Duration, line: String) -> wasmtime::Result<Result<u64, String>> {
        let duration = match super::time::to_std_duration(&duration) {
            Ok(duration) => duration,
            Err(message) => return Ok(Err(message)),
        };
        let state = self.workflow_with_room()?;
        let fire_at_ms = (state.clock_ns() + duration.as_nanos() as u64).div_ceil(1_000_000);
        let command = Recorded::TimerStarted {
            cmd: 0,
            duration_ns: u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX),
            fire_at_ms: i64::try_from(fire_at_ms).unwrap_or(i64::MAX),
            line,
        };
        let cmd = state.next_cmd();
        state.issue(command).map_err(trap)?;
        Ok(Ok(cmd))
    }

    fn cancel(&mut self, operation: u64, line: String) -> wasmtime::Result<()> {
        let state = self.workflow()?;
        if state.is_open(operation) {
            let command = Recorded::Canceled {
                cmd: 0,
                target: operation,
                line,
            };
            state.issue(command).map_err(trap)?;
        }
        Ok(())
    }

    fn uuid(&mut self, version: u8, line: String) -> wasmtime::Result<String> {
        let derived = self.workflow()?.derived_uuid(version);
        let (name, fresh) = match version {
            7 => ("uuid.v7", derived.unwrap_or_else(::uuid::Uuid::now_v7)),
            _ => ("uuid.v4", derived.unwrap_or_else(::uuid::Uuid::new_v4)),
        };
        let command = Recorded::SideEffect {
            cmd: 0,
            name: name.to_owned(),
            value: Json::from(fresh.hyphenated().to_string()),
            line,
        };
        Ok(match self.workflow()?.issue(command).map_err(trap)? {
            Some(Recorded::SideEffect { value, .. }) => value.as_str().unwrap_or_default().into(),
            _ => fresh.hyphenated().to_string(),
        })
    }

    fn version(
        &mut self,
        change_id: String,
        min: i64,
        max: i64,
        line: String,
    ) -> wasmtime::Result<Result<i64, HostError>> {
        let version = self
            .workflow()?
            .version(&change_id, min, max, &line)
            .map_err(trap)?;
        Ok(version.map_err(|message| super::host_error(ErrorKind::Invalid, message)))
    }

    fn child(
        &mut self,
        entry: String,
        input: Vec<u8>,
        _options: Vec<u8>,
        line: String,
    ) -> wasmtime::Result<u64> {
        let entry = self.entry_reference(&entry);
        let state = self.workflow_with_room()?;
        let cmd = state.next_cmd();
        let command = Recorded::ChildStarted {
            cmd: 0,
            entry,
            workflow_id: format!("{}/{cmd}", state.id()),
            input: recorded_values(&input),
            line,
        };
        state.issue(command).map_err(trap)?;
        Ok(cmd)
    }

    fn send(
        &mut self,
        dest: String,
        topic: String,
        values: Vec<u8>,
        line: String,
    ) -> wasmtime::Result<Result<(), HostError>> {
        if topic.is_empty() || topic.starts_with('@') {
            return Ok(Err(super::host_error(
                ErrorKind::Invalid,
                format!("invalid topic {topic:?}: it must be non-empty and not start with '@'"),
            )));
        }
        let command = Recorded::SignalSent {
            cmd: 0,
            dest,
            topic,
            values: recorded_values(&values),
            line,
        };
        self.workflow()?.issue(command).map_err(trap)?;
        Ok(Ok(()))
    }

    fn watch_events(&mut self) -> wasmtime::Result<()> {
        self.workflow()?.watch_events();
        Ok(())
    }

    fn receive(&mut self) -> wasmtime::Result<u64> {
        Ok(self.workflow()?.receive())
    }

    fn pid(&mut self) -> wasmtime::Result<String> {
        Ok(self.workflow()?.pid())
    }
}
