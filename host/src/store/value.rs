//! Stored values: the MessagePack encoding of one Lua value, cut out of the one-value array the
//! guest sends and put back into one when it is read.
//!
//! The guest's codec writes the arguments of a call as an array, so the value of `s:set(k, v)`
//! arrives as `[v]` (the byte 0x91, then `v`). A store keeps just `v`; [`from_payload`] checks
//! that the bytes are exactly one well-formed value, without decoding it into a tree (a payload
//! of millions of tiny values would otherwise cost the host many times its size), and
//! [`to_payload`] makes `[v]` again for the guest.
//!
//! ```
//! use luabox::store::value::{from_payload, to_payload};
//! let payload = vec![0x91, 0xa2, b'h', b'i'];      // ["hi"]
//! let stored = from_payload(&payload).unwrap();
//! assert_eq!(stored, [0xa2, b'h', b'i']);
//! assert_eq!(to_payload(&stored), payload);
//! ```

/// The MessagePack tag of an array of one element.
const ONE_VALUE_ARRAY: u8 = 0x91;

/// The value inside a one-value array, if `payload` is exactly that.
pub fn from_payload(payload: &[u8]) -> Option<&[u8]> {
    let value = payload.strip_prefix(&[ONE_VALUE_ARRAY])?;
    is_one_value(value).then_some(value)
}

/// The one-value array holding `value`.
pub fn to_payload(value: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(1 + value.len());
    payload.push(ONE_VALUE_ARRAY);
    payload.extend_from_slice(value);
    payload
}

/// Whether `bytes` is exactly one complete MessagePack value.
pub fn is_one_value(bytes: &[u8]) -> bool {
    crate::codec::msgpack::skip(bytes, 0) == Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmpv::Value;

    fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, value).unwrap();
        out
    }

    #[test]
    fn every_kind_of_value_is_one_value() {
        let big = "x".repeat(70_000);
        let values = [
            Value::Nil,
            Value::Boolean(true),
            Value::from(7),
            Value::from(-7),
            Value::from(300),
            Value::from(-70_000),
            Value::from(u64::MAX),
            Value::from(i64::MIN),
            Value::F32(1.5),
            Value::F64(0.1),
            Value::from("short"),
            Value::from("y".repeat(200)),
            Value::from(big.as_str()),
            Value::Binary(vec![0xff; 300]),
            Value::Ext(1, vec![1]),
            Value::Ext(1, vec![1, 2]),
            Value::Ext(1, vec![0; 4]),
            Value::Ext(1, vec![0; 8]),
            Value::Ext(1, vec![0; 16]),
            Value::Ext(1, vec![0; 3]),
            Value::Ext(1, vec![0; 300]),
            Value::Array((0..20).map(Value::from).collect()),
            Value::Array((0..70_000).map(|_| Value::Nil).collect()),
            Value::Map(vec![(
                Value::from("a"),
                Value::Map((0..20).map(|i| (Value::from(i), Value::Nil)).collect()),
            )]),
        ];
        for value in &values {
            let bytes = encode(value);
            assert!(is_one_value(&bytes), "{value}");
            let mut two = bytes.clone();
            two.push(0xc0);
            assert!(!is_one_value(&two), "trailing bytes: {value}");
            assert!(
                !is_one_value(&bytes[..bytes.len() - 1]),
                "truncated: {value}"
            );
        }
    }

    #[test]
    fn malformed_encodings_are_refused() {
        for bad in [
            &[][..],
            &[0xc1],
            &[0x92, 0x01],                   // an array of two with one element
            &[0xdd, 0xff, 0xff, 0xff, 0xff], // 4 billion elements, no bytes
            &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0xc6, 0xff, 0xff, 0xff], // truncated length
            &[0xa3, b'a'],
        ] {
            assert!(!is_one_value(bad), "{bad:?}");
        }
        assert_eq!(from_payload(&[0x92, 0x01, 0x02]), None, "two values");
        assert_eq!(from_payload(&[0x90]), None, "no value");
        assert_eq!(from_payload(&[0x91, 0x01]), Some(&[0x01][..]));
    }
}
