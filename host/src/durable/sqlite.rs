//! The embedded history store: one SQLite file (`.luabox/workflows.db` under the app)
//! in WAL mode with `synchronous=FULL`, so a commit is on disk when it returns.
//!
//! All writes go through one writer thread that commits in groups: it takes every request that
//! is waiting, applies each inside its own savepoint (one failing request, such as a stale
//! append, does not undo the others), commits once and only then answers them all. Under load
//! many workflows share each fsync; alone, a write costs one. Reads use a second connection,
//! which WAL lets run beside the writer.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tokio::sync::oneshot;

use super::{
    Append, Changes, Cursor, Event, History, HistoryStore, NewEvent, Signal, Started, Status,
    StoreError, Workflow,
};

/// The most requests one commit takes, so a flood still gets answers in bounded batches.
const MAX_GROUP: usize = 512;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS workflows (
        id TEXT PRIMARY KEY,
        entry TEXT NOT NULL,
        status TEXT NOT NULL,
        input BLOB NOT NULL,
        outcome BLOB,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        events INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS workflows_by_status ON workflows (status, created_ms);
    CREATE TABLE IF NOT EXISTS events (
        workflow TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        recorded_ms INTEGER NOT NULL,
        PRIMARY KEY (workflow, seq)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS signals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS signals_by_workflow ON signals (workflow, id);
";

pub struct SqliteStore {
    writes: Mutex<mpsc::Sender<Write>>,
    reader: Arc<Mutex<Connection>>,
    commits: Arc<AtomicU64>,
}

enum Write {
    Start {
        id: String,
        entry: String,
        input: Vec<u8>,
        first: NewEvent,
        reply: oneshot::Sender<Result<Started, StoreError>>,
    },
    Append {
        id: String,
        append: Append,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    Signal {
        id: String,
        topic: String,
        payload: Vec<u8>,
        reply: oneshot::Sender<Result<i64, StoreError>>,
    },
}

/// A request's answer, held until its group is committed.
enum Answer {
    Started(
        oneshot::Sender<Result<Started, StoreError>>,
        Result<Started, StoreError>,
    ),
    Appended(
        oneshot::Sender<Result<u64, StoreError>>,
        Result<u64, StoreError>,
    ),
    Signaled(
        oneshot::Sender<Result<i64, StoreError>>,
        Result<i64, StoreError>,
    ),
}

impl Answer {
    fn failed(&self) -> bool {
        match self {
            Answer::Started(_, result) => result.is_err(),
            Answer::Appended(_, result) => result.is_err(),
            Answer::Signaled(_, result) => result.is_err(),
        }
    }

    /// Answer the caller; one that stopped waiting has nothing to be told.
    fn deliver(self) {
        let _ = match self {
            Answer::Started(reply, result) => reply.send(result).map_err(drop),
            Answer::Appended(reply, result) => reply.send(result).map_err(drop),
            Answer::Signaled(reply, result) => reply.send(result).map_err(drop),
        };
    }
}

impl SqliteStore {
    /// Open (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| {
                StoreError::Backend(format!("cannot create {}: {error}", dir.display()))
            })?;
        }
        let open = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            // Another process using the store at the same moment (`luabox run` and a `luabox
            // workflow` command) holds its lock briefly; briefly is not short on a machine
            // whose disk is busy (each commit is an fsync), hence the long wait.
            connection.busy_timeout(BUSY_TIMEOUT)?;
            crate::sql::sqlite::use_wal(&connection, BUSY_TIMEOUT)?;
            connection.pragma_update(None, "synchronous", "FULL")?;
            Ok(connection)
        };
        let writer = open().map_err(|error| backend(path, error))?;
        writer
            .execute_batch(SCHEMA)
            .map_err(|error| backend(path, error))?;
        let reader = open().map_err(|error| backend(path, error))?;
        let (writes, requests) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        std::thread::Builder::new()
            .name("luabox-history".into())
            .spawn(move || write_loop(writer, requests, counter))
            .map_err(|error| StoreError::Backend(format!("cannot start the writer: {error}")))?;
        Ok(SqliteStore {
            writes: Mutex::new(writes),
            reader: Arc::new(Mutex::new(reader)),
            commits,
        })
    }

    /// Commits made so far (each is one fsync, whatever the number of writes in it).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Hand the writer the request `write` builds around its reply channel, and await the
    /// answer it gives once the request's group is committed.
    fn submit<T: Send + 'static>(
        &self,
        write: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Write,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let (reply, answer) = oneshot::channel();
        let sent = self
            .writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(write(reply));
        async move {
            sent.map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        }
        .boxed()
    }

    fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let reader = self.reader.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                query(&reader.lock().unwrap_or_else(|e| e.into_inner()))
            })
            .await
            .map_err(|error| StoreError::Backend(format!("read failed: {error}")))?
        }
        .boxed()
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the writer thread has stopped".into())
}

impl HistoryStore for SqliteStore {
    fn start(
        &self,
        id: &str,
        entry: &str,
        input: Vec<u8>,
        first: NewEvent,
    ) -> BoxFuture<'_, Result<Started, StoreError>> {
        self.submit(|reply| Write::Start {
            id: id.to_owned(),
            entry: entry.to_owned(),
            input,
            first,
            reply,
        })
    }

    fn append(&self, id: &str, append: Append) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.submit(|reply| Write::Append {
            id: id.to_owned(),
            append,
            reply,
        })
    }

    fn signal(
        &self,
        id: &str,
        topic: &str,
        payload: Vec<u8>,
    ) -> BoxFuture<'_, Result<i64, StoreError>> {
        self.submit(|reply| Write::Signal {
            id: id.to_owned(),
            topic: topic.to_owned(),
            payload,
            reply,
        })
    }

    fn get(&self, id: &str) -> BoxFuture<'_, Result<Workflow, StoreError>> {
        let id = id.to_owned();
        self.read(move |connection| {
            workflow(connection, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))
        })
    }

    fn load(&self, id: &str) -> BoxFuture<'_, Result<History, StoreError>> {
        let id = id.to_owned();
        self.read(move |connection| load(connection, &id))
    }

    fn list(&self, status: Option<Status>) -> BoxFuture<'_, Result<Vec<Workflow>, StoreError>> {
        self.read(move |connection| list(connection, status))
    }

    fn commits(&self) -> Option<u64> {
        Some(SqliteStore::commits(self))
    }

    fn inbox(&self, id: &str) -> BoxFuture<'_, Result<Vec<Signal>, StoreError>> {
        let id = id.to_owned();
        self.read(move |connection| inbox(connection, &id))
    }

    fn changes(&self, after: Cursor) -> BoxFuture<'_, Result<Changes, StoreError>> {
        self.read(move |connection| changes(connection, after))
    }
}

fn write_loop(
    mut connection: Connection,
    requests: mpsc::Receiver<Write>,
    commits: Arc<AtomicU64>,
) {
    while let Ok(first) = requests.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        match commit_group(&mut connection, group) {
            Ok(answers) => {
                commits.fetch_add(1, Ordering::Relaxed);
                answers.into_iter().for_each(Answer::deliver);
            }
            // The group's replies were dropped with it: every caller sees the writer fail and
            // nothing of the group was acknowledged.
            Err(error) => tracing::error!("history store: a commit failed: {error}"),
        }
    }
}

/// Apply `group` in one transaction; answers are only valid once it has committed.
fn commit_group(connection: &mut Connection, group: Vec<Write>) -> rusqlite::Result<Vec<Answer>> {
    let now = now_ms();
    let mut transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut answers = Vec::with_capacity(group.len());
    for write in group {
        let mut savepoint = transaction.savepoint()?;
        let answer = match write {
            Write::Start {
                id,
                entry,
                input,
                first,
                reply,
            } => Answer::Started(reply, start(&savepoint, &id, &entry, &input, &first, now)),
            Write::Append { id, append, reply } => {
                Answer::Appended(reply, append_events(&savepoint, &id, &append, now))
            }
            Write::Signal {
                id,
                topic,
                payload,
                reply,
            } => Answer::Signaled(reply, signal(&savepoint, &id, &topic, &payload)),
        };
        if answer.failed() {
            savepoint.rollback()?;
        }
        savepoint.commit()?;
        answers.push(answer);
    }
    transaction.commit()?;
    Ok(answers)
}

/// Expected failures are answers; an SQLite error fails the request as a backend error.
fn sql(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// How long opening the store waits for another process's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn backend(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("{}: {error}", path.display()))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

const WORKFLOW_COLUMNS: &str = "id, entry, status, input, outcome, created_ms, updated_ms, events";

fn workflow_row(row: &Row<'_>) -> rusqlite::Result<Workflow> {
    let status: String = row.get(2)?;
    Ok(Workflow {
        id: row.get(0)?,
        entry: row.get(1)?,
        // The store writes only the names `Status::as_str` gives.
        status: Status::parse(&status).unwrap_or(Status::Failed),
        input: row.get(3)?,
        outcome: row.get(4)?,
        created_ms: row.get(5)?,
        updated_ms: row.get(6)?,
        events: row.get(7)?,
    })
}

fn workflow(connection: &Connection, id: &str) -> Result<Option<Workflow>, StoreError> {
    connection
        .prepare_cached(&format!(
            "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = ?1"
        ))
        .and_then(|mut select| select.query_row([id], workflow_row).optional())
        .map_err(sql)
}

fn running(connection: &Connection, id: &str) -> Result<Workflow, StoreError> {
    let workflow = workflow(connection, id)?.ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
    if workflow.status != Status::Running {
        return Err(StoreError::Closed {
            id: id.to_owned(),
            status: workflow.status,
        });
    }
    Ok(workflow)
}

fn insert_event(
    connection: &Connection,
    id: &str,
    seq: u64,
    event: &NewEvent,
    now: i64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO events (workflow, seq, kind, payload, recorded_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut insert| insert.execute(params![id, seq, event.kind, event.payload, now]))
        .map(drop)
        .map_err(sql)
}

fn start(
    connection: &Connection,
    id: &str,
    entry: &str,
    input: &[u8],
    first: &NewEvent,
    now: i64,
) -> Result<Started, StoreError> {
    if let Some(existing) = workflow(connection, id)? {
        return Ok(Started::Existing(existing));
    }
    exec(
        connection,
        "INSERT INTO workflows (id, entry, status, input, outcome, created_ms, updated_ms, events)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5, 1)",
        params![id, entry, Status::Running.as_str(), input, now],
    )?;
    insert_event(connection, id, 1, first, now)?;
    Ok(Started::New(Workflow {
        id: id.to_owned(),
        entry: entry.to_owned(),
        status: Status::Running,
        input: input.to_vec(),
        outcome: None,
        created_ms: now,
        updated_ms: now,
        events: 1,
    }))
}

fn append_events(
    connection: &Connection,
    id: &str,
    append: &Append,
    now: i64,
) -> Result<u64, StoreError> {
    let workflow = running(connection, id)?;
    if workflow.events != append.after {
        return Err(StoreError::Conflict {
            id: id.to_owned(),
            expected: append.after,
            actual: workflow.events,
        });
    }
    let mut seq = workflow.events;
    for event in &append.events {
        seq += 1;
        insert_event(connection, id, seq, event, now)?;
    }
    if let Some(through) = append.signals_through {
        exec(
            connection,
            "DELETE FROM signals WHERE workflow = ?1 AND id <= ?2",
            params![id, through],
        )?;
    }
    let (status, outcome) = match &append.close {
        Some((status, outcome)) => (*status, Some(outcome.as_slice())),
        None => (Status::Running, None),
    };
    if status != Status::Running {
        // Signals a closed workflow never recorded are dropped with it.
        exec(connection, "DELETE FROM signals WHERE workflow = ?1", [id])?;
    }
    exec(
        connection,
        "UPDATE workflows SET events = ?2, status = ?3, outcome = ?4, updated_ms = ?5
             WHERE id = ?1",
        params![id, seq, status.as_str(), outcome, now],
    )?;
    Ok(seq)
}

fn signal(
    connection: &Connection,
    id: &str,
    topic: &str,
    payload: &[u8],
) -> Result<i64, StoreError> {
    running(connection, id)?;
    exec(
        connection,
        "INSERT INTO signals (workflow, topic, payload) VALUES (?1, ?2, ?3)",
        params![id, topic, payload],
    )?;
    Ok(connection.last_insert_rowid())
}

fn load(connection: &Connection, id: &str) -> Result<History, StoreError> {
    let workflow = workflow(connection, id)?.ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
    let events = rows(
        connection,
        "SELECT seq, kind, payload, recorded_ms FROM events WHERE workflow = ?1 ORDER BY seq",
        [id],
        |row| {
            Ok(Event {
                seq: row.get(0)?,
                kind: row.get(1)?,
                payload: row.get(2)?,
                recorded_ms: row.get(3)?,
            })
        },
    )?;
    let signals = inbox(connection, id)?;
    Ok(History {
        workflow,
        events,
        signals,
    })
}

fn inbox(connection: &Connection, id: &str) -> Result<Vec<Signal>, StoreError> {
    rows(
        connection,
        "SELECT id, topic, payload FROM signals WHERE workflow = ?1 ORDER BY id",
        [id],
        |row| {
            Ok(Signal {
                id: row.get(0)?,
                topic: row.get(1)?,
                payload: row.get(2)?,
            })
        },
    )
}

fn changes(connection: &Connection, after: Cursor) -> Result<Changes, StoreError> {
    let started = rows(
        connection,
        "SELECT rowid, id FROM workflows WHERE rowid > ?1 AND status = 'running' ORDER BY rowid",
        [after.workflows],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
    )?;
    let signaled = rows(
        connection,
        "SELECT id, workflow FROM signals WHERE id > ?1 ORDER BY id",
        [after.signals],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
    )?;
    let last_workflow: i64 = connection
        .query_row("SELECT COALESCE(MAX(rowid), 0) FROM workflows", [], |row| {
            row.get(0)
        })
        .map_err(sql)?;
    let cursor = Cursor {
        workflows: last_workflow.max(after.workflows),
        signals: signaled.last().map_or(after.signals, |(id, _)| *id),
    };
    let mut signaled: Vec<String> = signaled.into_iter().map(|(_, id)| id).collect();
    signaled.dedup();
    Ok(Changes {
        started: started.into_iter().map(|(_, id)| id).collect(),
        signaled,
        cursor,
    })
}

fn list(connection: &Connection, status: Option<Status>) -> Result<Vec<Workflow>, StoreError> {
    let status = status.map(Status::as_str);
    rows(
        connection,
        &format!(
            "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE ?1 IS NULL OR status = ?1
             ORDER BY created_ms DESC, id"
        ),
        [status],
        workflow_row,
    )
}

/// Run a statement (prepared once per connection).
fn exec(
    connection: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<usize, StoreError> {
    connection
        .prepare_cached(query)
        .and_then(|mut statement| statement.execute(params))
        .map_err(sql)
}

fn rows<T>(
    connection: &Connection,
    query: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = connection.prepare_cached(query).map_err(sql)?;
    statement
        .query_map(params, map)
        .and_then(|found| found.collect())
        .map_err(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, n: u8) -> NewEvent {
        NewEvent {
            kind: kind.to_owned(),
            payload: vec![n],
        }
    }

    fn store(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(&dir.path().join(".luabox/history.db")).expect("store opens")
    }

    #[tokio::test]
    async fn a_second_start_with_the_same_id_returns_the_first_workflow() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let first = store
            .start(
                "order-1",
                "app:order",
                vec![0x91, 1],
                event("workflow.started", 0),
            )
            .await
            .unwrap();
        let Started::New(created) = first else {
            panic!("{first:?}")
        };
        let again = store
            .start(
                "order-1",
                "app:other",
                vec![0x90],
                event("workflow.started", 9),
            )
            .await
            .unwrap();
        assert_eq!(again, Started::Existing(created));
        assert_eq!(store.load("order-1").await.unwrap().events.len(), 1);
    }

    #[tokio::test]
    async fn appends_follow_the_history_they_saw_and_end_with_the_workflow() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        store
            .start("w", "app:w", vec![0x90], event("workflow.started", 0))
            .await
            .unwrap();
        let append = |after, events| Append {
            after,
            events,
            ..Append::default()
        };
        let events = vec![
            event("activity.scheduled", 1),
            event("activity.completed", 2),
        ];
        assert_eq!(store.append("w", append(1, events)).await, Ok(3));
        assert_eq!(
            store
                .append("w", append(1, vec![event("timer.started", 3)]))
                .await,
            Err(StoreError::Conflict {
                id: "w".into(),
                expected: 1,
                actual: 3
            })
        );
        let close = Append {
            after: 3,
            events: vec![event("workflow.completed", 4)],
            signals_through: None,
            close: Some((Status::Completed, vec![0x91, 42])),
        };
        assert_eq!(store.append("w", close).await, Ok(4));
        let closed: Result<(), _> = Err(StoreError::Closed {
            id: "w".into(),
            status: Status::Completed,
        });
        assert_eq!(
            store.append("w", append(4, vec![])).await.map(drop),
            closed.clone()
        );
        assert_eq!(store.signal("w", "late", vec![]).await.map(drop), closed);
        assert_eq!(
            store.append("nope", append(0, vec![])).await,
            Err(StoreError::NotFound("nope".into()))
        );

        let history = store.load("w").await.unwrap();
        assert_eq!(history.workflow.status, Status::Completed);
        assert_eq!(history.workflow.outcome, Some(vec![0x91, 42]));
        let kinds: Vec<_> = history
            .events
            .iter()
            .map(|e| (e.seq, e.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (1, "workflow.started"),
                (2, "activity.scheduled"),
                (3, "activity.completed"),
                (4, "workflow.completed")
            ]
        );
    }

    #[tokio::test]
    async fn signals_wait_in_order_until_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        store
            .start("w", "app:w", vec![0x90], event("workflow.started", 0))
            .await
            .unwrap();
        let mut ids = Vec::new();
        for topic in ["a", "b", "c"] {
            ids.push(store.signal("w", topic, vec![1]).await.unwrap());
        }
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
        let record = Append {
            after: 1,
            events: vec![event("signal.received", 1), event("signal.received", 2)],
            signals_through: Some(ids[1]),
            close: None,
        };
        store.append("w", record).await.unwrap();
        let waiting: Vec<_> = store.load("w").await.unwrap().signals;
        assert_eq!(waiting.len(), 1);
        assert_eq!((waiting[0].id, waiting[0].topic.as_str()), (ids[2], "c"));
        assert_eq!(
            store.signal("ghost", "a", vec![]).await,
            Err(StoreError::NotFound("ghost".into()))
        );
    }

    #[tokio::test]
    async fn what_was_acknowledged_is_there_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = store(&dir);
            for n in 0..20u8 {
                let id = format!("w{n}");
                store
                    .start(&id, "app:w", vec![0x90], event("workflow.started", n))
                    .await
                    .unwrap();
            }
            store
                .append(
                    "w3",
                    Append {
                        after: 1,
                        events: vec![event("timer.started", 7)],
                        ..Append::default()
                    },
                )
                .await
                .unwrap();
            store.signal("w4", "hello", vec![5]).await.unwrap();
        }
        let store = store(&dir);
        assert_eq!(store.list(Some(Status::Running)).await.unwrap().len(), 20);
        assert_eq!(store.list(Some(Status::Completed)).await.unwrap(), vec![]);
        let w3 = store.load("w3").await.unwrap();
        assert_eq!(w3.workflow.events, 2);
        assert_eq!(w3.events[1].payload, vec![7]);
        assert_eq!(store.load("w4").await.unwrap().signals[0].topic, "hello");
    }

    #[tokio::test]
    async fn concurrent_writers_are_all_answered() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let starts = (0..300).map(|n| {
            store.start(
                &format!("w{n}"),
                "app:w",
                vec![0x90],
                event("workflow.started", 0),
            )
        });
        let started = futures::future::join_all(starts).await;
        assert!(started.iter().all(|s| matches!(s, Ok(Started::New(_)))));
        assert_eq!(store.list(None).await.unwrap().len(), 300);
    }
}
