//! The registry as code changes it at run time: snapshots, versions, changesets and deltas
//! (`tests/apps/registry_changes`, following Wippy's page wippyai/docs en/lua/core/registry.md),
//! and a change made by one process seen by others in a running app.

use crate::util::{luabox, repo};

#[test]
fn the_registry_changes_pass_their_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/registry_changes")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn entries_one_process_registers_are_found_by_another() {
    let dir = repo("tests/apps/registry_changes");
    let run = luabox(&["run", &dir, "--exec", "test:across_processes"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Three changesets from three processes: three versions after the loaded v0.
    assert_eq!(
        run.stdout.trim(),
        r#"{"rooms":["test:room.general","test:room.music","test:room.random"],"versions":[1,2,3]}"#
    );
}
