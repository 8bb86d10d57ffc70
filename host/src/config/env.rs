//! The fields of `env.variable` → [`EnvVariable`].
//!
//! ```yaml
//! - name: db_url
//!   kind: env.variable
//!   variable: DATABASE_URL     # the public name Lua asks env.get for; without it the variable
//!                              # is private: env.get takes its entry id only
//!   storage: os_env            # optional: an env.storage.os, .memory or .file entry
//!   default: sqlite://app.db   # optional
//!   readonly: true             # optional, default false (also spelt read_only)
//! ```

use super::build::{self, Reference};
use super::entry::EnvVariable;
use super::entry::Spec;
use super::fields;
use super::id::EntryId;
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

/// The kinds a variable's `storage` may name.
pub const STORAGE_KINDS: &[&str] = &["env.storage.os", "env.storage.memory", "env.storage.file"];

/// The variable, when all its fields are valid, and its reference to a storage entry.
pub fn build(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<EnvVariable>, Vec<Reference>) {
    let before = problems.len();
    let field = |name: &str| fields.iter().find(|(k, _)| k.text == name);
    let mut refs = Vec::new();

    let variable = field("variable")
        .filter(|(_, n)| !n.is_null())
        .and_then(|(_, node)| {
            fields::non_empty_string("variable", node)
                .map_err(|p| problems.push(p))
                .ok()
        });
    let storage = field("storage")
        .filter(|(_, n)| !n.is_null())
        .and_then(|(key, node)| {
            let line = key.line;
            build::reference(
                "storage",
                node,
                line,
                STORAGE_KINDS,
                &id.ns,
                &mut refs,
                problems,
            )
        });
    let mut default = None;
    if let Some((_, node)) = field("default").filter(|(_, n)| !n.is_null()) {
        match fields::string("default", node) {
            Ok(text) => default = Some(text),
            Err(p) => problems.push(p),
        }
    }
    let mut readonly = false;
    for name in ["readonly", "read_only"] {
        if let Some((_, node)) = field(name) {
            match fields::boolean(name, node) {
                Ok(b) => readonly |= b,
                Err(p) => problems.push(p),
            }
        }
    }
    let entry = (problems.len() == before).then_some(EnvVariable {
        variable,
        storage,
        default,
        readonly,
    });
    (entry, refs)
}

entry_kind! {
    /// `env.variable`.
    Variable: "env.variable",
    required: [],
    optional: ["variable", "storage", "default", "readonly", "read_only"],
    build: |cx| {
        let (variable, found) = build(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        variable.map(Spec::EnvVariable)
    },
}

#[cfg(test)]
mod tests {
    use crate::config::Spec;
    use crate::config::testing::*;

    #[test]
    fn env_variable_and_storage() {
        let loaded = one_file(
            "  - {name: os, kind: env.storage.os}\n\
             \x20 - name: db\n    kind: env.variable\n    variable: DATABASE_URL\n    storage: os\n\
             \x20   default: 5432\n    readonly: true\n\
             \x20 - {name: plain, kind: env.variable, variable: X}\n",
        )
        .app();
        match &entry(&loaded, "app:db").spec {
            Spec::EnvVariable(v) => {
                assert_eq!(v.variable.as_deref(), Some("DATABASE_URL"));
                assert_eq!(v.storage, Some("app:os".parse().unwrap()));
                assert_eq!(v.default.as_deref(), Some("5432"));
                assert!(v.readonly);
            }
            other => panic!("{other:?}"),
        }
        match &entry(&loaded, "app:plain").spec {
            Spec::EnvVariable(v) => {
                assert_eq!(
                    (v.storage.as_ref(), v.default.as_ref(), v.readonly),
                    (None, None, false)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            entry(&loaded, "app:os").spec,
            Spec::EnvStorage(crate::config::env_storage::EnvStorage::Os)
        ));
    }

    #[test]
    fn field_errors() {
        let app = one_file(
            "  - {name: c, kind: env.variable, variable: C, readonly: yes}\n\
             \x20 - {name: d, kind: env.variable, variable: \"\"}\n\
             \x20 - {name: e, kind: env.variable, variable: E, default: [1], storage: \"a:b:c\"}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: entry 'app:c': field 'readonly' must be true or false, not a string",
                "_index.yaml:4: entry 'app:d': field 'variable' must not be empty",
                "_index.yaml:5: entry 'app:e': storage: invalid entry id 'a:b:c': invalid name 'b:c' \
                 (use letters, digits, '.', '_' and '-')",
                "_index.yaml:5: entry 'app:e': field 'default' must be a string, not a list",
            ]
        );
    }
}
