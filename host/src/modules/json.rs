//! `wit/json.wit`, the `json` Lua module. The guest hands over a Lua value as MessagePack; this
//! side turns it into JSON text with serde_json, and JSON text back into MessagePack.
//!
//! Encoding rules (Wippy: wippyai/docs en/lua/data/json.md): a table with keys 1..n is an array and the empty table is
//! `[]`; a table with string keys is an object; a sparse array or a table mixing key types is an
//! error naming its path; NaN and infinities become `null`; byte strings that are not UTF-8 are
//! an error. Nesting is capped at 128 levels on both sides. Decoding turns `null` into nil; a
//! malformed or empty text is an `Invalid` error with serde_json's line and column. Decoding
//! writes MessagePack as it parses ([`crate::codec::json_text_to_msgpack`]): the host holds no
//! tree of the document, the value may be as large as the sandbox's payload limit, and the work
//! stops at the sandbox's deadline.
//!
//! ```lua
//! local json = require("json")
//! json.encode({a = {1, 2}})        --> '{"a":[1,2]}'
//! local v, err = json.decode("[1,")  --> nil, error(Invalid)
//! ```

use super::{host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::json;
use crate::codec::{TranscodeError, json_text_to_msgpack, strict};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

host_module!(Json, "json", json, Linked);

impl json::Host for SandboxState {
    fn encode(&mut self, value: Vec<u8>) -> wasmtime::Result<Result<String, HostError>> {
        let value = match one_value(&value) {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        };
        Ok(strict::to_json(&value, &mut String::from("value"))
            .map(|json| json.to_string())
            .map_err(|message| host_error(ErrorKind::Invalid, format!("json.encode: {message}"))))
    }

    fn decode(&mut self, text: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        if text.trim().is_empty() {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                "json.decode: empty input",
            )));
        }
        let limit = self.max_payload() as usize;
        let decoded = json_text_to_msgpack(&text, limit, &mut || self.check_deadline().is_ok());
        match decoded {
            Ok(values) => Ok(Ok(values)),
            Err(TranscodeError::Invalid(error)) => Ok(Err(host_error(
                ErrorKind::Invalid,
                format!("json.decode: {error}"),
            ))),
            Err(TranscodeError::TooLarge { limit }) => Ok(Err(host_error(
                ErrorKind::Invalid,
                format!(
                    "json.decode: the value is larger than the sandbox's payload limit \
                     ({limit} bytes as it crosses the boundary; limits.max_payload)"
                ),
            ))),
            Err(TranscodeError::Stopped) => self.check_deadline().map(|()| {
                Err(host_error(
                    ErrorKind::Internal,
                    "json.decode: stopped before the deadline",
                ))
            }),
        }
    }
}
