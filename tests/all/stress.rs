//! Issue 18's stress patterns through the CLI: on `tests/apps/processes`, a select-with-timeout
//! ping client and a process taking messages while thousands of timers wait; on
//! `tests/apps/stress` (a fresh copy per test, so the workflow store starts empty), large and many
//! values across `funcs.call` and a workflow of hundreds of coroutines, selects and signals (and
//! values as deep as may cross, recorded in its history) that replays to the same result.
//! `scripts/test.sh` runs them on the production and the checked guest. Lua-level stress cases
//! (pending timers, tasks, channels, nested waits, errors, limits) are `tests/cases/stress_*`.

use serde_json::{Value as Json, json};

use crate::util::{copy_app, luabox, repo};

/// `luabox run tests/apps/processes --exec ID ARGS...`, its printed result.
fn exec(id: &str, args: &[&str]) -> Json {
    let dir = repo("tests/apps/processes");
    let mut argv = vec!["run", &dir, "--exec", id];
    argv.extend_from_slice(args);
    let run = luabox(&argv, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn issue_18_select_with_timeout_ping_client_makes_10000_round_trips() {
    assert_eq!(
        exec("app:timeout_client", &["10000"]),
        json!({"answered": 10000, "timed_out": 0})
    );
}

#[test]
fn a_process_takes_2000_messages_while_5000_timers_wait() {
    assert_eq!(
        exec("app:busy", &["5000", "8", "250"]),
        json!({"received": 2000, "sum": 2001000, "timers_fired": 5000})
    );
}

#[test]
fn issue_18_a_message_as_deep_as_a_sandbox_may_send_reaches_its_process() {
    assert_eq!(
        exec("app:deep_receiver", &["127"]),
        json!({"deep": 127, "after": "still here"})
    );
}

#[test]
fn large_deep_and_many_values_cross_funcs_call() {
    let app = copy_app("tests/apps/stress");
    let run = luabox(&["test", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn a_workflow_past_its_pending_limit_fails_naming_it() {
    let app = copy_app("tests/apps/stress");
    let dir = app.path().to_str().unwrap();
    let run = luabox(
        &[
            "workflow",
            "--dir",
            dir,
            "start",
            "stress:too_many_timers",
            "--id",
            "t",
            "--wait",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("pending-operation limit (10) exceeded"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_workflow_of_hundreds_of_coroutines_selects_and_signals_replays() {
    let app = copy_app("tests/apps/stress");
    let dir = app.path().to_str().unwrap();
    let workflow = |args: &[&str]| {
        let mut argv = vec!["workflow", "--dir", dir];
        argv.extend_from_slice(args);
        let run = luabox(&argv, "");
        assert_eq!(run.code, 0, "luabox workflow {args:?}: {}", run.stderr);
        run.stdout
    };
    let result: Json = serde_json::from_str(&workflow(&[
        "start",
        "stress:workflow",
        "300",
        "50",
        "--id",
        "w",
        "--wait",
    ]))
    .unwrap();
    assert_eq!(
        result,
        json!({
            "task_sum": 45150,
            "signals": 50,
            "signal_sum": 1275,
            "sent": 50,
            "timeouts": 0,
            "nested": 42,
            "caught": "raised after a durable timer",
            "deep_signal": 127,
            "deep_result": 127,
        })
    );
    let exported = app.path().join("w.json");
    std::fs::write(&exported, workflow(&["show", "w", "--json"])).unwrap();
    let replayed = workflow(&["replay", exported.to_str().unwrap()]);
    assert!(
        replayed.contains("the code matches the history (workflow.completed)"),
        "{replayed}"
    );
}
