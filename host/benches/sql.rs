//! SQL benchmark (issue 7): a single-row INSERT and a point SELECT through the `sql` module from a
//! `function.lua` entry, beside the same statements issued straight from Rust in the same run,
//! on SQLite and on PostgreSQL.
//!
//! The app (`benches/apps/sql`) is copied to a fresh temporary directory, so its SQLite file
//! (`bench.db`, opened by luabox in WAL mode) starts empty; its PostgreSQL entry points at a new
//! database made for the run on the server in `LUABOX_TEST_POSTGRES` (`scripts/bench.sh` starts
//! a throwaway one), dropped at the end. Each database gets `items (id, name, n)` seeded with
//! [`SEED`] rows where `n = id`.
//!
//! - luabox: `bench:insert` / `bench:select` called with [`App::call`], a fresh sandbox per call
//!   as a request gets, each doing `sql.get` and one `db:execute` / `db:query` with `$N`
//!   parameters.
//! - baseline: the same SQL text on the same drivers and pools luabox uses: rusqlite connections
//!   (WAL, the same busy timeout) in a deadpool pool, each statement `prepare_cached` and run on
//!   tokio's blocking threads; tokio-postgres in a deadpool-postgres pool (fast recycling) with
//!   `prepare_cached`. The SELECT reads both columns, as the Lua table does.
//! - sandbox: `bench:open_only`, the same kind of call doing `sql.get` and no statement, for
//!   the share of a call that is the sandbox itself (no baseline).
//!
//! Both sides keep 2 x cores operations in flight on a 2-worker tokio runtime, with pools of
//! [`POOL`] connections, for [`WARM_UP`] untimed and then [`MEASURE`] timed; each figure is
//! operations per second, with the CPU this process spent per operation (PostgreSQL's own
//! server processes are not counted).
//!
//! `cargo bench --bench sql [-- sqlite|postgres|sandbox]` (or `scripts/bench.sh` for every benchmark).

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleResult};
use futures::future::BoxFuture;
use luabox::app::App;
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use serde_json::json;
use tokio::runtime::Runtime;

/// Rows in `items` before the run; the point SELECTs read these.
const SEED: i64 = 10_000;
/// Connections per pool, luabox's (`pool.max_open` in benches/apps/sql) and the baseline's.
const POOL: usize = 4;
/// Untimed run before each measurement.
const WARM_UP: Duration = Duration::from_millis(500);
/// How long each figure is measured.
const MEASURE: Duration = Duration::from_secs(2);

const INSERT: &str = "INSERT INTO items (name, n) VALUES ($1, $2)";
const SELECT: &str = "SELECT name, n FROM items WHERE id = $1";

fn main() {
    common::quiet_logging();
    let selected = common::selection();
    let server = std::env::var("LUABOX_TEST_POSTGRES")
        .ok()
        .map(|conninfo| Server::parse(&conninfo));
    if let Some(server) = &server {
        for (name, value) in server.app_env() {
            // SAFETY: no other thread exists yet (the runtime is built below).
            unsafe { std::env::set_var(name, value) };
        }
    }
    let runtime = common::runtime();
    let (dir, app) = common::load_app(&runtime, "sql");
    let in_flight = 2 * std::thread::available_parallelism().map_or(2, usize::from);
    println!("| benchmark | luabox | baseline | ratio | target |");
    println!("|---|---|---|---|---|");

    if selected("sqlite") {
        let path = dir.path().join("bench.db");
        let baseline = runtime.block_on(Baseline::sqlite(&path));
        compare(&runtime, &app, "bench:lite", "SQLite", &baseline, in_flight);
    }
    let postgres = selected("postgres").then_some(server.as_ref());
    if let Some(server) = postgres {
        match server {
            Some(server) => {
                runtime.block_on(server.create_database());
                let baseline = runtime.block_on(Baseline::postgres(server));
                compare(
                    &runtime,
                    &app,
                    "bench:pg",
                    "PostgreSQL",
                    &baseline,
                    in_flight,
                );
                drop(baseline);
            }
            None => {
                let why = "n/a: LUABOX_TEST_POSTGRES is not set; run scripts/bench.sh, which \
                           starts a throwaway PostgreSQL server (or set it to `host=.. port=.. \
                           user=..`)";
                eprintln!("PostgreSQL part skipped: {why}");
                println!("| PostgreSQL INSERT and point SELECT | {why} | - | - | - |");
            }
        }
    }
    if selected("sandbox") {
        let open_only = call(&app, "bench:open_only", "bench:lite", |i| i as i64, |i| i);
        let open_only = runtime.block_on(measure(in_flight, open_only));
        println!(
            "| for comparison: a function.lua call doing sql.get and no statement (fresh \
             sandbox, {in_flight} in flight), calls/s (CPU us/call) | {} | - | - | - |",
            cell(open_only)
        );
    }
    app.databases().close();
    drop(app);
    if let Some(Some(server)) = postgres {
        runtime.block_on(server.drop_database());
    }
    drop(runtime);
    drop(dir);
}

/// Measure the INSERT and the SELECT on `db` (luabox) and `baseline`, and print their rows.
fn compare(
    runtime: &Runtime,
    app: &Arc<App>,
    db: &'static str,
    backend: &str,
    baseline: &Arc<Baseline>,
    in_flight: usize,
) {
    let direct = |select: bool| {
        let baseline = baseline.clone();
        move |i: u64| {
            let baseline = baseline.clone();
            async move {
                if select {
                    baseline.select(point(i)).await
                } else {
                    baseline.insert(fresh(i)).await
                }
            }
        }
    };
    let label = match baseline.as_ref() {
        Baseline::Sqlite(_) => "rusqlite, cached statement, deadpool + spawn_blocking",
        Baseline::Postgres(_) => "tokio-postgres, cached statement, deadpool-postgres",
    };
    let insert_luabox = runtime.block_on(measure(
        in_flight,
        call(app, "bench:insert", db, fresh, |_| 1),
    ));
    let insert_direct = runtime.block_on(measure(in_flight, direct(false)));
    row(
        &format!(
            "{backend} single-row INSERT, ops/s (CPU us/op); db:execute from a function.lua via \
             App::call, {in_flight} in flight; baseline: {label}"
        ),
        insert_luabox,
        insert_direct,
    );
    let select_luabox = runtime.block_on(measure(
        in_flight,
        call(app, "bench:select", db, point, |id| id),
    ));
    let select_direct = runtime.block_on(measure(in_flight, direct(true)));
    row(
        &format!(
            "{backend} point SELECT by id, ops/s (CPU us/op); db:query, as above; baseline: as \
             above"
        ),
        select_luabox,
        select_direct,
    );
}

/// Operation `i` calls `entry` with `db` and `arg(i)`; its one result must be `expect(arg(i))`.
fn call(
    app: &Arc<App>,
    entry: &str,
    db: &'static str,
    arg: fn(u64) -> i64,
    expect: fn(i64) -> i64,
) -> impl Fn(u64) -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static {
    let (app, entry) = (app.clone(), entry.parse::<EntryId>().unwrap());
    move |i: u64| {
        let (app, entry, arg) = (app.clone(), entry.clone(), arg(i));
        Box::pin(async move {
            let result = app
                .call(&entry, json_to_values(&[json!(db), json!(arg)]), 0)
                .await
                .map_err(|error| format!("{entry}({db}, {arg}): {error}"))?;
            let value = values_to_json(&result).map_err(|error| error.to_string())?;
            if value.as_i64() == Some(expect(arg)) {
                Ok(())
            } else {
                Err(format!("{entry}({db}, {arg}) gave {value}"))
            }
        })
    }
}

/// The value inserted by operation `i` (beyond the seeded ones).
fn fresh(i: u64) -> i64 {
    SEED + 1 + i as i64
}

/// The seeded id that operation `i` selects, spread over the table.
fn point(i: u64) -> i64 {
    (i as i64 * 7_919) % SEED + 1
}

/// A measured figure: operations per second, and CPU microseconds of this process per operation.
#[derive(Clone, Copy)]
struct Figures {
    per_second: f64,
    cpu_us: f64,
}

/// Run `op` from `in_flight` tasks for [`WARM_UP`], then time it for [`MEASURE`].
async fn measure<F, Fut>(in_flight: usize, op: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    run_for(in_flight, WARM_UP, &op, &next).await;
    let cpu = common::cpu_time();
    let start = Instant::now();
    let count = run_for(in_flight, MEASURE, &op, &next).await;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = common::cpu_time() - cpu;
    Figures {
        per_second: count as f64 / elapsed,
        cpu_us: cpu.as_secs_f64() * 1e6 / count as f64,
    }
}

/// `in_flight` tasks each running `op(next++)` one after another until `time` has passed;
/// returns how many ran, and panics if any failed.
async fn run_for<F, Fut>(
    in_flight: usize,
    time: Duration,
    op: &Arc<F>,
    next: &Arc<AtomicU64>,
) -> u64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let deadline = Instant::now() + time;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (op, next) = (op.clone(), next.clone());
            tokio::spawn(async move {
                let mut done = 0;
                while Instant::now() < deadline {
                    op(next.fetch_add(1, Ordering::Relaxed)).await?;
                    done += 1;
                }
                Ok::<u64, String>(done)
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task
            .await
            .expect("task")
            .unwrap_or_else(|error| panic!("{error}"));
    }
    total
}

/// Operations per second and, in brackets, CPU microseconds per operation.
fn cell(figures: Figures) -> String {
    format!("{:.0} ({:.0} us)", figures.per_second, figures.cpu_us)
}

fn row(name: &str, luabox: Figures, baseline: Figures) {
    println!(
        "| {name} | {} | {} | {:.2}x | - (no target in docs/architecture.md §7) |",
        cell(luabox),
        cell(baseline),
        luabox.per_second / baseline.per_second
    );
}

/// The statements issued directly from Rust.
enum Baseline {
    Sqlite(managed::Pool<SqliteManager>),
    Postgres(deadpool_postgres::Pool),
}

impl Baseline {
    /// A pool on the SQLite file at `path`, after creating and seeding `items` in it.
    async fn sqlite(path: &Path) -> Arc<Baseline> {
        let setup = path.to_owned();
        tokio::task::spawn_blocking(move || {
            open_sqlite(&setup)?.execute_batch(&format!(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL);
                 WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {SEED})
                 INSERT INTO items (id, name, n) SELECT g, 'item-' || g, g FROM s;"
            ))
        })
        .await
        .expect("setup thread")
        .expect("creating the SQLite table");
        let pool = managed::Pool::builder(SqliteManager(path.to_owned()))
            .max_size(POOL)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .expect("SQLite pool");
        Arc::new(Baseline::Sqlite(pool))
    }

    /// A pool on the run's PostgreSQL database, after creating and seeding `items` in it.
    async fn postgres(server: &Server) -> Arc<Baseline> {
        let config: tokio_postgres::Config = server
            .conninfo(&server.database)
            .parse()
            .expect("LUABOX_TEST_POSTGRES");
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(POOL)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .expect("PostgreSQL pool");
        let client = pool.get().await.expect("connecting to PostgreSQL");
        client
            .batch_execute(&format!(
                "CREATE TABLE items (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                 name TEXT NOT NULL, n BIGINT NOT NULL);
                 INSERT INTO items (name, n) SELECT 'item-' || g, g FROM generate_series(1, {SEED}) g;
                 ANALYZE items;"
            ))
            .await
            .expect("creating the PostgreSQL table");
        drop(client);
        Arc::new(Baseline::Postgres(pool))
    }

    async fn insert(&self, n: i64) -> Result<(), String> {
        let name = format!("item-{n}");
        let inserted = match self {
            Baseline::Sqlite(pool) => {
                let conn = pool.get().await.map_err(|e| e.to_string())?;
                tokio::task::spawn_blocking(move || conn.prepare_cached(INSERT)?.execute((name, n)))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())? as u64
            }
            Baseline::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                let statement = client
                    .prepare_cached(INSERT)
                    .await
                    .map_err(|e| e.to_string())?;
                client
                    .execute(&statement, &[&name, &n])
                    .await
                    .map_err(|e| e.to_string())?
            }
        };
        if inserted == 1 {
            Ok(())
        } else {
            Err(format!("INSERT of {n} affected {inserted} rows"))
        }
    }

    async fn select(&self, id: i64) -> Result<(), String> {
        let (_name, n): (String, i64) = match self {
            Baseline::Sqlite(pool) => {
                let conn = pool.get().await.map_err(|e| e.to_string())?;
                tokio::task::spawn_blocking(move || {
                    conn.prepare_cached(SELECT)?
                        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?
            }
            Baseline::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                let statement = client
                    .prepare_cached(SELECT)
                    .await
                    .map_err(|e| e.to_string())?;
                let row = client
                    .query_one(&statement, &[&id])
                    .await
                    .map_err(|e| e.to_string())?;
                (row.get(0), row.get(1))
            }
        };
        if n == id {
            Ok(())
        } else {
            Err(format!("SELECT of {id} gave n = {n}"))
        }
    }
}

/// Opens connections to one SQLite file as luabox does (`host/src/sql/sqlite.rs`).
struct SqliteManager(PathBuf);

impl managed::Manager for SqliteManager {
    type Type = rusqlite::Connection;
    type Error = rusqlite::Error;

    async fn create(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        let path = self.0.clone();
        tokio::task::spawn_blocking(move || open_sqlite(&path))
            .await
            .expect("opening thread")
    }

    async fn recycle(
        &self,
        _: &mut rusqlite::Connection,
        _: &Metrics,
    ) -> RecycleResult<rusqlite::Error> {
        Ok(())
    }
}

/// A connection with luabox's settings: WAL, a 5 s busy timeout, foreign keys on.
fn open_sqlite(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(128);
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    Ok(conn)
}

/// The PostgreSQL server of `LUABOX_TEST_POSTGRES` and the database made for this run.
struct Server {
    settings: HashMap<String, String>,
    database: String,
}

impl Server {
    fn parse(conninfo: &str) -> Server {
        let settings = conninfo
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
            .collect();
        Server {
            settings,
            database: format!("luabox_bench_{}", std::process::id()),
        }
    }

    fn get(&self, key: &str, default: &str) -> String {
        self.settings
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    fn conninfo(&self, database: &str) -> String {
        let mut conninfo = format!(
            "host={} port={} user={} dbname={database}",
            self.get("host", "127.0.0.1"),
            self.get("port", "5432"),
            self.get("user", "postgres"),
        );
        if let Some(password) = self.settings.get("password") {
            conninfo.push_str(&format!(" password={password}"));
        }
        conninfo
    }

    /// The `LUABOX_BENCH_PG_*` variables benches/apps/sql reads.
    fn app_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LUABOX_BENCH_PG_HOST", self.get("host", "127.0.0.1")),
            ("LUABOX_BENCH_PG_PORT", self.get("port", "5432")),
            ("LUABOX_BENCH_PG_USER", self.get("user", "postgres")),
            ("LUABOX_BENCH_PG_PASSWORD", self.get("password", "")),
            ("LUABOX_BENCH_PG_DATABASE", self.database.clone()),
        ]
    }

    /// Run `statement` on the server's `postgres` database.
    async fn admin(&self, statement: &str) {
        let conninfo = self.conninfo("postgres");
        let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL ({conninfo}): {e}"));
        tokio::spawn(connection);
        client
            .batch_execute(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    async fn create_database(&self) {
        let name = &self.database;
        self.admin(&format!("DROP DATABASE IF EXISTS {name}")).await;
        self.admin(&format!("CREATE DATABASE {name}")).await;
    }

    async fn drop_database(&self) {
        self.admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.database
        ))
        .await;
    }
}
