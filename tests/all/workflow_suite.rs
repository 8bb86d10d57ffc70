//! The durable-workflow suite, run with the same app and Lua code (`tests/apps/workflows`) on
//! both backends: the embedded engine and a Temporal cluster, where `luabox run` is the
//! Temporal worker. An order workflow with two activities, a signal (from the command line and
//! from Lua's `process.send`) and a durable timer; a child workflow; activity retries; a
//! cancel request the code handles; a code change behind `workflow.version`; and the host
//! killed with SIGKILL mid-workflow and started again.
//!
//! Temporal comes from `LUABOX_TEST_TEMPORAL` (`host:port` of a frontend), which
//! `scripts/test.sh` and `.ci/run` set after starting a throwaway dev server
//! (`scripts/test-temporal.sh`). Without it the Temporal tests fail and say so: they are not
//! skipped. Each Temporal test polls a task queue of its own.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::util::{Run, luabox_with_env};
use crate::workflows::{Host, effects, fresh_app, host_logs, put_a_deposit_behind_a_version};

const WORKER: &str = "shop:worker";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Embedded,
    Temporal,
}

/// The app, its backend and the environment its luabox commands run with.
struct Suite {
    app: tempfile::TempDir,
    backend: Backend,
    env: Vec<(&'static str, String)>,
    hosts: u32,
    /// Prefixes its workflow ids, so a suite can run again on the same cluster.
    tag: String,
}

fn temporal_address() -> String {
    std::env::var("LUABOX_TEST_TEMPORAL").unwrap_or_else(|_| {
        panic!(
            "LUABOX_TEST_TEMPORAL is not set: run the tests with scripts/test.sh, which starts a \
             throwaway Temporal dev server, or point it at one: \
             LUABOX_TEST_TEMPORAL=127.0.0.1:7233 cargo test"
        )
    })
}

impl Suite {
    fn new(backend: Backend) -> Suite {
        // A task queue of its own, also for the embedded engine's hosts (which serve the app's
        // temporal.worker too when a cluster is reachable).
        let queue = format!("suite-{}", uuid::Uuid::new_v4());
        let mut env = vec![("LUABOX_TEST_TASK_QUEUE", queue)];
        if backend == Backend::Temporal {
            env.push(("LUABOX_TEST_TEMPORAL", temporal_address()));
        }
        Suite {
            app: fresh_app(),
            backend,
            env,
            hosts: 0,
            tag: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        }
    }

    /// The workflow id of this suite's workflow `name`.
    fn id(&self, name: &str) -> String {
        format!("{}-{name}", self.tag)
    }

    fn dir(&self) -> &Path {
        self.app.path()
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    fn host(&mut self) -> Host {
        self.hosts += 1;
        let name = format!("host{}", self.hosts);
        let host = Host::start_with_env(self.dir(), &name, &self.env());
        // Ready: serving the embedded engine's workflows, or polling Temporal.
        let ready = match self.backend {
            Backend::Embedded => "serving",
            Backend::Temporal => "Temporal worker polling",
        };
        self.wait_for_log(&name, ready);
        host
    }

    fn wait_for_log(&self, host: &str, text: &str) {
        let start = Instant::now();
        let log = self.dir().join(format!("{host}.log"));
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(text)
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the host never logged {text:?}:\n{}",
                host_logs(self.dir())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `luabox workflow COMMAND ARGS...`, addressed to this suite's backend.
    fn workflow(&self, command: &str, args: &[&str]) -> Run {
        let dir = self.dir().to_str().unwrap().to_owned();
        let mut argv = vec!["workflow", "--dir", &dir, command];
        if self.backend == Backend::Temporal {
            argv.extend(["--worker", WORKER]);
        }
        argv.extend_from_slice(args);
        luabox_with_env(&argv, "", &self.env())
    }

    fn ok(&self, command: &str, args: &[&str]) -> String {
        let run = self.workflow(command, args);
        assert_eq!(
            run.code,
            0,
            "luabox workflow {command} {args:?}: {}\nhost logs:\n{}",
            run.stderr,
            host_logs(self.dir())
        );
        run.stdout
    }

    /// Start `entry` as workflow `id`; returns its pid.
    fn start(&self, entry: &str, id: &str, args: &[&str]) -> String {
        let mut argv = vec![entry, "--id", id];
        argv.extend_from_slice(args);
        let printed: Json = serde_json::from_str(&self.ok("start", &argv)).unwrap();
        match self.backend {
            Backend::Embedded => format!("{{workflow|{id}}}"),
            Backend::Temporal => printed["pid"].as_str().unwrap().to_owned(),
        }
    }

    /// The result of workflow `id`, once it closes, or its error message.
    fn outcome(&self, id: &str) -> Result<Json, String> {
        let run = self.workflow("wait", &[id]);
        match run.code {
            0 => Ok(serde_json::from_str(&run.stdout).unwrap()),
            _ => Err(run.stderr),
        }
    }

    fn result(&self, id: &str) -> Json {
        self.outcome(id).unwrap_or_else(|error| {
            panic!(
                "workflow {id} failed: {error}\nhost logs:\n{}",
                host_logs(self.dir())
            )
        })
    }

    /// Wait until the activity with id `key` logged its effect.
    fn wait_for_effect(&self, key: &str) {
        let start = Instant::now();
        while !effects(self.dir()).contains_key(key) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no effect {key}:\n{}",
                host_logs(self.dir())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn order(id: &str, pause: &str) -> String {
    json!({"id": id, "amount": 5, "pause": pause}).to_string()
}

fn order_result(id: &str, by: &str) -> Json {
    json!({
        "order": id,
        "approved_by": by,
        "receipt": {"charged": 5, "order": id, "key": format!("{id}/1")},
        "shipment": {"shipped": id, "by": by, "key": format!("{id}/3")},
    })
}

fn the_suite(backend: Backend) {
    let mut suite = Suite::new(backend);
    let host = suite.host();

    // Two activities, a signal and a durable timer; signalled from the command line, and from
    // Lua with process.send to the pid `start` printed.
    let (o_cli, o_fn) = (suite.id("o-cli"), suite.id("o-fn"));
    suite.start("shop:order", &o_cli, &[&order(&o_cli, "100ms")]);
    let pid = suite.start("shop:order", &o_fn, &[&order(&o_fn, "10ms")]);
    suite.ok("signal", &[&o_cli, "approve", r#"{"by": "ann"}"#]);
    let dir = suite.dir().to_str().unwrap().to_owned();
    let sent = luabox_with_env(
        &[
            "call",
            "shop:approve",
            &json!(pid).to_string(),
            "\"fn\"",
            "--dir",
            &dir,
        ],
        "",
        &suite.env(),
    );
    assert_eq!(
        (sent.code, sent.stdout.trim()),
        (0, "true"),
        "{}",
        sent.stderr
    );
    assert_eq!(suite.result(&o_cli), order_result(&o_cli, "ann"));
    assert_eq!(suite.result(&o_fn), order_result(&o_fn, "fn"));

    // A child workflow, and a child that is not a workflow.
    let p = suite.id("p");
    suite.start("shop:parent", &p, &["21"]);
    let child = format!("{p}/1");
    assert_eq!(
        suite.result(&p),
        json!({"child": {"doubled": 42, "id": child, "key": format!("{child}/1")}, "missing_kind": "Invalid"})
    );

    // Retries under the activity's policy: enough attempts, then too few.
    let (r_ok, r_no) = (suite.id("r-ok"), suite.id("r-no"));
    suite.start("shop:retrying", &r_ok, &["5"]);
    assert_eq!(
        suite.result(&r_ok),
        json!({"attempt": 3, "key": format!("{r_ok}/1")})
    );
    suite.start("shop:retrying", &r_no, &["2"]);
    let gave_up = suite.outcome(&r_no).unwrap_err();
    assert!(
        gave_up.contains("try again (attempt 2) (Unavailable)"),
        "{gave_up}"
    );

    // A cancel request reaches code that reads process.events() as a CANCEL event.
    let c = suite.id("c");
    suite.start("shop:cancellable", &c, &[]);
    std::thread::sleep(Duration::from_millis(500));
    suite.ok("cancel", &[&c, "enough"]);
    assert_eq!(
        suite.result(&c),
        json!({"canceled_with": "enough", "kind": "pid.cancel"})
    );

    // A code change behind workflow.version: the run in flight keeps the old path, a new run
    // takes the new one.
    let (v_old, v_new) = (suite.id("v-old"), suite.id("v-new"));
    suite.start("shop:versioned", &v_old, &[&order(&v_old, "0s")]);
    suite.wait_for_effect(&format!("{v_old}/1"));
    host.stop();
    put_a_deposit_behind_a_version(suite.dir());
    let host = suite.host();
    suite.start("shop:versioned", &v_new, &[&order(&v_new, "0s")]);
    suite.wait_for_effect(&format!("{v_new}/3"));
    for id in [&v_old, &v_new] {
        suite.ok("signal", &[id, "approve", "{}"]);
    }
    assert_eq!(
        suite.result(&v_old),
        json!({"receipt": format!("{v_old}/1")})
    );
    assert_eq!(
        suite.result(&v_new),
        json!({"receipt": format!("{v_new}/3")})
    );
    host.stop();
}

/// The host is killed with SIGKILL while the order waits on its timer, after both its
/// approval and first activity; started again, it completes the order, and no activity's
/// effect was applied twice.
fn a_killed_host_restarted_completes_the_workflow(backend: Backend) {
    let mut suite = Suite::new(backend);
    let host = suite.host();
    let k = suite.id("k");
    suite.start("shop:order", &k, &[&order(&k, "2s")]);
    suite.wait_for_effect(&format!("{k}/1"));
    suite.ok("signal", &[&k, "approve", r#"{"by": "kim"}"#]);
    std::thread::sleep(Duration::from_millis(500));
    host.kill9();
    let host = suite.host();
    assert_eq!(suite.result(&k), order_result(&k, "kim"));
    let effects = effects(suite.dir());
    for key in [format!("{k}/1"), format!("{k}/3")] {
        assert_eq!(
            effects.get(&key).map(|seen| seen.len()),
            Some(1),
            "{key}: {effects:?}\n{}",
            host_logs(suite.dir())
        );
    }
    host.stop();
}

#[test]
fn the_suite_passes_on_the_embedded_engine() {
    the_suite(Backend::Embedded);
}

#[test]
fn the_suite_passes_on_temporal() {
    the_suite(Backend::Temporal);
}

#[test]
fn a_killed_host_restarted_completes_the_workflow_on_the_embedded_engine() {
    a_killed_host_restarted_completes_the_workflow(Backend::Embedded);
}

#[test]
fn a_killed_worker_restarted_completes_the_workflow_on_temporal() {
    a_killed_host_restarted_completes_the_workflow(Backend::Temporal);
}

/// The Temporal CLI: from `scripts/test-temporal.sh` (`LUABOX_TEMPORAL_CLI`), else on PATH.
/// Its output as JSON (`null` when it prints nothing).
fn temporal_cli(args: &[&str]) -> Json {
    let cli = std::env::var("LUABOX_TEMPORAL_CLI").unwrap_or_else(|_| "temporal".into());
    let address = temporal_address();
    let output = std::process::Command::new(&cli)
        .args(args)
        .args(["--address", &address, "--output", "json"])
        .output()
        .unwrap_or_else(|error| panic!("cannot run the Temporal CLI {cli:?}: {error}"));
    assert!(
        output.status.success(),
        "{cli} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or(Json::Null)
}

fn decoded_payload(payload: &Json) -> Json {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(payload["data"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&data).unwrap()
}

#[test]
fn temporal_workflow_show_reads_the_history_luabox_wrote() {
    let mut suite = Suite::new(Backend::Temporal);
    let host = suite.host();
    let shown = suite.id("shown");
    suite.start("shop:order", &shown, &[&order(&shown, "10ms")]);
    // A signal in an encoding luabox cannot read is dropped (logged), and the run goes on.
    temporal_cli(&[
        "workflow",
        "signal",
        "--workflow-id",
        &shown,
        "--name",
        "approve",
        "--input",
        "{}",
        "--input-meta",
        "encoding=application/x-unknown",
    ]);
    suite.wait_for_log("host1", "signal dropped");
    suite.ok("signal", &[&shown, "approve", r#"{"by": "sue"}"#]);
    assert_eq!(suite.result(&shown), order_result(&shown, "sue"));
    host.stop();

    let history = temporal_cli(&["workflow", "show", "--workflow-id", &shown]);
    let events = history["events"].as_array().unwrap();
    let of_type = |kind: &str| -> Vec<&Json> {
        events
            .iter()
            .filter(|event| event["eventType"] == format!("EVENT_TYPE_{kind}"))
            .collect()
    };
    let started =
        &of_type("WORKFLOW_EXECUTION_STARTED")[0]["workflowExecutionStartedEventAttributes"];
    assert_eq!(started["workflowType"]["name"], "shop:order");
    let input = decoded_payload(&started["input"]["payloads"][0]);
    assert_eq!(input, json!({"id": shown, "amount": 5, "pause": "10ms"}));
    let activities: Vec<&Json> = of_type("ACTIVITY_TASK_SCHEDULED")
        .iter()
        .map(|event| &event["activityTaskScheduledEventAttributes"]["activityType"]["name"])
        .collect();
    assert_eq!(activities, [&json!("shop:charge"), &json!("shop:ship")]);
    let signaled = &of_type("WORKFLOW_EXECUTION_SIGNALED")[0];
    assert_eq!(
        signaled["workflowExecutionSignaledEventAttributes"]["signalName"],
        "approve"
    );
    assert_eq!(of_type("TIMER_FIRED").len(), 1);
    let completed =
        &of_type("WORKFLOW_EXECUTION_COMPLETED")[0]["workflowExecutionCompletedEventAttributes"];
    assert_eq!(
        decoded_payload(&completed["result"]["payloads"][0]),
        order_result(&shown, "sue")
    );
}

/// Code changed under a run in flight, not behind workflow.version: Temporal finds the
/// difference when the restarted worker replays the run, fails its workflow tasks as
/// non-deterministic (they are retried, so fixing the code lets the run go on), and the
/// worker's log names the run and the Lua line of what the code now does.
#[test]
fn a_code_change_without_a_version_is_a_non_determinism_error_on_temporal() {
    let mut suite = Suite::new(Backend::Temporal);
    let host = suite.host();
    let nd = suite.id("nd");
    suite.start("shop:versioned", &nd, &[&order(&nd, "0s")]);
    suite.wait_for_effect(&format!("{nd}/1"));
    host.stop();
    let path = suite.dir().join("versioned.lua");
    let source = std::fs::read_to_string(&path).unwrap();
    let changed = source.replace(
        "  local receipt = funcs.call",
        "  time.sleep(\"1ms\")\n  local receipt = funcs.call",
    );
    let changed = format!("local time = require(\"time\")\n{changed}");
    std::fs::write(&path, changed).unwrap();
    let yaml = suite.dir().join("luabox.yaml");
    let config = std::fs::read_to_string(&yaml).unwrap().replace(
        "source: file://versioned.lua\n    modules: [funcs]",
        "source: file://versioned.lua\n    modules: [funcs, time]",
    );
    std::fs::write(&yaml, config).unwrap();
    let host = suite.host();
    suite.ok("signal", &[&nd, "approve", "{}"]);
    suite.wait_for_log("host2", "non-determinism: ");
    let logs = host_logs(suite.dir());
    let report = logs
        .lines()
        .find(|line| line.contains("non-determinism: "))
        .unwrap();
    assert!(report.contains(&format!("workflow={nd}")), "{report}");
    assert!(report.contains("Nondeterminism error"), "{report}");
    // The command the changed code issues, with its Lua line.
    assert!(report.contains("timer 1ms at versioned.lua:6"), "{report}");
    host.stop();

    // The old code back: the run replays cleanly and completes.
    std::fs::write(&path, source).unwrap();
    let host = suite.host();
    assert_eq!(suite.result(&nd), json!({"receipt": format!("{nd}/1")}));
    host.stop();
}

/// Lua starts workflows on a Temporal worker with `process.exec` (waits for the result),
/// `process.spawn` (returns the pid once the start is in) and a spawner's options and queued
/// messages.
#[test]
fn lua_starts_and_signals_workflows_on_a_temporal_worker() {
    let mut suite = Suite::new(Backend::Temporal);
    let host = suite.host();
    let dir = suite.dir().to_str().unwrap().to_owned();
    let call = |entry: &str, args: &[&str]| {
        let mut argv = vec!["call", entry];
        argv.extend_from_slice(args);
        argv.extend(["--dir", &dir]);
        luabox_with_env(&argv, "", &suite.env())
    };
    let worker = json!(WORKER).to_string();

    let parent = call("shop:exec_parent", &[&worker, "21"]);
    assert_eq!(parent.code, 0, "{}", parent.stderr);
    let parent: Json = serde_json::from_str(&parent.stdout).unwrap();
    assert_eq!(parent["child"]["doubled"], 42, "{parent}");

    let order = json!({"id": "lua-order", "amount": 5, "pause": "10ms"}).to_string();
    let spawned = call("shop:spawn_approved", &[&worker, &order, "\"lua\""]);
    assert_eq!(spawned.code, 0, "{}", spawned.stderr);
    let pid: String = serde_json::from_str(&spawned.stdout).unwrap();
    let id = pid
        .strip_prefix(&format!("{{workflow@{WORKER}|"))
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a Temporal workflow pid: {pid}"));
    let result = suite.result(id);
    assert_eq!(result["approved_by"], "lua");
    assert_eq!(result["shipment"]["key"], format!("{id}/3"));

    // A spawner's start options and queued message.
    let chosen = suite.id("chosen");
    let order = json!({"id": chosen, "amount": 5, "pause": "10ms"}).to_string();
    let spawned = call(
        "shop:spawn_with",
        &[&worker, &json!(chosen).to_string(), &order, "\"queued\""],
    );
    assert_eq!(spawned.code, 0, "{}", spawned.stderr);
    assert_eq!(
        spawned.stdout.trim(),
        json!(format!("{{workflow@{WORKER}|{chosen}}}")).to_string()
    );
    assert_eq!(suite.result(&chosen)["approved_by"], "queued");
    let running = suite.id("running");
    suite.start("shop:order", &running, &[&order]);
    let conflict = call(
        "shop:exec_unless_running",
        &[&worker, &json!(running).to_string(), &order],
    );
    assert_eq!(conflict.code, 1);
    assert!(
        conflict.stderr.contains("(AlreadyExists)"),
        "{}",
        conflict.stderr
    );
    suite.ok("terminate", &[&running]);

    // A workflow spawned on anything but a temporal.worker is refused at once, naming the fix.
    let refused = call("shop:exec_parent", &["\"shop:nope\"", "1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("is a workflow.lua: spawn it on a temporal.worker it is registered with"),
        "{}",
        refused.stderr
    );
    host.stop();
}
