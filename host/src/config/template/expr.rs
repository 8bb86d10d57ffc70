//! The tokens of one action → an [`Expr`], by precedence from loosest to tightest: pipeline
//! `|`, ternary `? :`, `||`, `&&`, comparison, `+ -`, `* / %`, unary `! -`, then field access
//! `.x`, index `[i]`, slice `[a:b]` and calls `f(x)`. A call may also be written `f: x, y` at
//! the start of an action or of a pipeline stage, as in Jet. Only the built-in [`FUNCTIONS`]
//! can be called: template data holds no functions.

use super::SyntaxError;
use super::ast::{BinOp, Expr, UnOp};
use super::lexer::{Tok, Token};

/// How deeply an expression nests (parentheses, operands, indexes); deeper is refused.
pub const MAX_DEPTH: usize = 64;

/// The functions a template can call (`modules/templates/builtins.rs` implements each).
pub const FUNCTIONS: &[&str] = &[
    "len",
    "isset",
    "lower",
    "upper",
    "hasPrefix",
    "hasSuffix",
    "repeat",
    "replace",
    "split",
    "trimSpace",
    "html",
    "url",
    "json",
    "raw",
    "unsafe",
    "safeHtml",
    "safeJs",
    "writeJson",
    "ints",
    "map",
    "slice",
];

pub struct Tokens<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// The action's line, for an error at its end.
    line: usize,
    depth: usize,
}

pub fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(name) => format!("'{name}'"),
        Tok::Int(n) => format!("{n}"),
        Tok::Float(n) => format!("{n}"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Op(op) => format!("'{op}'"),
    }
}

impl<'a> Tokens<'a> {
    pub fn new(tokens: &'a [Token], line: usize) -> Self {
        Tokens {
            tokens,
            pos: 0,
            line,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn peek_op(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Token {
                tok: Tok::Op(op), ..
            }) => Some(op),
            _ => None,
        }
    }

    /// The next token is `op` right after the previous one (no space between).
    fn adjacent_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Op(o), spaced: false, .. }) if *o == op)
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.line, |t| t.line)
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line: self.here(),
            message: message.into(),
        }
    }

    fn unexpected(&self, wanted: &str) -> SyntaxError {
        match self.peek() {
            Some(token) => self.error(format!("expected {wanted}, found {}", describe(&token.tok))),
            None => self.error(format!("expected {wanted} before }}}}")),
        }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// No tokens left over after `what`.
    pub fn finish(&self, what: &str) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(token) => {
                Err(self.error(format!("unexpected {} in {what}", describe(&token.tok))))
            }
        }
    }

    pub fn eat(&mut self, op: &str) -> bool {
        if self.peek_op() == Some(op) {
            self.pos += 1;
            return true;
        }
        false
    }

    pub fn expect(&mut self, op: &str) -> Result<(), SyntaxError> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{op}'")))
        }
    }

    pub fn ident(&mut self, what: &str) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Ident(name),
                ..
            }) => {
                self.pos += 1;
                Ok(name.clone())
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn deeper(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("expression nests more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    /// A whole action's value: a pipeline, possibly starting with a prefix call `f: x`.
    pub fn output(&mut self) -> Result<Expr, SyntaxError> {
        let head = match self.prefix_call()? {
            Some(call) => call,
            None => self.expr()?,
        };
        let mut stages = Vec::new();
        while self.eat("|") {
            let name = self.function_name()?;
            let args = if self.adjacent_op("(") {
                self.pos += 1;
                self.args(")", true)?
            } else if self.eat(":") {
                self.bare_args(true)?
            } else {
                Vec::new()
            };
            stages.push((name, args));
        }
        Ok(if stages.is_empty() {
            head
        } else {
            Expr::Pipe(Box::new(head), stages)
        })
    }

    /// `f: a, b` where the action starts.
    fn prefix_call(&mut self) -> Result<Option<Expr>, SyntaxError> {
        let is_prefix = matches!(
            (self.peek(), self.tokens.get(self.pos + 1)),
            (
                Some(Token {
                    tok: Tok::Ident(_),
                    ..
                }),
                Some(Token {
                    tok: Tok::Op(":"),
                    ..
                })
            )
        );
        if !is_prefix {
            return Ok(None);
        }
        let name = self.function_name()?;
        self.pos += 1;
        let args = self.bare_args(false)?;
        Ok(Some(Expr::Call(name, args)))
    }

    fn function_name(&mut self) -> Result<String, SyntaxError> {
        let line = self.here();
        let name = self.ident("a function name")?;
        check_function(&name, line)?;
        Ok(name)
    }

    /// Comma-separated arguments up to `close`.
    fn args(&mut self, close: &str, slot: bool) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = Vec::new();
        while !self.eat(close) {
            if !args.is_empty() {
                self.expect(",")?;
            }
            args.push(self.arg(slot)?);
        }
        Ok(args)
    }

    /// Comma-separated arguments up to a `|` or the end of the action.
    fn bare_args(&mut self, slot: bool) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = vec![self.arg(slot)?];
        while self.eat(",") {
            args.push(self.arg(slot)?);
        }
        Ok(args)
    }

    fn arg(&mut self, slot: bool) -> Result<Expr, SyntaxError> {
        if slot && matches!(self.peek(), Some(Token { tok: Tok::Ident(name), .. }) if name == "_") {
            self.pos += 1;
            return Ok(Expr::Slot);
        }
        self.expr()
    }

    /// One expression without a pipeline.
    pub fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.deeper()?;
        let cond = self.binary(0)?;
        let value = if self.eat("?") {
            let yes = self.expr()?;
            self.expect(":")?;
            let no = self.expr()?;
            Expr::Ternary(Box::new(cond), Box::new(yes), Box::new(no))
        } else {
            cond
        };
        self.depth -= 1;
        Ok(value)
    }

    /// Binary operators of precedence `level` and tighter.
    fn binary(&mut self, level: usize) -> Result<Expr, SyntaxError> {
        const LEVELS: [&[(&str, BinOp)]; 5] = [
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<", BinOp::Lt),
                ("<=", BinOp::Le),
                (">", BinOp::Gt),
                (">=", BinOp::Ge),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        while let Some(op) = self
            .peek_op()
            .and_then(|o| ops.iter().find(|(s, _)| *s == o))
        {
            self.pos += 1;
            self.deeper()?;
            let right = self.binary(level + 1)?;
            self.depth -= 1;
            left = Expr::Binary(op.1, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let op = match self.peek_op() {
            Some("!") => UnOp::Not,
            Some("-") => UnOp::Neg,
            _ => return self.postfix(),
        };
        self.pos += 1;
        self.deeper()?;
        let operand = self.unary()?;
        self.depth -= 1;
        Ok(Expr::Unary(op, Box::new(operand)))
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut value = self.primary()?;
        loop {
            if self.adjacent_op(".") {
                self.pos += 1;
                let name = self.ident("a field name after '.'")?;
                value = Expr::Field(Box::new(value), name);
            } else if self.adjacent_op("[") {
                self.pos += 1;
                value = self.index(value)?;
            } else if self.adjacent_op("(") {
                let Expr::Ident(name) = &value else {
                    return Err(self.error(
                        "method calls are not supported by luabox's Jet (only built-in functions)",
                    ));
                };
                check_function(name, self.here())?;
                let name = name.clone();
                self.pos += 1;
                self.deeper()?;
                let args = self.args(")", false)?;
                self.depth -= 1;
                value = Expr::Call(name, args);
            } else {
                return Ok(value);
            }
        }
    }

    /// After `[`: an index `x[i]` or a slice `x[a:b]`.
    fn index(&mut self, value: Expr) -> Result<Expr, SyntaxError> {
        self.deeper()?;
        let from = if self.peek_op() == Some(":") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let value = if self.eat(":") {
            let to = if self.peek_op() == Some("]") {
                None
            } else {
                Some(Box::new(self.expr()?))
            };
            Expr::Slice(Box::new(value), from, to)
        } else {
            match from {
                Some(index) => Expr::Index(Box::new(value), index),
                None => return Err(self.unexpected("an index")),
            }
        };
        self.expect("]")?;
        self.depth -= 1;
        Ok(value)
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let Some(token) = self.peek() else {
            return Err(self.unexpected("a value"));
        };
        self.pos += 1;
        Ok(match &token.tok {
            Tok::Int(n) => Expr::Int(*n),
            Tok::Float(n) => Expr::Float(*n),
            Tok::Str(s) => Expr::Str(s.clone()),
            Tok::Ident(word) => match word.as_str() {
                "true" => Expr::Bool(true),
                "false" => Expr::Bool(false),
                "nil" => Expr::Nil,
                "_" => return Err(self.error("'_' only stands in a pipeline stage's arguments")),
                _ => Expr::Ident(word.clone()),
            },
            Tok::Op(".") => {
                // `.name` is a field of the context; `.` alone the context itself.
                if matches!(
                    self.peek(),
                    Some(Token {
                        tok: Tok::Ident(_),
                        spaced: false,
                        ..
                    })
                ) {
                    let name = self.ident("a field name")?;
                    Expr::Field(Box::new(Expr::Context), name)
                } else {
                    Expr::Context
                }
            }
            Tok::Op("(") => {
                self.deeper()?;
                let inner = self.output()?;
                self.expect(")")?;
                self.depth -= 1;
                inner
            }
            other => {
                self.pos -= 1;
                return Err(self.error(format!("expected a value, found {}", describe(other))));
            }
        })
    }
}

fn check_function(name: &str, line: usize) -> Result<(), SyntaxError> {
    if FUNCTIONS.contains(&name) {
        return Ok(());
    }
    let mut message = format!("unknown function '{name}'");
    if name == "exec" {
        message.push_str(" (exec and return are not supported by luabox's Jet)");
    } else if let Some(near) = crate::config::kinds::suggest(name, FUNCTIONS.iter().copied()) {
        message.push_str(&format!("; did you mean '{near}'?"));
    }
    Err(SyntaxError { line, message })
}
