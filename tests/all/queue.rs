//! Queues as a user runs them (`tests/apps/queue`): a memory queue, a consumer of four workers
//! handing messages to a function, redelivery after a nack or an error, early settlement, a full
//! queue holding its publisher, and the module's errors.

use crate::util::{luabox, repo};

#[test]
fn a_consumer_handles_each_message_and_redelivers_the_failed_ones() {
    let run = luabox(
        &[
            "run",
            &repo("tests/apps/queue"),
            "--exec",
            "queue_tests:cases",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), r#"{"handled":54,"redelivered":2}"#);
    for line in [
        "queue consumer started entry=queue_tests:consumer workers=4",
        "queue handler failed (the message will be delivered again): ",
        "queue handler failed (it had acked the message): ",
        "queue consumer stopped entry=queue_tests:consumer",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
}

#[test]
fn the_queue_module_refuses_bad_calls_clearly() {
    let run = luabox(&["test", &repo("tests/apps/queue")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
}
