//! The fields of `queue.driver.memory`, `queue.queue` and `queue.consumer` (Wippy: wippyai/docs
//! en/system/queue.md) → [`QueueDriver`], [`QueueSpec`], [`QueueConsumer`]. What they do at run
//! time is [`crate::queue`]'s.
//!
//! ```yaml
//! - name: memory_driver
//!   kind: queue.driver.memory
//! - name: tasks
//!   kind: queue.queue
//!   driver: memory_driver          # required: a queue.driver.* entry
//!   codec: json/plain              # or application/msgpack (the default is json/plain)
//!   queue_name: app_tasks          # default: the entry's name
//!   driver_options:
//!     memory: {max_length: 500}    # the most messages waiting (default 1000)
//!   dead_letter: {queue: tasks_dlq, max_attempts: 5}   # accepted, not enforced (as in Wippy)
//! - name: task_consumer
//!   kind: queue.consumer
//!   queue: tasks                   # required: a queue.queue entry
//!   func: task_handler             # required: the function.lua each message is handed to
//!   concurrency: 4                 # workers (default 1)
//!   prefetch: 20                   # messages taken ahead of the workers (default 10)
//!   auto_ack: false
//!   lifecycle: {auto_start: true}
//! ```
//!
//! Driver-specific options under `driver_options` are kept per driver name; a driver reads only
//! its own (so one queue entry may carry settings for several drivers).

use super::build::{self, Reference};
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::entry_kind;
use super::lifecycle::{self, Lifecycle};
use super::yaml::{Key, Node, Problem};

/// A `queue.driver.*` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueDriver {
    /// In this luabox process: messages are lost when it stops.
    Memory,
}

/// A `queue.queue` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub driver: EntryId,
    pub codec: Codec,
    /// The queue's name on its driver.
    pub name: String,
    /// `driver_options.memory.max_length`.
    pub max_length: u32,
}

/// How message bodies are encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Json,
    MessagePack,
}

/// A `queue.consumer` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConsumer {
    pub queue: EntryId,
    pub func: EntryId,
    pub concurrency: u32,
    pub prefetch: u32,
    pub auto_ack: bool,
    pub lifecycle: Lifecycle,
}

pub const DEFAULT_MAX_LENGTH: u32 = 1000;
/// The most workers one consumer runs (each is a function call in flight).
pub const MAX_CONCURRENCY: u32 = 10_000;

const DRIVERS: &[&str] = &["queue.driver.memory"];

entry_kind! {
    /// `queue.driver.memory`.
    Memory: "queue.driver.memory",
    required: [],
    optional: ["lifecycle"],
    role: Resource,
    build: |_cx| Some(Spec::QueueDriver(QueueDriver::Memory)),
}

entry_kind! {
    /// `queue.queue`.
    Queue: "queue.queue",
    required: ["driver"],
    optional: ["codec", "queue_name", "driver_options", "dead_letter", "lifecycle"],
    role: Resource,
    build: |cx| {
        let (queue, found) = queue(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        queue.map(Spec::Queue)
    },
}

entry_kind! {
    /// `queue.consumer`.
    Consumer: "queue.consumer",
    required: ["queue", "func"],
    optional: ["concurrency", "prefetch", "auto_ack", "driver_options", "lifecycle"],
    role: Service,
    build: |cx| {
        let (consumer, found) = consumer(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        consumer.map(Spec::QueueConsumer)
    },
}

fn queue(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<QueueSpec>, Vec<Reference>) {
    let before = problems.len();
    let mut refs = Vec::new();
    let driver = fields::find(fields, "driver").and_then(|(key, node)| {
        build::reference(
            "driver", node, key.line, DRIVERS, &id.ns, &mut refs, problems,
        )
    });
    let codec = match fields::find(fields, "codec") {
        None => Some(Codec::Json),
        Some((_, node)) => match fields::string("codec", node).as_deref() {
            Ok("json/plain") => Some(Codec::Json),
            Ok("application/msgpack") => Some(Codec::MessagePack),
            _ => {
                problems.push(problem(
                    node.line,
                    format!(
                        "field 'codec' must be json/plain or application/msgpack, not {}",
                        fields::describe(node)
                    ),
                ));
                None
            }
        },
    };
    let name = match fields::find(fields, "queue_name") {
        None => Some(id.name.clone()),
        Some((_, node)) => fields::non_empty_string("queue_name", node)
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let mut max_length = DEFAULT_MAX_LENGTH;
    if let Some((_, node)) = fields::find(fields, "driver_options") {
        fields::each_field(
            "driver_options",
            node,
            problems,
            |key, value, field, problems| {
                if key.text == "memory" {
                    let parent = field;
                    fields::each_field(parent, value, problems, |key, value, field, _| {
                        match key.text.as_str() {
                            // 0 means the default, as in Wippy.
                            "max_length" => fields::unsigned(field, value).map(|n| {
                                if n > 0 {
                                    max_length = u32::try_from(n).unwrap_or(u32::MAX);
                                }
                            }),
                            _ => Err(fields::unknown(parent, key, &["max_length"])),
                        }
                    });
                }
                Ok(())
            },
        );
    }
    if let Some((_, node)) = fields::find(fields, "dead_letter") {
        fields::each_field(
            "dead_letter",
            node,
            problems,
            |key, value, field, _| match key.text.as_str() {
                "queue" => fields::non_empty_string(field, value).map(drop),
                "max_attempts" => fields::unsigned(field, value).map(drop),
                _ => Err(fields::unknown(field, key, &["queue", "max_attempts"])),
            },
        );
    }
    let spec = match (driver, codec, name) {
        (Some(driver), Some(codec), Some(name)) if problems.len() == before => Some(QueueSpec {
            driver,
            codec,
            name,
            max_length,
        }),
        _ => None,
    };
    (spec, refs)
}

fn consumer(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<QueueConsumer>, Vec<Reference>) {
    let before = problems.len();
    let mut refs = Vec::new();
    let mut reference =
        |field: &str, expect: &'static [&'static str], problems: &mut Vec<Problem>| {
            fields::find(fields, field).and_then(|(key, node)| {
                build::reference(field, node, key.line, expect, &id.ns, &mut refs, problems)
            })
        };
    let queue = reference("queue", &["queue.queue"], problems);
    let func = reference("func", &["function.lua"], problems);
    let mut count = |field: &str, default: u32| match fields::find(fields, field) {
        None => Some(default),
        Some((_, node)) => fields::unsigned(field, node)
            .and_then(|n| match u32::try_from(n) {
                Ok(n @ 1..=MAX_CONCURRENCY) => Ok(n),
                _ => Err(problem(
                    node.line,
                    format!("field '{field}' must be between 1 and {MAX_CONCURRENCY}, got {n}"),
                )),
            })
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let concurrency = count("concurrency", 1);
    let prefetch = count("prefetch", 10);
    let auto_ack = match fields::find(fields, "auto_ack") {
        None => Some(false),
        Some((_, node)) => fields::boolean("auto_ack", node)
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let lifecycle = match fields::find(fields, "lifecycle") {
        Some((_, node)) => lifecycle::parse(node, &id.ns, &mut refs, problems),
        None => Some(Lifecycle::default()),
    };
    let spec = match (queue, func, concurrency, prefetch, auto_ack, lifecycle) {
        (
            Some(queue),
            Some(func),
            Some(concurrency),
            Some(prefetch),
            Some(auto_ack),
            Some(lifecycle),
        ) if problems.len() == before => Some(QueueConsumer {
            queue,
            func,
            concurrency,
            prefetch,
            auto_ack,
            lifecycle,
        }),
        _ => None,
    };
    (spec, refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

    #[test]
    fn queues_take_their_defaults_and_check_their_fields() {
        let app = one_file(
            "  - {name: driver, kind: queue.driver.memory}
  - name: tasks
    kind: queue.queue
    driver: driver
    driver_options: {memory: {max_length: 5}, amqp: {durable: true}}
  - {name: work, kind: function.lua, source: file://main.lua, method: main}
  - {name: consumer, kind: queue.consumer, queue: tasks, func: work, concurrency: 3}
",
        )
        .app();
        let Spec::Queue(queue) = &entry(&app, "app:tasks").spec else {
            panic!("queue.queue not built")
        };
        assert_eq!(queue.name, "tasks");
        assert_eq!(queue.max_length, 5);
        assert_eq!(queue.codec, Codec::Json);
        let Spec::QueueConsumer(consumer) = &entry(&app, "app:consumer").spec else {
            panic!("queue.consumer not built")
        };
        assert_eq!((consumer.concurrency, consumer.prefetch), (3, 10));
        assert!(!consumer.lifecycle.auto_start);
    }

    #[test]
    fn bad_queue_fields_name_their_lines() {
        let app = one_file(
            "  - {name: driver, kind: queue.driver.memory}
  - name: tasks
    kind: queue.queue
    driver: nowhere
    codec: text/xml
    driver_options: {memory: {max_len: 5}}
  - {name: consumer, kind: queue.consumer, queue: driver, func: tasks, concurrency: 0}
",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:6: entry 'app:tasks': driver refers to 'app:nowhere', which does \
                 not exist",
                "_index.yaml:7: entry 'app:tasks': field 'codec' must be json/plain or \
                 application/msgpack, not 'text/xml'",
                "_index.yaml:8: entry 'app:tasks': unknown field 'driver_options.memory.max_len' \
                 (expected one of: max_length); did you mean 'max_length'?",
                "_index.yaml:9: entry 'app:consumer': field 'concurrency' must be between 1 and \
                 10000, got 0",
                "_index.yaml:9: entry 'app:consumer': queue refers to 'app:driver', which is a \
                 queue.driver.memory, not a queue.queue",
                "_index.yaml:9: entry 'app:consumer': func refers to 'app:tasks', which is a \
                 queue.queue, not a function.lua",
            ]
        );
    }
}
