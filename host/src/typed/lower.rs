//! Typed Lua → plain Lua 5.4, line for line.
//!
//! A walk over the tokens that finds where Wippy's type syntax can stand (after a `local` name,
//! a parameter, a `for` name, a function's parameter list; `::`/`as` casts; the non-nil `!`;
//! `type X = ...` statements; `<T>` after a function name) and rewrites only those spans: an
//! annotation or cast becomes spaces, a declaration becomes `local X; X = <type value>` on its
//! first line, followed by the newlines it spanned. Everything else is copied byte for byte, so
//! every error keeps the source's own line numbers.

use std::collections::HashMap;

use super::TypedError;
use super::lexer::{Kind, Token};
use super::types::{self, Parser, Type};

/// One rewrite of the source: `start..end` blanked, or replaced by `text` on its first line.
struct Edit {
    start: usize,
    end: usize,
    text: Option<String>,
}

pub fn lower(source: &str, tokens: &[Token<'_>]) -> Result<String, TypedError> {
    let mut walk = Walk {
        source,
        tokens,
        edits: Vec::new(),
        after_type: usize::MAX,
        declared: HashMap::new(),
    };
    walk.run()?;
    Ok(apply(source, &walk.edits))
}

struct Walk<'t, 'a> {
    source: &'a str,
    tokens: &'t [Token<'a>],
    edits: Vec<Edit>,
    /// The token after the last type read: a statement may start there even when the type
    /// ended with a token that cannot end an expression (`>` of `List<T>`).
    after_type: usize,
    /// The type each annotated name was last declared with, for `typeof(name)` (by name
    /// through the whole source, not by scope).
    declared: HashMap<&'a str, Type>,
}

impl<'t, 'a> Walk<'t, 'a> {
    fn tok(&self, at: usize) -> Option<&Token<'a>> {
        self.tokens.get(at)
    }

    fn is(&self, at: usize, symbol: &str) -> bool {
        self.tok(at).is_some_and(|t| t.is(symbol))
    }

    fn is_name(&self, at: usize) -> bool {
        self.tok(at).is_some_and(|t| t.kind == Kind::Name)
    }

    fn blank(&mut self, start: usize, end: usize) {
        self.edits.push(Edit {
            start,
            end,
            text: None,
        });
    }

    /// A type starting at token `at`: blanked from byte `from` (the `:` or cast operator) to
    /// its end; the index after it.
    fn erase_type(&mut self, from: usize, at: usize) -> Result<usize, TypedError> {
        self.erase_declared(from, at).map(|(_, next)| next)
    }

    /// The same, with the type parsed.
    fn erase_declared(&mut self, from: usize, at: usize) -> Result<(Type, usize), TypedError> {
        let mut parser = Parser::new(self.tokens, self.source, at);
        let ty = parser.parse_type()?;
        self.blank(from, parser.end());
        self.after_type = parser.at;
        Ok((ty, parser.at))
    }

    /// `typeof(name)` where `name` was declared with a type: that type's value.
    fn static_typeof(&mut self, at: usize) -> usize {
        let Some(ty) = self
            .tok(at + 2)
            .and_then(|name| self.declared.get(name.text))
        else {
            return at + 1;
        };
        let mut value = String::new();
        if types::emit(ty, &[], &mut value).is_err() {
            return at + 1;
        }
        self.edits.push(Edit {
            start: self.tokens[at].start,
            end: self.tokens[at + 3].end,
            text: Some(value),
        });
        at + 4
    }

    fn run(&mut self) -> Result<(), TypedError> {
        let mut at = 0;
        while let Some(token) = self.tok(at).copied() {
            at = match (token.kind, token.text) {
                (Kind::Keyword, "local") if !self.is(at + 1, "function") => self.names(at + 1)?,
                (Kind::Keyword, "function") => self.function(at + 1)?,
                (Kind::Keyword, "for") => self.names(at + 1)?,
                (Kind::Name, "type") if self.declaration_at(at) => self.declaration(at)?,
                (Kind::Symbol, "::") => self.double_colon(at)?,
                (Kind::Name, "as") if self.cast_at(at) => self.as_cast(at),
                (Kind::Name, "typeof")
                    if self.is(at + 1, "(") && self.is_name(at + 2) && self.is(at + 3, ")") =>
                {
                    self.static_typeof(at)
                }
                (Kind::Symbol, "!") => {
                    self.blank(token.start, token.end);
                    at + 1
                }
                _ => at + 1,
            };
        }
        Ok(())
    }

    /// Names, each with an optional `<attrib>` and annotation, separated by commas (after
    /// `local` and `for`): the index after them.
    fn names(&mut self, mut at: usize) -> Result<usize, TypedError> {
        while self.is_name(at) {
            at = self.annotated(at)?;
            if !self.is(at, ",") {
                break;
            }
            at += 1;
        }
        Ok(at)
    }

    /// The name (or `...`) at `at` with its optional `<attrib>` and `: Type`, the type erased
    /// and remembered for `typeof(name)`: the index after it.
    fn annotated(&mut self, mut at: usize) -> Result<usize, TypedError> {
        let name = self.tokens[at].text;
        at += 1;
        if self.is(at, "<") && self.is_name(at + 1) && self.is(at + 2, ">") {
            at += 3;
        }
        if self.is(at, ":") {
            let (ty, next) = self.erase_declared(self.tokens[at].start, at + 1)?;
            self.declared.insert(name, ty);
            at = next;
        }
        Ok(at)
    }

    /// After `function`: an optional name, optional `<T>`, the parameters with their types,
    /// and an optional result type. The index of the first token of the body.
    fn function(&mut self, mut at: usize) -> Result<usize, TypedError> {
        if self.is_name(at) {
            at += 1;
            while (self.is(at, ".") || self.is(at, ":")) && self.is_name(at + 1) {
                at += 2;
            }
        }
        if self.is(at, "<") {
            let start = self.tokens[at].start;
            let mut parser = Parser::new(self.tokens, self.source, at);
            parser.type_parameters()?;
            self.blank(start, parser.end());
            at = parser.at;
        }
        if !self.is(at, "(") {
            return Ok(at);
        }
        at += 1;
        while !self.is(at, ")") {
            if self.is_name(at) || self.is(at, "...") {
                at = self.annotated(at)?;
            }
            if !self.is(at, ",") {
                break;
            }
            at += 1;
        }
        if !self.is(at, ")") {
            return Ok(at);
        }
        at += 1;
        if self.is(at, ":") {
            let start = self.tokens[at].start;
            let mut parser = Parser::new(self.tokens, self.source, at + 1);
            parser.declared_results()?;
            self.blank(start, parser.end());
            self.after_type = parser.at;
            at = parser.at;
        }
        Ok(at)
    }

    /// `type` at `at` starts a declaration: a statement begins there (not an expression
    /// such as `x = type`), and `Name =` or `Name <` follows.
    fn declaration_at(&self, at: usize) -> bool {
        let statement_start = at == 0
            || at == self.after_type
            || self.tok(at - 1).is_some_and(|prev| match prev.kind {
                Kind::Name | Kind::Number | Kind::Str => true,
                Kind::Keyword => matches!(
                    prev.text,
                    "end" | "break" | "do" | "then" | "else" | "repeat" | "nil" | "true" | "false"
                ),
                Kind::Symbol => matches!(prev.text, ")" | "]" | "}" | ";" | "::" | "..."),
            });
        statement_start && self.is_name(at + 1) && (self.is(at + 2, "=") || self.is(at + 2, "<"))
    }

    /// `type Name [<T, U>] = Type` → `local Name; Name = <value>`.
    fn declaration(&mut self, at: usize) -> Result<usize, TypedError> {
        let start = self.tokens[at].start;
        let name = self.tokens[at + 1].text.to_owned();
        let mut parser = Parser::new(self.tokens, self.source, at + 2);
        let generics = if parser.peek(0).is_some_and(|t| t.is("<")) {
            parser.type_parameters()?
        } else {
            Vec::new()
        };
        if !parser.peek(0).is_some_and(|t| t.is("=")) {
            return Err(TypedError {
                line: self.tokens[at].line,
                message: format!("expected '=' after 'type {name}'"),
            });
        }
        parser.at += 1;
        let ty = parser.parse_type()?;
        let mut value = String::new();
        types::emit(&ty, &generics, &mut value).map_err(|message| TypedError {
            line: self.tokens[at].line,
            message: format!("type {name}: {message}"),
        })?;
        self.after_type = parser.at;
        self.edits.push(Edit {
            start,
            end: parser.end(),
            text: Some(format!(
                "local {name}; {name} = __luabox_types.named({name:?}, {value})"
            )),
        });
        Ok(parser.at)
    }

    /// `::label::` stays; `expr :: Type` is a cast, erased.
    fn double_colon(&mut self, at: usize) -> Result<usize, TypedError> {
        if self.is_name(at + 1) && self.is(at + 2, "::") {
            return Ok(at + 3);
        }
        self.erase_type(self.tokens[at].start, at + 1)
    }

    /// `expr as Type`, erased; where what follows `as` is no type (`f() as {1}`, a call of a
    /// function named `as`), the source stays as it is.
    fn as_cast(&mut self, at: usize) -> usize {
        let mut parser = Parser::new(self.tokens, self.source, at + 1);
        match parser.parse_type() {
            Ok(_) => {
                self.blank(self.tokens[at].start, parser.end());
                self.after_type = parser.at;
                parser.at
            }
            Err(_) => at + 1,
        }
    }

    /// `as` at `at` is a cast: it follows the end of an expression on the same line, and a type
    /// follows it (`as` is otherwise an ordinary name in Lua).
    fn cast_at(&self, at: usize) -> bool {
        let Some(prev) = at.checked_sub(1).and_then(|i| self.tok(i)) else {
            return false;
        };
        let ends_expression = match prev.kind {
            Kind::Name | Kind::Number | Kind::Str => true,
            Kind::Keyword => matches!(prev.text, "nil" | "true" | "false" | "end"),
            Kind::Symbol => matches!(prev.text, ")" | "]" | "}" | "..."),
        };
        // Not `(` or a string: `f() as(x)` and `f() as "x"` are calls of a function named `as`.
        let starts_type = self.tok(at + 1).is_some_and(|next| match next.kind {
            Kind::Name | Kind::Number => true,
            Kind::Keyword => matches!(next.text, "nil" | "true" | "false" | "function"),
            Kind::Symbol => next.text == "{",
            Kind::Str => false,
        });
        ends_expression && starts_type && prev.line == self.tokens[at].line && !self.is(at + 1, "=")
    }
}

/// The source with the edits applied; every line stays where it was.
fn apply(source: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|edit| edit.start);
    let mut out = String::with_capacity(source.len() + 64);
    let mut copied = 0;
    for edit in edits {
        if edit.start < copied {
            continue; // inside an edit already applied
        }
        out.push_str(&source[copied..edit.start]);
        let span = &source[edit.start..edit.end];
        match &edit.text {
            None => out.extend(span.chars().map(|c| if c == '\n' { '\n' } else { ' ' })),
            Some(text) => {
                out.push_str(text);
                let spanned = span.matches('\n').count();
                let written = text.matches('\n').count();
                for _ in written..spanned {
                    out.push('\n');
                }
            }
        }
        copied = edit.end;
    }
    out.push_str(&source[copied..]);
    out
}
