//! The fields of `store.memory` and `store.sql` (Wippy: wippyai/docs en/guides/entry-kinds.md) → [`Store`].
//!
//! ```yaml
//! - name: cache
//!   kind: store.memory
//!   max_size: 10000            # the most keys it holds (default 10000)
//!   cleanup_interval: 5m       # how often expired keys are swept (default 5m)
//! - name: sessions
//!   kind: store.sql
//!   database: app:db           # required: a db.sql.sqlite or db.sql.postgres entry
//!   table_name: kv_store       # the defaults of the four names
//!   id_column_name: id
//!   payload_column_name: payload
//!   expire_column_name: expires_at
//!   cleanup_interval: 5m
//! ```
//!
//! Table and column names become SQL identifiers, so they must be plain ones (letters, digits,
//! `_`, not starting with a digit): they cannot be bound as parameters.

use std::time::Duration;

use super::build::{self, Reference};
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub backend: StoreBackend,
    /// How often expired keys are removed (they are never returned once expired).
    pub cleanup_interval: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreBackend {
    Memory { max_size: u32 },
    Sql(SqlStore),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStore {
    /// A `db.sql.*` entry.
    pub database: EntryId,
    pub table: String,
    pub id_column: String,
    pub payload_column: String,
    pub expire_column: String,
}

pub const DEFAULT_MAX_SIZE: u32 = 10_000;
pub const DEFAULT_CLEANUP_INTERVAL: Duration = Duration::from_secs(300);

pub fn memory(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<Store> {
    let before = problems.len();
    let max_size = match fields::find(fields, "max_size") {
        None => Some(DEFAULT_MAX_SIZE),
        Some((_, node)) => fields::bounded_u32("max_size", node, 1)
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let cleanup_interval = cleanup_interval(fields, problems);
    match (max_size, cleanup_interval) {
        (Some(max_size), Some(cleanup_interval)) if problems.len() == before => Some(Store {
            backend: StoreBackend::Memory { max_size },
            cleanup_interval,
        }),
        _ => None,
    }
}

pub fn sql(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<Store>, Vec<Reference>) {
    let before = problems.len();
    let mut refs = Vec::new();
    let database = fields::find(fields, "database").and_then(|(key, node)| {
        let expect = &["db.sql.sqlite", "db.sql.postgres"];
        build::reference(
            "database", node, key.line, expect, &id.ns, &mut refs, problems,
        )
    });
    let mut name = |field: &str, default: &str| match fields::find(fields, field) {
        None => Some(default.to_owned()),
        Some((_, node)) => fields::non_empty_string(field, node)
            .and_then(|text| {
                if is_identifier(&text) {
                    Ok(text)
                } else {
                    Err(problem(
                        node.line,
                        format!(
                            "field '{field}' must be a plain SQL name (letters, digits and _, \
                             not starting with a digit), not '{text}'"
                        ),
                    ))
                }
            })
            .map_err(|p| problems.push(p))
            .ok(),
    };
    let table = name("table_name", "kv_store");
    let id_column = name("id_column_name", "id");
    let payload_column = name("payload_column_name", "payload");
    let expire_column = name("expire_column_name", "expires_at");
    let cleanup_interval = cleanup_interval(fields, problems);
    let store = match (
        database,
        table,
        id_column,
        payload_column,
        expire_column,
        cleanup_interval,
    ) {
        (
            Some(database),
            Some(table),
            Some(id_column),
            Some(payload_column),
            Some(expire_column),
            Some(cleanup_interval),
        ) if problems.len() == before => Some(Store {
            backend: StoreBackend::Sql(SqlStore {
                database,
                table,
                id_column,
                payload_column,
                expire_column,
            }),
            cleanup_interval,
        }),
        _ => None,
    };
    (store, refs)
}

fn cleanup_interval(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<Duration> {
    match fields::find(fields, "cleanup_interval") {
        None => Some(DEFAULT_CLEANUP_INTERVAL),
        Some((_, node)) => fields::duration("cleanup_interval", node)
            .map_err(|p| problems.push(p))
            .ok(),
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

entry_kind! {
    /// `store.memory`.
    Memory: "store.memory",
    required: [],
    optional: ["max_size", "cleanup_interval", "lifecycle"],
    role: Resource,
    build: |cx| memory(cx.fields, cx.problems).map(Spec::Store),
}

entry_kind! {
    /// `store.sql`.
    Sql: "store.sql",
    required: ["database"],
    optional: ["table_name", "id_column_name", "payload_column_name", "expire_column_name", "cleanup_interval", "lifecycle"],
    role: Resource,
    build: |cx| {
        let (store, found) = sql(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        store.map(Spec::Store)
    },
}

#[cfg(test)]
mod tests {
    use crate::config::Spec;
    use crate::config::store::{SqlStore, StoreBackend};
    use crate::config::testing::*;

    #[test]
    fn stores_take_their_defaults_and_check_names_and_references() {
        let app = one_file(
            "  - {name: db, kind: db.sql.sqlite, file: \":memory:\"}\n\
             \x20 - {name: cache, kind: store.memory}\n\
             \x20 - {name: kv, kind: store.sql, database: db, table_name: sessions}\n",
        )
        .app();
        let Spec::Store(cache) = &entry(&app, "app:cache").spec else {
            panic!("store.memory not built")
        };
        assert_eq!(cache.backend, StoreBackend::Memory { max_size: 10_000 });
        let Spec::Store(kv) = &entry(&app, "app:kv").spec else {
            panic!("store.sql not built")
        };
        let StoreBackend::Sql(SqlStore {
            database,
            table,
            id_column,
            ..
        }) = &kv.backend
        else {
            panic!("not a sql store")
        };
        assert_eq!(
            (database.to_string(), table.as_str(), id_column.as_str()),
            ("app:db".to_owned(), "sessions", "id")
        );

        let errors = one_file(
            "  - {name: cache, kind: store.memory, max_size: 0, cleanup_interval: 0s}\n\
             \x20 - {name: kv, kind: store.sql, database: cache, table_name: \"a; drop\"}\n",
        )
        .errors();
        assert_eq!(
            errors,
            [
                "_index.yaml:3: entry 'app:cache': field 'max_size' must be between 1 and \
                 4294967295, got 0",
                "_index.yaml:3: entry 'app:cache': field 'cleanup_interval' must be greater than zero",
                "_index.yaml:4: entry 'app:kv': field 'table_name' must be a plain SQL name \
                 (letters, digits and _, not starting with a digit), not 'a; drop'",
                "_index.yaml:4: entry 'app:kv': database refers to 'app:cache', which is a \
                 store.memory, not a db.sql.sqlite or db.sql.postgres",
            ]
        );
    }
}
