//! `${env:NAME}` and `${env:NAME|default}` in string values of entry data and meta.
//!
//! The variable comes from the environment luabox runs in (injectable, so tests need not touch
//! the process environment), else the default, else it is an error at the value's line. `$${`
//! writes a literal `${`; any other `$` is left alone, so Lua code such as `"${x}"` in an inline
//! source survives. Values are substituted once: a variable's own text is not interpolated again.
//! A value that went through interpolation is always a string, even if it reads `8080`: the
//! fields luabox itself reads (`pool.size`, `readonly`, ...) accept numbers and booleans written
//! as strings.
//!
//! ```text
//! url: "postgres://${env:DB_HOST|localhost}/app"   ->  "postgres://localhost/app"
//! note: "costs $${price}"                            ->  "costs ${price}"
//! ```

use super::yaml::{Node, Problem, Value};

/// Looks an environment variable up; `None` when it is not set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Interpolates every string value under `node` in place (mapping keys are left as written).
pub fn node(node: &mut Node, env: Env<'_>, problems: &mut Vec<Problem>) {
    match &mut node.value {
        Value::Scalar(scalar) => match text(&scalar.text, env) {
            Ok(None) => {}
            Ok(Some(new)) => {
                scalar.text = new;
                scalar.plain = false;
            }
            Err(message) => problems.push(Problem {
                line: node.line,
                message,
            }),
        },
        Value::Seq(items) => {
            for item in items {
                self::node(item, env, problems);
            }
        }
        Value::Map(entries) => {
            for (_, value) in entries {
                self::node(value, env, problems);
            }
        }
    }
}

/// The interpolated text, or `None` when `input` holds nothing to replace.
pub fn text(input: &str, env: Env<'_>) -> Result<Option<String>, String> {
    if !input.contains("${") {
        return Ok(None);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    let mut changed = false;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let from_dollar = &rest[at..];
        if let Some(after) = from_dollar.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            changed = true;
        } else if let Some(body) = from_dollar.strip_prefix("${env:") {
            let Some(end) = body.find('}') else {
                return Err(format!(
                    "unterminated '${{env:' in {input:?} (expected '${{env:NAME}}' or '${{env:NAME|default}}')"
                ));
            };
            out.push_str(&lookup(&body[..end], env)?);
            rest = &body[end + 1..];
            changed = true;
        } else {
            out.push('$');
            rest = &from_dollar[1..];
        }
    }
    out.push_str(rest);
    Ok(changed.then_some(out))
}

fn lookup(inner: &str, env: Env<'_>) -> Result<String, String> {
    let (name, default) = match inner.split_once('|') {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "invalid environment variable name '{name}' in '${{env:{inner}}}' (use letters, digits and '_')"
        ));
    }
    match (env(name), default) {
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_string()),
        (None, None) => Err(format!(
            "environment variable {name} is not set and has no default"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db.local".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(input: &str) -> Result<Option<String>, String> {
        text(input, &env)
    }

    #[test]
    fn substitutes_variables_and_defaults() {
        assert_eq!(run("plain"), Ok(None));
        assert_eq!(run("${env:HOST}"), Ok(Some("db.local".into())));
        assert_eq!(
            run("pg://${env:HOST|x}:${env:PORT|5432}/db"),
            Ok(Some("pg://db.local:5432/db".into()))
        );
        assert_eq!(run("${env:EMPTY|fallback}"), Ok(Some(String::new())));
        assert_eq!(run("${env:MISSING|}"), Ok(Some(String::new())));
        assert_eq!(run("${env:MISSING|a|b}"), Ok(Some("a|b".into())));
    }

    #[test]
    fn escapes_and_other_dollars_stay_literal() {
        assert_eq!(run("$${env:HOST}"), Ok(Some("${env:HOST}".into())));
        assert_eq!(run("cost: $5 and ${x}"), Ok(None));
        assert_eq!(run("$${x} ${env:HOST}"), Ok(Some("${x} db.local".into())));
        assert_eq!(run("€${env:HOST}€"), Ok(Some("€db.local€".into())));
    }

    #[test]
    fn errors() {
        assert_eq!(
            run("${env:MISSING}"),
            Err("environment variable MISSING is not set and has no default".into())
        );
        assert!(
            run("${env:HOST")
                .unwrap_err()
                .starts_with("unterminated '${env:'")
        );
        assert!(
            run("${env:}")
                .unwrap_err()
                .starts_with("invalid environment variable name ''")
        );
        assert!(run("${env:A B}").is_err());
    }

    #[test]
    fn walks_a_tree_and_reports_lines() {
        let mut root =
            yaml::parse("a: ${env:HOST}\nb:\n  - ok\n  - ${env:NOPE}\nport: ${env:PORT|8080}\n")
                .unwrap()
                .root
                .unwrap();
        let mut problems = Vec::new();
        node(&mut root, &env, &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert_eq!(
            root.to_json(),
            serde_json::json!({"a": "db.local", "b": ["ok", "${env:NOPE}"], "port": "8080"})
        );
    }
}
