//! The `events` module through the CLI: its Lua tests (`tests/apps/events`, which follow
//! Wippy's page wippyai/docs en/lua/core/events.md) and events between processes and functions
//! of a running app.

use crate::util::{luabox, repo};

#[test]
fn the_events_module_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/events")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn events_reach_subscribers_in_other_processes_until_they_close() {
    let dir = repo("tests/apps/events");
    let run = luabox(
        &["run", &dir, "--exec", "events_tests:across_sandboxes"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Two relays subscribed to the whole "chat" system, one to its message.sent kind only.
    assert_eq!(
        run.stdout.trim(),
        r#"{"relays":3,"seen":{"message.sent":3,"user.joined":2}}"#
    );
}

#[test]
fn an_entry_without_the_module_cannot_use_it() {
    let run = luabox(
        &[
            "call",
            "events_tests:publish",
            r#""s""#,
            r#""k""#,
            r#""/p""#,
            "--dir",
            &repo("tests/apps/events"),
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "true");
    let dir = crate::util::app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n  - {name: f, kind: function.lua, source: \"return {main = function() return require('events') end}\", method: main}\n",
    )]);
    let run = luabox(
        &["call", "app:f", "--dir", dir.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("module 'events' is not allowed in entry 'app:f'"),
        "{}",
        run.stderr
    );
}
