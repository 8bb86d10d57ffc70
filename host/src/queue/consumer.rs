//! A `queue.consumer`: `concurrency` workers, each taking a message from the queue and calling
//! the consumer's function with its body, in a fresh sandbox that can read the message
//! ([`super::Delivery`], `queue.message()`). The handler settles it (Wippy: wippyai/docs
//! en/system/queue.md): a return of anything but `false` acks it; `false`, `nil, err` or a raised
//! error nacks it, and it is delivered again after a pause that grows with its attempts (so a
//! message that always fails costs a call per pause, not a busy loop). `msg:ack()` /
//! `msg:nack()` settle it early, and the first settlement wins.
//!
//! Stopping stops taking messages and waits up to the stop timeout for the calls in flight.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::memory::MemoryQueue;
use super::{Delivery, Message};
use crate::config::EntryId;
use crate::config::queue::QueueConsumer;
use crate::engine::Extensions;
use crate::error::CallError;

/// Calls the consumer's function with the extensions of a delivery and the arguments.
pub type Call = Arc<
    dyn Fn(Extensions, Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, CallError>> + Send + Sync,
>;

/// The pause before a nacked message is delivered again: 100 ms per attempt, at most 5 s.
fn redelivery_pause(attempts: u32) -> Duration {
    Duration::from_millis(100 * u64::from(attempts.min(50)))
}

pub struct Consumer {
    id: EntryId,
    stop: watch::Sender<bool>,
    workers: JoinSet<()>,
    stop_timeout: Duration,
}

impl Consumer {
    pub fn start(id: EntryId, spec: &QueueConsumer, queue: Arc<MemoryQueue>, call: Call) -> Self {
        let (stop, _) = watch::channel(false);
        let mut workers = JoinSet::new();
        for _ in 0..spec.concurrency {
            let (queue, call, stop, id) =
                (queue.clone(), call.clone(), stop.subscribe(), id.clone());
            workers.spawn(work(id, queue, call, stop));
        }
        tracing::info!(entry = %id, workers = spec.concurrency, "queue consumer started");
        Consumer {
            id,
            stop,
            workers,
            stop_timeout: spec.lifecycle.stop_timeout,
        }
    }

    /// Stop taking messages; wait for the calls in flight, at most the stop timeout.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let drained = tokio::time::timeout(self.stop_timeout, async {
            while self.workers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                entry = %self.id,
                "queue consumer: calls still in flight after {:?} were stopped",
                self.stop_timeout
            );
            self.workers.abort_all();
        }
        tracing::info!(entry = %self.id, "queue consumer stopped");
    }
}

async fn work(id: EntryId, queue: Arc<MemoryQueue>, call: Call, mut stop: watch::Receiver<bool>) {
    let _counted = queue.consumer();
    loop {
        let message = tokio::select! {
            _ = stop.changed() => return,
            message = queue.take() => message,
        };
        let ack = handle(&id, &message, &call).await;
        if !ack {
            tokio::time::sleep(redelivery_pause(message.attempts)).await;
        }
        queue.settle(message, ack);
    }
}

/// Call the handler for `message`; whether it is acked.
async fn handle(id: &EntryId, message: &Message, call: &Call) -> bool {
    let delivery = Arc::new(Delivery::new(message));
    let mut body = Vec::with_capacity(message.body.len() + 1);
    // An array of one value: the body.
    body.push(0x91);
    body.extend_from_slice(&message.body);
    let outcome = call(Extensions::default().with(delivery.clone()), body).await;
    let ack = match &outcome {
        Ok(values) => !returned_false(values),
        Err(error) => {
            let next = match delivery.settled() {
                Some(true) => "it had acked the message",
                _ => "the message will be delivered again",
            };
            tracing::warn!(
                entry = %id,
                id = %message.id,
                attempt = message.attempts,
                "queue handler failed ({next}): {error}"
            );
            false
        }
    };
    delivery.settled().unwrap_or(ack)
}

/// Whether the handler's first result is `false`.
fn returned_false(values: &[u8]) -> bool {
    let mut rest = values;
    matches!(rmp::decode::read_array_len(&mut rest), Ok(n) if n > 0) && rest.first() == Some(&0xc2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_false_first_result_nacks() {
        assert!(returned_false(&[0x91, 0xc2]));
        assert!(returned_false(&[0x92, 0xc2, 0xc0]));
        assert!(!returned_false(&[0x91, 0xc3]));
        assert!(!returned_false(&[0x90]));
        assert!(!returned_false(&[0x91, 0xc0]));
        assert_eq!(redelivery_pause(1), Duration::from_millis(100));
        assert_eq!(redelivery_pause(1000), Duration::from_secs(5));
    }
}
