//! Values across the sandbox boundary (docs/architecture.md §4) and their JSON form.
//!
//! Arguments and results cross as one MessagePack array of Lua values. The guest decides how a
//! Lua value is encoded (`guest-lua/glue/codec.c`); this module converts between that encoding and
//! JSON for the CLI:
//!
//! ```
//! use luabox::codec::{json_to_values, values_to_json};
//! let bytes = json_to_values(&[serde_json::json!({"x": 1})]);
//! assert_eq!(values_to_json(&bytes).unwrap(), serde_json::json!({"x": 1}));
//! ```
//!
//! JSON has no place for some Lua values: non-string map keys become their decimal or textual
//! form, NaN and infinities become `null`, and byte strings that are not UTF-8 are shown lossily.
//!
//! Error objects (the `errors` module's) cross as MessagePack extension [`ERROR_EXT`] holding a
//! map of their fields; [`ErrorObject`] reads and writes that form, and their JSON form is
//! `{"kind": ..., "message": ..., ...}`.
//!
//! Each conversion of values has one place:
//! - MessagePack ↔ plain JSON, for the command line: this file;
//! - JSON text → MessagePack without building a tree: [`json_text_to_msgpack`];
//! - MessagePack ↔ lossless JSON, for workflow histories: [`lossless`];
//! - MessagePack → strict JSON, for `json.encode` and HTTP bodies: [`strict`].

pub mod lossless;
pub mod msgpack;
pub mod pace;
pub mod strict;
mod transcode;

pub use transcode::{TranscodeError, json_text_to_msgpack};

use anyhow::{Context, Result, bail};
use rmpv::Value;
use serde_json::Value as Json;

/// Encode JSON values as the MessagePack array the guest expects for call arguments.
pub fn json_to_values(values: &[Json]) -> Vec<u8> {
    encode_values(values.iter().map(json_to_msgpack).collect())
}

/// Decode a MessagePack array of values.
pub fn decode_values(payload: &[u8]) -> Result<Vec<Value>> {
    let mut reader = payload;
    let value = rmpv::decode::read_value(&mut reader).context("malformed MessagePack values")?;
    if !reader.is_empty() {
        bail!("trailing bytes after MessagePack values");
    }
    match value {
        Value::Array(values) => Ok(values),
        other => bail!("expected an array of values, got {other}"),
    }
}

/// The JSON form of a result: no value is `null`, one value is itself, several are an array.
pub fn values_to_json(payload: &[u8]) -> Result<Json> {
    let mut values = decode_values(payload)?;
    Ok(match values.len() {
        0 => Json::Null,
        1 => msgpack_to_json(&values.remove(0)),
        _ => Json::Array(values.iter().map(msgpack_to_json).collect()),
    })
}

pub fn json_to_msgpack(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(u)) => Value::from(u),
            _ => Value::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(json_to_msgpack).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), json_to_msgpack(v)))
                .collect(),
        ),
    }
}

/// The MessagePack extension type of error objects (`LUABOX_EXT_ERROR` in the guest).
pub const ERROR_EXT: i8 = 1;

/// A Lua error object: `errors.new{kind = ..., message = ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorObject {
    /// One of the `errors` kinds ("NotFound", "Invalid", "Internal", ...), "" when unknown.
    pub kind: String,
    pub message: String,
    pub retryable: Option<bool>,
    pub details: Option<Value>,
}

impl ErrorObject {
    /// An error object of `kind`: a [`crate::error::ErrorKind`] luabox raises, or a kind that came from
    /// elsewhere (a Lua error object, a Temporal failure) as its name.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorObject {
            kind: kind.into(),
            message: message.into(),
            retryable: None,
            details: None,
        }
    }

    /// The extension value the guest decodes into an error object.
    pub fn to_msgpack(&self) -> Value {
        let mut fields = vec![
            (Value::from("message"), Value::from(self.message.as_str())),
            (Value::from("kind"), Value::from(self.kind.as_str())),
        ];
        if let Some(retryable) = self.retryable {
            fields.push((Value::from("retryable"), Value::Boolean(retryable)));
        }
        if let Some(details) = &self.details {
            fields.push((Value::from("details"), details.clone()));
        }
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &Value::Map(fields))
            .expect("writing to a Vec cannot fail");
        Value::Ext(ERROR_EXT, bytes)
    }

    /// Read an error object from its extension form; `None` for any other value.
    pub fn from_msgpack(value: &Value) -> Option<Self> {
        let Value::Ext(ERROR_EXT, bytes) = value else {
            return None;
        };
        let Value::Map(fields) = rmpv::decode::read_value(&mut bytes.as_slice()).ok()? else {
            return None;
        };
        let field = |name: &str| fields.iter().find(|(k, _)| k.as_str() == Some(name));
        let text = |name: &str| {
            field(name)
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Some(ErrorObject {
            kind: text("kind"),
            message: text("message"),
            retryable: field("retryable").and_then(|(_, v)| v.as_bool()),
            details: field("details")
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_nil()),
        })
    }

    pub fn to_json(&self) -> Json {
        let mut object = serde_json::Map::new();
        object.insert("kind".into(), Json::from(self.kind.as_str()));
        object.insert("message".into(), Json::from(self.message.as_str()));
        if let Some(retryable) = self.retryable {
            object.insert("retryable".into(), Json::Bool(retryable));
        }
        if let Some(details) = &self.details {
            object.insert("details".into(), msgpack_to_json(details));
        }
        Json::Object(object)
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} ({})", self.message, self.kind)
        }
    }
}

/// Encode values as the MessagePack array the guest reads.
pub fn encode_values(values: Vec<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &Value::Array(values))
        .expect("writing to a Vec cannot fail");
    out
}

pub fn msgpack_to_json(value: &Value) -> Json {
    match value {
        Value::Ext(..) => ErrorObject::from_msgpack(value).map_or(Json::Null, |e| e.to_json()),
        Value::Nil => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => Json::from(i),
            (None, Some(u)) => Json::from(u),
            _ => Json::Null,
        },
        Value::F32(f) => float_to_json(f64::from(*f)),
        Value::F64(f) => float_to_json(*f),
        Value::String(s) => Json::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Value::Binary(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Array(items) => Json::Array(items.iter().map(msgpack_to_json).collect()),
        Value::Map(pairs) => Json::Object(
            pairs
                .iter()
                .map(|(k, v)| (key_to_string(k), msgpack_to_json(v)))
                .collect(),
        ),
    }
}

/// A Lua table read as a map (call options, filters, log fields): its JSON object, where the empty
/// table, which crosses as the empty array, is the empty object; `None` for any other value.
pub fn table_to_json(value: &Value) -> Option<serde_json::Map<String, Json>> {
    match msgpack_to_json(value) {
        Json::Object(map) => Some(map),
        Json::Array(items) if items.is_empty() => Some(serde_json::Map::new()),
        _ => None,
    }
}

fn float_to_json(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn key_to_string(key: &Value) -> String {
    match key {
        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Value::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_msgpack() {
        let value =
            json!({"a": [1, -2, 3.5, "x", null, true], "b": {"c": 18446744073709551615u64}});
        let bytes = json_to_values(std::slice::from_ref(&value));
        assert_eq!(values_to_json(&bytes).unwrap(), value);
    }

    #[test]
    fn result_arity_maps_to_json_shape() {
        assert_eq!(values_to_json(&json_to_values(&[])).unwrap(), Json::Null);
        assert_eq!(
            values_to_json(&json_to_values(&[json!(1), json!("a")])).unwrap(),
            json!([1, "a"])
        );
    }

    #[test]
    fn non_string_keys_and_non_finite_floats_have_a_json_form() {
        let map = Value::Map(vec![
            (Value::from(7), Value::F64(f64::NAN)),
            (Value::Boolean(true), Value::F64(1.5)),
        ]);
        assert_eq!(msgpack_to_json(&map), json!({"7": null, "true": 1.5}));
    }

    #[test]
    fn tables_read_as_maps() {
        let map = Value::Map(vec![(Value::from("a"), Value::from(1))]);
        assert_eq!(table_to_json(&map), json!({"a": 1}).as_object().cloned());
        assert_eq!(
            table_to_json(&Value::Array(vec![])),
            Some(Default::default())
        );
        assert_eq!(table_to_json(&Value::Array(vec![Value::from(1)])), None);
        assert_eq!(table_to_json(&Value::from("x")), None);
    }

    #[test]
    fn malformed_payloads_are_errors() {
        assert!(decode_values(&[0xc1]).is_err());
        assert!(decode_values(&[0x01]).is_err());
        assert!(decode_values(&[0x90, 0x00]).is_err());
    }

    #[test]
    fn error_objects_round_trip_and_show_as_json() {
        let mut error = ErrorObject::new("NotFound", "no such user");
        error.retryable = Some(false);
        let value = error.to_msgpack();
        assert_eq!(ErrorObject::from_msgpack(&value), Some(error));
        assert_eq!(
            msgpack_to_json(&value),
            json!({"kind": "NotFound", "message": "no such user", "retryable": false})
        );
        assert_eq!(ErrorObject::from_msgpack(&Value::from("text")), None);
    }
}
