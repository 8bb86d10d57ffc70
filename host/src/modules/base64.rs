//! `wit/base64.wit`, the `base64` Lua module: standard alphabet, padding written and required.
//!
//! ```lua
//! local base64 = require("base64")
//! base64.encode("hi")        --> "aGk="
//! base64.decode("aGk=")      --> "hi"
//! base64.decode("a*")        --> nil, error(Invalid)
//! ```

use ::base64::Engine as _;
use ::base64::engine::general_purpose::STANDARD;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::base64;
use crate::engine::SandboxState;

host_module!(Base64, "base64", base64, Linked);

impl base64::Host for SandboxState {
    fn encode(&mut self, data: Vec<u8>) -> wasmtime::Result<String> {
        Ok(STANDARD.encode(data))
    }

    fn decode(&mut self, text: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        Ok(STANDARD
            .decode(text.trim_end_matches(['\n', '\r']))
            .map_err(|error| host_error("Invalid", format!("base64.decode: {error}"))))
    }
}
