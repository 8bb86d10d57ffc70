//! The `crypto` module end to end: its Lua test app (`tests/apps/crypto`, one test per code block
//! of Wippy's doc page plus the edge and error cases), its refusal in workflows, and PBKDF2's
//! long work ending at the sandbox's deadline.

use std::time::{Duration, Instant};

use crate::util::{app_dir, luabox, repo};

#[test]
fn crypto_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/crypto")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("10 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn a_workflow_cannot_list_crypto() {
    // Its random values would differ on replay (host/src/modules/crypto/mod.rs).
    let app = app_dir(&[(
        "luabox.yaml",
        "namespace: bad\nentries:\n  - name: flow\n    kind: workflow.lua\n    source: \
         \"return function() end\"\n    modules: [crypto]\n",
    )]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("module 'crypto' is not allowed in workflow.lua 'bad:flow'"),
        "{}",
        run.stderr
    );
}

#[test]
fn pbkdf2_stops_at_the_deadline() {
    // 32768 blocks of 10,000,000 rounds each would take hours; the host looks at the deadline
    // between rounds, so the run ends with the limit error soon after it.
    let app = app_dir(&[(
        "slow.lua",
        "return require('crypto').pbkdf2('p', 's', 10000000, 1048576)\n",
    )]);
    let script = app.path().join("slow.lua");
    let started = Instant::now();
    let run = luabox(
        &[
            "eval",
            "--modules",
            "crypto",
            "--timeout",
            "300ms",
            script.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("deadline"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
}
