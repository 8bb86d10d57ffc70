//! The YAML 1.2 core schema, as `yaml.decode` reads scalars: plain `~`, `null` and nothing are
//! nil, `true`/`false` booleans, decimal, `0x` and `0o` integers stay integers (beyond 64 bits
//! they become floats, as in `json.decode`), `1.5`, `1e3`, `.inf` and `.nan` are floats, and
//! anything else, and every quoted or block scalar, is a string. The tags `!!str`, `!!int`,
//! `!!float`, `!!bool`, `!!null` and `!!binary` (base64) are honoured; other tags are ignored,
//! as Go's yaml.v3 (Wippy's) ignores them.
//!
//! ```text
//! resolve("0x1F", true, None)               // Ok(Scalar::Int(31))
//! resolve("12", false, None)                // Ok(Scalar::Str): quoted
//! resolve("aGk=", true, Some("tag:yaml.org,2002:binary"))  // Ok(Scalar::Bin(b"hi"))
//! ```

use ::base64::Engine as _;
use ::base64::engine::general_purpose::STANDARD;

/// What a scalar is.
#[derive(Debug, PartialEq)]
pub(super) enum Scalar {
    Nil,
    Bool(bool),
    Int(i64),
    /// Above `i64::MAX`.
    Uint(u64),
    Float(f64),
    /// The scalar's text itself.
    Str,
    Bin(Vec<u8>),
}

/// The value of scalar `text`, written plain (unquoted) or not, with its tag if any; why not
/// when its tag asks for something it is not.
pub(super) fn resolve(text: &str, plain: bool, tag: Option<&str>) -> Result<Scalar, String> {
    let not_a = |what: &str| Err(format!("'{text}' is not {what}"));
    Ok(
        match tag.and_then(|tag| tag.strip_prefix("tag:yaml.org,2002:")) {
            Some("str") => Scalar::Str,
            Some("null") if null(text) => Scalar::Nil,
            Some("null") => return not_a("null (!!null)"),
            Some("bool") => match boolean(text) {
                Some(b) => Scalar::Bool(b),
                None => return not_a("a boolean (!!bool)"),
            },
            Some("int") => match number(text) {
                Some(n @ (Scalar::Int(_) | Scalar::Uint(_))) => n,
                _ => return not_a("an integer (!!int)"),
            },
            Some("float") => match number(text) {
                Some(Scalar::Int(i)) => Scalar::Float(i as f64),
                Some(Scalar::Uint(u)) => Scalar::Float(u as f64),
                Some(n) => n,
                None => return not_a("a float (!!float)"),
            },
            Some("binary") => {
                let base64: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = STANDARD
                    .decode(base64)
                    .map_err(|error| format!("!!binary: {error}"))?;
                Scalar::Bin(bytes)
            }
            _ if !plain => Scalar::Str,
            _ if null(text) => Scalar::Nil,
            _ => boolean(text)
                .map(Scalar::Bool)
                .or_else(|| number(text))
                .unwrap_or(Scalar::Str),
        },
    )
}

fn null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// A number of the core schema ([`Scalar::Int`], [`Scalar::Uint`] or [`Scalar::Float`]);
/// integers too large for 64 bits are floats.
fn number(text: &str) -> Option<Scalar> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Scalar::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Scalar::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Scalar::Float(f64::NAN)),
        _ => {}
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            return Some(match u64::from_str_radix(digits, radix) {
                Ok(u) => i64::try_from(u).map_or(Scalar::Uint(u), Scalar::Int),
                Err(_) => Scalar::Float(digits.chars().fold(0.0, |n, c| {
                    n * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
                })),
            });
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match (text.parse::<i64>(), text.parse::<u64>()) {
            (Ok(i), _) => Scalar::Int(i),
            (_, Ok(u)) => Scalar::Uint(u),
            _ => Scalar::Float(text.parse().ok()?),
        });
    }
    looks_like_float(unsigned)
        .then(|| text.parse().ok().map(Scalar::Float))
        .flatten()
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (after the sign), checked by hand because
/// Rust's float parser also takes `inf` and `NaN`, which YAML spells differently.
fn looks_like_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction) && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Scalar {
        resolve(text, true, None).unwrap()
    }

    #[test]
    fn plain_scalars() {
        for (text, scalar) in [
            ("~", Scalar::Nil),
            ("", Scalar::Nil),
            ("True", Scalar::Bool(true)),
            ("yes", Scalar::Str),
            ("-12", Scalar::Int(-12)),
            ("+7", Scalar::Int(7)),
            ("0x1F", Scalar::Int(31)),
            ("0o17", Scalar::Int(15)),
            ("0xffffffffffffffff", Scalar::Uint(u64::MAX)),
            ("18446744073709551615", Scalar::Uint(u64::MAX)),
            (
                "123456789012345678901234",
                Scalar::Float(1.2345678901234568e23),
            ),
            ("1.5e3", Scalar::Float(1500.0)),
            (".5", Scalar::Float(0.5)),
            ("5.", Scalar::Float(5.0)),
            ("-.inf", Scalar::Float(f64::NEG_INFINITY)),
            ("1_000", Scalar::Str),
            ("1.2.3", Scalar::Str),
            ("0x", Scalar::Str),
            ("inf", Scalar::Str),
            ("1e", Scalar::Str),
        ] {
            assert_eq!(plain(text), scalar, "{text}");
        }
        assert!(matches!(plain(".NaN"), Scalar::Float(f) if f.is_nan()));
        assert_eq!(resolve("12", false, None), Ok(Scalar::Str));
    }

    #[test]
    fn tags() {
        let tagged =
            |text: &str, tag: &str| resolve(text, true, Some(&format!("tag:yaml.org,2002:{tag}")));
        assert_eq!(tagged("5", "str"), Ok(Scalar::Str));
        assert_eq!(tagged("5", "float"), Ok(Scalar::Float(5.0)));
        assert_eq!(tagged("aGk=", "binary"), Ok(Scalar::Bin(b"hi".to_vec())));
        assert_eq!(
            tagged("twelve", "int"),
            Err("'twelve' is not an integer (!!int)".into())
        );
        assert_eq!(resolve("5", true, Some("!custom")), Ok(Scalar::Int(5)));
    }
}
