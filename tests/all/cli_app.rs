//! The app commands as a user runs them: `luabox call`, `check`, `registry` and `test` on the
//! fixture apps under `tests/apps/` and on `examples/hello`.

use serde_json::{Value as Json, json};

use crate::util::{app_dir, luabox, repo};

#[test]
fn call_prints_the_result_as_json() {
    let dir = repo("examples/hello");
    let run = luabox(&["call", "hello:greet", "\"world\"", "--dir", &dir], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "\"Hello, World!\"");

    let run = luabox(
        &["call", "welcome", "[\"ada\"]", "--dir", &dir, "--json"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let printed: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(printed["ok"], json!(true));
    assert_eq!(printed["result"]["greetings"], json!(["Hello, Ada!"]));
}

#[test]
fn call_reports_a_returned_error_with_its_kind() {
    let dir = repo("examples/hello");
    let run = luabox(&["call", "hello:greet", "\"\"", "--dir", &dir], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("hello:greet: greet: name must be a non-empty string (Invalid)"),
        "{}",
        run.stderr
    );
    let run = luabox(
        &["call", "hello:greet", "\"\"", "--dir", &dir, "--json"],
        "",
    );
    let printed: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(printed["error"]["kind"], json!("Invalid"));
}

#[test]
fn call_fails_naming_a_module_missing_from_modules() {
    let app = app_dir(&[
        (
            "app.yaml",
            "namespace: app\nentries:\n  - name: digest\n    kind: function.lua\n    \
             source: file://digest.lua\n    method: main\n    modules: [json]\n",
        ),
        (
            "digest.lua",
            "return { main = function() return require('hash').sha256('x') end }\n",
        ),
    ]);
    let dir = app.path().to_str().unwrap();
    let run = luabox(&["call", "app:digest", "--dir", dir], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "module 'hash' is not allowed in entry 'app:digest': add it to the entry's modules"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn call_of_unknown_or_uncallable_entries_fails_clearly() {
    let dir = repo("tests/apps/modules");
    let run = luabox(&["call", "suite:nope", "--dir", &dir], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no entry 'suite:nope'"),
        "{}",
        run.stderr
    );
    let run = luabox(&["call", "suite:settings", "--dir", &dir], "");
    assert!(
        run.stderr
            .contains("is a registry.entry, not a function.lua"),
        "{}",
        run.stderr
    );
    let run = luabox(&["call", "suite:add", "{bad json", "--dir", &dir], "");
    assert!(
        run.stderr.contains("argument #1: invalid JSON"),
        "{}",
        run.stderr
    );
}

#[test]
fn call_exits_2_when_a_limit_stops_the_function() {
    let dir = repo("tests/apps/modules");
    let run = luabox(&["call", "suite:slow", "--dir", &dir], "");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("deadline exceeded"), "{}", run.stderr);
    assert!(
        run.stderr.contains("300ms"),
        "the entry's own limit applies: {}",
        run.stderr
    );
}

#[test]
fn check_reports_every_mistake_with_file_and_line() {
    let dir = repo("tests/apps/broken");
    let run = luabox(&["check", &dir], "");
    assert_eq!(run.code, 1);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(".yaml:"))
        .collect();
    assert_eq!(errors.len(), 6, "{}", run.stderr);
    for needle in [
        "unknown kind",
        "missing required field",
        "unknown field 'mehtod'",
        "duplicate entry id",
        "does not exist",
        "not found",
    ] {
        assert!(
            errors.iter().any(|line| line.contains(needle)),
            "no error mentions {needle:?}:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("6 errors in"), "{}", run.stderr);
}

#[test]
fn check_reports_lua_syntax_errors_at_the_lua_line() {
    let dir = repo("tests/apps/syntax");
    let run = luabox(&["check", &dir], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "broken.lua:4: entry 'syntax:broken': Lua syntax error: unexpected symbol near '*'"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "_index.yaml:12: entry 'syntax:inline': Lua syntax error: inline source line 3: \
             unexpected symbol near 'end'"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn check_reports_yaml_lua_and_lint_errors_in_one_pass() {
    let dir = repo("tests/apps/check_one_pass");
    let run = luabox(&["check", &dir], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = [
        "_index.yaml:11: entry 'app:typo': unknown field 'modles' for kind function.lua \
         (expected one of: source, method, modules, imports, pool, limits, allowed_hosts, \
         resources, security); did you mean 'modules'?",
        "_index.yaml:39: entry 'app:hello.endpoint': func 'app:needs' does not list the http \
         module: add http to its modules to read the request and write the response",
        "broken.lua:2: entry 'app:broken': Lua syntax error: unexpected symbol near '*'",
        "needs.lua:3: entry 'app:needs': require(\"sql\") cannot load: module 'sql' is not in \
         the entry's modules: add it there",
        "needs.lua:7: entry 'app:needs': require(\"nosuch\") cannot load: luabox has no module \
         'nosuch' and the entry imports nothing by that name (imports: {nosuch: ns:entry})",
        "5 errors in ",
    ];
    let lines: Vec<&str> = run.stderr.lines().filter(|l| !l.contains("WARN")).collect();
    assert_eq!(lines.len(), expected.len(), "{}", run.stderr);
    for (line, want) in lines.iter().zip(expected) {
        let shown = line.strip_prefix(&format!("{dir}/")).unwrap_or(line);
        assert!(
            shown == want || (want.ends_with(' ') && shown.starts_with(want)),
            "{shown}\n  expected: {want}"
        );
    }
}

#[test]
fn check_accepts_a_valid_app() {
    let run = luabox(&["check", &repo("examples/hello")], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("ok: 5 entries (4 functions, 1 libraries)"),
        "{}",
        run.stdout
    );
}

#[test]
fn registry_list_and_show() {
    let dir = repo("tests/apps/modules");
    let run = luabox(&["registry", "list", "--dir", &dir, "--kind", "env.*"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        ids,
        [
            "suite:greeting",
            "suite:os_env",
            "suite:path",
            "suite:unset",
            "suite:overlaid",
            "suite:memory",
            "suite:mem_preset",
            "suite:mem_counter",
            "suite:locked",
            "suite:fixture_env",
            "suite:file_greeting",
            "suite:file_quoted",
            "suite:scratch_env",
            "suite:scratch",
        ]
    );

    let run = luabox(
        &[
            "registry",
            "list",
            "--dir",
            &dir,
            "--meta",
            "type=config",
            "--json",
        ],
        "",
    );
    let listed: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(listed[0]["id"], json!("suite:settings"));
    assert_eq!(listed[0]["data"], json!({"color": "blue", "size": 3}));

    let run = luabox(&["registry", "show", "suite:settings", "--dir", &dir], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\"kind\": \"registry.entry\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("_index.yaml:"), "{}", run.stdout);
}

#[test]
fn every_module_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/modules")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("16 passed, 0 failed"), "{}", run.stdout);
    // logger records reach the host log, tagged with the entry and the logger's name
    assert!(
        run.stderr.contains(
            r#"child logger entry="suite:logger_test" logger="billing" fields={"order":7,"tenant":"acme"}"#
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_example_app_passes_its_tests() {
    let run = luabox(&["test", &repo("examples/hello")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn test_counts_each_way_of_failing_and_filters_by_id() {
    let dir = repo("tests/apps/failing");
    let run = luabox(&["test", &dir], "");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("1 passed, 5 failed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("deadline exceeded: the sandbox ran longer than its 100ms limit"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("memory limit (16 MiB) exceeded"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("FAIL  failing:raises"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("assertion failed: 1 == 2"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("returned false"), "{}", run.stdout);
    assert!(run.stdout.contains("stale (Conflict)"), "{}", run.stdout);
    assert!(!run.stdout.contains("not_a_test"), "{}", run.stdout);

    let run = luabox(&["test", &dir, "passes"], "");
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    let run = luabox(&["test", &dir, "failing:returns_*"], "");
    assert!(run.stdout.contains("0 passed, 2 failed"), "{}", run.stdout);
    let run = luabox(&["test", &dir, "nothing-matches"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no tests matched"), "{}", run.stderr);
}

#[test]
fn any_lua_entry_is_importable_and_an_alias_may_shadow_a_module() {
    // As in Wippy: require() of a function.lua or process.lua returns what its chunk returns
    // (its `method:` plays no part), and an import named like a module is the import.
    let app = crate::util::app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - name: helpers\n\
         \x20   kind: function.lua\n\
         \x20   method: main\n\
         \x20   modules: [json]\n\
         \x20   source: |\n\
         \x20     local json = require('json')\n\
         \x20     return {main = function() end, encode = function(v) return json.encode(v) end}\n\
         \x20 - name: worker\n\
         \x20   kind: process.lua\n\
         \x20   method: run\n\
         \x20   source: |\n\
         \x20     return {run = function() end, name = 'worker'}\n\
         \x20 - name: fake_json\n\
         \x20   kind: library.lua\n\
         \x20   source: |\n\
         \x20     return {encode = function() return 'not json' end}\n\
         \x20 - name: user\n\
         \x20   kind: function.lua\n\
         \x20   method: main\n\
         \x20   modules: [json]\n\
         \x20   imports: {helpers: helpers, worker: worker, json: fake_json}\n\
         \x20   source: |\n\
         \x20     return {main = function()\n\
         \x20       return {require('helpers').encode({1}), require('worker').name,\n\
         \x20               require('json').encode({1})}\n\
         \x20     end}\n",
    )]);
    let run = luabox(
        &["call", "app:user", "--dir", app.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), r#"["[1]","worker","not json"]"#);
}
