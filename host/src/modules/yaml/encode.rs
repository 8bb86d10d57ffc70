//! `yaml.encode`: a Lua table, as the MessagePack the guest sent, → one YAML document in block
//! style, two spaces per level.
//!
//! Every scalar is written so that it reads back as the same value, also by YAML 1.1 parsers: a
//! string is plain only when it cannot be read as anything else (not `yes`, `1.0`, `~`, nor
//! starting with an indicator), a multi-line string is a literal block (`|`) when its lines allow
//! it, and any other string is double-quoted with escapes. Floats always show a point or an
//! exponent (`1.0`, `1.0e+100`, `.inf`, `.nan`). Mapping keys come in `field_order` first, then
//! sorted: booleans, numbers, strings.
//!
//! ```text
//! {name = "app", tags = {"a", "b"}, ["x: y"] = "multi\nline"}
//! name: app
//! tags:
//!   - a
//!   - b
//! "x: y": |-
//!   multi
//!   line
//! ```

use std::cmp::Ordering;
use std::collections::HashMap;

use ::base64::Engine as _;
use ::base64::engine::general_purpose::STANDARD;

use crate::codec::msgpack::{Item, read, skip};
use crate::codec::pace::Pace;
use super::{Failure, MAX_DEPTH};
use crate::codec::ERROR_EXT;

/// `payload` (a MessagePack array holding one Lua value) as YAML text of at most `limit` bytes;
/// `go_on` is called now and then, and stops the work by returning false. The value is read in
/// place: the host holds the text it writes and, per mapping, where its pairs start.
pub(super) fn to_yaml(
    payload: &[u8],
    field_order: &[String],
    limit: usize,
    go_on: &mut dyn FnMut() -> bool,
) -> Result<String, Failure> {
    let Some((Item::Array(1), at)) = read(payload, 0) else {
        return Err(malformed());
    };
    let mut writer = Writer {
        buf: payload,
        text: String::new(),
        limit,
        field_order: field_order
            .iter()
            .enumerate()
            .map(|(place, name)| (name.as_bytes(), place))
            .collect(),
        pace: Pace::new(go_on),
    };
    let item = writer.item(at)?;
    match writer.table_at(at)? {
        Some(table) if table.len > 0 => {
            writer.block(table, 0, &mut String::from("value"), 1)?;
        }
        Some(_) => writer.line(at, 0, "value")?,
        None => {
            return Err(Failure::Invalid(format!(
                "a table expected, got {}",
                type_name(item)
            )));
        }
    }
    Ok(writer.text)
}

fn malformed() -> Failure {
    Failure::Invalid("internal error: malformed MessagePack from the sandbox".into())
}

fn type_name(item: Item) -> &'static str {
    match item {
        Item::Nil => "nil",
        Item::Bool(_) => "boolean",
        Item::Int(_) | Item::Uint(_) | Item::Float(_) => "number",
        Item::Str(_) | Item::Bin(_) => "string",
        Item::Array(_) | Item::Map(_) => "table",
        Item::Ext { .. } => "userdata",
    }
}

/// A sequence or mapping: `len` items or pairs, the first at `first`.
#[derive(Clone, Copy)]
struct Table {
    map: bool,
    len: usize,
    first: usize,
}

struct Writer<'a> {
    buf: &'a [u8],
    text: String,
    limit: usize,
    /// Name → its place in `field_order`.
    field_order: HashMap<&'a [u8], usize>,
    pace: Pace<'a>,
}

impl<'a> Writer<'a> {
    /// Account for one value or line written: stop past the limit, and look at the deadline now
    /// and then.
    fn tick(&mut self) -> Result<(), Failure> {
        if self.text.len() > self.limit {
            return Err(Failure::TooLarge);
        }
        if self.pace.step() {
            Ok(())
        } else {
            Err(Failure::Stopped)
        }
    }

    fn item(&self, at: usize) -> Result<Item<'a>, Failure> {
        read(self.buf, at)
            .map(|(item, _)| item)
            .ok_or_else(malformed)
    }

    /// The table an item is: a sequence, a mapping, or an error object (the `errors` module's,
    /// which crosses as an extension holding the mapping of its fields).
    fn table(&self, item: Item) -> Option<Table> {
        let (map, len, first) = match item {
            Item::Array(len) => (false, len, 0),
            Item::Map(len) => (true, len, 0),
            Item::Ext {
                kind: ERROR_EXT,
                at,
                ..
            } => match read(self.buf, at)? {
                (Item::Map(len), first) => (true, len, first),
                _ => return None,
            },
            _ => return None,
        };
        Some(Table { map, len, first })
    }

    /// The table at `at`, with where its first item is.
    fn table_at(&self, at: usize) -> Result<Option<Table>, Failure> {
        let (item, next) = read(self.buf, at).ok_or_else(malformed)?;
        Ok(self.table(item).map(|table| match item {
            Item::Ext { .. } => table,
            _ => Table {
                first: next,
                ..table
            },
        }))
    }

    fn indent(&mut self, columns: usize) {
        self.text.extend(std::iter::repeat_n(' ', columns));
    }

    /// A non-empty table, `depth` tables deep, whose first line starts where the text ends, at
    /// column `indent`; `path` names it in messages. Returns where its last item ends.
    fn block(
        &mut self,
        table: Table,
        indent: usize,
        path: &mut String,
        depth: usize,
    ) -> Result<usize, Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::Invalid(format!(
                "{path}: tables nested too deep (the limit is {MAX_DEPTH} levels)"
            )));
        }
        if !table.map {
            let mut at = table.first;
            for n in 0..table.len {
                if n > 0 {
                    self.indent(indent);
                }
                self.text.push_str("- ");
                let len = path.len();
                path.push_str(&format!("[{}]", n + 1));
                at = self.node(at, indent + 2, path, depth)?;
                path.truncate(len);
            }
            return Ok(at);
        }
        let (pairs, end) = self.pairs(table)?;
        for (n, pair) in pairs.into_iter().enumerate() {
            let pair = pair as usize;
            let value = skip(self.buf, pair).ok_or_else(malformed)?;
            if n > 0 {
                self.indent(indent);
            }
            let len = path.len();
            match self.item(pair)? {
                Item::Str(name) => {
                    path.push('.');
                    path.push_str(&String::from_utf8_lossy(name));
                }
                key => path.push_str(&format!("[{}]", scalar_text(key))),
            }
            self.key(pair, indent, path)?;
            let nested = self.table_at(value)?.is_some_and(|table| table.len > 0);
            self.text.push_str(if nested { "\n" } else { " " });
            if nested {
                self.indent(indent + 2);
            }
            self.node(value, indent + 2, path, depth)?;
            path.truncate(len);
        }
        Ok(end)
    }

    /// Where the pairs of a mapping start, in the order their keys are written, and where the
    /// last one ends.
    fn pairs(&mut self, table: Table) -> Result<(Vec<u32>, usize), Failure> {
        let mut pairs = Vec::with_capacity(table.len.min(self.buf.len()));
        let mut at = table.first;
        for _ in 0..table.len {
            pairs.push(at as u32);
            let value = skip(self.buf, at).ok_or_else(malformed)?;
            at = skip(self.buf, value).ok_or_else(malformed)?;
            self.tick()?;
        }
        let place = |key: Item| match key {
            Item::Str(name) => self.field_order.get(name).copied().unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        let key = |pair: u32| read(self.buf, pair as usize).map_or(Item::Nil, |(item, _)| item);
        pairs.sort_by(|&a, &b| {
            let (a, b) = (key(a), key(b));
            place(a).cmp(&place(b)).then_with(|| compare_keys(a, b))
        });
        Ok((pairs, at))
    }

    /// A sequence item or mapping value at `at`, after its `- ` or `key:`: a nested block
    /// whose lines start at column `indent`, or a scalar and its line break. Returns where the
    /// value ends.
    fn node(
        &mut self,
        at: usize,
        indent: usize,
        path: &mut String,
        depth: usize,
    ) -> Result<usize, Failure> {
        match self.table_at(at)? {
            // An error object's mapping ends where its extension does.
            Some(table) if table.len > 0 && !matches!(self.item(at)?, Item::Ext { .. }) => {
                self.block(table, indent, path, depth + 1)
            }
            Some(table) if table.len > 0 => {
                self.block(table, indent, path, depth + 1)?;
                skip(self.buf, at).ok_or_else(malformed)
            }
            _ => {
                self.line(at, indent, path)?;
                skip(self.buf, at).ok_or_else(malformed)
            }
        }
    }

    fn line(&mut self, at: usize, indent: usize, path: &str) -> Result<(), Failure> {
        self.scalar(at, indent, false, path)?;
        self.text.push('\n');
        self.tick()
    }

    /// The mapping key at `at` and its `:`: the explicit form (`? key` then `:` on the next
    /// line) when the key is too long for an implicit one (1024 characters, YAML's rule).
    fn key(&mut self, at: usize, indent: usize, path: &str) -> Result<(), Failure> {
        if self.table_at(at)?.is_some() {
            return Err(Failure::Invalid(format!(
                "{path}: a table used as a key has no YAML form"
            )));
        }
        let start = self.text.len();
        self.scalar(at, indent, true, path)?;
        if self.text.len() - start > 1000 {
            self.text.insert_str(start, "? ");
            self.text.push('\n');
            self.indent(indent);
        }
        self.text.push(':');
        Ok(())
    }

    /// The scalar (or empty table) at `at`, with no line break after it; a literal block's
    /// lines are indented to `indent`, and never used for a key.
    fn scalar(&mut self, at: usize, indent: usize, key: bool, path: &str) -> Result<(), Failure> {
        let item = self.item(at)?;
        match item {
            Item::Str(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) if plain(text) => self.text.push_str(text),
                Ok(text) if !key && literal(text) => self.literal(text, indent)?,
                Ok(text) => self.quoted(text)?,
                Err(_) => self.binary(bytes)?,
            },
            Item::Bin(bytes) => self.binary(bytes)?,
            Item::Array(_) => self.text.push_str("[]"),
            Item::Map(_) => self.text.push_str("{}"),
            Item::Ext { .. } if self.table(item).is_some() => self.text.push_str("{}"),
            Item::Ext { .. } => {
                return Err(Failure::Invalid(format!(
                    "{path}: this value has no YAML form"
                )));
            }
            _ => self.text.push_str(&scalar_text(item)),
        }
        Ok(())
    }

    fn literal(&mut self, text: &str, indent: usize) -> Result<(), Failure> {
        let body = text.trim_end_matches('\n');
        let breaks = text.len() - body.len();
        // Chomping: strip no break, clip to one, keep several.
        self.text.push_str(match breaks {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        for line in body.split('\n') {
            self.text.push('\n');
            if !line.is_empty() {
                self.indent(indent);
                self.text.push_str(line);
            }
            self.tick()?;
        }
        self.text
            .extend(std::iter::repeat_n('\n', breaks.saturating_sub(1)));
        Ok(())
    }

    fn quoted(&mut self, text: &str) -> Result<(), Failure> {
        if self.text.len() + text.len() > self.limit {
            return Err(Failure::TooLarge);
        }
        self.text.push('"');
        for (at, c) in text.chars().enumerate() {
            match c {
                '"' => self.text.push_str("\\\""),
                '\\' => self.text.push_str("\\\\"),
                '\0' => self.text.push_str("\\0"),
                '\t' => self.text.push_str("\\t"),
                '\n' => self.text.push_str("\\n"),
                '\r' => self.text.push_str("\\r"),
                '\u{1b}' => self.text.push_str("\\e"),
                '\u{85}' => self.text.push_str("\\N"),
                '\u{2028}' => self.text.push_str("\\L"),
                '\u{2029}' => self.text.push_str("\\P"),
                c if c < '\u{100}' && !printable(c) => {
                    self.text.push_str(&format!("\\x{:02X}", u32::from(c)))
                }
                c if !printable(c) || c == '\u{feff}' => {
                    self.text.push_str(&format!("\\u{:04X}", u32::from(c)))
                }
                c => self.text.push(c),
            }
            // Escapes make the text up to six times longer than the string.
            if at % 4096 == 4095 {
                self.tick()?;
            }
        }
        self.text.push('"');
        Ok(())
    }

    fn binary(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        if self.text.len() + bytes.len() / 3 * 4 > self.limit {
            return Err(Failure::TooLarge);
        }
        self.text.push_str("!!binary ");
        STANDARD.encode_string(bytes, &mut self.text);
        Ok(())
    }
}

/// A number, boolean or nil as YAML.
fn scalar_text(item: Item) -> String {
    match item {
        Item::Nil => "null".into(),
        Item::Bool(b) => b.to_string(),
        Item::Int(i) => i.to_string(),
        Item::Uint(u) => u.to_string(),
        Item::Float(f) => float(f),
        Item::Str(s) | Item::Bin(s) => String::from_utf8_lossy(s).into_owned(),
        Item::Array(_) | Item::Map(_) | Item::Ext { .. } => "table".into(),
    }
}

/// Key order after `field_order`: booleans, then numbers by value, then strings by bytes.
fn compare_keys(a: Item, b: Item) -> Ordering {
    fn class(key: Item) -> u8 {
        match key {
            Item::Bool(_) => 0,
            Item::Int(_) | Item::Uint(_) | Item::Float(_) => 1,
            Item::Str(_) | Item::Bin(_) => 2,
            _ => 3,
        }
    }
    class(a).cmp(&class(b)).then_with(|| match (a, b) {
        (Item::Bool(a), Item::Bool(b)) => a.cmp(&b),
        (Item::Int(a), Item::Int(b)) => a.cmp(&b),
        (Item::Str(a) | Item::Bin(a), Item::Str(b) | Item::Bin(b)) => a.cmp(b),
        (a, b) => number(a).total_cmp(&number(b)),
    })
}

fn number(item: Item) -> f64 {
    match item {
        Item::Int(i) => i as f64,
        Item::Uint(u) => u as f64,
        Item::Float(f) => f,
        _ => f64::NAN,
    }
}

/// YAML's `c-printable` characters.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Whether `text` can be written plain and still read back as this string, also by YAML 1.1
/// parsers (which read `yes`, `on`, `1_000`, `1:30` and `2001-12-14 21:59` as other things than
/// strings): a string starting with a digit stays plain only with a letter no number or date
/// has, as `30s` does.
fn plain(text: &str) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().last()) else {
        return false;
    };
    let reserved = ["true", "false", "yes", "no", "y", "n", "on", "off", "null"];
    let number_like = |c: char| c.is_ascii_hexdigit() || "xXoO_:.+- tTzZ".contains(c);
    let indicator_first = "-?:,[]{}#&*!|>'\"%@`<=+.~ ".contains(first);
    let number = first.is_ascii_digit() && text.chars().all(number_like);
    let chars_ok = text.chars().all(|c| {
        printable(c)
            && !matches!(
                c,
                '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
            )
    });
    let reserved = text.len() <= 5 && reserved.contains(&text.to_ascii_lowercase().as_str());
    let indicator = last == ' ' || last == ':' || text.contains(": ") || text.contains(" #");
    chars_ok && !(indicator_first || number || reserved || indicator)
}

/// Whether `text` (several lines) reads back the same from a literal block: the indentation is
/// taken from its first line, which must not start with a space, and the lines hold only
/// printable characters and no other line break.
fn literal(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\t', '\n'])
        && text.chars().all(|c| {
            c == '\n'
                || (printable(c)
                    && !matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
        })
}

/// A float that reads back as a float: always a point or an exponent, the exponent signed
/// (YAML 1.1 wants `1.0e+100`).
fn float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let text = format!("{f:?}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return text;
    };
    let point = if mantissa.contains('.') { "" } else { ".0" };
    let sign = if exponent.starts_with('-') { "" } else { "+" };
    format!("{mantissa}{point}e{sign}{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_values;
    use rmpv::Value;

    fn yaml(value: Value) -> String {
        to_yaml(&encode_values(vec![value]), &[], 1 << 20, &mut || true).unwrap()
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        )
    }

    #[test]
    fn block_style_with_sorted_keys() {
        let value = map(vec![
            ("name", Value::from("app")),
            (
                "tags",
                Value::Array(vec![Value::from("a"), Value::from("b")]),
            ),
            (
                "db",
                map(vec![
                    ("port", Value::from(5432)),
                    ("host", Value::from("x")),
                ]),
            ),
            ("empty", Value::Array(vec![])),
            (
                "items",
                Value::Array(vec![
                    map(vec![("id", Value::from(1)), ("ok", Value::Boolean(true))]),
                    Value::Array(vec![Value::from(1), Value::from(2)]),
                ]),
            ),
        ]);
        assert_eq!(
            yaml(value),
            "db:\n  host: x\n  port: 5432\nempty: []\nitems:\n  - id: 1\n    ok: true\n  - - 1\n    \
             - 2\nname: app\ntags:\n  - a\n  - b\n"
        );
        assert_eq!(yaml(Value::Array(vec![])), "[]\n");
        let error = crate::codec::ErrorObject::new("NotFound", "gone").to_msgpack();
        assert_eq!(
            yaml(map(vec![("err", error)])),
            "err:\n  kind: NotFound\n  message: gone\n"
        );
    }

    #[test]
    fn field_order_comes_first_at_every_level() {
        let value = map(vec![
            ("zebra", Value::from(1)),
            ("name", Value::from("t")),
            (
                "inner",
                map(vec![("b", Value::from(1)), ("name", Value::from(2))]),
            ),
        ]);
        let order = ["name".into(), "inner".into()];
        let text = to_yaml(&encode_values(vec![value]), &order, 1 << 20, &mut || true);
        assert_eq!(
            text.unwrap(),
            "name: t\ninner:\n  name: 2\n  b: 1\nzebra: 1\n"
        );
    }

    #[test]
    fn scalars_read_back_as_themselves() {
        for (value, text) in [
            (Value::from("plain text"), "plain text"),
            (Value::from("1.0"), "\"1.0\""),
            (Value::from("yes"), "\"yes\""),
            (Value::from("~"), "\"~\""),
            (Value::from(""), "\"\""),
            (Value::from("a: b"), "\"a: b\""),
            (Value::from(":8080"), "\":8080\""),
            (Value::from("tab\there"), "\"tab\\there\""),
            (Value::from("bell\u{7}"), "\"bell\\x07\""),
            (Value::from("http://x/#a"), "http://x/#a"),
            (Value::from("30s"), "30s"),
            (Value::from("2024-01-01"), "\"2024-01-01\""),
            (Value::from("1_000"), "\"1_000\""),
            (Value::from("0b101"), "\"0b101\""),
            (Value::F64(1.0), "1.0"),
            (Value::F64(1e100), "1.0e+100"),
            (Value::F64(-2.5e-7), "-2.5e-7"),
            (Value::F64(f64::NAN), ".nan"),
            (Value::F64(f64::NEG_INFINITY), "-.inf"),
            (Value::from(-7), "-7"),
            (Value::Binary(vec![0xff, 0]), "!!binary /wA="),
        ] {
            assert_eq!(yaml(Value::Array(vec![value])), format!("- {text}\n"));
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let text = |s: &str| yaml(map(vec![("k", Value::from(s))]));
        assert_eq!(text("a\nb"), "k: |-\n  a\n  b\n");
        assert_eq!(text("a\n\nb\n"), "k: |\n  a\n\n  b\n");
        assert_eq!(text("a\n\n\n"), "k: |+\n  a\n\n\n");
        assert_eq!(text(" lead\nx"), "k: \" lead\\nx\"\n");
        assert_eq!(text("cr\r\nx"), "k: \"cr\\r\\nx\"\n");
        let key = yaml(map(vec![("two\nlines", Value::from(1))]));
        assert_eq!(key, "\"two\\nlines\": 1\n");
    }

    #[test]
    fn other_keys_sort_by_kind_then_value() {
        let value = Value::Map(vec![
            (Value::from("b"), Value::from(1)),
            (Value::from(10), Value::from(2)),
            (Value::from(2), Value::from(3)),
            (Value::F64(2.5), Value::from(4)),
            (Value::Boolean(false), Value::from(5)),
        ]);
        assert_eq!(yaml(value), "false: 5\n2: 3\n2.5: 4\n10: 2\nb: 1\n");
        let long = "k".repeat(1500);
        let text = yaml(map(vec![(&long, Value::from(1))]));
        assert_eq!(text, format!("? {long}\n: 1\n"));
    }

    #[test]
    fn refusals() {
        let encode = |value: Value, limit: usize, go_on: bool| {
            to_yaml(&encode_values(vec![value]), &[], limit, &mut || go_on)
        };
        let refused = |value: Value| match encode(value, 1 << 20, true) {
            Err(Failure::Invalid(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(Value::from("x")), "a table expected, got string");
        assert_eq!(refused(Value::Nil), "a table expected, got nil");
        let mut deep = Value::from(1);
        for _ in 0..130 {
            deep = Value::Array(vec![deep]);
        }
        assert!(refused(deep).contains("nested too deep"));
        let table_key = Value::Map(vec![(Value::Array(vec![Value::from(1)]), Value::from(1))]);
        assert!(refused(table_key).contains("a table used as a key"));

        let big = Value::Array(vec![Value::from("x".repeat(2000))]);
        assert_eq!(encode(big, 1000, true), Err(Failure::TooLarge));
        let lines = Value::Array(vec![Value::from("x\n".repeat(100_000))]);
        assert_eq!(encode(lines, 1 << 20, false), Err(Failure::Stopped));
    }
}
