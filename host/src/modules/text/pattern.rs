//! Regular expressions for `text.regexp` as plain functions: compiled with size limits, cached
//! per sandbox, and searched the way Go's `regexp` does (leftmost-first, an empty match right
//! after a match skipped, `Split`'s rules).
//!
//! Rust's `regex` and Go's `regexp` both take RE2's syntax; where they differ luabox follows
//! `regex`: `\d`, `\w`, `\s` and `\b` are Unicode-aware (ASCII in Go: write `[0-9]` or
//! `(?-u:\w)` for Go's), repetition counts may pass Go's 1000 (the size limit bounds them), and
//! bytes that are not UTF-8 match no `.` (Go reads each as U+FFFD).

use std::collections::HashMap;
use std::sync::Arc;

use regex::bytes::{Regex, RegexBuilder};

/// The most a compiled pattern may take (its program) and its lazy DFA's cache: a hostile
/// pattern such as `(\w{100}){100}` fails to compile instead of taking the host's memory.
const SIZE_LIMIT: usize = 4 << 20;
const DFA_SIZE_LIMIT: usize = 4 << 20;
/// Nesting of groups and repetitions, which the parser recurses on.
const NEST_LIMIT: u32 = 100;
/// Patterns a sandbox keeps compiled; past it the cache starts over.
const CACHED: usize = 64;

/// A sandbox's compiled patterns, by pattern text.
#[derive(Default)]
pub struct Cache(HashMap<String, Arc<Regex>>);

impl Cache {
    /// `pattern` compiled, or why it does not compile.
    pub fn get(&mut self, pattern: &str) -> Result<Arc<Regex>, String> {
        if let Some(regex) = self.0.get(pattern) {
            return Ok(regex.clone());
        }
        let regex = RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .nest_limit(NEST_LIMIT)
            .build()
            .map_err(|error| format!("invalid pattern: {error}"))?;
        if self.0.len() >= CACHED {
            self.0.clear();
        }
        let regex = Arc::new(regex);
        self.0.insert(pattern.to_string(), regex.clone());
        Ok(regex)
    }
}

/// A match's spans, group 0 first.
pub type Spans = Vec<Option<(u32, u32)>>;

/// Up to `limit` matches (all when negative) as spans; every group's when `groups`. `check`
/// runs every so many matches (the deadline).
pub fn find(
    regex: &Regex,
    s: &[u8],
    limit: i64,
    groups: bool,
    check: &mut dyn FnMut() -> wasmtime::Result<()>,
) -> wasmtime::Result<Vec<Spans>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let span = |m: regex::bytes::Match| Some((m.start() as u32, m.end() as u32));
    let mut out = Vec::new();
    if groups {
        for (i, caps) in regex.captures_iter(s).take(limit).enumerate() {
            if i % 4096 == 0 {
                check()?;
            }
            out.push(caps.iter().map(|m| m.and_then(span)).collect());
        }
    } else {
        for (i, m) in regex.find_iter(s).take(limit).enumerate() {
            if i % 4096 == 0 {
                check()?;
            }
            out.push(vec![span(m)]);
        }
    }
    Ok(out)
}

/// `s` cut at the matches of `regex`, as Go's `Regexp.Split(s, n)` cuts it.
pub fn split<'s>(regex: &Regex, s: &'s [u8], n: i64) -> Vec<&'s [u8]> {
    if n == 0 {
        return Vec::new();
    }
    if !regex.as_str().is_empty() && s.is_empty() {
        return vec![s];
    }
    let mut parts = Vec::new();
    let (mut begin, mut end) = (0, 0);
    for m in regex.find_iter(s) {
        if n > 0 && parts.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        // An empty match at the very start cuts nothing off.
        if m.end() != 0 {
            parts.push(&s[begin..end]);
        }
        begin = m.end();
    }
    if end != s.len() {
        parts.push(&s[begin..]);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regex(pattern: &str) -> Arc<Regex> {
        Cache::default().get(pattern).unwrap()
    }

    fn parts(pattern: &str, s: &str, n: i64) -> Vec<String> {
        let regex = regex(pattern);
        let parts = split(&regex, s.as_bytes(), n);
        parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()
    }

    #[test]
    fn split_follows_go() {
        assert_eq!(parts(",", "a,b,c", -1), ["a", "b", "c"]);
        assert_eq!(parts(",", "a,b,c", 2), ["a", "b,c"]);
        assert!(parts(",", "a,b,c", 0).is_empty());
        assert_eq!(parts(",", "", -1), [""]);
        assert_eq!(parts("a*", "abaabaccadaaae", 5), ["", "b", "b", "c", "cadaaae"]);
        assert_eq!(parts("", "abc", -1), ["a", "b", "c"]);
        assert_eq!(parts("x*", "xaxb", -1), ["", "a", "b"]);
    }

    #[test]
    fn empty_matches_after_a_match_are_skipped() {
        let regex = regex("a*");
        let spans = find(&regex, b"baaab", -1, false, &mut || Ok(())).unwrap();
        let starts: Vec<_> = spans.iter().map(|s| s[0].unwrap()).collect();
        assert_eq!(starts, [(0, 0), (1, 4), (5, 5)]);
    }

    #[test]
    fn hostile_patterns_fail_to_compile() {
        let mut cache = Cache::default();
        assert!(cache.get(r"(\w{100}){100}").is_err());
        assert!(cache.get(&"(".repeat(200)).is_err());
        assert!(cache.get("a{1001}").is_ok());
        assert!(cache.get("[").is_err());
    }
}
