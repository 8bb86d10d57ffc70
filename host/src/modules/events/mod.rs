//! `wit/events.wit`, the `events` Lua module (Wippy: wippyai/docs en/lua/core/events.md): a
//! sandbox's subscriptions to the app's event bus ([`bus::Bus`], one per app, kept in the app's
//! [`super::Shared`]) and its sends to it.
//!
//! A sandbox knows its subscriptions by small numbers ([`Subscriptions`], its per-sandbox state),
//! so it can read and close only its own; they all close when the sandbox ends. The guest's Lua
//! face (`guest-lua/glue/lua/events.lua`) turns a subscription into a channel fed by a task that
//! waits on `next`.
//!
//! Error kinds: `Invalid` (an empty system, kind or path, a subscription number that is not
//! this sandbox's), `Unavailable` (outside an app, or [`MAX_SUBSCRIPTIONS`] open).

pub mod bus;

use std::collections::HashMap;
use std::sync::Arc;

use bus::{Bus, Event};

use super::{AppSandbox, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::events;
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Denied in workflows: what arrives on the bus is outside the workflow's history.
host_module!(Events, "events", events);

/// The most subscriptions one sandbox holds open at once.
pub const MAX_SUBSCRIPTIONS: usize = 1024;

/// A sandbox's open subscriptions, by the number the sandbox knows them by.
#[derive(Default)]
struct Subscriptions {
    bus: Option<Arc<Bus>>,
    last: u32,
    open: HashMap<u32, u64>,
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        if let Some(bus) = &self.bus {
            for id in self.open.values() {
                bus.close(*id);
            }
        }
    }
}

fn invalid(message: String) -> HostError {
    host_error(ErrorKind::Invalid, message)
}

impl SandboxState {
    fn bus(&self, call: &str) -> Result<Arc<Bus>, HostError> {
        let app = self.app().ok_or_else(|| super::no_app(call, "event bus"))?;
        Ok(app.shared().get::<Bus>())
    }
}

impl events::Host for SandboxState {
    fn subscribe(
        &mut self,
        system: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Result<u32, HostError>> {
        if system.is_empty() {
            return Ok(Err(invalid(
                "events.subscribe: the system must not be empty".into(),
            )));
        }
        let bus = match self.bus("events.subscribe") {
            Ok(bus) => bus,
            Err(error) => return Ok(Err(error)),
        };
        let subscriptions = self.module_state::<Subscriptions>();
        if subscriptions.open.len() >= MAX_SUBSCRIPTIONS {
            return Ok(Err(host_error(
                ErrorKind::Unavailable,
                format!(
                    "events.subscribe: this sandbox has {MAX_SUBSCRIPTIONS} subscriptions open; \
                     close some with sub:close()"
                ),
            )));
        }
        // Numbers are not reused while the sandbox lives.
        let Some(number) = subscriptions.last.checked_add(1) else {
            return Ok(Err(host_error(
                ErrorKind::Unavailable,
                "events.subscribe: this sandbox has subscribed too many times",
            )));
        };
        subscriptions.last = number;
        let kind = kind.filter(|kind| !kind.is_empty());
        let id = bus.subscribe(system, kind);
        subscriptions.open.insert(number, id);
        subscriptions.bus = Some(bus);
        Ok(Ok(number))
    }

    fn next(&mut self, subscription: u32) -> wasmtime::Result<Result<u64, HostError>> {
        let max_bytes = self.max_payload() as usize;
        let state = self.module_state::<Subscriptions>();
        let (Some(&id), Some(bus)) = (state.open.get(&subscription), state.bus.clone()) else {
            return Ok(Err(invalid(format!(
                "events: subscription #{subscription} is not open in this sandbox"
            ))));
        };
        let handle = self.pending().start(async move {
            let batch = bus.next(id, max_bytes).await;
            encode_batch(batch.as_deref())
        })?;
        Ok(Ok(handle))
    }

    fn close(&mut self, subscription: u32) -> wasmtime::Result<()> {
        let state = self.module_state::<Subscriptions>();
        if let (Some(id), Some(bus)) = (state.open.remove(&subscription), &state.bus) {
            bus.close(id);
        }
        Ok(())
    }

    fn send(
        &mut self,
        system: String,
        kind: String,
        path: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        for (what, value) in [("system", &system), ("kind", &kind), ("path", &path)] {
            if value.is_empty() {
                return Ok(Err(invalid(format!(
                    "events.send: the {what} must not be empty"
                ))));
            }
        }
        let data = match one_value(&data) {
            Some(data) => data,
            None => {
                return Ok(Err(invalid(
                    "events.send: the data must be one value".into(),
                )));
            }
        };
        let bus = match self.bus("events.send") {
            Ok(bus) => bus,
            Err(error) => return Ok(Err(error)),
        };
        bus.publish(Event {
            system,
            kind,
            path,
            data,
        });
        Ok(Ok(()))
    }
}

/// The one value of a MessagePack array of zero (nil) or one value, as its own MessagePack.
fn one_value(payload: &[u8]) -> Option<Vec<u8>> {
    let mut rest = payload;
    match rmp::decode::read_array_len(&mut rest).ok()? {
        0 => Some(vec![0xc0]),
        1 => Some(rest.to_vec()),
        _ => None,
    }
}

/// The values `next` gives: `[events]` (each `{system, kind, path, data}`), or `[nil]` once
/// the subscription is closed.
fn encode_batch(batch: Option<&[Arc<Event>]>) -> Vec<u8> {
    let mut out = Vec::new();
    // Writes to a Vec cannot fail.
    let _ = rmp::encode::write_array_len(&mut out, 1);
    let Some(batch) = batch else {
        out.push(0xc0);
        return out;
    };
    let _ = rmp::encode::write_array_len(&mut out, batch.len() as u32);
    for event in batch {
        let _ = rmp::encode::write_map_len(&mut out, 4);
        for (key, value) in [
            ("system", &event.system),
            ("kind", &event.kind),
            ("path", &event.path),
        ] {
            let _ = rmp::encode::write_str(&mut out, key);
            let _ = rmp::encode::write_str(&mut out, value);
        }
        let _ = rmp::encode::write_str(&mut out, "data");
        out.extend_from_slice(&event.data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_one_array_of_event_maps() {
        let event = Arc::new(Event {
            system: "users".into(),
            kind: "user.created".into(),
            path: "/users/1".into(),
            data: vec![0x07],
        });
        let values = rmpv::decode::read_value(&mut &encode_batch(Some(&[event]))[..]).unwrap();
        assert_eq!(
            values.to_string(),
            r#"[[{"system": "users", "kind": "user.created", "path": "/users/1", "data": 7}]]"#
        );
        let closed = rmpv::decode::read_value(&mut &encode_batch(None)[..]).unwrap();
        assert_eq!(closed.to_string(), "[nil]");
    }

    #[test]
    fn data_is_zero_or_one_value() {
        assert_eq!(one_value(&[0x90]), Some(vec![0xc0]));
        assert_eq!(one_value(&[0x91, 0x05]), Some(vec![0x05]));
        assert_eq!(one_value(&[0x92, 0x05, 0x06]), None);
        assert_eq!(one_value(&[0x05]), None);
    }
}
