//! Lua values as JSON, strictly: what `json.encode` writes and an HTTP endpoint's JSON body
//! holds. A value JSON cannot carry (a byte string that is not UTF-8, a sparse array, a table
//! mixing key types) is an error naming where it is, not a lossy guess as in the CLI's form;
//! NaN and infinities become `null`.

use rmpv::Value;
use serde_json::Value as JsonValue;

/// The JSON form of a Lua value, or why it has none; `path` names the value in messages.
pub fn to_json(value: &Value, path: &mut String) -> Result<JsonValue, String> {
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
        Value::Ext(..) => match super::ErrorObject::from_msgpack(value) {
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
