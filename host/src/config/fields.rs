//! Typed reads of entry fields, each failing with a [`Problem`] at the value's line.
//!
//! Strings are lenient (any scalar but null: `name: 404` is the name "404"); booleans and
//! numbers also accept their text form, because an interpolated `${env:..}` value is a string.
//! Durations are Go-style (`250ms`, `1.5s`, `1m`) or whole milliseconds (`250`).

use std::time::Duration;

use super::kinds::suggest;
use super::yaml::{Key, Node, Problem, Value};
use crate::units::go_duration;

pub fn problem(line: usize, message: impl Into<String>) -> Problem {
    Problem {
        line,
        message: message.into(),
    }
}

fn wrong_type(field: &str, expected: &str, node: &Node) -> Problem {
    problem(
        node.line,
        format!(
            "field '{field}' must be {expected}, not {}",
            node.type_name()
        ),
    )
}

pub fn string(field: &str, node: &Node) -> Result<String, Problem> {
    match node.as_scalar() {
        Some(scalar) if !scalar.is_null() => Ok(scalar.text.clone()),
        _ => Err(wrong_type(field, "a string", node)),
    }
}

pub fn non_empty_string(field: &str, node: &Node) -> Result<String, Problem> {
    match string(field, node) {
        Ok(text) if text.trim().is_empty() => Err(problem(
            node.line,
            format!("field '{field}' must not be empty"),
        )),
        Err(_) => Err(wrong_type(field, "a non-empty string", node)),
        ok => ok,
    }
}

pub fn boolean(field: &str, node: &Node) -> Result<bool, Problem> {
    match node.as_scalar().map(|s| s.text.as_str()) {
        Some("true" | "True" | "TRUE") => Ok(true),
        Some("false" | "False" | "FALSE") => Ok(false),
        _ => Err(problem(
            node.line,
            format!(
                "field '{field}' must be true or false, not {}",
                node.type_name()
            ),
        )),
    }
}

pub fn unsigned(field: &str, node: &Node) -> Result<u64, Problem> {
    node.as_scalar()
        .and_then(|s| s.text.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            problem(
                node.line,
                format!(
                    "field '{field}' must be a whole number ≥ 0, not {}",
                    describe(node)
                ),
            )
        })
}

/// A whole number in `min..=u32::MAX`.
pub fn bounded_u32(field: &str, node: &Node, min: u32) -> Result<u32, Problem> {
    let n = unsigned(field, node)?;
    u32::try_from(n).ok().filter(|n| *n >= min).ok_or_else(|| {
        problem(
            node.line,
            format!(
                "field '{field}' must be between {min} and {}, got {n}",
                u32::MAX
            ),
        )
    })
}

/// A finite number: `2`, `0.1`, `1e-3`.
pub fn number(field: &str, node: &Node) -> Result<f64, Problem> {
    node.as_scalar()
        .and_then(|s| s.text.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
        .ok_or_else(|| {
            problem(
                node.line,
                format!("field '{field}' must be a number, not {}", describe(node)),
            )
        })
}

/// A duration greater than zero: Go-style text, or a whole number of milliseconds.
pub fn duration(field: &str, node: &Node) -> Result<Duration, Problem> {
    let text = node.as_scalar().map(|s| s.text.trim()).unwrap_or_default();
    let parsed = match text.parse::<u64>() {
        Ok(millis) => Some(Duration::from_millis(millis)),
        Err(_) => go_duration(text),
    };
    match parsed {
        Some(d) if d.is_zero() => Err(problem(
            node.line,
            format!("field '{field}' must be greater than zero"),
        )),
        Some(d) => Ok(d),
        None => Err(problem(
            node.line,
            format!(
                "field '{field}' must be a duration such as 250ms, 1.5s or 1m (or whole \
                 milliseconds), not {}",
                describe(node)
            ),
        )),
    }
}

/// "unknown field 'lifecycle.x' (expected one of: ...); did you mean ...?" at the key's line,
/// for a key of the mapping `field` that is not one of `known`.
pub fn unknown(field: &str, key: &Key, known: &[&str]) -> Problem {
    let mut message = format!(
        "unknown field '{field}.{}' (expected one of: {})",
        key.text,
        known.join(", ")
    );
    if let Some(near) = suggest(&key.text, known.iter().copied()) {
        message.push_str(&format!("; did you mean '{near}'?"));
    }
    problem(key.line, message)
}

/// Each item with its line.
pub fn string_list(field: &str, node: &Node) -> Result<Vec<(String, usize)>, Problem> {
    let Some(items) = node.as_seq() else {
        return Err(wrong_type(field, "a list of strings", node));
    };
    items
        .iter()
        .map(|item| match item.as_scalar() {
            Some(s) if !s.is_null() => Ok((s.text.clone(), item.line)),
            _ => Err(problem(
                item.line,
                format!(
                    "field '{field}' must be a list of strings, but an item is {}",
                    item.type_name()
                ),
            )),
        })
        .collect()
}

pub fn mapping<'a>(field: &str, node: &'a Node) -> Result<&'a [(Key, Node)], Problem> {
    match &node.value {
        Value::Map(entries) => Ok(entries),
        _ => Err(wrong_type(field, "a mapping", node)),
    }
}

/// The entry of `entries` whose key is `name`.
pub fn find<'a>(entries: &'a [(Key, Node)], name: &str) -> Option<&'a (Key, Node)> {
    entries.iter().find(|(key, _)| key.text == name)
}

/// Read the mapping `field` (null reads as empty) one entry at a time: `read` gets each key, its
/// value, its dotted name (`field.key`) and `problems`, for any it finds beyond the one it
/// returns. Returns the entries, or `None` (with the problem recorded) when `node` is not a
/// mapping.
pub fn each_field<'a>(
    field: &str,
    node: &'a Node,
    problems: &mut Vec<Problem>,
    mut read: impl FnMut(&'a Key, &'a Node, &str, &mut Vec<Problem>) -> Result<(), Problem>,
) -> Option<&'a [(Key, Node)]> {
    if node.is_null() {
        return Some(&[]);
    }
    let entries = mapping(field, node).map_err(|p| problems.push(p)).ok()?;
    for (key, value) in entries {
        let name = format!("{field}.{}", key.text);
        if let Err(p) = read(key, value, &name, problems) {
            problems.push(p);
        }
    }
    Some(entries)
}

/// "'-3'" for a scalar, "a list" otherwise.
pub fn describe(node: &Node) -> String {
    match node.as_scalar() {
        Some(s) if !s.is_null() => format!("'{}'", s.text),
        _ => node.type_name().to_string(),
    }
}

/// A path inside the app directory, given as `field` (no absolute path, no `..`): a `file path`
/// (which must name a file) or a `directory`.
pub fn path_inside_app(
    field: &str,
    node: &Node,
    what: &str,
) -> Result<std::path::PathBuf, Problem> {
    use std::path::{Component, Path};
    let text = non_empty_string(field, node)?;
    let path = Path::new(&text);
    let escapes = path
        .components()
        .any(|part| !matches!(part, Component::Normal(_) | Component::CurDir));
    if escapes || (what == "file path" && path.file_name().is_none()) {
        return Err(problem(
            node.line,
            format!(
                "field '{field}' must be a {what} inside the app directory (no absolute path, \
                 no '..'), not '{text}'"
            ),
        ));
    }
    Ok(path.to_owned())
}

/// Octal permission bits written `0755`, `755` or `0o755` (a YAML integer or a string).
pub fn octal_mode(field: &str, node: &Node, examples: &str) -> Result<u32, Problem> {
    let text = node.as_scalar().map(|s| s.text.trim()).unwrap_or_default();
    let digits = text
        .strip_prefix("0o")
        .or_else(|| text.strip_prefix("0O"))
        .unwrap_or(text);
    let mode = (!digits.is_empty())
        .then(|| u32::from_str_radix(digits, 8).ok())
        .flatten()
        .filter(|mode| *mode <= 0o777);
    mode.ok_or_else(|| {
        problem(
            node.line,
            format!(
                "field '{field}' must be octal permission bits such as {examples}, not {}",
                describe(node)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn field(text: &str) -> Node {
        let root = yaml::parse(&format!("v: {text}\n")).unwrap().root.unwrap();
        root.get("v").unwrap().clone()
    }

    #[test]
    fn strings() {
        assert_eq!(string("f", &field("abc")).unwrap(), "abc");
        assert_eq!(string("f", &field("404")).unwrap(), "404");
        assert_eq!(
            string("f", &field("[a]")).unwrap_err().message,
            "field 'f' must be a string, not a list"
        );
        assert_eq!(
            non_empty_string("method", &field("\"\""))
                .unwrap_err()
                .message,
            "field 'method' must not be empty"
        );
        assert_eq!(
            non_empty_string("method", &field("")).unwrap_err().message,
            "field 'method' must be a non-empty string, not empty"
        );
    }

    #[test]
    fn booleans_and_numbers() {
        assert!(boolean("b", &field("true")).unwrap());
        assert!(!boolean("b", &field("\"false\"")).unwrap());
        assert_eq!(
            boolean("readonly", &field("yes")).unwrap_err().message,
            "field 'readonly' must be true or false, not a string"
        );
        assert_eq!(unsigned("n", &field("12")).unwrap(), 12);
        assert_eq!(unsigned("n", &field("'12'")).unwrap(), 12);
        assert_eq!(
            unsigned("pool.size", &field("-3")).unwrap_err().message,
            "field 'pool.size' must be a whole number ≥ 0, not '-3'"
        );
    }

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        assert_eq!(duration("d", &field("250ms")).unwrap(), ms(250));
        assert_eq!(duration("d", &field("1.5s")).unwrap(), ms(1500));
        assert_eq!(duration("d", &field("1m")).unwrap(), ms(60_000));
        assert_eq!(duration("d", &field("250")).unwrap(), ms(250));
        assert_eq!(duration("d", &field("'250'")).unwrap(), ms(250));
        let bad = "must be a duration such as 250ms, 1.5s or 1m (or whole milliseconds), not";
        for (text, shown) in [
            ("soon", "'soon'"),
            ("-5", "'-5'"),
            ("1.5", "'1.5'"),
            ("[1]", "a list"),
        ] {
            assert_eq!(
                duration("d", &field(text)).unwrap_err().message,
                format!("field 'd' {bad} {shown}")
            );
        }
        assert_eq!(
            duration("d", &field("0s")).unwrap_err().message,
            "field 'd' must be greater than zero"
        );
        assert_eq!(
            duration("d", &field("0")).unwrap_err().message,
            "field 'd' must be greater than zero"
        );
    }

    #[test]
    fn bounded_and_real_numbers() {
        assert_eq!(bounded_u32("n", &field("7"), 1).unwrap(), 7);
        assert_eq!(
            bounded_u32("n", &field("0"), 1).unwrap_err().message,
            "field 'n' must be between 1 and 4294967295, got 0"
        );
        assert_eq!(
            bounded_u32("n", &field("4294967296"), 0)
                .unwrap_err()
                .message,
            "field 'n' must be between 0 and 4294967295, got 4294967296"
        );
        assert_eq!(number("x", &field("0.1")).unwrap(), 0.1);
        assert_eq!(number("x", &field("\"2\"")).unwrap(), 2.0);
        for text in ["fast", ".inf", "NaN", "1e400"] {
            assert_eq!(
                number("x", &field(text)).unwrap_err().message,
                format!("field 'x' must be a number, not '{text}'")
            );
        }
    }

    #[test]
    fn unknown_fields_suggest_the_nearest() {
        let key = Key {
            text: "auto_strat".into(),
            line: 4,
        };
        let known = ["auto_start", "startup"];
        assert_eq!(
            unknown("lifecycle", &key, &known),
            problem(
                4,
                "unknown field 'lifecycle.auto_strat' (expected one of: auto_start, startup); \
                 did you mean 'auto_start'?"
            )
        );
    }

    #[test]
    fn lists_and_mappings() {
        assert_eq!(
            string_list("modules", &field("[json, time]")).unwrap(),
            [("json".to_string(), 1), ("time".to_string(), 1)]
        );
        assert_eq!(
            string_list("modules", &field("json")).unwrap_err().message,
            "field 'modules' must be a list of strings, not a string"
        );
        assert_eq!(
            string_list("modules", &field("[json, [x]]"))
                .unwrap_err()
                .message,
            "field 'modules' must be a list of strings, but an item is a list"
        );
        assert!(mapping("imports", &field("{a: b}")).is_ok());
        assert_eq!(
            mapping("imports", &field("[a]")).unwrap_err().message,
            "field 'imports' must be a mapping, not a list"
        );
    }
}
