//! What `luabox check` reports beyond what loading refuses: code that loads but cannot work.
//!
//! - `require("x")` with a literal name the entry can never load: not in its `modules:` (nor
//!   `process`, nor `workflow` in a workflow), not one of its import aliases, and not Lua's
//!   standard library. The call would raise when it runs. A file several entries share (a test
//!   file whose functions are the methods of several test entries) is judged as a whole inside
//!   its functions: a require there counts as loadable when one of those entries can load it,
//!   since each entry may run only its own function; at the chunk's top level every entry runs
//!   it.
//! - An `http.endpoint` whose function does not list `http` in `modules:`: it cannot read its
//!   request or write its response.
//!
//! Requires with a computed name, or of a local variable called `require`, are not judged.

use crate::config::{ConfigError, Entry, Location, LuaEntry, LuaKind, Spec};
use crate::typed::lexer::{Kind, Token, tokenize};

/// What `require` returns without a grant: the standard library the sandbox keeps.
const STANDARD: &[&str] = &[
    "_G",
    "coroutine",
    "debug",
    "math",
    "os",
    "package",
    "string",
    "table",
    "utf8",
];

/// The problems of `entries` (all of an app's, or those that loaded).
pub fn lint(entries: &[Entry]) -> Vec<ConfigError> {
    let mut problems = Vec::new();
    for entry in entries {
        match &entry.spec {
            Spec::Lua(lua) => {
                let sharing: Vec<&LuaEntry> = entries
                    .iter()
                    .filter_map(|other| match &other.spec {
                        Spec::Lua(other) if other.source.path == lua.source.path => Some(other),
                        _ => None,
                    })
                    .collect();
                unloadable_requires(entry, lua, &sharing, &mut problems);
            }
            Spec::HttpEndpoint(endpoint) => {
                let handler = entries.iter().find(|e| e.id == endpoint.func);
                if let Some(Spec::Lua(lua)) = handler.map(|e| &e.spec)
                    && !lua.modules.iter().any(|m| m == "http")
                {
                    problems.push(ConfigError::new(
                        entry.location.clone(),
                        Some(entry.id.to_string()),
                        format!(
                            "func '{}' does not list the http module: add http to its modules \
                             to read the request and write the response",
                            endpoint.func
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    problems
}

/// Whether `require(name)` loads in `lua`'s chunk.
fn loads(lua: &LuaEntry, name: &str) -> bool {
    STANDARD.contains(&name)
        || name == "process"
        || (name == "workflow" && lua.kind == LuaKind::Workflow)
        || lua.modules.iter().any(|m| m == name)
        || lua.imports.contains_key(name)
        || lua.module_imports.contains_key(name)
}

/// The requires of `lua` that cannot load; `sharing` are the Lua entries of the same source.
fn unloadable_requires(
    entry: &Entry,
    lua: &LuaEntry,
    sharing: &[&LuaEntry],
    problems: &mut Vec<ConfigError>,
) {
    // A source that does not tokenize has a syntax error, which loading reports.
    let Ok(tokens) = tokenize(&lua.source.text) else {
        return;
    };
    for Require {
        line,
        name,
        in_function,
    } in literal_requires(&tokens)
    {
        if loads(lua, name) || (in_function && sharing.iter().any(|other| loads(other, name))) {
            continue;
        }
        let why = if crate::modules::find(name).is_some() {
            format!("module '{name}' is not in the entry's modules: add it there")
        } else {
            format!(
                "luabox has no module '{name}' and the entry imports nothing by that name \
                 (imports: {{{name}: ns:entry}})"
            )
        };
        let source = &lua.source;
        let location = Location {
            file: source.path.clone(),
            line: source.first_line + line as usize - 1,
        };
        problems.push(ConfigError::new(
            location,
            Some(entry.id.to_string()),
            format!("require(\"{name}\") cannot load: {why}"),
        ));
    }
}

/// One `require` of a literal name.
#[derive(Debug, PartialEq, Eq)]
struct Require<'a> {
    line: u32,
    name: &'a str,
    /// Inside a function body: it runs only when that function does.
    in_function: bool,
}

/// `require "x"` and `require("x")` with a plain quoted name, not `obj.require(...)`.
fn literal_requires<'a>(tokens: &[Token<'a>]) -> Vec<Require<'a>> {
    let mut found = Vec::new();
    // Open blocks, true for a function body: `end` closes `function`, `do` (also of `for` and
    // `while`) and `if`; `until` closes `repeat`.
    let mut blocks: Vec<bool> = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        if token.kind == Kind::Keyword {
            match token.text {
                "function" => blocks.push(true),
                "do" | "if" | "repeat" => blocks.push(false),
                "end" | "until" => {
                    blocks.pop();
                }
                _ => {}
            }
            continue;
        }
        if token.kind != Kind::Name || token.text != "require" {
            continue;
        }
        let before = at.checked_sub(1).map(|b| &tokens[b]);
        if before.is_some_and(|b| b.is(".") || b.is(":") || b.is("function") || b.is("local")) {
            continue;
        }
        let argument = match tokens.get(at + 1) {
            Some(open) if open.is("(") => tokens
                .get(at + 2)
                .filter(|_| tokens.get(at + 3).is_some_and(|close| close.is(")"))),
            other => other,
        };
        if let Some(name) = argument.and_then(plain_string) {
            let in_function = blocks.contains(&true);
            found.push(Require {
                line: token.line,
                name,
                in_function,
            });
        }
    }
    found
}

/// The text of a short string without escapes.
fn plain_string<'a>(token: &Token<'a>) -> Option<&'a str> {
    if token.kind != Kind::Str {
        return None;
    }
    let text = token.text;
    let quote = text.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains('\\')).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(source: &str) -> Vec<(u32, &str, bool)> {
        literal_requires(&tokenize(source).unwrap())
            .into_iter()
            .map(|r| (r.line, r.name, r.in_function))
            .collect()
    }

    #[test]
    fn literal_requires_are_found_and_others_left_alone() {
        let source = "local a = require(\"json\")\nlocal b = require 'sql'\n\
                      local c = require(name)\nlocal d = obj.require(\"x\")\n\
                      local e = require(\"a\" .. \"b\")\nlocal f = require(\"esc\\\\aped\")\n\
                      local g: Thing = require(\"typed\") :: Thing\n";
        assert_eq!(
            names(source),
            [(1, "json", false), (2, "sql", false), (7, "typed", false)]
        );
    }

    #[test]
    fn requires_know_whether_they_are_inside_a_function() {
        let source = "if x then require('a') end\n\
                      local function f()\n  for i = 1, 2 do require('b') end\n\
                      \x20 repeat require('c') until true\nend\n\
                      while y do require('d') end\nlocal g = function() return require('e') end\n\
                      require('f')\n";
        assert_eq!(
            names(source),
            [
                (1, "a", false),
                (3, "b", true),
                (4, "c", true),
                (6, "d", false),
                (7, "e", true),
                (8, "f", false),
            ]
        );
    }
}
