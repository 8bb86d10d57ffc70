//! The dotenv format of `env.storage.file`: reading through the `dotenvy` crate, writing as
//! plain `NAME=value` lines quoted so that `dotenvy` reads each value back exactly.
//!
//! ```text
//! # comments and blank lines are skipped
//! export DATABASE_URL=postgres://db/app
//! GREETING='hello world'       # single quotes: literal
//! MOTTO="say \"hi\" for \$5"   # double quotes: \\ \" \$ \n escapes, $NAME expands
//! ```
//!
//! As with `dotenvy` (and Go's `godotenv`), `$NAME` and `${NAME}` in an unquoted or double-quoted
//! value expand, from the host environment first, then from the lines above. Values luabox
//! writes never expand: they are left bare only when made of plain characters, and quoted
//! otherwise.

use std::collections::BTreeMap;

/// Why a dotenv text could not be read: the 1-based line, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// The values of a dotenv text (a later line for the same name wins).
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut values = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((name, value)) => {
                values.insert(name, value);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                // The line is not echoed: it may hold a secret.
                let at = text.find(line.as_str()).unwrap_or(text.len());
                return Err(ParseError {
                    line: text[..at].matches('\n').count() + 1,
                    message: "cannot parse this line (expected NAME=value, a # comment or a \
                              blank line; quotes must be closed)"
                        .into(),
                });
            }
            Err(error) => {
                return Err(ParseError {
                    line: 0,
                    message: error.to_string(),
                });
            }
        }
    }
    Ok(values)
}

/// Whether `name` can be written as a dotenv name: an ASCII letter or `_`, then letters,
/// digits, `_` and `.`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Why `value` cannot be kept in a dotenv file, if it cannot (`dotenvy` has no escape for a
/// carriage return; a line feed is written as `\n`).
pub fn unwritable(value: &str) -> Option<&'static str> {
    if value.contains('\r') {
        Some("a carriage return")
    } else if value.contains('\0') {
        Some("a NUL character")
    } else {
        None
    }
}

/// The file text for `values` (names valid, values writable), one `NAME=value` line each.
pub fn format(values: &BTreeMap<String, String>) -> String {
    let mut text =
        String::from("# Written by luabox (env.storage.file); a write replaces the file.\n");
    for (name, value) in values {
        text.push_str(name);
        text.push('=');
        text.push_str(&quote(value));
        text.push('\n');
    }
    text
}

/// `value` bare when every character is plain, in single quotes when it holds no `'`, `\` or
/// line feed (literal there), and in double quotes with `\\`, `\"`, `\$` and `\n` escaped
/// otherwise.
fn quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_graphic() && !matches!(c, '\\' | '\'' | '"' | '$' | '#');
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    if !value.contains(['\'', '\\', '\n']) {
        return format!("'{value}'");
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '\\' | '"' | '$' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comments_quotes_and_export() {
        let text = "\u{feff}# a comment\n\nA=1\nexport B = two\nC='x y $Z'\nD=\"q \\\"u\\\" \\$5\"\n\
                    E=\nF=last # trailing comment\nA=again\n";
        let values = parse(text).unwrap();
        let expected: BTreeMap<String, String> = [
            ("A", "again"),
            ("B", "two"),
            ("C", "x y $Z"),
            ("D", "q \"u\" $5"),
            ("E", ""),
            ("F", "last"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(values, expected);
    }

    #[test]
    fn a_bad_line_is_named_without_its_text() {
        let error = parse("A=1\n# ok\nSECRET=a b\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(!error.message.contains("SECRET"), "{}", error.message);
        assert_eq!(parse("A=1\nB='open\n").unwrap_err().line, 2);
        assert_eq!(parse("1A=x\n").unwrap_err().line, 1);
    }

    #[test]
    fn written_values_read_back_exactly() {
        let tricky = [
            "",
            "plain-value_1.2:3/4@x+y=z%~",
            "with space",
            " lead and trail ",
            "it's",
            "$HOME and ${HOME}",
            "back\\slash",
            "ends with \\",
            "q\"uote",
            "#hash",
            "a # b",
            "all ' \" $ \\ # together",
            "ünïcödé ✓",
            "tab\there",
            "multi\nline\n",
            "-----BEGIN KEY-----\nabc'def\n-----END KEY-----",
        ];
        let values: BTreeMap<String, String> = tricky
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("V{i}"), v.to_string()))
            .collect();
        let text = format(&values);
        assert_eq!(parse(&text).unwrap(), values, "{text}");
    }

    #[test]
    fn names_and_values_a_file_can_hold() {
        assert!(valid_name("DATABASE_URL") && valid_name("_x.y2"));
        assert!(!valid_name("") && !valid_name("2X") && !valid_name("A-B") && !valid_name("A B"));
        assert_eq!(unwritable("a\nb"), None);
        assert_eq!(unwritable("a\rb"), Some("a carriage return"));
        assert_eq!(unwritable("a\0b"), Some("a NUL character"));
        assert_eq!(unwritable("fine"), None);
    }
}
