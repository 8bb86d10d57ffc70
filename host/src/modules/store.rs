//! `wit/store.wit`, the `store` Lua module: key-value stores ([`crate::store`]) opened by entry
//! id, only those the entry grants in `resources:`.
//!
//! `open` checks the grant once and gives the sandbox a number for the opened store (kept in
//! [`Opened`], its per-sandbox state); the operations take that number, so a sandbox can reach
//! only stores it was allowed to open. An operation is polled once as it starts: a backend that
//! answers at once (memory) returns its values directly, one doing I/O becomes a pending
//! operation the sandbox waits on (docs/architecture.md §3).
//!
//! Error kinds: `Invalid` (a bad id, key, ttl or value, a value over the sandbox's
//! `max_payload`, a released store), `NotFound` (no such store entry, a missing or expired key),
//! `PermissionDenied` (a store not in `resources:`), `Unavailable` (a full store, a backend that
//! cannot be used), `Internal`.
//!
//! ```lua
//! local store = require("store")
//! local cache, err = store.get("cache")
//! cache:set("user:1", {name = "ada"}, 60)
//! ```

use super::AppSandbox;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::store::{self, Outcome};
use crate::codec::{ErrorObject, encode_values};
use crate::config::{EntryId, Spec};
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::store::{Key, KvError, KvStore, OpenError, Ttl, value};

host_module!(Store, "store", store);

/// The most stores one sandbox may hold open at once (the Lua face releases a store object
/// that is garbage-collected, so only live objects count).
pub const MAX_OPEN: usize = 1024;

/// The stores a sandbox has opened, by the number it was given.
#[derive(Default)]
struct Opened {
    last: u32,
    stores: HashMap<u32, Open>,
}

#[derive(Clone)]
struct Open {
    id: Arc<str>,
    backend: Arc<dyn KvStore>,
}

impl store::Host for SandboxState {
    fn open(&mut self, id: String) -> wasmtime::Result<Result<(u32, String), HostError>> {
        let open = match self.open_store(&id) {
            Ok(open) => open,
            Err(error) => return Ok(Err(error)),
        };
        let opened = self.module_state::<Opened>();
        if opened.stores.len() >= MAX_OPEN {
            return Ok(Err(host_error(
                ErrorKind::Unavailable,
                format!(
                    "store.get: this sandbox has {MAX_OPEN} stores open; release some with \
                     s:release()"
                ),
            )));
        }
        // Numbers are not reused while the sandbox lives (4 billion opens would take hours).
        let Some(number) = opened.last.checked_add(1) else {
            return Ok(Err(host_error(
                ErrorKind::Unavailable,
                "store.get: this sandbox has opened too many stores",
            )));
        };
        opened.last = number;
        let id = open.id.to_string();
        opened.stores.insert(number, open);
        Ok(Ok((number, id)))
    }

    fn get(&mut self, store: u32, key: String) -> wasmtime::Result<Result<Outcome, HostError>> {
        let max_payload = self.max_payload() as usize;
        self.operate(store, key, move |open, key| async move {
            match open.backend.get(&key).await {
                Ok(Some(stored)) if stored.len() >= max_payload => failure(
                    ErrorKind::Invalid,
                    format!(
                        "store '{}': the value of key '{key}' is {} bytes, more than this \
                         sandbox's max_payload ({max_payload})",
                        open.id,
                        stored.len()
                    ),
                ),
                Ok(Some(stored)) => value::to_payload(&stored),
                Ok(None) => failure(
                    ErrorKind::NotFound,
                    format!("store '{}' has no key '{key}'", open.id),
                ),
                Err(error) => kv_failure(&open, error),
            }
        })
    }

    fn set(
        &mut self,
        store: u32,
        key: String,
        payload: Vec<u8>,
        ttl: Option<f64>,
    ) -> wasmtime::Result<Result<Outcome, HostError>> {
        if payload.len() > self.max_payload() as usize {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                format!(
                    "store: the value is {} bytes, more than this sandbox's max_payload ({})",
                    payload.len(),
                    self.max_payload()
                ),
            )));
        }
        let Some(stored) = value::from_payload(&payload).map(<[u8]>::to_vec) else {
            return Ok(Err(host_error(
                ErrorKind::Internal,
                "store: the sandbox sent a value that is not one MessagePack value",
            )));
        };
        let ttl = match ttl.map(Ttl::from_secs).transpose() {
            Ok(ttl) => ttl,
            Err(error) => return Ok(Err(host_error(error.kind(), format!("store: {error}")))),
        };
        self.operate(store, key, move |open, key| async move {
            match open.backend.set(&key, stored, ttl).await {
                Ok(()) => encode_values(vec![Value::Boolean(true)]),
                Err(error) => kv_failure(&open, error),
            }
        })
    }

    fn has(&mut self, store: u32, key: String) -> wasmtime::Result<Result<Outcome, HostError>> {
        self.operate(store, key, |open, key| async move {
            match open.backend.has(&key).await {
                Ok(held) => encode_values(vec![Value::Boolean(held)]),
                Err(error) => kv_failure(&open, error),
            }
        })
    }

    fn delete(&mut self, store: u32, key: String) -> wasmtime::Result<Result<Outcome, HostError>> {
        self.operate(store, key, |open, key| async move {
            match open.backend.delete(&key).await {
                Ok(held) => encode_values(vec![Value::Boolean(held)]),
                Err(error) => kv_failure(&open, error),
            }
        })
    }

    fn release(&mut self, store: u32) -> wasmtime::Result<()> {
        self.module_state::<Opened>().stores.remove(&store);
        Ok(())
    }
}

impl SandboxState {
    /// The backend of store entry `reference`, if this sandbox may open it.
    fn open_store(&self, reference: &str) -> Result<Open, HostError> {
        let id = EntryId::resolve(reference, self.namespace()).map_err(|error| {
            host_error(
                ErrorKind::Invalid,
                format!("store.get: invalid store id '{reference}': {error}"),
            )
        })?;
        let app = self.app().ok_or_else(|| super::no_app("store.get", "registry"))?;
        match app
            .registry()
            .get(&id)
            .map(|entry| (&entry.spec, &entry.kind))
        {
            None => {
                return Err(host_error(
                    ErrorKind::NotFound,
                    format!("store.get: no entry '{id}' in the registry"),
                ));
            }
            Some((Spec::Store(_), _)) => {}
            Some((_, kind)) => {
                return Err(host_error(
                    ErrorKind::NotFound,
                    format!("store.get: '{id}' is a {kind}, not a store"),
                ));
            }
        }
        super::check_granted(self, "store.get", "store", &id)?;
        match app.stores().open(&id) {
            Ok(backend) => Ok(Open {
                id: id.to_string().into(),
                backend,
            }),
            Err(OpenError::NotFound) => Err(host_error(
                ErrorKind::Internal,
                format!("store.get: store '{id}' has no backend"),
            )),
            Err(OpenError::Unavailable(why)) => Err(host_error(
                ErrorKind::Unavailable,
                format!("store.get: store '{id}': {why}"),
            )),
        }
    }

    /// Check the store number and the key, then run `operation` on them: its values at once if
    /// it completes when first polled, otherwise as a pending operation.
    fn operate<F>(
        &mut self,
        store: u32,
        key: String,
        operation: impl FnOnce(Open, Key) -> F,
    ) -> wasmtime::Result<Result<Outcome, HostError>>
    where
        F: Future<Output = Vec<u8>> + Send + 'static,
    {
        let Some(open) = self.module_state::<Opened>().stores.get(&store).cloned() else {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                "store: this store was released (store.get opens it again)",
            )));
        };
        let key = match Key::new(key) {
            Ok(key) => key,
            Err(error) => {
                let message = format!("store '{}': {error}", open.id);
                return Ok(Err(host_error(error.kind(), message)));
            }
        };
        let mut running = Box::pin(operation(open, key));
        Ok(Ok(match (&mut running).now_or_never() {
            Some(values) => Outcome::Done(values),
            None => Outcome::Started(self.pending().start(running)?),
        }))
    }
}

/// The values of a failed operation: nil and an error object.
fn failure(kind: ErrorKind, message: String) -> Vec<u8> {
    encode_values(vec![
        Value::Nil,
        ErrorObject::new(kind, message).to_msgpack(),
    ])
}

fn kv_failure(open: &Open, error: KvError) -> Vec<u8> {
    let message = error.to_string();
    // Backends name the store themselves where it helps; add it where they did not.
    let message = if message.contains(&*open.id) {
        message
    } else {
        format!("store '{}': {message}", open.id)
    };
    failure(error.kind(), message)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::bindings::luabox::sandbox::store::Host;
    use crate::codec::decode_values;
    use crate::engine::{Extensions, Limits};
    use crate::store::memory::MemoryStore;

    /// A backend that answers after a delay, as one doing I/O would.
    struct Slow;

    impl KvStore for Slow {
        fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok((key.as_str() == "here").then(|| vec![0x07]))
            })
        }
        fn set<'a>(
            &'a self,
            _: &'a Key,
            _: Vec<u8>,
            _: Option<Ttl>,
        ) -> BoxFuture<'a, Result<(), KvError>> {
            Box::pin(async { Err(KvError::Unavailable("the database is down".into())) })
        }
        fn has<'a>(&'a self, _: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
            Box::pin(async { Ok(true) })
        }
        fn delete<'a>(&'a self, _: &'a Key) -> BoxFuture<'a, Result<bool, KvError>> {
            Box::pin(async { Ok(false) })
        }
    }

    /// A sandbox's state with `backend` opened as store number 1.
    fn sandbox(backend: Arc<dyn KvStore>) -> wasmtime::Store<SandboxState> {
        let limits = Limits {
            max_payload: 64,
            ..Limits::default()
        };
        let engine = wasmtime::Engine::default();
        let mut store = SandboxState::store(&engine, "app:main", &limits, Extensions::default());
        let opened = store.data_mut().module_state::<Opened>();
        opened.last = 1;
        opened.stores.insert(
            1,
            Open {
                id: "app:kv".into(),
                backend,
            },
        );
        store
    }

    fn shown(values: &[u8]) -> String {
        decode_values(values)
            .unwrap()
            .iter()
            .map(|value| match ErrorObject::from_msgpack(value) {
                Some(error) => format!("{}: {}", error.kind, error.message),
                None => value.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn done(outcome: Result<Outcome, HostError>) -> String {
        match outcome {
            Ok(Outcome::Done(values)) => shown(&values),
            Ok(Outcome::Started(_)) => panic!("started, expected done"),
            Err(error) => format!("{}: {}", error.kind, error.message),
        }
    }

    #[tokio::test]
    async fn a_backend_that_waits_becomes_a_pending_operation() {
        let mut store = sandbox(Arc::new(Slow));
        let state = store.data_mut();
        let Ok(Outcome::Started(handle)) = state.get(1, "here".into()).unwrap() else {
            panic!("a slow get should start a pending operation")
        };
        let batch = state.pending().next_batch().await;
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].handle, handle);
        assert_eq!(shown(&batch[0].values), "7");
        // Backends that answer at once are done at once, errors named with the store.
        let failed = state.set(1, "k".into(), vec![0x91, 0x01], None).unwrap();
        assert_eq!(
            done(failed),
            "nil, Unavailable: store 'app:kv': the database is down"
        );
        assert!(state.pending().is_empty());
    }

    #[tokio::test]
    async fn operations_check_the_number_the_key_the_value_and_the_ttl() {
        let memory: Arc<dyn KvStore> = MemoryStore::new("app:kv", 10, Duration::from_secs(60));
        // Stored by a sandbox with a larger max_payload: too large for this one to read.
        let wide = Key::new("wide").unwrap();
        memory.set(&wide, vec![0xc0; 100], None).await.unwrap();
        let mut store = sandbox(memory);
        let state = store.data_mut();
        let set = |state: &mut SandboxState, payload: Vec<u8>, ttl| {
            done(state.set(1, "k".into(), payload, ttl).unwrap())
        };
        assert_eq!(set(state, vec![0x91, 0x2a], Some(0.5)), "true");
        assert_eq!(done(state.get(1, "k".into()).unwrap()), "42");
        assert_eq!(
            done(state.get(1, "nope".into()).unwrap()),
            "nil, NotFound: store 'app:kv' has no key 'nope'"
        );
        assert_eq!(
            done(state.get(2, "k".into()).unwrap()),
            "Invalid: store: this store was released (store.get opens it again)"
        );
        assert_eq!(
            done(state.has(1, String::new()).unwrap()),
            "Invalid: store 'app:kv': the key is empty"
        );
        assert!(set(state, vec![0x92, 0x01, 0x02], None).starts_with("Internal"));
        assert!(set(state, vec![0x91, 0xc1], None).starts_with("Internal"));
        assert!(set(state, vec![0x91, 0x01], Some(-1.0)).starts_with("Invalid: store: the ttl"));
        let mut big = vec![0x91, 0xc4, 70];
        big.extend([0; 70]);
        assert!(
            set(state, big, None).contains("more than this sandbox's max_payload (64)"),
            "the payload limit"
        );
        assert_eq!(
            done(state.get(1, "wide".into()).unwrap()),
            "nil, Invalid: store 'app:kv': the value of key 'wide' is 100 bytes, more than this \
             sandbox's max_payload (64)"
        );
        assert_eq!(done(state.delete(1, "k".into()).unwrap()), "true");
        state.release(1).unwrap();
        state.release(1).unwrap();
        assert!(done(state.has(1, "k".into()).unwrap()).contains("released"));
    }
}
