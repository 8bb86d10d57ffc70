//! Message queues (Wippy: wippyai/docs en/system/queue.md, en/lua/storage/queue.md): the app's
//! `queue.queue` entries on their drivers ([`memory`]), the consumers that hand each message to
//! a function ([`consumer`]), and the delivery a handler's sandbox can read and settle
//! ([`Delivery`]). The `queue` module (`modules/queue.rs`) publishes through [`Queues`].

pub mod consumer;
pub mod memory;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use memory::MemoryQueue;

use crate::config::queue::QueueDriver;
use crate::config::{EntryId, Spec};
use crate::registry::Registry;

/// One message: its id on its queue, its body (one MessagePack value), its headers (a
/// MessagePack map) and how many times it was delivered.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub body: Vec<u8>,
    pub headers: Vec<u8>,
    pub attempts: u32,
}

/// The app's queues by entry id. Queues of one driver with one `queue_name` are one queue.
#[derive(Default)]
pub struct Queues {
    by_entry: HashMap<EntryId, Arc<MemoryQueue>>,
}

impl Queues {
    pub fn new(registry: &Registry) -> Self {
        let mut by_name: HashMap<(EntryId, String), Arc<MemoryQueue>> = HashMap::new();
        let mut by_entry = HashMap::new();
        for entry in registry.entries() {
            let Spec::Queue(spec) = &entry.spec else {
                continue;
            };
            let driver = registry.get(&spec.driver).map(|driver| &driver.spec);
            let Some(Spec::QueueDriver(QueueDriver::Memory)) = driver else {
                continue;
            };
            let queue = by_name
                .entry((spec.driver.clone(), spec.name.clone()))
                .or_insert_with(|| Arc::new(MemoryQueue::new(spec.max_length as usize)))
                .clone();
            by_entry.insert(entry.id.clone(), queue);
        }
        Queues { by_entry }
    }

    /// The queue of `queue.queue` entry `id`.
    pub fn get(&self, id: &EntryId) -> Option<&Arc<MemoryQueue>> {
        self.by_entry.get(id)
    }
}

/// The app's queues, made from its registry on first use (kept in the app's module state).
#[derive(Default)]
pub struct Live(OnceLock<Queues>);

impl Live {
    pub fn queues(&self, registry: impl FnOnce() -> Queues) -> &Queues {
        self.0.get_or_init(registry)
    }
}

/// The message a consumer's handler is called for: what `queue.message()` reads, and the
/// handler's early `msg:ack()` / `msg:nack()`.
#[derive(Debug)]
pub struct Delivery {
    pub id: String,
    pub headers: Vec<u8>,
    /// `Some(true)` once acked, `Some(false)` once nacked.
    settled: Mutex<Option<bool>>,
}

impl Delivery {
    pub fn new(message: &Message) -> Self {
        Delivery {
            id: message.id.clone(),
            headers: message.headers.clone(),
            settled: Mutex::default(),
        }
    }

    /// Settle it now, unless it was settled before: whether this call settled it.
    pub fn settle(&self, ack: bool) -> bool {
        let mut settled = self.settled.lock().unwrap_or_else(|e| e.into_inner());
        if settled.is_some() {
            return false;
        }
        *settled = Some(ack);
        true
    }

    /// How the handler settled it, if it did.
    pub fn settled(&self) -> Option<bool> {
        *self.settled.lock().unwrap_or_else(|e| e.into_inner())
    }
}
