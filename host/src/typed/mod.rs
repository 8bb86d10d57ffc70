//! Typed Lua: Wippy's gradual type syntax (its documentation's `en/lua/types.md`) accepted wherever luabox reads Lua source, by lowering it to plain Lua 5.4 before the guest
//! compiles it.
//!
//! Why a host-side front end: the guest runs PUC-Rio Lua unchanged, and the lowering is a
//! token-level rewrite that keeps every line where it was, so Lua's own messages and
//! tracebacks keep pointing at the user's lines. Annotations and casts have no run-time
//! meaning and become spaces; a `type X = ...` declaration becomes a local holding the type's
//! run-time value, built by the guest's type library (`guest-lua/glue/lua/types.lua`), which
//! also gives `X(v)`, `X:is(v)`, validators, casts such as `integer(x)`, `typeof` and
//! reflection. No crate parses Wippy's dialect (full_moon's Luau mode lacks `as`, `!`,
//! validators and constrained generics, and would rewrite the whole tree), so the walk is ours:
//! [`lexer`] tokens, [`types`] type expressions, [`lower`] the rewrite.
//!
//! Plain Lua passes through unchanged (borrowed); a source the lexer cannot read is passed on
//! as it is, so Lua reports its own syntax error.

pub(crate) mod lexer;
mod lower;
mod types;

use std::borrow::Cow;

/// Typed syntax luabox cannot lower, at a line of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedError {
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for TypedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `source` as plain Lua 5.4, line for line.
pub fn to_plain_lua(source: &str) -> Result<Cow<'_, str>, TypedError> {
    let Ok(tokens) = lexer::tokenize(source) else {
        return Ok(Cow::Borrowed(source));
    };
    let lowered = lower::lower(source, &tokens)?;
    Ok(if lowered == source {
        Cow::Borrowed(source)
    } else {
        Cow::Owned(lowered)
    })
}

#[cfg(test)]
mod tests;
