//! A function's coroutines outlive its return (tests/apps/background): the caller gets the
//! result at once, the coroutine's work lands later, and a coroutine that fails then is logged.

use crate::util::{luabox, repo};

#[test]
fn a_functions_coroutines_run_on_after_it_returns() {
    let app = repo("tests/apps/background");
    let run = luabox(&["run", &app, "-x", "app:check"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "[\"started doomed\",\"started t1\",\"unset\",\"t1\"]\n",
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "a coroutine failed after its function returned: starter.lua:9: background work \
             failed for doomed"
        ),
        "{}",
        run.stderr
    );
}
