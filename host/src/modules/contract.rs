//! `wit/contract.wit`, the `contract` Lua module (Wippy: wippyai/docs en/lua/core/contract.md):
//! the app's `contract.definition` and `contract.binding` entries ([`crate::config::contract`])
//! and calls of a binding's methods. The Lua face (`guest-lua/glue/lua/contract.lua`) builds
//! Contract and Instance objects, parses query parameters and runs `_async` calls.
//!
//! A method call runs the function the binding names, as `funcs.call` would, handing it the
//! caller's context with the instance's scope over it (`ctx.get` in the implementation), and
//! retries a retryable failure as the instance's `retry` option says. Listing `contract` is what
//! grants these calls: the caller reaches only functions some binding names for a method.

use std::sync::Arc;
use std::time::Duration;

use rmpv::Value;

use super::{AppSandbox, AppServices, host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::contract;
use crate::codec::{ErrorObject, encode_values, json_to_msgpack, table_to_json};
use crate::config::contract::ContractBinding;
use crate::config::{Entry, EntryId, Spec};
use crate::engine::{Extensions, SandboxState};
use crate::error::{CallError, ErrorKind};
use crate::units::go_duration;

// Denied in workflows: a method call is a call of another entry, which a workflow makes as an
// activity through `funcs`.
host_module!(Contract, "contract", contract);

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

/// The most attempts a `retry` option may ask for.
pub const MAX_ATTEMPTS: u32 = 20;

fn not_found(message: String) -> HostError {
    host_error(ErrorKind::NotFound, message)
}

impl SandboxState {
    fn contract_app(&self, call: &str) -> Result<Arc<dyn AppServices>, HostError> {
        self.app().cloned().ok_or_else(|| super::no_app(call, "contract"))
    }

    /// The entry `id` names (in the caller's namespace without ':'), if it is of `kind`.
    fn contract_entry(&self, call: &str, id: &str, kind: &str) -> Result<Entry, HostError> {
        let app = self.contract_app(call)?;
        let id = EntryId::resolve(id, self.namespace())
            .map_err(|message| host_error(ErrorKind::Invalid, format!("{call}: {message}")))?;
        match app.registry().get(&id) {
            Some(entry) if entry.kind == kind => Ok(entry.clone()),
            Some(entry) => Err(host_error(
                ErrorKind::Invalid,
                format!("{call}: '{id}' is a {}, not a {kind}", entry.kind),
            )),
            None => Err(not_found(format!("{call}: no {kind} '{id}'"))),
        }
    }
}

/// The bindings of the app that implement `contract`, in load order.
fn implementations<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    contract: &EntryId,
) -> Vec<(&'a Entry, bool)> {
    entries
        .filter_map(|entry| match &entry.spec {
            Spec::ContractBinding(binding) => binding
                .contracts
                .iter()
                .find(|bound| &bound.contract == contract)
                .map(|bound| (entry, bound.default)),
            _ => None,
        })
        .collect()
}

fn binding_of(entry: &Entry) -> &ContractBinding {
    match &entry.spec {
        Spec::ContractBinding(binding) => binding,
        _ => unreachable!("contract_entry checked the kind"),
    }
}

/// The `retry` of a call's options: how many attempts, and the first delay (doubled after each).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Retry {
    attempts: u32,
    delay: Duration,
}

impl Retry {
    fn parse(options: &[u8]) -> Result<Retry, String> {
        let mut retry = Retry {
            attempts: 1,
            delay: Duration::from_millis(100),
        };
        let Some(options) = one_value(options).ok().and_then(|v| table_to_json(&v)) else {
            return Ok(retry);
        };
        for (key, value) in options {
            if key != "retry" {
                return Err(format!("unknown call option '{key}' (known: retry)"));
            }
            let Some(fields) = value.as_object() else {
                return Err("the retry option must be a table".into());
            };
            for (field, value) in fields {
                match field.as_str() {
                    "max_attempts" => {
                        retry.attempts = value
                            .as_u64()
                            .and_then(|n| u32::try_from(n).ok())
                            .filter(|n| (1..=MAX_ATTEMPTS).contains(n))
                            .ok_or_else(|| {
                                format!("retry.max_attempts must be 1 to {MAX_ATTEMPTS}, not {value}")
                            })?;
                    }
                    "initial_delay" => {
                        retry.delay = match value {
                            serde_json::Value::Number(ms) => ms.as_u64().map(Duration::from_millis),
                            serde_json::Value::String(text) => go_duration(text),
                            _ => None,
                        }
                        .ok_or_else(|| {
                            format!("retry.initial_delay must be milliseconds or a duration, not {value}")
                        })?;
                    }
                    other => {
                        return Err(format!(
                            "unknown retry field '{other}' (known: max_attempts, initial_delay)"
                        ));
                    }
                }
            }
        }
        Ok(retry)
    }
}

/// Whether a failed call may succeed when tried again.
fn retryable(error: &ErrorObject) -> bool {
    error.retryable.unwrap_or_else(|| {
        matches!(
            ErrorKind::parse(&error.kind),
            Some(ErrorKind::Timeout | ErrorKind::Unavailable | ErrorKind::RateLimited)
        )
    })
}

impl contract::Host for SandboxState {
    fn get(&mut self, id: String) -> Answer<Vec<u8>> {
        let entry = match self.contract_entry("contract.get", &id, "contract.definition") {
            Ok(entry) => entry,
            Err(error) => return Ok(Err(error)),
        };
        let methods = entry
            .data
            .get("methods")
            .map(json_to_msgpack)
            .unwrap_or(Value::Array(Vec::new()));
        Ok(Ok(encode_values(vec![Value::Map(vec![
            (Value::from("id"), Value::from(entry.id.to_string())),
            (Value::from("methods"), methods),
        ])])))
    }

    fn implementations(&mut self, id: String) -> Answer<Vec<String>> {
        let entry = match self.contract_entry("contract.find_implementations", &id, "contract.definition") {
            Ok(entry) => entry,
            Err(error) => return Ok(Err(error)),
        };
        let app = match self.contract_app("contract.find_implementations") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok(implementations(app.registry().entries(), &entry.id)
            .into_iter()
            .map(|(binding, _)| binding.id.to_string())
            .collect()))
    }

    fn default_binding(&mut self, id: String) -> Answer<String> {
        let entry = match self.contract_entry("contract:open", &id, "contract.definition") {
            Ok(entry) => entry,
            Err(error) => return Ok(Err(error)),
        };
        let app = match self.contract_app("contract:open") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let found = implementations(app.registry().entries(), &entry.id);
        Ok(match found.iter().find(|(_, default)| *default) {
            Some((binding, _)) => Ok(binding.id.to_string()),
            None => Err(not_found(format!(
                "contract '{}' has no default binding (mark one `default: true`, or open one by \
                 id; its bindings: {})",
                entry.id,
                found
                    .iter()
                    .map(|(b, _)| b.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        })
    }

    fn open(&mut self, id: String) -> Answer<Vec<u8>> {
        let entry = match self.contract_entry("contract.open", &id, "contract.binding") {
            Ok(entry) => entry,
            Err(error) => return Ok(Err(error)),
        };
        let binding = binding_of(&entry);
        let text = |s: String| Value::from(s);
        let contracts = binding
            .contracts
            .iter()
            .map(|c| text(c.contract.to_string()))
            .collect();
        let methods = binding
            .contracts
            .iter()
            .flat_map(|c| &c.methods)
            .map(|(name, _)| text(name.clone()))
            .collect();
        Ok(Ok(encode_values(vec![Value::Map(vec![
            (Value::from("id"), text(entry.id.to_string())),
            (Value::from("contracts"), Value::Array(contracts)),
            (Value::from("methods"), Value::Array(methods)),
        ])])))
    }

    fn call(
        &mut self,
        binding: String,
        method: String,
        args: Vec<u8>,
        context: Vec<u8>,
        options: Vec<u8>,
    ) -> wasmtime::Result<u64> {
        let target = self
            .contract_entry("contract call", &binding, "contract.binding")
            .and_then(|entry| {
                binding_of(&entry).target(&method).cloned().ok_or_else(|| {
                    not_found(format!("binding '{}' has no method '{method}'", entry.id))
                })
            });
        let handed = match one_value(&context) {
            Ok(Value::Map(values)) => super::ctx::of(self).with(values),
            Ok(Value::Array(items)) if items.is_empty() => Ok((*super::ctx::of(self)).clone()),
            _ => Err("the scope must be a table".to_owned()),
        };
        let retry = Retry::parse(&options);
        let app = self.app().cloned();
        let depth = self.depth() + 1;
        let call = async move {
            let failed = |error: ErrorObject| encode_values(vec![Value::Nil, error.to_msgpack()]);
            let invalid = |message: String| {
                failed(ErrorObject::new(ErrorKind::Invalid, format!("contract: {message}")))
            };
            let target = match target {
                Ok(target) => target,
                Err(error) => return failed(ErrorObject::new(&error.kind, error.message)),
            };
            let (context, retry) = match (handed, retry) {
                (Ok(context), Ok(retry)) => (Arc::new(context), retry),
                (Err(message), _) | (_, Err(message)) => return invalid(message),
            };
            let Some(app) = app else {
                return failed(CallError::NoApp.to_error_object());
            };
            let mut delay = retry.delay;
            for attempt in 1..=retry.attempts {
                let handed = Extensions::default().with(context.clone());
                match app.clone().call(target.clone(), args.clone(), depth, handed).await {
                    Ok(values) => return values,
                    Err(error) => {
                        let error = error.to_error_object();
                        if attempt == retry.attempts || !retryable(&error) {
                            return failed(error);
                        }
                    }
                }
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            unreachable!("the last attempt returns")
        };
        Ok(self.pending().start(call)?)
    }

    fn cancel(&mut self, call: u64) -> wasmtime::Result<()> {
        self.pending().cancel(call);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: serde_json::Value) -> Result<Retry, String> {
        Retry::parse(&encode_values(vec![json_to_msgpack(&json)]))
    }

    #[test]
    fn retry_options_are_read_and_checked() {
        let retry = options(serde_json::json!({"retry": {"max_attempts": 5, "initial_delay": 100}}));
        assert_eq!(
            retry,
            Ok(Retry {
                attempts: 5,
                delay: Duration::from_millis(100)
            })
        );
        assert_eq!(options(serde_json::json!({})).map(|r| r.attempts), Ok(1));
        assert!(options(serde_json::json!({"retry": {"max_attempts": 0}})).is_err());
        assert!(options(serde_json::json!({"retyr": {}})).unwrap_err().contains("unknown"));
        let delay = options(serde_json::json!({"retry": {"initial_delay": "1.5s"}})).unwrap();
        assert_eq!(delay.delay, Duration::from_millis(1500));
    }

    #[test]
    fn only_retryable_failures_are_tried_again() {
        assert!(retryable(&ErrorObject::new(ErrorKind::Unavailable, "x")));
        assert!(!retryable(&ErrorObject::new(ErrorKind::Invalid, "x")));
        let mut marked = ErrorObject::new(ErrorKind::Invalid, "x");
        marked.retryable = Some(true);
        assert!(retryable(&marked));
    }
}
