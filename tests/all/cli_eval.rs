//! `luabox eval` as a user runs it.

use crate::util::{Run, luabox};

fn eval_stdin(script: &str, extra: &[&str]) -> Run {
    let mut args = vec!["eval", "-"];
    args.extend_from_slice(extra);
    luabox(&args, script)
}

#[test]
fn returned_function_is_called_with_json_args() {
    let run = eval_stdin(
        r#"return function(a) return {sum = a.x + a.y, s = ("%d"):format(7)} end"#,
        &["--arg", r#"{"x":1,"y":2}"#],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(result, serde_json::json!({"s": "7", "sum": 3}));
}

#[test]
fn several_args_arrive_positionally() {
    let run = eval_stdin(
        "return function(a, b, c) return {a, b, c} end",
        &["--arg", "1", "--arg", "\"two\"", "--arg", "[3]"],
    );
    assert_eq!(run.stdout.trim(), r#"[1,"two",[3]]"#);
}

#[test]
fn endless_loop_exits_2_with_deadline() {
    let run = eval_stdin("while true do end", &["--timeout", "200ms"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("deadline exceeded"), "{}", run.stderr);
    assert!(run.stderr.contains("200ms"), "{}", run.stderr);
}

#[test]
fn memory_bomb_exits_2_naming_the_limit() {
    let run = eval_stdin(
        "local t = {} while true do t[#t + 1] = ('x'):rep(1000) .. #t end",
        &["--memory", "32MiB"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("memory limit (32 MiB) exceeded"),
        "{}",
        run.stderr
    );
}

#[test]
fn lua_error_prints_message_and_traceback_and_exits_1() {
    let run = eval_stdin("local function f() error('kaboom') end\nf()", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("stdin:1: kaboom"), "{}", run.stderr);
    assert!(run.stderr.contains("stack traceback:"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn nil_err_return_is_a_failure() {
    let run = eval_stdin("return nil, 'not found'", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error: not found"), "{}", run.stderr);
}

#[test]
fn json_flag_reports_results_and_errors_as_objects() {
    let ok = eval_stdin("return {1, 2}", &["--json"]);
    assert_eq!(ok.code, 0);
    let ok: serde_json::Value = serde_json::from_str(ok.stdout.trim()).unwrap();
    assert_eq!(ok, serde_json::json!({"ok": true, "result": [1, 2]}));

    let failed = eval_stdin("error('bad')", &["--json"]);
    assert_eq!(failed.code, 1);
    let failed: serde_json::Value = serde_json::from_str(failed.stdout.trim()).unwrap();
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["error"]["kind"], "runtime");
    assert_eq!(failed["error"]["message"], "stdin:1: bad");
    assert!(
        failed["error"]["traceback"]
            .as_str()
            .unwrap()
            .contains("stack traceback")
    );

    let table = eval_stdin("error({code = 42})", &["--json"]);
    let table: serde_json::Value = serde_json::from_str(table.stdout.trim()).unwrap();
    assert_eq!(table["error"]["message"], "(error object is a table value)");
    assert_eq!(table["error"]["value"], serde_json::json!({"code": 42}));

    let limit = eval_stdin("while true do end", &["--json", "--timeout", "100ms"]);
    assert_eq!(limit.code, 2);
    let limit: serde_json::Value = serde_json::from_str(limit.stdout.trim()).unwrap();
    assert_eq!(limit["error"]["kind"], "deadline");
}

#[test]
fn print_goes_to_the_log_with_the_entry_id() {
    let run = eval_stdin("print('hello', 42) return true", &[]);
    assert_eq!(run.stdout.trim(), "true");
    assert!(run.stderr.contains("hello\t42"), "{}", run.stderr);
    assert!(run.stderr.contains("eval:stdin"), "{}", run.stderr);
}

#[test]
fn modules_flag_grants_require() {
    let script = "local time = require('time') time.sleep('10ms') return 'slept'";
    let denied = eval_stdin(script, &[]);
    assert_eq!(denied.code, 1);
    assert!(
        denied
            .stderr
            .contains("module 'time' is not allowed in entry 'eval:stdin'"),
        "{}",
        denied.stderr
    );
    let granted = eval_stdin(script, &["--modules", "time"]);
    assert_eq!(granted.stdout.trim(), "\"slept\"", "{}", granted.stderr);
}

#[test]
fn unknown_module_flag_is_an_error() {
    let run = eval_stdin("return 1", &["--modules", "time,sockets"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown module 'sockets'"),
        "{}",
        run.stderr
    );
}

#[test]
fn syntax_error_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.lua");
    std::fs::write(&file, "local a = 1\nlocal b = = 2\n").unwrap();
    let run = luabox(&["eval", file.to_str().unwrap()], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("broken.lua:2:"), "{}", run.stderr);
}

#[test]
fn bad_input_is_reported_not_run() {
    let missing = luabox(&["eval", "/nonexistent/script.lua"], "");
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("cannot read /nonexistent/script.lua")
    );

    let bad_json = eval_stdin("return 1", &["--arg", "{oops"]);
    assert_eq!(bad_json.code, 1);
    assert!(
        bad_json.stderr.contains("--arg #1: invalid JSON"),
        "{}",
        bad_json.stderr
    );

    let bad_timeout = eval_stdin("return 1", &["--timeout", "soon"]);
    assert!(bad_timeout.stderr.contains("--timeout: invalid duration"));

    let bad_memory = eval_stdin("return 1", &["--memory", "lots"]);
    assert!(bad_memory.stderr.contains("--memory: invalid size"));

    let too_much = eval_stdin("return 1", &["--memory", "64GiB"]);
    assert_eq!(too_much.code, 1);
    assert!(
        too_much.stderr.contains("above this host's maximum"),
        "{}",
        too_much.stderr
    );
}

#[test]
fn a_binary_chunk_is_refused_as_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chunk.luac");
    // The start of a Lua 5.4 binary chunk: refused before any of it is read.
    std::fs::write(&path, b"\x1bLuaT\x00\x19\x93\r\n\x1a\n").unwrap();
    let run = luabox(&["eval", path.to_str().unwrap()], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("attempt to load a binary chunk (mode is 't')"),
        "{}",
        run.stderr
    );
}
