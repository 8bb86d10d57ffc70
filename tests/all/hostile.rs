//! Issue 19's hostile-tenant suite: what a red team tried against luabox, each reproduced through
//! the CLI and the Lua API, and each ending in a clear error (or correct behaviour) while the host
//! carries on. Lua-level hostile scripts are also `tests/cases/hostile_*`.

use serde_json::{Value as Json, json};

use crate::util::{Run, app_dir, luabox, luabox_with_env};

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

/// Peak resident memory (bytes) of `luabox ARGS...`, measured by GNU time (Debian's `time`),
/// and what the run printed.
fn peak_rss(args: &[&str]) -> (u64, Run) {
    let output = std::process::Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kb %M", env!("CARGO_BIN_EXE_luabox")])
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("/usr/bin/time runs luabox");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let kb: u64 = stderr
        .lines()
        .find_map(|line| line.strip_prefix("peak-rss-kb "))
        .and_then(|kb| kb.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in:\n{stderr}"));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    };
    (kb * 1024, run)
}

#[test]
fn issue_19_host_work_for_a_sandbox_stays_within_its_memory_and_deadline() {
    // In a 160 MiB sandbox: json.decode of a 50 MB array took 2 GB of host memory and ran 3 s
    // past a 1 s deadline; hashing 60 MB and decoding 48 MB of base64 ran past 300 ms.
    let scripts = app_dir(&[
        (
            "json.lua",
            "local s = '[' .. string.rep('1,', 25000000) .. '1]'\n\
             local v, err = require('json').decode(s)\n\
             return {decoded = v ~= nil, err = tostring(err)}\n",
        ),
        (
            "hash.lua",
            "return require('hash').sha512(string.rep('x', 60000000))\n",
        ),
        (
            "base64.lua",
            "return #require('base64').decode(string.rep('QUJD', 12000000))\n",
        ),
    ]);
    const MIB: u64 = 1 << 20;
    // The documented bound: the sandbox's memory limit, a copy of one import call's input
    // (which the sandbox holds, so at most its limit again), its output (at most max_payload,
    // 16 MiB) and the host's own 64 MiB.
    let bound = 2 * 160 * MIB + 16 * MIB + 64 * MIB;
    for (script, module, timeout) in [
        ("json.lua", "json", "1s"),
        ("hash.lua", "hash", "300ms"),
        ("base64.lua", "base64", "300ms"),
    ] {
        let path = scripts.path().join(script);
        let args = [
            "eval",
            path.to_str().unwrap(),
            "--modules",
            module,
            "--memory",
            "160MiB",
            "--timeout",
            timeout,
        ];
        let (rss, run) = peak_rss(&args);
        assert_eq!(run.code, 2, "{script}: {}", run.stderr);
        assert!(
            run.stderr.contains("deadline exceeded"),
            "{script}: {}",
            run.stderr
        );
        assert!(rss <= bound, "{script}: peak RSS {} MiB", rss / MIB);
    }

    // With time enough, the decoded value stops at the payload limit with an error.
    let path = scripts.path().join("json.lua");
    let args = [
        "eval",
        path.to_str().unwrap(),
        "--modules",
        "json",
        "--memory",
        "160MiB",
    ];
    let (rss, run) = peak_rss(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(rss <= bound, "peak RSS {} MiB", rss / MIB);
    let result: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        result,
        json!({"decoded": false, "err": "json.decode: the value is larger than the sandbox's \
               payload limit (16777216 bytes as it crosses the boundary; limits.max_payload)"})
    );
}

#[test]
fn issue_19_an_importer_cannot_reach_into_a_library_through_globals() {
    // The red team's exploit: the importer (no `sql`) replaced `assert`, which the library
    // (granted `sql`) called with its database handle; the importer kept the handle and wrote
    // with it. A library's globals now fall back to the globals as they were before any entry
    // code ran, not to its importer's.
    let app = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - {name: db, kind: db.sql.sqlite, file: \":memory:\"}\n\
         \x20 - name: dblib\n\
         \x20   kind: library.lua\n\
         \x20   modules: [sql]\n\
         \x20   source: |\n\
         \x20     local sql = require('sql')\n\
         \x20     return {one = function()\n\
         \x20       local db = assert(sql.get('app:db'))\n\
         \x20       return assert(db:query('SELECT 1 AS one'))[1].one\n\
         \x20     end, sees = function() return marker end}\n\
         \x20 - name: thief\n\
         \x20   kind: function.lua\n\
         \x20   method: main\n\
         \x20   imports: {dblib: app:dblib}\n\
         \x20   resources: [db]\n\
         \x20   source: |\n\
         \x20     local stolen\n\
         \x20     local real_assert = assert\n\
         \x20     assert = function(v, ...)\n\
         \x20       if stolen == nil and type(v) == 'table' then stolen = v end\n\
         \x20       return real_assert(v, ...)\n\
         \x20     end\n\
         \x20     marker = 'set by the importer'\n\
         \x20     return {main = function()\n\
         \x20       local lib = require('dblib')\n\
         \x20       local one = lib.one()\n\
         \x20       local wrote = stolen ~= nil and stolen:execute('CREATE TABLE pwned (x)') ~= nil\n\
         \x20       return {one = one, stolen = stolen ~= nil, wrote = wrote,\n\
         \x20               marker_seen = lib.sees() ~= nil, sql = (pcall(require, 'sql'))}\n\
         \x20     end}\n",
    )]);
    let run = luabox(
        &["call", "app:thief", "--dir", app.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        result,
        json!({"one": 1, "stolen": false, "wrote": false, "marker_seen": false, "sql": false})
    );
}
