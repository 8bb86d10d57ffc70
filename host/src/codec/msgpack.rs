//! A reader of MessagePack in place, one header at a time, for the values the guest sends
//! (`guest-lua/glue/codec.c`) and the ones the host writes: the yaml module walks a 16 MiB value
//! without a tree of it (an `rmpv::Value` tree of a 7 MB table took 230 MB), and a store checks
//! that a value is one well-formed value without decoding it.
//!
//! ```text
//! read(&[0x92, 0x01, 0xa1, b'x'], 0)  // Some((Item::Array(2), 1)): two items follow at 1
//! skip(&[0x92, 0x01, 0xa1, b'x'], 0)  // Some(4): where the array ends
//! ```

/// One value, or the header of a container whose items follow it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    /// Above `i64::MAX`.
    Uint(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    /// A count of pairs.
    Map(usize),
    /// An extension's type and where its data starts; `len` bytes long.
    Ext {
        kind: i8,
        at: usize,
        len: usize,
    },
}

/// The item at `at` and where what follows it starts (for a container, its first item); `None`
/// if the bytes there are not MessagePack.
pub fn read(buf: &[u8], at: usize) -> Option<(Item<'_>, usize)> {
    let marker = *buf.get(at)?;
    let at = at + 1;
    let number = |size: usize| {
        let bytes = buf.get(at..at.checked_add(size)?)?;
        Some(bytes.iter().fold(0u64, |n, &b| n << 8 | u64::from(b)))
    };
    let bytes = |from: usize, len: usize| {
        let end = from.checked_add(len)?;
        Some((buf.get(from..end)?, end))
    };
    // Sizes of the length field for the forms with one: 1, 2 or 4 bytes.
    let size = |first: u8| 1usize << (marker - first);
    Some(match marker {
        0x00..=0x7f => (Item::Int(i64::from(marker)), at),
        0xe0..=0xff => (Item::Int(i64::from(marker as i8)), at),
        0x80..=0x8f => (Item::Map(usize::from(marker & 0x0f)), at),
        0x90..=0x9f => (Item::Array(usize::from(marker & 0x0f)), at),
        0xa0..=0xbf => {
            let (s, end) = bytes(at, usize::from(marker & 0x1f))?;
            (Item::Str(s), end)
        }
        0xc0 => (Item::Nil, at),
        0xc2 => (Item::Bool(false), at),
        0xc3 => (Item::Bool(true), at),
        0xc4..=0xc6 => {
            let len = number(size(0xc4))? as usize;
            let (b, end) = bytes(at + size(0xc4), len)?;
            (Item::Bin(b), end)
        }
        0xc7..=0xc9 => {
            let len = number(size(0xc7))? as usize;
            let data = at + size(0xc7) + 1;
            let kind = *buf.get(data - 1)? as i8;
            let (_, end) = bytes(data, len)?;
            (
                Item::Ext {
                    kind,
                    at: data,
                    len,
                },
                end,
            )
        }
        0xca => (
            Item::Float(f64::from(f32::from_bits(number(4)? as u32))),
            at + 4,
        ),
        0xcb => (Item::Float(f64::from_bits(number(8)?)), at + 8),
        0xcc..=0xcf => {
            let n = number(1 << (marker - 0xcc))?;
            let item = i64::try_from(n).map_or(Item::Uint(n), Item::Int);
            (item, at + (1 << (marker - 0xcc)))
        }
        0xd0..=0xd3 => {
            let width = 1usize << (marker - 0xd0);
            let n = number(width)?;
            // Sign-extend from the value's own width.
            let shift = 64 - 8 * width as u32;
            (Item::Int(((n << shift) as i64) >> shift), at + width)
        }
        0xd4..=0xd8 => {
            let len = 1usize << (marker - 0xd4);
            let kind = *buf.get(at)? as i8;
            let (_, end) = bytes(at + 1, len)?;
            (
                Item::Ext {
                    kind,
                    at: at + 1,
                    len,
                },
                end,
            )
        }
        0xd9..=0xdb => {
            let len = number(size(0xd9))? as usize;
            let (s, end) = bytes(at + size(0xd9), len)?;
            (Item::Str(s), end)
        }
        0xdc => (Item::Array(number(2)? as usize), at + 2),
        0xdd => (Item::Array(number(4)? as usize), at + 4),
        0xde => (Item::Map(number(2)? as usize), at + 2),
        0xdf => (Item::Map(number(4)? as usize), at + 4),
        0xc1 => return None,
    })
}

/// Where the value at `at` ends, its items included; `None` if it is not complete MessagePack.
/// Each item read takes at least one byte, so the walk ends within the bytes however large the
/// counts the headers claim.
pub fn skip(buf: &[u8], mut at: usize) -> Option<usize> {
    let mut values = 1usize;
    while values > 0 {
        values -= 1;
        let (item, next) = read(buf, at)?;
        at = next;
        match item {
            Item::Array(n) => values = values.checked_add(n)?,
            Item::Map(n) => values = values.checked_add(n.checked_mul(2)?)?,
            _ => {}
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmpv::Value;

    fn bytes(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, value).unwrap();
        out
    }

    #[test]
    fn every_form_reads_as_rmp_writes_it() {
        for (value, item) in [
            (Value::Nil, Item::Nil),
            (Value::Boolean(true), Item::Bool(true)),
            (Value::from(5), Item::Int(5)),
            (Value::from(-5), Item::Int(-5)),
            (Value::from(200), Item::Int(200)),
            (Value::from(-200), Item::Int(-200)),
            (Value::from(70_000), Item::Int(70_000)),
            (Value::from(-70_000), Item::Int(-70_000)),
            (Value::from(i64::MIN), Item::Int(i64::MIN)),
            (Value::from(u64::MAX), Item::Uint(u64::MAX)),
            (Value::F32(1.5), Item::Float(1.5)),
            (Value::F64(-2.25), Item::Float(-2.25)),
            (Value::from("hi"), Item::Str(b"hi")),
            (Value::Binary(vec![1, 2]), Item::Bin(&[1, 2])),
            (
                Value::Ext(1, vec![9]),
                Item::Ext {
                    kind: 1,
                    at: 2,
                    len: 1,
                },
            ),
            (
                Value::Ext(-2, vec![0; 3]),
                Item::Ext {
                    kind: -2,
                    at: 3,
                    len: 3,
                },
            ),
        ] {
            let encoded = bytes(&value);
            assert_eq!(read(&encoded, 0), Some((item, encoded.len())), "{value}");
        }
        let long = bytes(&Value::from("x".repeat(300)));
        assert!(matches!(read(&long, 0), Some((Item::Str(s), 303)) if s.len() == 300));
    }

    #[test]
    fn containers_and_their_ends() {
        let items: Vec<Value> = (0..20).map(Value::from).collect();
        let value = Value::Array(vec![
            Value::Array(items),
            Value::Map(vec![(Value::from("k"), Value::Map(vec![]))]),
            Value::from("end"),
        ]);
        let encoded = bytes(&value);
        assert_eq!(read(&encoded, 0), Some((Item::Array(3), 1)));
        assert_eq!(read(&encoded, 1), Some((Item::Array(20), 4)));
        assert_eq!(skip(&encoded, 0), Some(encoded.len()));
        assert_eq!(skip(&encoded[..encoded.len() - 1], 0), None);
        // A count larger than the bytes left ends at the end of the bytes.
        assert_eq!(skip(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], 0), None);
        assert_eq!(read(&[0xc1], 0), None);
    }
}
