//! A sandbox driven step by step from outside: what runs a workflow (docs/architecture.md §3). Where
//! [`super::Engine::run`] feeds a sandbox its completions until it finishes, a [`Session`]
//! returns after every export call, so the caller can record what the step did before anything
//! else happens, and choose what to deliver next. Each step gets the entry's deadline (a
//! workflow's replay restarts it for every recorded step it replays).

use wasmtime::Store;

use super::admission::Slot;
use super::run::{classify, instantiate, new_store, to_guest};
use super::{Engine, Extensions, Invocation, Limits, SandboxState};
use crate::bindings::{Completion, Entry, LuaError, Step};
use crate::error::RunError;

pub struct Session {
    store: Store<SandboxState>,
    sandbox: Entry,
    limits: Limits,
    /// Dropped after the store (fields drop in order): the sandbox's slot in the engine.
    _slot: Slot,
}

/// Where a session stands after a step.
#[derive(Debug)]
pub enum Progress {
    /// The entry returned these values (a MessagePack array).
    Done(Vec<u8>),
    /// It waits for completions.
    Waiting,
}

impl Engine {
    /// A fresh sandbox for `invocation`'s entry, set up by `prepare` before anything runs.
    pub async fn session(
        &self,
        invocation: &Invocation,
        caller: Extensions,
        prepare: impl FnOnce(&mut SandboxState),
    ) -> Result<Session, RunError> {
        let template = self.template(&invocation.linked, invocation.deterministic)?;
        let limits = invocation.limits;
        let slot = self.admission.admit(None).await?;
        let mut store = new_store(self, invocation, caller);
        prepare(store.data_mut());
        let sandbox = instantiate(&mut store, &template, &limits).await?;
        Ok(Session {
            store,
            sandbox,
            limits,
            _slot: slot,
        })
    }
}

impl Session {
    pub fn state(&mut self) -> &mut SandboxState {
        self.store.data_mut()
    }

    /// Run the entry until it finishes or waits.
    pub async fn start(&mut self, invocation: Invocation) -> Result<Progress, RunError> {
        let invocation = to_guest(invocation);
        self.arm();
        let step = self
            .sandbox
            .luabox_sandbox_runner()
            .call_start(&mut self.store, &invocation)
            .await;
        self.settle(step)
    }

    /// Deliver `completions` and run until the entry finishes or waits again.
    pub async fn resume(&mut self, completions: &[Completion]) -> Result<Progress, RunError> {
        self.arm();
        let step = self
            .sandbox
            .luabox_sandbox_runner()
            .call_resume(&mut self.store, completions)
            .await;
        self.settle(step)
    }

    fn arm(&mut self) {
        let state = self.store.data_mut();
        state.step_limit = Some(self.limits.deadline);
        state.restart_step_clock();
        state.lane.call_began();
    }

    fn settle(&mut self, step: wasmtime::Result<Step>) -> Result<Progress, RunError> {
        self.store.data_mut().lane.call_ended();
        self.store.data_mut().deadline = None;
        let waiting = matches!(step, Ok(Step::Waiting(_)));
        let driven: wasmtime::Result<Result<Vec<u8>, LuaError>> = step.map(|step| match step {
            // A workflow's guest never returns early (`returned`); were it to, the entry's values
            // end the workflow as `done` does.
            Step::Done(values) | Step::Returned(values) => Ok(values),
            Step::Failed(failure) => Err(failure),
            Step::Waiting(_) => Ok(Vec::new()),
        });
        let values = classify(&self.store, driven, &self.limits, self.limits.deadline)?;
        Ok(if waiting {
            Progress::Waiting
        } else {
            Progress::Done(values)
        })
    }
}
