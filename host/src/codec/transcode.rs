//! JSON text → the MessagePack the guest reads, written straight from serde_json's parser: no
//! tree of the whole document is built (a tree of a 50 MB array took 2 GB of host memory), the
//! output stops at a size limit, and a callback may stop long work (a deadline).
//!
//! The values are those of [`super::json_to_msgpack`]: `null` is nil, integers stay integers,
//! other numbers are floats. Containers are written with 32-bit length headers, patched once
//! their length is known. Nesting is limited by serde_json (128 levels).
//!
//! ```
//! use luabox::codec::{json_text_to_msgpack, values_to_json};
//! let bytes = json_text_to_msgpack(r#"{"a": [1, 2.5, null]}"#, 1 << 20, &mut || true).unwrap();
//! assert_eq!(values_to_json(&bytes).unwrap(), serde_json::json!({"a": [1, 2.5, null]}));
//! ```

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::pace::{Pace, written};

/// Why a text did not become MessagePack.
#[derive(Debug, PartialEq)]
pub enum TranscodeError {
    /// Not JSON: serde_json's message, with line and column.
    Invalid(String),
    /// The value takes more than the limit as MessagePack.
    TooLarge { limit: usize },
    /// The callback said to stop.
    Stopped,
}

/// `text` (one JSON value) as a MessagePack array holding that value, at most `limit` bytes;
/// `go_on` is called now and then, and stops the work by returning false.
pub fn json_text_to_msgpack(
    text: &str,
    limit: usize,
    go_on: &mut dyn FnMut() -> bool,
) -> Result<Vec<u8>, TranscodeError> {
    let mut out = Out {
        buf: vec![0x91], // an array of one value
        limit,
        pace: Pace::new(go_on),
        stop: None,
    };
    let mut parser = serde_json::Deserializer::from_str(text);
    let parsed = Value(&mut out)
        .deserialize(&mut parser)
        .and_then(|()| parser.end());
    match (parsed, out.stop) {
        (Ok(()), None) => Ok(out.buf),
        (_, Some(stop)) => Err(stop),
        (Err(error), None) => Err(TranscodeError::Invalid(error.to_string())),
    }
}

struct Out<'a> {
    buf: Vec<u8>,
    limit: usize,
    pace: Pace<'a>,
    /// Set when the work stopped for a reason of ours (the parser then reports a custom error).
    stop: Option<TranscodeError>,
}

impl Out<'_> {
    /// Account for one value just written; an error stops the parser.
    fn wrote<E: de::Error>(&mut self) -> Result<(), E> {
        if self.buf.len() > self.limit {
            self.stop = Some(TranscodeError::TooLarge { limit: self.limit });
        } else if !self.pace.step() {
            self.stop = Some(TranscodeError::Stopped);
        }
        match self.stop {
            Some(_) => Err(E::custom("stopped")),
            None => Ok(()),
        }
    }

    /// Write a container header (`marker` and a 32-bit length to patch) and return its place.
    fn open(&mut self, marker: u8) -> usize {
        self.buf.push(marker);
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.len() - 4
    }

    fn close(&mut self, at: usize, len: u32) {
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
}

/// One JSON value, written to the output as it is parsed.
struct Value<'o, 'a>(&'o mut Out<'a>);

impl<'de> DeserializeSeed<'de> for Value<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        written(rmp::encode::write_nil(&mut self.0.buf));
        self.0.wrote()
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        written(rmp::encode::write_bool(&mut self.0.buf, b));
        self.0.wrote()
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        written(rmp::encode::write_sint(&mut self.0.buf, n).map(drop));
        self.0.wrote()
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        written(rmp::encode::write_uint(&mut self.0.buf, n).map(drop));
        self.0.wrote()
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<(), E> {
        written(rmp::encode::write_f64(&mut self.0.buf, f));
        self.0.wrote()
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        written(rmp::encode::write_str(&mut self.0.buf, s));
        self.0.wrote()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.0.open(0xdd);
        let mut len = 0u32;
        while seq.next_element_seed(Value(self.0))?.is_some() {
            len += 1;
        }
        self.0.close(at, len);
        self.0.wrote()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.0.open(0xdf);
        let mut len = 0u32;
        while map.next_key_seed(Value(self.0))?.is_some() {
            map.next_value_seed(Value(self.0))?;
            len += 1;
        }
        self.0.close(at, len);
        self.0.wrote()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Vec<u8>, Vec<u8>) {
        let streamed = json_text_to_msgpack(text, 1 << 20, &mut || true).unwrap();
        let tree = serde_json::from_str(text).unwrap();
        (streamed, super::super::json_to_values(&[tree]))
    }

    #[test]
    fn the_same_values_as_through_a_tree() {
        let text = r#"{"a": [1, -2, 2.5, null, true, "é"], "big": 18446744073709551615,
                       "neg": -9223372036854775808, "nested": {"x": {}, "y": []}}"#;
        let (streamed, tree) = both(text);
        assert_eq!(
            super::super::values_to_json(&streamed).unwrap(),
            super::super::values_to_json(&tree).unwrap()
        );
        assert_eq!(
            super::super::decode_values(&streamed).unwrap(),
            super::super::decode_values(&tree).unwrap()
        );
    }

    #[test]
    fn limits_and_errors() {
        let long = format!("[{}1]", "1,".repeat(100_000));
        assert_eq!(
            json_text_to_msgpack(&long, 1000, &mut || true),
            Err(TranscodeError::TooLarge { limit: 1000 })
        );
        let mut calls = 0;
        let mut stop = || {
            calls += 1;
            false
        };
        assert_eq!(
            json_text_to_msgpack(&long, 1 << 20, &mut stop),
            Err(TranscodeError::Stopped)
        );
        assert_eq!(calls, 1);
        for bad in ["[1,", "{\"a\" 1}", "1 2", "", "[1]]"] {
            assert!(
                matches!(
                    json_text_to_msgpack(bad, 1 << 20, &mut || true),
                    Err(TranscodeError::Invalid(_))
                ),
                "{bad}"
            );
        }
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            json_text_to_msgpack(&deep, 1 << 20, &mut || true),
            Err(TranscodeError::Invalid(message)) if message.contains("recursion limit")
        ));
    }
}
