//! `wit/env.wit`, the `env` Lua module: the values of the app's `env.variable` entries.
//!
//! A sandbox sees no OS environment of its own. A variable is declared by an `env.variable` entry
//! (`variable: NAME`, optional `default:`); if it names an `env.storage.os` storage, the value is
//! read from the host's OS environment variable of that name, falling back to the default.
//! `env.get` accepts the public name or the entry id; an undeclared or unset name is `NotFound`.
//!
//! ```lua
//! local env = require("env")
//! local url, err = env.get("DATABASE_URL")
//! ```

use std::collections::BTreeMap;

use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::env;
use crate::config::{EntryId, EnvVariable, Spec};
use crate::engine::SandboxState;
use crate::registry::Registry;

host_module!(Env, "env", env);

impl env::Host for SandboxState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, HostError>> {
        let Some(app) = self.app() else {
            return Ok(Err(super::no_app("env.get")));
        };
        let by_id = EntryId::resolve(&name, self.namespace()).ok();
        let declared = variables(app.registry())
            .find(|(id, variable)| variable.variable == name || Some(*id) == by_id.as_ref());
        Ok(match declared {
            None => Err(host_error(
                "NotFound",
                format!("env: no env.variable entry declares '{name}'"),
            )),
            Some((_, variable)) => value_of(variable).ok_or_else(|| {
                host_error(
                    "NotFound",
                    format!("env: variable '{name}' is not set and has no default"),
                )
            }),
        })
    }

    fn get_all(&mut self) -> wasmtime::Result<Vec<u8>> {
        let values: BTreeMap<String, String> = match self.app() {
            Some(app) => variables(app.registry())
                .filter_map(|(_, variable)| Some((variable.variable.clone(), value_of(variable)?)))
                .collect(),
            None => BTreeMap::new(),
        };
        let map = values
            .into_iter()
            .map(|(k, v)| (Value::from(k), Value::from(v)))
            .collect();
        Ok(crate::codec::encode_values(vec![Value::Map(map)]))
    }
}

fn variables(registry: &Registry) -> impl Iterator<Item = (&EntryId, &EnvVariable)> {
    registry.entries().filter_map(|entry| match &entry.spec {
        Spec::EnvVariable(variable) => Some((&entry.id, variable)),
        _ => None,
    })
}

/// An OS-backed variable reads the host environment; any variable falls back to its default.
fn value_of(variable: &EnvVariable) -> Option<String> {
    variable
        .storage
        .as_ref()
        .and_then(|_| std::env::var(&variable.variable).ok())
        .or_else(|| variable.default.clone())
}
