//! Jet's built-in functions (`config::template::FUNCTIONS` names them; `isset`, which looks at
//! its arguments unevaluated, is `render.rs`'s): the Go `strings` ones Jet exposes, `len`,
//! `ints`, `map`, `slice`, `json`, and the safe writers `raw`/`unsafe`, `safeHtml`, `safeJs`,
//! `writeJson`, whose results print unescaped. No function makes text longer than `max_len`
//! (the render's output cap).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::value::{Value, escape_html, escape_js};

/// Call built-in `name` with `args`.
pub fn call(name: &str, args: Vec<Value>, max_len: usize) -> Result<Value, String> {
    let args = Args { name, args };
    match name {
        "len" => {
            args.count(1)?;
            let n = match &args.args[0] {
                Value::Str(s) | Value::Safe(s) => s.len(),
                Value::List(items) => items.len(),
                Value::Map(map) => map.len(),
                Value::Ints(from, to) => to.saturating_sub(*from).max(0) as usize,
                Value::Nil => 0,
                other => return Err(format!("len: cannot take the length of {}", other.type_name())),
            };
            Ok(Value::Int(n as i64))
        }
        "lower" => args.text_fn(|s| s.to_lowercase()),
        "upper" => args.text_fn(|s| s.to_uppercase()),
        "trimSpace" => args.text_fn(|s| s.trim().to_owned()),
        "html" => args.text_fn(|s| {
            let mut out = String::new();
            escape_html(s, &mut out);
            out
        }),
        "url" => args.text_fn(query_escape),
        "hasPrefix" | "hasSuffix" => {
            args.count(2)?;
            let (s, affix) = (args.text(0)?, args.text(1)?);
            Ok(Value::Bool(if name == "hasPrefix" { s.starts_with(&affix) } else { s.ends_with(&affix) }))
        }
        "repeat" => {
            args.count(2)?;
            let (s, n) = (args.text(0)?, args.int(1)?);
            let n = usize::try_from(n).map_err(|_| "repeat: negative count".to_string())?;
            if s.len().saturating_mul(n) > max_len {
                return Err(format!("repeat: the result would be larger than the output limit ({max_len} bytes)"));
            }
            Ok(Value::str(s.repeat(n)))
        }
        "replace" => {
            if args.args.len() != 3 && args.args.len() != 4 {
                return Err("replace: takes (s, old, new [, n])".into());
            }
            let (s, old, new) = (args.text(0)?, args.text(1)?, args.text(2)?);
            let n = if args.args.len() == 4 { args.int(3)? } else { -1 };
            let count = if n < 0 { usize::MAX } else { n as usize };
            // The result's size, known before it is made: many matches of a long `new` could
            // otherwise build far more than the output may hold.
            let matches = if old.is_empty() { s.chars().count() + 1 } else { s.matches(old.as_str()).count() };
            let matches = matches.min(count);
            let size = (s.len() - matches * old.len()).saturating_add(matches.saturating_mul(new.len()));
            if size > max_len {
                return Err(format!("replace: the result would be larger than the output limit ({max_len} bytes)"));
            }
            Ok(Value::str(s.replacen(old.as_str(), &new, count)))
        }
        "split" => {
            args.count(2)?;
            let (s, sep) = (args.text(0)?, args.text(1)?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::str(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(Value::str).collect()
            };
            Ok(Value::List(Arc::new(parts)))
        }
        "json" => {
            args.count(1)?;
            Ok(Value::str(json(&args.args[0], max_len)?))
        }
        "writeJson" => {
            args.count(1)?;
            Ok(Value::Safe(json(&args.args[0], max_len)?.into()))
        }
        "raw" | "unsafe" => {
            args.count(1)?;
            Ok(Value::Safe(args.args[0].display(max_len)?.into()))
        }
        "safeHtml" => {
            args.count(1)?;
            let mut out = String::new();
            escape_html(&args.args[0].display(max_len)?, &mut out);
            Ok(Value::Safe(out.into()))
        }
        "safeJs" => {
            args.count(1)?;
            Ok(Value::Safe(escape_js(&args.args[0].display(max_len)?).into()))
        }
        "ints" => {
            args.count(2)?;
            let (from, to) = (args.int(0)?, args.int(1)?);
            if to <= from {
                return Err(format!("ints: the upper limit {to} must be greater than the lower {from}"));
            }
            Ok(Value::Ints(from, to))
        }
        "map" => {
            if !args.args.len().is_multiple_of(2) {
                return Err("map: takes key, value pairs".into());
            }
            let mut map = BTreeMap::new();
            let mut items = args.args.into_iter();
            while let (Some(key), Some(value)) = (items.next(), items.next()) {
                map.insert(key.display(max_len)?, value);
            }
            Ok(Value::Map(Arc::new(map)))
        }
        "slice" => Ok(Value::List(Arc::new(args.args))),
        _ => Err(format!("unknown function '{name}'")),
    }
}

struct Args<'a> {
    name: &'a str,
    args: Vec<Value>,
}

impl Args<'_> {
    fn count(&self, n: usize) -> Result<(), String> {
        if self.args.len() == n {
            return Ok(());
        }
        Err(format!("{}: takes {n} argument{}, got {}", self.name, if n == 1 { "" } else { "s" }, self.args.len()))
    }

    fn text(&self, i: usize) -> Result<String, String> {
        match &self.args[i] {
            Value::Str(s) | Value::Safe(s) => Ok(s.to_string()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => self.args[i].display(64),
            other => Err(format!("{}: argument {} must be a string, not {}", self.name, i + 1, other.type_name())),
        }
    }

    fn int(&self, i: usize) -> Result<i64, String> {
        match &self.args[i] {
            Value::Int(n) => Ok(*n),
            Value::Float(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(*n as i64),
            other => Err(format!("{}: argument {} must be an integer, not {}", self.name, i + 1, other.type_name())),
        }
    }

    fn text_fn(&self, f: impl Fn(&str) -> String) -> Result<Value, String> {
        self.count(1)?;
        Ok(Value::str(f(&self.text(0)?)))
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `value` as JSON (see [`Value::write_json`]), at most `max_len` bytes.
fn json(value: &Value, max_len: usize) -> Result<String, String> {
    let mut out = String::new();
    match value.write_json(&mut out, max_len) {
        Some(()) => Ok(out),
        None => Err(format!("json: the result is larger than the output limit ({max_len} bytes)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    fn shown(name: &str, args: Vec<Value>) -> String {
        match call(name, args, 1000) {
            Ok(v) => v.display(1000).unwrap(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn every_listed_function_is_implemented() {
        for name in crate::config::template::FUNCTIONS {
            if *name == "isset" {
                continue;
            }
            assert!(!shown(name, vec![]).contains("unknown function"), "{name}");
        }
    }

    #[test]
    fn functions() {
        assert_eq!(shown("len", vec![s("héllo")]), "6");
        assert_eq!(shown("upper", vec![s("abc")]), "ABC");
        assert_eq!(shown("repeat", vec![s("ab"), Value::Int(3)]), "ababab");
        assert_eq!(shown("repeat", vec![s("ab"), Value::Int(1000)]), "error: repeat: the result would be larger than the output limit (1000 bytes)");
        assert_eq!(shown("replace", vec![s("aaa"), s("a"), s("b"), Value::Int(2)]), "bba");
        assert_eq!(shown("split", vec![s("a,b"), s(",")]), "[a b]");
        assert_eq!(shown("url", vec![s("a b&c")]), "a+b%26c");
        assert_eq!(shown("json", vec![call("map", vec![s("k"), s("<x>")], 100).unwrap()]), r#"{"k":"\u003cx\u003e"}"#);
        assert_eq!(shown("ints", vec![Value::Int(3), Value::Int(1)]), "error: ints: the upper limit 1 must be greater than the lower 3");
        assert_eq!(shown("len", vec![Value::Int(1)]), "error: len: cannot take the length of a number");
        assert!(matches!(call("raw", vec![s("<b>")], 10), Ok(Value::Safe(_))));
    }
}
