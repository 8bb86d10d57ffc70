//! The tree of a parsed Jet template ([`Template`]): what `parser.rs` builds at load and
//! `modules/templates/render.rs` walks. Lines are the template text's own (1-based); the
//! [`Template`] turns one into `file:line` for messages.

use std::sync::Arc;

/// One parsed template of a `template.jet` entry.
#[derive(Debug)]
pub struct Template {
    /// The file messages name: the `.jet` file, or the YAML file of an inline source.
    pub file: String,
    /// The line of `file` holding the text's first line.
    pub first_line: usize,
    /// `{{ extends "name" }}` at the top, with its line.
    pub extends: Option<(String, usize)>,
    /// `{{ import "name" }}`s, with their lines.
    pub imports: Vec<(String, usize)>,
    /// Every block the template defines, at any depth.
    pub blocks: Vec<Arc<Block>>,
    pub body: Vec<Node>,
}

impl Template {
    /// `file:line` of line `line` of the template text.
    pub fn at(&self, line: usize) -> String {
        format!("{}:{}", self.file, self.first_line + line.saturating_sub(1))
    }
}

#[derive(Debug)]
pub struct Block {
    pub name: String,
    /// Parameters with their default values; one without a default must be passed.
    pub params: Vec<(String, Option<Expr>)>,
    pub body: Vec<Node>,
    /// What `{{ content }}` in its definition gives its own `{{ yield content }}`.
    pub content: Option<Vec<Node>>,
    /// The context it is defined with (`{{ block b() expr }}`).
    pub context: Option<Expr>,
    pub line: usize,
}

#[derive(Debug)]
pub enum Node {
    Text(String),
    /// `{{ expr }}`: escaped, unless the expression's last function is `raw`, `unsafe`...
    Output(Expr, usize),
    /// `{{ x := expr }}` (declare) or `{{ x = expr }}`; `_` evaluates and discards.
    Set {
        name: String,
        value: Expr,
        declare: bool,
        line: usize,
    },
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
        line: usize,
    },
    Range {
        /// `range k := x` or `range k, v := x`.
        key: Option<String>,
        value: Option<String>,
        over: Expr,
        body: Vec<Node>,
        otherwise: Option<Vec<Node>>,
        line: usize,
    },
    /// A block defined here; it runs where it is defined, except in a template that extends
    /// another or is imported.
    Block(Arc<Block>),
    Yield {
        name: String,
        args: Vec<(String, Expr)>,
        context: Option<Expr>,
        /// `{{ yield b() content }} ... {{ end }}`.
        content: Option<Vec<Node>>,
        line: usize,
    },
    /// `{{ yield content }}` inside a block.
    YieldContent(usize),
    Include {
        name: Expr,
        context: Option<Expr>,
        line: usize,
    },
    Try {
        body: Vec<Node>,
        /// `{{ catch [err] }}`: the variable the error message is bound to, and the fallback.
        catch: Option<(Option<String>, Vec<Node>)>,
        line: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug)]
pub enum Expr {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A variable (or one of the data's top-level keys).
    Ident(String),
    /// `.`: the context.
    Context,
    /// `_` in a pipeline stage's arguments: where the piped value goes.
    Slot,
    Field(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A built-in function called by name (checked at load: it exists).
    Call(String, Vec<Expr>),
    /// `head | f | g(x)`: each stage's arguments, with the piped value at its `_` or first.
    Pipe(Box<Expr>, Vec<(String, Vec<Expr>)>),
}
