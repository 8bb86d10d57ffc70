//! Typed reads of entry fields, each failing with a [`Problem`] at the value's line.
//!
//! Strings are lenient (any scalar but null: `name: 404` is the name "404"); booleans and
//! integers also accept their text form, because an interpolated `${env:..}` value is a string.

use super::yaml::{Key, Node, Problem, Value};

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

/// "'-3'" for a scalar, "a list" otherwise.
fn describe(node: &Node) -> String {
    match node.as_scalar() {
        Some(s) if !s.is_null() => format!("'{}'", s.text),
        _ => node.type_name().to_string(),
    }
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
