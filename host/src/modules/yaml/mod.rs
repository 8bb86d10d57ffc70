//! `wit/yaml.wit`, the `yaml` Lua module (Wippy's `yaml`): a Lua table → YAML text, and YAML
//! text → a Lua value. The guest hands over the table as MessagePack, which [`encode`] writes as
//! YAML; [`decode`] writes MessagePack as libyaml's parser ([`events`]) reports events, so the
//! host never holds a tree of the document.
//!
//! Values follow the `json` module where both formats can hold them: a table with keys 1..n is a
//! sequence and the empty table is `[]`, integers stay integers and floats floats, nesting stops
//! at 128 levels, and a decoded value stops at the sandbox's payload limit. Where YAML holds more
//! than JSON, it is used rather than refused: NaN and infinities are `.nan` and `.inf`, a table
//! with other keys (a sparse array, integer or mixed keys) is a mapping with those keys, and a
//! byte string that is not UTF-8 is `!!binary` (base64); each reads back as it was written.
//!
//! `encode` takes a table (Wippy's rule) and writes block style, two spaces per level, mapping
//! keys sorted after those its `field_order` option names, and the text is at most the payload
//! limit. `decode` reads one document with the YAML 1.2 core schema, anchors, aliases and `<<`
//! merge keys; whatever aliases expand to counts toward the payload limit, so a "billion laughs"
//! document stops there, and the work in both directions stops at the sandbox's deadline.
//!
//! ```lua
//! local yaml = require("yaml")
//! yaml.encode({name = "app", port = 8080})  --> "name: app\nport: 8080\n"
//! yaml.decode("tags: [a, b]").tags[2]       --> "b"
//! yaml.encode("text")                       --> nil, error(Invalid)
//! yaml.decode("a: [1,")                     --> nil, error(Invalid)
//! ```

mod decode;
mod encode;
mod events;
mod schema;

use crate::codec::msgpack::{Item, read, skip};

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::yaml;
use crate::engine::SandboxState;
use crate::error::ErrorKind;

host_module!(Yaml, "yaml", yaml, Linked);

/// Tables nested deeper than this have no YAML form, as they have no JSON form in `json`.
const MAX_DEPTH: usize = 128;
/// More names than any mapping has; the list is kept as strings while the value is written.
const MAX_FIELD_ORDER: usize = 10_000;

/// Why a value or a text did not convert.
#[derive(Debug, PartialEq)]
enum Failure {
    /// The message, which names the value's path or the text's line.
    Invalid(String),
    /// The output would take more than the payload limit.
    TooLarge,
    /// The deadline passed.
    Stopped,
}

impl yaml::Host for SandboxState {
    fn encode(
        &mut self,
        value: Vec<u8>,
        options: Vec<u8>,
    ) -> wasmtime::Result<Result<String, HostError>> {
        let options = match Options::parse(&options) {
            Ok(options) => options,
            Err(message) => return Ok(Err(invalid("yaml.encode", message))),
        };
        let limit = self.max_payload() as usize;
        let text = encode::to_yaml(&value, &options.field_order, limit, &mut || {
            self.check_deadline().is_ok()
        });
        answer(self, "yaml.encode", "text", text)
    }

    fn decode(&mut self, text: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        if text.trim().is_empty() {
            return Ok(Err(invalid("yaml.decode", "empty input".into())));
        }
        let limit = self.max_payload() as usize;
        let value = decode::to_msgpack(&text, limit, &mut || self.check_deadline().is_ok());
        answer(self, "yaml.decode", "value", value)
    }
}

/// What `call` returns for `result`; a [`Failure::Stopped`] ends the run with its deadline.
fn answer<T>(
    state: &SandboxState,
    call: &str,
    output: &str,
    result: Result<T, Failure>,
) -> wasmtime::Result<Result<T, HostError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Failure::Invalid(message)) => Ok(Err(invalid(call, message))),
        Err(Failure::TooLarge) => Ok(Err(invalid(
            call,
            format!(
                "the {output} is larger than the sandbox's payload limit ({} bytes as it crosses \
                 the boundary; limits.max_payload)",
                state.max_payload()
            ),
        ))),
        Err(Failure::Stopped) => state.check_deadline().map(|()| {
            Err(host_error(
                ErrorKind::Internal,
                format!("{call}: stopped early"),
            ))
        }),
    }
}

fn invalid(call: &str, message: String) -> HostError {
    host_error(ErrorKind::Invalid, format!("{call}: {message}"))
}

/// The options of `yaml.encode` (Wippy's). `sort_unordered` is accepted and changes nothing:
/// the keys `field_order` leaves out are always sorted, so the same table always gives the same
/// text.
#[derive(Debug, Default, PartialEq)]
struct Options {
    field_order: Vec<String>,
}

impl Options {
    /// Read from a MessagePack array holding nil or the options table, in place: the table may
    /// be as large as the payload limit.
    fn parse(payload: &[u8]) -> Result<Self, String> {
        let malformed = || "internal error: malformed options".to_owned();
        let Some((Item::Array(1), at)) = read(payload, 0) else {
            return Err(malformed());
        };
        let (pairs, mut at) = match read(payload, at).ok_or_else(malformed)? {
            (Item::Nil | Item::Array(0), _) => return Ok(Options::default()),
            (Item::Map(pairs), first) => (pairs, first),
            _ => {
                return Err(
                    "the options must be a table such as {field_order = {...}, sort_unordered \
                     = true}"
                        .into(),
                );
            }
        };
        let mut options = Options::default();
        for _ in 0..pairs {
            let (key, value) = read(payload, at).ok_or_else(malformed)?;
            let (item, mut next) = read(payload, value).ok_or_else(malformed)?;
            match (key, item) {
                (Item::Str(b"field_order"), Item::Array(names)) if names <= MAX_FIELD_ORDER => {
                    for _ in 0..names {
                        let (name, after) = read(payload, next).ok_or_else(malformed)?;
                        let Item::Str(name) = name else {
                            return Err("options.field_order must be a list of strings".into());
                        };
                        options
                            .field_order
                            .push(String::from_utf8_lossy(name).into_owned());
                        next = after;
                    }
                }
                (Item::Str(b"field_order"), Item::Array(_)) => {
                    return Err(format!(
                        "options.field_order names more than {MAX_FIELD_ORDER} fields"
                    ));
                }
                (Item::Str(b"field_order"), _) => {
                    return Err("options.field_order must be a list of strings".into());
                }
                (Item::Str(b"sort_unordered"), Item::Bool(_)) => {}
                (Item::Str(b"sort_unordered"), _) => {
                    return Err("options.sort_unordered must be a boolean".into());
                }
                (Item::Str(name), _) => {
                    return Err(format!(
                        "unknown option \"{}\" (known: field_order, sort_unordered)",
                        String::from_utf8_lossy(name)
                    ));
                }
                _ => return Err("the options' names must be strings".into()),
            }
            at = skip(payload, value).ok_or_else(malformed)?;
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_values;
    use rmpv::Value;

    fn parse(options: Value) -> Result<Options, String> {
        Options::parse(&encode_values(vec![options]))
    }

    /// `value` with every mapping's pairs in one order, and NaN as a string, for comparisons.
    fn canonical(value: Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
            Value::Map(pairs) => {
                let mut pairs: Vec<_> = pairs
                    .into_iter()
                    .map(|(k, v)| (canonical(k), canonical(v)))
                    .collect();
                pairs.sort_by_key(|(k, _)| format!("{k:?}"));
                Value::Map(pairs)
            }
            Value::F64(f) if f.is_nan() => Value::from("NaN"),
            other => other,
        }
    }

    #[test]
    fn what_encode_writes_decode_reads_back() {
        let strings = [
            "yes",
            "No",
            "ON",
            "y",
            "0x10",
            "0o7",
            "1e3",
            "1_000",
            "10:30",
            "-",
            "- x",
            "? x",
            "a #b",
            "a#b",
            "#c",
            "@x",
            "`x",
            "%x",
            "!x",
            "&x",
            "*x",
            "|x",
            ">x",
            "'",
            "\"",
            "\\",
            "\u{85}",
            "a\u{2028}b",
            "\u{feff}x",
            "x\u{feff}",
            "\t",
            " x",
            "x ",
            "\n",
            "a\r\nb",
            "a\nb",
            "a\n\nb\n\n",
            "a\n b\n  c",
            "line\n#not a comment\n",
            "\u{7f}",
            "\u{1b}[0m",
            "日本語",
            "emoji 😀",
            "---",
            "...",
            "a: b",
            "a:",
            "null",
            "~",
            "",
            "true",
            "<<",
            "=",
            "[a]",
            "{a}",
            ".inf",
            ".nan",
            "+1",
            "-1",
            "1.",
            ".5",
            "0",
            "00",
            "é: ü",
        ];
        let mut items: Vec<Value> = strings.iter().map(|s| Value::from(*s)).collect();
        items.extend([
            Value::from(i64::MIN),
            Value::from(i64::MAX),
            Value::from(u64::MAX),
            Value::F64(0.1),
            Value::F64(-0.0),
            Value::F64(1e300),
            Value::F64(5e-324),
            Value::F64(f64::NAN),
            Value::F64(f64::INFINITY),
            Value::Boolean(false),
            Value::Binary(vec![0, 0xff, 0x80]),
            Value::Array(vec![]),
        ]);
        let mut keyed: Vec<(Value, Value)> = strings
            .iter()
            .enumerate()
            .map(|(at, s)| (Value::from(*s), Value::from(at as i64)))
            .collect();
        keyed.extend([
            (Value::from(1), Value::from("int key")),
            (Value::F64(2.5), Value::from("float key")),
            (Value::Boolean(true), Value::from("bool key")),
            (Value::from("k".repeat(2000)), Value::from("long key")),
            (Value::Binary(vec![0xff]), Value::from("binary key")),
        ]);
        let mut deep = Value::from("bottom");
        for _ in 0..127 {
            deep = Value::Map(vec![(Value::from("d"), deep)]);
        }
        let value = Value::Map(vec![
            (Value::from("items"), Value::Array(items)),
            (Value::from("keyed"), Value::Map(keyed)),
            (Value::from("deep"), deep),
        ]);
        let payload = encode_values(vec![value.clone()]);
        let text = encode::to_yaml(&payload, &[], 1 << 24, &mut || true).unwrap();
        let decoded = decode::to_msgpack(&text, 1 << 24, &mut || true)
            .unwrap_or_else(|error| panic!("{error:?} in\n{text}"));
        let decoded = crate::codec::decode_values(&decoded).unwrap().remove(0);
        assert_eq!(canonical(decoded), canonical(value), "{text}");
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(parse(Value::Nil), Ok(Options::default()));
        assert_eq!(parse(Value::Array(vec![])), Ok(Options::default()));
        let order = Value::Array(vec![Value::from("name"), Value::from("kind")]);
        let options = Value::Map(vec![
            (Value::from("field_order"), order),
            (Value::from("sort_unordered"), Value::Boolean(true)),
        ]);
        assert_eq!(parse(options).unwrap().field_order, ["name", "kind"]);

        let typo = Value::Map(vec![(Value::from("sort_unorderd"), Value::Boolean(true))]);
        assert_eq!(
            parse(typo).unwrap_err(),
            r#"unknown option "sort_unorderd" (known: field_order, sort_unordered)"#
        );
        let numbers = Value::Map(vec![(
            Value::from("field_order"),
            Value::Array(vec![Value::from(1)]),
        )]);
        assert!(parse(numbers).unwrap_err().contains("list of strings"));
        assert!(
            parse(Value::from(3))
                .unwrap_err()
                .contains("must be a table")
        );
        let list = Value::Array(vec![Value::from("name")]);
        assert!(parse(list).unwrap_err().contains("must be a table such as"));
    }
}
