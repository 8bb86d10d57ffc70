//! The fields of `process.host`, `terminal.host` and `process.service` → [`ProcessHost`],
//! [`ProcessService`].
//!
//! ```yaml
//! - name: processes
//!   kind: process.host
//!   host: { max_processes: 500 }    # the most live processes (default 10000)
//!   lifecycle: { auto_start: true }
//! - name: worker.service
//!   kind: process.service
//!   process: worker                 # required: a process.lua entry
//!   host: processes                 # a process.host or terminal.host entry; without it, the
//!                                   # app's only process.host
//!   input: [job-1, 2]               # the main function's arguments; a lone value is one
//!   lifecycle: { auto_start: true, restart: { max_attempts: 10 } }
//! - name: terminal
//!   kind: terminal.host             # a process host for one process, which has the terminal
//!   hide_logs: true                 # drop that process's log lines (default false)
//!   lifecycle: { auto_start: true }
//! ```
//!
//! `process` and `host` without `:` are in the entry's namespace; that they exist and have the
//! right kind is checked once all files are read (`validate.rs`), from the returned
//! [`Reference`]s. The `lifecycle:` block is read by `lifecycle.rs`.

use super::build::{self, Reference};
use super::entry::Spec;
use super::entry::{ProcessHost, ProcessService, TerminalHost};
use super::fields;
use super::id::EntryId;
use super::kinds::PROCESS_HOST_KINDS;
use super::kinds::entry_kind;
use super::lifecycle::{self, Lifecycle};
use super::yaml::{Key, Node, Problem};

/// `workers`, `queue_size` and `local_queue_size` size the reference runtime's worker pool.
/// luabox runs processes as tokio tasks, so it checks them for compatibility and ignores them.
const HOST_FIELDS: &[&str] = &["max_processes", "workers", "queue_size", "local_queue_size"];

/// The host, when all its fields are valid, and its `lifecycle.requires` references.
pub fn host(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<ProcessHost>, Vec<Reference>) {
    let mut refs = Vec::new();
    let max_processes = match fields::find(fields, "host") {
        Some((_, node)) => max_processes(node, problems),
        None => Some(ProcessHost::DEFAULT_MAX_PROCESSES),
    };
    let lifecycle = lifecycle(fields, id, &mut refs, problems);
    let host = max_processes
        .zip(lifecycle)
        .map(|(max_processes, lifecycle)| ProcessHost {
            max_processes,
            lifecycle,
            terminal: None,
        });
    (host, refs)
}

/// A `terminal.host`: a process host for one process at a time, attached to the terminal.
pub fn terminal_host(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<ProcessHost>, Vec<Reference>) {
    let mut refs = Vec::new();
    let hide_logs = match fields::find(fields, "hide_logs") {
        Some((_, node)) => fields::boolean("hide_logs", node)
            .map_err(|problem| problems.push(problem))
            .ok(),
        None => Some(false),
    };
    let lifecycle = lifecycle(fields, id, &mut refs, problems);
    let host = hide_logs
        .zip(lifecycle)
        .map(|(hide_logs, lifecycle)| ProcessHost {
            max_processes: 1,
            lifecycle,
            terminal: Some(TerminalHost { hide_logs }),
        });
    (host, refs)
}

/// The service, when all its fields are valid, and its references: the process, the host and
/// `lifecycle.requires`.
pub fn service(
    fields: &[(Key, Node)],
    id: &EntryId,
    entry_line: usize,
    process_hosts: &[EntryId],
    problems: &mut Vec<Problem>,
) -> (Option<ProcessService>, Vec<Reference>) {
    let mut refs = Vec::new();
    let mut reference = |name: &'static str, expect: &'static [&'static str]| {
        let (key, node) = fields::find(fields, name)?;
        build::reference(name, node, key.line, expect, &id.ns, &mut refs, problems)
    };
    let process = reference("process", &["process.lua"]);
    let host = match fields::find(fields, "host") {
        Some(_) => reference("host", &PROCESS_HOST_KINDS),
        None => default_host(process_hosts, entry_line, problems),
    };
    let input = match fields::find(fields, "input").map(|(_, node)| node) {
        None => Vec::new(),
        Some(node) if node.is_null() => Vec::new(),
        Some(node) => match node.as_seq() {
            Some(items) => items.iter().map(Node::to_json).collect(),
            None => vec![node.to_json()],
        },
    };
    let lifecycle = lifecycle(fields, id, &mut refs, problems);
    let service = match (process, host, lifecycle) {
        (Some(process), Some(host), Some(lifecycle)) => Some(ProcessService {
            process,
            host,
            input,
            lifecycle,
        }),
        _ => None,
    };
    (service, refs)
}

/// The host of a service that names none: the app's only `process.host`.
fn default_host(
    process_hosts: &[EntryId],
    entry_line: usize,
    problems: &mut Vec<Problem>,
) -> Option<EntryId> {
    match process_hosts {
        [only] => Some(only.clone()),
        hosts => {
            let found = if hosts.is_empty() {
                "the app has none".to_owned()
            } else {
                let ids: Vec<String> = hosts.iter().map(ToString::to_string).collect();
                format!("the app has {}: {}", hosts.len(), ids.join(", "))
            };
            problems.push(Problem {
                line: entry_line,
                message: format!(
                    "missing field 'host': a process.service without one runs on the app's \
                     only process.host, and {found}"
                ),
            });
            None
        }
    }
}

fn lifecycle(
    fields: &[(Key, Node)],
    id: &EntryId,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Option<Lifecycle> {
    match fields::find(fields, "lifecycle") {
        Some((_, node)) => lifecycle::parse(node, &id.ns, refs, problems),
        None => Some(Lifecycle::default()),
    }
}

/// The `host:` mapping of a `process.host`.
fn max_processes(node: &Node, problems: &mut Vec<Problem>) -> Option<u32> {
    let mut max = ProcessHost::DEFAULT_MAX_PROCESSES;
    let before = problems.len();
    fields::each_field("host", node, problems, |key, value, field, _| {
        match key.text.as_str() {
            "max_processes" => fields::bounded_u32(field, value, 1).map(|n| max = n),
            "workers" | "queue_size" | "local_queue_size" => {
                fields::unsigned(field, value).map(drop)
            }
            _ => Err(fields::unknown("host", key, HOST_FIELDS)),
        }
    });
    (problems.len() == before).then_some(max)
}

entry_kind! {
    /// `process.host`.
    Host: "process.host",
    required: [],
    optional: ["host", "lifecycle"],
    role: Service,
    hosts_processes: true,
    build: |cx| {
        let (host, found) = host(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        host.map(Spec::ProcessHost)
    },
}

entry_kind! {
    /// `terminal.host`.
    Terminal: "terminal.host",
    required: [],
    optional: ["hide_logs", "lifecycle"],
    role: Service,
    hosts_processes: true,
    build: |cx| {
        let (host, found) = terminal_host(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        host.map(Spec::ProcessHost)
    },
}

entry_kind! {
    /// `process.service`.
    Service: "process.service",
    required: ["process"],
    optional: ["host", "input", "lifecycle"],
    role: Service,
    build: |cx| {
        let (service, found) = service(
            cx.fields,
            cx.id,
            cx.line,
            &cx.app.process_hosts,
            cx.problems,
        );
        cx.refs.extend(found);
        service.map(Spec::ProcessService)
    },
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::config::testing::*;
    use crate::config::{
        Entry, Intensity, Lifecycle, ProcessHost, ProcessService, RestartPolicy, Spec, Startup,
        TerminalHost,
    };

    fn host(entry: &Entry) -> &ProcessHost {
        match &entry.spec {
            Spec::ProcessHost(host) => host,
            other => panic!("not a process.host: {other:?}"),
        }
    }

    fn service(entry: &Entry) -> &ProcessService {
        match &entry.spec {
            Spec::ProcessService(service) => service,
            other => panic!("not a process.service: {other:?}"),
        }
    }

    const WORKER: &str = "  - {name: worker, kind: process.lua, source: file://main.lua}\n";

    #[test]
    fn every_field() {
        let loaded = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: db, kind: process.service, process: worker, host: processes}}\n\
             \x20 - name: processes\n    kind: process.host\n\
             \x20   host: {{workers: 8, queue_size: 1024, local_queue_size: 256, max_processes: 500}}\n\
             \x20   lifecycle: {{auto_start: true}}\n\
             \x20 - name: worker.service\n    kind: process.service\n    process: app:worker\n\
             \x20   host: processes\n    input: [job-1, 2, {{retry: true}}]\n    lifecycle:\n\
             \x20     auto_start: true\n      start_timeout: 250ms\n      stop_timeout: 1500\n\
             \x20     stable_threshold: 1m\n      requires: [db]\n      depends_on: [db, processes]\n\
             \x20     startup: optional\n      security: {{actor: {{id: admin}}, policies: [p]}}\n\
             \x20     restart:\n        initial_delay: 1.5s\n        max_delay: 30s\n\
             \x20       backoff_factor: 1.5\n        jitter: 0\n        max_attempts: 10\n\
             \x20       intensity: 5\n        period: 10s\n",
        ))
        .app();
        let processes = host(entry(&loaded, "app:processes"));
        assert_eq!(processes.max_processes, 500);
        assert!(processes.lifecycle.auto_start);
        let worker = service(entry(&loaded, "app:worker.service"));
        assert_eq!(
            *worker,
            ProcessService {
                process: "app:worker".parse().unwrap(),
                host: "app:processes".parse().unwrap(),
                input: vec![json!("job-1"), json!(2), json!({"retry": true})],
                lifecycle: Lifecycle {
                    auto_start: true,
                    start_timeout: Duration::from_millis(250),
                    stop_timeout: Duration::from_millis(1500),
                    stable_threshold: Duration::from_secs(60),
                    requires: vec!["app:db".parse().unwrap(), "app:processes".parse().unwrap()],
                    startup: Startup::Optional,
                    restart: RestartPolicy {
                        initial_delay: Duration::from_millis(1500),
                        max_delay: Duration::from_secs(30),
                        backoff_factor: 1.5,
                        jitter: 0.0,
                        max_attempts: 10,
                        intensity: Some(Intensity {
                            max_restarts: 5,
                            period: Duration::from_secs(10)
                        }),
                    },
                },
            }
        );
    }

    #[test]
    fn defaults_and_input_forms() {
        let loaded = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: h, kind: process.host}}\n\
             \x20 - {{name: none, kind: process.service, process: worker, host: h}}\n\
             \x20 - {{name: one, kind: process.service, process: worker, host: h, input: job}}\n\
             \x20 - {{name: map, kind: process.service, process: worker, host: h, input: {{a: 1}}}}\n\
             \x20 - {{name: nil, kind: process.service, process: worker, host: h, input: ~}}\n",
        ))
        .app();
        assert_eq!(
            *host(entry(&loaded, "app:h")),
            ProcessHost {
                max_processes: 10_000,
                lifecycle: Lifecycle::default(),
                terminal: None,
            }
        );
        let none = service(entry(&loaded, "app:none"));
        assert_eq!(none.lifecycle, Lifecycle::default());
        assert!(none.input.is_empty());
        assert_eq!(service(entry(&loaded, "app:one")).input, [json!("job")]);
        assert_eq!(service(entry(&loaded, "app:map")).input, [json!({"a": 1})]);
        assert!(service(entry(&loaded, "app:nil")).input.is_empty());
    }

    #[test]
    fn a_terminal_host_is_a_host_for_one_process() {
        let loaded = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: t, kind: terminal.host, hide_logs: true, lifecycle: {{auto_start: true}}}}\n\
             \x20 - {{name: plain, kind: terminal.host}}\n\
             \x20 - {{name: s, kind: process.service, process: worker, host: t}}\n",
        ))
        .app();
        let terminal = host(entry(&loaded, "app:t"));
        assert_eq!(terminal.max_processes, 1);
        assert!(terminal.lifecycle.auto_start);
        assert_eq!(terminal.terminal, Some(TerminalHost { hide_logs: true }));
        assert_eq!(
            host(entry(&loaded, "app:plain")).terminal,
            Some(TerminalHost { hide_logs: false })
        );
        assert_eq!(service(entry(&loaded, "app:s")).host.to_string(), "app:t");
        let app = one_file("  - {name: t, kind: terminal.host, hide_logs: sometimes, host: {}}\n");
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: entry 'app:t': unknown field 'host' for kind terminal.host \
                 (expected one of: hide_logs, lifecycle)",
                "_index.yaml:3: entry 'app:t': field 'hide_logs' must be true or false, not a \
                 string",
            ]
        );
    }

    #[test]
    fn a_service_without_host_runs_on_the_only_process_host() {
        let loaded = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: processes, kind: process.host}}\n\
             \x20 - {{name: s, kind: process.service, process: worker}}\n",
        ))
        .app();
        assert_eq!(
            service(entry(&loaded, "app:s")).host.to_string(),
            "app:processes"
        );
        let none = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: s, kind: process.service, process: worker}}\n",
        ));
        assert_eq!(
            none.errors(),
            [
                "_index.yaml:4: entry 'app:s': missing field 'host': a process.service without one \
              runs on the app's only process.host, and the app has none"
            ]
        );
        let two = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: a, kind: process.host}}\n\
             \x20 - {{name: b, kind: process.host}}\n\
             \x20 - {{name: s, kind: process.service, process: worker}}\n",
        ));
        assert_eq!(
            two.errors(),
            [
                "_index.yaml:6: entry 'app:s': missing field 'host': a process.service without one \
              runs on the app's only process.host, and the app has 2: app:a, app:b"
            ]
        );
    }

    #[test]
    fn host_field_errors() {
        let app = one_file(
            "  - name: h\n    kind: process.host\n    host:\n      max_procesess: 5\n\
             \x20     max_processes: 0\n      workers: many\n\
             \x20 - {name: g, kind: process.host, host: [1], lifecyle: {}}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:6: entry 'app:h': unknown field 'host.max_procesess' (expected one of: \
                 max_processes, workers, queue_size, local_queue_size); did you mean 'max_processes'?",
                "_index.yaml:7: entry 'app:h': field 'host.max_processes' must be between 1 and \
                 4294967295, got 0",
                "_index.yaml:8: entry 'app:h': field 'host.workers' must be a whole number ≥ 0, not \
                 'many'",
                "_index.yaml:9: entry 'app:g': unknown field 'lifecyle' for kind process.host \
                 (expected one of: host, lifecycle); did you mean 'lifecycle'?",
                "_index.yaml:9: entry 'app:g': field 'host' must be a mapping, not a list",
            ]
        );
    }

    #[test]
    fn references_must_name_the_right_kinds() {
        let app = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: f, kind: function.lua, source: file://main.lua, method: main}}\n\
             \x20 - {{name: processes, kind: process.host}}\n\
             \x20 - name: s\n    kind: process.service\n    process: f\n    host: proceses\n\
             \x20 - name: t\n    kind: process.service\n    process: nothere\n    host: worker\n\
             \x20 - name: u\n    kind: process.service\n    process: \"a:b:c\"\n    host: \"\"\n\
             \x20 - {{name: v, kind: process.service, host: processes}}\n",
        ));
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:8: entry 'app:s': process refers to 'app:f', which is a function.lua, \
                 not a process.lua",
                "_index.yaml:9: entry 'app:s': host refers to 'app:proceses', which does not \
                 exist; did you mean 'app:processes'?",
                "_index.yaml:12: entry 'app:t': process refers to 'app:nothere', which does not \
                 exist",
                "_index.yaml:13: entry 'app:t': host refers to 'app:worker', which is a \
                 process.lua, not a process.host or terminal.host",
                "_index.yaml:16: entry 'app:u': process: invalid entry id 'a:b:c': invalid name \
                 'b:c' (use letters, digits, '.', '_' and '-')",
                "_index.yaml:17: entry 'app:u': field 'host' must not be empty",
                "_index.yaml:18: entry 'app:v': missing required field 'process' for kind \
                 process.service",
            ]
        );
    }

    #[test]
    fn lifecycle_errors_carry_the_entry() {
        let app = one_file(&format!(
            "{WORKER}\
             \x20 - {{name: h, kind: process.host}}\n\
             \x20 - name: s\n    kind: process.service\n    process: worker\n    host: h\n\
             \x20   lifecycle:\n      restart: {{backoff_factor: 0.5, intensity: 3}}\n\
             \x20     requires: [h, nope, worker]\n",
        ));
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:10: entry 'app:s': field 'lifecycle.restart.backoff_factor' must be \
                 at least 1, got 0.5",
                "_index.yaml:10: entry 'app:s': field 'lifecycle.restart.intensity' needs \
                 'lifecycle.restart.period' beside it (more than 'intensity' restarts within \
                 'period' gives up)",
                "_index.yaml:11: entry 'app:s': lifecycle.requires refers to 'app:nope', which \
                 does not exist",
                "_index.yaml:11: entry 'app:s': lifecycle.requires refers to 'app:worker', which \
                 is a process.lua, not a service or resource with a lifecycle (a host, service, \
                 database, store, env storage or Temporal entry)",
            ]
        );
    }
}
