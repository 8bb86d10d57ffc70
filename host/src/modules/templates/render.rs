//! Runs a parsed template of a [`CompiledSet`] with data → text. The Jet semantics kept:
//!
//! - A template that `extends` another is not run itself: the root of its `extends` chain is,
//!   and a block is looked up by name with the most derived definition winning, then those of
//!   `import`ed templates. A block defined in a template being run also runs there.
//! - `include` runs another template (with its own `extends` and blocks) at that point, seeing
//!   the variables in scope, with the current or the given context.
//! - Variables are the data's top-level keys, the set's globals, and those `:=` declares; each
//!   `if`/`range`/`try` body and each block is a scope. `.` is the context: the data, the item
//!   of a `range` without a value variable, or what `yield`/`include` pass.
//!
//! Bounds, since a template's data and text may be hostile: the output stops at `max_output`
//! bytes (the sandbox's `max_payload`), blocks and includes nest at most [`MAX_DEPTH`] deep,
//! at most [`MAX_STEPS`] statements and loop turns run, and the sandbox's deadline is looked at
//! every [`STEPS_PER_CHECK`] of them, since host code holds the guest's call.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use super::{builtins, ops};
use super::set::CompiledSet;
use super::value::{Value, escape_html};
use crate::config::template::ast::{BinOp, Block, Expr, Node, Template, UnOp};

/// How many blocks, includes and statement lists may be open inside each other while rendering.
pub const MAX_DEPTH: usize = 96;
/// The most statements and loop turns one render runs.
pub const MAX_STEPS: u64 = 50_000_000;
/// Statements and loop turns between two looks at the deadline.
pub const STEPS_PER_CHECK: u64 = 4096;

/// Why a render did not finish.
#[derive(Debug, PartialEq)]
pub enum Failure {
    /// A template error (`file:line: message`); `{{ try }}` catches it.
    Error(String),
    /// A bound was reached; nothing catches it.
    Limit(String),
    /// `go_on` said to stop (the sandbox's deadline passed).
    Stopped,
}

/// A block as found by name: the block, and the template (with its name) defining it.
#[derive(Clone, Copy)]
struct BlockAt<'a> {
    block: &'a Block,
    at: At<'a>,
}

/// A template and its name in the set: where code runs, for relative names and lines.
#[derive(Clone, Copy)]
struct At<'a> {
    name: &'a str,
    template: &'a Template,
}

type Blocks<'a> = Rc<HashMap<&'a str, BlockAt<'a>>>;

/// What `{{ yield content }}` renders: the caller's content, where and with what it was given.
#[derive(Clone)]
struct Content<'a> {
    nodes: &'a [Node],
    at: At<'a>,
    context: Value,
    blocks: Blocks<'a>,
}

struct Render<'a> {
    set: &'a CompiledSet,
    out: String,
    max_output: usize,
    base: HashMap<String, Value>,
    locals: Vec<(String, Value)>,
    context: Value,
    at: At<'a>,
    blocks: Blocks<'a>,
    contents: Vec<Option<Content<'a>>>,
    depth: usize,
    steps: u64,
    go_on: &'a mut dyn FnMut() -> bool,
}

/// Render template `name` of `set` (which the caller found) with `data`.
pub fn render(
    set: &CompiledSet,
    name: &str,
    data: Value,
    max_output: usize,
    go_on: &mut dyn FnMut() -> bool,
) -> Result<String, Failure> {
    let Some(at) = set.find(name, "") else {
        return Err(Failure::Error(format!("template '{name}' is not in set '{}'", set.id)));
    };
    let mut base: HashMap<String, Value> = set.globals.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Value::Map(map) = &data {
        base.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut render = Render {
        set,
        out: String::new(),
        max_output,
        base,
        locals: Vec::new(),
        context: data,
        at: At { name: at.0, template: at.1 },
        blocks: Rc::default(),
        contents: Vec::new(),
        depth: 0,
        steps: 0,
        go_on,
    };
    let at = render.at;
    render.template(at)?;
    Ok(render.out)
}

/// The parts of a render's state a block, include or content swaps for its run.
struct Saved<'a> {
    context: Value,
    at: At<'a>,
    blocks: Blocks<'a>,
    locals: usize,
}

impl<'a> Render<'a> {
    fn save(&self) -> Saved<'a> {
        Saved {
            context: self.context.clone(),
            at: self.at,
            blocks: self.blocks.clone(),
            locals: self.locals.len(),
        }
    }

    fn restore(&mut self, saved: Saved<'a>) {
        self.context = saved.context;
        self.at = saved.at;
        self.blocks = saved.blocks;
        self.locals.truncate(saved.locals);
    }

    fn fail(&self, line: usize, message: impl std::fmt::Display) -> Failure {
        Failure::Error(format!("{}: {message}", self.at.template.at(line)))
    }

    fn step(&mut self) -> Result<(), Failure> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Failure::Limit(format!("the render ran more than {MAX_STEPS} statements and loop turns")));
        }
        if self.steps.is_multiple_of(STEPS_PER_CHECK) && !(self.go_on)() {
            return Err(Failure::Stopped);
        }
        Ok(())
    }

    fn deeper(&mut self, line: usize) -> Result<(), Failure> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let place = self.at.template.at(line);
            return Err(Failure::Limit(format!(
                "{place}: blocks, includes and statements nest more than {MAX_DEPTH} deep (a recursive yield or include?)"
            )));
        }
        Ok(())
    }

    fn write(&mut self, text: &str) -> Result<(), Failure> {
        if self.out.len() + text.len() > self.max_output {
            return Err(Failure::Limit(format!(
                "the output is larger than {} bytes (the sandbox's max_payload)",
                self.max_output
            )));
        }
        self.out.push_str(text);
        Ok(())
    }

    /// Run template `at`: the root of its `extends` chain, with the chain's blocks.
    fn template(&mut self, at: At<'a>) -> Result<(), Failure> {
        let mut chain = vec![at];
        let mut seen = HashSet::from([at.name]);
        while let Some((parent, line)) = &chain[chain.len() - 1].template.extends {
            let child = chain[chain.len() - 1];
            let Some((name, template)) = self.set.find(parent, child.name) else {
                return Err(Failure::Error(format!(
                    "{}: extends '{parent}', which is not in set '{}'",
                    child.template.at(*line),
                    self.set.id
                )));
            };
            if !seen.insert(name) {
                return Err(Failure::Error(format!("{}: extends '{parent}' in a cycle", child.template.at(*line))));
            }
            chain.push(At { name, template });
        }
        let mut blocks = HashMap::new();
        for link in chain.iter().rev() {
            self.import(*link, &mut blocks, &mut HashSet::new())?;
        }
        let root = chain[chain.len() - 1];
        self.at = root;
        self.blocks = Rc::new(blocks);
        self.nodes(&root.template.body, 0)
    }

    /// Add the blocks `at` imports, then its own, to `blocks`.
    fn import(
        &self,
        at: At<'a>,
        blocks: &mut HashMap<&'a str, BlockAt<'a>>,
        seen: &mut HashSet<&'a str>,
    ) -> Result<(), Failure> {
        if !seen.insert(at.name) {
            return Ok(());
        }
        for (imported, line) in &at.template.imports {
            let Some((name, template)) = self.set.find(imported, at.name) else {
                return Err(Failure::Error(format!(
                    "{}: imports '{imported}', which is not in set '{}'",
                    at.template.at(*line),
                    self.set.id
                )));
            };
            self.import(At { name, template }, blocks, seen)?;
        }
        for block in &at.template.blocks {
            blocks.insert(block.name.as_str(), BlockAt { block, at });
        }
        Ok(())
    }

    /// A list of statements, as a scope of its own.
    fn nodes(&mut self, nodes: &'a [Node], line: usize) -> Result<(), Failure> {
        self.deeper(line)?;
        let mark = self.locals.len();
        let mut result = Ok(());
        for node in nodes {
            result = self.node(node);
            if result.is_err() {
                break;
            }
        }
        self.locals.truncate(mark);
        self.depth -= 1;
        result
    }

    fn node(&mut self, node: &'a Node) -> Result<(), Failure> {
        self.step()?;
        match node {
            Node::Text(text) => self.write(text),
            Node::Output(expr, line) => {
                let value = self.value(expr, *line)?;
                match value {
                    Value::Safe(text) => self.write(&text),
                    Value::Nil => Ok(()),
                    value => {
                        let mut escaped = String::new();
                        let text = value.display(self.max_output).map_err(|m| self.fail(*line, m))?;
                        escape_html(&text, &mut escaped);
                        self.write(&escaped)
                    }
                }
            }
            Node::Set { name, value, declare, line } => {
                let value = self.value(value, *line)?;
                self.assign(name, value, *declare, *line)
            }
            Node::If { branches, otherwise, line } => {
                for (cond, body) in branches {
                    if self.value(cond, *line)?.truthy() {
                        return self.nodes(body, *line);
                    }
                }
                match otherwise {
                    Some(body) => self.nodes(body, *line),
                    None => Ok(()),
                }
            }
            Node::Range { key, value, over, body, otherwise, line } => {
                let over = self.value(over, *line)?;
                let saved = self.save();
                let ran = self.range(key.as_deref(), value.as_deref(), over, body, *line);
                self.restore(saved);
                match (ran?, otherwise) {
                    (0, Some(otherwise)) => self.nodes(otherwise, *line),
                    _ => Ok(()),
                }
            }
            Node::Block(block) => {
                // Defining a block runs it, with the most derived definition of its name.
                let found = self.blocks.get(block.name.as_str()).copied();
                let found = found.unwrap_or(BlockAt { block, at: self.at });
                let context = match &block.context {
                    Some(expr) => Some(self.value(expr, block.line)?),
                    None => None,
                };
                let content = block.content.as_deref().map(|nodes| (nodes, self.at));
                self.run_block(found, Vec::new(), context, content, block.line)
            }
            Node::Yield { name, args, context, content, line } => {
                let Some(found) = self.blocks.get(name.as_str()).copied() else {
                    let mut known: Vec<&str> = self.blocks.keys().copied().collect();
                    known.sort_unstable();
                    return Err(self.fail(*line, format!("no block '{name}' to yield (blocks here: {})", known.join(", "))));
                };
                let mut values = Vec::new();
                for (arg, expr) in args {
                    values.push((arg.as_str(), self.value(expr, *line)?));
                }
                let context = match context {
                    Some(expr) => Some(self.value(expr, *line)?),
                    None => None,
                };
                let content = content.as_deref().map(|nodes| (nodes, self.at));
                self.run_block(found, values, context, content, *line)
            }
            Node::YieldContent(line) => {
                let Some(Some(content)) = self.contents.pop() else {
                    return Ok(());
                };
                let saved = self.save();
                self.context = content.context.clone();
                self.at = content.at;
                self.blocks = content.blocks.clone();
                let ran = self.nodes(content.nodes, *line);
                self.restore(saved);
                self.contents.push(Some(content));
                ran
            }
            Node::Include { name, context, line } => {
                let name = self.value(name, *line)?;
                let Some(name) = name.as_text() else {
                    return Err(self.fail(*line, format!("include takes a template name, not {}", name.type_name())));
                };
                let Some((name, template)) = self.set.find(name, self.at.name) else {
                    return Err(self.fail(*line, format!("include '{name}': no such template in set '{}'", self.set.id)));
                };
                let context = match context {
                    Some(expr) => Some(self.value(expr, *line)?),
                    None => None,
                };
                self.deeper(*line)?;
                let saved = self.save();
                if let Some(context) = context {
                    self.context = context;
                }
                self.contents.push(None);
                let ran = self.template(At { name, template });
                self.contents.pop();
                self.restore(saved);
                self.depth -= 1;
                ran
            }
            Node::Try { body, catch, line } => {
                let (out, locals) = (self.out.len(), self.locals.len());
                match self.nodes(body, *line) {
                    Err(Failure::Error(message)) => {
                        self.out.truncate(out);
                        self.locals.truncate(locals);
                        let Some((var, fallback)) = catch else {
                            return Ok(());
                        };
                        let mark = self.locals.len();
                        if let Some(var) = var {
                            self.locals.push((var.clone(), Value::str(message)));
                        }
                        let ran = self.nodes(fallback, *line);
                        self.locals.truncate(mark);
                        ran
                    }
                    other => other,
                }
            }
        }
    }

    /// The turns of a `range`: 0 when none ran.
    fn range(
        &mut self,
        key: Option<&str>,
        value: Option<&str>,
        over: Value,
        body: &'a [Node],
        line: usize,
    ) -> Result<usize, Failure> {
        let mark = self.locals.len();
        let turn = |me: &mut Self, k: Value, v: Value| -> Result<(), Failure> {
            me.step()?;
            me.locals.truncate(mark);
            if let Some(key) = key.filter(|k| *k != "_") {
                me.locals.push((key.to_owned(), k));
            }
            match value {
                Some(name) if name != "_" => me.locals.push((name.to_owned(), v)),
                Some(_) => {}
                None => me.context = v,
            }
            me.nodes(body, line)
        };
        match over {
            Value::Nil => Ok(0),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    turn(self, Value::Int(i as i64), item.clone())?;
                }
                Ok(items.len())
            }
            Value::Map(map) => {
                for (k, v) in map.iter() {
                    turn(self, Value::str(k.as_str()), v.clone())?;
                }
                Ok(map.len())
            }
            Value::Ints(from, to) => {
                for (i, n) in (from..to).enumerate() {
                    turn(self, Value::Int(i as i64), Value::Int(n))?;
                }
                Ok(usize::from(to > from))
            }
            other => Err(self.fail(line, format!("cannot range over {}", other.type_name()))),
        }
    }

    fn run_block(
        &mut self,
        found: BlockAt<'a>,
        args: Vec<(&str, Value)>,
        context: Option<Value>,
        content: Option<(&'a [Node], At<'a>)>,
        line: usize,
    ) -> Result<(), Failure> {
        let block = found.block;
        for (arg, _) in &args {
            if !block.params.iter().any(|(p, _)| p == arg) {
                return Err(self.fail(line, format!("block '{}' has no parameter '{arg}'", block.name)));
            }
        }
        let mut params = Vec::new();
        for (param, default) in &block.params {
            let value = match args.iter().find(|(a, _)| a == param) {
                Some((_, value)) => value.clone(),
                None => match default {
                    Some(expr) => self.value(expr, line)?,
                    None => {
                        return Err(self.fail(line, format!("block '{}' needs its parameter '{param}'", block.name)));
                    }
                },
            };
            params.push((param.clone(), value));
        }
        let context = context.unwrap_or_else(|| self.context.clone());
        let content = content.map(|(nodes, at)| Content {
            nodes,
            at,
            context: context.clone(),
            blocks: self.blocks.clone(),
        });
        let saved = self.save();
        self.locals.extend(params);
        self.context = context;
        self.at = found.at;
        self.contents.push(content);
        let ran = self.nodes(&block.body, line);
        self.contents.pop();
        self.restore(saved);
        ran
    }

    fn assign(&mut self, name: &str, value: Value, declare: bool, line: usize) -> Result<(), Failure> {
        if name == "_" {
            return Ok(());
        }
        if declare {
            self.locals.push((name.to_owned(), value));
            return Ok(());
        }
        if let Some(slot) = self.locals.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = value;
            return Ok(());
        }
        match self.base.get_mut(name) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => Err(self.fail(line, format!("variable '{name}' is not declared (declare it with {name} := ...)"))),
        }
    }

    /// `expr`'s value, an error placed at `line`.
    fn value(&mut self, expr: &Expr, line: usize) -> Result<Value, Failure> {
        self.eval(expr).map_err(|failure| match failure {
            Failure::Error(message) => self.fail(line, message),
            other => other,
        })
    }

    fn lookup(&self, name: &str) -> Option<&Value> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| self.base.get(name))
    }

    fn eval(&mut self, expr: &Expr) -> Result<Value, Failure> {
        let error = |message: String| Err(Failure::Error(message));
        match expr {
            Expr::Nil => Ok(Value::Nil),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::Int(n) => Ok(Value::Int(*n)),
            Expr::Float(n) => Ok(Value::Float(*n)),
            Expr::Str(s) => Ok(Value::str(s.as_str())),
            Expr::Context => Ok(self.context.clone()),
            Expr::Slot => error("'_' stands only in a pipeline's arguments".into()),
            Expr::Ident(name) => match self.lookup(name) {
                Some(value) => Ok(value.clone()),
                None => error(format!("undefined variable '{name}'")),
            },
            Expr::Field(of, name) => match self.eval(of)? {
                Value::Map(map) => Ok(map.get(name).cloned().unwrap_or(Value::Nil)),
                // An empty Lua table crosses as an empty list: it has no fields.
                Value::Nil => Ok(Value::Nil),
                Value::List(items) if items.is_empty() => Ok(Value::Nil),
                other => error(format!("cannot read field '{name}' of {}", other.type_name())),
            },
            Expr::Index(of, index) => {
                let of = self.eval(of)?;
                let index = self.eval(index)?;
                ops::index_of(of, index, self.max_output).map_err(Failure::Error)
            }
            Expr::Slice(of, from, to) => {
                let of = self.eval(of)?;
                let from = match from {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                let to = match to {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                ops::slice_of(of, from, to).map_err(Failure::Error)
            }
            Expr::Unary(UnOp::Not, operand) => Ok(Value::Bool(!self.eval(operand)?.truthy())),
            Expr::Unary(UnOp::Neg, operand) => match self.eval(operand)? {
                Value::Int(n) => n.checked_neg().map(Value::Int).ok_or_else(|| Failure::Error("integer overflow".into())),
                Value::Float(n) => Ok(Value::Float(-n)),
                other => error(format!("cannot negate {}", other.type_name())),
            },
            Expr::Binary(BinOp::And, a, b) => Ok(Value::Bool(self.eval(a)?.truthy() && self.eval(b)?.truthy())),
            Expr::Binary(BinOp::Or, a, b) => Ok(Value::Bool(self.eval(a)?.truthy() || self.eval(b)?.truthy())),
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                ops::binary(*op, a, b, self.max_output).map_err(Failure::Error)
            }
            Expr::Ternary(cond, yes, no) => {
                if self.eval(cond)?.truthy() {
                    self.eval(yes)
                } else {
                    self.eval(no)
                }
            }
            Expr::Call(name, args) if name == "isset" => {
                for arg in args {
                    match self.eval(arg) {
                        Ok(Value::Nil) | Err(Failure::Error(_)) => return Ok(Value::Bool(false)),
                        Ok(_) => {}
                        Err(other) => return Err(other),
                    }
                }
                Ok(Value::Bool(true))
            }
            Expr::Call(name, args) => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                builtins::call(name, values, self.max_output).map_err(Failure::Error)
            }
            Expr::Pipe(head, stages) => {
                let mut piped = self.eval(head)?;
                for (name, args) in stages {
                    let mut values = Vec::with_capacity(args.len() + 1);
                    let mut slotted = false;
                    for arg in args {
                        if matches!(arg, Expr::Slot) {
                            slotted = true;
                            values.push(piped.clone());
                        } else {
                            values.push(self.eval(arg)?);
                        }
                    }
                    if !slotted {
                        values.insert(0, piped);
                    }
                    piped = if name == "isset" {
                        Value::Bool(values.iter().all(|v| !matches!(v, Value::Nil)))
                    } else {
                        builtins::call(name, values, self.max_output).map_err(Failure::Error)?
                    };
                }
                Ok(piped)
            }
        }
    }
}

/// The set's globals as values.
pub fn globals(json: &serde_json::Map<String, serde_json::Value>) -> BTreeMap<String, Value> {
    json.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()
}

#[cfg(test)]
mod tests;
