//! Drives one sandbox from `start` to its result (docs/architecture.md §3).
//!
//! The guest runs Lua inside an export call until no coroutine can progress, then returns a step:
//! done, failed, or waiting on handles of host operations. While it waits, no export call is in
//! flight and no fiber exists: the driver awaits the operations on tokio and calls `resume` with
//! their completions. Epoch interruption makes a long export call yield to tokio every few
//! milliseconds, so a busy sandbox cannot starve others, and traps it once the deadline passes.
//!
//! An entry that returns while coroutines it spawned live on (`coroutine.spawn`) ends a run
//! that is not [`Control::background`] at once, as a process's main does. A function's run
//! hands its caller the result then and goes on in a task of its own, holding its sandbox and
//! slot, until the last coroutine ends or the deadline passes; what fails then is logged.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use wasmtime::{Store, Trap, UpdateDeadline};

use super::lane::{LONG_SLICE_TICKS, Lane};
use super::{Engine, Extensions, Invocation, SLICE_TICKS, SandboxState};
use crate::bindings::{self, Entry, EntryPre, LuaError, Step};
use crate::engine::Limits;
use crate::engine::pending::TooManyPending;
use crate::error::RunError;

/// Raised from the epoch callback when the deadline has passed, and by host work that checks it
/// ([`SandboxState::check_deadline`]).
#[derive(Debug, thiserror::Error)]
#[error("deadline reached")]
pub(crate) struct DeadlineReached;

/// How a run may end early besides failing: at a wall-clock deadline (none for a process), or
/// when `stop` resolves (a process terminated from outside), with the reason it gives.
pub(super) struct Control {
    pub deadline: Option<std::time::Duration>,
    pub stop: Option<Pin<Box<dyn Future<Output = String> + Send>>>,
    /// Coroutines still alive when the entry returns run on after the result is handed back.
    pub background: bool,
}

/// Where driving a sandbox stopped.
enum Driven {
    /// The run ended: the values, or the guest's report of a Lua failure.
    Ended(Result<Vec<u8>, LuaError>),
    /// The entry returned these values; spawned coroutines live on.
    Returned(Vec<u8>),
}

pub(super) async fn run(
    engine: &Engine,
    template: EntryPre<SandboxState>,
    invocation: Invocation,
    caller: Extensions,
    control: Control,
) -> Result<Vec<u8>, RunError> {
    let limits = invocation.limits;
    let deadline = control.deadline.map(|limit| Instant::now() + limit);
    // Declared before the store, so the slot is given back after the sandbox is dropped.
    let slot = engine.admission.admit(deadline).await?;
    let mut store = new_store(engine, &invocation, caller);
    store.data_mut().deadline = deadline;

    let sandbox = instantiate(&mut store, &template, &limits).await?;
    let driven = match control.stop {
        None => drive(&mut store, &sandbox, invocation, deadline).await,
        // Dropping `drive` mid-call abandons the export call; the store is discarded with it.
        Some(stop) => tokio::select! {
            driven = drive(&mut store, &sandbox, invocation, deadline) => driven,
            reason = stop => return Err(RunError::Stopped(reason)),
        },
    };
    let limit = control.deadline.unwrap_or_default();
    let driven = match driven {
        Ok(Driven::Returned(values)) if control.background => {
            tokio::spawn(async move {
                // The sandbox is dropped before its slot is given back.
                let _slot = slot;
                finish_background(store, sandbox, deadline, &limits, limit).await;
            });
            return Ok(values);
        }
        Ok(Driven::Returned(values)) => Ok(Ok(values)),
        Ok(Driven::Ended(result)) => Ok(result),
        Err(error) => Err(error),
    };
    classify(&store, driven, &limits, limit)
}

/// Run a returned function's coroutines to their end (see the module doc).
async fn finish_background(
    mut store: Store<SandboxState>,
    sandbox: Entry,
    deadline: Option<Instant>,
    limits: &Limits,
    limit: std::time::Duration,
) {
    let driven = match resume(&mut store, &sandbox, &[]).await {
        Ok(step) => advance(&mut store, &sandbox, step, deadline).await,
        Err(error) => Err(error),
    };
    let driven = match driven {
        Ok(Driven::Ended(result)) => Ok(result),
        // The entry has returned already: the guest does not return again.
        Ok(Driven::Returned(_)) => Ok(Ok(Vec::new())),
        Err(error) => Err(error),
    };
    if let Err(error) = classify(&store, driven, limits, limit) {
        tracing::warn!(
            entry = %store.data().entry(),
            "a coroutine failed after its function returned: {}",
            error.describe()
        );
    }
}

/// A store for one sandbox of `invocation` whose export calls yield to tokio every few
/// milliseconds and trap once `SandboxState::deadline` has passed.
pub(super) fn new_store(
    engine: &Engine,
    invocation: &Invocation,
    caller: Extensions,
) -> Store<SandboxState> {
    let mut extensions = caller;
    extensions.extend(&invocation.extensions);
    let mut store = SandboxState::store(
        engine.wasmtime(),
        &invocation.entry,
        &invocation.limits,
        extensions,
    );
    let namespace = std::sync::Arc::from(store.data().namespace());
    store.data_mut().lane = Lane::new(engine.long_lane.clone(), namespace);
    store.set_epoch_deadline(SLICE_TICKS);
    store.epoch_deadline_callback(|mut store| {
        let state = store.data_mut();
        let deadline = state.deadline;
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(DeadlineReached.into());
        }
        Ok(match state.lane.slice_ended(deadline) {
            None => UpdateDeadline::Yield(SLICE_TICKS),
            Some(turn) => UpdateDeadline::YieldCustom(LONG_SLICE_TICKS, turn),
        })
    });
    store
}

/// What an export call's outcome means: the values, or which limit or failure ended it.
/// `deadline` is the limit named when the deadline was reached.
pub(super) fn classify(
    store: &Store<SandboxState>,
    driven: wasmtime::Result<Result<Vec<u8>, LuaError>>,
    limits: &Limits,
    deadline: std::time::Duration,
) -> Result<Vec<u8>, RunError> {
    match driven {
        Ok(Ok(values)) => Ok(values),
        // Glue code that fails an allocation raises an ordinary error saying so; with the limit
        // refused, that is the memory limit too.
        Ok(Err(failure))
            if store.data().limiter.refused && failure.message.ends_with("not enough memory") =>
        {
            Err(RunError::Memory {
                limit: limits.memory,
            })
        }
        Ok(Err(failure)) => Err(RunError::from_guest(failure, limits.memory)),
        Err(error) if error.downcast_ref::<DeadlineReached>().is_some() => {
            Err(RunError::Deadline { limit: deadline })
        }
        Err(error) if error.downcast_ref::<Trap>() == Some(&Trap::StackOverflow) => {
            Err(RunError::Stack)
        }
        Err(error) if error.downcast_ref::<TooManyPending>().is_some() => Err(RunError::Pending {
            limit: limits.max_pending,
        }),
        Err(_) if store.data().limiter.refused => Err(RunError::Memory {
            limit: limits.memory,
        }),
        Err(error) => Err(RunError::Trap(format!("{error:#}"))),
    }
}

pub(super) async fn instantiate(
    store: &mut Store<SandboxState>,
    template: &EntryPre<SandboxState>,
    limits: &Limits,
) -> Result<Entry, RunError> {
    match template.instantiate_async(&mut *store).await {
        Ok(sandbox) => Ok(sandbox),
        Err(_) if store.data().limiter.refused => Err(RunError::Memory {
            limit: limits.memory,
        }),
        Err(error) => {
            let error = anyhow::Error::from(error).context("cannot create a sandbox instance");
            Err(RunError::Host(error))
        }
    }
}

/// Compile each source in one sandbox (see [`Engine::compile`]).
pub(super) async fn compile(
    engine: &Engine,
    template: EntryPre<SandboxState>,
    sources: &[(&str, &[u8])],
) -> Result<Vec<Result<Vec<u8>, String>>, RunError> {
    let limits = Limits::default();
    let _slot = engine
        .admission
        .admit(Some(Instant::now() + limits.deadline))
        .await?;
    let mut store = SandboxState::store(
        engine.wasmtime(),
        "luabox:compile",
        &limits,
        Extensions::default(),
    );
    store.set_epoch_deadline(SLICE_TICKS);
    store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(SLICE_TICKS)));
    let sandbox = instantiate(&mut store, &template, &limits).await?;
    let runner = sandbox.luabox_sandbox_runner();
    let mut compiled = Vec::with_capacity(sources.len());
    for (chunk_name, source) in sources {
        let result = runner
            .call_compile(&mut store, chunk_name, source)
            .await
            .map_err(|error| RunError::Trap(format!("{error:#}")))?;
        compiled.push(result);
    }
    Ok(compiled)
}

/// Start the chunk and feed completions until it finishes or its entry returns. The error is a
/// trap or a host failure.
async fn drive(
    store: &mut Store<SandboxState>,
    sandbox: &Entry,
    invocation: Invocation,
    deadline: Option<Instant>,
) -> wasmtime::Result<Driven> {
    let runner = sandbox.luabox_sandbox_runner();
    let start = to_guest(invocation);
    store.data_mut().lane.call_began();
    let started = runner.call_start(&mut *store, &start).await;
    store.data_mut().lane.call_ended();
    advance(store, sandbox, started?, deadline).await
}

/// Feed completions from `step` on until the run ends or the entry returns.
async fn advance(
    store: &mut Store<SandboxState>,
    sandbox: &Entry,
    mut step: Step,
    deadline: Option<Instant>,
) -> wasmtime::Result<Driven> {
    loop {
        match step {
            Step::Done(values) => return Ok(Driven::Ended(Ok(values))),
            Step::Failed(failure) => return Ok(Driven::Ended(Err(failure))),
            Step::Returned(values) => return Ok(Driven::Returned(values)),
            Step::Waiting(waits) => {
                if store.data().pending.is_empty() {
                    return Err(wasmtime::format_err!(
                        "the sandbox waits on {waits} host operations, but none is pending"
                    ));
                }
                let batch = store.data_mut().pending.next_batch();
                let completions = match deadline {
                    Some(deadline) => tokio::time::timeout_at(deadline.into(), batch)
                        .await
                        .map_err(|_| DeadlineReached)?,
                    None => batch.await,
                };
                step = resume(store, sandbox, &completions).await?;
            }
        }
    }
}

/// Deliver `completions` and run the guest until its next step.
async fn resume(
    store: &mut Store<SandboxState>,
    sandbox: &Entry,
    completions: &[bindings::Completion],
) -> wasmtime::Result<Step> {
    store.data_mut().lane.call_began();
    let resumed = sandbox
        .luabox_sandbox_runner()
        .call_resume(&mut *store, completions)
        .await;
    store.data_mut().lane.call_ended();
    resumed
}

/// The guest's form of an invocation.
pub(super) fn to_guest(invocation: Invocation) -> bindings::Invocation {
    bindings::Invocation {
        entry: invocation.entry,
        method: invocation.method,
        chunks: invocation
            .chunks
            .into_iter()
            .map(|chunk| bindings::Chunk {
                id: chunk.id,
                chunk_name: chunk.chunk_name,
                code: chunk.code.to_vec(),
                compiled: chunk.compiled,
                modules: chunk.modules,
                imports: chunk.imports,
                library: chunk.library,
            })
            .collect(),
        workflow: invocation.deterministic,
        args: invocation.args,
        max_payload: invocation.limits.max_payload,
    }
}
