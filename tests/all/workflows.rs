//! Durable workflows as a user runs them: `luabox run DIR` serving `tests/apps/workflows` (an
//! order workflow and friends), driven by `luabox workflow ...` commands, with the host killed
//! with SIGKILL at various points and started again.
//!
//! Activities print `effect NAME KEY attempt N`, KEY being their activity id: the tests keep
//! the effects in a map keyed by it, the way an idempotent sink (a table keyed by activity id)
//! would apply them, and check that every activity of a finished workflow applied its effect and
//! none applied a second, different one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::util::luabox;

/// A copy of the workflow test app with an empty history store.
pub(crate) fn fresh_app() -> tempfile::TempDir {
    crate::util::copy_app("tests/apps/workflows")
}

fn workflow(dir: &Path, args: &[&str]) -> crate::util::Run {
    let dir = dir.to_str().unwrap();
    let mut argv = vec!["workflow", "--dir", dir];
    argv.extend_from_slice(args);
    luabox(&argv, "")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let run = workflow(dir, args);
    assert_eq!(run.code, 0, "luabox workflow {args:?}: {}", run.stderr);
    run.stdout
}

fn history(dir: &Path, id: &str) -> Json {
    serde_json::from_str(&ok(dir, &["show", id, "--json"])).unwrap()
}

/// Export workflow `id`'s history to a file (`show --json`) and replay it against the app.
/// Export workflow `id`'s history, replay it, and check the replay's report says `expected`.
fn assert_replay_says(dir: &Path, id: &str, expected: &str) {
    let exported = dir.join(format!("{id}.json"));
    std::fs::write(&exported, ok(dir, &["show", id, "--json"])).unwrap();
    let replayed = workflow(dir, &["replay", exported.to_str().unwrap()]);
    assert!(replayed.stdout.contains(expected), "{}", replayed.stderr);
}

fn kinds(history: &Json) -> Vec<String> {
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Poll the history of `id` until `done` holds (60 s at most).
fn wait_until(dir: &Path, id: &str, what: &str, done: impl Fn(&Json) -> bool) -> Json {
    let start = Instant::now();
    loop {
        let run = workflow(dir, &["show", id, "--json"]);
        if run.code == 0 {
            let history: Json = serde_json::from_str(&run.stdout).unwrap();
            if done(&history) {
                return history;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "workflow {id} never reached {what}: {}\nhost logs:\n{}",
            run.stdout,
            host_logs(dir)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_status(dir: &Path, id: &str, status: &str) -> Json {
    wait_until(dir, id, status, |h| h["status"] == status)
}

fn wait_event(dir: &Path, id: &str, kind: &str) -> Json {
    wait_until(dir, id, kind, |h| kinds(h).iter().any(|k| k == kind))
}

/// A `luabox run` of the app in the background; its stderr goes to a log file.
pub(crate) struct Host {
    child: Child,
}

impl Host {
    fn start(dir: &Path, name: &str) -> Host {
        Host::start_with_env(dir, name, &[])
    }

    pub(crate) fn start_with_env(dir: &Path, name: &str, env: &[(&str, &str)]) -> Host {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_luabox"))
            .args(["run", dir.to_str().unwrap()])
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("luabox run starts");
        Host { child }
    }

    pub(crate) fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the hosts of `dir` logged, for failure messages.
pub(crate) fn host_logs(dir: &Path) -> String {
    let mut logs = String::new();
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            logs.push_str(&format!("--- {}\n{text}", path.display()));
        }
    }
    logs
}

/// Every `effect NAME KEY attempt N` line the hosts of `dir` logged: KEY -> names seen.
pub(crate) fn effects(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut effects: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if let Some(rest) = line.split("effect ").nth(1) {
                    let words: Vec<&str> = rest.split_whitespace().collect();
                    effects
                        .entry(words[1].to_owned())
                        .or_default()
                        .insert(words[0].to_owned());
                }
            }
        }
    }
    effects
}

fn order(id: &str, pause: &str) -> String {
    json!({"id": id, "amount": 5, "pause": pause}).to_string()
}

/// The result of a finished order and its history's activity bookkeeping.
fn assert_order_done(dir: &Path, id: &str, by: &str) {
    let history = wait_status(dir, id, "completed");
    let kinds = kinds(&history);
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("activity.scheduled"), 2, "{kinds:?}");
    assert_eq!(count("activity.completed"), 2, "{kinds:?}");
    assert_eq!(count("signal.received"), 1, "{kinds:?}");
    assert_eq!(count("timer.fired"), 1, "{kinds:?}");
    let result = &history["events"].as_array().unwrap().last().unwrap()["values"][0];
    assert_eq!(result["order"], id);
    assert_eq!(result["approved_by"], by);
    assert_eq!(result["receipt"]["key"], format!("{id}/1"));
    assert_eq!(result["shipment"]["key"], format!("{id}/3"));
    let effects = effects(dir);
    for (key, name) in [(format!("{id}/1"), "charge"), (format!("{id}/3"), "ship")] {
        let seen = effects
            .get(&key)
            .unwrap_or_else(|| panic!("no effect {key}: {effects:?}"));
        assert_eq!(seen, &BTreeSet::from([name.to_owned()]), "{key}");
    }
    let own: Vec<&String> = effects
        .keys()
        .filter(|k| k.starts_with(&format!("{id}/")))
        .collect();
    assert_eq!(own.len(), 2, "effects of {id}: {own:?}");
}

#[test]
fn an_order_completes_with_two_activities_a_signal_and_a_timer() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    let started: Json = serde_json::from_str(&ok(
        dir,
        &["start", "shop:order", &order("o1", "200ms"), "--id", "o1"],
    ))
    .unwrap();
    assert_eq!(
        started,
        json!({"workflow_id": "o1", "status": "running", "existing": false})
    );
    // Starting the same id again returns the workflow already there.
    let again: Json =
        serde_json::from_str(&ok(dir, &["start", "shop:order", "{}", "--id", "o1"])).unwrap();
    assert_eq!(again["existing"], true);
    wait_event(dir, "o1", "activity.completed");
    ok(dir, &["signal", "o1", "approve", r#"{"by":"ann"}"#]);
    assert_order_done(dir, "o1", "ann");
    let table = ok(dir, &["show", "o1"]);
    for line in [
        "status    completed",
        "activity.scheduled   #1    order.lua:6          activity shop:charge [\"o1\",5]",
        "timer.started        #2    order.lua:11         timer 200ms",
        "signal.received",
    ] {
        assert!(table.contains(line), "{line} in\n{table}");
    }
    let list = ok(dir, &["list", "--json"]);
    assert!(list.contains(r#""status":"completed""#), "{list}");
    host.stop();
}

#[test]
fn killing_the_host_at_several_points_loses_nothing_and_repeats_no_effect() {
    let app = fresh_app();
    let dir = app.path();
    // Kill right after the start is acknowledged, after the charge, during the timer, and
    // after the signal; whatever the signal has not reached yet is sent while the host is down.
    for (round, point) in [
        "start",
        "activity.completed",
        "timer.started",
        "signal.received",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("crash-{round}");
        let host = Host::start(dir, &format!("round{round}-a"));
        ok(
            dir,
            &["start", "shop:order", &order(&id, "1s"), "--id", &id],
        );
        let mut signaled = false;
        if point == "timer.started" || point == "signal.received" {
            wait_event(dir, &id, "activity.completed");
            ok(dir, &["signal", &id, "approve", r#"{"by":"bob"}"#]);
            signaled = true;
        }
        if point != "start" {
            wait_event(dir, &id, point);
        }
        host.kill9();
        if !signaled {
            ok(dir, &["signal", &id, "approve", r#"{"by":"bob"}"#]);
        }
        let host = Host::start(dir, &format!("round{round}-b"));
        assert_order_done(dir, &id, "bob");
        host.stop();
    }
    // Then several orders at once, the host killed three times at arbitrary moments.
    let ids: Vec<String> = (0..6).map(|n| format!("many-{n}")).collect();
    let mut host = Host::start(dir, "many-0");
    for id in &ids {
        ok(
            dir,
            &["start", "shop:order", &order(id, "300ms"), "--id", id],
        );
    }
    for (kill, pause) in [150u64, 400, 250].into_iter().enumerate() {
        std::thread::sleep(Duration::from_millis(pause));
        if kill == 1 {
            for id in &ids[..3] {
                ok(dir, &["signal", id, "approve", r#"{"by":"cy"}"#]);
            }
        }
        host.kill9();
        if kill == 1 {
            for id in &ids[3..] {
                ok(dir, &["signal", id, "approve", r#"{"by":"cy"}"#]);
            }
        }
        host = Host::start(dir, &format!("many-{}", kill + 1));
    }
    for id in &ids {
        assert_order_done(dir, id, "cy");
    }
    host.stop();
}

#[test]
fn a_function_signals_a_workflow_with_process_send() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    ok(
        dir,
        &[
            "start",
            "shop:order",
            &order("by-fn", "10ms"),
            "--id",
            "by-fn",
        ],
    );
    let dir_text = dir.to_str().unwrap();
    let sent = luabox(
        &[
            "call",
            "shop:approve",
            "\"{workflow|by-fn}\"",
            "\"fn\"",
            "--dir",
            dir_text,
        ],
        "",
    );
    assert_eq!(
        (sent.code, sent.stdout.trim()),
        (0, "true"),
        "{}",
        sent.stderr
    );
    let unknown = luabox(
        &[
            "call",
            "shop:approve",
            "\"{workflow|nobody}\"",
            "\"fn\"",
            "--dir",
            dir_text,
        ],
        "",
    );
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no workflow 'nobody'"),
        "{}",
        unknown.stderr
    );
    assert_order_done(dir, "by-fn", "fn");
    let history = history(dir, "by-fn");
    let signal = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "signal.received")
        .unwrap()
        .clone();
    assert!(
        signal["from"]
            .as_str()
            .unwrap()
            .starts_with("{luabox:function|"),
        "{signal}"
    );
    host.stop();
}

#[test]
fn a_workflow_started_and_signalled_while_no_host_runs_completes_when_one_starts() {
    let app = fresh_app();
    let dir = app.path();
    let run = workflow(
        dir,
        &[
            "start",
            "shop:order",
            &order("quiet", "10ms"),
            "--id",
            "quiet",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("no `luabox run` serves"),
        "{}",
        run.stderr
    );
    ok(dir, &["signal", "quiet", "approve", r#"{"by":"dee"}"#]);
    assert_eq!(kinds(&history(dir, "quiet")), ["workflow.started"]);
    let host = Host::start(dir, "host");
    assert_order_done(dir, "quiet", "dee");
    host.stop();
}

#[test]
fn replay_catches_a_changed_workflow_and_names_the_line() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    ok(
        dir,
        &["start", "shop:order", &order("r1", "10ms"), "--id", "r1"],
    );
    ok(dir, &["signal", "r1", "approve", r#"{"by":"eve"}"#]);
    wait_status(dir, "r1", "completed");
    host.stop();
    assert_replay_says(dir, "r1", "replayed 9 events of workflow r1");

    // Line 6 now ships before it charges.
    let source = std::fs::read_to_string(dir.join("order.lua")).unwrap();
    let changed = source.replace(
        "  local receipt, err = funcs.call(\"shop:charge\", order.id, order.amount)",
        "  local receipt, err = funcs.call(\"shop:ship\", order.id, order.amount)",
    );
    assert_ne!(changed, source);
    std::fs::write(dir.join("order.lua"), changed).unwrap();
    let file = dir.join("r1.json");
    let run = workflow(
        dir,
        &["replay", file.to_str().unwrap(), "--entry", "shop:order"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    for part in [
        "non-determinism in workflow 'r1' (shop:order)",
        "event #2 (activity.scheduled)",
        "the history has activity shop:charge [\"r1\",5] issued at order.lua:6",
        "but the code now issues activity shop:ship [\"r1\",5] at order.lua:6",
    ] {
        assert!(run.stderr.contains(part), "{part} in {}", run.stderr);
    }
}

#[test]
fn a_workflow_whose_code_changed_in_flight_fails_with_the_line_on_recovery() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    ok(
        dir,
        &["start", "shop:order", &order("c1", "10ms"), "--id", "c1"],
    );
    wait_event(dir, "c1", "activity.completed");
    host.stop();
    let source = std::fs::read_to_string(dir.join("order.lua")).unwrap();
    std::fs::write(
        dir.join("order.lua"),
        source.replace("order.id, order.amount)", "order.id, order.amount * 2)"),
    )
    .unwrap();
    let host = Host::start(dir, "host2");
    let history = wait_status(dir, "c1", "failed");
    let failure = history["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(failure.contains("NonDeterministic"), "{failure}");
    assert!(failure.contains("order.lua:6"), "{failure}");
    assert!(failure.contains("[\\\"c1\\\",10]"), "{failure}");
    host.stop();
}

/// Change `versioned.lua`: a deposit charge before the receipt's, behind
/// `workflow.version("deposit", DEFAULT_VERSION, 1)`.
pub(crate) fn put_a_deposit_behind_a_version(dir: &Path) {
    let source = std::fs::read_to_string(dir.join("versioned.lua")).unwrap();
    let charge = "  local receipt = funcs.call(\"shop:charge\", order.id, order.amount)\n";
    let changed = source.replace(
        charge,
        &format!(
            "  if workflow.version(\"deposit\", workflow.DEFAULT_VERSION, 1) == 1 then\n    \
             funcs.call(\"shop:charge\", order.id, 0)\n  end\n{charge}"
        ),
    );
    assert_ne!(changed, source);
    std::fs::write(dir.join("versioned.lua"), changed).unwrap();
}

#[test]
fn code_behind_workflow_version_changes_new_runs_and_keeps_old_ones() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    ok(
        dir,
        &[
            "start",
            "shop:versioned",
            &order("v-old", "0s"),
            "--id",
            "v-old",
        ],
    );
    wait_event(dir, "v-old", "activity.completed");
    host.stop();
    // The change sits before a point the old run has passed: its replay keeps the old path.
    put_a_deposit_behind_a_version(dir);
    let host = Host::start(dir, "host2");
    ok(
        dir,
        &[
            "start",
            "shop:versioned",
            &order("v-new", "0s"),
            "--id",
            "v-new",
        ],
    );
    wait_until(dir, "v-new", "two charges", |h| {
        kinds(h)
            .iter()
            .filter(|k| *k == "activity.completed")
            .count()
            == 2
    });
    for id in ["v-old", "v-new"] {
        ok(dir, &["signal", id, "approve", "{}"]);
    }
    let old = wait_status(dir, "v-old", "completed");
    let new = wait_status(dir, "v-new", "completed");
    let result = |h: &Json| h["events"].as_array().unwrap().last().unwrap()["values"][0].clone();
    assert_eq!(result(&old), json!({"receipt": "v-old/1"}));
    assert_eq!(result(&new), json!({"receipt": "v-new/3"}));
    assert!(!kinds(&old).contains(&"version.marker".to_owned()));
    assert!(kinds(&new).contains(&"version.marker".to_owned()));
    host.stop();
}

#[test]
fn a_ten_thousand_event_history_replays() {
    let app = fresh_app();
    let dir = app.path();
    let out = ok(
        dir,
        &["start", "shop:many", "5000", "--id", "long", "--wait"],
    );
    assert_eq!(out.trim(), "5000");
    assert_replay_says(dir, "long", "replayed 10002 events of workflow long");
}

#[test]
fn what_a_workflow_observes_replays_identically() {
    let app = fresh_app();
    let dir = app.path();
    let result: Json = serde_json::from_str(&ok(
        dir,
        &["start", "shop:observer", "--id", "obs", "--wait"],
    ))
    .unwrap();
    assert!(result["elapsed_ms"].as_i64().unwrap() >= 20, "{result}");
    assert_eq!(result["info"]["workflow_id"], "obs");
    assert_eq!(result["info"]["workflow_type"], "shop:observer");
    // The replay compares the result: uuids, random numbers and clocks came back the same.
    assert_replay_says(
        dir,
        "obs",
        "the code matches the history (workflow.completed)",
    );
}

#[test]
fn children_retries_and_limits() {
    let app = fresh_app();
    let dir = app.path();
    let parent: Json = serde_json::from_str(&ok(
        dir,
        &["start", "shop:parent", "21", "--id", "p", "--wait"],
    ))
    .unwrap();
    assert_eq!(
        parent,
        json!({"child": {"doubled": 42, "id": "p/1", "key": "p/1/1"}, "missing_kind": "Invalid"})
    );
    assert_eq!(history(dir, "p/1")["status"], "completed");

    let retried: Json =
        serde_json::from_str(&ok(dir, &["start", "shop:retrying", "5", "--wait"])).unwrap();
    assert_eq!(retried["attempt"], 3);
    let gave_up = workflow(
        dir,
        &["start", "shop:retrying", "2", "--id", "gives-up", "--wait"],
    );
    assert_eq!(gave_up.code, 1);
    assert!(
        gave_up
            .stderr
            .contains("workflow gives-up failed: try again (attempt 2) (Unavailable)"),
        "{}",
        gave_up.stderr
    );
    let spin = workflow(dir, &["start", "shop:spin", "--id", "spin", "--wait"]);
    assert_eq!(spin.code, 1);
    assert!(
        spin.stderr.contains("ran longer than its 1s limit"),
        "{}",
        spin.stderr
    );
}

#[test]
fn cancel_and_terminate() {
    let app = fresh_app();
    let dir = app.path();
    let host = Host::start(dir, "host");
    // A workflow that reads process.events() decides how to end.
    ok(dir, &["start", "shop:cancellable", "--id", "polite"]);
    // One that does not is closed as canceled; terminate always ends one at once.
    ok(
        dir,
        &["start", "shop:order", &order("rude", "1s"), "--id", "rude"],
    );
    ok(
        dir,
        &["start", "shop:order", &order("gone", "1s"), "--id", "gone"],
    );
    for id in ["polite", "rude", "gone"] {
        wait_until(dir, id, "a waiting step", |h| {
            h["events"].as_u64() > Some(1) || kinds(h).len() > 1
        });
    }
    ok(dir, &["cancel", "polite", "no longer needed"]);
    ok(dir, &["cancel", "rude"]);
    ok(dir, &["terminate", "gone", "operator"]);
    let polite = wait_status(dir, "polite", "completed");
    let result = &polite["events"].as_array().unwrap().last().unwrap()["values"][0];
    assert_eq!(
        *result,
        json!({"canceled_with": "no longer needed", "kind": "pid.cancel"})
    );
    wait_status(dir, "rude", "canceled");
    let gone = wait_status(dir, "gone", "terminated");
    assert_eq!(kinds(&gone).last().unwrap(), "workflow.terminated");
    let late = workflow(dir, &["signal", "gone", "approve", "{}"]);
    assert_eq!(late.code, 1);
    assert!(
        late.stderr.contains("workflow 'gone' is terminated"),
        "{}",
        late.stderr
    );
    host.stop();
}

#[test]
fn workflows_may_list_only_deterministic_and_workflow_aware_modules() {
    let app = crate::util::app_dir(&[(
        "luabox.yaml",
        "namespace: bad\nentries:\n  - name: lib\n    kind: library.lua\n    source: \
             \"return {}\"\n    modules: [registry]\n  - name: flow\n    kind: workflow.lua\n    \
             source: \"return function() end\"\n    modules: [json, env, yaml]\n    imports:\n      \
             helpers: bad:lib\n  - name: fn\n    kind: function.lua\n    source: \"return \
             function() end\"\n    method: run\n    modules: [workflow]\n",
    )]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    for part in [
        "luabox.yaml:7: entry 'bad:flow': module 'env' is not allowed in workflow.lua 'bad:flow'",
        "module 'registry' is not allowed in workflow.lua 'bad:flow' (through library 'bad:lib')",
        "may use only base64, funcs, hash, json, process, templates, time, uuid, workflow, yaml",
        "luabox.yaml:13: entry 'bad:fn': module 'workflow' is available only in workflow.lua entries",
    ] {
        assert!(run.stderr.contains(part), "{part} in {}", run.stderr);
    }
    assert!(!run.stderr.contains("module 'yaml'"), "{}", run.stderr);
}

#[test]
fn a_workflow_decodes_and_encodes_yaml() {
    // yaml is deterministic, so it is linked into the workflow's sandbox as it is.
    let app = crate::util::app_dir(&[(
        "luabox.yaml",
        "namespace: w\nentries:\n  - name: flow\n    kind: workflow.lua\n    modules: [yaml]\n    \
         source: |\n      local yaml = require('yaml')\n      return function(input)\n        \
         local config = assert(yaml.decode(input.text))\n        \
         return {text = yaml.encode(config), port = config.server.port}\n      end\n",
    )]);
    let dir = app.path();
    let input = json!({"text": "server: {host: db, port: 5432}\n"}).to_string();
    let result: Json = serde_json::from_str(&ok(
        dir,
        &["start", "w:flow", &input, "--id", "y1", "--wait"],
    ))
    .unwrap();
    assert_eq!(
        result,
        json!({"text": "server:\n  host: db\n  port: 5432\n", "port": 5432})
    );
    assert_replay_says(
        dir,
        "y1",
        "the code matches the history (workflow.completed)",
    );
}
