//! Processes as a user runs them: `luabox run DIR --exec ID [JSON]` on `tests/apps/processes`.

use crate::util::{luabox, repo};

#[test]
fn a_named_ponger_service_answers_pings_in_order() {
    let dir = repo("tests/apps/processes");
    let run = luabox(&["run", &dir, "--exec", "app:client", "1000"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), r#"{"answered":1000}"#);
    assert!(
        run.stderr
            .contains("service started entry=app:ponger.service"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("service stopped entry=app:ponger.service"),
        "{}",
        run.stderr
    );
}
