//! Processes as a user runs them: `luabox run DIR --exec ID [JSON]` on `tests/apps/processes`
//! (a ponger service), `tests/apps/process_api` (one scenario per `case.*` entry) and
//! `tests/apps/supervision` (services that crash, return and crash-loop).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value as Json, json};

use crate::util::{luabox, repo};

/// Exec `case.NAME` of the process API app with `args` and return its JSON result.
fn case(name: &str, args: &[&str]) -> Json {
    let dir = repo("tests/apps/process_api");
    let id = format!("api:case.{name}");
    let mut argv = vec!["run", &dir, "--exec", &id];
    argv.extend_from_slice(args);
    let run = luabox(&argv, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn a_named_ponger_service_answers_pings_in_order() {
    let dir = repo("tests/apps/processes");
    let run = luabox(&["run", &dir, "--exec", "app:client", "1000"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), r#"{"answered":1000}"#);
    for line in [
        "service started entry=app:ponger.service",
        "service stopped entry=app:ponger.service",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
}

#[test]
fn request_reply_with_a_select_timeout() {
    assert_eq!(
        case("request_reply", &[]),
        json!({"topic": "answer", "answer": 42, "from_responder": true, "timed_out": true})
    );
}

#[test]
fn monitors_report_exit_results_until_unmonitored() {
    assert_eq!(
        case("monitors", &[]),
        json!({
            "returned": 42,
            "failed": "peers.lua:19: boom",
            "failed_has_value": false,
            "monitored_later": true,
            "unmonitored_silent": true,
        })
    );
}

#[test]
fn a_link_failure_kills_unless_trapped() {
    let seen = case("links", &[]);
    let untrapped = seen["untrapped"].as_str().unwrap();
    assert!(
        untrapped.starts_with("linked process {api:workers|")
            && untrapped.ends_with("} failed: peers.lua:19: linked failure"),
        "{untrapped}"
    );
    assert_eq!(
        seen["trapped"],
        json!({"kind": "pid.link.down", "error": "peers.lua:19: linked failure"})
    );
    assert_eq!(seen["options"], json!({"trap_links": false}));
}

#[test]
fn cancel_is_an_event_and_terminate_ends_a_busy_loop() {
    assert_eq!(
        case("cancel_terminate", &[]),
        json!({
            "cancelled": "pid.cancel",
            "cancelled_by_me": true,
            "terminated": "terminated by {luabox:exec|1}",
        })
    );
}

#[test]
fn names_are_unique_and_released_on_exit() {
    let seen = case("names", &[]);
    assert_eq!(seen["first"], json!(true));
    assert_eq!(seen["looked_up"], json!(true));
    assert_eq!(seen["second"], json!(false));
    let refusal = seen["second_err"].as_str().unwrap();
    assert!(
        refusal.starts_with("name 'keeper' is already registered to {api:workers|"),
        "{refusal}"
    );
    assert_eq!(seen["after_exit"], json!("nil"));
    assert_eq!(seen["unregistered"], json!(true));
    assert_eq!(seen["unregistered_again"], json!(false));
}

#[test]
fn listen_takes_its_topics_before_the_inbox() {
    assert_eq!(
        case("listen", &[]),
        json!({
            "jobs": [1, 4],
            "exact": 3,
            "inbox": ["other", 2],
            "after_unlisten": ["job.three", 5],
        })
    );
}

#[test]
fn a_spawners_messages_arrive_first_and_its_start_options_are_for_workflows() {
    assert_eq!(
        case("spawner", &[]),
        json!({"replies": [["first", 1], ["second", "two"]], "refused": "Invalid", "bad": "Invalid"})
    );
}

#[test]
fn messages_wait_in_order_until_the_inbox_is_opened() {
    assert_eq!(case("held", &[]), json!([1, 2, 3]));
}

#[test]
fn sending_to_an_ended_process_or_unknown_name_fails() {
    let seen = case("dead_pid", &[]);
    assert_eq!(seen["ok"], json!(false));
    assert_eq!(seen["kind"], json!("NotFound"));
    assert!(
        seen["err"]
            .as_str()
            .unwrap()
            .ends_with("not found (it has exited or never existed)"),
        "{seen}"
    );
    assert_eq!(seen["name_ok"], json!(false));
    assert_eq!(
        seen["name_err"],
        json!("no process is registered as 'nobody-by-this-name' (nor is it a pid)")
    );
}

#[test]
fn busy_loops_do_not_stall_a_ping_pong_pair() {
    assert_eq!(case("busy_neighbours", &["300"]), json!(300));
}

#[test]
fn coroutine_workers_inside_a_process_share_its_jobs() {
    // The sum of squares of 1..=50.
    assert_eq!(
        case("worker_pool", &["4", "50"]),
        json!({"sum": 42925, "workers_used": 4})
    );
}

#[test]
fn a_full_mailbox_refuses_more_messages() {
    assert_eq!(
        case("mailbox_flood", &[]),
        json!({
            "sent": 100000,
            "err": "the mailbox of {api:workers|2} is full (100000 messages waiting)",
        })
    );
}

#[test]
fn a_process_over_its_memory_limit_fails_alone() {
    assert_eq!(
        case("memory_limit", &[]),
        json!({"hoarder": "memory limit (16 MiB) exceeded", "after": "serving"})
    );
}

#[test]
fn a_failing_exec_exits_1_with_the_error_and_traceback() {
    let dir = repo("tests/apps/process_api");
    let run = luabox(&["run", &dir, "--exec", "api:case.fails"], "");
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("error: api:case.fails: cases.lua:267: the exec'd process failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("stack traceback:"), "{}", run.stderr);
}

#[test]
fn services_restart_with_backoff_until_max_attempts_or_intensity() {
    let dir = repo("tests/apps/supervision");
    let run = luabox(&["run", &dir, "--exec", "sup:observer", r#""800ms""#], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen: Json = serde_json::from_str(run.stdout.trim()).unwrap();

    // crasher: 4 starts (max_attempts), each restart after the logged, doubling delay.
    assert_eq!(seen["crasher"]["starts"], json!(4), "{seen}");
    let delays = [50, 100, 200];
    for (attempt, delay) in delays.iter().enumerate() {
        let line = format!(
            "restarting service in {delay} ms entry=sup:crasher attempt={}",
            attempt + 2
        );
        assert!(run.stderr.contains(&line), "{line} in {}", run.stderr);
        let gap = seen["crasher"]["gaps"][attempt].as_i64().unwrap();
        assert!(
            gap >= *delay,
            "restart {attempt} came {gap} ms after the last"
        );
    }
    assert!(run.stderr.contains(
        "service gave up: it failed 4 times in a row (restart.max_attempts) entry=sup:crasher"
    ));
    assert!(
        run.stderr
            .contains("services.lua:12: crasher crashed\nstack traceback:")
    );

    // oneshot: returned normally once, never restarted.
    assert_eq!(seen["oneshot"]["starts"], json!(1));
    assert!(
        run.stderr
            .contains("service process returned normally; not restarted entry=sup:oneshot")
    );

    // intense: the third failure within 10 s is more than 2 restarts.
    assert_eq!(seen["intense"]["starts"], json!(3));
    assert!(run.stderr.contains(
        "service gave up: more than 2 restarts within 10s (restart.intensity) entry=sup:intense"
    ));
}

#[test]
fn run_without_exec_serves_until_sigterm_then_stops_services() {
    let dir = repo("tests/apps/processes");
    let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(["run", &dir])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("luabox starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains("service started entry=app:ponger.service") {
        assert!(
            stderr.read_line(&mut log).unwrap() > 0,
            "luabox ended before its service started: {log}"
        );
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    log.push_str(&rest);
    assert_eq!(child.wait().unwrap().code(), Some(0), "{log}");
    assert!(
        log.contains("service stopped entry=app:ponger.service"),
        "{log}"
    );
}

#[test]
fn process_is_a_global_in_every_lua_entry_and_library_as_in_wippy() {
    // Wippy's functions call process.* without listing it in modules:.
    let app = crate::util::app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n\
         \x20 - name: echo\n\
         \x20   kind: process.lua\n\
         \x20   source: |\n\
         \x20     return function()\n\
         \x20       local msg = process.inbox():receive()\n\
         \x20       process.send(msg:payload():data(), 'pong', 'hi')\n\
         \x20     end\n\
         \x20 - name: lib\n\
         \x20   kind: library.lua\n\
         \x20   source: |\n\
         \x20     return {me = function() return process.pid() end}\n\
         \x20 - name: plain\n\
         \x20   kind: function.lua\n\
         \x20   method: main\n\
         \x20   imports: {lib: app:lib}\n\
         \x20   source: |\n\
         \x20     return {main = function()\n\
         \x20       local me = require('lib').me()\n\
         \x20       local echo = assert(process.spawn('app:echo', 'app:host'))\n\
         \x20       process.send(echo, 'ping', me)\n\
         \x20       local reply = process.inbox():receive()\n\
         \x20       return {same_pid = me == process.pid(), reply = reply:payload():data()}\n\
         \x20     end}\n\
         \x20 - {name: host, kind: process.host, lifecycle: {auto_start: true}}\n",
    )]);
    let dir = app.path().to_str().unwrap();
    let run = luabox(&["run", dir, "--exec", "app:plain"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(result, json!({"same_pid": true, "reply": "hi"}));
}
