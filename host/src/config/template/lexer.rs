//! Jet template text → [`Segment`]s: literal text, and the tokens of each `{{ ... }}` action
//! with their lines. Comments `{* ... *}` are dropped; `{{- ` trims the whitespace before an
//! action and ` -}}` the whitespace after it (the dash needs the space beside it, as in Jet, so
//! `{{-1}}` is not a trim).
//!
//! ```text
//! Hello {{- " " + name -}} !   →  Text("Hello"), Action["\" \"", "+", "name"], Text("!")
//! ```

use super::SyntaxError;

/// A template's text, split.
#[derive(Debug, PartialEq)]
pub enum Segment {
    Text(String),
    Action(Action),
}

#[derive(Debug, PartialEq)]
pub struct Action {
    pub tokens: Vec<Token>,
    /// The line of its `{{`.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
    /// Whitespace comes before it: `a .b` is two expressions, `a.b` one.
    pub spaced: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Op(&'static str),
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const COMMENT_LEFT: &str = "{*";
const COMMENT_RIGHT: &str = "*}";

const OPS2: [&str; 7] = [":=", "==", "!=", "<=", ">=", "&&", "||"];
const OPS1: [&str; 19] = [
    "(", ")", "[", "]", ",", ".", ":", "?", "|", "!", "<", ">", "+", "-", "*", "/", "%", "=", ";",
];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn lines_in(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

fn error(line: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        line,
        message: message.into(),
    }
}

/// Split `text` into literal text and actions.
pub fn segments(text: &str) -> Result<Vec<Segment>, SyntaxError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    let mut trim_next = false;
    loop {
        let rest = &text[pos..];
        // One forward scan for either opener, so a long text is read once, not once per action.
        let bytes = rest.as_bytes();
        let next = rest
            .match_indices('{')
            .find_map(|(i, _)| match bytes.get(i + 1) {
                Some(b'{') => Some((i, LEFT)),
                Some(b'*') => Some((i, COMMENT_LEFT)),
                _ => None,
            });
        let Some((offset, delimiter)) = next else {
            push_text(&mut out, rest, trim_next, false);
            return Ok(out);
        };
        let start = pos + offset;
        let before = &text[pos..start];
        line += lines_in(before);
        if delimiter == COMMENT_LEFT {
            push_text(&mut out, before, trim_next, false);
            trim_next = false;
            let body = start + COMMENT_LEFT.len();
            let Some(end) = text[body..].find(COMMENT_RIGHT) else {
                return Err(error(line, "comment {* is never closed with *}"));
            };
            line += lines_in(&text[start..body + end]);
            pos = body + end + COMMENT_RIGHT.len();
            continue;
        }
        let mut inner = start + LEFT.len();
        let bytes = text.as_bytes();
        let trim_before =
            bytes.get(inner) == Some(&b'-') && bytes.get(inner + 1).is_some_and(|&c| is_space(c));
        if trim_before {
            inner += 1;
        }
        push_text(&mut out, before, trim_next, trim_before);
        let (tokens, end, trim_after, end_line) = tokens(text, inner, line)?;
        out.push(Segment::Action(Action { tokens, line }));
        line = end_line;
        trim_next = trim_after;
        pos = end;
    }
}

fn push_text(out: &mut Vec<Segment>, text: &str, trim_start: bool, trim_end: bool) {
    let mut text = text;
    if trim_start {
        text = text.trim_start_matches([' ', '\t', '\r', '\n']);
    }
    if trim_end {
        text = text.trim_end_matches([' ', '\t', '\r', '\n']);
    }
    if !text.is_empty() {
        out.push(Segment::Text(text.to_owned()));
    }
}

/// The tokens of the action starting at `pos` (after its `{{`), up to its `}}`: the tokens,
/// the position after `}}`, whether it ended with ` -}}`, and the line it ends on.
fn tokens(
    text: &str,
    mut pos: usize,
    mut line: usize,
) -> Result<(Vec<Token>, usize, bool, usize), SyntaxError> {
    let opened = line;
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut spaced = true;
    loop {
        let Some(&c) = bytes.get(pos) else {
            return Err(error(opened, "action {{ is never closed with }}"));
        };
        if is_space(c) {
            line += usize::from(c == b'\n');
            spaced = true;
            pos += 1;
            continue;
        }
        let rest = &text[pos..];
        if rest.starts_with(RIGHT) {
            return Ok((out, pos + RIGHT.len(), false, line));
        }
        if spaced && rest.starts_with("-}}") {
            return Ok((out, pos + 3, true, line));
        }
        let (tok, len) = if c.is_ascii_alphabetic() || c == b'_' {
            let len = rest
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                .unwrap_or(rest.len());
            (Tok::Ident(rest[..len].to_owned()), len)
        } else if c.is_ascii_digit() {
            number(rest, line)?
        } else if c == b'"' || c == b'`' {
            let (value, len) = string(rest, line)?;
            line += lines_in(&rest[..len]);
            (Tok::Str(value), len)
        } else if let Some(op) = OPS2.iter().find(|op| rest.starts_with(**op)) {
            (Tok::Op(op), 2)
        } else if let Some(op) = OPS1.iter().find(|op| rest.starts_with(**op)) {
            (Tok::Op(op), 1)
        } else {
            let shown = rest.chars().next().unwrap_or('?');
            return Err(error(
                line,
                format!("unexpected character '{shown}' in an action"),
            ));
        };
        out.push(Token { tok, line, spaced });
        spaced = false;
        pos += len;
    }
}

fn number(rest: &str, line: usize) -> Result<(Tok, usize), SyntaxError> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut len = digits(rest);
    let fraction = rest[len..].starts_with('.') && digits(&rest[len + 1..]) > 0;
    if fraction {
        len += 1 + digits(&rest[len + 1..]);
    }
    let text = &rest[..len];
    let tok = if fraction {
        text.parse().map(Tok::Float).ok()
    } else {
        text.parse().map(Tok::Int).ok()
    };
    tok.map(|tok| (tok, len))
        .ok_or_else(|| error(line, format!("number {text} is out of range")))
}

/// A `"..."` string with Go escapes, or a raw `` `...` `` one: its value and length.
fn string(rest: &str, line: usize) -> Result<(String, usize), SyntaxError> {
    let quote = rest.as_bytes()[0] as char;
    let mut value = String::new();
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((value, i + 1));
        }
        if c == '\n' && quote == '"' {
            break;
        }
        if c != '\\' || quote == '`' {
            value.push(c);
            continue;
        }
        let escaped = match chars.next().map(|(_, c)| c) {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('\\') => '\\',
            Some('"') => '"',
            Some('\'') => '\'',
            Some('u') => {
                let hex: String = (0..4)
                    .filter_map(|_| chars.next().map(|(_, c)| c))
                    .collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| error(line, format!("bad escape \\u{hex} in a string")))?
            }
            other => {
                let shown = other.map_or(String::new(), String::from);
                return Err(error(line, format!("unknown escape \\{shown} in a string")));
            }
        };
        value.push(escaped);
    }
    Err(error(line, "string literal is never closed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Vec<String> {
        segments(text)
            .unwrap()
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) => format!("T{t:?}"),
                Segment::Action(a) => format!(
                    "A{}{:?}",
                    a.line,
                    a.tokens.iter().map(|t| t.tok.clone()).collect::<Vec<_>>()
                ),
            })
            .collect()
    }

    #[test]
    fn text_actions_comments_and_trims() {
        assert_eq!(
            shown("a {* c\n *}b\n{{- x.y -}}\n c {{ \"}}\" }}"),
            [
                "T\"a \"",
                "T\"b\"",
                "A3[Ident(\"x\"), Op(\".\"), Ident(\"y\")]",
                "T\"c \"",
                "A4[Str(\"}}\")]"
            ]
        );
        assert_eq!(shown("{{-1}}"), ["A1[Op(\"-\"), Int(1)]"]);
        assert_eq!(
            shown("{{ a := 1.5 }}{{ b[0] != `r\\n` }}"),
            [
                "A1[Ident(\"a\"), Op(\":=\"), Float(1.5)]",
                "A1[Ident(\"b\"), Op(\"[\"), Int(0), Op(\"]\"), Op(\"!=\"), Str(\"r\\\\n\")]"
            ]
        );
    }

    #[test]
    fn unclosed_things_name_their_line() {
        assert_eq!(segments("\n\n{{ x ").unwrap_err().line, 3);
        assert_eq!(segments("\n{* x").unwrap_err().line, 2);
        let err = segments("{{ \"abc }}").unwrap_err();
        assert_eq!(err.message, "string literal is never closed");
        assert_eq!(
            segments("{{ a # b }}").unwrap_err().message,
            "unexpected character '#' in an action"
        );
    }
}
