//! The app's event bus (Wippy: wippyai/docs en/lua/core/events.md): subscriptions, each with its
//! patterns and its queue of events not yet taken. Best effort, as in Wippy: an event reaches the
//! subscriptions that exist when it is sent, and a subscription whose reader falls behind by more
//! than [`MAX_QUEUED`] events or [`MAX_QUEUED_BYTES`] loses the newest ones (counted and logged)
//! instead of growing the host without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// The most events one subscription holds for its reader.
pub const MAX_QUEUED: usize = 10_000;
/// The most bytes of event data one subscription holds for its reader.
pub const MAX_QUEUED_BYTES: usize = 16 << 20;

/// One event: where it comes from (`system`), what happened (`kind`), what it is about (`path`)
/// and its data (one MessagePack value).
#[derive(Debug)]
pub struct Event {
    pub system: String,
    pub kind: String,
    pub path: String,
    pub data: Vec<u8>,
}

impl Event {
    fn size(&self) -> usize {
        self.system.len() + self.kind.len() + self.path.len() + self.data.len()
    }
}

#[derive(Default)]
pub struct Bus {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    last_id: u64,
    subscriptions: HashMap<u64, Subscription>,
}

struct Subscription {
    system: String,
    kind: Option<String>,
    queue: VecDeque<Arc<Event>>,
    bytes: usize,
    dropped: u64,
    ready: Arc<Notify>,
}

impl Bus {
    /// A new subscription to events whose system matches `system` and, if given, whose kind
    /// matches `kind` (`*` in either stands for any text).
    pub fn subscribe(&self, system: String, kind: Option<String>) -> u64 {
        let mut inner = self.lock();
        inner.last_id += 1;
        let id = inner.last_id;
        inner.subscriptions.insert(
            id,
            Subscription {
                system,
                kind,
                queue: VecDeque::new(),
                bytes: 0,
                dropped: 0,
                ready: Arc::new(Notify::new()),
            },
        );
        id
    }

    /// Queue `event` for every subscription it matches; how many it reached.
    pub fn publish(&self, event: Event) -> usize {
        let event = Arc::new(event);
        let size = event.size();
        let mut reached = 0;
        for (id, subscription) in self.lock().subscriptions.iter_mut() {
            if !subscription.matches(&event) {
                continue;
            }
            if subscription.queue.len() >= MAX_QUEUED
                || subscription.bytes + size > MAX_QUEUED_BYTES
            {
                subscription.dropped += 1;
                if subscription.dropped.is_power_of_two() {
                    tracing::warn!(
                        subscription = id,
                        system = %event.system,
                        "events: a subscriber falls behind; {} event(s) dropped so far",
                        subscription.dropped
                    );
                }
                continue;
            }
            subscription.bytes += size;
            subscription.queue.push_back(event.clone());
            subscription.ready.notify_one();
            reached += 1;
        }
        reached
    }

    /// The events queued for subscription `id`, at most `max_bytes` of them (but at least one),
    /// waiting for one if there are none; `None` once it is closed.
    pub async fn next(self: Arc<Self>, id: u64, max_bytes: usize) -> Option<Vec<Arc<Event>>> {
        loop {
            let ready = {
                let mut inner = self.lock();
                let subscription = inner.subscriptions.get_mut(&id)?;
                if !subscription.queue.is_empty() {
                    let mut batch = Vec::new();
                    let mut bytes = 0;
                    while let Some(event) = subscription.queue.front() {
                        if !batch.is_empty() && bytes + event.size() > max_bytes {
                            break;
                        }
                        bytes += event.size();
                        subscription.bytes -= event.size();
                        batch.extend(subscription.queue.pop_front());
                    }
                    return Some(batch);
                }
                subscription.ready.clone()
            };
            // A notification sent since the lock was released is kept as a permit.
            ready.notified().await;
        }
    }

    /// End subscription `id`: its queue is dropped and a reader waiting on it gets `None`.
    pub fn close(&self, id: u64) {
        if let Some(subscription) = self.lock().subscriptions.remove(&id) {
            subscription.ready.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Subscription {
    fn matches(&self, event: &Event) -> bool {
        glob(&self.system, &event.system)
            && self.kind.as_deref().is_none_or(|kind| glob(kind, &event.kind))
    }
}

/// Whether `text` matches `pattern`, in which `*` stands for any text (also none) and every
/// other character for itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(system: &str, kind: &str) -> Event {
        Event {
            system: system.into(),
            kind: kind.into(),
            path: "/p".into(),
            data: vec![0xc0],
        }
    }

    #[test]
    fn globs() {
        assert!(glob("orders", "orders"));
        assert!(!glob("orders", "orders.x"));
        assert!(glob("orders.*", "orders.created"));
        assert!(glob("orders.*", "orders.a.b"));
        assert!(!glob("orders.*", "orders"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
        assert!(glob("*.created", "user.created"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[tokio::test]
    async fn events_reach_matching_subscriptions_in_order() {
        let bus = Arc::new(Bus::default());
        let users = bus.subscribe("users".into(), None);
        let created = bus.subscribe("*".into(), Some("*.created".into()));
        assert_eq!(bus.publish(event("users", "user.created")), 2);
        assert_eq!(bus.publish(event("users", "user.deleted")), 1);
        assert_eq!(bus.publish(event("orders", "order.created")), 1);
        let kinds = |batch: Vec<Arc<Event>>| -> Vec<String> {
            batch.iter().map(|e| e.kind.clone()).collect()
        };
        let batch = bus.clone().next(users, usize::MAX).await.unwrap();
        assert_eq!(kinds(batch), ["user.created", "user.deleted"]);
        let batch = bus.clone().next(created, usize::MAX).await.unwrap();
        assert_eq!(kinds(batch), ["user.created", "order.created"]);
    }

    #[tokio::test]
    async fn a_waiting_reader_is_woken_by_an_event_or_the_close() {
        let bus = Arc::new(Bus::default());
        let id = bus.subscribe("s".into(), None);
        let reader = tokio::spawn(bus.clone().next(id, usize::MAX));
        tokio::task::yield_now().await;
        bus.publish(event("s", "k"));
        assert_eq!(reader.await.unwrap().unwrap().len(), 1);
        let reader = tokio::spawn(bus.clone().next(id, usize::MAX));
        tokio::task::yield_now().await;
        bus.close(id);
        assert!(reader.await.unwrap().is_none());
        assert_eq!(bus.publish(event("s", "k")), 0);
    }

    #[tokio::test]
    async fn a_reader_that_falls_behind_loses_the_newest_events_and_batches_are_bounded() {
        let bus = Arc::new(Bus::default());
        let id = bus.subscribe("s".into(), None);
        for _ in 0..MAX_QUEUED + 5 {
            bus.publish(event("s", "k"));
        }
        let one = event("s", "k").size();
        let batch = bus.clone().next(id, one * 10).await.unwrap();
        assert_eq!(batch.len(), 10);
        let rest = bus.clone().next(id, usize::MAX).await.unwrap();
        assert_eq!(rest.len(), MAX_QUEUED - 10);
        // Even a batch limit below one event's size hands over one event.
        bus.publish(event("s", "k"));
        assert_eq!(bus.clone().next(id, 1).await.unwrap().len(), 1);
    }
}
