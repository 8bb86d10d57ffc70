//! The host operations a sandbox has started and may wait on (DESIGN §2b).
//!
//! A waiting import (`time.sleep`, ...) calls [`Pending::start`] with the operation's future and
//! returns the handle to the guest at once. Between export calls the driver awaits
//! [`Pending::next_batch`] and feeds the completions back through the guest's `resume`. A waiting
//! sandbox is this list and its linear memory: no thread or fiber is held for it.

use std::future::Future;
use std::pin::Pin;

use futures::FutureExt;
use futures::stream::{FuturesUnordered, StreamExt};

use crate::bindings::Completion;

type Operation = Pin<Box<dyn Future<Output = Completion> + Send>>;

#[derive(Default)]
pub struct Pending {
    last_handle: u64,
    operations: FuturesUnordered<Operation>,
}

impl Pending {
    /// Start tracking an operation whose output is the MessagePack array of values its Lua call
    /// returns; the handle names it to the guest.
    pub fn start(&mut self, operation: impl Future<Output = Vec<u8>> + Send + 'static) -> u64 {
        self.last_handle += 1;
        let handle = self.last_handle;
        self.operations.push(Box::pin(async move {
            Completion {
                handle,
                values: operation.await,
            }
        }));
        handle
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Wait until at least one operation completes, then take every other one that is complete
    /// too, so the guest handles them in one export call. Empty when nothing is pending.
    pub async fn next_batch(&mut self) -> Vec<Completion> {
        let Some(first) = self.operations.next().await else {
            return Vec::new();
        };
        let mut batch = vec![first];
        while let Some(Some(completion)) = self.operations.next().now_or_never() {
            batch.push(completion);
        }
        batch
    }
}
