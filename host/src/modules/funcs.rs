//! `wit/funcs.wit`, the `funcs` Lua module: `funcs.call(target, ...)` runs another
//! `function.lua` entry in a fresh sandbox with the callee's own modules, imports and limits.
//!
//! The import starts the call and returns a handle at once; the caller's sandbox waits for it as
//! data (DESIGN §2b). The callee runs as one of the caller's pending operations, on the caller's
//! tokio task: measured here, spawning it as a task of its own doubled a call's latency (a
//! cross-thread wake-up per call) and did not raise the throughput of concurrent calls. If the
//! caller stops waiting (it ended, hit its deadline, or cancelled the future), the callee's run is
//! dropped with its sandbox. The completion holds the callee's results, or nil and an error
//! object: the callee's own error object when it returned or raised one, `Internal` for a raised
//! Lua error, `Timeout` for a deadline, `NotFound` for an unknown target (see
//! [`crate::app::CallError`]). A target without ':' is looked up in the caller's namespace.
//!
//! ```lua
//! local funcs = require("funcs")
//! local sum, err = funcs.call("app:add", 1, 2)
//! ```

use rmpv::Value;

use crate::app::CallError;
use crate::bindings::luabox::sandbox::funcs;
use crate::codec::encode_values;
use crate::config::EntryId;
use crate::engine::SandboxState;

host_module!(Funcs, "funcs", funcs);

impl funcs::Host for SandboxState {
    fn call(&mut self, target: String, args: Vec<u8>) -> wasmtime::Result<u64> {
        let app = self.app().cloned();
        let target = EntryId::resolve(&target, self.namespace());
        let depth = self.depth() + 1;
        let call = async move {
            let result = match (app, target) {
                (None, _) => Err(CallError::NoApp),
                (Some(_), Err(message)) => Err(CallError::BadTarget(message)),
                (Some(app), Ok(id)) => app.call(&id, args, depth).await,
            };
            match result {
                Ok(values) => values,
                Err(error) => encode_values(vec![Value::Nil, error.to_error_object().to_msgpack()]),
            }
        };
        Ok(self.pending().start(call))
    }

    fn cancel(&mut self, call: u64) -> wasmtime::Result<()> {
        self.pending().cancel(call);
        Ok(())
    }
}
