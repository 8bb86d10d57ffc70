//! The host operations a sandbox has started and may wait on (DESIGN §2b).
//!
//! A waiting import (`time.sleep`, ...) calls [`Pending::start`] with the operation's future and
//! returns the handle to the guest at once. Between export calls the driver awaits
//! [`Pending::next_batch`] and feeds the completions back through the guest's `resume`. A waiting
//! sandbox is this list and its linear memory: no thread or fiber is held for it. An operation
//! the guest abandons ([`Pending::cancel`]) is dropped at once, which stops it (a `funcs.call`
//! callee's sandbox is discarded), and its completion never arrives.

use std::future::Future;
use std::pin::Pin;

use std::collections::HashMap;

use futures::FutureExt;
use futures::future::{AbortHandle, Abortable};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::bindings::Completion;

/// An operation's completion, or `None` when it was cancelled.
type Operation = Pin<Box<dyn Future<Output = Option<Completion>> + Send>>;

#[derive(Default)]
pub struct Pending {
    last_handle: u64,
    operations: FuturesUnordered<Operation>,
    aborts: HashMap<u64, AbortHandle>,
}

impl Pending {
    /// Start tracking an operation whose output is the MessagePack array of values its Lua call
    /// returns; the handle names it to the guest.
    pub fn start(&mut self, operation: impl Future<Output = Vec<u8>> + Send + 'static) -> u64 {
        self.last_handle += 1;
        let handle = self.last_handle;
        let (abort, registration) = AbortHandle::new_pair();
        self.aborts.insert(handle, abort);
        let operation = Abortable::new(operation, registration);
        self.operations.push(Box::pin(async move {
            let values = operation.await.ok()?;
            Some(Completion { handle, values })
        }));
        handle
    }

    /// Stop an operation the guest no longer wants; unknown or finished handles are ignored.
    pub fn cancel(&mut self, handle: u64) {
        if let Some(abort) = self.aborts.remove(&handle) {
            abort.abort();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.aborts.is_empty()
    }

    /// Wait until at least one operation completes, then take every other one that is complete
    /// too, so the guest handles them in one export call. Empty when nothing is pending.
    pub async fn next_batch(&mut self) -> Vec<Completion> {
        let mut batch = Vec::new();
        while batch.is_empty() {
            match self.operations.next().await {
                Some(Some(completion)) => batch.push(completion),
                Some(None) => continue,
                None => return batch,
            }
        }
        while let Some(Some(done)) = self.operations.next().now_or_never() {
            batch.extend(done);
        }
        for completion in &batch {
            self.aborts.remove(&completion.handle);
        }
        batch
    }
}
