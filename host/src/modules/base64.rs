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
use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use super::{HostModule, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::base64;
use crate::engine::SandboxState;

pub(super) struct Base64;

impl HostModule for Base64 {
    fn name(&self) -> &'static str {
        "base64"
    }

    fn link(&self, linker: &mut Linker<SandboxState>) -> Result<()> {
        base64::add_to_linker::<_, HasSelf<SandboxState>>(linker, |state| state)?;
        Ok(())
    }
}

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
