//! The app's SQL databases: one pool per `db.sql.sqlite` / `db.sql.postgres` entry, created with
//! the app and closed with it, and what runs on them ([`Database`], [`Transaction`]). The `sql`
//! Lua module (`modules/sql.rs`) and `store.sql` use these; they never see a backend.
//!
//! Pools connect lazily and keep at most `pool.max_open` connections; an upkeep task closes idle
//! connections beyond `pool.max_idle` and any older than `pool.max_lifetime`. A statement
//! waits at most [`WAIT_TIMEOUT`] for a free connection, then fails with `Timeout`.

pub mod postgres;
pub mod sqlite;
pub mod value;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed;
use rmpv::Value;

use crate::config::db::{DbPool, SqlBackend, SqlDatabase, SqliteFile};
use crate::config::{ConfigError, Entry, EntryId, Spec};
use crate::error::ErrorKind;
pub use value::{Executed, Param, RowBudget, SqlError};

/// How long a statement waits for a connection (and a connection attempt may take).
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the upkeep task looks at idle connections.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Every database entry of an app, by id.
#[derive(Default)]
pub struct Databases {
    by_id: HashMap<EntryId, Arc<Database>>,
}

impl Databases {
    /// A pool for each database entry of `entries` (`root` is the app directory, where SQLite
    /// files live). A database that cannot be set up is an error at its entry.
    pub fn new(root: &Path, entries: &[Entry]) -> Result<Databases, Vec<ConfigError>> {
        let mut by_id = HashMap::new();
        let mut errors = Vec::new();
        for entry in entries {
            let Spec::SqlDatabase(spec) = &entry.spec else {
                continue;
            };
            match Database::new(&entry.id, root, spec) {
                Ok(database) => {
                    by_id.insert(entry.id.clone(), Arc::new(database));
                }
                Err(message) => errors.push(ConfigError::new(
                    entry.location.clone(),
                    Some(entry.id.to_string()),
                    message,
                )),
            }
        }
        if errors.is_empty() {
            Ok(Databases { by_id })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, id: &EntryId) -> Option<&Arc<Database>> {
        self.by_id.get(id)
    }

    /// Close every pool: waiting statements fail, idle connections close.
    pub fn close(&self) {
        for database in self.by_id.values() {
            match &database.backend {
                Backend::Sqlite(pool) => pool.pool.close(),
                Backend::Postgres(pool) => pool.close(),
            }
        }
    }
}

/// One database entry's pool.
pub struct Database {
    id: EntryId,
    backend: Backend,
    max_rows: u32,
}

enum Backend {
    Sqlite(sqlite::SqlitePool),
    Postgres(deadpool_postgres::Pool),
}

impl Database {
    fn new(id: &EntryId, root: &Path, spec: &SqlDatabase) -> Result<Database, String> {
        let backend = match &spec.backend {
            SqlBackend::Sqlite(file) => {
                let path = match file {
                    SqliteFile::Memory => None,
                    SqliteFile::Path(path) => Some(
                        crate::config::inside_app(root, path)
                            .map_err(|e| format!("field 'file': {e}"))?,
                    ),
                };
                let pool = sqlite::SqlitePool::new(path.as_deref(), spec.pool.max_open)?;
                upkeep(&pool.pool, &spec.pool);
                Backend::Sqlite(pool)
            }
            SqlBackend::Postgres(config) => {
                let pool = postgres::pool(config, spec.pool.max_open)?;
                upkeep(&pool, &spec.pool);
                Backend::Postgres(pool)
            }
        };
        Ok(Database {
            id: id.clone(),
            backend,
            max_rows: spec.max_rows,
        })
    }

    pub fn id(&self) -> &EntryId {
        &self.id
    }

    /// "sqlite" or "postgres" (`db:type()` in Lua).
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The limit of one query's result: this database's `max_rows`, and `max_bytes`.
    pub fn budget(&self, max_bytes: usize) -> RowBudget {
        RowBudget::new(&self.id.to_string(), self.max_rows, max_bytes)
    }

    pub async fn query(
        &self,
        sql: String,
        params: Vec<Param>,
        mut budget: RowBudget,
    ) -> Result<Vec<Value>, SqlError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlite::with_connection(&pool.pool, move |conn| {
                    sqlite::query(conn, &sql, &params, &mut budget)
                })
                .await
            }
            Backend::Postgres(pool) => {
                let client = postgres::connection(pool).await?;
                postgres::query(&client, &sql, &params, &mut budget).await
            }
        }
    }

    pub async fn execute(&self, sql: String, params: Vec<Param>) -> Result<Executed, SqlError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlite::with_connection(&pool.pool, move |conn| {
                    sqlite::execute(conn, &sql, &params)
                })
                .await
            }
            Backend::Postgres(pool) => {
                let client = postgres::connection(pool).await?;
                postgres::execute(&client, &sql, &params).await
            }
        }
    }

    /// Check that the database accepts `sql`.
    pub async fn prepare(&self, sql: String) -> Result<(), SqlError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlite::with_connection(&pool.pool, move |conn| sqlite::check(conn, &sql)).await
            }
            Backend::Postgres(pool) => {
                let client = postgres::connection(pool).await?;
                postgres::check(&client, &sql).await
            }
        }
    }

    /// Start a transaction on a connection of its own.
    pub async fn begin(self: &Arc<Self>, options: TxOptions) -> Result<Transaction, SqlError> {
        let held = match &self.backend {
            Backend::Sqlite(pool) => Held::Sqlite(sqlite::Held::begin(&pool.pool, options).await?),
            Backend::Postgres(pool) => Held::Postgres(postgres::Held::begin(pool, options).await?),
        };
        Ok(Transaction {
            database: self.clone(),
            held,
        })
    }

    /// The pool's figures: `{max_open, open, idle, waiting}`.
    pub fn stats(&self) -> Value {
        let status = match &self.backend {
            Backend::Sqlite(pool) => pool.pool.status(),
            Backend::Postgres(pool) => pool.status(),
        };
        let count = |n: usize| Value::from(n as u64);
        Value::Map(vec![
            (Value::from("max_open"), count(status.max_size)),
            (Value::from("open"), count(status.size)),
            (Value::from("idle"), count(status.available)),
            (Value::from("waiting"), count(status.waiting)),
        ])
    }
}

/// An open transaction and the connection it holds; dropped while open, it rolls back.
pub struct Transaction {
    database: Arc<Database>,
    held: Held,
}

enum Held {
    Sqlite(sqlite::Held),
    Postgres(postgres::Held),
}

impl Transaction {
    pub fn database(&self) -> &Arc<Database> {
        &self.database
    }

    pub async fn query(
        &mut self,
        sql: String,
        params: Vec<Param>,
        mut budget: RowBudget,
    ) -> Result<Vec<Value>, SqlError> {
        match &mut self.held {
            Held::Sqlite(held) => {
                held.run(move |conn| sqlite::query(conn, &sql, &params, &mut budget))
                    .await
            }
            Held::Postgres(held) => {
                postgres::query(held.client()?, &sql, &params, &mut budget).await
            }
        }
    }

    pub async fn execute(&mut self, sql: String, params: Vec<Param>) -> Result<Executed, SqlError> {
        match &mut self.held {
            Held::Sqlite(held) => {
                held.run(move |conn| sqlite::execute(conn, &sql, &params))
                    .await
            }
            Held::Postgres(held) => postgres::execute(held.client()?, &sql, &params).await,
        }
    }

    pub async fn prepare(&mut self, sql: String) -> Result<(), SqlError> {
        match &mut self.held {
            Held::Sqlite(held) => held.run(move |conn| sqlite::check(conn, &sql)).await,
            Held::Postgres(held) => postgres::check(held.client()?, &sql).await,
        }
    }

    pub async fn savepoint(&mut self, action: SavepointAction, name: &str) -> Result<(), SqlError> {
        match &mut self.held {
            Held::Sqlite(held) => held.savepoint(action, name).await,
            Held::Postgres(held) => held.savepoint(action, name).await,
        }
    }

    /// Commit (or roll back) and give the connection back.
    pub async fn finish(self, commit: bool) -> Result<(), SqlError> {
        match self.held {
            Held::Sqlite(held) => held.finish(commit).await,
            Held::Postgres(held) => held.finish(commit).await,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOptions {
    pub isolation: Isolation,
    pub read_only: bool,
}

/// A transaction's isolation level. SQLite runs every transaction serializable, which satisfies
/// any level asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    Default,
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    pub const NAMES: &[&str] = &[
        "default",
        "read_uncommitted",
        "read_committed",
        "repeatable_read",
        "serializable",
    ];

    pub fn parse(name: &str) -> Option<Isolation> {
        Some(match name {
            "default" | "" => Isolation::Default,
            "read_uncommitted" => Isolation::ReadUncommitted,
            "read_committed" => Isolation::ReadCommitted,
            "repeatable_read" => Isolation::RepeatableRead,
            "serializable" => Isolation::Serializable,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointAction {
    Create,
    RollbackTo,
    Release,
}

impl SavepointAction {
    /// The statement for savepoint `name`, which must be a plain name: it cannot be bound.
    fn sql(self, name: &str) -> Result<String, SqlError> {
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return Err(SqlError::invalid(format!(
                "savepoint name '{name}' must be a plain name (letters, digits and _, not \
                 starting with a digit, at most 63)"
            )));
        }
        Ok(match self {
            SavepointAction::Create => format!("SAVEPOINT {name}"),
            SavepointAction::RollbackTo => format!("ROLLBACK TO SAVEPOINT {name}"),
            SavepointAction::Release => format!("RELEASE SAVEPOINT {name}"),
        })
    }
}

/// A failure to get a connection from a pool.
fn pool_error<E: Into<SqlError>>(e: managed::PoolError<E>) -> SqlError {
    match e {
        managed::PoolError::Timeout(_) => SqlError::new(
            ErrorKind::Timeout,
            format!(
                "no connection came free within {} (all of pool.max_open are in use)",
                humantime::format_duration(WAIT_TIMEOUT)
            ),
        ),
        managed::PoolError::Backend(e) => e.into(),
        managed::PoolError::Closed => SqlError::unavailable("the app is shutting down"),
        managed::PoolError::NoRuntimeSpecified | managed::PoolError::PostCreateHook(_) => {
            SqlError::internal("the connection pool is misconfigured")
        }
    }
}

impl From<tokio_postgres::Error> for SqlError {
    fn from(e: tokio_postgres::Error) -> Self {
        postgres::error(e)
    }
}

fn multiple_statements() -> SqlError {
    SqlError::invalid(
        "the text holds more than one statement; query and prepare take one (execute without \
         parameters runs several)",
    )
}

fn lost_transaction() -> SqlError {
    SqlError::unavailable(
        "the transaction's connection was lost (an operation on it was abandoned); the \
         transaction was rolled back",
    )
}

/// Keep a pool within `max_idle` idle connections and `max_lifetime`, until the pool is gone.
fn upkeep<M: managed::Manager + 'static>(pool: &managed::Pool<M>, config: &DbPool) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = pool.weak();
    let max_idle = config.max_idle as usize;
    let max_lifetime = config.max_lifetime;
    let interval = max_lifetime.map_or(UPKEEP_INTERVAL, |l| UPKEEP_INTERVAL.min(l / 2));
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(pool) = weak.upgrade() else { return };
            if pool.is_closed() {
                return;
            }
            let mut kept = 0;
            pool.retain(|_, metrics| {
                let keep = kept < max_idle && max_lifetime.is_none_or(|l| metrics.age() < l);
                kept += usize::from(keep);
                keep
            });
        }
    });
}
