//! `wit/io.wit`, the `io` Lua module: the terminal ([`crate::terminal::Terminal`]) for the process
//! of a `terminal.host`, and `Unavailable` for every other sandbox, even one that lists `io`:
//! a function or a process on a `process.host` has no terminal.
//!
//! ```lua
//! local io = require("io")
//! io.write("name? ")
//! local name = io.readline()
//! io.print("hello", name)
//! ```

use super::AppSandbox;
use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::io::{self, Output};
use crate::codec::{ErrorObject, encode_values};
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::terminal::ReadKind;

host_module!(Io, "io", io);

impl SandboxState {
    /// The app of a sandbox that is the process of a `terminal.host`.
    fn terminal_app(
        &self,
        call: &str,
    ) -> Result<std::sync::Arc<dyn super::AppServices>, HostError> {
        let app = self.app().filter(|app| {
            super::own_slot(self).is_some_and(|slot| app.terminal_host(&slot.pid.host).is_some())
        });
        app.cloned().ok_or_else(|| {
            host_error(
                ErrorKind::Unavailable,
                format!(
                    "{call}: entry '{}' has no terminal: only the process of a terminal.host \
                     does (luabox run --exec on an app with one)",
                    self.entry()
                ),
            )
        })
    }
}

impl io::Host for SandboxState {
    fn write(&mut self, to: Output, data: Vec<u8>) -> wasmtime::Result<Result<(), HostError>> {
        let app = match self.terminal_app("io") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let stream = match to {
            Output::Stdout => crate::terminal::Stream::Stdout,
            Output::Stderr => crate::terminal::Stream::Stderr,
        };
        Ok(app
            .terminal()
            .write(stream, &data)
            .map_err(|error| host_error(ErrorKind::Internal, format!("io.write: {error}"))))
    }

    fn read(&mut self, line: bool, max: u32) -> wasmtime::Result<Result<u64, HostError>> {
        let app = match self.terminal_app(if line { "io.readline" } else { "io.read" }) {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let kind = if line {
            ReadKind::Line
        } else {
            ReadKind::Bytes
        };
        // What a read returns crosses into the sandbox: it is bounded like any payload.
        let max = max.min(self.max_payload()) as usize;
        let operation = async move {
            let values = match app.terminal().read(kind, max).await {
                Ok(Some(bytes)) => vec![Value::Binary(bytes)],
                Ok(None) => failed("end of input"),
                Err(error) => failed(&format!("cannot read stdin: {error}")),
            };
            encode_values(values)
        };
        Ok(Ok(self.pending().start(operation)?))
    }

    fn raw(&mut self, enable: bool) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self.terminal_app("io.raw").and_then(|app| {
            app.terminal()
                .raw(enable)
                .map_err(|error| host_error(ErrorKind::Unavailable, format!("io.raw: {error}")))
        }))
    }

    fn args(&mut self) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        Ok(self.terminal_app("io.args").map(|app| {
            let args = app
                .terminal()
                .args()
                .iter()
                .map(|a| Value::from(a.as_str()));
            encode_values(vec![Value::Array(args.collect())])
        }))
    }
}

fn failed(message: &str) -> Vec<Value> {
    vec![
        Value::Nil,
        ErrorObject::new(ErrorKind::Internal, message).to_msgpack(),
    ]
}
