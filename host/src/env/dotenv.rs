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
    let quoted = quote_bare_values(text);
    let mut values = BTreeMap::new();
    for item in dotenvy::from_read_iter(quoted.as_bytes()) {
        match item {
            Ok((name, value)) => {
                values.insert(name, value);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                // The line is not echoed: it may hold a secret.
                let at = quoted.find(line.as_str()).unwrap_or(quoted.len());
                return Err(ParseError {
                    line: quoted[..at].matches('\n').count() + 1,
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

/// The text with every bare value that `dotenvy` would refuse but the reference runtime's loader
/// (Go's `godotenv`) reads put in double quotes, line for line: `GREETING=hello world` or
/// `SIGN=a"b`, a value up to an inline ` # comment`, trimmed. `$NAME` still expands in it, as it
/// does in a bare value.
fn quote_bare_values(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    // The quote of a value that goes on past its first line.
    let mut open: Option<char> = None;
    for line in text.split_inclusive('\n') {
        if let Some(quote) = open {
            if closing_quote(line, quote).is_some() {
                open = None;
            }
            out.push_str(line);
            continue;
        }
        let Some((head, value)) = assignment(line) else {
            out.push_str(line);
            continue;
        };
        let value = value.trim_end_matches(['\n', '\r']);
        match value.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                if closing_quote(&value[1..], quote).is_none() {
                    open = Some(quote);
                }
                out.push_str(line);
            }
            _ => {
                let bare = value.split(" #").next().unwrap_or("").trim();
                if bare.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\')) {
                    let escaped = bare.replace('\\', "\\\\").replace('"', "\\\"");
                    out.push_str(&format!("{head}\"{escaped}\""));
                    out.push_str(&line[head.len() + value.len()..]);
                    changed = true;
                } else {
                    out.push_str(line);
                }
            }
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `NAME=` (with an optional `export ` and spaces around `=`) and the rest of the line.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let eq = line.find('=')?;
    let name = line[..eq].trim();
    let name = name.strip_prefix("export ").map_or(name, str::trim_start);
    if !valid_name(name) {
        return None;
    }
    let after = &line[eq + 1..];
    let value_at = eq + 1 + (after.len() - after.trim_start_matches([' ', '\t']).len());
    Some((&line[..value_at], &line[value_at..]))
}

/// Where `quote` closes in `text` (a `\` escapes in double quotes only).
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(at);
        }
    }
    None
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
    fn bare_values_read_as_the_reference_loader_reads_them() {
        let text = "A=hello world\r\nexport B = spaced  value  # comment\nC=a\"b\\c\n\
                    M=\"multi\nN=inside a quote\"\nP=x$A y\nQ='single one'\n";
        let values = parse(text).unwrap();
        assert_eq!(values["A"], "hello world");
        assert_eq!(values["B"], "spaced  value");
        assert_eq!(values["C"], "a\"b\\c");
        assert_eq!(values["M"], "multi\nN=inside a quote");
        assert!(!values.contains_key("N"));
        assert_eq!(values["P"], "xhello world y");
        assert_eq!(values["Q"], "single one");
    }

    #[test]
    fn a_bad_line_is_named_without_its_text() {
        let error = parse("A=1\n# ok\nSECRET='a b\n").unwrap_err();
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
