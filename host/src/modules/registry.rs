//! `wit/registry.wit`, the `registry` Lua module: `registry.get(id)` and `registry.find(filter)`
//! over the app's entries, each as `{id, kind, meta, data}`. Filters are those of
//! [`crate::registry::Filter`]: `.kind`/`.ns`/`.name`/`.id`, `meta.*` with globs and operator
//! prefixes, and the plain keys of docs/architecture.md §6 (`{type = "test"}` matches `meta.type`).
//!
//! ```lua
//! local registry = require("registry")
//! local entry, err = registry.get("app:hello")
//! local tests = registry.find({type = "test", [".kind"] = "function.lua"})
//! ```

use super::AppSandbox;
use super::{host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::registry;
use crate::codec::{encode_values, json_to_msgpack, table_to_json};
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::registry::{Filter, entry_to_json};

host_module!(Registry, "registry", registry);

impl registry::Host for SandboxState {
    fn get(&mut self, id: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("registry.get")));
        };
        let id = match EntryId::resolve(&id, self.namespace()) {
            Ok(id) => id,
            Err(message) => return Ok(Err(host_error(ErrorKind::Invalid, message))),
        };
        Ok(match app.registry().get(&id) {
            Some(entry) => Ok(encode_values(vec![json_to_msgpack(&entry_to_json(entry))])),
            None => Err(host_error(
                ErrorKind::NotFound,
                format!("no entry '{id}' in the registry"),
            )),
        })
    }

    fn find(&mut self, filter: Vec<u8>) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("registry.find")));
        };
        let filter = match one_value(&filter) {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        };
        let filter = match table_to_json(&filter) {
            Some(map) => Filter::from_json(&map),
            None => Err("registry.find expects a table of filters".to_owned()),
        };
        let filter = match filter {
            Ok(filter) => filter,
            Err(message) => return Ok(Err(host_error(ErrorKind::Invalid, message))),
        };
        let entries = app
            .registry()
            .find(&filter)
            .into_iter()
            .map(|entry| json_to_msgpack(&entry_to_json(entry)))
            .collect();
        Ok(Ok(encode_values(vec![rmpv::Value::Array(entries)])))
    }
}
