//! `wit/funcs.wit`, the `funcs` Lua module: `funcs.call(target, ...)` runs another
//! `function.lua` entry in a fresh sandbox with the callee's own modules, imports and limits.
//!
//! The import starts the call and returns a handle at once; the caller's sandbox waits for it as
//! data (docs/architecture.md §3). The callee runs as one of the caller's pending operations, on the caller's
//! tokio task, so it makes progress while the caller waits (on it, or on anything else); measured
//! here, spawning it as a task of its own doubled a call's latency (a
//! cross-thread wake-up per call) and did not raise the throughput of concurrent calls. If the
//! caller stops waiting (it ended, hit its deadline, or cancelled the future), the callee's run is
//! dropped with its sandbox. The completion holds the callee's results, or nil and an error
//! object: the callee's own error object when it returned or raised one, `Internal` for a raised
//! Lua error, `Timeout` for a deadline, `NotFound` for an unknown target (see
//! [`crate::error::CallError`]). A target without ':' is looked up in the caller's namespace.
//!
//! Call options (`funcs.new():with_options{...}`): `timeout`, in milliseconds or as a duration
//! string, bounds the call on top of the callee's own deadline (`Timeout` when it fires). Any
//! other option is an `Invalid` error, so a misspelt option does not pass silently.
//!
//! ```lua
//! local funcs = require("funcs")
//! local sum, err = funcs.call("app:add", 1, 2)
//! local v, err = funcs.new():with_options({timeout = 200}):call("app:slow")
//! ```

use super::AppSandbox;
use std::sync::Arc;
use std::time::Duration;

use rmpv::Value;
use serde_json::Value as JsonValue;

use crate::bindings::luabox::sandbox::funcs;
use crate::codec::{encode_values, table_to_json};
use crate::config::EntryId;
use crate::engine::{Extensions, SandboxState};
use crate::error::CallError;
use crate::units::go_duration;

host_module!(Funcs, "funcs", funcs, Recorded);

impl funcs::Host for SandboxState {
    fn call(&mut self, target: String, args: Vec<u8>, options: Vec<u8>) -> wasmtime::Result<u64> {
        let app = self.app().cloned();
        let target = EntryId::resolve(&target, self.namespace());
        let context = super::ctx::of(self);
        let options = CallOptions::parse(&options);
        let depth = self.depth() + 1;
        let call = async move {
            let result = match (app, target, options) {
                (None, _, _) => Err(CallError::NoApp),
                (Some(_), Err(message), _) | (Some(_), _, Err(message)) => {
                    Err(CallError::Invalid(message))
                }
                (Some(app), Ok(id), Ok(options)) => {
                    // The callee gets the caller's context, with_context's values over it.
                    let handed = match context.with(options.context) {
                        Ok(context) => Ok(Extensions::default().with(Arc::new(context))),
                        Err(message) => Err(CallError::Invalid(format!("funcs: {message}"))),
                    };
                    match (handed, options.timeout) {
                        (Err(error), _) => Err(error),
                        (Ok(handed), None) => app.call(id, args, depth, handed).await,
                        (Ok(handed), Some(limit)) => {
                            tokio::time::timeout(limit, app.call(id, args, depth, handed))
                                .await
                                .unwrap_or(Err(CallError::TimedOut(limit)))
                        }
                    }
                }
            };
            match result {
                Ok(values) => values,
                Err(error) => encode_values(vec![Value::Nil, error.to_error_object().to_msgpack()]),
            }
        };
        Ok(self.pending().start(call)?)
    }

    fn cancel(&mut self, call: u64) -> wasmtime::Result<()> {
        self.pending().cancel(call);
        Ok(())
    }

    fn activity(&mut self) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(self
            .extension::<crate::durable::ActivityInfo>()
            .map(|info| info.to_values()))
    }
}

/// The options of one call (`funcs.new():with_options{...}`, and `with_context`'s values).
#[derive(Debug, Default, PartialEq)]
struct CallOptions {
    timeout: Option<Duration>,
    context: Vec<(Value, Value)>,
}

impl CallOptions {
    fn parse(payload: &[u8]) -> Result<Self, String> {
        let mut parsed = CallOptions::default();
        // The context keeps its values as they are (JSON would not: bytes, integer keys).
        let options = match super::one_value(payload) {
            Ok(Value::Map(entries)) => {
                let (context, rest): (Vec<_>, Vec<_>) = entries
                    .into_iter()
                    .partition(|(key, _)| key.as_str() == Some("context"));
                match context.into_iter().next().map(|(_, value)| value) {
                    Some(Value::Map(values)) => parsed.context = values,
                    Some(Value::Array(items)) if items.is_empty() => {}
                    Some(_) => return Err("funcs: the context must be a table".to_owned()),
                    None => {}
                }
                Some(Value::Map(rest))
            }
            other => other.ok(),
        };
        let options = options
            .and_then(|value| table_to_json(&value))
            .ok_or_else(|| "funcs: call options must be a table".to_owned())?;
        for (key, value) in options {
            match key.as_str() {
                "timeout" => {
                    let timeout = match &value {
                        JsonValue::Number(ms) => match ms.as_u64() {
                            Some(ms) => Some(Duration::from_millis(ms)),
                            None => ms
                                .as_f64()
                                .filter(|ms| *ms >= 0.0 && ms.is_finite())
                                .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
                        },
                        JsonValue::String(text) => go_duration(text),
                        _ => None,
                    };
                    parsed.timeout = Some(timeout.ok_or_else(|| {
                        format!("funcs: invalid timeout {value} (milliseconds or e.g. \"1.5s\")")
                    })?);
                }
                _ => {
                    return Err(format!(
                        "funcs: unknown call option {key:?} (known: timeout)"
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(map: Vec<(Value, Value)>) -> Result<CallOptions, String> {
        CallOptions::parse(&encode_values(vec![Value::Map(map)]))
    }

    #[test]
    fn timeouts_in_milliseconds_or_text() {
        let ms = options(vec![(Value::from("timeout"), Value::from(250))]).unwrap();
        assert_eq!(ms.timeout, Some(Duration::from_millis(250)));
        let text = options(vec![(Value::from("timeout"), Value::from("1.5s"))]).unwrap();
        assert_eq!(text.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            CallOptions::parse(&encode_values(vec![Value::Array(vec![])])),
            Ok(CallOptions::default())
        );
    }

    #[test]
    fn bad_options_are_named() {
        let unknown = options(vec![(Value::from("timeuot"), Value::from(1))]).unwrap_err();
        assert!(
            unknown.contains("unknown call option \"timeuot\""),
            "{unknown}"
        );
        let bad = options(vec![(Value::from("timeout"), Value::from("soon"))]).unwrap_err();
        assert!(bad.contains("invalid timeout"), "{bad}");
    }
}
