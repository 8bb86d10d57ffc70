//! `wit/system.wit`, the host side of the `system` Lua module (Wippy: wippyai/docs
//! en/lua/system/system.md): what the host knows of itself. The sandbox's Lua memory and its
//! collector are read and driven in the guest (`guest-lua/glue/mod_system.c`), and the calls that
//! would let a tenant change the host (`exit`, `memory.set_limit`, `runtime.max_procs(n)`) are
//! refused there without reaching the host.
//!
//! ```lua
//! local system = require("system")
//! system.runtime.goroutines()   --> live tokio tasks of the host (processes, connections, timers)
//! system.runtime.cpu_count()    --> 2
//! system.process.hostname()     --> "build-7"
//! system.exit(0)                --> nil, err (PermissionDenied)
//! ```

use rmpv::Value;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::system;
use crate::codec::encode_values;
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Denied in workflows: every answer (tasks, memory, host name) is outside the workflow's
// history, so a replay could see another.
host_module!(System, "system", system);

impl system::Host for SandboxState {
    fn modules(&mut self) -> wasmtime::Result<Vec<u8>> {
        let list = super::ALL
            .iter()
            .map(|module| {
                let class = match module.in_workflows() {
                    super::InWorkflows::Linked => "deterministic",
                    super::InWorkflows::Recorded => "workflow",
                    super::InWorkflows::Denied => "nondeterministic",
                };
                Value::Map(vec![
                    (Value::from("name"), Value::from(module.name())),
                    (Value::from("description"), Value::from(describe(module.name()))),
                    (
                        Value::from("class"),
                        Value::Array(vec![Value::from(class)]),
                    ),
                ])
            })
            .collect();
        Ok(encode_values(vec![Value::Array(list)]))
    }

    fn memory_limit(&mut self) -> wasmtime::Result<u64> {
        Ok(SandboxState::memory_limit(self))
    }

    fn tasks(&mut self) -> wasmtime::Result<Result<u64, HostError>> {
        Ok(runtime("system.runtime.goroutines")
            .map(|handle| handle.metrics().num_alive_tasks() as u64))
    }

    fn workers(&mut self) -> wasmtime::Result<Result<u64, HostError>> {
        Ok(runtime("system.runtime.max_procs").map(|handle| handle.metrics().num_workers() as u64))
    }

    fn cpu_count(&mut self) -> wasmtime::Result<u64> {
        Ok(std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
    }

    fn pid(&mut self) -> wasmtime::Result<u32> {
        Ok(std::process::id())
    }

    fn hostname(&mut self) -> wasmtime::Result<Result<String, HostError>> {
        Ok(hostname())
    }

    fn cwd(&mut self) -> wasmtime::Result<Result<String, HostError>> {
        Ok(std::env::current_dir()
            .map(|dir| dir.to_string_lossy().into_owned())
            .map_err(|error| host_error(ErrorKind::Internal, format!("system.process.cwd: {error}"))))
    }
}

/// The tokio runtime this call runs on (every sandbox runs on one).
fn runtime(call: &str) -> Result<tokio::runtime::Handle, HostError> {
    tokio::runtime::Handle::try_current()
        .map_err(|error| host_error(ErrorKind::Internal, format!("{call}: {error}")))
}

/// The kernel's host name (`uname`'s nodename).
fn hostname() -> Result<String, HostError> {
    let name = rustix::system::uname();
    let name = name.nodename().to_string_lossy().into_owned();
    if name.is_empty() {
        return Err(host_error(
            ErrorKind::Internal,
            "system.process.hostname: the host has no name",
        ));
    }
    Ok(name)
}

/// One line on each module for `system.modules()`.
fn describe(name: &str) -> &'static str {
    match name {
        "base64" => "Base64 encoding and decoding",
        "env" => "The app's declared environment variables",
        "funcs" => "Calls to other function entries",
        "hash" => "Digests, HMACs and FNV hashes",
        "http" => "The HTTP request a handler answers",
        "http_client" => "Outgoing HTTP requests to allowed hosts",
        "io" => "The terminal of a terminal.host process",
        "json" => "JSON encoding and decoding",
        "logger" => "Structured logging",
        "metrics" => "Counters, gauges and histograms",
        "process" => "Actors: spawn, send, receive, links and monitors",
        "registry" => "The app's entries",
        "sql" => "SQL databases",
        "store" => "Key-value stores",
        "system" => "Runtime information and the sandbox's collector",
        "time" => "Time, durations, timers and tickers",
        "uuid" => "UUID generation and parsing",
        "workflow" => "Durable workflow steps",
        "yaml" => "YAML encoding and decoding",
        _ => "",
    }
}
