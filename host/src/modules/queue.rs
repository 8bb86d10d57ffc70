//! `wit/queue.wit`, the `queue` Lua module (Wippy: wippyai/docs en/lua/storage/queue.md):
//! `queue.publish(id, data, headers)` to the app's queues ([`crate::queue::Queues`]),
//! `queue.info(id)`, and in a consumer's handler `queue.message()` and its early settlement
//! ([`crate::queue::Delivery`], handed to the handler's sandbox by the consumer).
//!
//! Any entry that lists `queue` may publish to any queue of its app, as in Wippy without
//! security policies.
//!
//! ```lua
//! local queue = require("queue")
//! queue.publish("app:tasks", {action = "send_email"}, {priority = "high"})
//! local msg = queue.message()        -- in a handler: msg:id(), msg:header("priority")
//! ```

use std::sync::Arc;

use rmpv::Value;

use super::{AppSandbox, AppServices, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::queue;
use crate::codec::encode_values;
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::queue::memory::MemoryQueue;
use crate::queue::{Delivery, Live, Queues};

// Denied in workflows: publishing is an effect outside the workflow's history.
host_module!(Queue, "queue", queue);

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

fn invalid(message: impl Into<String>) -> HostError {
    host_error(ErrorKind::Invalid, message)
}

/// The queue of entry `id` in the sandbox's app.
fn find(state: &SandboxState, call: &str, id: &str) -> Result<Arc<MemoryQueue>, HostError> {
    if id.is_empty() {
        return Err(invalid(format!("{call}: the queue id must not be empty")));
    }
    let app: &Arc<dyn AppServices> = state.app().ok_or_else(|| super::no_app(call, "queue"))?;
    let id = EntryId::resolve(id, state.namespace()).map_err(invalid)?;
    let live = app.shared().get::<Live>();
    let queues = live.queues(|| Queues::new(app.registry()));
    queues.get(&id).cloned().ok_or_else(|| {
        host_error(
            ErrorKind::NotFound,
            format!("{call}: no queue.queue entry '{id}' on a driver luabox runs"),
        )
    })
}

fn delivery(state: &SandboxState, call: &str) -> Result<Arc<Delivery>, HostError> {
    state.extension_arc::<Delivery>().ok_or_else(|| {
        invalid(format!(
            "{call}: no message is being handled here (only a queue.consumer's handler has one)"
        ))
    })
}

/// The one value of `payload`, or `None` for an empty array.
fn value_of(payload: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
    let mut rest = payload;
    match rmp::decode::read_array_len(&mut rest) {
        Ok(0) => Ok(None),
        Ok(1) => Ok(Some(rest.to_vec())),
        _ => Err(host_error(ErrorKind::Internal, "queue: a malformed payload")),
    }
}

impl queue::Host for SandboxState {
    fn publish(&mut self, queue: String, data: Vec<u8>, headers: Vec<u8>) -> Answer<u64> {
        let target = match find(self, "queue.publish", &queue) {
            Ok(target) => target,
            Err(error) => return Ok(Err(error)),
        };
        let body = match value_of(&data) {
            Ok(Some(body)) if body != [0xc0] => body,
            Ok(_) => return Ok(Err(invalid("queue.publish: the message data is empty"))),
            Err(error) => return Ok(Err(error)),
        };
        let headers = match value_of(&headers) {
            Ok(None) => vec![0x80],
            Ok(Some(headers)) if is_map(&headers) => headers,
            Ok(Some(_)) => return Ok(Err(invalid("queue.publish: the headers must be a table"))),
            Err(error) => return Ok(Err(error)),
        };
        let handle = self.pending().start(async move {
            target.publish(body, headers).await;
            encode_values(vec![Value::Boolean(true)])
        })?;
        Ok(Ok(handle))
    }

    fn message(&mut self) -> Answer<(String, Vec<u8>)> {
        Ok(delivery(self, "queue.message").map(|delivery| {
            let mut headers = vec![0x91];
            headers.extend_from_slice(&delivery.headers);
            (delivery.id.clone(), headers)
        }))
    }

    fn settle(&mut self, ack: bool) -> Answer<bool> {
        let call = if ack { "msg:ack" } else { "msg:nack" };
        Ok(delivery(self, call).map(|delivery| delivery.settle(ack)))
    }

    fn info(&mut self, queue: String) -> Answer<Vec<u8>> {
        let target = match find(self, "queue.info", &queue) {
            Ok(target) => target,
            Err(error) => return Ok(Err(error)),
        };
        let info = target.info();
        let field = |name: &str, n: usize| (Value::from(name), Value::from(n as u64));
        Ok(Ok(encode_values(vec![Value::Map(vec![
            field("message_count", info.ready),
            field("ready", info.ready),
            field("in_flight", info.in_flight),
            field("consumer_count", info.consumers),
        ])])))
    }
}

/// Whether `value` (one MessagePack value) is a map; an empty Lua table arrives as an empty
/// array, which counts as an empty map.
fn is_map(value: &[u8]) -> bool {
    matches!(value.first(), Some(0x80..=0x8f | 0xde | 0xdf | 0x90))
}
