//! The fields of `temporal.client` and `temporal.worker` (Wippy: wippyai/docs en/guides/entry-kinds.md, §4) → [`TemporalClient`],
//! [`TemporalWorker`], and the `meta.temporal` bindings of Lua entries → [`TemporalBinding`].
//!
//! ```yaml
//! - name: cluster
//!   kind: temporal.client
//!   address: ${env:TEMPORAL_ADDRESS|127.0.0.1:7233}   # required: host:port of the frontend
//!   namespace: default                                # default "default"
//!   auth: {type: api_key, api_key: ${env:TEMPORAL_API_KEY}}   # or {type: none} (default)
//!   tls: {enabled: true, server_name: my.tmprl.cloud}  # TLS to the frontend (api_key needs it)
//! - name: orders
//!   kind: temporal.worker
//!   client: cluster                                   # required: a temporal.client
//!   task_queue: orders                                # required
//!   worker_options:
//!     max_concurrent_workflow_tasks: 100
//!     max_concurrent_activities: 100
//!     max_cached_workflows: 1000
//! - name: order
//!   kind: workflow.lua
//!   source: file://order.lua
//!   meta: {temporal: {workflow: {worker: orders, name: OrderWorkflow}}}   # name: default the id
//! - name: charge
//!   kind: function.lua
//!   source: file://charge.lua
//!   method: main
//!   meta: {temporal: {activity: {worker: orders}}}
//! ```
//!
//! An address is `host:port` (an `http://` or `https://` scheme may be written; `https` turns
//! TLS on). mTLS client certificates are not supported: `auth.type: mtls` is refused by name.

use super::build::{self, Reference};
use super::entry::LuaKind;
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporalClient {
    /// `host:port` of the Temporal frontend.
    pub address: String,
    pub namespace: String,
    /// An API key, sent as a bearer token (Temporal Cloud).
    pub api_key: Option<String>,
    pub tls: Option<ClientTls>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientTls {
    /// The name the server's certificate must carry, when not the address's host.
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporalWorker {
    /// A `temporal.client` entry.
    pub client: EntryId,
    pub task_queue: String,
    pub options: WorkerOptions,
}

/// How much a worker takes on at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    pub max_concurrent_workflow_tasks: u32,
    pub max_concurrent_activities: u32,
    /// Workflow sandboxes kept between activations (a cache miss replays the history).
    pub max_cached_workflows: u32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            max_concurrent_workflow_tasks: 100,
            max_concurrent_activities: 100,
            max_cached_workflows: 1000,
        }
    }
}

/// Workflow sandboxes a luabox host keeps at once (each open workflow holds one): the most a
/// Temporal worker may keep cached.
pub const MAX_RESIDENT_WORKFLOWS: u32 = 2_000;
const MAX_CACHED_WORKFLOWS: u32 = MAX_RESIDENT_WORKFLOWS;

const WORKER_OPTIONS: &[&str] = &[
    "max_concurrent_workflow_tasks",
    "max_concurrent_activities",
    "max_cached_workflows",
];

/// How a Lua entry takes part in a Temporal worker (`meta.temporal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporalBinding {
    /// A `workflow.lua` registered as workflow type `name` (default: the entry id).
    Workflow { worker: EntryId, name: String },
    /// A `function.lua` registered as activity type `name` (default: the entry id).
    Activity { worker: EntryId, name: String },
}

pub fn client(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<TemporalClient> {
    let before = problems.len();
    let mut tls = None;
    let address = fields::find(fields, "address").and_then(|(_, node)| {
        let text = fields::non_empty_string("address", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        let (secure, address) = match text.split_once("://") {
            Some(("https", rest)) => (true, rest),
            Some(("http", rest)) => (false, rest),
            Some((scheme, _)) => {
                problems.push(problem(
                    node.line,
                    format!("address: unknown scheme '{scheme}' (write host:port)"),
                ));
                return None;
            }
            None => (false, text.as_str()),
        };
        let address = address.trim_end_matches('/');
        let port_ok = address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            problems.push(problem(
                node.line,
                format!("address must be host:port, not '{text}'"),
            ));
            return None;
        }
        if secure {
            tls = Some(ClientTls::default());
        }
        Some(address.to_owned())
    });
    let namespace = match fields::find(fields, "namespace") {
        None => Some("default".to_owned()),
        Some((_, node)) => fields::non_empty_string("namespace", node)
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let mut api_key = None;
    if let Some((auth, node)) = fields::find(fields, "auth") {
        let mut kind = None;
        let checked = problems.len();
        fields::each_field("auth", node, problems, |key, value, field, _| {
            match key.text.as_str() {
                "type" => kind = Some((fields::non_empty_string(field, value)?, value.line)),
                "api_key" => api_key = Some(fields::non_empty_string(field, value)?),
                _ => return Err(fields::unknown("auth", key, &["type", "api_key"])),
            }
            Ok(())
        });
        let implied = if api_key.is_some() { "api_key" } else { "none" };
        let (kind, line) = kind.unwrap_or_else(|| (implied.to_owned(), auth.line));
        let refused = match (kind.as_str(), api_key.is_some()) {
            ("none", false) | ("api_key", true) => None,
            ("none", true) => Some("auth.api_key is set but auth.type is none".to_owned()),
            ("api_key", false) => Some("auth.type api_key needs auth.api_key".to_owned()),
            ("mtls", _) => Some(
                "auth.type mtls (client certificates) is not supported; use api_key, or none \
                 on a private network"
                    .to_owned(),
            ),
            (other, _) => Some(format!(
                "auth.type must be none, api_key or mtls, not '{other}'"
            )),
        };
        if let Some(message) = refused.filter(|_| problems.len() == checked) {
            problems.push(problem(line, message));
        }
    }
    if let Some((_, node)) = fields::find(fields, "tls") {
        let mut enabled = true;
        let mut server_name = None;
        fields::each_field("tls", node, problems, |key, value, field, _| {
            match key.text.as_str() {
                "enabled" => enabled = fields::boolean(field, value)?,
                "server_name" => server_name = Some(fields::non_empty_string(field, value)?),
                _ => return Err(fields::unknown("tls", key, &["enabled", "server_name"])),
            }
            Ok(())
        });
        tls = enabled.then_some(ClientTls { server_name });
    }
    if api_key.is_some() && tls.is_none() && problems.len() == before {
        let line = fields::find(fields, "auth").map_or(0, |(key, _)| key.line);
        problems.push(problem(
            line,
            "an api_key is only sent over TLS: set tls: {enabled: true} or an https:// address",
        ));
    }
    match (address, namespace) {
        (Some(address), Some(namespace)) if problems.len() == before => Some(TemporalClient {
            address,
            namespace,
            api_key,
            tls,
        }),
        _ => None,
    }
}

pub fn worker(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<TemporalWorker>, Vec<Reference>) {
    let before = problems.len();
    let mut refs = Vec::new();
    let client = fields::find(fields, "client").and_then(|(key, node)| {
        let expect = &["temporal.client"];
        build::reference(
            "client", node, key.line, expect, &id.ns, &mut refs, problems,
        )
    });
    let task_queue = fields::find(fields, "task_queue").and_then(|(_, node)| {
        fields::non_empty_string("task_queue", node)
            .map_err(|p| problems.push(p))
            .ok()
    });
    let mut options = WorkerOptions::default();
    if let Some((_, node)) = fields::find(fields, "worker_options") {
        fields::each_field("worker_options", node, problems, |key, value, field, _| {
            let slot = match key.text.as_str() {
                "max_concurrent_workflow_tasks" => &mut options.max_concurrent_workflow_tasks,
                "max_concurrent_activities" => &mut options.max_concurrent_activities,
                "max_cached_workflows" => &mut options.max_cached_workflows,
                _ => return Err(fields::unknown("worker_options", key, WORKER_OPTIONS)),
            };
            let n = fields::bounded_u32(field, value, 1)?;
            let most = MAX_CACHED_WORKFLOWS;
            if key.text == "max_cached_workflows" && n > most {
                return Err(problem(
                    value.line,
                    format!(
                        "field '{field}' must be at most {most}, got {n}: each cached workflow \
                         holds a workflow sandbox, and luabox has {most}"
                    ),
                ));
            }
            *slot = n;
            Ok(())
        });
    }
    let worker = match (client, task_queue) {
        (Some(client), Some(task_queue)) if problems.len() == before => Some(TemporalWorker {
            client,
            task_queue,
            options,
        }),
        _ => None,
    };
    (worker, refs)
}

/// The `meta.temporal` of a Lua entry: `workflow: {worker, name}` on a `workflow.lua`,
/// `activity: {worker, name}` on a `function.lua`; `None` when it has none.
pub fn binding(
    meta: Option<&Node>,
    kind: LuaKind,
    id: &EntryId,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Option<TemporalBinding> {
    let node = meta?.get("temporal")?;
    let before = problems.len();
    let (role, expected) = match kind {
        LuaKind::Workflow => ("workflow", "workflow.lua"),
        LuaKind::Function => ("activity", "function.lua"),
        other => {
            problems.push(problem(
                node.line,
                format!(
                    "meta.temporal applies to workflow.lua (workflow) and function.lua \
                     (activity) entries, not {}",
                    other.kind()
                ),
            ));
            return None;
        }
    };
    let mut worker = None;
    let mut name = id.to_string();
    fields::each_field("meta.temporal", node, problems, |key, value, _, _| {
        if key.text != role {
            return Err(problem(
                key.line,
                format!(
                    "meta.temporal.{} does not apply to a {expected}: a {expected} takes meta.temporal.{role}",
                    key.text
                ),
            ));
        }
        let field = format!("meta.temporal.{role}");
        let inner = fields::mapping(&field, value)?;
        for (key, value) in inner {
            match key.text.as_str() {
                "worker" => worker = Some((value, key.line)),
                "name" => name = fields::non_empty_string(&format!("{field}.name"), value)?,
                _ => return Err(fields::unknown(&field, key, &["worker", "name"])),
            }
        }
        Ok(())
    });
    let field = format!("meta.temporal.{role}.worker");
    let Some((node, line)) = worker else {
        if problems.len() == before {
            problems.push(problem(
                node.line,
                format!("missing required field '{field}'"),
            ));
        }
        return None;
    };
    let worker = build::reference(
        &field,
        node,
        line,
        &["temporal.worker"],
        &id.ns,
        refs,
        problems,
    )?;
    let binding = match kind {
        LuaKind::Workflow => TemporalBinding::Workflow { worker, name },
        _ => TemporalBinding::Activity { worker, name },
    };
    (problems.len() == before).then_some(binding)
}

entry_kind! {
    /// `temporal.client`.
    Client: "temporal.client",
    required: ["address"],
    optional: ["namespace", "auth", "tls", "lifecycle"],
    role: Resource,
    secrets: ["auth.api_key"],
    build: |cx| client(cx.fields, cx.problems).map(Spec::TemporalClient),
}

entry_kind! {
    /// `temporal.worker`.
    Worker: "temporal.worker",
    required: ["client", "task_queue"],
    optional: ["worker_options", "lifecycle"],
    role: Resource,
    build: |cx| {
        let (worker, found) = worker(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        worker.map(Spec::TemporalWorker)
    },
}

#[cfg(test)]
mod tests {
    use super::{TemporalBinding, WorkerOptions};
    use crate::config::Spec;
    use crate::config::testing::*;

    const CLUSTER: &str =
        "  - {name: cluster, kind: temporal.client, address: \"127.0.0.1:7233\"}\n";

    #[test]
    fn clients_workers_and_bindings_are_read() {
        let app = one_file(&format!(
            "{CLUSTER}\
             \x20 - name: orders\n    kind: temporal.worker\n    client: cluster\n    \
             task_queue: orders\n    worker_options: {{max_cached_workflows: 10}}\n\
             \x20 - name: order\n    kind: workflow.lua\n    source: file://main.lua\n    \
             meta: {{temporal: {{workflow: {{worker: orders}}}}}}\n\
             \x20 - name: charge\n    kind: function.lua\n    source: file://main.lua\n    \
             method: main\n    meta: {{temporal: {{activity: {{worker: app:orders, name: Charge}}}}}}\n"
        ))
        .app();
        let Spec::TemporalClient(client) = &entry(&app, "app:cluster").spec else {
            panic!("no client")
        };
        assert_eq!(
            (client.address.as_str(), client.namespace.as_str()),
            ("127.0.0.1:7233", "default")
        );
        let Spec::TemporalWorker(worker) = &entry(&app, "app:orders").spec else {
            panic!("no worker")
        };
        assert_eq!(worker.task_queue, "orders");
        assert_eq!(
            worker.options,
            WorkerOptions {
                max_cached_workflows: 10,
                ..WorkerOptions::default()
            }
        );
        let orders: crate::config::EntryId = "app:orders".parse().unwrap();
        assert_eq!(
            lua(entry(&app, "app:order")).temporal,
            Some(TemporalBinding::Workflow {
                worker: orders.clone(),
                name: "app:order".into()
            })
        );
        assert_eq!(
            lua(entry(&app, "app:charge")).temporal,
            Some(TemporalBinding::Activity {
                worker: orders,
                name: "Charge".into()
            })
        );
    }

    #[test]
    fn bad_temporal_entries_are_refused_at_their_lines() {
        let errors = one_file(
            "  - {name: a, kind: temporal.client, address: nowhere}\n\
             \x20 - {name: b, kind: temporal.client, address: \"h:1\", auth: {type: mtls}}\n\
             \x20 - {name: c, kind: temporal.client, address: \"h:1\", auth: {api_key: k}}\n\
             \x20 - {name: w, kind: temporal.worker, client: a2, task_queue: q}\n\
             \x20 - {name: x, kind: temporal.worker, client: a, task_queue: q, \
             worker_options: {max_cached_workflows: 5000}}\n\
             \x20 - name: f\n    kind: function.lua\n    source: file://main.lua\n    \
             method: main\n    meta: {temporal: {workflow: {worker: w}}}\n\
             \x20 - name: g\n    kind: workflow.lua\n    source: file://main.lua\n    \
             meta: {temporal: {workflow: {name: x}}}\n",
        )
        .errors();
        assert_eq!(
            errors,
            [
                "_index.yaml:3: entry 'app:a': address must be host:port, not 'nowhere'",
                "_index.yaml:4: entry 'app:b': auth.type mtls (client certificates) is not \
                 supported; use api_key, or none on a private network",
                "_index.yaml:5: entry 'app:c': an api_key is only sent over TLS: set tls: \
                 {enabled: true} or an https:// address",
                "_index.yaml:6: entry 'app:w': client refers to 'app:a2', which does not exist; did you \
                 mean 'app:a'?",
                "_index.yaml:7: entry 'app:x': field 'worker_options.max_cached_workflows' must \
                 be at most 2000, got 5000: each cached workflow holds a workflow sandbox, and \
                 luabox has 2000",
                "_index.yaml:12: entry 'app:f': meta.temporal.workflow does not apply to a \
                 function.lua: a function.lua takes meta.temporal.activity",
                "_index.yaml:16: entry 'app:g': missing required field \
                 'meta.temporal.workflow.worker'",
            ]
        );
    }
}
