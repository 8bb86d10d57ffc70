//! `wit/ctx.wit`, the `ctx` Lua module (Wippy: wippyai/docs en/lua/core/context.md): the
//! request context of a call. A sandbox's context ([`Context`]) is handed to it by its caller as
//! an extension: `funcs.call` hands its own on, with the values of
//! `funcs.new():with_context{...}` over it, and so does a process spawner's `with_context`, so
//! values set at the top of a chain of calls reach every call below it.
//!
//! ```lua
//! local ctx = require("ctx")
//! local id, err = ctx.get("request_id")     -- nil, NotFound error when it was not set
//! local all = ctx.all()                     -- {request_id = ..., ...}
//! ```

use std::sync::Arc;

use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::ctx;
use crate::codec::encode_values;
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Linked in workflows: a workflow's context is fixed when it starts, so reading it is
// deterministic.
host_module!(Ctx, "ctx", ctx, Linked);

/// The context values of a sandbox, keyed by name, later keys over earlier ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context(Vec<(String, Value)>);

impl Context {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// This context with `values` set over it (a map with string keys; others are refused).
    pub fn with(&self, values: Vec<(Value, Value)>) -> Result<Context, String> {
        let mut merged = self.0.clone();
        for (key, value) in values {
            let Value::String(key) = key else {
                return Err(format!("context keys must be strings, got {key}"));
            };
            let key = key
                .into_str()
                .ok_or_else(|| "context keys must be UTF-8 text".to_owned())?;
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => merged.push((key, value)),
            }
        }
        Ok(Context(merged))
    }

    fn to_map(&self) -> Value {
        Value::Map(
            self.0
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
                .collect(),
        )
    }
}

/// The context of the sandbox `state` (empty when its caller handed it none).
pub fn of(state: &SandboxState) -> Arc<Context> {
    state.extension_arc::<Context>().unwrap_or_default()
}

impl ctx::Host for SandboxState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        if key.is_empty() {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                "ctx.get: the key must not be empty",
            )));
        }
        Ok(match of(self).get(&key) {
            Some(value) => Ok(encode_values(vec![value.clone()])),
            None => Err(host_error(
                ErrorKind::NotFound,
                format!("ctx.get: no context value '{key}'"),
            )),
        })
    }

    fn all(&mut self) -> wasmtime::Result<Vec<u8>> {
        Ok(encode_values(vec![of(self).to_map()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_win_and_keys_must_be_text() {
        let base = Context::default()
            .with(vec![(Value::from("a"), Value::from(1)), (Value::from("b"), Value::from(2))])
            .unwrap();
        let over = base.with(vec![(Value::from("a"), Value::from(9))]).unwrap();
        assert_eq!(over.get("a"), Some(&Value::from(9)));
        assert_eq!(over.get("b"), Some(&Value::from(2)));
        assert_eq!(base.get("a"), Some(&Value::from(1)));
        assert!(base.with(vec![(Value::from(1), Value::Nil)]).is_err());
    }
}
