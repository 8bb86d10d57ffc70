//! The two forms of a definition file → its namespace, file meta and raw entries.
//!
//! ```yaml
//! version: "1.0"          # optional
//! namespace: app          # required: without it the file is not a luabox file
//! meta: {team: core}      # optional, merged under every entry's meta
//! limits: {memory: 32MiB} # optional, the default limits of this file's Lua entries
//! entries:                # the list form ...
//!   - name: hello
//!     kind: function.lua
//!     source: file://hello.lua
//!     method: main
//! ```
//!
//! ... or the single-entry form: `namespace`, `name`, `kind` and the entry's fields at the top
//! level, no `entries`. In an entry, `name`, `kind` and `meta` are set apart; every other key,
//! and the keys of an explicit `data:` mapping, are the entry's fields.

use std::collections::HashMap;
use std::path::Path;

use super::error::ConfigError;
use super::fields;
use super::id::{self, EntryId};
use super::yaml::{Key, Node};

pub struct RawFile {
    pub namespace: String,
    pub meta: Option<Node>,
    /// Default `limits:` for the file's Lua entries.
    pub limits: Option<Node>,
    pub entries: Vec<RawEntry>,
}

pub struct RawEntry {
    /// `None` when the name is missing or invalid (already reported).
    pub id: Option<EntryId>,
    /// The line of `name:`, else of the entry's first key.
    pub line: usize,
    /// The kind and the line of its value; `None` when missing or not a string (reported).
    pub kind: Option<(String, usize)>,
    pub meta: Option<Node>,
    pub fields: Vec<(Key, Node)>,
}

const TOP_LEVEL: &[&str] = &["version", "namespace", "meta", "limits", "entries"];

/// Reads a file whose root mapping has a `namespace` key; `None` when the namespace itself is
/// unusable (reported), since no entry id can be formed then.
pub fn read(root: &Node, yaml: &Path, errors: &mut Vec<ConfigError>) -> Option<RawFile> {
    let entries = root.as_map()?;
    let (_, ns_node) = entries.iter().find(|(k, _)| k.text == "namespace")?;
    let namespace = match fields::non_empty_string("namespace", ns_node) {
        Ok(ns) => ns,
        Err(p) => {
            errors.push(ConfigError::at(yaml, p.line, p.message));
            return None;
        }
    };
    if let Err(e) = id::check_namespace(&namespace) {
        errors.push(ConfigError::at(yaml, ns_node.line, e));
        return None;
    }
    if let Some(version) = root.get("version")
        && version.as_scalar().is_none()
    {
        errors.push(ConfigError::at(
            yaml,
            version.line,
            format!(
                "field 'version' must be a string, not {}",
                version.type_name()
            ),
        ));
    }

    let single = root.get("entries").is_none()
        && entries
            .iter()
            .any(|(k, _)| k.text == "name" || k.text == "kind");
    if single {
        let fields: Vec<(Key, Node)> = entries
            .iter()
            .filter(|(k, _)| k.text != "version" && k.text != "namespace")
            .cloned()
            .collect();
        let line = root.get("name").map_or(root.line, |n| n.line);
        let raw = entry(&namespace, fields, line, yaml, errors);
        return Some(RawFile {
            namespace,
            meta: None,
            limits: None,
            entries: vec![raw],
        });
    }

    for (key, _) in entries {
        if !TOP_LEVEL.contains(&key.text.as_str()) {
            errors.push(ConfigError::at(
                yaml,
                key.line,
                format!(
                    "unknown top-level key '{}' (expected one of: {}; or name and kind for a \
                     single-entry file)",
                    key.text,
                    TOP_LEVEL.join(", ")
                ),
            ));
        }
    }
    let meta = root.get("meta").filter(|m| !m.is_null()).cloned();
    if let Some(meta) = &meta
        && let Err(p) = fields::mapping("meta", meta)
    {
        errors.push(ConfigError::at(yaml, p.line, p.message));
    }
    let mut raw_entries = Vec::new();
    match root.get("entries") {
        None => {}
        Some(list) if list.is_null() => {}
        Some(list) => match list.as_seq() {
            None => errors.push(ConfigError::at(
                yaml,
                list.line,
                format!("field 'entries' must be a list, not {}", list.type_name()),
            )),
            Some(items) => {
                for item in items {
                    match item.as_map() {
                        Some(map) => {
                            let line = map
                                .iter()
                                .find(|(k, _)| k.text == "name")
                                .or(map.first())
                                .map_or(item.line, |(k, _)| k.line);
                            raw_entries.push(entry(&namespace, map.to_vec(), line, yaml, errors));
                        }
                        None => errors.push(ConfigError::at(
                            yaml,
                            item.line,
                            format!("an entry must be a mapping, not {}", item.type_name()),
                        )),
                    }
                }
            }
        },
    }
    Some(RawFile {
        namespace,
        meta,
        limits: root.get("limits").filter(|l| !l.is_null()).cloned(),
        entries: raw_entries,
    })
}

/// Splits one entry mapping into name, kind, meta and fields.
fn entry(
    namespace: &str,
    mapping: Vec<(Key, Node)>,
    line: usize,
    yaml: &Path,
    errors: &mut Vec<ConfigError>,
) -> RawEntry {
    let mut id = None;
    let mut name_seen = false;
    let mut kind_node = None;
    let mut meta = None;
    let mut data = None;
    let mut fields = Vec::new();
    for (key, node) in mapping {
        match key.text.as_str() {
            "name" => {
                name_seen = true;
                match fields::non_empty_string("name", &node) {
                    Ok(name) => match id::check_name(&name) {
                        Ok(()) => id = Some(EntryId::new(namespace, name)),
                        Err(e) => errors.push(ConfigError::at(yaml, node.line, e)),
                    },
                    Err(p) => errors.push(ConfigError::at(yaml, p.line, p.message)),
                }
            }
            "kind" => kind_node = Some((key, node)),
            "meta" => meta = Some(node).filter(|m| !m.is_null()),
            "data" => data = Some(node),
            _ => fields.push((key, node)),
        }
    }
    if !name_seen {
        errors.push(ConfigError::at(yaml, line, "missing required field 'name'"));
    }
    let report = |errors: &mut Vec<ConfigError>, line: usize, message: String| {
        errors.push(match &id {
            Some(id) => ConfigError::in_entry(yaml, line, id, message),
            None => ConfigError::at(yaml, line, message),
        });
    };
    let kind = match kind_node {
        None => {
            report(errors, line, "missing required field 'kind'".into());
            None
        }
        Some((_, node)) => match fields::non_empty_string("kind", &node) {
            Ok(kind) => Some((kind, node.line)),
            Err(p) => {
                report(errors, p.line, p.message);
                None
            }
        },
    };
    if let Some(meta) = &meta
        && let Err(p) = fields::mapping("meta", meta)
    {
        report(errors, p.line, p.message);
    }
    if let Some(data) = data.filter(|d| !d.is_null()) {
        match data.as_map() {
            Some(explicit) => {
                let inline: HashMap<String, usize> = fields
                    .iter()
                    .map(|(k, _)| (k.text.clone(), k.line))
                    .collect();
                for (key, node) in explicit {
                    if let Some(first) = inline.get(&key.text) {
                        let message = format!(
                            "field '{}' is given both in 'data:' and beside it (line {first})",
                            key.text
                        );
                        report(errors, key.line, message);
                    } else {
                        fields.push((key.clone(), node.clone()));
                    }
                }
            }
            None => report(
                errors,
                data.line,
                format!("field 'data' must be a mapping, not {}", data.type_name()),
            ),
        }
    }
    RawEntry {
        id,
        line,
        kind,
        meta,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::testing::*;
    use crate::config::{LuaKind, Spec};

    #[test]
    fn list_form_with_file_meta_and_data() {
        let app = TestApp::new(&[(
            "_index.yaml",
            "version: \"1.0\"\nnamespace: app.api\nmeta: {team: core, tier: gold}\nentries:\n\
                 \x20 - name: config\n    kind: registry.entry\n    meta: {tier: silver}\n\
                 \x20   port: 8080\n    tags: [a, b]\n\
                 \x20 - name: explicit\n    kind: registry.entry\n    data:\n      x: 1\n",
        )]);
        let app = app.app();
        assert_eq!(app.entries.len(), 2);
        let config = entry(&app, "app.api:config");
        assert_eq!(config.kind, "registry.entry");
        assert_eq!(
            serde_json::Value::Object(config.meta.clone()),
            json!({"team": "core", "tier": "silver"})
        );
        assert_eq!(
            serde_json::Value::Object(config.data.clone()),
            json!({"port": 8080, "tags": ["a", "b"]})
        );
        assert_eq!(config.location.line, 5);
        assert!(matches!(config.spec, Spec::Data));
        let explicit = entry(&app, "app.api:explicit");
        assert_eq!(
            serde_json::Value::Object(explicit.data.clone()),
            json!({"x": 1})
        );
    }

    #[test]
    fn single_entry_form() {
        let app = TestApp::new(&[
            (
                "w/worker.yaml",
                "# a worker\nnamespace: app\nname: worker\nkind: process.lua\nmeta: {type: worker}\n\
                 source: file://worker.lua\n",
            ),
            ("w/worker.lua", "return {}"),
        ])
        .app();
        let worker = entry(&app, "app:worker");
        assert_eq!(worker.location.line, 3);
        assert_eq!(worker.meta.get("type"), Some(&json!("worker")));
        assert_eq!(
            serde_json::Value::Object(worker.data.clone()),
            json!({"source": "file://worker.lua"})
        );
        let spec = lua(worker);
        assert_eq!(spec.kind, LuaKind::Process);
        assert_eq!(spec.method, None);
        assert_eq!(spec.source.chunk_name, "@w/worker.lua");
    }

    #[test]
    fn empty_and_foreign_files() {
        let app = TestApp::new(&[
            ("a.yaml", "namespace: app\nentries: []\n"),
            ("b.yaml", "namespace: app\nentries:\n"),
            ("c.yaml", "namespace: app\n"),
            ("compose.yml", "services: {web: {image: nginx}}\n"),
            ("tagged.yaml", "x: !Ref y\nz: &a 1\n"),
            ("list.yaml", "- 1\n- 2\n"),
            ("empty.yaml", ""),
            ("notes.txt", "namespace: ignored\n: : :"),
        ])
        .app();
        assert!(app.entries.is_empty());
    }

    #[test]
    fn top_level_problems() {
        let app = TestApp::new(&[(
            "_index.yaml",
            "namespace: app\nentires:\n  - {name: x, kind: registry.entry}\nmeta: [1]\n",
        )]);
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:2: unknown top-level key 'entires' (expected one of: version, namespace, \
                 meta, limits, entries; or name and kind for a single-entry file)",
                "_index.yaml:4: field 'meta' must be a mapping, not a list",
            ]
        );
        let app = TestApp::new(&[("_index.yaml", "namespace: app..x\nentries: []\n")]);
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:1: invalid namespace 'app..x' (use dot-separated segments of letters, \
              digits, '_' and '-')"
            ]
        );
        let app = TestApp::new(&[("_index.yaml", "namespace: app\nentries: {a: 1}\n")]);
        assert_eq!(
            app.errors(),
            ["_index.yaml:2: field 'entries' must be a list, not a mapping"]
        );
        let app = TestApp::new(&[("_index.yaml", "namespace: app\nentries:\n  - just text\n")]);
        assert_eq!(
            app.errors(),
            ["_index.yaml:3: an entry must be a mapping, not a string"]
        );
        let app = TestApp::new(&[("_index.yaml", "namespace: app\nentries: []\nentries: []\n")]);
        assert_eq!(
            app.errors(),
            ["_index.yaml:3: duplicate key 'entries' (first at line 2)"]
        );
    }

    #[test]
    fn name_and_kind_errors() {
        let app = one_file(
            "  - kind: registry.entry\n\
             \x20 - name: bad name\n    kind: registry.entry\n\
             \x20 - name: nokind\n    x: 1\n\
             \x20 - name: typo\n    kind: function.lau\n    source: x\n\
             \x20 - name: listkind\n    kind: [a]\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: missing required field 'name'",
                "_index.yaml:4: invalid name 'bad name' (use letters, digits, '.', '_' and '-')",
                "_index.yaml:6: entry 'app:nokind': missing required field 'kind'",
                "_index.yaml:9: entry 'app:typo': unknown kind 'function.lau' (luabox knows: \
                 function.lua, library.lua, process.lua, workflow.lua, process.host, terminal.host, process.service, \
                 http.service, http.router, http.endpoint, registry.entry, env.variable, env.storage.os, \
                 env.storage.memory, env.storage.file, db.sql.sqlite, db.sql.postgres, temporal.client, temporal.worker, store.memory, store.sql, template.set, template.jet)",
                "_index.yaml:12: entry 'app:listkind': field 'kind' must be a non-empty string, not a list",
            ]
        );
    }

    #[test]
    fn data_given_twice() {
        let app =
            one_file("  - name: d\n    kind: registry.entry\n    x: 1\n    data:\n      x: 2\n");
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:7: entry 'app:d': field 'x' is given both in 'data:' and beside it (line 5)"
            ]
        );
    }
}
