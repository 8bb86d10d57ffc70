//! `yaml.decode`: YAML text → the MessagePack the guest reads, written as libyaml reports events
//! ([`super::events`]), with no tree of the document.
//!
//! Scalars take their values from [`super::schema`] (YAML 1.2's core schema).
//!
//! Hostile text is bounded: nesting stops at [`MAX_DEPTH`] levels before the parser goes deeper,
//! an alias copies the MessagePack its anchor wrote (never more than the payload limit in all,
//! so a "billion laughs" document stops there), at most [`MAX_ANCHORS`] anchors are defined, and
//! `go_on` is asked now and then whether to continue. Containers are written with 32-bit length
//! headers, patched once their length is known, so an anchored node's bytes are final when it
//! ends and a copy is one `memcpy`.
//!
//! A `<<` merge key takes an alias of a mapping, or a list of them (`<<: [*a, *b]`): when the
//! mapping ends, the pairs of the merged mappings whose keys it lacks are appended, earlier
//! merges winning over later ones.

use std::collections::HashMap;

use super::events::{Event, Node, Parser, Style};
use crate::codec::msgpack::{Item, read, skip};
use crate::codec::pace::{Pace, written};
use super::schema::{self, Scalar};
use super::{Failure, MAX_DEPTH};

/// Enough for any hand-written or generated document; each keeps its name.
const MAX_ANCHORS: usize = 100_000;

const ARRAY32: u8 = 0xdd;
const MAP32: u8 = 0xdf;

/// `text` (one YAML document) as a MessagePack array holding its value, at most `limit` bytes;
/// `go_on` is called now and then, and stops the work by returning false.
pub(super) fn to_msgpack(
    text: &str,
    limit: usize,
    go_on: &mut dyn FnMut() -> bool,
) -> Result<Vec<u8>, Failure> {
    let mut out = Decoder {
        buf: vec![0x91], // an array of one value
        limit: limit.min(u32::MAX as usize),
        stack: Vec::new(),
        anchors: HashMap::new(),
        defined: 0,
        root: false,
        pace: Pace::new(go_on),
    };
    let mut parser = Parser::new(text);
    loop {
        let (event, mark) = parser.next().map_err(Failure::Invalid)?;
        let line = mark.line;
        match event {
            Event::StreamEnd => break,
            Event::Scalar(node, text, style) => {
                out.scalar(&text, style == Style::Plain, node, line)?
            }
            Event::SequenceStart(node) => out.open(ARRAY32, node, line)?,
            Event::MappingStart(node) => out.open(MAP32, node, line)?,
            Event::SequenceEnd | Event::MappingEnd => out.close(line)?,
            Event::Alias(name) => out.alias(&name, line)?,
            Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {}
        }
        out.tick()?;
    }
    if !out.root {
        out.buf.push(0xc0); // no document: nil
    }
    Ok(out.buf)
}

fn invalid(line: usize, message: &str) -> Failure {
    Failure::Invalid(format!("line {line}: {message}"))
}

/// What a mapping expects next.
#[derive(Clone, Copy, PartialEq)]
enum Next {
    Key,
    Value,
    /// The value of a `<<` key: an alias, or a list of them.
    Merge,
    /// Inside the list of a `<<` key.
    MergeList,
}

struct Frame {
    /// Where the container's marker is.
    start: usize,
    map: bool,
    /// Items, or pairs.
    count: u32,
    anchor: Option<String>,
    /// Levels of containers in it, itself included.
    height: usize,
    next: Next,
    /// The mappings merged into this one.
    merges: Vec<Anchored>,
}

/// Where an anchored node's MessagePack is in the output.
#[derive(Clone, Copy)]
struct Anchored {
    start: usize,
    /// `None` while the node is still being written.
    end: Option<usize>,
    height: usize,
    map: bool,
}

struct Decoder<'a> {
    buf: Vec<u8>,
    limit: usize,
    stack: Vec<Frame>,
    /// By name: the node that last took it (a name may be given again).
    anchors: HashMap<String, Anchored>,
    /// Anchors defined so far.
    defined: usize,
    /// The document's value is written.
    root: bool,
    pace: Pace<'a>,
}

impl Decoder<'_> {
    fn tick(&mut self) -> Result<(), Failure> {
        if self.buf.len() > self.limit {
            return Err(Failure::TooLarge);
        }
        if self.pace.step() {
            Ok(())
        } else {
            Err(Failure::Stopped)
        }
    }

    /// What the place a new node goes to expects.
    fn next(&self) -> Option<Next> {
        self.stack.last().map(|frame| match frame.map {
            true => frame.next,
            false => Next::Value,
        })
    }

    /// `name` now names the node that starts where the output ends.
    fn anchor(&mut self, name: Option<&String>, map: bool, line: usize) -> Result<(), Failure> {
        let Some(name) = name else {
            return Ok(());
        };
        self.defined += 1;
        if self.defined > MAX_ANCHORS {
            return Err(invalid(line, &format!("more than {MAX_ANCHORS} anchors")));
        }
        let open = Anchored {
            start: self.buf.len(),
            end: None,
            height: 0,
            map,
        };
        self.anchors.insert(name.clone(), open);
        Ok(())
    }

    /// The node anchored as `name` that started at `start` is complete, unless a node inside it
    /// took the name since.
    fn anchored(&mut self, name: Option<&String>, start: usize, height: usize) {
        if let Some(anchored) = name.and_then(|name| self.anchors.get_mut(name))
            && anchored.start == start
        {
            anchored.end = Some(self.buf.len());
            anchored.height = height;
        }
    }

    fn scalar(&mut self, text: &str, plain: bool, node: Node, line: usize) -> Result<(), Failure> {
        let bare = node.anchor.is_none() && node.tag.is_none();
        match self.next() {
            None if self.root => {
                // A `---` after the document, with nothing in it, is harmless.
                if plain && text.is_empty() && bare {
                    return Ok(());
                }
                return Err(invalid(line, "a second document; yaml.decode reads one"));
            }
            Some(Next::Key) if plain && text == "<<" && bare => {
                if let Some(frame) = self.stack.last_mut() {
                    frame.next = Next::Merge;
                }
                return Ok(());
            }
            Some(Next::Merge | Next::MergeList) => return Err(merge_error(line)),
            _ => {}
        }
        let start = self.buf.len();
        self.anchor(node.anchor.as_ref(), false, line)?;
        self.write_scalar(text, plain, node.tag.as_deref(), line)?;
        if self.next() == Some(Next::Key) {
            check_key(&self.buf[start..], line)?;
        }
        self.anchored(node.anchor.as_ref(), start, 0);
        self.placed(0);
        Ok(())
    }

    fn write_scalar(
        &mut self,
        text: &str,
        plain: bool,
        tag: Option<&str>,
        line: usize,
    ) -> Result<(), Failure> {
        let scalar = schema::resolve(text, plain, tag).map_err(|error| invalid(line, &error))?;
        let buf = &mut self.buf;
        match scalar {
            Scalar::Nil => buf.push(0xc0),
            Scalar::Bool(b) => buf.push(if b { 0xc3 } else { 0xc2 }),
            Scalar::Int(i) => written(rmp::encode::write_sint(buf, i).map(drop)),
            Scalar::Uint(u) => written(rmp::encode::write_uint(buf, u).map(drop)),
            Scalar::Float(f) => written(rmp::encode::write_f64(buf, f)),
            Scalar::Str => written(rmp::encode::write_str(buf, text)),
            Scalar::Bin(bytes) => written(rmp::encode::write_bin(buf, &bytes)),
        }
        Ok(())
    }

    fn open(&mut self, marker: u8, node: Node, line: usize) -> Result<(), Failure> {
        match self.next() {
            None if self.root => {
                return Err(invalid(line, "a second document; yaml.decode reads one"));
            }
            Some(Next::Key) => return Err(invalid(line, "mapping keys must be scalars")),
            Some(Next::Merge) if marker == ARRAY32 && node.anchor.is_none() => {
                if let Some(frame) = self.stack.last_mut() {
                    frame.next = Next::MergeList;
                }
                return Ok(());
            }
            Some(Next::Merge | Next::MergeList) => return Err(merge_error(line)),
            _ => {}
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(invalid(
                line,
                &format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let start = self.buf.len();
        self.anchor(node.anchor.as_ref(), marker == MAP32, line)?;
        self.buf.push(marker);
        self.buf.extend_from_slice(&[0; 4]);
        self.stack.push(Frame {
            start,
            map: marker == MAP32,
            count: 0,
            anchor: node.anchor,
            height: 1,
            next: Next::Key,
            merges: Vec::new(),
        });
        Ok(())
    }

    fn close(&mut self, line: usize) -> Result<(), Failure> {
        if let Some(frame) = self.stack.last_mut()
            && frame.next == Next::MergeList
        {
            frame.next = Next::Key;
            return Ok(());
        }
        let Some(mut frame) = self.stack.pop() else {
            return Ok(());
        };
        if !frame.merges.is_empty() {
            self.merge(&mut frame, line)?;
        }
        let count = frame.count.to_be_bytes();
        self.buf[frame.start + 1..frame.start + 5].copy_from_slice(&count);
        self.anchored(frame.anchor.as_ref(), frame.start, frame.height);
        self.placed(frame.height);
        Ok(())
    }

    fn alias(&mut self, name: &str, line: usize) -> Result<(), Failure> {
        let Some(anchored) = self.anchors.get(name).copied() else {
            return Err(invalid(
                line,
                &format!("an alias of an unknown anchor '{name}'"),
            ));
        };
        let Some(end) = anchored.end else {
            return Err(invalid(line, "an alias inside the node it refers to"));
        };
        match self.next() {
            None if self.root => {
                return Err(invalid(line, "a second document; yaml.decode reads one"));
            }
            Some(Next::Merge | Next::MergeList) => {
                if !anchored.map {
                    return Err(merge_error(line));
                }
                // The `<<` pair itself is never written.
                if let Some(frame) = self.stack.last_mut() {
                    frame.merges.push(anchored);
                    if frame.next == Next::Merge {
                        frame.next = Next::Key;
                    }
                }
                return Ok(());
            }
            _ => {}
        }
        if self.stack.len() + anchored.height > MAX_DEPTH {
            return Err(invalid(
                line,
                &format!("the alias nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if self.buf.len() + (end - anchored.start) > self.limit {
            return Err(Failure::TooLarge);
        }
        let start = self.buf.len();
        self.buf.extend_from_within(anchored.start..end);
        if self.next() == Some(Next::Key) {
            check_key(&self.buf[start..], line)?;
        }
        self.placed(anchored.height);
        Ok(())
    }

    /// A node of `height` levels of containers is complete where the next one was expected.
    fn placed(&mut self, height: usize) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = true;
            return;
        };
        frame.height = frame.height.max(height + 1);
        if !frame.map {
            frame.count += 1;
        } else if frame.next == Next::Key {
            frame.next = Next::Value;
        } else {
            frame.count += 1;
            frame.next = Next::Key;
        }
    }

    /// Append to the mapping that just ended the pairs of the mappings it merges whose keys it
    /// does not have yet.
    fn merge(&mut self, frame: &mut Frame, line: usize) -> Result<(), Failure> {
        // Key starts, sorted by the key's bytes, for binary searches.
        let mut taken = self.keys(frame.start, frame.count)?;
        self.sort_keys(&mut taken);
        for source in std::mem::take(&mut frame.merges) {
            if self.stack.len() + source.height > MAX_DEPTH {
                return Err(invalid(
                    line,
                    &format!("the merge nests deeper than {MAX_DEPTH} levels"),
                ));
            }
            frame.height = frame.height.max(source.height);
            let mut added = Vec::new();
            let mut at = source.start + 5;
            for _ in 0..header(&self.buf, source.start) {
                let key_end = skip(&self.buf, at).ok_or_else(corrupt)?;
                let pair_end = skip(&self.buf, key_end).ok_or_else(corrupt)?;
                let key = &self.buf[at..key_end];
                let found = taken
                    .binary_search_by(|&other| self.key(other).cmp(key))
                    .is_ok();
                if !found {
                    if self.buf.len() + (pair_end - at) > self.limit {
                        return Err(Failure::TooLarge);
                    }
                    added.push(self.buf.len() as u32);
                    self.buf.extend_from_within(at..pair_end);
                    frame.count += 1;
                }
                at = pair_end;
                self.tick()?;
            }
            taken.extend(added);
            self.sort_keys(&mut taken);
        }
        Ok(())
    }

    /// Where the keys of the `count` pairs of the mapping at `start` begin.
    fn keys(&self, start: usize, count: u32) -> Result<Vec<u32>, Failure> {
        let mut keys = Vec::with_capacity(count as usize);
        let mut at = start + 5;
        for _ in 0..count {
            keys.push(at as u32);
            let key_end = skip(&self.buf, at).ok_or_else(corrupt)?;
            at = skip(&self.buf, key_end).ok_or_else(corrupt)?;
        }
        Ok(keys)
    }

    fn sort_keys(&self, keys: &mut [u32]) {
        keys.sort_unstable_by(|&a, &b| self.key(a).cmp(self.key(b)));
    }

    /// The bytes of the key that starts at `start`.
    fn key(&self, start: u32) -> &[u8] {
        let start = start as usize;
        &self.buf[start..skip(&self.buf, start).unwrap_or(start)]
    }
}

fn merge_error(line: usize) -> Failure {
    invalid(
        line,
        "the merge key '<<' takes an alias of a mapping (<<: *base) or a list of them",
    )
}

/// Our own output did not parse back: a bug, reported as such.
fn corrupt() -> Failure {
    Failure::Invalid("internal error: the decoded value is malformed".into())
}

/// Lua tables cannot hold a nil or NaN key, and a table as a key would be a new table that no
/// lookup finds.
fn check_key(key: &[u8], line: usize) -> Result<(), Failure> {
    let nan = || {
        key.get(1..9)
            .and_then(|bits| <[u8; 8]>::try_from(bits).ok())
            .is_some_and(|bits| f64::from_be_bytes(bits).is_nan())
    };
    match key.first() {
        Some(0xc0) => Err(invalid(
            line,
            "a null mapping key, which a Lua table cannot hold",
        )),
        Some(0xcb) if nan() => Err(invalid(
            line,
            "a NaN mapping key, which a Lua table cannot hold",
        )),
        Some(&ARRAY32 | &MAP32) => Err(invalid(line, "mapping keys must be scalars")),
        _ => Ok(()),
    }
}

/// The length in the 32-bit header of the container at `start`.
fn header(buf: &[u8], start: usize) -> usize {
    match read(buf, start) {
        Some((Item::Array(len) | Item::Map(len), _)) => len,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_values, values_to_json};
    use rmpv::Value;
    use serde_json::json;

    fn decode(text: &str) -> Result<Vec<u8>, Failure> {
        to_msgpack(text, 1 << 20, &mut || true)
    }

    fn json(text: &str) -> serde_json::Value {
        values_to_json(&decode(text).unwrap()).unwrap()
    }

    fn refused(text: &str) -> String {
        match decode(text) {
            Err(Failure::Invalid(message)) => message,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn core_schema() {
        assert_eq!(
            json(
                "n: ~\ne:\nt: true\nf: False\ni: -12\nh: 0x1F\no: 0o17\nfl: 1.5e3\ns: hello\n\
                 q: \"12\"\nsq: 'true'\nv: 1.2.3\ntagged: !!str 5\nneg: -.5\nyes: yes\n\
                 list: [1, two, {three: 3}]\nblock: |\n  a\n  b\n"
            ),
            json!({"n": null, "e": null, "t": true, "f": false, "i": -12, "h": 31, "o": 15,
                   "fl": 1500.0, "s": "hello", "q": "12", "sq": "true", "v": "1.2.3",
                   "tagged": "5", "neg": -0.5, "yes": "yes",
                   "list": [1, "two", {"three": 3}], "block": "a\nb\n"})
        );
        let values = decode_values(
            &decode(
                "[3, 3.0, .inf, -.Inf, .nan, 18446744073709551615, \
                                            123456789012345678901234, !!float 2]",
            )
            .unwrap(),
        )
        .unwrap();
        let Value::Array(items) = &values[0] else {
            panic!("{values:?}")
        };
        assert!(items[0].is_i64() && items[1].is_f64());
        assert_eq!(items[2].as_f64(), Some(f64::INFINITY));
        assert_eq!(items[3].as_f64(), Some(f64::NEG_INFINITY));
        assert!(items[4].as_f64().is_some_and(f64::is_nan));
        assert_eq!(items[5].as_u64(), Some(u64::MAX));
        assert!(items[6].is_f64() && items[7].is_f64());
        assert_eq!(json("# only a comment\n"), serde_json::Value::Null);
        assert_eq!(json("just text"), json!("just text"));
        assert_eq!(json("a: 1\n---\n"), json!({"a": 1}));
        assert_eq!(
            json("1: one\n2.5: x\ntrue: y\n"),
            json!({"1": "one", "2.5": "x", "true": "y"})
        );
    }

    #[test]
    fn binary_and_tags() {
        let values = decode_values(&decode("b: !!binary /wA=\nc: !custom 5\n").unwrap()).unwrap();
        assert_eq!(
            values[0],
            Value::Map(vec![
                (Value::from("b"), Value::Binary(vec![0xff, 0])),
                (Value::from("c"), Value::from(5)),
            ])
        );
        assert!(refused("x: !!int abc").contains("'abc' is not an integer"));
        assert!(refused("x: !!binary '***'").contains("line 1: !!binary: "));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        assert_eq!(
            json(
                "base: &base {modules: [json], x: 1}\ncopy: *base\nmerged:\n  <<: *base\n  x: 2\n"
            ),
            json!({"base": {"modules": ["json"], "x": 1}, "copy": {"modules": ["json"], "x": 1},
                   "merged": {"modules": ["json"], "x": 2}})
        );
        let doc = json(
            "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nm:\n  <<: [*a, *b]\n  z: 3\n  w: 4\n\
             n: {<<: *b, y: 0}\nkey: &k name\n*k : aliased\n",
        );
        assert_eq!(doc["m"], json!({"x": 1, "y": 1, "z": 3, "w": 4}));
        assert_eq!(doc["n"], json!({"y": 0, "z": 2}));
        assert_eq!(doc["name"], json!("aliased"));
        assert_eq!(json("'<<': 1\n"), json!({"<<": 1}));
    }

    #[test]
    fn malformed_and_unsupported() {
        assert!(
            refused("a: [1,").starts_with("did not find expected node content at line 2 column 1")
        );
        assert_eq!(
            refused("a: 1\n  b: 2\n"),
            "mapping values are not allowed in this context at line 2 column 4"
        );
        assert!(refused("a: 1\n---\nb: 2\n").contains("a second document"));
        assert!(refused("? [a]\n: 1\n").contains("mapping keys must be scalars"));
        assert!(refused("~: 1\n").contains("a null mapping key"));
        assert!(refused(".nan: 1\n").contains("a NaN mapping key"));
        assert!(refused("a: &a [1, *a]\n").contains("inside the node it refers to"));
        assert!(refused("m:\n  <<: 5\n").contains("merge key"));
        assert!(refused("m:\n  <<: {a: 1}\n").contains("merge key"));
        assert!(refused("s: &s x\nm:\n  <<: *s\n").contains("merge key"));
        assert_eq!(
            refused("a: 1\nb: x\0y\n"),
            "control characters are not allowed at line 2 column 5"
        );
        assert!(refused("a: *nowhere").contains("an alias of an unknown anchor 'nowhere'"));
    }

    #[test]
    fn hostile_inputs_are_bounded() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(refused(&deep).contains("nested deeper than 128 levels"));
        let compact = format!("{}1\n", "- ".repeat(100_000));
        assert!(refused(&compact).contains("nested deeper than 128 levels"));
        let nested = format!("{}1{}", "[".repeat(128), "]".repeat(128));
        assert!(decode(&nested).is_ok());
        // An alias of a deep node, placed deep.
        let deep_alias = format!(
            "a: &a {}1{}\nb: {}*a{}\n",
            "[".repeat(100),
            "]".repeat(100),
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(refused(&deep_alias).contains("the alias nests deeper"));

        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        assert_eq!(decode(&laughs), Err(Failure::TooLarge));
        let merges = format!(
            "a: &a {{x: 1}}\nl:\n{}",
            "  - {<<: [*a, *a, *a]}\n".repeat(3)
        );
        assert_eq!(json(&merges)["l"], json!([{"x": 1}, {"x": 1}, {"x": 1}]));

        let long = format!("[{}1]", "1,".repeat(100_000));
        assert_eq!(
            to_msgpack(&long, 1000, &mut || true),
            Err(Failure::TooLarge)
        );
        let mut calls = 0;
        let mut stop = || {
            calls += 1;
            false
        };
        assert_eq!(to_msgpack(&long, 1 << 20, &mut stop), Err(Failure::Stopped));
        assert_eq!(calls, 1);
        let anchors: String = (0..=MAX_ANCHORS).map(|i| format!("- &a{i} 1\n")).collect();
        assert!(refused(&anchors).contains("more than 100000 anchors"));
    }
}
