//! `function.lua`: a stateless entry; every call runs in a fresh sandbox instance (copy-on-write
//! from the snapshot), so no state leaks between calls or tenants.
//!
//! The chunk returns a function (called with the arguments) or a table (its `method` is called).
//! The call returns `value`, or fails: with `nil, err` (a string or an error object as the second
//! value), or by raising an error. `pool:` bounds how many calls of the entry run at once
//! (`inline`, the default, does not).

use std::sync::Arc;

use rmpv::Value;
use tokio::sync::Semaphore;

use super::library::{CompiledLua, Program};
use crate::codec::{ErrorObject, decode_values};
use crate::config::{EntryId, Pool};
use crate::engine::Invocation;

/// A callable `function.lua` entry, ready to run.
#[derive(Debug)]
pub struct Function {
    program: Program,
    pool: Option<Arc<Semaphore>>,
}

impl Function {
    pub fn new<'a>(
        compiled: &'a CompiledLua,
        lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
    ) -> Self {
        let pool = match compiled.spec.pool {
            Pool::Inline => None,
            Pool::Bounded { size, .. } => Some(Arc::new(Semaphore::new(size as usize))),
        };
        Function {
            program: Program::new(compiled, lookup, &[]),
            pool,
        }
    }

    /// The invocation for one call with `args` (a MessagePack array).
    pub fn invocation(&self, args: Vec<u8>) -> Invocation {
        self.program.invocation(args)
    }

    /// Wait for room in the entry's pool (immediately for `inline`).
    pub async fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let pool = self.pool.clone()?;
        pool.acquire_owned().await.ok()
    }
}

/// Whether the values a function returned mean failure: a second value that is a string or an
/// error object (`return nil, err`).
pub fn returned_error(values: &[u8]) -> Option<ErrorObject> {
    let values = decode_values(values).ok()?;
    match values.get(1)? {
        Value::String(text) => Some(ErrorObject::new(
            "",
            String::from_utf8_lossy(text.as_bytes()).into_owned(),
        )),
        other => ErrorObject::from_msgpack(other),
    }
}
