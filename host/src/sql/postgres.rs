//! PostgreSQL databases (`db.sql.postgres`): tokio-postgres connections in a deadpool-postgres
//! pool, statements prepared once per connection (its statement cache).
//!
//! Parameters are converted to the types the server inferred for them when it prepared the
//! statement: a Lua integer binds to `int2`/`int4`/`int8`/`numeric`/`float8`..., a string to
//! `text`, `json`, `uuid`, `date`, `timestamptz`, `numeric`... (parsed as PostgreSQL would
//! parse the literal), so `$1` works for any column without casts. Columns come back typed:
//! booleans, integers, floats; `numeric` as a string (exact); `json`/`jsonb` as JSON text;
//! `uuid`, dates and times as strings (`timestamptz` in RFC 3339, UTC); `bytea` as binary
//! strings. Other types are refused with a hint to cast them (`col::text`).
//!
//! A transaction holds its connection ([`Held`]); dropped while open it is rolled back on a
//! task, and a connection that cannot roll back is closed, never returned to the pool.

use std::error::Error as StdError;
use std::str::FromStr;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use futures::{StreamExt, pin_mut};
use rmpv::Value;
use rust_decimal::Decimal;
use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};
use tokio_postgres::{NoTls, Row, Statement};

use super::value::{Executed, Param, RowBudget, SqlError};
use super::{Isolation, SavepointAction, TxOptions};
use crate::config::db::PostgresConfig;
use crate::error::ErrorKind;

/// The pool of one entry. Nothing connects until the first statement.
pub fn pool(config: &PostgresConfig, max_open: u32) -> Result<Pool, String> {
    let mut pg = tokio_postgres::Config::new();
    pg.host(&config.host)
        .port(config.port)
        .dbname(&config.database)
        .user(&config.username)
        .application_name("luabox")
        .connect_timeout(super::WAIT_TIMEOUT);
    if let Some(password) = &config.password {
        pg.password(password);
    }
    let mut server_options = Vec::new();
    // The options were checked when the entry was read (config/db.rs).
    for (name, value) in &config.options {
        match name.as_str() {
            "sslmode" => {
                pg.ssl_mode(tokio_postgres::config::SslMode::Disable);
            }
            "application_name" => {
                pg.application_name(value);
            }
            "connect_timeout" => {
                let seconds = value.parse::<u64>().unwrap_or(10).max(1);
                pg.connect_timeout(std::time::Duration::from_secs(seconds));
            }
            "search_path" | "statement_timeout" => {
                server_options.push(format!("-c {name}={}", value.replace(' ', "\\ ")));
            }
            "options" => server_options.push(value.clone()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if !server_options.is_empty() {
        pg.options(server_options.join(" "));
    }
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_open as usize)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(super::WAIT_TIMEOUT))
        .create_timeout(Some(super::WAIT_TIMEOUT))
        .recycle_timeout(Some(super::WAIT_TIMEOUT))
        .build()
        .map_err(|e| e.to_string())
}

/// A statement from the connection's cache, checked against the parameters given.
async fn statement(client: &Object, sql: &str, params: &[Param]) -> Result<Statement, SqlError> {
    let statement = prepare(client, sql).await?;
    check_count(&statement, params)?;
    Ok(statement)
}

fn check_count(statement: &Statement, params: &[Param]) -> Result<(), SqlError> {
    if statement.params().len() != params.len() {
        return Err(SqlError::invalid(format!(
            "the statement takes {} parameter(s), {} given",
            statement.params().len(),
            params.len()
        )));
    }
    Ok(())
}

/// The rows of `sql`, each a map of column name to value (NULL columns left out). Rows are
/// read as they arrive, so a result past the budget fails without being held in memory.
pub async fn query(
    client: &Object,
    sql: &str,
    params: &[Param],
    budget: &mut RowBudget,
) -> Result<Vec<Value>, SqlError> {
    let statement = statement(client, sql, params).await?;
    let columns: Vec<(Value, Type)> = statement
        .columns()
        .iter()
        .map(|c| (Value::from(c.name()), c.type_().clone()))
        .collect();
    let stream = client
        .query_raw(&statement, params.iter().map(Bound))
        .await
        .map_err(error)?;
    pin_mut!(stream);
    let mut out = Vec::new();
    while let Some(row) = stream.next().await {
        let row = row.map_err(error)?;
        let mut fields = Vec::with_capacity(columns.len());
        for (at, (name, ty)) in columns.iter().enumerate() {
            if let Some(value) = cell(&row, at, ty, name)? {
                fields.push((name.clone(), value));
            }
        }
        if let Err(refused) = budget.take(&fields) {
            // Stop the server producing rows nobody reads (the connection would otherwise
            // drain them all before its next statement).
            let _ = client.cancel_token().cancel_query(NoTls).await;
            return Err(refused);
        }
        out.push(Value::Map(fields));
    }
    Ok(out)
}

/// Run `sql` for its effect. Without parameters the text may hold several statements (run as
/// one simple query; `rows_affected` is then 0).
pub async fn execute(client: &Object, sql: &str, params: &[Param]) -> Result<Executed, SqlError> {
    let statement = match client.prepare_cached(sql).await {
        Err(e) if params.is_empty() && is_multiple_commands(&e) => {
            client.batch_execute(sql).await.map_err(error)?;
            return Ok(Executed {
                rows_affected: 0,
                last_insert_id: None,
            });
        }
        other => other.map_err(error)?,
    };
    check_count(&statement, params)?;
    let rows_affected = client
        .execute_raw(&statement, params.iter().map(Bound))
        .await
        .map_err(error)?;
    Ok(Executed {
        rows_affected,
        last_insert_id: None,
    })
}

fn is_multiple_commands(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.message().contains("cannot insert multiple commands"))
}

/// Check `sql` and keep it in the connection's statement cache.
pub async fn check(client: &Object, sql: &str) -> Result<(), SqlError> {
    prepare(client, sql).await.map(drop)
}

async fn prepare(client: &Object, sql: &str) -> Result<Statement, SqlError> {
    client.prepare_cached(sql).await.map_err(|e| {
        if is_multiple_commands(&e) {
            super::multiple_statements()
        } else {
            error(e)
        }
    })
}

pub async fn connection(pool: &Pool) -> Result<Object, SqlError> {
    pool.get().await.map_err(|e| match e {
        deadpool_postgres::PoolError::Backend(e) => {
            let mut e = error(e).context("cannot connect");
            e.kind = ErrorKind::Unavailable;
            e
        }
        other => super::pool_error(other),
    })
}

/// The connection of an open transaction (see the module doc).
pub struct Held(Option<Object>);

impl Held {
    pub async fn begin(pool: &Pool, options: TxOptions) -> Result<Held, SqlError> {
        let client = connection(pool).await?;
        let isolation = match options.isolation {
            Isolation::Default => "",
            Isolation::ReadUncommitted => " ISOLATION LEVEL READ UNCOMMITTED",
            Isolation::ReadCommitted => " ISOLATION LEVEL READ COMMITTED",
            Isolation::RepeatableRead => " ISOLATION LEVEL REPEATABLE READ",
            Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
        };
        let access = if options.read_only { " READ ONLY" } else { "" };
        client
            .batch_execute(&format!("BEGIN{isolation}{access}"))
            .await
            .map_err(error)?;
        Ok(Held(Some(client)))
    }

    pub fn client(&self) -> Result<&Object, SqlError> {
        self.0.as_ref().ok_or_else(super::lost_transaction)
    }

    pub async fn savepoint(&mut self, action: SavepointAction, name: &str) -> Result<(), SqlError> {
        let sql = action.sql(name)?;
        self.client()?.batch_execute(&sql).await.map_err(error)
    }

    /// Commit or roll back, and give the connection back to the pool. Rolling back on a lost
    /// connection succeeds: the server has already discarded the transaction.
    pub async fn finish(mut self, commit: bool) -> Result<(), SqlError> {
        let Some(client) = self.0.take() else {
            return if commit {
                Err(super::lost_transaction())
            } else {
                Ok(())
            };
        };
        let outcome = client
            .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
            .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => {
                drop(Object::take(client));
                if commit || !e.is_closed() {
                    Err(error(e))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(client) = self.0.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}

/// A parameter converted to the type the server expects for it.
#[derive(Debug)]
struct Bound<'a>(&'a Param);

type ToSqlResult = Result<IsNull, Box<dyn StdError + Sync + Send>>;

impl ToSql for Bound<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::JSON | Type::JSONB => serde_json::Value::Bool(*b).to_sql(ty, out),
                _ if is_text(ty) => b.to_string().to_sql(ty, out),
                _ => mismatch(self.0, ty),
            },
            Param::Int(n) => int(*n, ty, out),
            Param::Float(f) => float(*f, ty, out),
            Param::Text(text) => text_to(text, ty, out),
            Param::Bytes(bytes) => match *ty {
                Type::BYTEA => bytes.as_slice().to_sql(ty, out),
                _ => mismatch(self.0, ty),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn int(n: i64, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
    match *ty {
        Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
        Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
        Type::INT8 => n.to_sql(ty, out),
        Type::OID => u32::try_from(n)?.to_sql(ty, out),
        Type::FLOAT4 => (n as f32).to_sql(ty, out),
        Type::FLOAT8 => (n as f64).to_sql(ty, out),
        Type::NUMERIC => Decimal::from(n).to_sql(ty, out),
        Type::JSON | Type::JSONB => serde_json::Value::from(n).to_sql(ty, out),
        _ if is_text(ty) => n.to_string().to_sql(ty, out),
        _ => mismatch(&Param::Int(n), ty),
    }
}

fn float(f: f64, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
    let whole = f.fract() == 0.0 && f.abs() < 9.2e18;
    match *ty {
        Type::FLOAT4 => (f as f32).to_sql(ty, out),
        Type::FLOAT8 => f.to_sql(ty, out),
        Type::NUMERIC => Decimal::try_from(f)?.to_sql(ty, out),
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID if whole => int(f as i64, ty, out),
        Type::JSON | Type::JSONB => serde_json::Value::from(f).to_sql(ty, out),
        _ if is_text(ty) => f.to_string().to_sql(ty, out),
        _ => mismatch(&Param::Float(f), ty),
    }
}

/// A string bound to a typed parameter is parsed the way PostgreSQL reads a literal of the type.
fn text_to(text: &str, ty: &Type, out: &mut BytesMut) -> ToSqlResult {
    match *ty {
        Type::BYTEA => text.as_bytes().to_sql(ty, out),
        Type::BOOL => match text.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => true.to_sql(ty, out),
            "f" | "false" | "n" | "no" | "off" | "0" => false.to_sql(ty, out),
            _ => Err(format!("'{text}' is not a boolean").into()),
        },
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => int(text.trim().parse()?, ty, out),
        Type::FLOAT4 | Type::FLOAT8 => float(text.trim().parse()?, ty, out),
        Type::NUMERIC => Decimal::from_str(text.trim())
            .or_else(|_| Decimal::from_scientific(text.trim()))?
            .to_sql(ty, out),
        Type::JSON | Type::JSONB => {
            serde_json::from_str::<serde_json::Value>(text)?.to_sql(ty, out)
        }
        Type::UUID => uuid::Uuid::parse_str(text.trim())?.to_sql(ty, out),
        Type::DATE => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")?.to_sql(ty, out),
        Type::TIME => NaiveTime::from_str(text.trim())?.to_sql(ty, out),
        Type::TIMESTAMP => naive_timestamp(text)?.to_sql(ty, out),
        Type::TIMESTAMPTZ => match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(at) => at.with_timezone(&Utc).to_sql(ty, out),
            Err(_) => naive_timestamp(text)?.and_utc().to_sql(ty, out),
        },
        _ if is_text(ty) || matches!(ty.kind(), Kind::Enum(_)) => {
            out.extend_from_slice(text.as_bytes());
            Ok(IsNull::No)
        }
        _ => mismatch(&Param::Text(String::new()), ty),
    }
}

fn naive_timestamp(text: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    ) || ty.name() == "citext"
}

fn mismatch(param: &Param, ty: &Type) -> ToSqlResult {
    Err(format!(
        "{} cannot be bound to a {} parameter (cast it in the statement, e.g. $1::text::{})",
        param.describe(),
        ty.name(),
        ty.name()
    )
    .into())
}

/// Column `at` of `row` as a Lua value; `None` for NULL.
fn cell(row: &Row, at: usize, ty: &Type, name: &Value) -> Result<Option<Value>, SqlError> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a Row,
        at: usize,
    ) -> Result<Option<T>, SqlError> {
        row.try_get::<_, Option<T>>(at).map_err(|e| {
            SqlError::invalid(format!(
                "column {} cannot be read: {}",
                at + 1,
                e.source()
                    .map_or_else(|| e.to_string(), ToString::to_string)
            ))
        })
    }
    Ok(match *ty {
        Type::BOOL => get::<bool>(row, at)?.map(Value::Boolean),
        Type::INT2 => get::<i16>(row, at)?.map(Value::from),
        Type::INT4 => get::<i32>(row, at)?.map(Value::from),
        Type::INT8 => get::<i64>(row, at)?.map(Value::from),
        Type::OID => get::<u32>(row, at)?.map(Value::from),
        Type::FLOAT4 => get::<f32>(row, at)?.map(|f| Value::F64(f64::from(f))),
        Type::FLOAT8 => get::<f64>(row, at)?.map(Value::F64),
        Type::NUMERIC => get::<Decimal>(row, at)?.map(|d| Value::from(d.to_string())),
        Type::BYTEA => get::<Vec<u8>>(row, at)?.map(Value::Binary),
        Type::JSON | Type::JSONB => {
            get::<serde_json::Value>(row, at)?.map(|j| Value::from(j.to_string()))
        }
        Type::UUID => get::<uuid::Uuid>(row, at)?.map(|u| Value::from(u.to_string())),
        Type::DATE => get::<NaiveDate>(row, at)?.map(|d| Value::from(d.to_string())),
        Type::TIME => get::<NaiveTime>(row, at)?.map(|t| Value::from(t.to_string())),
        Type::TIMESTAMP => get::<NaiveDateTime>(row, at)?
            .map(|t| Value::from(t.format("%Y-%m-%d %H:%M:%S%.f").to_string())),
        Type::TIMESTAMPTZ => get::<DateTime<Utc>>(row, at)?
            .map(|t| Value::from(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        _ if is_text(ty) || matches!(ty.kind(), Kind::Enum(_)) => {
            get::<RawText>(row, at)?.map(|t| Value::from(t.0))
        }
        _ => {
            let name = name.as_str().unwrap_or("?");
            return Err(SqlError::invalid(format!(
                "column '{name}' has the PostgreSQL type {}, which luabox does not convert: \
                 cast it in the query ({name}::text)",
                ty.name()
            )));
        }
    })
}

/// Text of any text-like or enum type (tokio-postgres's `String` accepts only the built-in
/// text types).
struct RawText(String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawText {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(RawText(std::str::from_utf8(raw)?.to_owned()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The server's message with its SQLSTATE; a lost connection is `Unavailable`, a
/// serialization failure or deadlock `Conflict` (both retryable), anything else about the
/// statement `Invalid`.
pub fn error(e: tokio_postgres::Error) -> SqlError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let kind = match &code[..2] {
            "08" | "57" => ErrorKind::Unavailable,
            "40" => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        };
        let mut message = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            message.push_str(&format!(" ({detail})"));
        }
        return SqlError::new(kind, message).with_code(code);
    }
    let closed = e.is_closed()
        || e.source()
            .is_some_and(|source| source.is::<std::io::Error>());
    let message = match e.source() {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    if closed {
        SqlError::unavailable(format!(
            "the connection to the database was lost: {message}"
        ))
    } else {
        SqlError::invalid(message)
    }
}
