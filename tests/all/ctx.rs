//! The `ctx` module through the CLI (`tests/apps/ctx`): context values set by a caller reach
//! every call below it, can be overridden on the way, and reach spawned processes.

use crate::util::{luabox, repo};

#[test]
fn the_context_flows_down_calls() {
    let run = luabox(&["test", &repo("tests/apps/ctx")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn a_spawner_hands_its_context_to_the_process_and_on_to_its_calls() {
    let run = luabox(
        &["run", &repo("tests/apps/ctx"), "--exec", "ctx_tests:spawns"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        r#"{"called":{"tenant":"acme","user":7},"own":{"tenant":"acme","user":7},"plain":[]}"#
    );
}
