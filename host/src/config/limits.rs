//! The `limits:` field of a Lua entry → [`LimitOverrides`].
//!
//! ```yaml
//! limits: { memory: 32MiB, timeout: 5s, max_payload: 1MiB, max_pending: 1000 }
//! ```
//!
//! Values use the engine's own parsers ([`parse_size`], [`parse_duration`]), so YAML and the
//! command line accept the same forms.

use super::entry::LimitOverrides;
use super::fields::{self, problem};
use super::yaml::{Node, Problem};
use crate::units::{parse_duration, parse_size};

const FIELDS: &[&str] = &["memory", "timeout", "max_payload", "max_pending"];
/// No real size or duration is written longer; the cap also keeps extreme digit strings away
/// from the parsers' arithmetic.
const MAX_TEXT: usize = 32;
/// A wasm32 linear memory cannot grow past 4 GiB.
const MAX_MEMORY: u64 = 4 << 30;

pub fn parse(node: &Node) -> Result<LimitOverrides, Vec<Problem>> {
    if node.is_null() {
        return Ok(LimitOverrides::default());
    }
    let entries = fields::mapping("limits", node).map_err(|p| vec![p])?;
    let mut limits = LimitOverrides::default();
    let mut problems = Vec::new();
    for (key, value) in entries {
        let field = format!("limits.{}", key.text);
        if !FIELDS.contains(&key.text.as_str()) {
            problems.push(problem(
                key.line,
                format!(
                    "unknown field '{field}' (expected one of: {})",
                    FIELDS.join(", ")
                ),
            ));
            continue;
        }
        if key.text == "max_pending" {
            match fields::bounded_u32(&field, value, 1) {
                Ok(n) => limits.max_pending = Some(n),
                Err(p) => problems.push(p),
            }
            continue;
        }
        let text = match fields::string(&field, value) {
            Ok(text) if text.len() > MAX_TEXT => {
                problems.push(problem(value.line, format!("{field}: value is too long")));
                continue;
            }
            Ok(text) => text,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let bad = |e: anyhow::Error| problem(value.line, format!("{field}: {e}"));
        let parsed = match key.text.as_str() {
            "memory" => parse_size(&text).and_then(|n| {
                if n > MAX_MEMORY {
                    anyhow::bail!("{text:?} is more than a wasm32 sandbox can address (4GiB)");
                }
                limits.memory = Some(n);
                Ok(())
            }),
            "timeout" => parse_duration(&text).map(|d| limits.timeout = Some(d)),
            _ => parse_size(&text).and_then(|n| {
                let n = u32::try_from(n).map_err(|_| {
                    anyhow::anyhow!("{text:?} is too large (at most 4 GiB - 1 byte)")
                })?;
                limits.max_payload = Some(n);
                Ok(())
            }),
        };
        if let Err(e) = parsed {
            problems.push(bad(e));
        }
    }
    if problems.is_empty() {
        Ok(limits)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::yaml;

    fn limits(text: &str) -> Result<LimitOverrides, Vec<(usize, String)>> {
        let root = yaml::parse(&format!("limits: {text}\n"))
            .unwrap()
            .root
            .unwrap();
        parse(root.get("limits").unwrap())
            .map_err(|ps| ps.into_iter().map(|p| (p.line, p.message)).collect())
    }

    #[test]
    fn parses_each_limit() {
        assert_eq!(limits(""), Ok(LimitOverrides::default()));
        assert_eq!(
            limits("{memory: 32MiB, timeout: 1.5s, max_payload: 1MiB, max_pending: 500}"),
            Ok(LimitOverrides {
                memory: Some(32 << 20),
                timeout: Some(Duration::from_millis(1500)),
                max_payload: Some(1 << 20),
                max_pending: Some(500),
            })
        );
        assert_eq!(limits("{memory: 1048576}").unwrap().memory, Some(1 << 20));
    }

    #[test]
    fn errors_at_their_lines() {
        assert_eq!(
            limits("\n  memory: lots\n  timeout: 5\n  cpu: 2\n"),
            Err(vec![
                (
                    2,
                    "limits.memory: invalid size \"lots\" (expected e.g. 32MiB)".into()
                ),
                (
                    3,
                    "limits.timeout: invalid duration \"5\" (expected e.g. 200ms, 1.5s, 2m)".into()
                ),
                (
                    4,
                    "unknown field 'limits.cpu' (expected one of: memory, timeout, max_payload, \
                     max_pending)"
                        .into()
                ),
            ])
        );
        assert_eq!(
            limits("{memory: 5GiB}"),
            Err(vec![(
                1,
                "limits.memory: \"5GiB\" is more than a wasm32 sandbox can address (4GiB)".into()
            )])
        );
        assert_eq!(limits("{memory: 4GiB}").unwrap().memory, Some(4 << 30));
        assert_eq!(
            limits("{max_payload: 8GiB}"),
            Err(vec![(
                1,
                "limits.max_payload: \"8GiB\" is too large (at most 4 GiB - 1 byte)".into()
            )])
        );
        assert_eq!(
            limits("{timeout: 340282366920938463463374607431768211.999us}"),
            Err(vec![(1, "limits.timeout: value is too long".into())])
        );
        assert_eq!(
            limits("[1]"),
            Err(vec![(
                1,
                "field 'limits' must be a mapping, not a list".into()
            )])
        );
        assert_eq!(
            limits("{max_pending: 0}"),
            Err(vec![(
                1,
                "field 'limits.max_pending' must be between 1 and 4294967295, got 0".into()
            )])
        );
        assert_eq!(
            limits("{max_pending: lots}"),
            Err(vec![(
                1,
                "field 'limits.max_pending' must be a whole number ≥ 0, not 'lots'".into()
            )])
        );
        assert_eq!(
            limits("{timeout: 0s}"),
            Err(vec![(
                1,
                "limits.timeout: invalid duration \"0s\": must be greater than zero".into()
            )])
        );
    }
}
