//! `wit/funcs.wit`, the `funcs` Lua module: `funcs.call(target, ...)` runs another
//! `function.lua` entry in a fresh sandbox with the callee's own modules, imports and limits.
//!
//! The import starts the call on tokio and returns a handle at once; the caller's sandbox waits
//! for it as data (DESIGN §2b). The completion holds the callee's results, or nil and an error
//! object: the callee's own error object when it returned or raised one, `Internal` for a raised
//! Lua error, `Timeout` for a deadline, `NotFound` for an unknown target (see
//! [`crate::app::CallError`]). A target without ':' is looked up in the caller's namespace.
//!
//! ```lua
//! local funcs = require("funcs")
//! local sum, err = funcs.call("app:add", 1, 2)
//! ```

use anyhow::Result;
use rmpv::Value;
use wasmtime::component::{HasSelf, Linker};

use super::HostModule;
use crate::app::CallError;
use crate::bindings::luabox::sandbox::funcs;
use crate::codec::encode_values;
use crate::config::EntryId;
use crate::engine::SandboxState;

pub(super) struct Funcs;

impl HostModule for Funcs {
    fn name(&self) -> &'static str {
        "funcs"
    }

    fn link(&self, linker: &mut Linker<SandboxState>) -> Result<()> {
        funcs::add_to_linker::<_, HasSelf<SandboxState>>(linker, |state| state)?;
        Ok(())
    }
}

impl funcs::Host for SandboxState {
    fn call(&mut self, target: String, args: Vec<u8>) -> wasmtime::Result<u64> {
        let app = self.app().cloned();
        let target = EntryId::resolve(&target, self.namespace());
        let depth = self.depth() + 1;
        Ok(self.pending().start(async move {
            let result = match (app, target) {
                (None, _) => Err(CallError::NoApp),
                (Some(_), Err(message)) => Err(CallError::BadTarget(message)),
                (Some(app), Ok(id)) => app.call(&id, args, depth).await,
            };
            match result {
                Ok(values) => values,
                Err(error) => encode_values(vec![Value::Nil, error.to_error_object().to_msgpack()]),
            }
        }))
    }

    fn cancel(&mut self, call: u64) -> wasmtime::Result<()> {
        self.pending().cancel(call);
        Ok(())
    }
}
