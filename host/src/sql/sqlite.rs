//! SQLite databases (`db.sql.sqlite`): rusqlite connections in a deadpool pool, each statement
//! run on tokio's blocking threads, since SQLite's calls block.
//!
//! - A file database opens in WAL mode (readers do not wait for the writer), with foreign keys
//!   on and a busy timeout, so concurrent writers queue instead of failing at once.
//! - `:memory:` is one database per entry: a single pooled connection to a named shared-cache
//!   memory database, plus an anchor connection that keeps it alive for the app's life even if
//!   the pooled one is replaced.
//! - Parameters: `?`, `?NNN` and `$N` (so one SQL text serves SQLite and PostgreSQL) are bound
//!   by position; named parameters (`:x`, `@x`, `$x`) are refused.
//! - Types: INTEGER, REAL, TEXT and BLOB come back as integers, floats, strings and binary
//!   strings; a column declared BOOLEAN (or BOOL) comes back as a boolean.
//! - A transaction holds its connection ([`Held`]); dropping it while open rolls back at once,
//!   so a sandbox that ends (or is killed) mid-transaction releases its locks.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleError, RecycleResult};
use rmpv::Value;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Statement};

use super::value::{Executed, Param, RowBudget, SqlError};
use super::{SavepointAction, TxOptions};
use crate::error::ErrorKind;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

pub type Pool = managed::Pool<Manager>;

/// Opens the connections of one database.
pub struct Manager {
    target: Target,
}

#[derive(Clone)]
enum Target {
    /// A shared-cache memory database by URI.
    Memory(String),
    File(PathBuf),
}

/// The pool of one SQLite entry, and for `:memory:` the connection that keeps it alive.
pub struct SqlitePool {
    pub pool: Pool,
    _anchor: Option<Mutex<Connection>>,
}

impl SqlitePool {
    /// The pool of a file database (`path` already joined to the app directory), or of a fresh
    /// memory database when `path` is `None`.
    pub fn new(path: Option<&Path>, max_open: u32) -> Result<SqlitePool, String> {
        static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);
        let (target, size, anchor) = match path {
            Some(path) => (Target::File(path.to_owned()), max_open as usize, None),
            None => {
                let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
                let target = Target::Memory(format!(
                    "file:luabox-memory-{}-{n}?mode=memory&cache=shared",
                    std::process::id()
                ));
                let anchor = open(&target).map_err(|e| e.message)?;
                (target, 1, Some(Mutex::new(anchor)))
            }
        };
        let pool = Pool::builder(Manager { target })
            .max_size(size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(super::WAIT_TIMEOUT))
            .create_timeout(Some(super::WAIT_TIMEOUT))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(SqlitePool {
            pool,
            _anchor: anchor,
        })
    }
}

impl managed::Manager for Manager {
    type Type = Connection;
    type Error = SqlError;

    async fn create(&self) -> Result<Connection, SqlError> {
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || open(&target))
            .await
            .map_err(|e| SqlError::internal(format!("opening a connection: {e}")))?
    }

    async fn recycle(&self, conn: &mut Connection, _: &Metrics) -> RecycleResult<SqlError> {
        // A connection comes back with a transaction open only if rolling it back failed.
        if conn.is_autocommit() {
            Ok(())
        } else {
            Err(RecycleError::message("a transaction was left open"))
        }
    }
}

fn open(target: &Target) -> Result<Connection, SqlError> {
    let conn = match target {
        Target::Memory(uri) => Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        Target::File(path) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    SqlError::unavailable(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            Connection::open(path)
        }
    }
    .map_err(|e| error(e).context("cannot open the database"))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if matches!(target, Target::File(_)) {
        use_wal(&conn, BUSY_TIMEOUT).map_err(error)?;
    }
    conn.execute_batch("PRAGMA foreign_keys = ON")
        .map_err(error)?;
    Ok(conn)
}

/// Put the database of `conn` in WAL mode. Switching takes an exclusive lock and fails at once,
/// without the busy timeout, while any other connection holds a lock, so only a file not in WAL
/// mode yet (a new one) is switched, retrying for up to `wait` while another connection is busy
/// with it.
pub fn use_wal(conn: &Connection, wait: Duration) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    let deadline = std::time::Instant::now() + wait;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn thread_failed(e: tokio::task::JoinError) -> SqlError {
    SqlError::internal(format!("the statement's thread failed: {e}"))
}

/// Run `work` on a pooled connection on a blocking thread.
pub async fn with_connection<T: Send + 'static>(
    pool: &Pool,
    work: impl FnOnce(&Connection) -> Result<T, SqlError> + Send + 'static,
) -> Result<T, SqlError> {
    let conn = pool.get().await.map_err(super::pool_error)?;
    tokio::task::spawn_blocking(move || work(&conn))
        .await
        .map_err(thread_failed)?
}

/// The rows of `sql`, each a map of column name to value (NULL columns left out).
pub fn query(
    conn: &Connection,
    sql: &str,
    params: &[Param],
    budget: &mut RowBudget,
) -> Result<Vec<Value>, SqlError> {
    let mut stmt = prepare(conn, sql)?;
    bind(&mut stmt, params)?;
    let columns: Vec<(Value, bool)> = stmt
        .columns()
        .map(|column| {
            let boolean = column.decl_type().is_some_and(|t| {
                t.eq_ignore_ascii_case("boolean") || t.eq_ignore_ascii_case("bool")
            });
            (Value::from(column.name()), boolean)
        })
        .collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        let mut fields = Vec::with_capacity(columns.len());
        for (at, (name, boolean)) in columns.iter().enumerate() {
            let value = match row.get_ref(at).map_err(error)? {
                ValueRef::Null => continue,
                ValueRef::Integer(n) if *boolean => Value::Boolean(n != 0),
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => Value::F64(f),
                ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => Value::from(text),
                    Err(_) => Value::Binary(bytes.to_vec()),
                },
                ValueRef::Blob(bytes) => Value::Binary(bytes.to_vec()),
            };
            fields.push((name.clone(), value));
        }
        budget.take(&fields)?;
        out.push(Value::Map(fields));
    }
    Ok(out)
}

/// Run `sql` for its effect. Without parameters the text may hold several statements (a
/// migration), run one after the other; `rows_affected` then counts the changes of all of them.
pub fn execute(conn: &Connection, sql: &str, params: &[Param]) -> Result<Executed, SqlError> {
    let mut stmt = match conn.prepare_cached(sql) {
        // rusqlite tells several statements apart by preparing the second one at once, before
        // the first has run: `CREATE TABLE t ...; INSERT INTO t ...` fails there with "no such
        // table". `execute_batch` prepares each statement after the one before it ran (and
        // fails the same way as `prepare` for a single bad statement). An empty text stays an
        // error.
        Err(e) if params.is_empty() && !matches!(e, rusqlite::Error::Empty) => {
            let before = conn.total_changes();
            conn.execute_batch(sql).map_err(error)?;
            return Ok(Executed {
                rows_affected: conn.total_changes() - before,
                last_insert_id: Some(conn.last_insert_rowid()),
            });
        }
        other => other.map_err(error)?,
    };
    bind(&mut stmt, params)?;
    let writes = !stmt.readonly();
    let mut rows = stmt.raw_query();
    while rows.next().map_err(error)?.is_some() {}
    Ok(Executed {
        rows_affected: if writes { conn.changes() } else { 0 },
        last_insert_id: Some(conn.last_insert_rowid()),
    })
}

/// Check `sql` and keep it in the connection's statement cache.
pub fn check(conn: &Connection, sql: &str) -> Result<(), SqlError> {
    prepare(conn, sql).map(drop)
}

fn prepare<'c>(conn: &'c Connection, sql: &str) -> Result<rusqlite::CachedStatement<'c>, SqlError> {
    conn.prepare_cached(sql).map_err(|e| match e {
        rusqlite::Error::MultipleStatement => super::multiple_statements(),
        other => error(other),
    })
}

/// Bind `params` by position: `?` takes the next one, `?NNN` and `$NNN` the NNNth.
fn bind(stmt: &mut Statement<'_>, params: &[Param]) -> Result<(), SqlError> {
    let mut highest = 0;
    for index in 1..=stmt.parameter_count() {
        let position = match stmt.parameter_name(index) {
            None => index,
            Some(name) => match name[1..].parse::<usize>() {
                Ok(n) if n > 0 && (name.starts_with('$') || name.starts_with('?')) => n,
                _ => {
                    return Err(SqlError::invalid(format!(
                        "named parameter {name} is not supported: use ? or $1, $2, ... with \
                         an array of parameters"
                    )));
                }
            },
        };
        highest = highest.max(position);
        if let Some(param) = params.get(position - 1) {
            stmt.raw_bind_parameter(index, Bound(param))
                .map_err(error)?;
        }
    }
    if highest != params.len() {
        return Err(SqlError::invalid(format!(
            "the statement takes {highest} parameter(s), {} given",
            params.len()
        )));
    }
    Ok(())
}

struct Bound<'a>(&'a Param);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Param::Null => ValueRef::Null,
            Param::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Param::Int(n) => ValueRef::Integer(*n),
            Param::Float(f) => ValueRef::Real(*f),
            Param::Text(text) => ValueRef::Text(text.as_bytes()),
            Param::Bytes(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

/// The connection of an open transaction. Dropped while the transaction is still open (the
/// sandbox ended, or an operation on it was abandoned), it rolls back on the spot; a
/// connection that cannot roll back is closed instead of going back to the pool.
pub struct Held(Option<Object<Manager>>);

impl Held {
    pub async fn begin(pool: &Pool, options: TxOptions) -> Result<Held, SqlError> {
        let conn = pool.get().await.map_err(super::pool_error)?;
        tokio::task::spawn_blocking(move || {
            let held = Held(Some(conn));
            let conn = held.connection()?;
            // Every SQLite transaction is serializable, so any isolation asked for is met. A
            // writing one takes the write lock at once, so it cannot fail halfway on upgrade.
            let begin = if options.read_only {
                "BEGIN DEFERRED; PRAGMA query_only = ON"
            } else {
                "BEGIN IMMEDIATE"
            };
            // Should the pragma fail, dropping `held` rolls back and turns it off again.
            conn.execute_batch(begin).map_err(error)?;
            Ok(held)
        })
        .await
        .map_err(thread_failed)?
    }

    fn connection(&self) -> Result<&Connection, SqlError> {
        self.0.as_deref().ok_or_else(super::lost_transaction)
    }

    /// Run `work` on this transaction's connection on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&Connection) -> Result<T, SqlError> + Send + 'static,
    ) -> Result<T, SqlError> {
        let held = Held(Some(self.0.take().ok_or_else(super::lost_transaction)?));
        let (held, result) = tokio::task::spawn_blocking(move || {
            let result = held.connection().and_then(work);
            (held, result)
        })
        .await
        .map_err(thread_failed)?;
        *self = held;
        result
    }

    pub async fn savepoint(&mut self, action: SavepointAction, name: &str) -> Result<(), SqlError> {
        let sql = action.sql(name)?;
        self.run(move |conn| conn.execute_batch(&sql).map_err(error))
            .await
    }

    /// Commit or roll back, and give the connection back to the pool.
    pub async fn finish(mut self, commit: bool) -> Result<(), SqlError> {
        self.run(move |conn| {
            let outcome = conn
                .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })
                .map_err(error);
            conn.execute_batch("PRAGMA query_only = OFF")
                .map_err(error)?;
            outcome
        })
        .await
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(conn) = self.0.take() else { return };
        if conn.is_autocommit() {
            return;
        }
        let rolled_back = conn
            .execute_batch("ROLLBACK; PRAGMA query_only = OFF")
            .is_ok();
        if !rolled_back {
            drop(Object::take(conn));
        }
    }
}

/// The database's message, with SQLite's result code in `code`; a busy or locked database is
/// `Unavailable` (retryable), anything else about the statement `Invalid`.
fn error(e: rusqlite::Error) -> SqlError {
    let (failure, text) = match &e {
        rusqlite::Error::SqliteFailure(failure, message) => (
            failure,
            message.clone().unwrap_or_else(|| failure.to_string()),
        ),
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => (
            error,
            format!("{msg} (at offset {offset} of the statement)"),
        ),
        _ => return SqlError::invalid(e.to_string()),
    };
    let kind = match failure.code {
        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
            ErrorKind::Unavailable
        }
        _ => ErrorKind::Invalid,
    };
    SqlError::new(kind, text).with_code(format!("{:?}", failure.code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_runs_several_statements_one_after_the_other() {
        let conn = Connection::open_in_memory().unwrap();
        let done = execute(
            &conn,
            "CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t SELECT x + 1 FROM t",
            &[],
        )
        .unwrap();
        assert_eq!(done.rows_affected, 2);
        let sum: i64 = conn
            .query_row("SELECT sum(x) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(sum, 3);
        for empty in ["", "  -- only a comment"] {
            let error = execute(&conn, empty, &[]).unwrap_err();
            assert!(error.message.contains("empty"), "{}", error.message);
        }
        let error = execute(&conn, "INSERT INTO t VALUES (2); SELEC 1", &[]).unwrap_err();
        assert!(error.message.contains("syntax error"), "{}", error.message);
    }
}
