//! The `pool:` field of a `function.lua` entry → [`Pool`].
//!
//! ```yaml
//! pool: { type: static, size: 4 }      # Bounded { Static, 4 }
//! pool: { type: lazy, max_size: 32 }   # Bounded { Lazy, 32 }
//! pool: { type: inline }               # Inline, the default when `pool` is absent
//! ```
//!
//! The size is `size`, else `workers`, else `max_size` (the reference runtime's names), else 16
//! for lazy/adaptive and 8 for static, and must be 1..=10000. Without `type`, a `size` or
//! `workers` means static, a lone `max_size` lazy, and nothing inline. `buffer` and
//! `warm_start` are checked but have no effect in luabox.

use super::entry::{Pool, PoolKind};
use super::fields::{self, problem};
use super::yaml::{Node, Problem};

const FIELDS: &[&str] = &[
    "type",
    "size",
    "workers",
    "max_size",
    "buffer",
    "warm_start",
];
pub const MAX_SIZE: u64 = 10_000;

pub fn parse(node: &Node) -> Result<Pool, Vec<Problem>> {
    if node.is_null() {
        return Ok(Pool::Inline);
    }
    let entries = fields::mapping("pool", node).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut kind = None;
    let mut explicit_type = false;
    let mut size = None;
    let mut only_max_size = true;
    for (key, value) in entries {
        let field = format!("pool.{}", key.text);
        match key.text.as_str() {
            "type" => {
                explicit_type = true;
                let text = fields::string(&field, value);
                match text.as_deref() {
                    Ok("inline") => kind = None,
                    Ok("lazy") => kind = Some(PoolKind::Lazy),
                    Ok("static") => kind = Some(PoolKind::Static),
                    Ok("adaptive") => kind = Some(PoolKind::Adaptive),
                    Ok(other) => problems.push(problem(
                        value.line,
                        format!(
                            "unknown pool type '{other}' (expected inline, lazy, static or adaptive)"
                        ),
                    )),
                    Err(p) => problems.push(p.clone()),
                }
            }
            "size" | "workers" | "max_size" => match fields::unsigned(&field, value) {
                Ok(n) if !(1..=MAX_SIZE).contains(&n) => problems.push(problem(
                    value.line,
                    format!("{field} must be between 1 and {MAX_SIZE}, got {n}"),
                )),
                Ok(n) => {
                    // The first of size, workers, max_size wins, whatever the order written.
                    let rank = FIELDS.iter().position(|f| *f == key.text).unwrap_or(0);
                    if size.is_none_or(|(r, _)| rank < r) {
                        size = Some((rank, n));
                    }
                    only_max_size &= key.text == "max_size";
                }
                Err(p) => problems.push(p),
            },
            "buffer" => {
                if let Err(p) = fields::unsigned(&field, value) {
                    problems.push(p);
                }
            }
            "warm_start" => {
                if let Err(p) = fields::boolean(&field, value) {
                    problems.push(p);
                }
            }
            other => problems.push(problem(
                key.line,
                format!(
                    "unknown field 'pool.{other}' (expected one of: {})",
                    FIELDS.join(", ")
                ),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if !explicit_type {
        kind = match size {
            None => None,
            Some(_) if only_max_size => Some(PoolKind::Lazy),
            Some(_) => Some(PoolKind::Static),
        };
    }
    Ok(match kind {
        None => Pool::Inline,
        Some(kind) => {
            let default = if kind == PoolKind::Static { 8 } else { 16 };
            let size = size.map_or(default, |(_, n)| n);
            Pool::Bounded {
                kind,
                size: u32::try_from(size).unwrap_or(u32::MAX),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn pool(text: &str) -> Result<Pool, Vec<(usize, String)>> {
        let root = yaml::parse(&format!("pool: {text}\n"))
            .unwrap()
            .root
            .unwrap();
        parse(root.get("pool").unwrap())
            .map_err(|ps| ps.into_iter().map(|p| (p.line, p.message)).collect())
    }

    fn bounded(kind: PoolKind, size: u32) -> Result<Pool, Vec<(usize, String)>> {
        Ok(Pool::Bounded { kind, size })
    }

    #[test]
    fn types_and_defaults() {
        assert_eq!(pool(""), Ok(Pool::Inline));
        assert_eq!(pool("{type: inline}"), Ok(Pool::Inline));
        assert_eq!(pool("{}"), Ok(Pool::Inline));
        assert_eq!(pool("{type: lazy}"), bounded(PoolKind::Lazy, 16));
        assert_eq!(pool("{type: adaptive}"), bounded(PoolKind::Adaptive, 16));
        assert_eq!(pool("{type: static}"), bounded(PoolKind::Static, 8));
    }

    #[test]
    fn size_sources() {
        assert_eq!(
            pool("{type: static, size: 4}"),
            bounded(PoolKind::Static, 4)
        );
        assert_eq!(
            pool("{type: static, workers: 3}"),
            bounded(PoolKind::Static, 3)
        );
        assert_eq!(
            pool("{type: lazy, max_size: 32}"),
            bounded(PoolKind::Lazy, 32)
        );
        assert_eq!(
            pool("{type: static, max_size: 9, workers: 5, size: 2}"),
            bounded(PoolKind::Static, 2)
        );
        assert_eq!(pool("{size: 4}"), bounded(PoolKind::Static, 4));
        assert_eq!(pool("{max_size: 4}"), bounded(PoolKind::Lazy, 4));
        assert_eq!(
            pool("{type: static, size: 4, buffer: 256, warm_start: true}"),
            bounded(PoolKind::Static, 4)
        );
        assert_eq!(
            pool("{type: lazy, size: \"6\"}"),
            bounded(PoolKind::Lazy, 6)
        );
    }

    #[test]
    fn errors_at_their_lines() {
        assert_eq!(
            pool("\n  type: eager\n  size: 0\n"),
            Err(vec![
                (
                    2,
                    "unknown pool type 'eager' (expected inline, lazy, static or adaptive)".into()
                ),
                (3, "pool.size must be between 1 and 10000, got 0".into()),
            ])
        );
        assert_eq!(
            pool("{type: static, size: 10001}"),
            Err(vec![(
                1,
                "pool.size must be between 1 and 10000, got 10001".into()
            )])
        );
        assert_eq!(
            pool("\n  type: static\n  sise: 4\n"),
            Err(vec![(
                3,
                "unknown field 'pool.sise' (expected one of: type, size, workers, max_size, \
                 buffer, warm_start)"
                    .into()
            )])
        );
        assert_eq!(
            pool("{warm_start: maybe}"),
            Err(vec![(
                1,
                "field 'pool.warm_start' must be true or false, not a string".into()
            )])
        );
        assert_eq!(
            pool("static"),
            Err(vec![(
                1,
                "field 'pool' must be a mapping, not a string".into()
            )])
        );
    }
}
