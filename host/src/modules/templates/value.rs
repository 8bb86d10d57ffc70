//! The values a template computes with ([`Value`]): the render data (Lua values, arriving as
//! MessagePack), the set's globals (JSON), and what expressions make of them; how each prints
//! (as Go's `fmt` would, the way Jet prints) and Go's HTML and JS escaping.
//!
//! Maps iterate in key order (Go's are random), so a render is a function of its arguments.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    /// Text already safe for the output (what `raw`, `safeHtml`... return): printed as is.
    Safe(Arc<str>),
    List(Arc<Vec<Value>>),
    Map(Arc<BTreeMap<String, Value>>),
    /// `ints(from, to)`: the integers from `from` up to `to` (excluded), not stored.
    Ints(i64, i64),
}

impl Value {
    pub fn str(text: impl Into<Arc<str>>) -> Value {
        Value::Str(text.into())
    }

    /// Lua data: MessagePack decoded. Non-string map keys become their printed form; bytes
    /// that are not UTF-8 are read lossily; an error object becomes the map of its fields.
    pub fn from_msgpack(value: rmpv::Value) -> Value {
        use rmpv::Value as M;
        match value {
            M::Nil => Value::Nil,
            M::Boolean(b) => Value::Bool(b),
            M::Integer(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            M::F32(n) => Value::Float(n.into()),
            M::F64(n) => Value::Float(n),
            M::String(s) => Value::str(String::from_utf8_lossy(s.as_bytes())),
            M::Binary(b) => Value::str(String::from_utf8_lossy(&b)),
            M::Array(items) => Value::List(Arc::new(items.into_iter().map(Value::from_msgpack).collect())),
            M::Map(entries) => Value::Map(Arc::new(
                entries
                    .into_iter()
                    .map(|(k, v)| (key_text(&k), Value::from_msgpack(v)))
                    .collect(),
            )),
            M::Ext(_, bytes) => match rmpv::decode::read_value(&mut &bytes[..]) {
                Ok(fields @ M::Map(_)) => Value::from_msgpack(fields),
                _ => Value::Nil,
            },
        }
    }

    pub fn from_json(value: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match value {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            J::String(s) => Value::str(s.as_str()),
            J::Array(items) => Value::List(Arc::new(items.iter().map(Value::from_json).collect())),
            J::Object(map) => Value::Map(Arc::new(map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) | Value::Safe(_) => "a string",
            Value::List(_) | Value::Ints(..) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// Jet's truth: false, nil, zero, and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(n) => *n != 0.0,
            Value::Str(s) | Value::Safe(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.is_empty(),
            Value::Ints(from, to) => to > from,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Safe(s) => Some(s),
            _ => None,
        }
    }

    /// How the value prints: nil as nothing, lists as `[a b]`, maps as `map[k:v]`; an error
    /// once that passes `max` bytes (values share their parts, so a small template can build
    /// one that prints far larger than memory).
    pub fn display(&self, max: usize) -> Result<String, String> {
        let mut out = String::new();
        match self.write_to(&mut out, max) {
            Some(()) => Ok(out),
            None => Err(format!("a value prints longer than the output limit ({max} bytes)")),
        }
    }

    /// Print into `out`; `None` once `out` passes `max` bytes.
    fn write_to(&self, out: &mut String, max: usize) -> Option<()> {
        match self {
            Value::Nil => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(n) => out.push_str(&float_text(*n)),
            Value::Str(s) | Value::Safe(s) => out.push_str(s),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write_to(out, max)?;
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push_str("map[");
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(key);
                    out.push(':');
                    value.write_to(out, max)?;
                }
                out.push(']');
            }
            Value::Ints(from, to) => {
                let _ = write!(out, "ints({from}, {to})");
            }
        }
        (out.len() <= max).then_some(())
    }

    /// JSON as Go's `json.Marshal` writes it (`<`, `>`, `&` as `\u003c`..., map keys in order),
    /// `None` once it passes `max` bytes.
    pub fn write_json(&self, out: &mut String, max: usize) -> Option<()> {
        match self {
            Value::Nil => out.push_str("null"),
            Value::Bool(_) | Value::Int(_) => self.write_to(out, max)?,
            Value::Float(n) if n.is_finite() => {
                let _ = write!(out, "{}", serde_json::Number::from_f64(*n)?);
            }
            Value::Float(_) => out.push_str("null"),
            Value::Str(s) | Value::Safe(s) => json_string(s, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out, max)?;
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push('{');
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(key, out);
                    out.push(':');
                    value.write_json(out, max)?;
                }
                out.push('}');
            }
            Value::Ints(from, to) => json_string(&format!("ints({from}, {to})"), out),
        }
        (out.len() <= max).then_some(())
    }

    /// Equality as `==` sees it: numbers by value, whatever their kind. `None` when comparing
    /// takes more than `budget` steps (shared parts can make a small template's values huge).
    pub fn equals(&self, other: &Value, budget: &mut u32) -> Option<bool> {
        *budget = budget.checked_sub(1)?;
        Some(match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (a, b) if a.number().is_some() && b.number().is_some() => a.number() == b.number(),
            (a, b) if a.as_text().is_some() && b.as_text().is_some() => a.as_text() == b.as_text(),
            (Value::List(a), Value::List(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Some(true);
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.equals(y, budget)? {
                        return Some(false);
                    }
                }
                true
            }
            (Value::Map(a), Value::Map(b)) => {
                if Arc::ptr_eq(a, b) {
                    return Some(true);
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
                    if ka != kb || !va.equals(vb, budget)? {
                        return Some(false);
                    }
                }
                true
            }
            (Value::Ints(a, b), Value::Ints(c, d)) => a == c && b == d,
            _ => false,
        })
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(n) => Some(*n),
            _ => None,
        }
    }
}

/// A map key's text: strings as they are, numbers and others printed.
fn key_text(key: &rmpv::Value) -> String {
    match key {
        rmpv::Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        rmpv::Value::Integer(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A float as Go prints one: whole numbers without a fraction, others in their shortest form.
pub fn float_text(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{n:.0}");
    }
    format!("{n}")
}

/// `s` as a JSON string, with `<`, `>` and `&` escaped as Go's encoder does.
fn json_string(s: &str, out: &mut String) {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    for c in quoted.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
}

/// Go's `template.HTMLEscape`, which Jet applies to every output it does not mark safe.
pub fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Go's `template.JSEscape` (`safeJs`).
pub fn escape_js(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_and_escaping() {
        let data = rmpv::Value::Map(vec![
            ("b".into(), rmpv::Value::Array(vec![1.into(), 2.5.into(), rmpv::Value::Nil])),
            (1.into(), "x".into()),
        ]);
        let value = Value::from_msgpack(data);
        assert_eq!(value.display(100).unwrap(), "map[1:x b:[1 2.5 ]]");
        assert!(value.display(5).is_err());
        let mut json = String::new();
        value.write_json(&mut json, 100).unwrap();
        assert_eq!(json, r#"{"1":"x","b":[1,2.5,null]}"#);
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(0.1), "0.1");
        let mut out = String::new();
        escape_html("<a href=\"x\">'&'</a>", &mut out);
        assert_eq!(out, "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape_js("a'b\"<=\n"), "a\\'b\\\"\\u003C\\u003D\\u000A");
    }

    #[test]
    fn truth_and_equality() {
        assert!(!Value::str("").truthy());
        assert!(!Value::List(Arc::new(vec![])).truthy());
        let budget = &mut 100;
        assert_eq!(Value::Int(1).equals(&Value::Float(1.0), budget), Some(true));
        assert_eq!(Value::str("a").equals(&Value::Safe("a".into()), budget), Some(true));
        assert_eq!(Value::Nil.equals(&Value::Bool(false), budget), Some(false));
        let list = Value::List(Arc::new(vec![Value::Int(1); 200]));
        let other = Value::List(Arc::new(vec![Value::Int(1); 200]));
        assert_eq!(list.equals(&other, &mut 100), None);
        assert_eq!(list.equals(&list.clone(), &mut 1), Some(true));
    }
}
