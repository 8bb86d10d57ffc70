//! The polling loops of one `temporal.worker` entry, on Temporal's core worker
//! (`temporalio-sdk-core`): workflow activations go to their runs ([`super::run`]), one at a
//! time per run and concurrently across runs; activity tasks each get a task
//! ([`super::activity`]) that a cancel request aborts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use futures::future::{AbortHandle, Abortable};
use temporalio_common::protos::coresdk::ActivityTaskCompletion;
use temporalio_common::protos::coresdk::activity_result::ActivityExecutionResult;
use temporalio_common::protos::coresdk::activity_task::activity_task::Variant as ActivityVariant;
use temporalio_common::worker::WorkerTaskTypes;
use temporalio_sdk_core::{
    CoreRuntime, PollError, RuntimeOptions, Worker, WorkerConfig, WorkerVersioningStrategy,
    init_worker,
};
use tokio::task::JoinHandle;

use super::run::{self, Context, Run};
use super::{WorkerEntry, client};
use crate::app::App;

/// The core runtime of this process (its telemetry and worker heartbeats), made on first use.
fn core_runtime() -> Result<&'static CoreRuntime, String> {
    static RUNTIME: OnceLock<Result<CoreRuntime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            CoreRuntime::new_assume_tokio(RuntimeOptions::default())
                .map_err(|error| format!("cannot set up Temporal's core runtime: {error}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A worker polling its task queue until [`RunningWorker::stop`].
pub struct RunningWorker {
    id: String,
    core: Arc<Worker>,
    loops: Vec<JoinHandle<()>>,
}

/// Connect `entry`'s worker to its cluster and start polling.
pub async fn start(app: &Arc<App>, entry: &WorkerEntry) -> Result<RunningWorker, String> {
    let fail = |message: String| format!("temporal.worker '{}': {message}", entry.id);
    let connection = client::connect(&entry.client)
        .await
        .map_err(|error| fail(error.message))?;
    let options = &entry.config.options;
    let config = WorkerConfig::builder()
        .namespace(entry.client.namespace.clone())
        .task_queue(entry.config.task_queue.clone())
        .versioning_strategy(WorkerVersioningStrategy::None {
            build_id: format!("luabox-{}", env!("CARGO_PKG_VERSION")),
        })
        .task_types(WorkerTaskTypes {
            enable_workflows: true,
            enable_local_activities: false,
            enable_remote_activities: true,
            enable_nexus: false,
        })
        .max_cached_workflows(options.max_cached_workflows as usize)
        .max_outstanding_workflow_tasks(options.max_concurrent_workflow_tasks.max(2) as usize)
        .max_outstanding_activities(options.max_concurrent_activities.max(1) as usize)
        .build()
        .map_err(fail)?;
    let core = init_worker(core_runtime()?, config, connection)
        .map_err(|error| fail(format!("{error:#}")))?;
    core.validate()
        .await
        .map_err(|error| fail(format!("{error}")))?;
    let core = Arc::new(core);
    let entry = Arc::new(entry.clone());
    let loops = vec![
        tokio::spawn(poll_workflows(app.clone(), entry.clone(), core.clone())),
        tokio::spawn(poll_activities(app.clone(), entry.clone(), core.clone())),
    ];
    tracing::info!(
        worker = %entry.id,
        task_queue = %entry.config.task_queue,
        address = %entry.client.address,
        workflows = entry.workflows.len(),
        activities = entry.activities.len(),
        "Temporal worker polling"
    );
    Ok(RunningWorker {
        id: entry.id.to_string(),
        core,
        loops,
    })
}

impl RunningWorker {
    /// Stop polling, finish what is in hand, and leave the cluster.
    pub async fn stop(self) {
        self.core.initiate_shutdown();
        for poll in self.loops {
            let _ = poll.await;
        }
        self.core.shutdown().await;
        tracing::info!(worker = %self.id, "Temporal worker stopped");
    }
}

type Runs = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Run>>>>>>;

async fn poll_workflows(app: Arc<App>, entry: Arc<WorkerEntry>, core: Arc<Worker>) {
    // One slot per run: Temporal hands out one activation of a run at a time, and the slot's
    // lock keeps a run's activations in order should an eviction race a new activation.
    let runs: Runs = Arc::default();
    loop {
        let activation = match core.poll_workflow_activation().await {
            Ok(activation) => activation,
            Err(PollError::ShutDown) => break,
            Err(error) => {
                tracing::error!(worker = %entry.id, "polling workflow tasks failed: {error}");
                break;
            }
        };
        let slot = runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(activation.run_id.clone())
            .or_default()
            .clone();
        let (app, entry, core, runs) = (app.clone(), entry.clone(), core.clone(), runs.clone());
        tokio::spawn(async move {
            let run_id = activation.run_id.clone();
            let mut held = slot.lock().await;
            let context = Context {
                app: &app,
                worker: &entry,
            };
            let completion = run::activate(&context, &mut held, activation).await;
            if held.is_none() {
                runs.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&run_id);
            }
            drop(held);
            if let Err(error) = core.complete_workflow_activation(completion).await {
                tracing::warn!(worker = %entry.id, run = %run_id, "completing an activation failed: {error}");
            }
        });
    }
}

async fn poll_activities(app: Arc<App>, entry: Arc<WorkerEntry>, core: Arc<Worker>) {
    let running: Arc<Mutex<HashMap<Vec<u8>, AbortHandle>>> = Arc::default();
    loop {
        let task = match core.poll_activity_task().await {
            Ok(task) => task,
            Err(PollError::ShutDown) => break,
            Err(error) => {
                tracing::error!(worker = %entry.id, "polling activity tasks failed: {error}");
                break;
            }
        };
        let token = task.task_token;
        match task.variant {
            Some(ActivityVariant::Start(start)) => {
                let (abort, registration) = AbortHandle::new_pair();
                running
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(token.clone(), abort);
                let (app, entry, core, running) =
                    (app.clone(), entry.clone(), core.clone(), running.clone());
                tokio::spawn(async move {
                    let work = super::activity::run(app, &entry, token.clone(), start);
                    let completion =
                        Abortable::new(work, registration)
                            .await
                            .unwrap_or_else(|_| ActivityTaskCompletion {
                                task_token: token.clone(),
                                result: Some(ActivityExecutionResult::cancel_from_details(None)),
                            });
                    running
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .remove(&token);
                    if let Err(error) = core.complete_activity_task(completion).await {
                        tracing::warn!(worker = %entry.id, "completing an activity failed: {error}");
                    }
                });
            }
            Some(ActivityVariant::Cancel(_)) => {
                let abort = running
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&token);
                if let Some(abort) = abort {
                    abort.abort();
                }
            }
            None => {}
        }
    }
}

/// How long a worker that cannot reach its cluster waits before trying again.
const RECONNECT_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// The app's `temporal.worker` entries at work. A worker whose cluster cannot be reached (yet)
/// keeps trying in the background, so the rest of the app is served meanwhile.
pub struct Workers {
    running: Arc<tokio::sync::Mutex<Vec<RunningWorker>>>,
    starting: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Start every worker of the app (none if it has no `temporal.worker` entries).
    pub fn start(app: &Arc<App>) -> Workers {
        let running: Arc<tokio::sync::Mutex<Vec<RunningWorker>>> = Arc::default();
        let starting = app
            .temporal()
            .directory()
            .workers()
            .map(|entry| {
                let (app, entry, running) = (app.clone(), entry.clone(), running.clone());
                tokio::spawn(async move {
                    let mut attempt = 0u32;
                    loop {
                        match start(&app, &entry).await {
                            Ok(worker) => {
                                running.lock().await.push(worker);
                                return;
                            }
                            Err(message) => {
                                attempt += 1;
                                tracing::error!(
                                    attempt,
                                    "{message}; trying again in {}s",
                                    RECONNECT_PAUSE.as_secs()
                                );
                            }
                        }
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                    }
                })
            })
            .collect();
        Workers { running, starting }
    }

    /// Stop them all, letting each finish what it has in hand.
    pub async fn stop(self) {
        for starting in self.starting {
            starting.abort();
            let _ = starting.await;
        }
        let workers = std::mem::take(&mut *self.running.lock().await);
        futures::future::join_all(workers.into_iter().map(RunningWorker::stop)).await;
    }
}
