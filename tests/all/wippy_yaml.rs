//! The YAML Wippy accepts (tests/apps/wippy_yaml): resource lifecycles, a service without
//! `host`, private and `read_only` env variables, dotenv values as Wippy's loader reads them,
//! modules imported as `:name`, `security:` kept.

use crate::util::{app_dir, luabox, repo};

#[test]
fn the_wippy_yaml_app_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/wippy_yaml")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn resources_open_before_the_services_that_need_them_and_a_service_finds_its_host() {
    let app = repo("tests/apps/wippy_yaml");
    let run = luabox(&["run", &app, "-x", "app:recorded"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The service without `host` ran on the app's only process.host.
    assert_eq!(run.stdout, "\"{app:processes|1}\"\n", "{}", run.stderr);
    let at = |line: &str| {
        run.stderr
            .find(line)
            .unwrap_or_else(|| panic!("no '{line}' in:\n{}", run.stderr))
    };
    let db = at("resource started entry=app:db");
    let store = at("resource started entry=app:kv");
    let service = at("service started entry=app:recorder.service");
    assert!(db < store && db < service, "{}", run.stderr);
}

fn unreachable_database(startup: &str) -> tempfile::TempDir {
    app_dir(&[
        (
            "_index.yaml",
            &format!(
                "version: \"1.0\"\nnamespace: app\nentries:\n\
                 \x20 - name: main_db\n    kind: db.sql.postgres\n    host: 127.0.0.1\n\
                 \x20   port: 1\n    database: app\n    username: app\n\
                 \x20   lifecycle: {{auto_start: true, start_timeout: 2s, startup: {startup}}}\n\
                 \x20 - {{name: hello, kind: function.lua, source: file://hello.lua, method: main}}\n"
            ),
        ),
        (
            "hello.lua",
            "return { main = function() return 'up' end }\n",
        ),
    ])
}

#[test]
fn a_database_that_cannot_open_fails_the_start_unless_it_is_optional() {
    let required = unreachable_database("required");
    let run = luabox(
        &["run", required.path().to_str().unwrap(), "-x", "app:hello"],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: app:main_db: cannot open database 'app:main_db': "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    let optional = unreachable_database("optional");
    let run = luabox(
        &["run", optional.path().to_str().unwrap(), "-x", "app:hello"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "\"up\"\n");
    assert!(
        run.stderr.contains("optional resource did not start"),
        "{}",
        run.stderr
    );
}
