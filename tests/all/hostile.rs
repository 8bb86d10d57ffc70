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
    // past a 1 s deadline; hashing 60 MB and decoding 48 MB of base64 ran past 300 ms. Now a
    // string handed to the host is at most the payload limit (16 MiB here), and the work on it
    // runs in steps that watch the deadline.
    let scripts = app_dir(&[
        (
            "json_over.lua",
            "local s = '[' .. string.rep('1,', 25000000) .. '1]'\n\
             local v, err = require('json').decode(s)\n\
             return {decoded = v ~= nil, err = tostring(err)}\n",
        ),
        (
            "hash_over.lua",
            "local hash, s = require('hash'), string.rep('x', 60000000)\n\
             return select(2, pcall(function() local h = hash.sha512(s); return h end))\n",
        ),
        (
            "base64_over.lua",
            "local v, err = require('base64').decode(string.rep('QUJD', 12000000))\n\
             return {decoded = v ~= nil, err = tostring(err)}\n",
        ),
        (
            "json.lua",
            "local json, s = require('json'), '[' .. string.rep('1,', 8000000) .. '1]'\n\
             for _ = 1, 1000 do assert(json.decode(s)) end\n",
        ),
        (
            "hash.lua",
            "local hash, s = require('hash'), string.rep('x', 16000000)\n\
             for _ = 1, 1000 do hash.sha512(s) end\n",
        ),
        (
            "base64.lua",
            "local base64, s = require('base64'), string.rep('QUJD', 4000000)\n\
             for _ = 1, 1000 do assert(base64.decode(s)) end\n",
        ),
        (
            "json_grows.lua",
            "local s = '[' .. string.rep('1e5,', 4000000) .. '1e5]'\n\
             local v, err = require('json').decode(s)\n\
             return {decoded = v ~= nil, err = tostring(err)}\n",
        ),
    ]);
    const MIB: u64 = 1 << 20;
    // The documented bound (README, "Hostile tenants"): the sandbox's memory limit, plus a fixed
    // overhead: one import call's input and its output (each at most max_payload, 16 MiB) and the
    // host's own 64 MiB.
    let bound = 160 * MIB + 2 * 16 * MIB + 64 * MIB;
    let eval = |script: &str, module: &str, timeout: Option<&str>| {
        let path = scripts.path().join(script);
        let mut args = vec!["eval", path.to_str().unwrap(), "--modules", module];
        args.extend(["--memory", "160MiB"]);
        if let Some(timeout) = timeout {
            args.extend(["--timeout", timeout]);
        }
        let (rss, run) = peak_rss(&args);
        assert!(rss <= bound, "{script}: peak RSS {} MiB", rss / MIB);
        run
    };
    let limit = "more than the sandbox's payload limit of 16777216 bytes (limits.max_payload)";

    // Input over the limit is refused before it reaches the host.
    let run = eval("json_over.lua", "json", None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(run.stdout.trim()).unwrap(),
        json!({"decoded": false, "err": format!("json.decode: the text is 50000003 bytes, {limit}")})
    );
    let run = eval("hash_over.lua", "hash", None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(run.stdout.trim()).unwrap(),
        json!(format!(
            "{}:2: bad argument #1 to 'sha512' (60000000 bytes, {limit})",
            scripts.path().join("hash_over.lua").display()
        ))
    );
    let run = eval("base64_over.lua", "base64", None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(run.stdout.trim()).unwrap(),
        json!({"decoded": false, "err": format!("base64.decode: the text is 48000000 bytes, {limit}")})
    );

    // Work on input under the limit stops at the deadline.
    for (script, module, timeout) in [
        ("json.lua", "json", "1s"),
        ("hash.lua", "hash", "300ms"),
        ("base64.lua", "base64", "300ms"),
    ] {
        let run = eval(script, module, Some(timeout));
        assert_eq!(run.code, 2, "{script}: {}", run.stderr);
        assert!(
            run.stderr.contains("deadline exceeded"),
            "{script}: {}",
            run.stderr
        );
    }

    // A text under the limit whose value grows past it as it crosses stops with an error.
    let run = eval("json_grows.lua", "json", None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(run.stdout.trim()).unwrap(),
        json!({"decoded": false, "err": "json.decode: the value is larger than the sandbox's \
               payload limit (16777216 bytes as it crosses the boundary; limits.max_payload)"})
    );
}

#[test]
fn yaml_decode_and_encode_stay_within_the_sandbox_memory_and_deadline() {
    // yaml-rust2 held a whole flow collection as tokens before reporting its first event: a
    // 16 MB `[1,1,...]` took 1.6 GB of host memory and two seconds no deadline could stop. The
    // yaml module decodes with libyaml, which reads ahead a bounded amount, and writes
    // MessagePack as events come; both directions stop at the payload limit and the deadline.
    // The values decoded are nils, so the sandbox's own tables stay small.
    let scripts = app_dir(&[
        (
            "flow.lua",
            "local yaml, s = require('yaml'), 'a: [' .. string.rep('~,', 8000000) .. '~]'\n\
             for _ = 1, 1000 do assert(yaml.decode(s)) end\n",
        ),
        (
            "nested.lua",
            "local yaml = require('yaml')\n\
             local s = '- [[' .. string.rep('~, ', 5000000) .. '~]]'\n\
             for _ = 1, 1000 do assert(yaml.decode(s)) end\n",
        ),
        (
            "block.lua",
            "local yaml, s = require('yaml'), string.rep('- ~\\n', 4000000)\n\
             for _ = 1, 1000 do assert(yaml.decode(s)) end\n",
        ),
        (
            "laughs.lua",
            "local yaml = require('yaml')\n\
             local lines = {'a0: &a0 [' .. string.rep('lol, ', 9) .. 'lol]'}\n\
             for i = 1, 12 do\n\
               lines[#lines + 1] = ('a%d: &a%d [' .. string.rep('*a%d, ', 9) .. '*a%d]')\n\
                 :format(i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1)\n\
             end\n\
             local v, err = yaml.decode(table.concat(lines, '\\n'))\n\
             return {decoded = v ~= nil, err = tostring(err)}\n",
        ),
        (
            "encode.lua",
            "local yaml, t = require('yaml'), {}\n\
             for i = 1, 400000 do t[i] = {id = i, tags = {'a', 'b'}} end\n\
             for _ = 1, 1000 do assert(yaml.encode(t)) end\n",
        ),
    ]);
    const MIB: u64 = 1 << 20;
    // The bound of the host-work test above: the sandbox's memory, one call's input and output,
    // and the host's own 64 MiB.
    let bound = 160 * MIB + 2 * 16 * MIB + 64 * MIB;
    let eval = |script: &str, timeout: &str| {
        let path = scripts.path().join(script);
        let path = path.to_str().unwrap();
        let args = [
            "eval",
            path,
            "--modules",
            "yaml",
            "--memory",
            "160MiB",
            "--timeout",
            timeout,
        ];
        let (rss, run) = peak_rss(&args);
        assert!(rss <= bound, "{script}: peak RSS {} MiB", rss / MIB);
        run
    };
    for script in ["flow.lua", "nested.lua", "block.lua", "encode.lua"] {
        let run = eval(script, "1s");
        assert_eq!(run.code, 2, "{script}: {}", run.stderr);
        assert!(
            run.stderr.contains("deadline exceeded"),
            "{script}: {}",
            run.stderr
        );
    }
    let run = eval("laughs.lua", "10s");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Json>(run.stdout.trim()).unwrap(),
        json!({"decoded": false, "err": "yaml.decode: the value is larger than the sandbox's \
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

#[test]
fn issue_19_a_handle_a_library_leaks_does_not_carry_its_grant() {
    // The library (granted `sql` and `store`) hands out its handles, its module tables and a
    // callback slot on purpose; the importer is granted neither module. Each use by the
    // importer's code is refused at the call, however the value got there (a tail call, which
    // removes the caller's frame, included), while the library's own calls keep working.
    let app = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - {name: db, kind: db.sql.sqlite, file: \":memory:\"}\n\
         \x20 - {name: kv, kind: store.memory}\n\
         \x20 - name: lib\n\
         \x20   kind: library.lua\n\
         \x20   modules: [sql, store]\n\
         \x20   source: |\n\
         \x20     local sql, store = require('sql'), require('store')\n\
         \x20     local db = assert(sql.get('app:db'))\n\
         \x20     local kv = assert(store.get('app:kv'))\n\
         \x20     return {\n\
         \x20       leak = function() return db, sql, kv, store end,\n\
         \x20       with_db = function(f) return f(db) end,\n\
         \x20       with_db_kept = function(f) local r = f(db) return r end,\n\
         \x20       one = function() return db:query('SELECT 1 AS one') end,\n\
         \x20       tables = function()\n\
         \x20         return assert(db:query('SELECT count(*) AS n FROM sqlite_master'))[1].n\n\
         \x20       end,\n\
         \x20       loaded_sees = function() return load('return marker')() end,\n\
         \x20       loaded_query = function() return load('local db = ... return db:query(\"SELECT 2 AS two\")')(db) end,\n\
         \x20     }\n\
         \x20 - name: thief\n\
         \x20   kind: function.lua\n\
         \x20   method: main\n\
         \x20   imports: {lib: app:lib}\n\
         \x20   resources: [db, kv]\n\
         \x20   source: |\n\
         \x20     marker = 'set by the importer'\n\
         \x20     local function refused(f, ...)\n\
         \x20       local ok, err = pcall(f, ...)\n\
         \x20       return not ok and tostring(err) or 'ran'\n\
         \x20     end\n\
         \x20     return {main = function()\n\
         \x20       local lib = require('lib')\n\
         \x20       local db, sql, kv, store = lib.leak()\n\
         \x20       local pwn = 'CREATE TABLE pwned (x)'\n\
         \x20       local tail = function(d) return d:execute(pwn) end\n\
         \x20       return {\n\
         \x20         handle = refused(function() local r = db:execute(pwn); return r end),\n\
         \x20         tail_call = refused(tail, db),\n\
         \x20         module = refused(sql.get, 'app:db'),\n\
         \x20         store_handle = refused(function() local r = kv:set('k', 'v'); return r end),\n\
         \x20         store_module = refused(store.get, 'app:kv'),\n\
         \x20         callback = refused(lib.with_db, tail),\n\
         \x20         callback_kept = refused(lib.with_db_kept, tail),\n\
         \x20         wrapped = refused(coroutine.wrap(db.execute), db, pwn),\n\
         \x20         named_like_the_library = refused(lib.with_db_kept,\n\
         \x20           load('return (...):execute(\"' .. pwn .. '\")', '=app:lib')),\n\
         \x20         library_tail_call = lib.one()[1].one,\n\
         \x20         library_load = lib.loaded_query()[1].two,\n\
         \x20         library_load_sees_importer = lib.loaded_sees() ~= nil,\n\
         \x20         tables = lib.tables(),\n\
         \x20       }\n\
         \x20     end}\n",
    )]);
    let run = luabox(
        &["call", "app:thief", "--dir", app.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    let refusal = |at: &str, module: &str| {
        format!(
            "{at}module '{module}' is not allowed in entry 'app:thief': its functions and the \
             handles it returns work only in code whose modules list it (this value came from \
             another entry or library)"
        )
    };
    assert_eq!(
        result,
        json!({
            "handle": refusal("app:thief:12: ", "sql"),
            "tail_call": refusal("", "sql"),
            "module": refusal("app:thief:3: ", "sql"),
            "store_handle": refusal("app:thief:15: ", "store"),
            "store_module": refusal("app:thief:3: ", "store"),
            "callback": refusal("", "sql"),
            "callback_kept": refusal("", "sql"),
            "wrapped": refusal("", "sql"),
            "named_like_the_library": refusal("", "sql"),
            "library_tail_call": 1,
            "library_load": 2,
            "library_load_sees_importer": false,
            "tables": 0,
        })
    );
}
