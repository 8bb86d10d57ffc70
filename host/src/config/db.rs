//! The fields of `db.sql.sqlite` and `db.sql.postgres` (Wippy: wippyai/docs en/guides/entry-kinds.md) → [`SqlDatabase`].
//!
//! ```yaml
//! - name: local
//!   kind: db.sql.sqlite
//!   file: data/app.db                 # required: a path under the app directory, or :memory:
//!   pool: {max_open: 4, max_idle: 2, max_lifetime: 1h}
//!   max_rows: 100000                  # the most rows one query may return (the default)
//!   options: {}                       # accepted and ignored, as by the reference runtime
//!   lifecycle: {auto_start: true}     # luabox run opens it at start (supervisor.rs)
//! - name: main
//!   kind: db.sql.postgres
//!   host: ${env:PGHOST|localhost}     # required
//!   port: 5432                        # default 5432
//!   database: app                     # required
//!   username: app                     # required
//!   password: ${env:PGPASSWORD}       # optional
//!   options: {sslmode: disable, application_name: luabox}
//!   pool: {max_open: 10, max_idle: 5, max_lifetime: 30m}
//! ```
//!
//! A SQLite file may not leave the app directory (no absolute path, no `..`), as `file://`
//! sources may not: an app's databases are part of the app.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::entry::Spec;
use super::fields::{self, problem};
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

/// A SQL database entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlDatabase {
    pub backend: SqlBackend,
    pub pool: DbPool,
    /// The most rows one query may return; past it the query fails (`max_rows`).
    pub max_rows: u32,
}

impl SqlDatabase {
    pub const DEFAULT_MAX_ROWS: u32 = 100_000;
}

#[derive(Debug, Clone, PartialEq)]
pub enum SqlBackend {
    Sqlite(SqliteFile),
    Postgres(PostgresConfig),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteFile {
    /// `:memory:`: a database that lives as long as the app runs.
    Memory,
    /// A path relative to the app directory.
    Path(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub password: Option<String>,
    /// Connection parameters (`sslmode`, `application_name`, ...), in the order written.
    pub options: Vec<(String, String)>,
}

/// How many connections a database entry keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbPool {
    /// At most this many connections at once.
    pub max_open: u32,
    /// At most this many kept open while unused.
    pub max_idle: u32,
    /// A connection older than this is closed once it is idle; `None`: never.
    pub max_lifetime: Option<Duration>,
}

impl Default for DbPool {
    fn default() -> Self {
        DbPool {
            max_open: 10,
            max_idle: 2,
            max_lifetime: None,
        }
    }
}

const POOL_FIELDS: &[&str] = &["max_open", "max_idle", "max_lifetime"];

pub fn sqlite(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<SqlDatabase> {
    let before = problems.len();
    let file = fields::find(fields, "file").and_then(|(_, node)| {
        let text = fields::non_empty_string("file", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        sqlite_file(&text)
            .map_err(|message| problems.push(problem(node.line, message)))
            .ok()
    });
    let pool = pool(fields, problems);
    let max_rows = max_rows(fields, problems);
    // Accepted for the reference runtime's sake, which ignores them for SQLite too.
    if let Some((_, node)) = fields::find(fields, "options").filter(|(_, n)| !n.is_null())
        && let Err(p) = fields::mapping("options", node)
    {
        problems.push(p);
    }
    match (file, pool, max_rows) {
        (Some(file), Some(pool), Some(max_rows)) if problems.len() == before => Some(SqlDatabase {
            backend: SqlBackend::Sqlite(file),
            pool,
            max_rows,
        }),
        _ => None,
    }
}

fn sqlite_file(text: &str) -> Result<SqliteFile, String> {
    if text == ":memory:" {
        return Ok(SqliteFile::Memory);
    }
    let path = Path::new(text);
    let escapes = path
        .components()
        .any(|part| !matches!(part, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(format!(
            "field 'file' must be a path inside the app directory (no absolute path, no '..') \
             or :memory:, not '{text}'"
        ));
    }
    Ok(SqliteFile::Path(path.to_owned()))
}

pub fn postgres(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<SqlDatabase> {
    let before = problems.len();
    let mut text = |name: &str| {
        fields::find(fields, name).and_then(|(_, node)| {
            fields::non_empty_string(name, node)
                .map_err(|p| problems.push(p))
                .ok()
        })
    };
    let host = text("host");
    let database = text("database");
    let username = text("username");
    let password = fields::find(fields, "password").and_then(|(_, node)| {
        fields::string("password", node)
            .map_err(|p| problems.push(p))
            .ok()
    });
    let port = match fields::find(fields, "port") {
        None => Some(5432),
        Some((_, node)) => fields::unsigned("port", node)
            .and_then(|port| match u16::try_from(port) {
                Ok(port) if port > 0 => Ok(port),
                _ => Err(problem(
                    node.line,
                    format!("field 'port' must be a port number (1 to 65535), not {port}"),
                )),
            })
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let mut options = Vec::new();
    if let Some((_, node)) = fields::find(fields, "options") {
        fields::each_field("options", node, problems, |key, value, field, _| {
            let text = fields::string(field, value)?;
            postgres_option(&key.text, &text).map_err(|message| match message {
                None => fields::unknown("options", key, POSTGRES_OPTIONS),
                Some(message) => problem(value.line, format!("{field} {message}")),
            })?;
            options.push((key.text.clone(), text));
            Ok(())
        });
    }
    let pool = pool(fields, problems);
    let max_rows = max_rows(fields, problems);
    match (host, port, database, username, pool, max_rows) {
        (Some(host), Some(port), Some(database), Some(username), Some(pool), Some(max_rows))
            if problems.len() == before =>
        {
            Some(SqlDatabase {
                backend: SqlBackend::Postgres(PostgresConfig {
                    host,
                    port,
                    database,
                    username,
                    password,
                    options,
                }),
                pool,
                max_rows,
            })
        }
        _ => None,
    }
}

/// The connection options a `db.sql.postgres` entry may set.
pub const POSTGRES_OPTIONS: &[&str] = &[
    "sslmode",
    "application_name",
    "connect_timeout",
    "search_path",
    "statement_timeout",
    "options",
];

/// Whether luabox can honour option `name` = `value`: `Err(None)` for an unknown option.
fn postgres_option(name: &str, value: &str) -> Result<(), Option<String>> {
    match name {
        "sslmode" if !matches!(value, "disable" | "allow" | "prefer") => Err(Some(format!(
            "'{value}' is not supported: luabox connects to PostgreSQL without TLS \
             (disable, allow or prefer); reach the database over a private network or a TLS \
             tunnel"
        ))),
        "connect_timeout" if value.parse::<u64>().is_err() => {
            Err(Some(format!("must be whole seconds, not '{value}'")))
        }
        _ if POSTGRES_OPTIONS.contains(&name) => Ok(()),
        _ => Err(None),
    }
}

fn max_rows(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<u32> {
    match fields::find(fields, "max_rows") {
        None => Some(SqlDatabase::DEFAULT_MAX_ROWS),
        Some((_, node)) => fields::bounded_u32("max_rows", node, 1)
            .map_err(|p| problems.push(p))
            .ok(),
    }
}

fn pool(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<DbPool> {
    let mut pool = DbPool::default();
    let Some((_, node)) = fields::find(fields, "pool") else {
        return Some(pool);
    };
    let before = problems.len();
    let mut idle_line = None;
    fields::each_field("pool", node, problems, |key, value, field, _| {
        match key.text.as_str() {
            "max_open" => pool.max_open = fields::bounded_u32(field, value, 1)?,
            "max_idle" => {
                pool.max_idle = fields::bounded_u32(field, value, 0)?;
                idle_line = Some(value.line);
            }
            "max_lifetime" => pool.max_lifetime = Some(fields::duration(field, value)?),
            _ => return Err(fields::unknown("pool", key, POOL_FIELDS)),
        }
        Ok(())
    });
    let Some(line) = idle_line else {
        pool.max_idle = pool.max_idle.min(pool.max_open);
        return (problems.len() == before).then_some(pool);
    };
    if pool.max_idle > pool.max_open {
        problems.push(problem(
            line,
            format!(
                "pool.max_idle ({}) is more than pool.max_open ({})",
                pool.max_idle, pool.max_open
            ),
        ));
    }
    (problems.len() == before).then_some(pool)
}

entry_kind! {
    /// `db.sql.sqlite`.
    Sqlite: "db.sql.sqlite",
    required: ["file"],
    optional: ["pool", "max_rows", "options", "lifecycle"],
    role: Resource,
    build: |cx| sqlite(cx.fields, cx.problems).map(Spec::SqlDatabase),
}

entry_kind! {
    /// `db.sql.postgres`.
    Postgres: "db.sql.postgres",
    required: ["host", "database", "username"],
    optional: ["port", "password", "options", "pool", "max_rows", "lifecycle"],
    role: Resource,
    secrets: ["password"],
    build: |cx| postgres(cx.fields, cx.problems).map(Spec::SqlDatabase),
}
