//! CPU fairness between sandboxes: a sandbox whose export call has run for
//! [`LONG_AFTER_SLICES`] slices without waiting is *long*, and a long call runs each further
//! slice only while it holds a turn on the engine's long lane (`long_lane`: one turn fewer than
//! the machine has cores, at least one, shared round-robin between namespaces). Fresh calls
//! never wait for the lane, so however many calls spin, a core stays free for the short ones: a
//! request to a normal endpoint is served beside endless loops at close to its latency alone. Each long call still ends at its own
//! deadline: waiting for the lane counts against it.
//!
//! The lane is taken and given back at the epoch callback (wasmtime's `YieldCustom`), so a long
//! call gives the lane up every slice and at the end of its export call, never while it waits
//! for a host operation.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::long_lane::{LongLane, Turn};

/// Slices (of `SLICE_TICKS` epoch ticks, 1 ms) an export call runs before it counts as long.
pub const LONG_AFTER_SLICES: u32 = 3;
/// The slices of a long call, in epoch ticks (1 ms each): a task queued on the worker thread
/// that runs it waits at most that long.
pub const LONG_SLICE_TICKS: u64 = 1;

/// One sandbox's place in the lanes.
#[derive(Default)]
pub(crate) struct Lane {
    /// The engine's long lane; `None` for sandboxes outside the lanes (compiling, snapshots).
    long: Option<Arc<LongLane>>,
    /// The namespace of the sandbox's entry, which its turns count against.
    namespace: Arc<str>,
    /// Slices the export call in flight has run.
    slices: u32,
    /// The turn the running slice holds, once the call is long.
    turn: Arc<Mutex<Option<Turn>>>,
}

impl Lane {
    pub fn new(long: Arc<LongLane>, namespace: Arc<str>) -> Lane {
        Lane {
            long: Some(long),
            namespace,
            ..Lane::default()
        }
    }

    /// An export call starts: it is fresh again.
    pub fn call_began(&mut self) {
        self.slices = 0;
    }

    /// An export call returned: give the lane back (the sandbox now waits, or is done).
    pub fn call_ended(&mut self) {
        self.release();
    }

    fn release(&self) {
        self.turn.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// A slice ended: `None` to go on after a plain yield to tokio, or what to await before the
    /// next slice (a turn on the long lane, or the deadline, whichever comes first).
    pub fn slice_ended(
        &mut self,
        deadline: Option<Instant>,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        self.release();
        self.slices = self.slices.saturating_add(1);
        if self.slices < LONG_AFTER_SLICES {
            return None;
        }
        let long = self.long.as_ref()?.clone();
        let (namespace, slot) = (self.namespace.clone(), self.turn.clone());
        Some(Box::pin(async move {
            let turn = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline.into(), long.turn(namespace))
                    .await
                    .ok(),
                None => Some(long.turn(namespace).await),
            };
            if let Some(turn) = turn {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(turn);
            }
            // Back to tokio now and then even when the turn comes at once (one long call
            // alone): wasmtime runs on without yielding when this future is ready on its first
            // poll, so without it the call's task would never let its worker run other tasks,
            // nor see its stop (a terminated process). tokio's cooperative budget yields once
            // the task has used it up (every 128 slices); yielding every slice instead costs
            // the short calls beside a spinner two orders of magnitude in p99.
            tokio::task::consume_budget().await;
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn long_calls_take_turns_on_the_lane_and_fresh_calls_never_wait() {
        let lane = LongLane::new(1);
        let (mut a, mut b) = (
            Lane::new(lane.clone(), "app".into()),
            Lane::new(lane.clone(), "app".into()),
        );
        for _ in 1..LONG_AFTER_SLICES {
            assert!(a.slice_ended(None).is_none(), "a fresh call goes on");
        }
        // `a` is long now: it runs its next slice holding the lane.
        a.slice_ended(None).unwrap().await;
        assert_eq!(lane.free_turns(), 0);
        for _ in 1..LONG_AFTER_SLICES {
            b.slice_ended(None);
        }
        let b_waits = b.slice_ended(None).unwrap();
        let b_turn = tokio::spawn(b_waits);
        tokio::task::yield_now().await;
        assert!(!b_turn.is_finished(), "b waits while a holds the lane");
        // `a` ends its slice: the lane goes to `b`, and `a` queues behind it.
        let a_waits = a.slice_ended(None).unwrap();
        b_turn.await.unwrap();
        let a_turn = tokio::spawn(a_waits);
        tokio::task::yield_now().await;
        assert!(!a_turn.is_finished());
        b.call_ended();
        a_turn.await.unwrap();
        // A new export call is fresh again.
        a.call_ended();
        a.call_began();
        assert!(a.slice_ended(None).is_none());
        assert_eq!(lane.free_turns(), 1);
    }

    #[tokio::test]
    async fn a_long_call_alone_still_yields_to_tokio_now_and_then() {
        let lane = LongLane::new(1);
        let mut a = Lane::new(lane.clone(), "app".into());
        for _ in 1..LONG_AFTER_SLICES {
            a.slice_ended(None);
        }
        // Its turn always comes at once; tokio's budget (128) still ends its run now and then.
        let mut yielded = 0;
        for _ in 0..300 {
            let mut slice = a.slice_ended(None).unwrap();
            let first = std::future::poll_fn(|cx| std::task::Poll::Ready(slice.as_mut().poll(cx)));
            if first.await.is_pending() {
                yielded += 1;
                slice.await;
            }
            assert_eq!(lane.free_turns(), 0, "it runs holding the lane");
        }
        assert!(yielded >= 2, "yielded {yielded} times in 300 slices");
    }

    #[tokio::test]
    async fn waiting_for_the_lane_ends_at_the_deadline() {
        let lane = LongLane::new(0);
        let mut a = Lane::new(lane, "app".into());
        for _ in 1..LONG_AFTER_SLICES {
            a.slice_ended(None);
        }
        let deadline = Instant::now() + std::time::Duration::from_millis(10);
        a.slice_ended(Some(deadline)).unwrap().await;
        assert!(a.turn.lock().unwrap().is_none());
    }
}
