//! Workflow histories (docs/architecture.md §5, issue 5): the durable record from which a `workflow.lua` is
//! replayed. A workflow is a row (id, entry, input, status, result) and an append-only list of
//! events numbered from 1; signals wait in a per-workflow inbox until the workflow records them
//! in its history. Everything a store acknowledges is on disk.
//!
//! [`HistoryStore`] is what the workflow engine uses; [`sqlite::SqliteStore`] is the embedded
//! default, and other backends (PostgreSQL, Temporal) implement the same trait.
//!
//! The engine around it:
//! - [`event`]: what a history records (commands, inputs, the close), its Lua values kept in
//!   lossless JSON ([`crate::codec::lossless`]);
//! - [`replay`]: the books of one workflow sandbox, matching its commands against the history;
//! - [`drive`]: what both backends share (how a step ends, what each command asks for);
//! - [`runner`]: drives one workflow, recording each step before acting on it; [`activity`] runs
//!   its activities under their retry policies;
//! - [`host`]: what the workflow runtime reaches of the app ([`host::WorkflowHost`]);
//! - [`service`]: serves an app's workflows (start, signals, cancel, recovery);
//! - [`verify`]: replays an exported history against the current code (`luabox workflow replay`).

pub mod activity;
pub mod drive;
pub mod event;
pub mod host;
pub mod replay;
pub mod runner;
pub mod sandbox;
pub mod service;
pub mod sqlite;
pub mod verify;

use futures::future::BoxFuture;

/// Where a workflow is in its life. Only `Running` workflows accept events and signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Completed,
    Failed,
    Canceled,
    Terminated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::Terminated => "terminated",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Running,
            Status::Completed,
            Status::Failed,
            Status::Canceled,
            Status::Terminated,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A workflow as its row stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub id: String,
    /// The `workflow.lua` entry it runs.
    pub entry: String,
    pub status: Status,
    /// The start arguments, a MessagePack array.
    pub input: Vec<u8>,
    /// The result (MessagePack array) or error object, once closed.
    pub outcome: Option<Vec<u8>>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Events in its history.
    pub events: u64,
}

/// One entry of a history. `kind` names what happened (`activity.scheduled`, `timer.fired`,
/// `signal.received`, ...; [`event::Recorded`] is the vocabulary); `payload` is its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: u64,
    pub kind: String,
    pub payload: Vec<u8>,
    pub recorded_ms: i64,
}

/// An event to append; the store numbers and stamps it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: String,
    pub payload: Vec<u8>,
}

/// A signal waiting to be recorded by its workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Increasing across the store: the order signals were accepted in.
    pub id: i64,
    pub topic: String,
    pub payload: Vec<u8>,
}

/// What starting a workflow did: a start with an id already in use returns the existing
/// workflow instead of a second one (idempotent start).
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    New(Workflow),
    Existing(Workflow),
}

/// An append: events after `after` (the number of events the writer has seen), the signals it
/// recorded (those with ids up to `signals_through` leave the inbox), and, when the workflow
/// ends, its final status and outcome.
#[derive(Debug, Clone, Default)]
pub struct Append {
    pub after: u64,
    pub events: Vec<NewEvent>,
    pub signals_through: Option<i64>,
    pub close: Option<(Status, Vec<u8>)>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StoreError {
    #[error("no workflow '{0}'")]
    NotFound(String),
    #[error("workflow '{id}' is {status}, so it takes no more events or signals", status = .status.as_str())]
    Closed { id: String, status: Status },
    /// Someone else appended first: the writer's view of the history is stale.
    #[error("workflow '{id}' has {actual} events, not the {expected} this append follows")]
    Conflict {
        id: String,
        expected: u64,
        actual: u64,
    },
    #[error("history store: {0}")]
    Backend(String),
}

/// A durable home for workflow histories. Every method that writes returns only once the write
/// is on disk.
pub trait HistoryStore: Send + Sync {
    /// Create workflow `id` running `entry` with `input` and its first event.
    fn start(
        &self,
        id: &str,
        entry: &str,
        input: Vec<u8>,
        first: NewEvent,
    ) -> BoxFuture<'_, Result<Started, StoreError>>;

    /// Append to workflow `id`'s history; returns its number of events afterwards.
    fn append(&self, id: &str, append: Append) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Queue a signal for a running workflow; returns its id.
    fn signal(
        &self,
        id: &str,
        topic: &str,
        payload: Vec<u8>,
    ) -> BoxFuture<'_, Result<i64, StoreError>>;

    /// The workflow's row, without its history.
    fn get(&self, id: &str) -> BoxFuture<'_, Result<Workflow, StoreError>>;

    /// The workflow, its whole history and its waiting signals.
    fn load(&self, id: &str) -> BoxFuture<'_, Result<History, StoreError>>;

    /// Workflows, newest first, optionally only those with `status`.
    fn list(&self, status: Option<Status>) -> BoxFuture<'_, Result<Vec<Workflow>, StoreError>>;

    /// Durable commits made so far, when the backend counts them (each is one fsync however
    /// many writes it holds).
    fn commits(&self) -> Option<u64> {
        None
    }

    /// The signals waiting in workflow `id`'s inbox, oldest first.
    fn inbox(&self, id: &str) -> BoxFuture<'_, Result<Vec<Signal>, StoreError>>;

    /// What others (another luabox process on the same store) did since `after`: running
    /// workflows started and workflows signalled. Start from `Cursor::default()`.
    fn changes(&self, after: Cursor) -> BoxFuture<'_, Result<Changes, StoreError>>;
}

/// How far [`HistoryStore::changes`] has looked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub workflows: i64,
    pub signals: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Workflows started since, still running.
    pub started: Vec<String>,
    /// Workflows with signals queued since.
    pub signaled: Vec<String>,
    pub cursor: Cursor,
}

/// A workflow with everything recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub workflow: Workflow,
    pub events: Vec<Event>,
    pub signals: Vec<Signal>,
}

/// The pid of workflow `id`: what `process.send` takes to signal it.
pub fn workflow_pid(id: &str) -> String {
    format!("{{workflow|{id}}}")
}

/// The workflow id in a workflow pid.
pub fn parse_workflow_pid(pid: &str) -> Option<&str> {
    pid.strip_prefix("{workflow|")?.strip_suffix('}')
}

/// Who an activity runs for: what `funcs.activity_info()` returns inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityInfo {
    /// `WORKFLOW_ID/COMMAND`: the same on every attempt and after a restart.
    pub id: String,
    pub workflow_id: String,
    pub attempt: u32,
}

impl ActivityInfo {
    /// The MessagePack array of the one table Lua sees.
    pub fn to_values(&self) -> Vec<u8> {
        use rmpv::Value;
        crate::codec::encode_values(vec![Value::Map(vec![
            (Value::from("id"), Value::from(self.id.as_str())),
            (
                Value::from("workflow_id"),
                Value::from(self.workflow_id.as_str()),
            ),
            (Value::from("attempt"), Value::from(self.attempt)),
        ])])
    }
}

/// Whether `id` can name a workflow: 1 to 200 characters, none of them whitespace, control
/// characters, `{`, `}` or `|` (which would make its pid ambiguous).
pub fn valid_workflow_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 200 {
        return Err(format!(
            "invalid workflow id {id:?}: it must have 1 to 200 characters"
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | '|'))
    {
        return Err(format!(
            "invalid workflow id {id:?}: it may not contain {bad:?}"
        ));
    }
    Ok(())
}
