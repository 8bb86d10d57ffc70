//! Lua values in a history, as JSON that converts back to exactly the MessagePack it came from,
//! so an exported history (`luabox workflow show --json`) replays as the original did.
//!
//! Plain JSON covers nil, booleans, integers, finite floats (always written with a fraction or
//! exponent, so they read back as floats), UTF-8 strings, arrays and string-keyed tables. The
//! rest is tagged: `{"$bytes": base64}` for byte strings that are not UTF-8, `{"$float": "nan"}`
//! (or "inf", "-inf"), `{"$map": [[key, value], ...]}` for tables with other keys (or keys
//! starting with `$`), `{"$error": {...}}` for error objects and `{"$ext": [type, base64]}` for
//! any other extension value.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmpv::Value;
use serde_json::{Map, Value as Json, json};

use crate::codec::ERROR_EXT;

/// JSON nesting a history may hold: a value as deep as a sandbox may send (128 tables, each up to
/// three JSON levels when it is a `$map`) inside its event, with room to spare.
const MAX_JSON_DEPTH: usize = 1024;

/// Parse JSON that holds recorded values (stored events, signal payloads, exported histories,
/// Temporal payloads). serde_json stops at 128 levels, and a value a sandbox could send sits
/// deeper than that inside its event, which made its event unreadable, or its signal arrive
/// empty: so the depth is checked here, before a parser without that limit runs.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let depth = json_depth(bytes);
    if depth > MAX_JSON_DEPTH {
        return Err(serde::de::Error::custom(format!(
            "JSON nested {depth} levels deep, more than the {MAX_JSON_DEPTH} a history may hold"
        )));
    }
    let mut parser = serde_json::Deserializer::from_slice(bytes);
    parser.disable_recursion_limit();
    let value = T::deserialize(&mut parser)?;
    parser.end()?;
    Ok(value)
}

/// The deepest nesting of arrays and objects in JSON text (strings skipped).
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The JSON form of a MessagePack array of values.
pub fn values_to_json(payload: &[u8]) -> Result<Json, String> {
    let value = rmpv::decode::read_value(&mut &payload[..])
        .map_err(|error| format!("malformed values: {error}"))?;
    Ok(to_json(&value))
}

/// The MessagePack array back from [`values_to_json`].
pub fn json_to_values(json: &Json) -> Result<Vec<u8>, String> {
    let value = from_json(json)?;
    if !value.is_array() {
        return Err("recorded values must be an array".into());
    }
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &value).expect("writing to a Vec cannot fail");
    Ok(out)
}

pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => Json::from(i),
            (None, Some(u)) => Json::from(u),
            _ => Json::Null,
        },
        Value::F32(f) => float(f64::from(*f)),
        Value::F64(f) => float(*f),
        Value::String(s) => match s.as_str() {
            Some(text) => Json::from(text),
            None => json!({ "$bytes": STANDARD.encode(s.as_bytes()) }),
        },
        Value::Binary(bytes) => json!({ "$bytes": STANDARD.encode(bytes) }),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(pairs) => {
            let plain = pairs
                .iter()
                .all(|(k, _)| k.as_str().is_some_and(|k| !k.starts_with('$')));
            if plain {
                let object: Map<String, Json> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v)))
                    .collect();
                Json::Object(object)
            } else {
                let mut entries: Vec<Json> = pairs
                    .iter()
                    .map(|(k, v)| Json::Array(vec![to_json(k), to_json(v)]))
                    .collect();
                // Lua's table order is not part of the value: keep one canonical order.
                entries.sort_by_cached_key(|entry| entry.to_string());
                json!({ "$map": entries })
            }
        }
        Value::Ext(ERROR_EXT, bytes) => match rmpv::decode::read_value(&mut bytes.as_slice()) {
            Ok(fields) => json!({ "$error": to_json(&fields) }),
            Err(_) => json!({ "$ext": [ERROR_EXT, STANDARD.encode(bytes)] }),
        },
        Value::Ext(kind, bytes) => json!({ "$ext": [kind, STANDARD.encode(bytes)] }),
    }
}

fn float(f: f64) -> Json {
    if f.is_nan() {
        json!({ "$float": "nan" })
    } else if f.is_infinite() {
        json!({ "$float": if f > 0.0 { "inf" } else { "-inf" } })
    } else {
        serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
}

pub fn from_json(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::F64(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(from_json).collect::<Result<_, _>>()?),
        Json::Object(object) => match tagged(object) {
            Some((tag, inner)) => from_tagged(tag, inner)?,
            None => Value::Map(
                object
                    .iter()
                    .map(|(k, v)| Ok((Value::from(k.as_str()), from_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
        },
    })
}

/// The one `$tag` of a tagged object.
fn tagged(object: &Map<String, Json>) -> Option<(&str, &Json)> {
    let (key, value) = object.iter().next()?;
    (object.len() == 1 && key.starts_with('$')).then_some((key.as_str(), value))
}

fn from_tagged(tag: &str, inner: &Json) -> Result<Value, String> {
    let bytes = |json: &Json| {
        json.as_str()
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| format!("{tag}: expected base64 text, got {json}"))
    };
    match tag {
        "$bytes" => Ok(Value::Binary(bytes(inner)?)),
        "$float" => match inner.as_str() {
            Some("nan") => Ok(Value::F64(f64::NAN)),
            Some("inf") => Ok(Value::F64(f64::INFINITY)),
            Some("-inf") => Ok(Value::F64(f64::NEG_INFINITY)),
            _ => Err(format!(
                "$float: expected \"nan\", \"inf\" or \"-inf\", got {inner}"
            )),
        },
        "$map" => {
            let entries = inner.as_array().ok_or("$map: expected an array of pairs")?;
            let pairs = entries
                .iter()
                .map(|entry| match entry.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((from_json(k)?, from_json(v)?)),
                    _ => Err(format!("$map: expected a [key, value] pair, got {entry}")),
                })
                .collect::<Result<_, String>>()?;
            Ok(Value::Map(pairs))
        }
        "$error" => {
            let mut out = Vec::new();
            rmpv::encode::write_value(&mut out, &from_json(inner)?)
                .expect("writing to a Vec cannot fail");
            Ok(Value::Ext(ERROR_EXT, out))
        }
        "$ext" => match inner.as_array().map(Vec::as_slice) {
            Some([kind, data]) => {
                let kind = kind
                    .as_i64()
                    .and_then(|k| i8::try_from(k).ok())
                    .ok_or("$ext: the type must be an integer from -128 to 127")?;
                Ok(Value::Ext(kind, bytes(data)?))
            }
            _ => Err(format!("$ext: expected [type, base64], got {inner}")),
        },
        _ => Err(format!("unknown tag {tag}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ErrorObject;

    /// The value comes back the same: the JSON form is canonical (maps in one order) and tells
    /// integers from floats and text from bytes, so equal JSON means an equal value.
    fn round_trip(value: Value) {
        let json = to_json(&value);
        let text = json.to_string();
        let back = from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(to_json(&back), json, "{value:?} -> {text}");
        assert_eq!(
            std::mem::discriminant(&back),
            std::mem::discriminant(&value),
            "{value:?} came back as {back:?}"
        );
    }

    #[test]
    fn values_as_deep_as_a_sandbox_sends_parse_inside_their_events() {
        // 128 integer-keyed tables: three JSON levels each, inside an event object and its values.
        let deep = (0..128).fold(Value::Nil, |inner, _| {
            Value::Map(vec![(Value::from(1), inner)])
        });
        let event = json!({ "kind": "signal.received", "values": [to_json(&deep)] });
        let text = event.to_string();
        assert!(json_depth(text.as_bytes()) > 384);
        let back: Json = parse_json(text.as_bytes()).unwrap();
        assert_eq!(back, event);
        // Brackets inside strings are text, not nesting.
        assert_eq!(json_depth(br#"{"a": "[[[[\"]]"}"#), 1);
        let too_deep = format!("{}{}", "[".repeat(1025), "]".repeat(1025));
        let error = parse_json::<Json>(too_deep.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("nested 1025 levels deep"), "{error}");
        assert!(parse_json::<Json>(b"[1] 2").is_err(), "trailing data");
    }

    #[test]
    fn every_lua_value_survives_json() {
        round_trip(Value::Nil);
        round_trip(Value::from(-3));
        round_trip(Value::from(u64::MAX));
        round_trip(Value::F64(3.0));
        round_trip(Value::F64(-0.5e300));
        round_trip(Value::from("text"));
        round_trip(Value::Binary(vec![0xff, 0, 1]));
        round_trip(Value::Map(vec![
            (Value::from("b"), Value::F64(1.5)),
            (Value::from("a"), Value::Nil),
        ]));
        round_trip(Value::Array(vec![Value::from(1), Value::Array(vec![])]));
        round_trip(Value::Map(vec![(Value::from("a"), Value::from(1))]));
        round_trip(Value::Map(vec![(Value::from("$x"), Value::from(1))]));
        round_trip(Value::Map(vec![(Value::from(2), Value::from("b"))]));
        round_trip(ErrorObject::new("NotFound", "gone").to_msgpack());
        round_trip(Value::Ext(5, vec![1, 2]));
    }

    #[test]
    fn special_floats_are_tagged() {
        assert_eq!(
            to_json(&Value::F64(f64::INFINITY)),
            json!({"$float": "inf"})
        );
        let nan = from_json(&json!({"$float": "nan"})).unwrap();
        assert!(nan.as_f64().unwrap().is_nan());
        assert_eq!(to_json(&Value::F64(2.0)).to_string(), "2.0");
    }

    #[test]
    fn malformed_tags_are_named() {
        let error = from_json(&json!({"$bytes": 3})).unwrap_err();
        assert!(error.contains("$bytes"), "{error}");
        assert!(
            json_to_values(&json!({"a": 1}))
                .unwrap_err()
                .contains("array")
        );
    }
}
