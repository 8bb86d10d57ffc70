//! Whole-loader tests: order, locations, error collection, and the fixture apps under
//! `tests/apps/` (`config_ok` must load; `broken` must give exactly its six messages).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::testing::*;
use super::*;

const FUNCTION: &str =
    "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n";

#[test]
fn entries_keep_file_order() {
    let app = TestApp::new(&[
        ("b.yaml", "namespace: b\nentries:\n  - {name: z, kind: registry.entry}\n  - {name: a, kind: registry.entry}\n"),
        ("a/x.yaml", "namespace: a\nentries:\n  - {name: only, kind: registry.entry}\n"),
    ])
    .app();
    let ids: Vec<String> = app.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["a:only", "b:z", "b:a"]);
}

#[test]
fn locations_use_the_directory_as_given() {
    let app = one_file(FUNCTION);
    let loaded = app.app();
    let f = entry(&loaded, "app:f");
    assert_eq!(f.location, Location::new(app.root().join("_index.yaml"), 3));
    assert_eq!(loaded.root, app.root());
    assert_eq!(
        lua(f).source.location,
        Location::new(app.root().join("_index.yaml"), 5)
    );
}

#[test]
fn yaml_syntax_error_names_the_line() {
    let app = TestApp::new(&[("bad.yaml", "namespace: app\nentries:\n  - name: [x\n")]);
    let errors = app.errors();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("bad.yaml:4: invalid YAML: "),
        "{errors:?}"
    );
}

#[test]
fn missing_directory() {
    let errors = load(Path::new("/nonexistent/luabox-app"), MODULES).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("/nonexistent/luabox-app: cannot open the app directory"),
        "{}",
        errors[0]
    );
}

#[test]
fn collects_every_error_sorted_by_file_then_line() {
    let app = TestApp::new(&[
        (
            "b.yaml",
            "namespace: b\nentries:\n  - {name: x, kind: nope}\n",
        ),
        (
            "a.yaml",
            "namespace: a\nentries:\n  - {name: y, kind: nope2}\n  - {name: z, kind: nope3}\n",
        ),
    ]);
    let errors = app.errors();
    let places: Vec<&str> = errors
        .iter()
        .map(|e| e.split(": ").next().unwrap())
        .collect();
    assert_eq!(places, ["a.yaml:3", "a.yaml:4", "b.yaml:3"]);
}

// ---- the fixture apps ----

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/apps")
        .join(name)
}

#[test]
fn config_ok_loads() {
    let app = load_with_env(&fixture("config_ok"), MODULES, &|_| None).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let ids: Vec<String> = app.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "app:hello",
            "app:inline",
            "app:order",
            "app:settings",
            "app:os",
            "app:db_url",
            "app.lib:text",
            "app.lib:fmt",
            "app.workers:worker",
        ]
    );
    let hello = entry(&app, "app:hello");
    assert_eq!(
        serde_json::Value::Object(hello.meta.clone()),
        json!({"team": "core", "tier": "silver", "type": "handler", "tags": ["api", "greet"]})
    );
    let spec = lua(hello);
    assert_eq!(spec.source.chunk_name, "@src/hello.lua");
    assert_eq!(spec.modules, ["json", "time"]);
    assert_eq!(
        spec.imports.get("text"),
        Some(&"app.lib:text".parse().unwrap())
    );
    assert_eq!(
        spec.pool,
        Pool::Bounded {
            kind: PoolKind::Static,
            size: 4
        }
    );
    assert_eq!(spec.limits.timeout, Some(Duration::from_secs(5)));
    assert_eq!(
        lua(entry(&app, "app.lib:text")).source.chunk_name,
        "@lib/text.lua"
    );
    assert_eq!(
        lua(entry(&app, "app.workers:worker")).kind,
        LuaKind::Process
    );
    assert_eq!(
        lua(entry(&app, "app:order")).method.as_deref(),
        Some("main")
    );
    let settings = entry(&app, "app:settings");
    assert_eq!(settings.data.get("greeting"), Some(&json!("hello")));
    assert_eq!(
        settings.data.get("price"),
        Some(&json!("${not_interpolated}"))
    );

    let with_env = load_with_env(&fixture("config_ok"), MODULES, &env).unwrap();
    assert_eq!(
        entry(&with_env, "app:settings").data.get("greeting"),
        Some(&json!("bonjour"))
    );
}

#[test]
fn broken_gives_exactly_six_messages() {
    // Relative, as a user would type it: cargo runs tests in the package directory.
    let errors = load(Path::new("../tests/apps/broken"), MODULES).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            &format!(
                "../tests/apps/broken/_index.yaml:9: entry 'broken:typo_kind': {}",
                super::kinds::unknown_kind("function.lau")
            ),
            "../tests/apps/broken/_index.yaml:13: entry 'broken:no_method': missing required \
             field 'method' for kind function.lua",
            "../tests/apps/broken/_index.yaml:20: entry 'broken:typo_field': unknown field \
             'mehtod' for kind function.lua (expected one of: source, method, modules, imports, \
             pool, limits, allowed_hosts, resources, security); did you mean 'method'?",
            "../tests/apps/broken/more.yaml:3: duplicate entry id 'broken:helper' (first defined \
             at ../tests/apps/broken/_index.yaml:4)",
            "../tests/apps/broken/more.yaml:12: entry 'broken:uses_helper': import 'helpers' \
             refers to 'broken:helpres', which does not exist; did you mean 'broken:helper'?",
            "../tests/apps/broken/more.yaml:16: entry 'broken:lost': source file 'nothere.lua' \
             not found",
        ]
    );
}

#[test]
fn file_limits_are_defaults_each_entry_may_override() {
    let app = TestApp::new(&[
        (
            "_index.yaml",
            "namespace: app\nlimits: {memory: 16MiB, timeout: 2s}\nentries:\n\
             \x20 - {name: a, kind: function.lua, source: file://main.lua, method: main}\n\
             \x20 - {name: b, kind: function.lua, source: file://main.lua, method: main, \
             limits: {timeout: 9s}}\n",
        ),
        ("main.lua", "return {}"),
    ])
    .app();
    let a = lua(entry(&app, "app:a"));
    assert_eq!(a.limits.memory, Some(16 << 20));
    assert_eq!(a.limits.timeout, Some(Duration::from_secs(2)));
    let b = lua(entry(&app, "app:b"));
    assert_eq!(b.limits.memory, Some(16 << 20));
    assert_eq!(b.limits.timeout, Some(Duration::from_secs(9)));
}

#[test]
fn bad_file_limits_name_their_line() {
    let errors = TestApp::new(&[(
        "_index.yaml",
        "namespace: app\nlimits:\n  memory: lots\nentries: []\n",
    )])
    .errors();
    assert_eq!(
        errors,
        ["_index.yaml:3: limits.memory: invalid size \"lots\" (expected e.g. 32MiB)"]
    );
}

#[test]
fn http_entries_are_read_and_checked() {
    let app = TestApp::new(&[
        (
            "_index.yaml",
            "namespace: web\nentries:\n\
             \x20 - name: gateway\n    kind: http.service\n    addr: \":0\"\n    \
             timeouts: {read: 5s, idle: 1m}\n    lifecycle: {auto_start: true}\n\
             \x20 - name: api\n    kind: http.router\n    meta: {server: gateway}\n    \
             prefix: /api/\n    middleware: [cors, body_limit]\n    \
             options: {cors.allow.origins: \"https://a.example, https://b.example\", \
             body_limit.max_bytes: 1KiB}\n\
             \x20 - name: hello\n    kind: http.endpoint\n    meta: {router: api}\n    \
             method: get\n    path: /hello/{name}\n    func: greet\n\
             \x20 - name: greet\n    kind: function.lua\n    source: \"return function() end\"\n    \
             method: run\n",
        ),
    ])
    .app();
    let Spec::HttpService(service) = &entry(&app, "web:gateway").spec else {
        panic!("not a service");
    };
    assert_eq!(service.addr, ":0");
    assert_eq!(service.timeouts.read, Some(Duration::from_secs(5)));
    assert_eq!(service.timeouts.idle, Some(Duration::from_secs(60)));
    assert!(service.lifecycle.auto_start);
    let Spec::HttpRouter(router) = &entry(&app, "web:api").spec else {
        panic!("not a router");
    };
    assert_eq!(router.server.to_string(), "web:gateway");
    assert_eq!(router.prefix, "/api");
    assert_eq!(
        router.middleware,
        [
            http::Middleware::Cors(http::Cors {
                allow_origins: vec!["https://a.example".into(), "https://b.example".into()],
                allow_methods: http::METHODS.iter().map(|m| m.to_string()).collect(),
                allow_headers: vec!["*".into()],
                max_age: None,
            }),
            http::Middleware::BodyLimit { max_bytes: 1024 },
        ]
    );
    let Spec::HttpEndpoint(endpoint) = &entry(&app, "web:hello").spec else {
        panic!("not an endpoint");
    };
    assert_eq!(endpoint.method, "GET");
    assert_eq!(endpoint.path.to_string(), "/hello/{name}");
    assert_eq!(endpoint.func.to_string(), "web:greet");
}

#[test]
fn http_errors_name_their_lines() {
    let app = TestApp::new(&[(
        "_index.yaml",
        "namespace: web\nentries:\n\
         \x20 - name: gateway\n    kind: http.service\n    addr: localhost\n\
         \x20 - name: api\n    kind: http.router\n    middleware: [corz]\n\
         \x20 - name: hello\n    kind: http.endpoint\n    meta: {router: gateway}\n    \
         method: FETCH\n    path: /a/{rest...}/b\n    func: nope\n",
    )]);
    assert_eq!(
        app.errors(),
        [
            "_index.yaml:5: entry 'web:gateway': field 'addr' must be [host]:port, such as \
             \":8080\" or \"127.0.0.1:8080\", not 'localhost'",
            "_index.yaml:6: entry 'web:api': missing required field 'meta.server' (the \
             http.service it belongs to)",
            "_index.yaml:8: entry 'web:api': unknown middleware 'corz' (luabox provides: cors, \
             body_limit); did you mean 'cors'?",
            "_index.yaml:11: entry 'web:hello': meta.router refers to 'web:gateway', which is a \
             http.service, not a http.router",
            "_index.yaml:12: entry 'web:hello': unknown method 'FETCH' (one of: GET, POST, PUT, \
             DELETE, PATCH, HEAD, OPTIONS, TRACE)",
            "_index.yaml:13: entry 'web:hello': field 'path' has '{rest...}' before its last \
             segment: '/a/{rest...}/b'",
            "_index.yaml:14: entry 'web:hello': func refers to 'web:nope', which does not exist",
        ]
    );
}

#[test]
fn allowed_hosts_are_patterns_checked_at_their_lines() {
    let ok = one_file(&format!(
        "{FUNCTION}    allowed_hosts: [\"api.example.com\", \"127.0.0.1:*\"]\n"
    ))
    .app();
    let hosts: Vec<String> = lua(entry(&ok, "app:f"))
        .allowed_hosts
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(hosts, ["api.example.com", "127.0.0.1:*"]);
    let bad = one_file(&format!(
        "{FUNCTION}    allowed_hosts:\n      - ok.example.com\n      - ftp://files.example.com\n"
    ));
    let errors = bad.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "_index.yaml:9: entry 'app:f': invalid host pattern 'ftp://files.example.com': the \
             scheme must be http, https or *"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn resources_name_databases_and_stores() {
    let ok = one_file(&format!(
        "{FUNCTION}    resources: [db, app:cache, db]\n\
         \x20 - {{name: db, kind: db.sql.sqlite, file: \":memory:\"}}\n\
         \x20 - {{name: cache, kind: store.memory}}\n"
    ))
    .app();
    let granted: Vec<String> = lua(entry(&ok, "app:f"))
        .resources
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(granted, ["app:db", "app:cache"]);
    let bad = one_file(&format!("{FUNCTION}    resources: [app:f, nowhere]\n"));
    assert_eq!(
        bad.errors(),
        [
            "_index.yaml:7: entry 'app:f': resources refers to 'app:f', which is a function.lua, \
             not a db.sql.sqlite or db.sql.postgres or store.memory or store.sql or fs.directory or template.set",
            "_index.yaml:7: entry 'app:f': resources refers to 'app:nowhere', which does not exist",
        ]
    );
}

#[test]
fn sql_databases_are_read_and_checked() {
    use super::db::{DbPool, PostgresConfig, SqlBackend, SqliteFile};
    let app = TestApp::new(&[(
        "_index.yaml",
        "namespace: data\nentries:\n\
         \x20 - {name: mem, kind: db.sql.sqlite, file: \":memory:\"}\n\
         \x20 - name: local\n    kind: db.sql.sqlite\n    file: data/app.db\n    \
         pool: {max_open: 4, max_lifetime: 1h}\n\
         \x20 - name: main\n    kind: db.sql.postgres\n    host: \"${env:PGHOST|localhost}\"\n    \
         port: \"5433\"\n    database: app\n    username: luabox\n    password: secret\n    \
         options: {sslmode: disable}\n    pool: {max_open: 8, max_idle: 3}\n",
    )])
    .app();
    let database = |id: &str| match &entry(&app, id).spec {
        Spec::SqlDatabase(database) => database.clone(),
        other => panic!("{id} is {other:?}"),
    };
    assert_eq!(
        database("data:mem").backend,
        SqlBackend::Sqlite(SqliteFile::Memory)
    );
    let local = database("data:local");
    assert_eq!(
        local.backend,
        SqlBackend::Sqlite(SqliteFile::Path("data/app.db".into()))
    );
    assert_eq!(
        local.pool,
        DbPool {
            max_open: 4,
            max_idle: 2,
            max_lifetime: Some(Duration::from_secs(3600))
        }
    );
    let main = database("data:main");
    assert_eq!(
        main.backend,
        SqlBackend::Postgres(PostgresConfig {
            host: "localhost".into(),
            port: 5433,
            database: "app".into(),
            username: "luabox".into(),
            password: Some("secret".into()),
            options: vec![("sslmode".into(), "disable".into())],
        })
    );
    assert_eq!((main.pool.max_open, main.pool.max_idle), (8, 3));
}

#[test]
fn bad_sql_databases_name_the_field_and_line() {
    let errors = TestApp::new(&[(
        "_index.yaml",
        "namespace: data\nentries:\n\
         \x20 - {name: up, kind: db.sql.sqlite, file: ../outside.db}\n\
         \x20 - {name: abs, kind: db.sql.sqlite, file: /etc/app.db}\n\
         \x20 - {name: pg, kind: db.sql.postgres, host: h, database: d, port: 70000}\n\
         \x20 - {name: pool, kind: db.sql.sqlite, file: a.db, pool: {max_open: 2, max_idle: 5, size: 1}}\n",
    )])
    .errors();
    assert_eq!(
        errors,
        [
            "_index.yaml:3: entry 'data:up': field 'file' must be a path inside the app directory \
             (no absolute path, no '..') or :memory:, not '../outside.db'",
            "_index.yaml:4: entry 'data:abs': field 'file' must be a path inside the app directory \
             (no absolute path, no '..') or :memory:, not '/etc/app.db'",
            "_index.yaml:5: entry 'data:pg': missing required field 'username' for kind \
             db.sql.postgres",
            "_index.yaml:5: entry 'data:pg': field 'port' must be a port number (1 to 65535), not \
             70000",
            "_index.yaml:6: entry 'data:pool': unknown field 'pool.size' (expected one of: \
             max_open, max_idle, max_lifetime)",
            "_index.yaml:6: entry 'data:pool': pool.max_idle (5) is more than pool.max_open (2)",
        ]
    );
}
