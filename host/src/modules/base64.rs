//! `wit/base64.wit`, the `base64` Lua module: standard alphabet, padding written and required.
//! Long inputs are done a chunk at a time, within the sandbox's deadline.
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
use crate::error::ErrorKind;

host_module!(Base64, "base64", base64, Linked);

/// Whole groups: 3 bytes encode as 4 characters, so chunks of these sizes join up exactly (only
/// the last chunk may be padded).
const BYTES_PER_CHUNK: usize = 3 << 18;
const CHARS_PER_CHUNK: usize = 4 << 18;

impl base64::Host for SandboxState {
    fn encode(&mut self, data: Vec<u8>) -> wasmtime::Result<String> {
        let mut text = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(BYTES_PER_CHUNK) {
            self.check_deadline()?;
            STANDARD.encode_string(chunk, &mut text);
        }
        Ok(text)
    }

    fn decode(&mut self, text: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let text = text.trim_end_matches(['\n', '\r']).as_bytes();
        let mut data = Vec::with_capacity(text.len() / 4 * 3);
        for (at, chunk) in text.chunks(CHARS_PER_CHUNK).enumerate() {
            self.check_deadline()?;
            if let Err(error) = STANDARD.decode_vec(chunk, &mut data) {
                // Offsets in the message are within the chunk: make them the text's own.
                let error = match error {
                    ::base64::DecodeError::InvalidByte(offset, byte) => {
                        ::base64::DecodeError::InvalidByte(at * CHARS_PER_CHUNK + offset, byte)
                    }
                    ::base64::DecodeError::InvalidLastSymbol(offset, byte) => {
                        ::base64::DecodeError::InvalidLastSymbol(
                            at * CHARS_PER_CHUNK + offset,
                            byte,
                        )
                    }
                    other => other,
                };
                return Ok(Err(host_error(
                    ErrorKind::Invalid,
                    format!("base64.decode: {error}"),
                )));
            }
        }
        Ok(Ok(data))
    }
}
