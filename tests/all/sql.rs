//! The `sql` module against real databases: the shared Lua suite (`tests/apps/sql/suite.lua`)
//! on SQLite and on a PostgreSQL server, each run in a database of its own, plus what happens
//! around a query: unreachable servers, bad database entries.
//!
//! PostgreSQL comes from `LUABOX_TEST_POSTGRES` (`host=.. port=.. user=..`), which
//! `scripts/test.sh` and `.ci/run` set after starting a throwaway server
//! (`scripts/test-postgres.sh`). Without it these tests fail and say so: they are not skipped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::util::{app_dir, luabox, luabox_with_env, repo, runtime};

/// The test server's connection settings.
struct Server {
    settings: HashMap<String, String>,
}

impl Server {
    fn from_env() -> Server {
        let Ok(conninfo) = std::env::var("LUABOX_TEST_POSTGRES") else {
            panic!(
                "LUABOX_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts \
                 a throwaway PostgreSQL server, or point it at one: \
                 LUABOX_TEST_POSTGRES='host=127.0.0.1 port=5432 user=postgres' cargo test"
            );
        };
        let settings = conninfo
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Server { settings }
    }

    fn get(&self, key: &str, default: &str) -> String {
        self.settings
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// A new, empty database on the server, for one test.
    fn fresh_database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "luabox_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let conninfo = format!(
            "host={} port={} user={} dbname=postgres",
            self.get("host", "127.0.0.1"),
            self.get("port", "5432"),
            self.get("user", "postgres")
        );
        runtime().block_on(async {
            let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL ({conninfo}): {e}"));
            tokio::spawn(connection);
            for statement in [
                format!("DROP DATABASE IF EXISTS {name}"),
                format!("CREATE DATABASE {name}"),
            ] {
                client
                    .batch_execute(&statement)
                    .await
                    .expect("a fresh database");
            }
        });
        name
    }

    /// The `LUABOX_PG_*` variables `tests/apps/sql` reads, for `database`.
    fn app_env(&self, database: &str) -> Vec<(&'static str, String)> {
        vec![
            ("LUABOX_PG_HOST", self.get("host", "127.0.0.1")),
            ("LUABOX_PG_PORT", self.get("port", "5432")),
            ("LUABOX_PG_USER", self.get("user", "postgres")),
            ("LUABOX_PG_PASSWORD", self.get("password", "")),
            ("LUABOX_PG_DATABASE", database.to_owned()),
        ]
    }
}

#[test]
fn the_shared_suite_passes_on_sqlite_and_postgres() {
    let server = Server::from_env();
    let database = server.fresh_database();
    let mut env = server.app_env(&database);
    let sqlite_file = format!(".luabox/suite-{}.db", std::process::id());
    env.push(("LUABOX_SQL_FILE", sqlite_file.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = luabox_with_env(&["test", &repo("tests/apps/sql")], "", &env);
    let _ = std::fs::remove_file(format!("{}/{sqlite_file}", repo("tests/apps/sql")));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 passed, 0 failed"), "{}", run.stdout);
    // every case ran on each backend (the PostgreSQL-only one on PostgreSQL)
    assert!(
        run.stderr.contains("sql:lite (sqlite): 16 cases passed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sql:pg (postgres): 17 cases passed"),
        "{}",
        run.stderr
    );
}

const QUERY: &str = "local sql = require('sql')\n\
     return { main = function()\n\
       local db = assert(sql.get('app:db'))\n\
       local rows, err = db:query('SELECT 1 AS one')\n\
       if err then return nil, err end\n\
       return rows[1].one\n\
     end }\n";

#[test]
fn an_unreachable_server_is_an_unavailable_error_and_the_host_carries_on() {
    let dir = app_dir(&[
        (
            "_index.yaml",
            "namespace: app\nentries:\n\
             \x20 - {name: db, kind: db.sql.postgres, host: 127.0.0.1, port: 1, database: x, \
             username: nobody}\n\
             \x20 - {name: q, kind: function.lua, source: file://q.lua, method: main, \
             modules: [sql], resources: [db]}\n",
        ),
        ("q.lua", QUERY),
    ]);
    let run = luabox(
        &["call", "app:q", "[]", "--dir", dir.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("Unavailable") && run.stderr.contains("sql: cannot connect"),
        "{}",
        run.stderr
    );
}

#[test]
fn database_entries_that_cannot_work_are_refused_at_load() {
    let dir = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - name: db\n    kind: db.sql.postgres\n    host: localhost\n    database: x\n    \
         username: u\n    options: {sslmode: require}\n\
         \x20 - name: other\n    kind: db.sql.postgres\n    host: localhost\n    database: x\n    \
         username: u\n    options: {colour: blue}\n",
    )]);
    let run = luabox(&["check", dir.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("_index.yaml:8: entry 'app:db': options.sslmode 'require' is not supported"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("_index.yaml:14: entry 'app:other': unknown field 'options.colour'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_query_runs_on_postgres_from_luabox_call() {
    let server = Server::from_env();
    let database = server.fresh_database();
    let yaml = format!(
        "namespace: app\nentries:\n\
         \x20 - {{name: db, kind: db.sql.postgres, host: '{}', port: {}, database: {database}, \
         username: '{}'}}\n\
         \x20 - {{name: q, kind: function.lua, source: file://q.lua, method: main, \
         modules: [sql], resources: [db]}}\n",
        server.get("host", "127.0.0.1"),
        server.get("port", "5432"),
        server.get("user", "postgres"),
    );
    let dir = app_dir(&[("_index.yaml", &yaml), ("q.lua", QUERY)]);
    let run = luabox(
        &["call", "app:q", "[]", "--dir", dir.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.trim(), "1");
}
