//! `wit/logger.wit`, the `logger` Lua module: structured records on the host's `tracing` output
//! under the target `lua`, tagged with the entry id, the logger's name and the record's fields
//! as one JSON object. The message is cut like `print` lines (see [`super::log::MAX_LINE`]), and
//! records count against the same per-sandbox budget ([`super::log::LogBudget`]).
//!
//! ```lua
//! local logger = require("logger")
//! logger:info("order placed", {id = 42})
//! logger:named("billing"):with({tenant = "a"}):warn("slow")
//! ```

use super::log::truncate_line;
use super::one_value;
use crate::bindings::luabox::sandbox::log::Level;
use crate::bindings::luabox::sandbox::logger;
use crate::codec::{msgpack_to_json, table_to_json};
use crate::engine::SandboxState;

host_module!(Logger, "logger", logger);

impl logger::Host for SandboxState {
    fn write(
        &mut self,
        level: Level,
        name: String,
        message: String,
        fields: Vec<u8>,
    ) -> wasmtime::Result<()> {
        let message = truncate_line(message);
        let fields = match one_value(&fields) {
            Ok(value) => truncate_line(match table_to_json(&value) {
                Some(map) => serde_json::Value::Object(map).to_string(),
                None => msgpack_to_json(&value).to_string(),
            }),
            Err(error) => format!("(unreadable fields: {})", error.message),
        };
        if !super::log::admit(self, name.len() + message.len() + fields.len()) {
            return Ok(());
        }
        let entry = self.entry();
        let logger = name.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "lua", entry, logger, %fields, "{message}"),
            Level::Debug => tracing::debug!(target: "lua", entry, logger, %fields, "{message}"),
            Level::Info => tracing::info!(target: "lua", entry, logger, %fields, "{message}"),
            Level::Warn => tracing::warn!(target: "lua", entry, logger, %fields, "{message}"),
            Level::Error => tracing::error!(target: "lua", entry, logger, %fields, "{message}"),
        }
        Ok(())
    }
}
