//! `store.sql`: a key-value table in one of the app's `db.sql.*` databases, so stored values
//! outlive the app and are shared by every luabox host using that database.
//!
//! The table (`table_name`, default `kv_store`) has a text key column, a binary payload column
//! (the value's MessagePack bytes) and an expiry column holding Unix milliseconds, NULL for
//! "never". luabox creates it if it does not exist, on the store's first use. Expiry is exact:
//! every read filters out expired rows, and a task deletes them every `cleanup_interval` until
//! the store is dropped with its app. Statements are the same on SQLite and PostgreSQL
//! (`ON CONFLICT` upserts, `RETURNING`), with parameters bound as always.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::BoxFuture;
use rmpv::Value;
use tokio::sync::OnceCell;

use super::{Key, KvError, KvStore, Ttl};
use crate::config::store::SqlStore;
use crate::error::ErrorKind;
use crate::sql::{Database, Param, SqlError};

pub struct SqlKvStore {
    /// The entry id, for messages.
    name: String,
    database: Arc<Database>,
    statements: Statements,
    /// Set once the table is known to exist.
    table_ready: OnceCell<()>,
}

/// The SQL of each operation, built once from the entry's table and column names (checked to
/// be plain identifiers when the entry was read).
struct Statements {
    create: String,
    get: String,
    has: String,
    set: String,
    delete: String,
    sweep: String,
}

impl Statements {
    fn new(names: &SqlStore, postgres: bool) -> Statements {
        let SqlStore {
            table,
            id_column: id,
            payload_column: payload,
            expire_column: expire,
            ..
        } = names;
        let binary = if postgres { "BYTEA" } else { "BLOB" };
        let live = format!("({expire} IS NULL OR {expire} > $2)");
        Statements {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {table} ({id} TEXT PRIMARY KEY, {payload} {binary} \
                 NOT NULL, {expire} BIGINT)"
            ),
            get: format!("SELECT {payload} AS payload FROM {table} WHERE {id} = $1 AND {live}"),
            has: format!("SELECT 1 AS present FROM {table} WHERE {id} = $1 AND {live}"),
            set: format!(
                "INSERT INTO {table} ({id}, {payload}, {expire}) VALUES ($1, $2, $3) ON CONFLICT \
                 ({id}) DO UPDATE SET {payload} = excluded.{payload}, {expire} = \
                 excluded.{expire}"
            ),
            delete: format!(
                "DELETE FROM {table} WHERE {id} = $1 RETURNING CASE WHEN {live} THEN 1 ELSE 0 \
                 END AS live"
            ),
            sweep: format!("DELETE FROM {table} WHERE {expire} IS NOT NULL AND {expire} <= $1"),
        }
    }
}

impl SqlKvStore {
    /// The store of entry `name` on `database`, sweeping expired rows every `cleanup_interval`
    /// (when a tokio runtime is running).
    pub fn new(
        name: &str,
        database: Arc<Database>,
        names: &SqlStore,
        cleanup_interval: Duration,
    ) -> Arc<SqlKvStore> {
        let statements = Statements::new(names, database.kind() == "postgres");
        let store = Arc::new(SqlKvStore {
            name: name.to_owned(),
            database,
            statements,
            table_ready: OnceCell::new(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweep(Arc::downgrade(&store), cleanup_interval));
        }
        store
    }

    async fn ready(&self) -> Result<(), KvError> {
        self.table_ready
            .get_or_try_init(|| async {
                self.database
                    .execute(self.statements.create.clone(), Vec::new())
                    .await
                    .map(drop)
                    .map_err(|e| self.error(e))
            })
            .await
            .map(drop)
    }

    async fn rows(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Value>, KvError> {
        self.ready().await?;
        let budget = self.database.budget(usize::MAX);
        self.database
            .query(sql.to_owned(), params, budget)
            .await
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: SqlError) -> KvError {
        let message = format!("store '{}': sql: {}", self.name, e.message);
        match e.kind {
            ErrorKind::Unavailable | ErrorKind::Timeout | ErrorKind::Conflict => {
                KvError::Unavailable(message)
            }
            _ => KvError::Internal(message),
        }
    }
}

/// Unix milliseconds now, the scale of the expiry column.
fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn key_param(key: &Key) -> Param {
    Param::Text(key.as_str().to_owned())
}

/// The value of `column` in the first row, if there is one.
fn first<'a>(rows: &'a [Value], column: &str) -> Option<&'a Value> {
    let Value::Map(fields) = rows.first()? else {
        return None;
    };
    fields
        .iter()
        .find(|(name, _)| name.as_str() == Some(column))
        .map(|(_, value)| value)
}

impl KvStore for SqlKvStore {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
        async move {
            let params = vec![key_param(key), Param::Int(now_millis())];
            let rows = self.rows(&self.statements.get, params).await?;
            match first(&rows, "payload") {
                None => Ok(None),
                Some(Value::Binary(bytes)) => Ok(Some(bytes.clone())),
                Some(other) => Err(KvError::Internal(format!(
                    "store '{}': the payload column holds {other}, not binary data (was the \
                     table made for another purpose?)",
                    self.name
                ))),
            }
        }
        .boxed()
    }

    fn set<'a>(
        &'a self,
        key: &'a Key,
        value: Vec<u8>,
        ttl: Option<Ttl>,
    ) -> BoxFuture<'a, Result<(), KvError>> {
        async move {
            self.ready().await?;
            let expire = match ttl {
                Some(ttl) => Param::Int(now_millis() + ttl.duration().as_millis() as i64),
                None => Param::Null,
            };
            let params = vec![key_param(key), Param::Bytes(value), expire];
            self.database
                .execute(self.statements.set.clone(), params)
                .await
                .map(drop)
                .map_err(|e| self.error(e))
        }
        .boxed()
    }

    fn has<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
        async move {
            let params = vec![key_param(key), Param::Int(now_millis())];
            Ok(!self.rows(&self.statements.has, params).await?.is_empty())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
        async move {
            let params = vec![key_param(key), Param::Int(now_millis())];
            let rows = self.rows(&self.statements.delete, params).await?;
            Ok(first(&rows, "live").and_then(Value::as_i64) == Some(1))
        }
        .boxed()
    }
}

/// Delete expired rows every `interval` while the store lives.
async fn sweep(store: Weak<SqlKvStore>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let Some(store) = store.upgrade() else { return };
        if store.ready().await.is_err() {
            continue;
        }
        let params = vec![Param::Int(now_millis())];
        if let Err(e) = store
            .database
            .execute(store.statements.sweep.clone(), params)
            .await
        {
            tracing::warn!(store = %store.name, "cannot delete expired keys: {}", e.message);
        }
    }
}
