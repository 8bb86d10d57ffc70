//! `wit/env.wit`, the `env` Lua module: the values of the app's `env.variable` entries, kept in
//! their `env.storage.*` entries. Glue over [`crate::env::AppEnv`], which holds the rules.
//!
//! A sandbox sees no OS environment of its own: only declared variables, by public name or
//! entry id. `env.set` stores at once in memory and os storages; in a file storage it starts a
//! pending operation that writes the file durably off the async threads, and the Lua call
//! returns once the write is on disk (docs/architecture.md §3).
//!
//! ```lua
//! local env = require("env")
//! local url, err = env.get("DATABASE_URL")
//! local ok, err = env.set("LAST_RUN", os.date("!%Y-%m-%dT%H:%M:%SZ"))
//! ```

use super::AppSandbox;
use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::env;
use crate::codec::{ErrorObject, encode_values};
use crate::engine::SandboxState;
use crate::env::EnvError;
use crate::error::ErrorKind;

host_module!(Env, "env", env);

impl env::Host for SandboxState {
    fn get(&mut self, name: Vec<u8>) -> wasmtime::Result<Result<String, HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("env.get", "registry")));
        };
        Ok(text("name", name)
            .and_then(|name| app.env().get(&name, self.namespace()))
            .map_err(to_host))
    }

    fn set(
        &mut self,
        name: Vec<u8>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<Option<u64>, HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("env.set", "registry")));
        };
        let write = text("name", name).and_then(|name| {
            let value = text("value", value)?;
            app.env().prepare_set(&name, self.namespace(), value)
        });
        let write = match write {
            Ok(write) => write,
            Err(error) => return Ok(Err(to_host(error))),
        };
        if !write.blocks() {
            return Ok(write.apply().map(|()| None).map_err(to_host));
        }
        let operation = async move {
            let outcome = tokio::task::spawn_blocking(move || write.apply())
                .await
                .unwrap_or_else(|error| {
                    Err(EnvError::new(
                        ErrorKind::Internal,
                        format!("env.set: the write stopped: {error}"),
                    ))
                });
            match outcome {
                Ok(()) => encode_values(vec![Value::Boolean(true)]),
                Err(error) => encode_values(vec![
                    Value::Nil,
                    ErrorObject::new(error.kind, error.message).to_msgpack(),
                ]),
            }
        };
        Ok(Ok(Some(self.pending().start(operation)?)))
    }

    fn get_all(&mut self) -> wasmtime::Result<Vec<u8>> {
        let values = self.app().map(|app| app.env().all()).unwrap_or_default();
        let map = values
            .into_iter()
            .map(|(k, v)| (Value::from(k), Value::from(v)))
            .collect();
        Ok(encode_values(vec![Value::Map(map)]))
    }
}

/// A name or value from Lua, which must be UTF-8 text.
fn text(what: &str, bytes: Vec<u8>) -> Result<String, EnvError> {
    String::from_utf8(bytes).map_err(|_| {
        EnvError::new(
            ErrorKind::Invalid,
            format!("env: the {what} is not UTF-8 text"),
        )
    })
}

fn to_host(error: EnvError) -> HostError {
    host_error(error.kind, error.message)
}
