//! Where variable values live: the [`Storage`] trait and its in-process backends, the host
//! environment with an overlay ([`OsStorage`]) and memory ([`MemoryStorage`]); the file backend
//! is [`super::file::FileStorage`].
//!
//! `env.storage.os` never changes the real process environment. luabox is a multi-threaded host
//! (tokio workers, wasmtime, the C library's own readers of `environ`), and changing the
//! environment while another thread reads it is undefined behaviour in C, which is why
//! `std::env::set_var` is `unsafe` in Rust 2024. Writes go to an overlay that this storage
//! keeps, and its reads see the overlay first; the overlay lives as long as the app.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use super::EnvError;

/// One `env.storage.*` entry at run time. Names are the variables' public names.
pub trait Storage: Send + Sync {
    /// The stored value of `name`, if any.
    fn get(&self, name: &str) -> Option<String>;
    /// Store `value` under `name`; once this returns `Ok`, a read sees it (and, for a file, it
    /// survives a crash).
    fn set(&self, name: &str, value: &str) -> Result<(), EnvError>;
    /// Whether [`Storage::set`] waits on the disk, so the caller runs it off the async threads.
    fn blocks(&self) -> bool {
        false
    }
    /// Why `value` cannot be stored here, if it cannot (checked before a write starts).
    fn refuses(&self, value: &str) -> Option<String> {
        value
            .contains('\0')
            .then(|| "a value may not contain a NUL character".to_owned())
    }
}

/// `env.storage.os`: the host's environment, under an overlay of the values set through luabox.
#[derive(Default)]
pub struct OsStorage {
    overlay: RwLock<HashMap<String, String>>,
}

impl Storage for OsStorage {
    fn get(&self, name: &str) -> Option<String> {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        match overlay.get(name) {
            Some(value) => Some(value.clone()),
            None => std::env::var(name).ok(),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), EnvError> {
        let mut overlay = self.overlay.write().unwrap_or_else(|e| e.into_inner());
        overlay.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}

/// `env.storage.memory`: values kept for the app's life, starting from the entry's `values`.
pub struct MemoryStorage {
    values: RwLock<BTreeMap<String, String>>,
}

impl MemoryStorage {
    pub fn new(values: BTreeMap<String, String>) -> MemoryStorage {
        MemoryStorage {
            values: RwLock::new(values),
        }
    }
}

impl Storage for MemoryStorage {
    fn get(&self, name: &str) -> Option<String> {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        values.get(name).cloned()
    }

    fn set(&self, name: &str, value: &str) -> Result<(), EnvError> {
        let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
        values.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}
