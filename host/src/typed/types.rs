//! Wippy's type expressions: parsed from tokens (to know where an annotation ends) and, for
//! `type X = ...` declarations, written out as Lua that builds the type's runtime value with the
//! guest's type library (`guest-lua/glue/lua/types.lua`, global `__luabox_types`).

use super::TypedError;
use super::lexer::{Kind, Token};

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `number`, `User`, `mod.User`, `Result<T, E>` (type arguments are checked by a type
    /// checker, not at run time, so they are kept only to be parsed).
    Name(Vec<String>),
    /// `"pending"`, `42`, `true`, `nil`: the Lua text of the literal.
    Literal(String),
    Record(Vec<Field>),
    Array(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Function {
        params: Vec<Type>,
        returns: Vec<Type>,
    },
    Optional(Box<Type>),
    Union(Vec<Type>),
    Intersection(Vec<Type>),
    Validated(Box<Type>, Vec<Validator>),
    /// `...: T` in a parameter list, `...T` in a return list.
    Variadic(Box<Type>),
    /// `(A, B)`: a list of types, only where a function's results are declared.
    Tuple(Vec<Type>),
    /// `typeof(expression)`: the Lua text of the expression.
    Of(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub optional: bool,
    pub ty: Type,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Validator {
    pub name: String,
    /// The Lua text of its arguments, as written: `0`, `"^.+@.+$"`.
    pub args: String,
}

/// The validators the guest's type library enforces.
pub const VALIDATORS: &[&str] = &["min", "max", "min_len", "max_len", "pattern"];

/// The names that are the built-in types rather than references to declared ones.
pub const PRIMITIVES: &[&str] = &[
    "any", "unknown", "never", "nil", "number", "integer", "string", "boolean", "table",
    "function", "thread", "userdata", "error", "self",
];

/// Parses types from a token slice.
pub struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    source: &'a str,
    pub at: usize,
    /// A `>>` token half used by a nested generic argument list (`A<B<C>>`).
    half_shift: bool,
}

impl<'t, 'a> Parser<'t, 'a> {
    pub fn new(tokens: &'t [Token<'a>], source: &'a str, at: usize) -> Self {
        Parser {
            tokens,
            source,
            at,
            half_shift: false,
        }
    }

    pub fn peek(&self, ahead: usize) -> Option<&Token<'a>> {
        self.tokens.get(self.at + ahead)
    }

    fn line(&self) -> u32 {
        self.peek(0)
            .or_else(|| self.tokens.last())
            .map_or(1, |t| t.line)
    }

    fn error(&self, message: impl Into<String>) -> TypedError {
        TypedError {
            line: self.line(),
            message: message.into(),
        }
    }

    fn at_symbol(&self, symbol: &str) -> bool {
        self.peek(0).is_some_and(|t| t.is(symbol))
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if self.at_symbol(symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str, context: &str) -> Result<(), TypedError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.error(format!(
                "expected '{symbol}' {context}, found {}",
                self.shown()
            )))
        }
    }

    fn shown(&self) -> String {
        self.peek(0)
            .map_or("the end of the source".to_owned(), |t| {
                format!("'{}'", t.text)
            })
    }

    /// The byte offset just past the last token consumed.
    pub fn end(&self) -> usize {
        self.tokens[self.at - 1].end
    }

    /// A full type: unions of intersections of postfixed primaries.
    pub fn parse_type(&mut self) -> Result<Type, TypedError> {
        self.eat("|");
        self.joined("|", Self::intersection, Type::Union)
    }

    fn intersection(&mut self) -> Result<Type, TypedError> {
        self.joined("&", Self::postfix, Type::Intersection)
    }

    /// `part {separator part}`: the one part, or `make` of them all.
    fn joined(
        &mut self,
        separator: &str,
        part: fn(&mut Self) -> Result<Type, TypedError>,
        make: fn(Vec<Type>) -> Type,
    ) -> Result<Type, TypedError> {
        let mut parts = vec![part(self)?];
        while self.eat(separator) {
            parts.push(part(self)?);
        }
        Ok(if parts.len() == 1 {
            parts.swap_remove(0)
        } else {
            make(parts)
        })
    }

    fn postfix(&mut self) -> Result<Type, TypedError> {
        let mut ty = self.primary()?;
        let mut validators = Vec::new();
        loop {
            if self.eat("?") {
                ty = Type::Optional(Box::new(std::mem::replace(&mut ty, Type::Tuple(vec![]))));
            } else if self.at_symbol("[") && self.peek(1).is_some_and(|t| t.is("]")) {
                self.at += 2;
                ty = Type::Array(Box::new(std::mem::replace(&mut ty, Type::Tuple(vec![]))));
            } else if self.at_symbol("@") {
                validators.push(self.validator()?);
            } else {
                break;
            }
        }
        Ok(if validators.is_empty() {
            ty
        } else {
            Type::Validated(Box::new(ty), validators)
        })
    }

    fn validator(&mut self) -> Result<Validator, TypedError> {
        self.expect("@", "before a validator")?;
        let name = match self.peek(0) {
            Some(t) if t.kind == Kind::Name => t.text.to_owned(),
            _ => {
                return Err(self.error(format!(
                    "expected a validator name after '@', found {}",
                    self.shown()
                )));
            }
        };
        if !VALIDATORS.contains(&name.as_str()) {
            return Err(self.error(format!(
                "unknown validator '@{name}': luabox knows @{}",
                VALIDATORS.join(", @")
            )));
        }
        self.at += 1;
        self.expect("(", &format!("after '@{name}'"))?;
        let args = self.balanced(&format!("the arguments of '@{name}'"))?;
        if args.is_empty() {
            return Err(self.error(format!("'@{name}' needs an argument")));
        }
        Ok(Validator { name, args })
    }

    fn primary(&mut self) -> Result<Type, TypedError> {
        let Some(token) = self.peek(0).copied() else {
            return Err(self.error("expected a type, found the end of the source"));
        };
        match token.kind {
            Kind::Name => {
                if token.text == "typeof" && self.peek(1).is_some_and(|t| t.is("(")) {
                    return self.type_of();
                }
                self.at += 1;
                let mut path = vec![token.text.to_owned()];
                while self.at_symbol(".") {
                    self.at += 1;
                    match self.peek(0) {
                        Some(t) if t.kind == Kind::Name => {
                            path.push(t.text.to_owned());
                            self.at += 1;
                        }
                        _ => return Err(self.error("expected a name after '.' in a type")),
                    }
                }
                if self.at_symbol("<") {
                    self.type_arguments()?;
                }
                Ok(Type::Name(path))
            }
            Kind::Keyword if token.text == "function" => {
                self.at += 1;
                Ok(Type::Name(vec!["function".to_owned()]))
            }
            Kind::Keyword if matches!(token.text, "nil" | "true" | "false") => {
                self.at += 1;
                Ok(Type::Literal(token.text.to_owned()))
            }
            Kind::Str | Kind::Number => {
                self.at += 1;
                Ok(Type::Literal(token.text.to_owned()))
            }
            Kind::Symbol
                if token.text == "-" && self.peek(1).is_some_and(|t| t.kind == Kind::Number) =>
            {
                self.at += 2;
                Ok(Type::Literal(format!("-{}", self.tokens[self.at - 1].text)))
            }
            Kind::Symbol if token.text == "{" => self.table(),
            Kind::Symbol if token.text == "(" => self.parenthesized(),
            Kind::Symbol if token.text == "<" => {
                // A generic function type: <T>(T) -> T.
                self.type_parameters()?;
                let ty = self.parenthesized()?;
                match ty {
                    Type::Function { .. } => Ok(ty),
                    _ => Err(self.error("expected a function type after its type parameters")),
                }
            }
            Kind::Symbol if token.text == "..." => {
                self.at += 1;
                Ok(Type::Variadic(Box::new(self.postfix()?)))
            }
            _ => Err(self.error(format!("expected a type, found '{}'", token.text))),
        }
    }

    /// `typeof(expression)`: the type of a value, kept as the expression's Lua text.
    fn type_of(&mut self) -> Result<Type, TypedError> {
        self.at += 2;
        let expression = self.balanced("typeof(...)")?;
        if expression.is_empty() {
            return Err(self.error("typeof() needs an expression"));
        }
        Ok(Type::Of(expression))
    }

    /// The Lua text up to the `)` that closes the `(` just read (nested brackets skipped),
    /// trimmed; the `)` is consumed.
    fn balanced(&mut self, what: &str) -> Result<String, TypedError> {
        let start = self.peek(0).map_or(self.source.len(), |t| t.start);
        let mut depth = 0usize;
        loop {
            match self.peek(0) {
                None => return Err(self.error(format!("unfinished {what}"))),
                Some(t) if t.is(")") && depth == 0 => break,
                Some(t) if t.is("(") || t.is("{") || t.is("[") => depth += 1,
                Some(t) if t.is(")") || t.is("}") || t.is("]") => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or_else(|| self.error(format!("unbalanced '{}' in {what}", t.text)))?;
                }
                _ => {}
            }
            self.at += 1;
        }
        let text = self.source[start..self.tokens[self.at].start]
            .trim()
            .to_owned();
        self.at += 1;
        Ok(text)
    }

    /// `<T, U>` after a type name: parsed and dropped.
    fn type_arguments(&mut self) -> Result<(), TypedError> {
        self.expect("<", "to open type arguments")?;
        loop {
            self.parse_type()?;
            if !self.eat(",") {
                break;
            }
        }
        self.close_angle()
    }

    fn close_angle(&mut self) -> Result<(), TypedError> {
        if self.half_shift {
            self.half_shift = false;
            self.at += 1;
            return Ok(());
        }
        if self.at_symbol(">>") {
            self.half_shift = true;
            return Ok(());
        }
        self.expect(">", "to close type arguments")
    }

    /// `<T, K: Key>` after a function or type name: the parameter names.
    pub fn type_parameters(&mut self) -> Result<Vec<String>, TypedError> {
        self.expect("<", "to open type parameters")?;
        let mut names = Vec::new();
        loop {
            match self.peek(0) {
                Some(t) if t.kind == Kind::Name => {
                    names.push(t.text.to_owned());
                    self.at += 1;
                }
                _ => {
                    return Err(self.error(format!(
                        "expected a type parameter name, found {}",
                        self.shown()
                    )));
                }
            }
            if self.eat(":") {
                self.parse_type()?;
            }
            if self.eat("=") {
                self.parse_type()?;
            }
            if !self.eat(",") {
                break;
            }
        }
        self.close_angle()?;
        Ok(names)
    }

    fn table(&mut self) -> Result<Type, TypedError> {
        self.expect("{", "to open a table type")?;
        if self.eat("}") {
            return Ok(Type::Name(vec!["table".to_owned()]));
        }
        let is_field = |p: &Self| {
            p.peek(0)
                .is_some_and(|t| matches!(t.kind, Kind::Name | Kind::Keyword))
                && (p.peek(1).is_some_and(|t| t.is(":"))
                    || (p.peek(1).is_some_and(|t| t.is("?"))
                        && p.peek(2).is_some_and(|t| t.is(":"))))
        };
        if self.at_symbol("[") {
            self.at += 1;
            let key = self.parse_type()?;
            self.expect("]", "after a map's key type")?;
            self.expect(":", "between a map's key and value types")?;
            let value = self.parse_type()?;
            self.eat(",");
            self.eat(";");
            self.expect("}", "to close a map type")?;
            return Ok(Type::Map(Box::new(key), Box::new(value)));
        }
        if !is_field(self) {
            let element = self.parse_type()?;
            self.eat(",");
            self.expect("}", "to close an array type")?;
            return Ok(Type::Array(Box::new(element)));
        }
        let mut fields = Vec::new();
        while !self.at_symbol("}") {
            if !is_field(self) {
                return Err(self.error(format!(
                    "expected a field ('name: type') in a record type, found {}",
                    self.shown()
                )));
            }
            let name = self.tokens[self.at].text.to_owned();
            self.at += 1;
            let optional = self.eat("?");
            self.expect(":", "after a field name")?;
            let ty = self.parse_type()?;
            fields.push(Field { name, optional, ty });
            if !(self.eat(",") || self.eat(";")) {
                break;
            }
        }
        self.expect("}", "to close a record type")?;
        Ok(Type::Record(fields))
    }

    /// `(...)`: a grouped type, a function type `(A, b: B) -> R`, or a list of result types.
    fn parenthesized(&mut self) -> Result<Type, TypedError> {
        self.expect("(", "")?;
        let mut items = Vec::new();
        let mut named = false;
        while !self.at_symbol(")") {
            if self.at_symbol("...") {
                self.at += 1;
                let ty = if self.eat(":") || self.peek(0).is_some_and(|t| !t.is(")") && !t.is(","))
                {
                    self.parse_type()?
                } else {
                    Type::Name(vec!["any".to_owned()])
                };
                items.push(Type::Variadic(Box::new(ty)));
            } else {
                if self
                    .peek(0)
                    .is_some_and(|t| matches!(t.kind, Kind::Name | Kind::Keyword))
                    && self.peek(1).is_some_and(|t| t.is(":"))
                {
                    self.at += 2;
                    named = true;
                }
                items.push(self.parse_type()?);
            }
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")", "to close a parenthesized type")?;
        if self.eat("->") {
            let returns = self.results()?;
            return Ok(Type::Function {
                params: items,
                returns,
            });
        }
        if items.len() == 1 && !named && !matches!(items[0], Type::Variadic(_)) {
            return Ok(items.pop().expect("one item"));
        }
        Ok(Type::Tuple(items))
    }

    /// What a function returns: one type, or a parenthesized list.
    pub fn results(&mut self) -> Result<Vec<Type>, TypedError> {
        let ty = self.parse_type()?;
        Ok(match ty {
            Type::Tuple(items) => items,
            ty => vec![ty],
        })
    }

    /// The result types of a function statement or expression: as [`Parser::results`], or
    /// `T, U` without parentheses (a body never starts with a comma; in a function type, a
    /// comma would end the type).
    pub fn declared_results(&mut self) -> Result<Vec<Type>, TypedError> {
        let mut results = self.results()?;
        while self.eat(",") {
            results.push(self.parse_type()?);
        }
        Ok(results)
    }
}

/// The Lua expression that builds `ty`'s runtime value. `generics` are type parameters in
/// scope (any value passes them).
pub fn emit(ty: &Type, generics: &[String], out: &mut String) -> Result<(), String> {
    const T: &str = "__luabox_types";
    match ty {
        Type::Name(path) if path.len() == 1 && generics.contains(&path[0]) => {
            out.push_str(T);
            out.push_str(".any");
        }
        Type::Name(path) if path.len() == 1 && PRIMITIVES.contains(&path[0].as_str()) => {
            out.push_str(&format!("{T}[\"{}\"]", path[0]));
        }
        Type::Name(path) => {
            let dotted = path.join(".");
            out.push_str(&format!(
                "{T}.ref(\"{dotted}\", function() return {dotted} end)"
            ));
        }
        Type::Literal(text) => out.push_str(&format!("{T}.literal({text})")),
        Type::Record(fields) => {
            out.push_str(&format!("{T}.record({{"));
            for field in fields {
                out.push_str(&format!("{{{:?}, ", field.name));
                emit(&field.ty, generics, out)?;
                out.push_str(if field.optional { ", true}, " } else { "}, " });
            }
            out.push_str("})");
        }
        Type::Array(element) => {
            out.push_str(&format!("{T}.array("));
            emit(element, generics, out)?;
            out.push(')');
        }
        Type::Map(key, value) => {
            out.push_str(&format!("{T}.map("));
            emit(key, generics, out)?;
            out.push_str(", ");
            emit(value, generics, out)?;
            out.push(')');
        }
        Type::Function { params, returns } => {
            out.push_str(&format!("{T}.func({{"));
            emit_list(params, generics, out)?;
            out.push_str("}, {");
            emit_list(returns, generics, out)?;
            out.push_str("})");
        }
        Type::Optional(inner) => {
            out.push_str(&format!("{T}.optional("));
            emit(inner, generics, out)?;
            out.push(')');
        }
        Type::Union(members) | Type::Intersection(members) => {
            let what = if matches!(ty, Type::Union(_)) {
                "union"
            } else {
                "intersection"
            };
            out.push_str(&format!("{T}.{what}({{"));
            emit_list(members, generics, out)?;
            out.push_str("})");
        }
        Type::Validated(inner, validators) => {
            out.push_str(&format!("{T}.validated("));
            emit(inner, generics, out)?;
            out.push_str(", {");
            for validator in validators {
                out.push_str(&format!("{{{:?}, {}}}, ", validator.name, validator.args));
            }
            out.push_str("})");
        }
        Type::Variadic(inner) => {
            out.push_str(&format!("{T}.variadic("));
            emit(inner, generics, out)?;
            out.push(')');
        }
        Type::Of(expression) => {
            let shown = format!("typeof({expression})");
            out.push_str(&format!(
                "{T}.ref({shown:?}, function() return typeof({expression}) end)"
            ));
        }
        Type::Tuple(_) => {
            return Err("a list of types '(A, B)' is only a function's results".to_owned());
        }
    }
    Ok(())
}

fn emit_list(types: &[Type], generics: &[String], out: &mut String) -> Result<(), String> {
    for ty in types {
        emit(ty, generics, out)?;
        out.push_str(", ");
    }
    Ok(())
}
