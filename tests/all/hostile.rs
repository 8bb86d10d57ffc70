//! Issue 19's hostile-tenant suite: what a red team tried against luabox, each reproduced through
//! the CLI and the Lua API, and each ending in a clear error (or correct behaviour) while the host
//! carries on. Lua-level hostile scripts are also `tests/cases/hostile_*`.

use serde_json::{Value as Json, json};

use crate::util::{app_dir, luabox, luabox_with_env};

const ENTRY: &str = "namespace: app\nentries:\n  - name: hello\n    kind: function.lua\n    \
                     source: |\n      return function() return 1 end\n    method: main\n";

#[test]
fn issue_19_yaml_nested_far_too_deep_is_a_clear_error() {
    // Block sequences nest two characters a level (`- - - 1`): the parser recursed once per
    // level, and 100,000 levels took the stack (the red team's 9,000 block-nested keys did too,
    // as an 81 MB file). Flow nesting (`[[[`) was always stopped by the scanner.
    let text = format!(
        "{ENTRY}    meta:\n      deep:\n        {}1\n",
        "- ".repeat(100_000)
    );
    let app = app_dir(&[("_index.yaml", &text)]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("_index.yaml:10: nesting deeper than 64 levels"),
        "{}",
        run.stderr
    );
}

#[test]
fn issue_19_a_nul_byte_in_yaml_is_a_clear_error_not_the_end_of_the_file() {
    // Before: everything after the NUL vanished, the broken entry with it, and check said ok.
    let text = format!("{ENTRY}\0\n  - name: broken\n    kind: no.such.kind\n");
    let app = app_dir(&[("_index.yaml", &text)]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "_index.yaml:8: the file holds a NUL byte (column 1), which YAML text cannot"
        ),
        "{}",
        run.stderr
    );
}

/// `luabox check` of an app holding `entries` (YAML lines) and symlinks (name, target), each
/// pointing outside unless its target is inside the app; what it printed, once nothing was
/// created outside.
fn check_with_symlinks(entries: &str, links: &[(&str, &str)]) -> String {
    let outside = tempfile::tempdir().unwrap();
    let app = app_dir(&[(
        "_index.yaml",
        &format!("namespace: app\nentries:\n{entries}"),
    )]);
    std::fs::create_dir(app.path().join("real")).unwrap();
    for (name, target) in links {
        let target = match target.strip_prefix("app/") {
            Some(inside) => app.path().join(inside),
            None => outside.path().join(target),
        };
        std::os::unix::fs::symlink(target, app.path().join(name)).unwrap();
    }
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    run.stderr
}

#[test]
fn issue_19_sqlite_files_do_not_follow_symlinks_out_of_the_app() {
    let stderr = check_with_symlinks(
        "  - {name: db, kind: db.sql.sqlite, file: data/app.db}\n\
         \x20 - {name: linked, kind: db.sql.sqlite, file: linked.db}\n\
         \x20 - {name: inside, kind: db.sql.sqlite, file: fine/app.db}\n",
        // The dangling one is the file itself: SQLite would create its target.
        &[
            ("data", ""),
            ("linked.db", "created.db"),
            ("fine", "app/real"),
        ],
    );
    for expected in [
        "_index.yaml:3: entry 'app:db': field 'file': 'data/app.db' resolves outside the app \
         directory (through a symlink)",
        "_index.yaml:4: entry 'app:linked': field 'file': 'linked.db' cannot be resolved (a \
         dangling symlink?)",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(!stderr.contains("app:inside"), "{stderr}");
}

#[test]
fn issue_19_env_files_do_not_follow_symlinks_out_of_the_app() {
    let stderr = check_with_symlinks(
        "  - {name: vars, kind: env.storage.file, file_path: conf/app.env, auto_create: true}\n",
        &[("conf", "")],
    );
    assert!(
        stderr.contains(
            "_index.yaml:3: entry 'app:vars': env.storage.file: field 'file_path': \
             'conf/app.env' resolves outside the app directory (through a symlink)"
        ),
        "{stderr}"
    );
}

#[test]
fn issue_19_the_registry_does_not_show_credentials_or_stored_values() {
    let app = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - {name: pg, kind: db.sql.postgres, host: localhost, database: shop, username: ann,\n\
         \x20    password: \"${env:LUABOX_TEST_SECRET}\"}\n\
         \x20 - {name: vars, kind: env.storage.memory, values: {TOKEN: s3cret-value}}\n\
         \x20 - {name: cloud, kind: temporal.client, address: \"localhost:7233\", tls: {enabled: true},\n\
         \x20    auth: {type: api_key, api_key: \"${env:LUABOX_TEST_SECRET}\"}}\n\
         \x20 - name: peek\n\
         \x20   kind: function.lua\n\
         \x20   modules: [registry]\n\
         \x20   method: main\n\
         \x20   source: |\n\
         \x20     local registry = require('registry')\n\
         \x20     return {main = function()\n\
         \x20       local seen = {}\n\
         \x20       for _, id in ipairs({'app:pg', 'app:vars', 'app:cloud'}) do\n\
         \x20         seen[id] = assert(registry.get(id)).data\n\
         \x20       end\n\
         \x20       seen.found = #registry.find({['.kind'] = 'db.sql.*'})\n\
         \x20       seen.found_pg = registry.find({['.kind'] = 'db.sql.postgres'})[1].data.password\n\
         \x20       return seen\n\
         \x20     end}\n",
    )]);
    let dir = app.path().to_str().unwrap();
    let secret = [("LUABOX_TEST_SECRET", "hunter2-secret")];
    let run = luabox_with_env(&["call", "app:peek", "--dir", dir], "", &secret);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("hunter2") && !run.stdout.contains("s3cret"),
        "{}",
        run.stdout
    );
    let seen: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        seen,
        json!({
            "app:pg": {"host": "localhost", "database": "shop", "username": "ann",
                       "password": "[redacted]"},
            "app:vars": {"values": "[redacted]"},
            "app:cloud": {"address": "localhost:7233", "tls": {"enabled": true},
                          "auth": {"type": "api_key", "api_key": "[redacted]"}},
            "found": 1,
            "found_pg": "[redacted]",
        })
    );
    let shown = luabox_with_env(&["registry", "show", "app:pg", "--dir", dir], "", &secret);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("\"password\": \"[redacted]\""),
        "{}",
        shown.stdout
    );
    assert!(!shown.stdout.contains("hunter2"), "{}", shown.stdout);
}

#[test]
fn issue_19_a_log_flood_is_cut_to_the_sandbox_budget_with_a_note() {
    // The red team wrote 140 MB (971k lines) of log in 2 s from one script.
    let dir = app_dir(&[(
        "flood.lua",
        "local logger = require('logger')\n\
         for i = 1, 100000 do print('line', i, ('x'):rep(100)) end\n\
         for i = 1, 100000 do logger:info('record', {i = i}) end\n\
         return 'done'\n",
    )]);
    let script = dir.path().join("flood.lua");
    let run = luabox(
        &["eval", script.to_str().unwrap(), "--modules", "logger"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "\"done\"");
    let lines = run.stderr.lines().count();
    assert!(
        (1_000..20_000).contains(&lines),
        "{lines} lines of log for 200,000 written"
    );
    assert!(
        run.stderr.contains("log lines (")
            && run
                .stderr
                .contains("of this sandbox dropped (it may log 1000 lines"),
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
}
