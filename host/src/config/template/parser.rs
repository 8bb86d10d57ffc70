//! [`Segment`]s → the statements of a [`Template`] (`if`/`else if`/`else`, `range` with
//! `else`, `block`, `yield`, `include`, `import`, `extends`, `try`/`catch`, assignments and
//! output). Expressions are `expr.rs`'s. What luabox's Jet does not have (`return`, `exec`,
//! method calls, functions that are not built in) is an error here, at load, at its line.

use std::sync::Arc;

use super::SyntaxError;
use super::ast::{Block, Node, Template};
use super::expr::{self, Tokens};
use super::lexer::{Segment, Tok, Token};

/// How deeply statements nest (an `if` in a `range` in a `block`...): deeper is refused, so a
/// hostile template cannot exhaust the host's stack.
pub const MAX_NESTING: usize = 48;

/// Words that start a statement; a block cannot take one as its name.
const KEYWORDS: [&str; 14] = [
    "if", "else", "end", "range", "block", "yield", "include", "import", "extends", "try", "catch",
    "content", "return", "_",
];

/// How a list of statements ended.
enum Stop {
    Eof,
    End(usize),
    Else(Vec<Token>, usize),
    Catch(Vec<Token>, usize),
    Content(usize),
}

struct Parser {
    segments: std::vec::IntoIter<Segment>,
    depth: usize,
    blocks: Vec<Arc<Block>>,
    extends: Option<(String, usize)>,
    imports: Vec<(String, usize)>,
    /// Only whitespace text and comments came before: where `extends` may stand.
    at_top: bool,
}

fn error(line: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        line,
        message: message.into(),
    }
}

/// Parse the segments of one template.
pub fn parse(
    segments: Vec<Segment>,
    file: String,
    first_line: usize,
) -> Result<Template, SyntaxError> {
    let mut parser = Parser {
        segments: segments.into_iter(),
        depth: 0,
        blocks: Vec::new(),
        extends: None,
        imports: Vec::new(),
        at_top: true,
    };
    let (body, stop) = parser.list()?;
    match stop {
        Stop::Eof => {}
        Stop::End(line) => {
            return Err(error(
                line,
                "{{ end }} without an open if, range, block, try or yield",
            ));
        }
        Stop::Else(_, line) => return Err(error(line, "{{ else }} outside an if or range")),
        Stop::Catch(_, line) => return Err(error(line, "{{ catch }} outside a try")),
        Stop::Content(line) => return Err(error(line, "{{ content }} outside a block")),
    }
    Ok(Template {
        file,
        first_line,
        extends: parser.extends,
        imports: parser.imports,
        blocks: parser.blocks,
        body,
    })
}

impl Parser {
    /// Statements up to the end of the text or a stop word.
    fn list(&mut self) -> Result<(Vec<Node>, Stop), SyntaxError> {
        let mut nodes = Vec::new();
        while let Some(segment) = self.segments.next() {
            let action = match segment {
                Segment::Text(text) => {
                    if !text.trim().is_empty() {
                        self.at_top = false;
                    }
                    nodes.push(Node::Text(text));
                    continue;
                }
                Segment::Action(action) => action,
            };
            let line = action.line;
            let at_top = std::mem::replace(&mut self.at_top, false);
            let mut tokens = action.tokens;
            let word = match tokens.first() {
                None => return Err(error(line, "empty action {{ }}")),
                Some(Token {
                    tok: Tok::Ident(word),
                    ..
                }) => word.clone(),
                Some(_) => String::new(),
            };
            let is_assignment = matches!(
                tokens.get(1),
                Some(Token {
                    tok: Tok::Op(":=" | "="),
                    ..
                })
            );
            if is_assignment {
                nodes.push(assignment(tokens, line)?);
                continue;
            }
            let rest = if KEYWORDS.contains(&word.as_str()) {
                tokens.split_off(1)
            } else {
                Vec::new()
            };
            match word.as_str() {
                "end" => {
                    no_more(&rest, "end")?;
                    return Ok((nodes, Stop::End(line)));
                }
                "else" => return Ok((nodes, Stop::Else(rest, line))),
                "catch" => return Ok((nodes, Stop::Catch(rest, line))),
                "content" => {
                    no_more(&rest, "content")?;
                    return Ok((nodes, Stop::Content(line)));
                }
                "if" => nodes.push(self.if_(rest, line)?),
                "range" => nodes.push(self.range(rest, line)?),
                "block" => {
                    let block = self.block(rest, line)?;
                    nodes.push(Node::Block(block));
                }
                "yield" => nodes.push(self.yield_(rest, line)?),
                "include" => {
                    let mut t = Tokens::new(&rest, line);
                    let name = t.expr()?;
                    let context = if t.done() { None } else { Some(t.expr()?) };
                    t.finish("include")?;
                    nodes.push(Node::Include {
                        name,
                        context,
                        line,
                    });
                }
                "import" => {
                    let name = name_only(&rest, "import", line)?;
                    self.imports.push((name, line));
                }
                "extends" => {
                    let name = name_only(&rest, "extends", line)?;
                    if !at_top || self.depth > 0 {
                        return Err(error(line, "{{ extends }} must come first in a template"));
                    }
                    self.extends = Some((name, line));
                    self.at_top = true;
                }
                "try" => {
                    no_more(&rest, "try")?;
                    nodes.push(self.try_(line)?);
                }
                "return" => {
                    return Err(error(
                        line,
                        "{{ return }} is not supported by luabox's Jet (there is no exec())",
                    ));
                }
                "_" => return Err(error(line, "'_' only stands in a pipeline's arguments")),
                _ => {
                    let mut t = Tokens::new(&tokens, line);
                    let value = t.output()?;
                    t.finish("an output")?;
                    nodes.push(Node::Output(value, line));
                }
            }
        }
        Ok((nodes, Stop::Eof))
    }

    /// Statements inside a construct opened at `line`, one level deeper.
    fn nested(&mut self, line: usize) -> Result<(Vec<Node>, Stop), SyntaxError> {
        if self.depth >= MAX_NESTING {
            return Err(error(
                line,
                format!("statements nest more than {MAX_NESTING} deep"),
            ));
        }
        self.depth += 1;
        let found = self.list();
        self.depth -= 1;
        found
    }

    fn if_(&mut self, cond: Vec<Token>, line: usize) -> Result<Node, SyntaxError> {
        let mut branches = Vec::new();
        let mut cond = (cond, line);
        loop {
            let value = whole_expr(&cond.0, cond.1, "if")?;
            let (body, stop) = self.nested(line)?;
            branches.push((value, body));
            match stop {
                Stop::End(_) => {
                    return Ok(Node::If {
                        branches,
                        otherwise: None,
                        line,
                    });
                }
                Stop::Else(rest, else_line) => {
                    if rest.is_empty() {
                        let otherwise = self.until_end(line, "if")?;
                        return Ok(Node::If {
                            branches,
                            otherwise: Some(otherwise),
                            line,
                        });
                    }
                    match rest.first().map(|t| &t.tok) {
                        Some(Tok::Ident(word)) if word == "if" => {
                            cond = (rest[1..].to_vec(), else_line);
                        }
                        _ => {
                            return Err(error(
                                else_line,
                                "expected {{ else }} or {{ else if condition }}",
                            ));
                        }
                    }
                }
                other => return Err(unclosed(other, line, "if")),
            }
        }
    }

    /// Statements up to the `{{ end }}` of a construct `what` opened at `line`.
    fn until_end(&mut self, line: usize, what: &str) -> Result<Vec<Node>, SyntaxError> {
        match self.nested(line)? {
            (body, Stop::End(_)) => Ok(body),
            (_, other) => Err(unclosed(other, line, what)),
        }
    }

    fn range(&mut self, tokens: Vec<Token>, line: usize) -> Result<Node, SyntaxError> {
        let ident = |i: usize| match tokens.get(i).map(|t| &t.tok) {
            Some(Tok::Ident(name)) => Some(name.clone()),
            _ => None,
        };
        let op = |i: usize| match tokens.get(i).map(|t| &t.tok) {
            Some(Tok::Op(op)) => Some(*op),
            _ => None,
        };
        let (key, value, start) = match (ident(0), op(1), ident(2), op(3)) {
            (Some(k), Some(":="), _, _) => (Some(k), None, 2),
            (Some(k), Some(","), Some(v), Some(":=")) => (Some(k), Some(v), 4),
            _ => (None, None, 0),
        };
        let over = whole_expr(&tokens[start..], line, "range")?;
        let (body, stop) = self.nested(line)?;
        let otherwise = match stop {
            Stop::End(_) => None,
            Stop::Else(rest, _) if rest.is_empty() => Some(self.until_end(line, "range")?),
            Stop::Else(_, else_line) => {
                return Err(error(else_line, "a range takes a plain {{ else }}"));
            }
            other => return Err(unclosed(other, line, "range")),
        };
        Ok(Node::Range {
            key,
            value,
            over,
            body,
            otherwise,
            line,
        })
    }

    fn block(&mut self, tokens: Vec<Token>, line: usize) -> Result<Arc<Block>, SyntaxError> {
        let mut t = Tokens::new(&tokens, line);
        let name = t.ident("a block name")?;
        // `content` is allowed: Wippy's page names a block `content()` (`{{ yield content }}`,
        // without parentheses, stays the caller's content).
        if KEYWORDS.contains(&name.as_str()) && name != "content" {
            return Err(error(line, format!("a block cannot be named '{name}'")));
        }
        t.expect("(")?;
        let mut params = Vec::new();
        while !t.eat(")") {
            if !params.is_empty() {
                t.expect(",")?;
            }
            let param = t.ident("a parameter name")?;
            let default = if t.eat("=") { Some(t.expr()?) } else { None };
            params.push((param, default));
        }
        let context = if t.done() { None } else { Some(t.expr()?) };
        t.finish("block")?;
        let (body, stop) = self.nested(line)?;
        let content = match stop {
            Stop::End(_) => None,
            Stop::Content(_) => Some(self.until_end(line, "block")?),
            other => return Err(unclosed(other, line, "block")),
        };
        let block = Arc::new(Block {
            name,
            params,
            body,
            content,
            context,
            line,
        });
        if self.blocks.iter().any(|b| b.name == block.name) {
            return Err(error(
                line,
                format!("block '{}' is defined twice in this template", block.name),
            ));
        }
        self.blocks.push(block.clone());
        Ok(block)
    }

    fn yield_(&mut self, mut tokens: Vec<Token>, line: usize) -> Result<Node, SyntaxError> {
        let is_content = |t: Option<&Token>| matches!(t, Some(Token { tok: Tok::Ident(w), .. }) if w == "content");
        if tokens.len() == 1 && is_content(tokens.first()) {
            return Ok(Node::YieldContent(line));
        }
        let with_content = tokens.len() > 1 && is_content(tokens.last());
        if with_content {
            tokens.pop();
        }
        let mut t = Tokens::new(&tokens, line);
        let name = t.ident("the name of a block to yield")?;
        t.expect("(")?;
        let mut args = Vec::new();
        while !t.eat(")") {
            if !args.is_empty() {
                t.expect(",")?;
            }
            let arg = t.ident("an argument name (yield b(name=value))")?;
            t.expect("=")?;
            args.push((arg, t.expr()?));
        }
        let context = if t.done() { None } else { Some(t.expr()?) };
        t.finish("yield")?;
        let content = if with_content {
            Some(self.until_end(line, "yield ... content")?)
        } else {
            None
        };
        Ok(Node::Yield {
            name,
            args,
            context,
            content,
            line,
        })
    }

    fn try_(&mut self, line: usize) -> Result<Node, SyntaxError> {
        let (body, stop) = self.nested(line)?;
        let catch = match stop {
            Stop::End(_) => None,
            Stop::Catch(rest, catch_line) => {
                let var = match rest.as_slice() {
                    [] => None,
                    [
                        Token {
                            tok: Tok::Ident(name),
                            ..
                        },
                    ] => Some(name.clone()),
                    _ => {
                        return Err(error(
                            catch_line,
                            "expected {{ catch }} or {{ catch name }}",
                        ));
                    }
                };
                Some((var, self.until_end(line, "try")?))
            }
            other => return Err(unclosed(other, line, "try")),
        };
        Ok(Node::Try { body, catch, line })
    }
}

/// `x := expr` or `x = expr`.
fn assignment(tokens: Vec<Token>, line: usize) -> Result<Node, SyntaxError> {
    let Some(Tok::Ident(name)) = tokens.first().map(|t| t.tok.clone()) else {
        return Err(error(line, "expected a variable name"));
    };
    if KEYWORDS.contains(&name.as_str()) && name != "_" {
        return Err(error(line, format!("'{name}' cannot be a variable name")));
    }
    let declare = tokens[1].tok == Tok::Op(":=");
    let value = whole_expr(&tokens[2..], line, "an assignment")?;
    Ok(Node::Set {
        name,
        value,
        declare,
        line,
    })
}

fn whole_expr(tokens: &[Token], line: usize, what: &str) -> Result<super::ast::Expr, SyntaxError> {
    let mut t = Tokens::new(tokens, line);
    let value = t.output()?;
    t.finish(what)?;
    Ok(value)
}

fn no_more(rest: &[Token], what: &str) -> Result<(), SyntaxError> {
    match rest.first() {
        None => Ok(()),
        Some(token) => Err(error(
            token.line,
            format!(
                "unexpected {} after {{{{ {what} }}}}",
                expr::describe(&token.tok)
            ),
        )),
    }
}

/// The one string literal of `{{ import "x" }}` / `{{ extends "x" }}`.
fn name_only(rest: &[Token], what: &str, line: usize) -> Result<String, SyntaxError> {
    match rest {
        [
            Token {
                tok: Tok::Str(name),
                ..
            },
        ] if !name.is_empty() => Ok(name.clone()),
        _ => Err(error(
            line,
            format!("{{{{ {what} }}}} takes one template name in quotes"),
        )),
    }
}

fn unclosed(stop: Stop, line: usize, what: &str) -> SyntaxError {
    match stop {
        Stop::Eof => error(
            line,
            format!("this {{{{ {what} }}}} is never closed with {{{{ end }}}}"),
        ),
        Stop::Else(_, at) => error(
            at,
            format!("unexpected {{{{ else }}}} inside {{{{ {what} }}}}"),
        ),
        Stop::Catch(_, at) => error(
            at,
            format!("unexpected {{{{ catch }}}} inside {{{{ {what} }}}}"),
        ),
        Stop::Content(at) => error(
            at,
            format!("unexpected {{{{ content }}}} inside {{{{ {what} }}}}"),
        ),
        Stop::End(at) => error(at, "unexpected {{ end }}"),
    }
}
