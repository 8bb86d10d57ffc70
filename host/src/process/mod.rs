//! Processes: `process.lua` entries running as actors (docs/architecture.md §3, Wippy: wippyai/docs en/concepts/process-model.md).
//!
//! A process is a sandbox of its own, driven by one tokio task from `start` to its result. While
//! it waits (on its mailbox, a timer, a call...) no export call is in flight: the task awaits the
//! host operations the sandbox started, including [`Mailbox::take_batch`], and resumes the
//! sandbox with what completed. The [`Node`] holds the table of live processes, their links,
//! monitors and names; [`spawn::spawn`] starts one.

pub mod capacity;
mod mailbox;
mod node;
mod pid;
pub mod spawn;
pub mod supervisor;

use std::sync::Arc;

pub use mailbox::{Delivery, MAX_QUEUED, Mailbox, encode_batch};
pub use node::{CANCEL, EXIT, Exit, LINK_DOWN, Node, ProcessError, Slot};
pub use pid::Pid;
use tokio::task::JoinHandle;

use crate::error::RunError;

/// How a new process is tied to the one that spawns it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ties {
    pub monitor: bool,
    pub link: bool,
}

/// A process just started: its slot, and the task that ends with its result.
pub type Spawned = (Arc<Slot>, JoinHandle<Result<Vec<u8>, RunError>>);
