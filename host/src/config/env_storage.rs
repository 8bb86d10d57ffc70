//! The fields of `env.storage.os`, `env.storage.memory` and `env.storage.file` →
//! [`EnvStorage`] (Wippy: wippyai/docs en/guides/entry-kinds.md). What they mean at run time is [`crate::env`]'s.
//!
//! ```yaml
//! - name: host_env
//!   kind: env.storage.os          # no fields: the host's environment, writes to an overlay
//! - name: scratch
//!   kind: env.storage.memory
//!   values: {MODE: dev}           # optional: initial name → value
//! - name: secrets
//!   kind: env.storage.file
//!   file_path: config/app.env     # required: a dotenv file inside the app directory
//!   auto_create: true             # default false: a missing file is then an error at load
//!   file_mode: 0640               # default 0600: the mode of a file luabox creates (octal)
//! ```
//!
//! Like a SQLite `file`, `file_path` may not leave the app directory (no absolute path, no `..`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::entry::Spec;
use super::fields::{self, problem};
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

/// An `env.storage.*` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvStorage {
    /// `env.storage.os`: the host's environment, read live; writes go to an overlay in luabox.
    Os,
    /// `env.storage.memory`: values kept in memory while the app runs, starting from these.
    Memory(BTreeMap<String, String>),
    /// `env.storage.file`: a dotenv file.
    File(EnvFile),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// Relative to the app directory.
    pub path: PathBuf,
    /// Whether a missing file is an empty storage (created on the first write) rather than an
    /// error.
    pub auto_create: bool,
    /// The permission bits of a file luabox creates.
    pub mode: u32,
}

impl EnvFile {
    pub const DEFAULT_MODE: u32 = 0o600;
}

/// `env.storage.memory`.
pub fn memory(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<EnvStorage> {
    let before = problems.len();
    let mut values = BTreeMap::new();
    if let Some((_, node)) = fields::find(fields, "values") {
        fields::each_field("values", node, problems, |key, value, field, _| {
            values.insert(key.text.clone(), fields::string(field, value)?);
            Ok(())
        });
    }
    (problems.len() == before).then_some(EnvStorage::Memory(values))
}

/// `env.storage.file`.
pub fn file(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<EnvStorage> {
    let before = problems.len();
    let path = fields::find(fields, "file_path").and_then(|(_, node)| {
        fields::path_inside_app("file_path", node, "file path")
            .map_err(|p| problems.push(p))
            .ok()
    });
    let mut auto_create = false;
    if let Some((_, node)) = fields::find(fields, "auto_create") {
        match fields::boolean("auto_create", node) {
            Ok(b) => auto_create = b,
            Err(p) => problems.push(p),
        }
    }
    let mut mode = EnvFile::DEFAULT_MODE;
    if let Some((_, node)) = fields::find(fields, "file_mode") {
        match file_mode(node) {
            Ok(m) => mode = m,
            Err(p) => problems.push(p),
        }
    }
    match path {
        Some(path) if problems.len() == before => Some(EnvStorage::File(EnvFile {
            path,
            auto_create,
            mode,
        })),
        _ => None,
    }
}

/// Octal permission bits, written `0600`, `600` or `0o600` (a YAML integer or a string), that
/// let the owner read and write: luabox reads the file at every load and rewrites it.
fn file_mode(node: &Node) -> Result<u32, Problem> {
    let mode = fields::octal_mode("file_mode", node, "0600 or 0640")?;
    if mode & 0o600 != 0o600 {
        return Err(problem(
            node.line,
            format!(
                "field 'file_mode' must let the owner read and write (0600 at least), not {}",
                node.as_scalar().map(|s| s.text.trim()).unwrap_or_default()
            ),
        ));
    }
    Ok(mode)
}

entry_kind! {
    /// `env.storage.os`.
    Os: "env.storage.os",
    required: [],
    optional: ["lifecycle"],
    role: Resource,
    build: |_cx| Some(Spec::EnvStorage(EnvStorage::Os)),
}

entry_kind! {
    /// `env.storage.memory`.
    Memory: "env.storage.memory",
    required: [],
    optional: ["values", "lifecycle"],
    role: Resource,
    secrets: ["values"],
    build: |cx| memory(cx.fields, cx.problems).map(Spec::EnvStorage),
}

entry_kind! {
    /// `env.storage.file`.
    File: "env.storage.file",
    required: ["file_path"],
    optional: ["auto_create", "file_mode", "lifecycle"],
    role: Resource,
    build: |cx| file(cx.fields, cx.problems).map(Spec::EnvStorage),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Spec;
    use crate::config::testing::*;

    fn storage(app: &crate::config::App, id: &str) -> EnvStorage {
        match &entry(app, id).spec {
            Spec::EnvStorage(storage) => storage.clone(),
            other => panic!("{id} is {other:?}"),
        }
    }

    #[test]
    fn storages_are_read() {
        let app = one_file(
            "  - {name: os, kind: env.storage.os}\n\
             \x20 - {name: mem, kind: env.storage.memory}\n\
             \x20 - {name: preset, kind: env.storage.memory, values: {A: x, B: 2}}\n\
             \x20 - {name: f, kind: env.storage.file, file_path: conf/app.env}\n\
             \x20 - name: g\n    kind: env.storage.file\n    file_path: ./g.env\n\
             \x20   auto_create: true\n    file_mode: 0640\n\
             \x20 - {name: h, kind: env.storage.file, file_path: h.env, file_mode: \"0o644\"}\n\
             \x20 - {name: v, kind: env.variable, variable: V, storage: f}\n",
        )
        .app();
        assert_eq!(storage(&app, "app:os"), EnvStorage::Os);
        assert_eq!(
            storage(&app, "app:mem"),
            EnvStorage::Memory(BTreeMap::new())
        );
        assert_eq!(
            storage(&app, "app:preset"),
            EnvStorage::Memory(BTreeMap::from([
                ("A".into(), "x".into()),
                ("B".into(), "2".into())
            ]))
        );
        assert_eq!(
            storage(&app, "app:f"),
            EnvStorage::File(EnvFile {
                path: "conf/app.env".into(),
                auto_create: false,
                mode: 0o600
            })
        );
        assert_eq!(
            storage(&app, "app:g"),
            EnvStorage::File(EnvFile {
                path: "./g.env".into(),
                auto_create: true,
                mode: 0o640
            })
        );
        assert!(matches!(storage(&app, "app:h"), EnvStorage::File(f) if f.mode == 0o644));
    }

    #[test]
    fn bad_storages_name_the_field_and_line() {
        let app = one_file(
            "  - {name: a, kind: env.storage.file, file_path: /etc/app.env}\n\
             \x20 - {name: b, kind: env.storage.file, file_path: ../up.env, auto_create: 1}\n\
             \x20 - {name: c, kind: env.storage.file, file_path: c.env, file_mode: 0800}\n\
             \x20 - {name: d, kind: env.storage.file, file_path: d.env, file_mode: 0400}\n\
             \x20 - {name: e, kind: env.storage.file}\n\
             \x20 - {name: f, kind: env.storage.file, path: f.env}\n\
             \x20 - {name: g, kind: env.storage.memory, values: [1]}\n\
             \x20 - {name: h, kind: env.storage.memory, values: {A: [1]}, max: 3}\n\
             \x20 - {name: i, kind: env.variable, variable: I, read_only: yes}\n\
             \x20 - {name: j, kind: env.storage.file, file_path: .}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: entry 'app:a': field 'file_path' must be a file path inside the \
                 app directory (no absolute path, no '..'), not '/etc/app.env'",
                "_index.yaml:4: entry 'app:b': field 'file_path' must be a file path inside the \
                 app directory (no absolute path, no '..'), not '../up.env'",
                "_index.yaml:4: entry 'app:b': field 'auto_create' must be true or false, not a \
                 number",
                "_index.yaml:5: entry 'app:c': field 'file_mode' must be octal permission bits \
                 such as 0600 or 0640, not '0800'",
                "_index.yaml:6: entry 'app:d': field 'file_mode' must let the owner read and \
                 write (0600 at least), not 0400",
                "_index.yaml:7: entry 'app:e': missing required field 'file_path' for kind \
                 env.storage.file",
                "_index.yaml:8: entry 'app:f': unknown field 'path' for kind env.storage.file \
                 (expected one of: file_path, auto_create, file_mode, lifecycle)",
                "_index.yaml:8: entry 'app:f': missing required field 'file_path' for kind \
                 env.storage.file",
                "_index.yaml:9: entry 'app:g': field 'values' must be a mapping, not a list",
                "_index.yaml:10: entry 'app:h': unknown field 'max' for kind env.storage.memory \
                 (expected one of: values, lifecycle)",
                "_index.yaml:10: entry 'app:h': field 'values.A' must be a string, not a list",
                "_index.yaml:11: entry 'app:i': field 'read_only' must be true or false, not a \
                 string",
                "_index.yaml:12: entry 'app:j': field 'file_path' must be a file path inside the \
                 app directory (no absolute path, no '..'), not '.'",
            ]
        );
    }
}
