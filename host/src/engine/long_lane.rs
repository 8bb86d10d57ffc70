//! The long lane: the turns long export calls take (see `lane`), shared fairly between tenants.
//!
//! It holds one turn fewer than the machine has cores (at least one). A call asks for a turn for
//! its namespace (the part of its entry id before `:`); turns go to the namespaces that wait
//! round-robin, and within one namespace in arrival order. So a tenant with a hundred spinning
//! calls gets the same share of the lane as a tenant with one, while one tenant alone gets it
//! all.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

pub(crate) struct LongLane {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// The namespaces with calls waiting, in the order they are served next, each with its
    /// waiting calls in arrival order (never empty).
    waiting: VecDeque<(Arc<str>, VecDeque<oneshot::Sender<()>>)>,
}

/// A turn on the lane, given back when dropped.
pub(crate) struct Turn {
    lane: Arc<LongLane>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.lane.give_back();
    }
}

impl LongLane {
    pub(crate) fn new(turns: usize) -> Arc<LongLane> {
        Arc::new(LongLane {
            state: Mutex::new(State {
                free: turns,
                waiting: VecDeque::new(),
            }),
        })
    }

    /// The lane of an engine: the machine's cores less one, at least one.
    pub(crate) fn for_this_machine() -> Arc<LongLane> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        LongLane::new(cores.saturating_sub(1).max(1))
    }

    #[cfg(test)]
    pub(crate) fn free_turns(&self) -> usize {
        self.state().free
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for a turn for `namespace`. Dropping the future gives up the place in the queue
    /// (and a turn handed to it meanwhile).
    pub(crate) async fn turn(self: Arc<Self>, namespace: Arc<str>) -> Turn {
        loop {
            let receiver = {
                let mut state = self.state();
                if state.free > 0 && state.waiting.is_empty() {
                    state.free -= 1;
                    return Turn { lane: self.clone() };
                }
                let (sender, receiver) = oneshot::channel();
                match state.waiting.iter_mut().find(|(ns, _)| *ns == namespace) {
                    Some((_, calls)) => calls.push_back(sender),
                    None => state
                        .waiting
                        .push_back((namespace.clone(), VecDeque::from([sender]))),
                }
                receiver
            };
            let mut waiting = Waiting {
                lane: self.clone(),
                receiver: Some(receiver),
            };
            let handed = match waiting.receiver.as_mut() {
                Some(receiver) => receiver.await.is_ok(),
                None => false,
            };
            waiting.receiver = None;
            if handed {
                return Turn { lane: self };
            }
        }
    }

    /// A turn comes back: hand it to the next waiting call, round-robin over namespaces.
    fn give_back(&self) {
        let mut state = self.state();
        while let Some((namespace, mut calls)) = state.waiting.pop_front() {
            let next = calls.pop_front().expect("a waiting namespace has calls");
            if !calls.is_empty() {
                state.waiting.push_back((namespace, calls));
            }
            if next.send(()).is_ok() {
                return;
            }
            // That call stopped waiting (its deadline passed): try the next one.
        }
        state.free += 1;
    }
}

/// A call waiting for a turn; if it is dropped after a turn was handed to it, the turn goes on.
struct Waiting {
    lane: Arc<LongLane>,
    receiver: Option<oneshot::Receiver<()>>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            receiver.close();
            if receiver.try_recv().is_ok() {
                self.lane.give_back();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(entry: &str) -> Arc<str> {
        Arc::from(entry.split_once(':').map_or("", |(ns, _)| ns))
    }

    #[tokio::test]
    async fn turns_go_round_robin_over_namespaces_and_in_order_within_one() {
        let lane = LongLane::new(1);
        let held = lane.clone().turn(ns("busy:first")).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        // Three calls of one tenant queue before one call of another.
        for (i, entry) in ["busy:a", "busy:b", "busy:c", "quiet:d"]
            .into_iter()
            .enumerate()
        {
            let (lane, order) = (lane.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let turn = lane.turn(ns(entry)).await;
                order.lock().unwrap().push(entry);
                drop(turn);
            }));
            // Let each queue in this order.
            for _ in 0..=i {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            ["busy:a", "quiet:d", "busy:b", "busy:c"]
        );
        assert_eq!(lane.free_turns(), 1);
    }

    #[tokio::test]
    async fn a_call_that_stops_waiting_loses_no_turn() {
        let lane = LongLane::new(1);
        let held = lane.clone().turn(ns("a:x")).await;
        let gave_up = tokio::time::timeout(
            std::time::Duration::from_millis(5),
            lane.clone().turn(ns("b:y")),
        )
        .await;
        assert!(gave_up.is_err());
        drop(held);
        assert_eq!(
            lane.free_turns(),
            1,
            "the turn came back although its waiter was gone"
        );
        // A turn handed to a waiter that is dropped before it runs comes back too.
        let held = lane.clone().turn(ns("a:x")).await;
        let mut waiting = Box::pin(lane.clone().turn(ns("b:y")));
        assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        drop(held);
        drop(waiting);
        assert_eq!(lane.free_turns(), 1);
    }

    /// Poll a future once, as a select with an immediately ready branch would.
    async fn futures_poll_once<F: std::future::Future + Unpin>(future: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            output = future => Some(output),
            _ = std::future::ready(()) => None,
        }
    }
}
