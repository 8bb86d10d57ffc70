//! The entry store: every loaded [`Entry`] by id, in load order, and the search behind the Lua
//! `registry.find`.
//!
//! A [`Filter`] is the table given to `registry.find`; all its keys must match (an empty one
//! matches everything):
//!
//! | key | matches |
//! |---|---|
//! | `.kind` `.ns` `.name` `.id` (or plain `kind` `ns` `name` `id`) | the entry field, `*` globs |
//! | `meta.a.b` (or plain `b`, or `meta = {b = ..}`) | meta value equal (`*` globs); an array meta value must contain it |
//! | `~meta.x` / `*meta.x` / `^meta.x` / `$meta.x` | regex / contains / prefix / suffix |
//!
//! Plain keys are a luabox decision (docs/architecture.md §6): the reference runtime drops them with a warning,
//! which makes `{type = "test"}` silently match everything.
//!
//! ```text
//! registry.find{kind = "function.lua", type = "handler"}
//! registry.find{[".ns"] = "app.*", ["~meta.route"] = "^/api/"}
//! registry.find{["meta.tags"] = {"api", "users"}}   -- tags contains both
//! ```

pub mod versions;

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use crate::config::{Entry, EntryId};

/// The loaded entries. Read-only once built; share it behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<Entry>,
    by_id: HashMap<EntryId, usize>,
}

impl Registry {
    /// Entries in load order; for a repeated id (which the loader refuses) the first one wins.
    pub fn new(entries: Vec<Entry>) -> Self {
        let mut by_id = HashMap::with_capacity(entries.len());
        for (at, entry) in entries.iter().enumerate() {
            by_id.entry(entry.id.clone()).or_insert(at);
        }
        Registry { entries, by_id }
    }

    pub fn get(&self, id: &EntryId) -> Option<&Entry> {
        self.by_id.get(id).and_then(|&at| self.entries.get(at))
    }

    /// In load order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries matching `filter`, in load order.
    pub fn find(&self, filter: &Filter) -> Vec<&Entry> {
        self.entries.iter().filter(|e| filter.matches(e)).collect()
    }
}

/// The Lua view of an entry: `{id, kind, meta, data}`, with the kind's secret fields (a
/// database password, stored values) redacted.
pub fn entry_to_json(entry: &Entry) -> Value {
    let mut data = entry.data.clone();
    for path in crate::config::secret_fields(&entry.kind) {
        redact(&mut data, path);
    }
    let mut view = Map::new();
    view.insert("id".into(), Value::String(entry.id.to_string()));
    view.insert("kind".into(), Value::String(entry.kind.clone()));
    view.insert("meta".into(), Value::Object(entry.meta.clone()));
    view.insert("data".into(), Value::Object(data));
    Value::Object(view)
}

/// Replace the value at the dotted `path` of `data`, where there is one.
fn redact(data: &mut Map<String, Value>, path: &str) {
    let (head, rest) = path
        .split_once('.')
        .map_or((path, None), |(h, r)| (h, Some(r)));
    match (data.get_mut(head), rest) {
        (Some(Value::Object(inner)), Some(rest)) => redact(inner, rest),
        (Some(value), None) => *value = Value::String(crate::config::REDACTED.into()),
        _ => {}
    }
}

/// A parsed `registry.find` table.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
struct Condition {
    target: Target,
    test: Test,
}

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Kind,
    Ns,
    Name,
    Id,
    /// A path into meta: `meta.temporal.worker` is `["temporal", "worker"]`.
    Meta(Vec<String>),
}

#[derive(Debug, Clone)]
enum Test {
    /// Equal, with `*` globs; every listed value must match.
    Equal(Vec<String>),
    Contains(Vec<String>),
    Prefix(String),
    Suffix(String),
    Regex(Regex),
}

/// Regexes come from sandboxed code: keep their compiled size modest.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Filter {
    /// Parses the table given to `registry.find` (as a JSON object). Errors are for the user.
    pub fn from_json(map: &Map<String, Value>) -> Result<Filter, String> {
        let mut conditions = Vec::new();
        for (key, value) in map {
            if key == "meta"
                && let Value::Object(nested) = value
            {
                flatten_meta(&mut Vec::new(), nested, &mut conditions)?;
                continue;
            }
            conditions.push(Condition::parse(key, value)?);
        }
        Ok(Filter { conditions })
    }

    pub fn matches(&self, entry: &Entry) -> bool {
        self.conditions.iter().all(|c| c.matches(entry))
    }
}

/// `meta = {temporal = {worker = "w"}}` means `["meta.temporal.worker"] = "w"`.
fn flatten_meta(
    path: &mut Vec<String>,
    nested: &Map<String, Value>,
    out: &mut Vec<Condition>,
) -> Result<(), String> {
    if nested.is_empty() && !path.is_empty() {
        return Err(format!(
            "filter 'meta.{}': an empty table matches nothing useful",
            path.join(".")
        ));
    }
    for (key, value) in nested {
        path.push(key.clone());
        match value {
            Value::Object(deeper) => flatten_meta(path, deeper, out)?,
            _ => out.push(Condition::parse(
                &format!("meta.{}", path.join(".")),
                value,
            )?),
        }
        path.pop();
    }
    Ok(())
}

impl Condition {
    fn parse(key: &str, value: &Value) -> Result<Condition, String> {
        let (operator, field) = match key.chars().next() {
            Some(op @ ('~' | '*' | '^' | '$')) => (Some(op), &key[1..]),
            _ => (None, key),
        };
        let target = match field {
            ".kind" | "kind" => Target::Kind,
            ".ns" | "ns" => Target::Ns,
            ".name" | "name" => Target::Name,
            ".id" | "id" => Target::Id,
            _ => {
                let path = field.strip_prefix("meta.").unwrap_or(field);
                if path.is_empty() || path.split('.').any(str::is_empty) || path.starts_with('.') {
                    return Err(format!(
                        "filter key '{key}': expected .kind, .ns, .name, .id, meta.<field> or a \
                         meta field name"
                    ));
                }
                Target::Meta(path.split('.').map(str::to_string).collect())
            }
        };
        let values = filter_values(key, value)?;
        let is_meta = matches!(target, Target::Meta(_));
        if values.len() != 1 && !(is_meta && matches!(operator, None | Some('*'))) {
            return Err(format!("filter '{key}' takes a single string, not a list"));
        }
        let single = || values.first().cloned().unwrap_or_default();
        let test = match operator {
            None => Test::Equal(values.clone()),
            Some('*') => Test::Contains(values.clone()),
            Some('^') => Test::Prefix(single()),
            Some('$') => Test::Suffix(single()),
            _ => Test::Regex(
                regex::RegexBuilder::new(&single())
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| format!("filter '{key}': invalid regular expression: {e}"))?,
            ),
        };
        Ok(Condition { target, test })
    }

    fn matches(&self, entry: &Entry) -> bool {
        let id;
        let text = match &self.target {
            Target::Kind => entry.kind.as_str(),
            Target::Ns => entry.id.ns.as_str(),
            Target::Name => entry.id.name.as_str(),
            Target::Id => {
                id = entry.id.to_string();
                id.as_str()
            }
            Target::Meta(path) => {
                return meta_value(&entry.meta, path).is_some_and(|v| self.test.meta(v));
            }
        };
        self.test.text(text)
    }
}

/// The filter value as strings: a scalar, or (for meta) a list of scalars.
fn filter_values(key: &str, value: &Value) -> Result<Vec<String>, String> {
    let scalar = |v: &Value| scalar_text(v).filter(|_| !v.is_null());
    match value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| {
                scalar(item).ok_or_else(|| {
                    format!("filter '{key}': list items must be strings, numbers or booleans")
                })
            })
            .collect(),
        _ => scalar(value).map(|s| vec![s]).ok_or_else(|| {
            format!(
                "filter '{key}' must be a string, number or boolean, not {}",
                json_type(value)
            )
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an empty table",
        Value::Object(_) => "a table",
    }
}

/// Scalars compare by their text: `2` matches `"2"`, `true` matches `"true"`.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

/// Follows `path` through nested meta objects; a literal dotted key (`"a.b": 1`) also counts.
fn meta_value<'a>(meta: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let nested = path.split_first().and_then(|(first, rest)| {
        rest.iter()
            .try_fold(meta.get(first)?, |value, key| value.as_object()?.get(key))
    });
    nested.or_else(|| meta.get(&path.join(".")))
}

impl Test {
    fn text(&self, text: &str) -> bool {
        match self {
            Test::Equal(values) => values.iter().all(|v| glob_match(v, text)),
            Test::Contains(values) => values.iter().all(|v| text.contains(v.as_str())),
            Test::Prefix(prefix) => text.starts_with(prefix.as_str()),
            Test::Suffix(suffix) => text.ends_with(suffix.as_str()),
            Test::Regex(regex) => regex.is_match(text),
        }
    }

    /// A meta value: a scalar is tested as text; an array must hold each wanted value.
    fn meta(&self, value: &Value) -> bool {
        match value {
            Value::Null | Value::Object(_) => false,
            Value::Array(items) => {
                let texts: Vec<String> = items.iter().filter_map(scalar_text).collect();
                match self {
                    Test::Equal(wanted) => wanted
                        .iter()
                        .all(|w| texts.iter().any(|t| glob_match(w, t))),
                    Test::Contains(wanted) => wanted.iter().all(|w| texts.contains(w)),
                    _ => texts.iter().any(|t| self.text(t)),
                }
            }
            scalar => scalar_text(scalar).is_some_and(|text| self.text(&text)),
        }
    }
}

/// `*` matches any run of characters (`.` and `:` included); everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for: on a mismatch the
    // star swallows one more character. Backtracking only to the last star keeps the cost within
    // pattern length × text length, without recursion.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Location, Spec};
    use serde_json::json;

    fn entry(id: &str, kind: &str, meta: Value) -> Entry {
        Entry {
            id: id.parse().unwrap(),
            kind: kind.into(),
            meta: meta.as_object().cloned().unwrap_or_default(),
            data: Map::new(),
            location: Location::new("app/_index.yaml", 1),
            spec: Spec::Data,
            resource_lifecycle: None,
        }
    }

    fn registry() -> Registry {
        Registry::new(vec![
            entry(
                "app:hello",
                "function.lua",
                json!({"type": "handler", "tags": ["api", "users"], "version": 2,
                       "route": "/api/hello", "temporal": {"worker": "main"}}),
            ),
            entry("app:helpers", "library.lua", json!({})),
            entry(
                "app.api:get_user",
                "function.lua",
                json!({"type": "test", "enabled": true, "route": "/api/users/{id}",
                       "tags": ["users"], "order": 1.5}),
            ),
            entry(
                "other:config",
                "registry.entry",
                json!({"type": "config", "a.b": "x"}),
            ),
        ])
    }

    fn find(filter: Value) -> Vec<String> {
        let filter = Filter::from_json(filter.as_object().unwrap()).unwrap();
        registry()
            .find(&filter)
            .iter()
            .map(|e| e.id.to_string())
            .collect()
    }

    fn error(filter: Value) -> String {
        Filter::from_json(filter.as_object().unwrap()).unwrap_err()
    }

    #[test]
    fn get_entries_and_the_lua_view() {
        let registry = registry();
        assert_eq!(registry.len(), 4);
        let hello = registry.get(&"app:hello".parse().unwrap()).unwrap();
        assert_eq!(hello.kind, "function.lua");
        assert!(registry.get(&"app:nope".parse().unwrap()).is_none());
        let order: Vec<String> = registry.entries().map(|e| e.id.to_string()).collect();
        assert_eq!(
            order,
            [
                "app:hello",
                "app:helpers",
                "app.api:get_user",
                "other:config"
            ]
        );
        assert_eq!(
            entry_to_json(registry.get(&"other:config".parse().unwrap()).unwrap()),
            json!({"id": "other:config", "kind": "registry.entry",
                   "meta": {"type": "config", "a.b": "x"}, "data": {}})
        );
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert_eq!(find(json!({})).len(), 4);
    }

    #[test]
    fn entry_fields_with_globs() {
        assert_eq!(
            find(json!({".kind": "function.lua"})),
            ["app:hello", "app.api:get_user"]
        );
        assert_eq!(find(json!({".kind": "function.*"})).len(), 2);
        assert_eq!(find(json!({".ns": "app.*"})), ["app.api:get_user"]);
        assert_eq!(find(json!({".ns": "app*"})).len(), 3);
        assert_eq!(find(json!({".name": "help*"})), ["app:helpers"]);
        assert_eq!(find(json!({".id": "*:get_*"})), ["app.api:get_user"]);
        assert_eq!(find(json!({".id": "app:hello"})), ["app:hello"]);
    }

    #[test]
    fn plain_keys_mean_fields_or_meta() {
        assert_eq!(find(json!({"kind": "library.lua"})), ["app:helpers"]);
        assert_eq!(find(json!({"ns": "other"})), ["other:config"]);
        assert_eq!(find(json!({"type": "test"})), ["app.api:get_user"]);
        assert_eq!(
            find(json!({"kind": "function.lua", "type": "handler"})),
            ["app:hello"]
        );
        assert_eq!(find(json!({"meta": {"type": "config"}})), ["other:config"]);
        assert_eq!(
            find(json!({"meta": {"temporal": {"worker": "main"}}})),
            ["app:hello"]
        );
    }

    #[test]
    fn meta_equality_nesting_and_scalars() {
        assert_eq!(find(json!({"meta.type": "handler"})), ["app:hello"]);
        assert_eq!(find(json!({"meta.type": "h*"})), ["app:hello"]);
        assert_eq!(find(json!({"meta.temporal.worker": "main"})), ["app:hello"]);
        assert_eq!(find(json!({"meta.a.b": "x"})), ["other:config"]);
        assert_eq!(find(json!({"meta.version": 2})), ["app:hello"]);
        assert_eq!(find(json!({"meta.version": "2"})), ["app:hello"]);
        assert_eq!(find(json!({"meta.enabled": true})), ["app.api:get_user"]);
        assert_eq!(find(json!({"meta.order": 1.5})), ["app.api:get_user"]);
        assert!(find(json!({"meta.missing": "x"})).is_empty());
        assert!(find(json!({"meta.temporal": "main"})).is_empty());
    }

    #[test]
    fn meta_arrays() {
        assert_eq!(
            find(json!({"meta.tags": "users"})),
            ["app:hello", "app.api:get_user"]
        );
        assert_eq!(find(json!({"meta.tags": "ap*"})), ["app:hello"]);
        assert_eq!(find(json!({"meta.tags": ["api", "users"]})), ["app:hello"]);
        assert!(find(json!({"meta.tags": ["api", "admin"]})).is_empty());
        assert_eq!(find(json!({"*meta.tags": "api"})), ["app:hello"]);
        assert_eq!(find(json!({"*meta.tags": ["users"]})).len(), 2);
        assert_eq!(find(json!({"^meta.tags": "us"})).len(), 2);
    }

    #[test]
    fn operators() {
        assert_eq!(
            find(json!({"~meta.route": "^/api/users/"})),
            ["app.api:get_user"]
        );
        assert_eq!(find(json!({"~meta.route": "hel+o$"})), ["app:hello"]);
        assert_eq!(find(json!({"*meta.route": "users"})), ["app.api:get_user"]);
        assert_eq!(find(json!({"^meta.route": "/api/"})).len(), 2);
        assert_eq!(find(json!({"$meta.route": "{id}"})), ["app.api:get_user"]);
        assert_eq!(find(json!({"^.ns": "app"})).len(), 3);
        assert_eq!(find(json!({"~.id": "^app:"})), ["app:hello", "app:helpers"]);
        assert!(find(json!({"~meta.type": "x", "meta.type": "handler"})).is_empty());
    }

    #[test]
    fn bad_filters() {
        assert!(
            error(json!({"~meta.route": "(unclosed"}))
                .starts_with("filter '~meta.route': invalid regular expression: ")
        );
        assert_eq!(
            error(json!({"meta.type": null})),
            "filter 'meta.type' must be a string, number or boolean, not nil"
        );
        assert_eq!(
            error(json!({".kind": {"a": 1}})),
            "filter '.kind' must be a string, number or boolean, not a table"
        );
        assert_eq!(
            error(json!({".kind": ["a", "b"]})),
            "filter '.kind' takes a single string, not a list"
        );
        assert_eq!(
            error(json!({"meta.tags": ["a", {"b": 1}]})),
            "filter 'meta.tags': list items must be strings, numbers or booleans"
        );
        assert!(error(json!({"meta.": "x"})).starts_with("filter key 'meta.'"));
        assert!(error(json!({"": "x"})).starts_with("filter key ''"));
        assert!(error(json!({"meta": {"t": {}}})).contains("empty table"));
        assert!(error(json!({"~meta.x": "a{1000}{1000}{1000}"})).contains("invalid regular"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything:at.all"));
        assert!(glob_match("function.*", "function.lua"));
        assert!(!glob_match("function.*", "library.lua"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*lua", "function.lua"));
        assert!(glob_match("a**b", "ab"));
        assert!(!glob_match("abc", "ab"));
        assert!(!glob_match("", "a"));
        assert!(glob_match("é*", "école"));
        assert!(glob_match(&"*a".repeat(50), &"a".repeat(200)));
        assert!(!glob_match(&"*a".repeat(50), &"a".repeat(49)));
    }
}
