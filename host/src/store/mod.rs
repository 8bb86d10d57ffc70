//! Key-value stores: the runtime of `store.*` entries, which the `store` module
//! (`modules/store.rs`) opens for sandboxes whose entry grants them in `resources:`.
//!
//! Each store entry of an app gets one backend when the app loads ([`Stores::new`]), shared by
//! every sandbox that opens it. A backend implements [`KvStore`]: four async operations on
//! [`Key`]s and values, so a backend may do I/O (the sandbox waits as data, docs/architecture.md §3); one that
//! answers at once (memory) costs the sandbox no wait at all, since the module polls the
//! operation once before starting it as a pending operation.
//!
//! Values are opaque bytes here: the MessagePack encoding of one Lua value, as the guest's codec
//! wrote it, returned byte for byte (so integers stay integers, floats floats, tables tables);
//! [`value`] checks and frames them.
//!
//! Backends, one file each, chosen by one match arm in [`backend`]:
//! - [`memory`]: `store.memory`, a map in this process, at most `max_size` live keys.
//! - [`sql`]: `store.sql`, a table in one of the app's `db.sql.*` databases.
//!
//! ```
//! # async fn demo() -> Result<(), luabox::store::KvError> {
//! use std::time::Duration;
//! use luabox::store::{Key, KvStore, Ttl, memory::MemoryStore};
//! let store = MemoryStore::new("app:cache", 100, Duration::from_secs(60));
//! let key = Key::new("greeting")?;
//! store.set(&key, vec![0xa2, b'h', b'i'], Some(Ttl::from_secs(1.5)?)).await?;
//! assert_eq!(store.get(&key).await?, Some(vec![0xa2, b'h', b'i']));
//! # Ok(()) }
//! ```

pub mod memory;
pub mod sql;
pub mod value;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::config::store::{Store, StoreBackend};
use crate::config::{self, EntryId, Spec};
use crate::error::ErrorKind;

/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 1024;
/// The longest time to live: about 100 years, so every backend can add it to a timestamp.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A key-value store backend. Keys are checked [`Key`]s; a value is the MessagePack encoding of
/// one Lua value, stored and returned as it is. A key whose time to live has passed is absent to
/// every operation, whenever the backend actually removes it.
pub trait KvStore: Send + Sync {
    /// The value of `key`, or `None` when it is absent or expired.
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>>;
    /// Store `value` under `key`, replacing any value it had; with a `ttl` the key expires that
    /// long from now, without one it never does.
    fn set<'a>(
        &'a self,
        key: &'a Key,
        value: Vec<u8>,
        ttl: Option<Ttl>,
    ) -> BoxFuture<'a, Result<(), KvError>>;
    /// Whether `key` holds a value (and has not expired).
    fn has<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>>;
    /// Remove `key`; whether it held a value (an expired one does not count).
    fn delete<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>>;
}

/// Why a store operation failed; each is the error kind Lua sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The request is wrong: a bad key, time to live or value.
    #[error("{0}")]
    Invalid(String),
    /// The store cannot take it now: full, or its backend is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// The backend failed in a way that is luabox's or the backend's fault.
    #[error("{0}")]
    Internal(String),
}

impl KvError {
    /// The `errors` kind of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            KvError::Invalid(_) => ErrorKind::Invalid,
            KvError::Unavailable(_) => ErrorKind::Unavailable,
            KvError::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// A store key: UTF-8 text of 1 to [`MAX_KEY_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    pub fn new(key: impl Into<String>) -> Result<Key, KvError> {
        let key = key.into();
        if key.is_empty() {
            return Err(KvError::Invalid("the key is empty".into()));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(KvError::Invalid(format!(
                "the key is {} bytes long; the longest is {MAX_KEY_LEN}",
                key.len()
            )));
        }
        Ok(Key(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a value lives: more than zero, at most [`MAX_TTL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ttl(Duration);

impl Ttl {
    /// A time to live of `seconds` (fractions allowed).
    pub fn from_secs(seconds: f64) -> Result<Ttl, KvError> {
        let invalid = || {
            KvError::Invalid(format!(
                "the ttl must be a positive number of seconds (at most {}), got {seconds}",
                MAX_TTL.as_secs()
            ))
        };
        let ttl = Duration::try_from_secs_f64(seconds).map_err(|_| invalid())?;
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(invalid());
        }
        Ok(Ttl(ttl))
    }

    pub fn duration(self) -> Duration {
        self.0
    }
}

/// The stores of an app by entry id, each built once when the app loads.
#[derive(Default)]
pub struct Stores {
    stores: HashMap<EntryId, Opened>,
}

/// A store entry's backend, or why it cannot be opened.
enum Opened {
    Ready(Arc<dyn KvStore>),
    Unavailable(String),
}

/// Why [`Stores::open`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// No store entry has that id.
    NotFound,
    /// The entry exists but its backend cannot be used.
    Unavailable(String),
}

impl Stores {
    /// A backend for every store entry among `entries` (`store.sql` ones on the app's
    /// `databases`). Stores start their sweeping task on the current tokio runtime (when there
    /// is none, expired keys are only dropped as they are met).
    pub fn new(entries: &[config::Entry], databases: &crate::sql::Databases) -> Stores {
        let stores = entries
            .iter()
            .filter_map(|entry| match &entry.spec {
                Spec::Store(store) => {
                    Some((entry.id.clone(), backend(&entry.id, store, databases)))
                }
                _ => None,
            })
            .collect();
        Stores { stores }
    }

    /// The backend of store entry `id`.
    pub fn open(&self, id: &EntryId) -> Result<Arc<dyn KvStore>, OpenError> {
        match self.stores.get(id) {
            None => Err(OpenError::NotFound),
            Some(Opened::Ready(store)) => Ok(store.clone()),
            Some(Opened::Unavailable(why)) => Err(OpenError::Unavailable(why.clone())),
        }
    }
}

/// The backend of store entry `id`: one arm per `store.*` kind.
fn backend(id: &EntryId, store: &Store, databases: &crate::sql::Databases) -> Opened {
    match &store.backend {
        StoreBackend::Memory { max_size } => Opened::Ready(memory::MemoryStore::new(
            &id.to_string(),
            *max_size,
            store.cleanup_interval,
        )),
        StoreBackend::Sql(names) => match databases.get(&names.database) {
            Some(database) => Opened::Ready(sql::SqlKvStore::new(
                &id.to_string(),
                database.clone(),
                names,
                store.cleanup_interval,
            )),
            None => Opened::Unavailable(format!(
                "store '{id}': its database '{}' is not open",
                names.database
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ttls_are_checked() {
        assert_eq!(Key::new("a").unwrap().as_str(), "a");
        assert!(Key::new("x".repeat(MAX_KEY_LEN)).is_ok());
        let long = Key::new("x".repeat(MAX_KEY_LEN + 1)).unwrap_err();
        assert_eq!(
            long,
            KvError::Invalid("the key is 1025 bytes long; the longest is 1024".into())
        );
        assert_eq!(long.kind(), crate::error::ErrorKind::Invalid);
        assert!(Key::new("").is_err());

        assert_eq!(
            Ttl::from_secs(0.05).unwrap().duration(),
            Duration::from_millis(50)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, 1e-12] {
            assert!(Ttl::from_secs(bad).is_err(), "{bad} accepted");
        }
    }
}
