//! `wit/sql.wit`, the `sql` Lua module: statements on the app's database entries
//! ([`crate::sql`]) that the sandbox's entry is granted in `resources:`.
//!
//! A sandbox opens a database by id (`sql.get`), which checks the grant once and gives the
//! sandbox a small handle; transactions get handles too. Both live in this sandbox's
//! [`Session`], so they end with it: a transaction still open when the sandbox ends is dropped,
//! which rolls it back and frees its connection. Each statement runs as a pending operation
//! (docs/architecture.md §3); its result may not exceed the database's `max_rows` nor the sandbox's
//! `max_payload`.
//!
//! ```lua
//! local sql = require("sql")
//! local db, err = sql.get("app:db")
//! local rows, err = db:query("SELECT id, name FROM users WHERE id = $1", {42})
//! ```

use super::AppSandbox;
use std::collections::HashMap;
use std::sync::Arc;

use rmpv::Value;
use tokio::sync::Mutex;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::sql::{self, SavepointAction, Target};
use crate::codec::encode_values;
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::sql::{Database, Executed, Isolation, Param, SqlError, Transaction, TxOptions, value};

host_module!(Sql, "sql", sql);

/// What one sandbox has open: databases by handle (`None` once released) and transactions.
#[derive(Default)]
struct Session {
    databases: Vec<Option<Arc<Database>>>,
    transactions: HashMap<u32, Arc<Mutex<Option<Transaction>>>>,
    last_transaction: u32,
}

/// The most transactions one sandbox may have open at once (each holds a connection).
const MAX_TRANSACTIONS: usize = 64;
/// The most databases one sandbox may open (released ones included).
const MAX_OPENED: usize = 1024;

/// A statement's connection, as the operation will use it.
enum On {
    Database(Arc<Database>),
    Transaction(Arc<Mutex<Option<Transaction>>>),
}

impl SandboxState {
    fn sql_target(&mut self, target: Target) -> Result<On, HostError> {
        let session = self.module_state::<Session>();
        match target {
            Target::Database(handle) => session
                .databases
                .get(handle as usize)
                .and_then(Option::clone)
                .map(On::Database)
                .ok_or_else(|| host_error(ErrorKind::Invalid, "sql: the database was released")),
            Target::Transaction(handle) => session
                .transactions
                .get(&handle)
                .cloned()
                .map(On::Transaction)
                .ok_or_else(|| host_error(ErrorKind::Invalid, "sql: the transaction has ended")),
        }
    }

    fn sql_database(&mut self, handle: u32) -> Result<Arc<Database>, HostError> {
        match self.sql_target(Target::Database(handle))? {
            On::Database(database) => Ok(database),
            On::Transaction(_) => Err(host_error(ErrorKind::Internal, "sql: not a database")),
        }
    }

    /// Start `operation`, whose outcome becomes the Lua call's values.
    fn sql_start(
        &mut self,
        operation: impl Future<Output = Result<Value, SqlError>> + Send + 'static,
    ) -> Result<u64, crate::engine::pending::TooManyPending> {
        self.pending().start(async move {
            match operation.await {
                Ok(value) => encode_values(vec![value]),
                Err(error) => encode_values(vec![Value::Nil, error.to_error_object().to_msgpack()]),
            }
        })
    }
}

/// What a statement call does, on a pooled connection or in a transaction.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// Rows, within the database's `max_rows` and `max_bytes`.
    Query {
        max_bytes: usize,
    },
    Execute,
    Prepare,
}

impl Work {
    async fn on_database(
        self,
        database: &Database,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Value, SqlError> {
        match self {
            Work::Query { max_bytes } => {
                let budget = database.budget(max_bytes);
                database.query(sql, params, budget).await.map(Value::Array)
            }
            Work::Execute => database
                .execute(sql, params)
                .await
                .map(Executed::to_msgpack),
            Work::Prepare => database.prepare(sql).await.map(|()| Value::Boolean(true)),
        }
    }

    async fn on_transaction(
        self,
        transaction: &mut Transaction,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Value, SqlError> {
        match self {
            Work::Query { max_bytes } => {
                let budget = transaction.database().budget(max_bytes);
                transaction
                    .query(sql, params, budget)
                    .await
                    .map(Value::Array)
            }
            Work::Execute => transaction
                .execute(sql, params)
                .await
                .map(Executed::to_msgpack),
            Work::Prepare => transaction
                .prepare(sql)
                .await
                .map(|()| Value::Boolean(true)),
        }
    }
}

impl SandboxState {
    /// Start `work` with `statement` (and its MessagePack `params`) on `target`.
    fn sql_statement(
        &mut self,
        target: Target,
        statement: String,
        params: Option<&[u8]>,
        work: Work,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        let params = match params.map(value::params).transpose() {
            Ok(params) => params.unwrap_or_default(),
            Err(e) => return Ok(Err(host_error(e.kind, format!("sql: {}", e.message)))),
        };
        let on = match self.sql_target(target) {
            Ok(on) => on,
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok(self.sql_start(async move {
            match on {
                On::Database(database) => work.on_database(&database, statement, params).await,
                On::Transaction(slot) => {
                    in_transaction(&slot, async |tx| {
                        work.on_transaction(tx, statement, params).await
                    })
                    .await
                }
            }
        })?))
    }
}

/// Run `work` on the transaction behind `slot`; an ended one is an error.
async fn in_transaction<T>(
    slot: &Mutex<Option<Transaction>>,
    work: impl AsyncFnOnce(&mut Transaction) -> Result<T, SqlError>,
) -> Result<T, SqlError> {
    match slot.lock().await.as_mut() {
        Some(transaction) => work(transaction).await,
        None => Err(SqlError::invalid("the transaction has ended")),
    }
}

impl sql::Host for SandboxState {
    fn open(&mut self, id: String) -> wasmtime::Result<Result<(u32, String), HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("sql.get", "registry")));
        };
        let id = match EntryId::resolve(&id, self.namespace()) {
            Ok(id) => id,
            Err(e) => return Ok(Err(host_error(ErrorKind::Invalid, format!("sql.get: {e}")))),
        };
        // The app has a pool for every database entry and for nothing else.
        let database = match app.databases().get(&id) {
            Some(database) => database.clone(),
            None => {
                return Ok(Err(host_error(
                    ErrorKind::NotFound,
                    format!(
                        "sql.get: no database '{id}' (a db.sql.sqlite or db.sql.postgres entry)"
                    ),
                )));
            }
        };
        if let Err(denied) = super::check_granted(self, "sql.get", "database", &id) {
            return Ok(Err(denied));
        }
        let session = self.module_state::<Session>();
        if session.databases.len() >= MAX_OPENED {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                format!("sql.get: a sandbox may open databases at most {MAX_OPENED} times"),
            )));
        }
        let kind = database.kind().to_owned();
        session.databases.push(Some(database));
        Ok(Ok(((session.databases.len() - 1) as u32, kind)))
    }

    fn release(&mut self, database: u32) -> wasmtime::Result<()> {
        if let Some(slot) = self
            .module_state::<Session>()
            .databases
            .get_mut(database as usize)
        {
            *slot = None;
        }
        Ok(())
    }

    fn query(
        &mut self,
        target: Target,
        statement: String,
        params: Vec<u8>,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        let max_bytes = self.max_payload() as usize;
        self.sql_statement(target, statement, Some(&params), Work::Query { max_bytes })
    }

    fn execute(
        &mut self,
        target: Target,
        statement: String,
        params: Vec<u8>,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        self.sql_statement(target, statement, Some(&params), Work::Execute)
    }

    fn prepare(
        &mut self,
        target: Target,
        statement: String,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        self.sql_statement(target, statement, None, Work::Prepare)
    }

    fn begin(
        &mut self,
        database: u32,
        isolation: String,
        read_only: bool,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        let Some(isolation) = Isolation::parse(&isolation) else {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                format!(
                    "sql: unknown isolation level '{isolation}' (one of: {})",
                    Isolation::NAMES.join(", ")
                ),
            )));
        };
        let database = match self.sql_database(database) {
            Ok(database) => database,
            Err(error) => return Ok(Err(error)),
        };
        let session = self.module_state::<Session>();
        // Slots left empty by a `begin` that failed are forgotten; a slot that is locked is a
        // `begin` (or a statement) in progress.
        session
            .transactions
            .retain(|_, slot| slot.try_lock().map_or(true, |tx| tx.is_some()));
        if session.transactions.len() >= MAX_TRANSACTIONS {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                format!(
                    "sql: a sandbox may have at most {MAX_TRANSACTIONS} transactions open at once"
                ),
            )));
        }
        session.last_transaction += 1;
        let number = session.last_transaction;
        let slot = Arc::new(Mutex::new(None));
        session.transactions.insert(number, slot.clone());
        // Held from now until the transaction is in it, so statements on it wait for it.
        let Ok(mut filling) = slot.try_lock_owned() else {
            return Ok(Err(host_error(
                ErrorKind::Internal,
                "sql: a new transaction slot was in use",
            )));
        };
        let options = TxOptions {
            isolation,
            read_only,
        };
        Ok(Ok(self.sql_start(async move {
            *filling = Some(database.begin(options).await?);
            Ok(Value::from(number))
        })?))
    }

    fn finish(
        &mut self,
        transaction: u32,
        commit: bool,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        let Some(slot) = self
            .module_state::<Session>()
            .transactions
            .remove(&transaction)
        else {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                "sql: the transaction has ended",
            )));
        };
        Ok(Ok(self.sql_start(async move {
            match slot.lock().await.take() {
                Some(transaction) => transaction
                    .finish(commit)
                    .await
                    .map(|()| Value::Boolean(true)),
                None => Err(SqlError::invalid("the transaction has ended")),
            }
        })?))
    }

    fn savepoint(
        &mut self,
        transaction: u32,
        action: SavepointAction,
        name: String,
    ) -> wasmtime::Result<Result<u64, HostError>> {
        let slot = match self.sql_target(Target::Transaction(transaction)) {
            Ok(On::Transaction(slot)) => slot,
            Ok(On::Database(_)) => {
                return Ok(Err(host_error(
                    ErrorKind::Internal,
                    "sql: not a transaction",
                )));
            }
            Err(error) => return Ok(Err(error)),
        };
        let action = match action {
            SavepointAction::Create => crate::sql::SavepointAction::Create,
            SavepointAction::RollbackTo => crate::sql::SavepointAction::RollbackTo,
            SavepointAction::Release => crate::sql::SavepointAction::Release,
        };
        Ok(Ok(self.sql_start(async move {
            in_transaction(&slot, async |tx| {
                tx.savepoint(action, &name)
                    .await
                    .map(|()| Value::Boolean(true))
            })
            .await
        })?))
    }

    fn stats(&mut self, database: u32) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        Ok(self
            .sql_database(database)
            .map(|database| encode_values(vec![database.stats()])))
    }
}
