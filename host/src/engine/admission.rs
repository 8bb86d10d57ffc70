//! Admission to an engine's sandbox slots: back-pressure instead of failure when they are full.
//!
//! The pooling allocator has a fixed number of slots (`EngineConfig::max_instances`). Every
//! sandbox takes a slot here before it is created and gives it back when the sandbox is dropped.
//! A call with a deadline (a function call, an HTTP request, a compile) waits for a free slot, in
//! arrival order, and the wait counts against its deadline: a burst larger than the pool queues
//! rather than failing. A sandbox without a deadline (a process, a workflow session) lives
//! until it ends, so it takes a slot now or is refused at once.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::RunError;

/// One slot, held for as long as its sandbox exists.
pub(crate) type Slot = OwnedSemaphorePermit;

pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    total: u32,
}

impl Admission {
    pub(crate) fn new(total: u32) -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// A slot, waited for until `deadline` when there is one.
    pub(crate) async fn admit(&self, deadline: Option<Instant>) -> Result<Slot, RunError> {
        let Some(deadline) = deadline else {
            return self.slots.clone().try_acquire_owned().map_err(|_| {
                RunError::Host(anyhow::anyhow!(
                    "cannot create a sandbox instance: all {} sandboxes of this engine are in use",
                    self.total
                ))
            });
        };
        let waiting = self.slots.clone().acquire_owned();
        match tokio::time::timeout_at(deadline.into(), waiting).await {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(closed)) => Err(RunError::Host(closed.into())),
            Err(_) => Err(RunError::Busy { slots: self.total }),
        }
    }
}
