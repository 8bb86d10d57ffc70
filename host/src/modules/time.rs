//! `wit/time.wit`, the `time` Lua module: `time.sleep(d)` starts a tokio timer and returns its
//! handle at once; the sandbox waits for it as data, between export calls (docs/architecture.md §3).
//!
//! ```lua
//! local time = require("time")
//! time.sleep("250ms")
//! ```

use crate::bindings::Duration;
use crate::bindings::luabox::sandbox::{time, types};
use crate::codec::json_to_values;
use crate::engine::SandboxState;
use crate::units::go_duration;

host_module!(Time, "time", time, Recorded);

impl types::Host for SandboxState {}

impl time::Host for SandboxState {
    fn sleep(&mut self, duration: Duration) -> wasmtime::Result<Result<u64, String>> {
        let duration = match to_std_duration(&duration) {
            Ok(duration) => duration,
            Err(message) => return Ok(Err(message)),
        };
        let handle = self.pending().start(async move {
            // A zero sleep only lets the host run others; a timer would add a tick (1 ms).
            if !duration.is_zero() {
                tokio::time::sleep(duration).await;
            }
            json_to_values(&[])
        })?;
        Ok(Ok(handle))
    }
}

/// The Lua forms of a duration: nanoseconds, or Go-style text.
pub(super) fn to_std_duration(duration: &Duration) -> Result<std::time::Duration, String> {
    match duration {
        Duration::Nanos(nanos) => u64::try_from(*nanos)
            .map(std::time::Duration::from_nanos)
            .map_err(|_| format!("invalid duration: {nanos} ns is negative")),
        Duration::Text(text) => go_duration(text).ok_or_else(|| {
            format!("invalid duration {text:?} (expected e.g. \"1.5s\", \"300ms\")")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_from_lua() {
        assert_eq!(
            to_std_duration(&Duration::Nanos(1_500)),
            Ok(std::time::Duration::from_nanos(1_500))
        );
        assert_eq!(
            to_std_duration(&Duration::Text("2s".into())),
            Ok(std::time::Duration::from_secs(2))
        );
        assert!(
            to_std_duration(&Duration::Nanos(-1))
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            to_std_duration(&Duration::Text("soon".into()))
                .unwrap_err()
                .contains("soon")
        );
    }
}
