//! The workflow service of one luabox host: starts workflows, routes signals, cancel and
//! terminate requests to them, runs each open workflow's [`Runner`] on tokio, and resumes every
//! open workflow when it starts serving (recovery after a restart or crash).
//!
//! One host serves an app's workflows at a time: serving takes an exclusive lock on
//! `.luabox/workflows.lock`. Other luabox commands on the same app (`luabox workflow start`,
//! `signal`, ...) write to the history store only; the serving host notices their writes by
//! polling the store ([`HistoryStore::changes`]) every [`POLL_INTERVAL`].

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::event::Recorded;
use super::host::WorkflowHost;
use super::runner::{CANCEL_TOPIC, Runner, TERMINATE_TOPIC};
use super::{
    Cursor, Event, History, HistoryStore, Started, Status, StoreError, Workflow,
    parse_workflow_pid, valid_workflow_id,
};
use crate::codec::lossless::values_to_json;
use crate::codec::{ErrorObject, decode_values};
use crate::config::EntryId;
use crate::error::ErrorKind;
use crate::process::ProcessError;

/// How often a serving host looks for what other luabox processes wrote to the store.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Workflows resident at once (each holds a sandbox while it is open); more wait their turn.
pub const MAX_RESIDENT: usize = crate::config::MAX_RESIDENT_WORKFLOWS as usize;

/// What a runner is told.
pub(super) enum Control {
    /// New signals may be in its inbox.
    InboxChanged,
    /// The host is shutting down.
    Stop,
}

/// Why a workflow operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl WorkflowError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            WorkflowError::Invalid(_) => ErrorKind::Invalid,
            WorkflowError::Store(StoreError::NotFound(_)) => ErrorKind::NotFound,
            WorkflowError::Store(StoreError::Closed { .. }) => ErrorKind::Invalid,
            WorkflowError::Store(_) => ErrorKind::Unavailable,
        }
    }
}

pub struct Workflows {
    app: Weak<dyn WorkflowHost>,
    store: Arc<dyn HistoryStore>,
    live: Mutex<HashMap<String, mpsc::UnboundedSender<Control>>>,
    /// Who waits for a workflow (by id) to close here: they get its row as closed.
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<Workflow>>>>,
    resident: Arc<Semaphore>,
    _lock: File,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Take the lock that makes this process the one serving `root`'s workflows.
async fn take_lock(root: &Path) -> Result<File, String> {
    let dir = root.join(".luabox");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("workflows.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // [`is_served`] probes by taking the lock for an instant, so a command run while this host
    // starts may hold it briefly: only a lock held past the grace period means another host.
    let grace = std::time::Instant::now() + LOCK_GRACE;
    loop {
        match file.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < grace => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => break lock_result(other, root, &path).map(|()| file),
        }
    }
}

/// How long a starting host waits for a lock that a probe may be holding.
const LOCK_GRACE: Duration = Duration::from_secs(2);

fn lock_result(
    result: Result<(), std::fs::TryLockError>,
    root: &Path,
    path: &Path,
) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another luabox process serves the workflows of {} (it holds {})",
            root.display(),
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("{}: {e}", path.display())),
    }
}

/// Whether a luabox process serves `root`'s workflows now.
pub fn is_served(root: &Path) -> bool {
    let path = root.join(".luabox").join("workflows.lock");
    match File::options().write(true).open(&path) {
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

impl Workflows {
    /// Serve `app`'s workflows from this process: resume every open one and follow the store.
    pub async fn serve(app: &Arc<dyn WorkflowHost>) -> Result<Arc<Workflows>, String> {
        let lock = take_lock(app.root()).await?;
        let store = app.history_store().map_err(|error| error.to_string())?;
        let service = Arc::new(Workflows {
            app: Arc::downgrade(app),
            store,
            live: Mutex::default(),
            waiters: Mutex::default(),
            resident: Arc::new(Semaphore::new(MAX_RESIDENT)),
            _lock: lock,
        });
        app.set_workflows(service.clone());
        let changes = service
            .store
            .changes(Cursor::default())
            .await
            .map_err(|error| error.to_string())?;
        let open = service
            .store
            .list(Some(Status::Running))
            .await
            .map_err(|error| error.to_string())?;
        if !open.is_empty() {
            tracing::info!("resuming {} open workflow(s)", open.len());
        }
        for workflow in open.iter().rev() {
            service.ensure_running(&workflow.id);
        }
        tokio::spawn(service.clone().follow_store(changes.cursor));
        Ok(service)
    }

    pub fn store(&self) -> &Arc<dyn HistoryStore> {
        &self.store
    }

    /// Poll the store for what other processes wrote.
    async fn follow_store(self: Arc<Self>, mut cursor: Cursor) {
        let weak = Arc::downgrade(&self);
        drop(self);
        loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            let Some(service) = weak.upgrade() else {
                return;
            };
            match service.store.changes(cursor).await {
                Ok(changes) => {
                    cursor = changes.cursor;
                    for id in &changes.started {
                        if !service.is_live(id) {
                            tracing::info!(workflow = %id, "taking up a workflow another process started");
                        }
                        service.notify(id);
                    }
                    for id in &changes.signaled {
                        service.notify(id);
                    }
                }
                Err(error) => tracing::warn!("workflow store: {error}"),
            }
        }
    }

    /// Start workflow `entry` with `input` (a MessagePack array) as `id` (a new uuid if
    /// `None`). Starting an id that exists returns that workflow (idempotent start).
    pub async fn start(
        self: &Arc<Self>,
        entry: &EntryId,
        input: Vec<u8>,
        id: Option<String>,
    ) -> Result<Started, WorkflowError> {
        let (started, history) =
            start_in(&*self.app()?, &self.store, entry, input, id, None).await?;
        if let Started::New(workflow) = &started {
            self.run(&workflow.id, history);
        }
        Ok(started)
    }

    fn app(&self) -> Result<Arc<dyn WorkflowHost>, WorkflowError> {
        self.app
            .upgrade()
            .ok_or_else(|| WorkflowError::Invalid("the app is shutting down".into()))
    }

    /// Make sure workflow `id` runs here, and tell it to look at its inbox.
    pub fn notify(self: &Arc<Self>, id: &str) {
        let sent = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .is_some_and(|control| control.send(Control::InboxChanged).is_ok());
        if !sent {
            self.ensure_running(id);
        }
    }

    fn ensure_running(self: &Arc<Self>, id: &str) {
        self.run(id, None);
    }

    /// Run workflow `id` here unless it runs already; `history` is its history when the caller
    /// has it (otherwise the runner loads it).
    fn run(self: &Arc<Self>, id: &str, history: Option<History>) {
        let Ok(app) = self.app() else { return };
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.contains_key(id) {
            return;
        }
        let (control, receiver) = mpsc::unbounded_channel();
        live.insert(id.to_owned(), control);
        drop(live);
        let service = self.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            let permit = service.resident.clone().acquire_owned().await;
            let outcome = Runner::new(service.clone(), app, id.clone(), receiver)
                .run(history)
                .await;
            drop(permit);
            service
                .live
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            match outcome {
                Ok(closed) => {
                    tracing::info!(workflow = %id, "workflow {}", closed.status.as_str());
                    let waiters = service
                        .waiters
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id);
                    for waiter in waiters.into_iter().flatten() {
                        let _ = waiter.send(closed.clone());
                    }
                }
                Err(error) => tracing::error!(workflow = %id, "workflow stopped running: {error}"),
            }
        });
    }

    fn is_live(&self, id: &str) -> bool {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(id)
    }

    /// Queue a signal for workflow `id` durably, then wake it.
    pub async fn signal(
        self: &Arc<Self>,
        id: &str,
        topic: &str,
        from: Option<String>,
        values: Vec<u8>,
    ) -> Result<(), WorkflowError> {
        enqueue(&self.store, id, topic, from, values).await?;
        self.notify(id);
        Ok(())
    }

    /// Wait until workflow `id` is closed and return it.
    pub async fn wait_closed(&self, id: &str) -> Result<Workflow, StoreError> {
        loop {
            let (closed, waiting) = oneshot::channel();
            {
                let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
                let for_id = waiters.entry(id.to_owned()).or_default();
                for_id.retain(|waiter| !waiter.is_closed());
                for_id.push(closed);
            }
            // While it runs here, its runner says when it closes; a close elsewhere (another
            // process) is only seen by reading the store now and then.
            if self.is_live(id) {
                if let Ok(Ok(closed)) = tokio::time::timeout(POLL_INTERVAL * 5, waiting).await {
                    return Ok(closed);
                }
                if self.is_live(id) {
                    continue;
                }
            }
            let workflow = self.store.get(id).await?;
            if workflow.status != Status::Running {
                return Ok(workflow);
            }
            if !self.is_live(id) {
                tokio::time::sleep(POLL_INTERVAL * 5).await;
            }
        }
    }

    /// Run child workflow `child_id` of `parent` (started if new) and return its result.
    pub(super) async fn run_child(
        self: &Arc<Self>,
        entry: &str,
        child_id: &str,
        input: Vec<u8>,
        parent: &str,
    ) -> Result<Vec<u8>, ErrorObject> {
        let failed = |error: WorkflowError| ErrorObject::new(error.kind(), error.to_string());
        let app = self.app().map_err(failed)?;
        let entry = EntryId::resolve(entry, "")
            .map_err(|message| ErrorObject::new(ErrorKind::Invalid, message))?;
        let (started, history) = start_in(
            &*app,
            &self.store,
            &entry,
            input,
            Some(child_id.into()),
            Some(parent),
        )
        .await
        .map_err(failed)?;
        let id = match started {
            Started::New(workflow) | Started::Existing(workflow) => workflow.id,
        };
        self.run(&id, history);
        let closed = self
            .wait_closed(&id)
            .await
            .map_err(|error| failed(error.into()))?;
        outcome_of(&closed)
    }

    /// Stop every runner (the host is shutting down); their workflows stay open in the store.
    pub fn stop(&self) {
        for control in self.live.lock().unwrap_or_else(|e| e.into_inner()).values() {
            let _ = control.send(Control::Stop);
        }
    }
}

/// A closed workflow's result: its values, or its error object.
pub fn outcome_of(workflow: &Workflow) -> Result<Vec<u8>, ErrorObject> {
    let outcome = workflow.outcome.clone().unwrap_or_default();
    if workflow.status == Status::Completed {
        return Ok(outcome);
    }
    let values = decode_values(&outcome).unwrap_or_default();
    Err(values
        .get(1)
        .and_then(ErrorObject::from_msgpack)
        .unwrap_or_else(|| {
            ErrorObject::new(
                ErrorKind::Internal,
                format!("workflow {}", workflow.status.as_str()),
            )
        }))
}

/// Record the start of a workflow in `store` (see [`Workflows::start`]); a new workflow's
/// history comes back too, so whoever runs it need not read it back.
pub async fn start_in(
    app: &dyn WorkflowHost,
    store: &Arc<dyn HistoryStore>,
    entry: &EntryId,
    input: Vec<u8>,
    id: Option<String>,
    parent: Option<&str>,
) -> Result<(Started, Option<History>), WorkflowError> {
    if app.workflow(entry).is_none() {
        return Err(WorkflowError::Invalid(match app.registry().get(entry) {
            Some(found) => format!("entry '{entry}' is a {}, not a workflow.lua", found.kind),
            None => format!("no workflow.lua entry '{entry}' in the registry"),
        }));
    }
    let id = id.unwrap_or_else(|| uuid::Uuid::now_v7().hyphenated().to_string());
    valid_workflow_id(&id).map_err(WorkflowError::Invalid)?;
    let input_json = values_to_json(&input).map_err(WorkflowError::Invalid)?;
    let seed = uuid::Uuid::new_v4().as_u64_pair();
    let first = Recorded::Started {
        entry: entry.to_string(),
        input: input_json,
        seed: [seed.0, seed.1],
        at_ms: now_ms(),
        parent: parent.map(str::to_owned),
    };
    let first = first.to_new_event();
    let started = store
        .start(&id, &entry.to_string(), input, first.clone())
        .await?;
    let history = match &started {
        Started::New(workflow) => Some(History {
            workflow: workflow.clone(),
            events: vec![Event {
                seq: 1,
                kind: first.kind,
                payload: first.payload,
                recorded_ms: workflow.created_ms,
            }],
            signals: Vec::new(),
        }),
        Started::Existing(_) => None,
    };
    Ok((started, history))
}

/// Put a signal in workflow `id`'s durable inbox (topics starting with '@' are reserved).
pub async fn enqueue(
    store: &Arc<dyn HistoryStore>,
    id: &str,
    topic: &str,
    from: Option<String>,
    values: Vec<u8>,
) -> Result<(), WorkflowError> {
    if topic.is_empty()
        || (topic.starts_with('@') && topic != CANCEL_TOPIC && topic != TERMINATE_TOPIC)
    {
        return Err(WorkflowError::Invalid(format!(
            "invalid topic {topic:?}: it must be non-empty and not start with '@'"
        )));
    }
    let values = values_to_json(&values).map_err(WorkflowError::Invalid)?;
    queue(store, id, topic, json!({ "from": from, "values": values })).await
}

/// Ask workflow `id` to cancel (`@cancel`) or end at once (`@terminate`), durably.
pub async fn request(
    store: &Arc<dyn HistoryStore>,
    id: &str,
    topic: &str,
    reason: &str,
) -> Result<(), WorkflowError> {
    queue(store, id, topic, json!({ "reason": reason })).await
}

/// Write a signal's payload (JSON, as the runner reads it) to workflow `id`'s inbox.
async fn queue(
    store: &Arc<dyn HistoryStore>,
    id: &str,
    topic: &str,
    payload: serde_json::Value,
) -> Result<(), WorkflowError> {
    store
        .signal(id, topic, serde_json::to_vec(&payload).unwrap_or_default())
        .await?;
    Ok(())
}

/// `process.send` to a workflow pid (of the embedded engine or of a Temporal worker): the
/// signal is durable when this returns.
pub async fn signal_from(
    app: &Arc<dyn WorkflowHost>,
    dest: &str,
    topic: &str,
    from: Option<String>,
    values: Vec<u8>,
) -> Result<(), ProcessError> {
    if let Some((worker, id)) = crate::temporal::parse_workflow_pid(dest) {
        return app
            .temporal()
            .signal(&worker, id, topic, &values, from.as_deref())
            .await
            .map_err(ProcessError::from_error_object);
    }
    let Some(id) = parse_workflow_pid(dest) else {
        return Err(ProcessError::new(
            ErrorKind::Invalid,
            format!("'{dest}' is not a workflow pid"),
        ));
    };
    let failed = |error: WorkflowError| ProcessError::new(error.kind(), error.to_string());
    match app.workflows() {
        Some(service) => service
            .signal(id, topic, from, values)
            .await
            .map_err(failed),
        None => {
            let store = app.history_store().map_err(|error| failed(error.into()))?;
            enqueue(&store, id, topic, from, values)
                .await
                .map_err(failed)
        }
    }
}

/// `process.send` from a workflow: to another workflow (a signal) or to a process.
pub async fn send_from(
    app: &Arc<dyn WorkflowHost>,
    dest: &str,
    topic: &str,
    from: Option<String>,
    values: Vec<u8>,
) -> Result<(), ProcessError> {
    if parse_workflow_pid(dest).is_some() || crate::temporal::parse_workflow_pid(dest).is_some() {
        return signal_from(app, dest, topic, from, values).await;
    }
    app.node()
        .send_as(from.map(Into::into), dest, topic, values)
}
