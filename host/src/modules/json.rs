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

use rmpv::Value;
use serde_json::Value as JsonValue;

use super::{host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::json;
use crate::codec::{TranscodeError, json_text_to_msgpack};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

host_module!(Json, "json", json, Linked);

impl json::Host for SandboxState {
    fn encode(&mut self, value: Vec<u8>) -> wasmtime::Result<Result<String, HostError>> {
        let value = match one_value(&value) {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        };
        Ok(to_json(&value, &mut String::from("value"))
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

/// The JSON form of a Lua value, or why it has none; `path` names the value in messages.
pub(super) fn to_json(value: &Value, path: &mut String) -> Result<JsonValue, String> {
    Ok(match value {
        Value::Nil => JsonValue::Null,
        Value::Boolean(b) => JsonValue::Bool(*b),
        Value::Integer(i) => i
            .as_i64()
            .map(JsonValue::from)
            .or_else(|| i.as_u64().map(JsonValue::from))
            .unwrap_or(JsonValue::Null),
        Value::F32(f) => float(f64::from(*f)),
        Value::F64(f) => float(*f),
        Value::String(s) => match s.as_str() {
            Some(text) => JsonValue::from(text),
            None => {
                return Err(format!(
                    "{path}: a byte string that is not UTF-8 has no JSON form"
                ));
            }
        },
        Value::Binary(_) => {
            return Err(format!(
                "{path}: a byte string that is not UTF-8 has no JSON form"
            ));
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{}]", i + 1));
                out.push(to_json(item, path)?);
                path.truncate(len);
            }
            JsonValue::Array(out)
        }
        Value::Map(pairs) => {
            let mut out = serde_json::Map::with_capacity(pairs.len());
            for (key, item) in pairs {
                let Some(key) = key.as_str() else {
                    return Err(format!(
                        "{path}: a sparse array or a table mixing key types has no JSON form \
                         (key {key})"
                    ));
                };
                let len = path.len();
                path.push('.');
                path.push_str(key);
                out.insert(key.to_owned(), to_json(item, path)?);
                path.truncate(len);
            }
            JsonValue::Object(out)
        }
        Value::Ext(..) => match crate::codec::ErrorObject::from_msgpack(value) {
            Some(error) => error.to_json(),
            None => return Err(format!("{path}: this value has no JSON form")),
        },
    })
}

fn float(f: f64) -> JsonValue {
    serde_json::Number::from_f64(f).map_or(JsonValue::Null, JsonValue::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(value: Value) -> Result<JsonValue, String> {
        to_json(&value, &mut String::from("value"))
    }

    #[test]
    fn arrays_objects_and_special_floats() {
        let value = Value::Map(vec![
            (
                Value::from("list"),
                Value::Array(vec![Value::from(1), Value::F64(2.5)]),
            ),
            (Value::from("empty"), Value::Array(vec![])),
            (Value::from("nan"), Value::F64(f64::NAN)),
        ]);
        assert_eq!(
            encode(value).unwrap(),
            json!({"list": [1, 2.5], "empty": [], "nan": null})
        );
    }

    #[test]
    fn sparse_arrays_name_their_path() {
        let sparse = Value::Map(vec![
            (Value::from(1), Value::from(1)),
            (Value::from(3), Value::from(3)),
        ]);
        let value = Value::Map(vec![(Value::from("items"), sparse)]);
        let message = encode(value).unwrap_err();
        assert!(
            message.starts_with("value.items: a sparse array"),
            "{message}"
        );
    }
}
