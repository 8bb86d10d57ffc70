//! Lua 5.4 tokens, plus the symbols of Wippy's type syntax (`?`, `!`, `@`, `->`).
//!
//! Tokens keep their byte span and line, so the lowering can copy the source around them and
//! keep every line where it was. Comments and whitespace are not tokens.

use super::TypedError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Name,
    Keyword,
    Number,
    Str,
    Symbol,
}

#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

impl Token<'_> {
    pub fn is(&self, symbol_or_keyword: &str) -> bool {
        matches!(self.kind, Kind::Symbol | Kind::Keyword) && self.text == symbol_or_keyword
    }
}

const KEYWORDS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

/// Longest first, so `...` wins over `..` and `.`.
const SYMBOLS: &[&str] = &[
    "...", "::", "..", "==", "~=", "<=", ">=", "<<", ">>", "//", "->", "+", "-", "*", "/", "%",
    "^", "#", "&", "~", "|", "<", ">", "=", "(", ")", "{", "}", "[", "]", ";", ":", ",", ".", "?",
    "!", "@",
];

pub fn tokenize(source: &str) -> Result<Vec<Token<'_>>, TypedError> {
    let mut lexer = Lexer {
        source,
        bytes: source.as_bytes(),
        at: 0,
        line: 1,
    };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.at + ahead).copied().unwrap_or(0)
    }

    fn error(&self, line: u32, message: impl Into<String>) -> TypedError {
        TypedError {
            line,
            message: message.into(),
        }
    }

    /// Skip whitespace and comments; false at the end of the source.
    fn skip_space(&mut self) -> Result<bool, TypedError> {
        loop {
            match self.peek(0) {
                0 if self.at >= self.bytes.len() => return Ok(false),
                b'\n' => {
                    self.line += 1;
                    self.at += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.at += 1,
                b'-' if self.peek(1) == b'-' => {
                    self.at += 2;
                    if let Some(level) = self.long_bracket_level() {
                        let line = self.line;
                        self.long_bracket(level)
                            .map_err(|_| self.error(line, "unfinished long comment"))?;
                    } else {
                        while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
                            self.at += 1;
                        }
                    }
                }
                _ => return Ok(true),
            }
        }
    }

    /// At `[` followed by `=`* and `[`: the number of `=`.
    fn long_bracket_level(&self) -> Option<usize> {
        if self.peek(0) != b'[' {
            return None;
        }
        let mut level = 0;
        while self.peek(1 + level) == b'=' {
            level += 1;
        }
        (self.peek(1 + level) == b'[').then_some(level)
    }

    /// Consume a long bracket of `level` starting at the cursor.
    fn long_bracket(&mut self, level: usize) -> Result<(), ()> {
        self.at += level + 2;
        loop {
            match self.peek(0) {
                0 if self.at >= self.bytes.len() => return Err(()),
                b'\n' => {
                    self.line += 1;
                    self.at += 1;
                }
                b']' if (1..=level).all(|i| self.peek(i) == b'=')
                    && self.peek(level + 1) == b']' =>
                {
                    self.at += level + 2;
                    return Ok(());
                }
                _ => self.at += 1,
            }
        }
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, TypedError> {
        if !self.skip_space()? {
            return Ok(None);
        }
        let (start, line) = (self.at, self.line);
        let c = self.peek(0);
        let kind = if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while {
                let c = self.peek(0);
                c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
            } {
                self.at += 1;
            }
            if KEYWORDS.contains(&&self.source[start..self.at]) {
                Kind::Keyword
            } else {
                Kind::Name
            }
        } else if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
            self.number();
            Kind::Number
        } else if c == b'"' || c == b'\'' {
            self.short_string(c)?;
            Kind::Str
        } else if let Some(level) = self.long_bracket_level() {
            self.long_bracket(level)
                .map_err(|_| self.error(line, "unfinished long string"))?;
            Kind::Str
        } else {
            let rest = &self.source[start..];
            let symbol = SYMBOLS
                .iter()
                .find(|symbol| rest.starts_with(**symbol))
                .ok_or_else(|| {
                    let shown = rest.chars().next().unwrap_or('?');
                    self.error(line, format!("unexpected symbol '{shown}'"))
                })?;
            self.at += symbol.len();
            Kind::Symbol
        };
        Ok(Some(Token {
            kind,
            text: &self.source[start..self.at],
            start,
            end: self.at,
            line,
        }))
    }

    fn number(&mut self) {
        let hex = self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X');
        if hex {
            self.at += 2;
        }
        let exponent: &[u8] = if hex { b"pP" } else { b"eE" };
        loop {
            let c = self.peek(0);
            if exponent.contains(&c) {
                self.at += 1;
                if matches!(self.peek(0), b'+' | b'-') {
                    self.at += 1;
                }
            } else if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' {
                self.at += 1;
            } else {
                return;
            }
        }
    }

    fn short_string(&mut self, quote: u8) -> Result<(), TypedError> {
        let line = self.line;
        self.at += 1;
        loop {
            match self.peek(0) {
                0 if self.at >= self.bytes.len() => {
                    return Err(self.error(line, "unfinished string"));
                }
                b'\n' => return Err(self.error(line, "unfinished string")),
                b'\\' => {
                    self.at += 1;
                    match self.peek(0) {
                        b'\n' => {
                            self.line += 1;
                            self.at += 1;
                        }
                        b'z' => {
                            self.at += 1;
                            while self.peek(0).is_ascii_whitespace() {
                                if self.peek(0) == b'\n' {
                                    self.line += 1;
                                }
                                self.at += 1;
                            }
                        }
                        0 if self.at >= self.bytes.len() => {}
                        _ => self.at += 1,
                    }
                }
                c if c == quote => {
                    self.at += 1;
                    return Ok(());
                }
                _ => self.at += 1,
            }
        }
    }
}
