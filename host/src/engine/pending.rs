//! The host operations a sandbox has started and may wait on (docs/architecture.md §3).
//!
//! A waiting import (`time.sleep`, ...) calls [`Pending::start`] with the operation's future and
//! returns the handle to the guest at once. Between export calls the driver awaits
//! [`Pending::next_batch`] and feeds the completions back through the guest's `resume`. A waiting
//! sandbox is this list and its linear memory: no thread or fiber is held for it. An operation
//! the guest abandons ([`Pending::cancel`]) is dropped at once, which stops it (a `funcs.call`
//! callee's sandbox is discarded), and its completion never arrives.
//!
//! A sandbox has at most its `max_pending` limit of operations at once; one more is
//! [`TooManyPending`], a trap that ends the sandbox with an error naming the limit (a timer that
//! silently fired at once, or a call that never started, would be worse).

use std::future::Future;
use std::pin::Pin;

use std::collections::HashMap;

use futures::FutureExt;
use futures::future::{AbortHandle, Abortable};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::bindings::Completion;

/// An operation's completion, or `None` when it was cancelled.
type Operation = Pin<Box<dyn Future<Output = Option<Completion>> + Send>>;

/// A sandbox tried to have more host operations pending than its `max_pending` limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{limit} host operations already pending")]
pub struct TooManyPending {
    pub limit: u32,
}

pub struct Pending {
    last_handle: u64,
    limit: u32,
    operations: FuturesUnordered<Operation>,
    aborts: HashMap<u64, AbortHandle>,
}

impl Pending {
    /// No operations yet; at most `limit` at once.
    pub fn new(limit: u32) -> Self {
        Pending {
            last_handle: 0,
            limit,
            operations: FuturesUnordered::new(),
            aborts: HashMap::new(),
        }
    }

    /// Start tracking an operation whose output is the MessagePack array of values its Lua call
    /// returns; the handle names it to the guest.
    pub fn start(
        &mut self,
        operation: impl Future<Output = Vec<u8>> + Send + 'static,
    ) -> Result<u64, TooManyPending> {
        if self.aborts.len() >= self.limit as usize {
            return Err(TooManyPending { limit: self.limit });
        }
        self.last_handle += 1;
        let handle = self.last_handle;
        let (abort, registration) = AbortHandle::new_pair();
        self.aborts.insert(handle, abort);
        let operation = Abortable::new(operation, registration);
        self.operations.push(Box::pin(async move {
            let values = operation.await.ok()?;
            Some(Completion { handle, values })
        }));
        Ok(handle)
    }

    /// Stop an operation the guest no longer wants; unknown or finished handles are ignored.
    pub fn cancel(&mut self, handle: u64) {
        if let Some(abort) = self.aborts.remove(&handle) {
            abort.abort();
        }
    }

    /// The most operations that may be pending at once.
    pub fn limit(&self) -> u32 {
        self.limit
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
