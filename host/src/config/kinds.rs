//! The kinds luabox knows: the [`EntryKind`] trait and [`ALL`], the table of them. Each kind is
//! implemented beside the code that reads its fields (`db.rs` has `db.sql.sqlite` and
//! `db.sql.postgres`, `lua.rs` the four Lua kinds, ...): its schema, the part it plays at boot,
//! its secret fields, and how its spec is built. Adding a kind is its impl and one line in
//! [`ALL`].
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

use std::sync::LazyLock;

use super::build::{AppContext, FileContext, Reference};
use super::entry::Spec;
use super::id::EntryId;
use super::yaml::{Key, Node, Problem};
use super::{
    contract, db, env, env_storage, fs_directory, http, lua, namespace, process, queue, store,
    template, temporal,
};

pub struct Schema {
    pub kind: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// `registry.entry` takes any data.
    pub open: bool,
}

/// The part an entry of a kind plays at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Started or called on demand (Lua entries, routes, data).
    OnDemand,
    /// A service started at boot, in dependency order: process hosts, process services, HTTP
    /// servers.
    Service,
    /// A resource opened at boot when its `lifecycle:` says so: databases, stores, env storages,
    /// Temporal entries; it keeps that block beside its spec.
    Resource,
}

/// What building one entry of a kind sees and where its findings go.
pub struct Build<'a, 'f, 'c> {
    /// The entry's fields, interpolated.
    pub fields: &'a [(Key, Node)],
    pub id: &'a EntryId,
    /// The line of the entry's `name:`.
    pub line: usize,
    /// The entry's own `meta:`, interpolated.
    pub meta: Option<&'a Node>,
    pub file: &'a FileContext<'f>,
    pub app: &'a mut AppContext<'c>,
    pub problems: &'a mut Vec<Problem>,
    /// The references to other entries it makes, checked once every file is read.
    pub refs: &'a mut Vec<Reference>,
}

/// One `kind:` luabox knows: its fields, the part it plays, and how a checked entry of it is
/// built. Each kind is implemented beside the code that reads its fields, and listed in [`ALL`].
pub trait EntryKind: Sync {
    /// Its name and the fields it takes.
    fn schema(&self) -> &'static Schema;
    fn role(&self) -> Role {
        Role::OnDemand
    }
    /// Fields (dotted paths into its data) that hold credentials or stored values: the registry's
    /// view of an entry shows [`REDACTED`] in their place, so code granted `registry` sees that a
    /// field is set but not what it holds.
    fn secret_fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether processes can be spawned on it.
    fn hosts_processes(&self) -> bool {
        false
    }
    /// The typed spec of an entry whose fields passed the schema; `None` after a problem.
    fn build(&self, cx: &mut Build<'_, '_, '_>) -> Option<Spec>;
}

/// Declares a kind whose schema is its field lists: `entry_kind! { /// doc  Type: "kind.name",
/// required: [...], optional: [...], role: Resource, secrets: [...], hosts_processes: true,
/// build: |cx| ... }` (`role`, `secrets` and `hosts_processes` may be left out).
macro_rules! entry_kind {
    (
        $(#[$doc:meta])*
        $type:ident: $kind:literal,
        required: [$($required:literal),* $(,)?],
        optional: [$($optional:literal),* $(,)?],
        $(role: $role:ident,)?
        $(secrets: [$($secret:literal),* $(,)?],)?
        $(hosts_processes: $hosts:literal,)?
        build: |$cx:ident| $build:expr $(,)?
    ) => {
        $(#[$doc])*
        pub struct $type;

        impl $crate::config::kinds::EntryKind for $type {
            fn schema(&self) -> &'static $crate::config::kinds::Schema {
                &$crate::config::kinds::Schema {
                    kind: $kind,
                    required: &[$($required),*],
                    optional: &[$($optional),*],
                    open: false,
                }
            }

            $(fn role(&self) -> $crate::config::kinds::Role {
                $crate::config::kinds::Role::$role
            })?

            $(fn secret_fields(&self) -> &'static [&'static str] {
                &[$($secret),*]
            })?

            $(fn hosts_processes(&self) -> bool {
                $hosts
            })?

            fn build(
                &self,
                $cx: &mut $crate::config::kinds::Build<'_, '_, '_>,
            ) -> Option<$crate::config::entry::Spec> {
                $build
            }
        }
    };
}
pub(super) use entry_kind;

/// Every kind, in the order messages list them.
pub static ALL: &[&dyn EntryKind] = &[
    &lua::FUNCTION,
    &lua::LIBRARY,
    &lua::PROCESS,
    &lua::WORKFLOW,
    &process::Host,
    &process::Terminal,
    &process::Service,
    &http::Service,
    &http::Router,
    &http::Endpoint,
    &Data,
    &env::Variable,
    &env_storage::Os,
    &env_storage::Memory,
    &env_storage::File,
    &db::Sqlite,
    &db::Postgres,
    &temporal::Client,
    &temporal::Worker,
    &store::Memory,
    &store::Sql,
    &queue::Memory,
    &queue::Queue,
    &queue::Consumer,
    &contract::Definition,
    &contract::Binding,
    &fs_directory::Directory,
    &template::SetKind,
    &template::JetKind,
    &namespace::DEFINITION,
    &namespace::REQUIREMENT,
    &namespace::Dependency,
];

/// The kind named `kind`.
pub fn find(kind: &str) -> Option<&'static dyn EntryKind> {
    ALL.iter().copied().find(|k| k.schema().kind == kind)
}

fn names(keep: impl Fn(&dyn EntryKind) -> bool) -> Vec<&'static str> {
    ALL.iter()
        .filter(|kind| keep(**kind))
        .map(|kind| kind.schema().kind)
        .collect()
}

/// The kinds that take a `lifecycle:` block: services and resources.
pub static LIFECYCLE_KINDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| names(|kind| kind.role() != Role::OnDemand));

/// The kinds processes can be spawned on.
pub static PROCESS_HOST_KINDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| names(|kind| kind.hosts_processes()));

/// `registry.entry`: data for Lua code to read through `registry`.
struct Data;

impl EntryKind for Data {
    fn schema(&self) -> &'static Schema {
        &Schema {
            kind: "registry.entry",
            required: &[],
            optional: &[],
            open: true,
        }
    }

    fn build(&self, _: &mut Build<'_, '_, '_>) -> Option<Spec> {
        Some(Spec::Data)
    }
}

/// What a secret field shows in the registry.
pub const REDACTED: &str = "[redacted]";

/// The secret fields of `kind` (see [`EntryKind::secret_fields`]).
pub fn secret_fields(kind: &str) -> &'static [&'static str] {
    find(kind).map_or(&[], |kind| kind.secret_fields())
}

/// "unknown kind 'x' (luabox knows: ...)".
pub fn unknown_kind(kind: &str) -> String {
    let known = names(|_| true);
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
        find(kind)
            .unwrap()
            .schema()
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
        let message = unknown_kind("function.lau");
        assert!(
            message.starts_with(
                "unknown kind 'function.lau' (luabox knows: function.lua, library.lua, \
                 process.lua, workflow.lua, process.host, "
            ),
            "{message}"
        );
        assert_eq!(message.matches(", ").count() + 1, ALL.len(), "{message}");
        for kind in ALL {
            assert!(message.contains(kind.schema().kind), "{message}");
        }
        assert!(find("http.static").is_none());
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
