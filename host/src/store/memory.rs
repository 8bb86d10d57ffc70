//! `store.memory`: a key-value map in this process, shared by every sandbox that opens the entry
//! and gone when the app stops.
//!
//! It holds at most `max_size` live keys. Setting a new key in a full store fails with an
//! `Unavailable` error naming the store and its `max_size`: nothing a sandbox stored is ever
//! evicted to make room (a cache that silently drops data would be a surprise; one that refuses
//! is visible). Overwriting a key that is there always works, and expired keys do not count.
//!
//! Expiry is exact: every operation first drops the keys whose time has come (they are kept in
//! an index by expiry time, so that costs nothing when none has), and a task wakes every
//! `cleanup_interval` to do the same for a store nobody touches, so their memory is freed. The
//! task ends when the store is dropped with its app.
//!
//! ```
//! # async fn demo() -> Result<(), luabox::store::KvError> {
//! use std::time::Duration;
//! use luabox::store::{Key, KvStore, memory::MemoryStore};
//! let store = MemoryStore::new("app:cache", 1, Duration::from_secs(300));
//! store.set(&Key::new("a")?, vec![0x01], None).await?;
//! assert!(store.set(&Key::new("b")?, vec![0x02], None).await.is_err()); // full
//! # Ok(()) }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::{Key, KvError, KvStore, Ttl};

pub struct MemoryStore {
    /// The entry id, for messages.
    name: String,
    max_size: u32,
    table: Mutex<Table>,
    /// Dropped with the store, which ends its sweeping task.
    _stop: Option<oneshot::Sender<()>>,
}

impl MemoryStore {
    /// A store for entry `name` holding at most `max_size` keys, swept every `cleanup_interval`
    /// by a task on the current tokio runtime (none when there is no runtime).
    pub fn new(name: &str, max_size: u32, cleanup_interval: Duration) -> Arc<MemoryStore> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let (stop, stopped) = match runtime {
            Some(_) => {
                let (stop, stopped) = oneshot::channel();
                (Some(stop), Some(stopped))
            }
            None => (None, None),
        };
        let store = Arc::new(MemoryStore {
            name: name.to_owned(),
            max_size,
            table: Mutex::new(Table::default()),
            _stop: stop,
        });
        if let (Some(runtime), Some(stopped)) = (runtime, stopped) {
            runtime.spawn(sweep(Arc::downgrade(&store), cleanup_interval, stopped));
        }
        store
    }

    /// How many keys the store holds, expired ones not yet dropped included.
    /// (What the sweep frees: reading it does not expire anything.)
    pub fn held(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    /// The table, with the keys expired by now dropped.
    fn table(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent if a holder panicked (no operation panics midway), so a
        // poisoned lock is used as it is.
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.expire(Instant::now());
        table
    }

    fn set_now(&self, key: &Key, value: Vec<u8>, ttl: Option<Ttl>) -> Result<(), KvError> {
        let now = Instant::now();
        let expires = match ttl {
            None => None,
            Some(ttl) => Some(now.checked_add(ttl.duration()).ok_or_else(|| {
                KvError::Invalid(format!("store '{}': the ttl is too long", self.name))
            })?),
        };
        let mut table = self.table();
        if !table.entries.contains_key(key) && table.entries.len() >= self.max_size as usize {
            return Err(KvError::Unavailable(format!(
                "store '{}' is full: it holds {} keys, its max_size; delete keys or let them \
                 expire, or raise max_size (nothing is evicted to make room)",
                self.name, self.max_size
            )));
        }
        table.insert(key.clone(), value, expires);
        Ok(())
    }
}

impl KvStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
        let value = self.table().entries.get(key).map(|slot| slot.value.clone());
        futures::future::ready(Ok(value)).boxed()
    }

    fn set<'a>(
        &'a self,
        key: &'a Key,
        value: Vec<u8>,
        ttl: Option<Ttl>,
    ) -> BoxFuture<'a, Result<(), KvError>> {
        futures::future::ready(self.set_now(key, value, ttl)).boxed()
    }

    fn has<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
        let held = self.table().entries.contains_key(key);
        futures::future::ready(Ok(held)).boxed()
    }

    fn delete<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
        let removed = self.table().remove(key);
        futures::future::ready(Ok(removed)).boxed()
    }
}

/// Drop the expired keys of `store` every `every`, until the store is dropped.
async fn sweep(store: Weak<MemoryStore>, every: Duration, mut stopped: oneshot::Receiver<()>) {
    let start = tokio::time::Instant::now() + every;
    let mut ticks = tokio::time::interval_at(start, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        let Some(store) = store.upgrade() else { return };
        drop(store.table());
    }
}

/// The keys and their values, with an index of the keys that expire.
#[derive(Default)]
struct Table {
    entries: HashMap<Key, Slot>,
    /// `(when, key)` for every entry that has an expiry time.
    expiries: BTreeSet<(Instant, Key)>,
}

struct Slot {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Table {
    /// Drop every key whose expiry time is `now` or earlier.
    fn expire(&mut self, now: Instant) {
        while let Some((when, _)) = self.expiries.first()
            && *when <= now
        {
            if let Some((_, key)) = self.expiries.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    fn insert(&mut self, key: Key, value: Vec<u8>, expires: Option<Instant>) {
        if let Some(when) = expires {
            self.expiries.insert((when, key.clone()));
        }
        let old = self.entries.insert(key.clone(), Slot { value, expires });
        if let Some(when) = old.and_then(|slot| slot.expires) {
            self.expiries.remove(&(when, key));
        }
    }

    fn remove(&mut self, key: &Key) -> bool {
        match self.entries.remove(key) {
            None => false,
            Some(slot) => {
                if let Some(when) = slot.expires {
                    self.expiries.remove(&(when, key.clone()));
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Key {
        Key::new(k).unwrap()
    }

    #[test]
    fn the_table_expires_exactly_and_reindexes_overwrites() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut table = Table::default();
        table.insert(key("a"), vec![1], Some(at(10)));
        table.insert(key("b"), vec![2], None);
        // Overwriting with a later expiry moves the key in the index.
        table.insert(key("c"), vec![3], Some(at(5)));
        table.insert(key("c"), vec![4], Some(at(20)));
        table.expire(at(9));
        assert_eq!(table.entries.len(), 3);
        table.expire(at(10));
        assert!(
            !table.entries.contains_key(&key("a")),
            "expired at its instant"
        );
        table.expire(at(19));
        assert_eq!(table.entries[&key("c")].value, vec![4]);
        // Overwriting without a ttl removes the expiry.
        table.insert(key("c"), vec![5], None);
        table.expire(at(1_000));
        assert_eq!(table.entries.len(), 2);
        assert!(table.expiries.is_empty());
        assert!(table.remove(&key("c")) && !table.remove(&key("c")));
    }

    #[tokio::test]
    async fn operations_follow_the_trait() {
        let store = MemoryStore::new("app:cache", 10, Duration::from_secs(300));
        let (a, b) = (key("a"), key("b"));
        assert_eq!(store.get(&a).await, Ok(None));
        store.set(&a, vec![0x01], None).await.unwrap();
        assert_eq!(store.get(&a).await, Ok(Some(vec![0x01])));
        store.set(&a, vec![0x02], None).await.unwrap();
        assert_eq!(store.get(&a).await, Ok(Some(vec![0x02])));
        assert_eq!(store.has(&a).await, Ok(true));
        assert_eq!(store.has(&b).await, Ok(false));
        assert_eq!(store.delete(&a).await, Ok(true));
        assert_eq!(store.delete(&a).await, Ok(false));
        assert_eq!(store.has(&a).await, Ok(false));
    }

    #[tokio::test]
    async fn a_full_store_refuses_new_keys_but_not_overwrites_or_after_expiry() {
        let store = MemoryStore::new("app:small", 2, Duration::from_secs(300));
        let short = Some(Ttl::from_secs(0.03).unwrap());
        store.set(&key("a"), vec![1], None).await.unwrap();
        store.set(&key("b"), vec![2], short).await.unwrap();
        let full = store.set(&key("c"), vec![3], None).await.unwrap_err();
        assert_eq!(full.kind(), crate::error::ErrorKind::Unavailable);
        assert!(
            full.to_string()
                .starts_with("store 'app:small' is full: it holds 2 keys, its max_size"),
            "{full}"
        );
        store.set(&key("a"), vec![9], None).await.unwrap();
        assert_eq!(store.get(&key("a")).await, Ok(Some(vec![9])));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(store.has(&key("b")).await, Ok(false), "expired");
        store.set(&key("c"), vec![3], None).await.unwrap();
        assert_eq!(store.delete(&key("b")).await, Ok(false));
    }

    #[tokio::test]
    async fn the_sweep_frees_expired_keys_and_ends_with_the_store() {
        let store = MemoryStore::new("app:swept", 100, Duration::from_millis(20));
        let ttl = Some(Ttl::from_secs(0.01).unwrap());
        for k in ["a", "b", "c"] {
            store.set(&key(k), vec![1], ttl).await.unwrap();
        }
        store.set(&key("kept"), vec![1], None).await.unwrap();
        assert_eq!(store.held(), 4);
        let weak = Arc::downgrade(&store);
        let tasks = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        assert_eq!(tasks(), 1, "the sweeping task");
        let deadline = Instant::now() + Duration::from_secs(5);
        while store.held() != 1 {
            assert!(Instant::now() < deadline, "the sweep never ran");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(store);
        assert!(
            weak.upgrade().is_none(),
            "the sweeping task holds no strong reference"
        );
        while tasks() != 0 {
            assert!(
                Instant::now() < deadline,
                "the sweeping task outlived its store"
            );
            tokio::task::yield_now().await;
        }
    }
}
