//! The kinds luabox knows and the fields each one takes.
//!
//! A field a kind does not take is an error at that field's line, with the nearest known field
//! suggested; a required field that is missing is an error at the entry's line, unless an
//! unknown field already looks like its misspelling (one mistake, one message):
//!
//! ```text
//! _index.yaml:9: entry 'app:hello': unknown field 'mehtod' for kind function.lua
//!     (expected one of: source, method, modules, imports, pool, limits, allowed_hosts, resources,
//!     security); did you mean 'method'?
//! ```

use super::yaml::{Key, Node, Problem};

pub struct Schema {
    pub kind: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// `registry.entry` takes any data.
    pub open: bool,
}

const LUA_OPTIONAL: &[&str] = &["method", "modules", "imports", "limits"];
const LIBRARY_OPTIONAL: &[&str] = &["method", "modules", "imports", "limits", "resources"];

/// The kinds that take a `lifecycle:` block: the services started at boot, in dependency order,
/// then the resources ([`RESOURCE_LIFECYCLE_KINDS`]).
pub const LIFECYCLE_KINDS: &[&str] = &[
    "process.host",
    "terminal.host",
    "process.service",
    "http.service",
    "db.sql.sqlite",
    "db.sql.postgres",
    "store.memory",
    "store.sql",
    "env.storage.os",
    "env.storage.memory",
    "env.storage.file",
    "temporal.client",
    "temporal.worker",
];

/// The resource kinds whose `lifecycle:` (as the reference runtime has it) the entry keeps
/// beside its spec: `auto_start` opens them at boot, `requires`/`depends_on` order them.
pub const RESOURCE_LIFECYCLE_KINDS: &[&str] = LIFECYCLE_KINDS.split_at(4).1;

/// The kinds processes can be spawned on.
pub const PROCESS_HOST_KINDS: &[&str] = &["process.host", "terminal.host"];

pub const KINDS: &[Schema] = &[
    Schema {
        kind: "function.lua",
        required: &["source", "method"],
        optional: &[
            "modules",
            "imports",
            "pool",
            "limits",
            "allowed_hosts",
            "resources",
            "security",
        ],
        open: false,
    },
    Schema {
        kind: "library.lua",
        required: &["source"],
        optional: LIBRARY_OPTIONAL,
        open: false,
    },
    Schema {
        kind: "process.lua",
        required: &["source"],
        optional: &[
            "method",
            "modules",
            "imports",
            "limits",
            "allowed_hosts",
            "resources",
        ],
        open: false,
    },
    Schema {
        kind: "workflow.lua",
        required: &["source"],
        optional: LUA_OPTIONAL,
        open: false,
    },
    Schema {
        kind: "process.host",
        required: &[],
        optional: &["host", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "terminal.host",
        required: &[],
        optional: &["hide_logs", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "process.service",
        required: &["process"],
        optional: &["host", "input", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "http.service",
        required: &["addr"],
        optional: &["timeouts", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "http.router",
        required: &[],
        optional: &[
            "prefix",
            "middleware",
            "options",
            "post_middleware",
            "post_options",
        ],
        open: false,
    },
    Schema {
        kind: "http.endpoint",
        required: &["method", "path", "func"],
        optional: &[],
        open: false,
    },
    Schema {
        kind: "registry.entry",
        required: &[],
        optional: &[],
        open: true,
    },
    Schema {
        kind: "env.variable",
        required: &[],
        optional: &["variable", "storage", "default", "readonly", "read_only"],
        open: false,
    },
    Schema {
        kind: "env.storage.os",
        required: &[],
        optional: &["lifecycle"],
        open: false,
    },
    Schema {
        kind: "env.storage.memory",
        required: &[],
        optional: &["values", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "env.storage.file",
        required: &["file_path"],
        optional: &["auto_create", "file_mode", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "db.sql.sqlite",
        required: &["file"],
        optional: &["pool", "max_rows", "options", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "db.sql.postgres",
        required: &["host", "database", "username"],
        optional: &[
            "port",
            "password",
            "options",
            "pool",
            "max_rows",
            "lifecycle",
        ],
        open: false,
    },
    Schema {
        kind: "temporal.client",
        required: &["address"],
        optional: &["namespace", "auth", "tls", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "temporal.worker",
        required: &["client", "task_queue"],
        optional: &["worker_options", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "store.memory",
        required: &[],
        optional: &["max_size", "cleanup_interval", "lifecycle"],
        open: false,
    },
    Schema {
        kind: "store.sql",
        required: &["database"],
        optional: &[
            "table_name",
            "id_column_name",
            "payload_column_name",
            "expire_column_name",
            "cleanup_interval",
            "lifecycle",
        ],
        open: false,
    },
];

/// Fields (dotted paths into an entry's data) that hold credentials or stored values: the
/// registry's view of an entry shows [`REDACTED`] in their place, so code granted `registry` sees
/// that a field is set but not what it holds.
const SECRET_FIELDS: &[(&str, &[&str])] = &[
    ("db.sql.postgres", &["password"]),
    ("env.storage.memory", &["values"]),
    ("temporal.client", &["auth.api_key"]),
];

/// What a secret field shows in the registry.
pub const REDACTED: &str = "[redacted]";

/// The secret fields of `kind` (see [`SECRET_FIELDS`]).
pub fn secret_fields(kind: &str) -> &'static [&'static str] {
    SECRET_FIELDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, fields)| fields)
}

pub fn schema(kind: &str) -> Option<&'static Schema> {
    KINDS.iter().find(|s| s.kind == kind)
}

/// "unknown kind 'x' (luabox knows: ...)".
pub fn unknown_kind(kind: &str) -> String {
    let known: Vec<&str> = KINDS.iter().map(|s| s.kind).collect();
    format!("unknown kind '{kind}' (luabox knows: {})", known.join(", "))
}

impl Schema {
    fn fields(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional).copied()
    }

    /// Unknown and missing fields of an entry whose `name:` is at `entry_line`.
    pub fn check(&self, fields: &[(Key, Node)], entry_line: usize) -> Vec<Problem> {
        if self.open {
            return Vec::new();
        }
        let mut problems = Vec::new();
        let mut misspelled = Vec::new();
        for (key, _) in fields {
            if self.fields().any(|f| f == key.text) {
                continue;
            }
            let mut message = format!("unknown field '{}' for kind {}", key.text, self.kind);
            if self.fields().next().is_none() {
                message.push_str(" (it takes no fields)");
            } else {
                let expected: Vec<&str> = self.fields().collect();
                message.push_str(&format!(" (expected one of: {})", expected.join(", ")));
            }
            if let Some(near) = suggest(&key.text, self.fields()) {
                message.push_str(&format!("; did you mean '{near}'?"));
                misspelled.push(near);
            }
            problems.push(Problem {
                line: key.line,
                message,
            });
        }
        for required in self.required {
            let present = fields.iter().any(|(k, _)| k.text == *required);
            if !present && !misspelled.contains(required) {
                problems.push(Problem {
                    line: entry_line,
                    message: format!("missing required field '{required}' for kind {}", self.kind),
                });
            }
        }
        problems.sort_by_key(|p| p.line);
        problems
    }
}

/// The candidate closest to `word`, if it is close enough to be a typo of it.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    suggest_within(word, candidates, typo_budget(word))
}

/// How many edits still make a typo: about one per three characters, at most three.
pub fn typo_budget(word: &str) -> usize {
    word.chars().count().div_ceil(3).clamp(1, 3)
}

/// The candidate closest to `word` within `limit` edits.
pub fn suggest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent swaps (`mehtod` is one edit
/// from `method`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn check(kind: &str, text: &str) -> Vec<(usize, String)> {
        let root = yaml::parse(text).unwrap().root.unwrap();
        schema(kind)
            .unwrap()
            .check(root.as_map().unwrap(), 1)
            .into_iter()
            .map(|p| (p.line, p.message))
            .collect()
    }

    #[test]
    fn unknown_field_with_suggestion_replaces_missing_required() {
        assert_eq!(
            check("function.lua", "source: x\nmehtod: main\n"),
            [(
                2,
                "unknown field 'mehtod' for kind function.lua (expected one of: source, method, \
                 modules, imports, pool, limits, allowed_hosts, resources, security); did you mean 'method'?"
                    .to_string()
            )]
        );
    }

    #[test]
    fn missing_required_fields() {
        assert_eq!(
            check("function.lua", "source: x\n"),
            [(
                1,
                "missing required field 'method' for kind function.lua".to_string()
            )]
        );
        assert_eq!(
            check("store.sql", "table_name: x\n"),
            [(
                1,
                "missing required field 'database' for kind store.sql".to_string()
            )]
        );
    }

    #[test]
    fn unknown_fields_per_kind() {
        assert_eq!(
            check("process.lua", "source: x\npool: {}\n"),
            [(
                2,
                "unknown field 'pool' for kind process.lua (expected one of: source, method, \
                 modules, imports, limits, allowed_hosts, resources)"
                    .to_string()
            )]
        );
        assert_eq!(
            check("env.storage.os", "path: x\n"),
            [(
                1,
                "unknown field 'path' for kind env.storage.os (expected one of: lifecycle)"
                    .to_string()
            )]
        );
        assert!(check("registry.entry", "anything: 1\nelse: [2]\n").is_empty());
        assert!(check("workflow.lua", "source: x\nmethod: run\nmodules: []\n").is_empty());
    }

    #[test]
    fn unknown_kind_lists_the_known_ones() {
        assert_eq!(
            unknown_kind("function.lau"),
            "unknown kind 'function.lau' (luabox knows: function.lua, library.lua, process.lua, \
             workflow.lua, process.host, terminal.host, process.service, http.service, http.router, \
             http.endpoint, registry.entry, env.variable, env.storage.os, env.storage.memory, \
             env.storage.file, db.sql.sqlite, db.sql.postgres, temporal.client, temporal.worker, store.memory, store.sql)"
        );
        assert!(schema("http.static").is_none());
    }

    #[test]
    fn suggestions() {
        let fields = ["source", "method", "modules", "imports"];
        assert_eq!(suggest("mehtod", fields), Some("method"));
        assert_eq!(suggest("modules", fields), Some("modules"));
        assert_eq!(suggest("modle", fields), Some("modules"));
        assert_eq!(suggest("zzz", fields), None);
        assert_eq!(suggest("", fields), None);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
