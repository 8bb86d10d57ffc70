//! The memory driver (`queue.driver.memory`): a queue held in this luabox process. Messages
//! wait in order; a publish to a full queue waits for room (the queue's `max_length`), a
//! consumer that takes a message holds it until it settles it, and a nacked message goes back
//! to the front to be delivered again. What the queue holds is lost when the process stops, as
//! in Wippy's memory driver.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::Message;

pub struct MemoryQueue {
    state: Mutex<State>,
    /// A message was queued.
    readable: Notify,
    /// Room was made.
    writable: Notify,
    max_length: usize,
    consumers: AtomicUsize,
}

#[derive(Default)]
struct State {
    ready: VecDeque<Message>,
    in_flight: usize,
    last_id: u64,
}

/// What `queue.info` tells of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Messages waiting to be taken.
    pub ready: usize,
    /// Messages taken and not settled yet.
    pub in_flight: usize,
    pub consumers: usize,
}

impl MemoryQueue {
    pub fn new(max_length: usize) -> Self {
        MemoryQueue {
            state: Mutex::default(),
            readable: Notify::new(),
            writable: Notify::new(),
            max_length: max_length.max(1),
            consumers: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a message with `body` and `headers` (MessagePack), waiting while the queue is
    /// full; its id.
    pub async fn publish(&self, body: Vec<u8>, headers: Vec<u8>) -> String {
        let mut message = Some((body, headers));
        loop {
            let room = self.writable.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut state = self.lock();
                if state.ready.len() < self.max_length {
                    state.last_id += 1;
                    let id = state.last_id.to_string();
                    let (body, headers) = message.take().expect("published once");
                    state.ready.push_back(Message {
                        id: id.clone(),
                        body,
                        headers,
                        attempts: 0,
                    });
                    drop(state);
                    self.readable.notify_one();
                    return id;
                }
            }
            room.await;
        }
    }

    /// Take the next message, waiting for one.
    pub async fn take(&self) -> Message {
        loop {
            let ready = self.readable.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some(mut message) = state.ready.pop_front() {
                    state.in_flight += 1;
                    message.attempts += 1;
                    let more = !state.ready.is_empty();
                    drop(state);
                    self.writable.notify_one();
                    if more {
                        // Another waiting consumer may take the next one.
                        self.readable.notify_one();
                    }
                    return message;
                }
            }
            ready.await;
        }
    }

    /// Settle a taken message: done (`ack`), or back to the front to be delivered again.
    pub fn settle(&self, message: Message, ack: bool) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if !ack {
            state.ready.push_front(message);
            drop(state);
            self.readable.notify_one();
        }
    }

    pub fn info(&self) -> Info {
        let state = self.lock();
        Info {
            ready: state.ready.len(),
            in_flight: state.in_flight,
            consumers: self.consumers.load(Ordering::Relaxed),
        }
    }

    /// Count a consumer for [`Self::info`] while the returned guard lives.
    pub fn consumer(self: &std::sync::Arc<Self>) -> ConsumerGuard {
        self.consumers.fetch_add(1, Ordering::Relaxed);
        ConsumerGuard(self.clone())
    }
}

pub struct ConsumerGuard(std::sync::Arc<MemoryQueue>);

impl Drop for ConsumerGuard {
    fn drop(&mut self) {
        self.0.consumers.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn messages_come_in_order_and_a_nack_delivers_again_first() {
        let queue = MemoryQueue::new(10);
        for n in 1..=3u8 {
            queue.publish(vec![n], vec![0x80]).await;
        }
        let first = queue.take().await;
        assert_eq!((first.body.clone(), first.attempts), (vec![1], 1));
        queue.settle(first, false);
        let again = queue.take().await;
        assert_eq!((again.body.clone(), again.attempts), (vec![1], 2));
        assert_eq!(
            queue.info(),
            Info {
                ready: 2,
                in_flight: 1,
                consumers: 0
            }
        );
        queue.settle(again, true);
        assert_eq!(queue.take().await.body, vec![2]);
    }

    #[tokio::test]
    async fn a_full_queue_holds_publishers_until_a_message_is_taken() {
        let queue = Arc::new(MemoryQueue::new(1));
        queue.publish(vec![1], vec![0x80]).await;
        let publisher = tokio::spawn({
            let queue = queue.clone();
            async move { queue.publish(vec![2], vec![0x80]).await }
        });
        tokio::task::yield_now().await;
        assert!(!publisher.is_finished());
        assert_eq!(queue.take().await.body, vec![1]);
        publisher.await.unwrap();
        assert_eq!(queue.take().await.body, vec![2]);
    }

    #[tokio::test]
    async fn waiting_consumers_are_all_served() {
        let queue = Arc::new(MemoryQueue::new(100));
        let takers: Vec<_> = (0..4)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.take().await.body })
            })
            .collect();
        tokio::task::yield_now().await;
        for n in 0..4u8 {
            queue.publish(vec![n], vec![0x80]).await;
        }
        let mut got = Vec::new();
        for taker in takers {
            got.extend(taker.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3]);
    }
}
