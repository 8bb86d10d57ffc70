//! One raw entry → a checked [`Entry`], or the problems that stop it, plus the references it
//! makes to other entries (checked once every file is read, in `validate.rs`).
//!
//! In order: `${env:..}` interpolation of meta and fields, the kind's field schema, then the
//! kind's own fields. Every problem is reported; the entry is kept only if there were none.

use std::path::Path;

use serde_json::{Map, Value};

use super::entry::{Entry, LimitOverrides};
use super::error::{ConfigError, Location};
use super::fields::{self, problem};
use super::file::RawEntry;
use super::id::EntryId;
use super::interpolate::{self, Env};
use super::kinds::{self, Build, Role};
use super::lifecycle::{self, Lifecycle};
use super::source::Sources;
use super::yaml::{self, Node, Problem};

/// A reference from one entry to another, e.g. an import.
#[derive(Debug, Clone)]
pub struct Reference {
    /// How messages name it: "import 'helpers'", "storage".
    pub label: String,
    pub target: EntryId,
    pub line: usize,
    /// The kinds the target may have.
    pub expect: &'static [&'static str],
}

/// Read the reference in `field` (an id, relative ones in namespace `ns`), record it in `refs`
/// to be checked against `expect` once every file is read, and return its target. A value
/// that is not an id is a problem at `node`'s line; `line` is where the reference is reported.
pub fn reference(
    field: &str,
    node: &Node,
    line: usize,
    expect: &'static [&'static str],
    ns: &str,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Option<EntryId> {
    let text = fields::non_empty_string(field, node)
        .map_err(|p| problems.push(p))
        .ok()?;
    let target = EntryId::resolve(&text, ns)
        .map_err(|e| problems.push(problem(node.line, format!("{field}: {e}"))))
        .ok()?;
    refs.push(Reference {
        label: field.to_owned(),
        target: target.clone(),
        line,
        expect,
    });
    Some(target)
}

/// An entry with a usable id, whether or not the rest of it was valid.
pub struct Candidate {
    pub id: EntryId,
    /// `None` when the kind was missing or not a string.
    pub kind: Option<String>,
    pub location: Location,
    pub refs: Vec<Reference>,
    /// `None` when the entry had problems.
    pub entry: Option<Entry>,
}

/// What every entry of one file shares.
pub struct FileContext<'a> {
    pub yaml: &'a Path,
    /// The YAML file's directory relative to the app root.
    pub yaml_dir: &'a Path,
    pub namespace: &'a str,
    /// The file's meta, interpolated.
    pub meta: &'a Map<String, Value>,
    /// The file's default limits for its Lua entries.
    pub limits: LimitOverrides,
}

/// What every entry of the app shares.
pub struct AppContext<'a> {
    pub modules: &'a [&'a str],
    pub env: Env<'a>,
    pub sources: Sources,
    /// Every `process.host` the app declares: a `process.service` without `host` runs on the
    /// only one.
    pub process_hosts: Vec<EntryId>,
}

pub fn entry(
    raw: RawEntry,
    file: &FileContext<'_>,
    app: &mut AppContext<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Candidate> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut fields = raw.fields;
    for (_, node) in &mut fields {
        interpolate::node(node, app.env, &mut problems);
    }
    let mut meta = file.meta.clone();
    let mut meta_node = raw.meta;
    if let Some(own) = &mut meta_node {
        interpolate::node(own, app.env, &mut problems);
        if let Some(own) = own.as_map() {
            meta.extend(yaml::map_to_json(own));
        }
    }

    // Without a valid name the entry is still checked, under a stand-in id never shown.
    let id = raw
        .id
        .clone()
        .unwrap_or_else(|| EntryId::new(file.namespace, "?"));
    let mut refs = Vec::new();
    let kind = match &raw.kind {
        None => None,
        Some((name, line)) => {
            let found = kinds::find(name);
            if found.is_none() {
                problems.push(problem(*line, kinds::unknown_kind(name)));
            }
            found
        }
    };
    let spec = kind.and_then(|kind| {
        problems.extend(kind.schema().check(&fields, raw.line));
        kind.build(&mut Build {
            fields: &fields,
            id: &id,
            line: raw.line,
            meta: meta_node.as_ref(),
            file,
            app,
            problems: &mut problems,
            refs: &mut refs,
        })
    });

    let resource_lifecycle = match kind {
        Some(kind) if kind.role() == Role::Resource => match fields::find(&fields, "lifecycle") {
            Some((_, node)) => lifecycle::parse(node, &id.ns, &mut refs, &mut problems),
            None => Some(Lifecycle::default()),
        },
        _ => None,
    };

    let clean = problems.is_empty();
    for p in problems {
        errors.push(match &raw.id {
            Some(id) => ConfigError::in_entry(file.yaml, p.line, id, p.message),
            None => ConfigError::at(file.yaml, p.line, p.message),
        });
    }
    let id = raw.id?;
    let location = Location::new(file.yaml, raw.line);
    let kind = raw.kind.map(|(kind, _)| kind);
    let entry = match (&kind, spec) {
        (Some(kind), Some(spec)) if clean => Some(Entry {
            id: id.clone(),
            kind: kind.clone(),
            meta,
            data: yaml::map_to_json(&fields),
            location: location.clone(),
            spec,
            resource_lifecycle,
        }),
        _ => None,
    };
    Some(Candidate {
        id,
        kind,
        location,
        refs,
        entry,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::testing::*;
    use crate::config::{Pool, PoolKind};

    #[test]
    fn unknown_and_missing_fields() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    mehtod: main\n\
             \x20 - name: g\n    kind: function.lua\n    source: file://main.lua\n\
             \x20 - name: h\n    kind: library.lua\n    source: file://lib.lua\n    pool: {type: lazy}\n\
             \x20 - name: s\n    kind: env.storage.os\n    path: /x\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:6: entry 'app:f': unknown field 'mehtod' for kind function.lua (expected \
                 one of: source, method, modules, imports, pool, limits, allowed_hosts, resources, \
                 security); did you mean 'method'?",
                "_index.yaml:7: entry 'app:g': missing required field 'method' for kind function.lua",
                "_index.yaml:13: entry 'app:h': unknown field 'pool' for kind library.lua (expected one \
                 of: source, method, modules, imports, limits, resources)",
                "_index.yaml:16: entry 'app:s': unknown field 'path' for kind env.storage.os (expected \
                 one of: lifecycle)",
            ]
        );
    }

    #[test]
    fn wrong_types() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: \"\"\n\
             \x20   modules: json\n    imports: [a]\n\
             \x20 - name: g\n    kind: process.lua\n    source: [x]\n    meta: 3\n\
             \x20 - name: d\n    kind: registry.entry\n    data: [1]\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:6: entry 'app:f': field 'method' must not be empty",
                "_index.yaml:7: entry 'app:f': field 'modules' must be a list of strings, not a string",
                "_index.yaml:8: entry 'app:f': field 'imports' must be a mapping, not a list",
                "_index.yaml:11: entry 'app:g': field 'source' must be a string, not a list",
                "_index.yaml:12: entry 'app:g': field 'meta' must be a mapping, not a number",
                "_index.yaml:15: entry 'app:d': field 'data' must be a mapping, not a list",
            ]
        );
    }

    #[test]
    fn interpolation_in_data_and_meta() {
        let loaded = TestApp::new(&[(
            "_index.yaml",
            "namespace: app\nmeta: {owner: \"${env:HOST}\"}\nentries:\n\
             \x20 - name: r\n    kind: registry.entry\n    meta: {route: \"/${env:PREFIX|api}\"}\n\
             \x20   url: \"pg://${env:HOST}:${env:PORT|5432}/db\"\n    price: \"$${env:HOST}\"\n\
             \x20   list: [\"${env:HOST}\", 2]\n    keep: \"${other}\"\n",
        )])
        .app();
        let r = entry(&loaded, "app:r");
        assert_eq!(
            serde_json::Value::Object(r.meta.clone()),
            json!({"owner": "db.local", "route": "/api"})
        );
        assert_eq!(
            serde_json::Value::Object(r.data.clone()),
            json!({"url": "pg://db.local:5432/db", "price": "${env:HOST}",
                   "list": ["db.local", 2], "keep": "${other}"})
        );
    }

    #[test]
    fn interpolation_feeds_typed_fields() {
        let loaded = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n\
             \x20   method: ${env:METHOD|main}\n    pool: {type: lazy, size: \"${env:POOL|6}\"}\n",
        )
        .app();
        let f = lua(entry(&loaded, "app:f"));
        assert_eq!(f.method.as_deref(), Some("main"));
        assert_eq!(
            f.pool,
            Pool::Bounded {
                kind: PoolKind::Lazy,
                size: 6
            }
        );
    }

    #[test]
    fn missing_variables_are_errors_at_their_line() {
        let app = TestApp::new(&[(
            "_index.yaml",
            "namespace: app\nmeta: {a: \"${env:NOPE_FILE}\"}\nentries:\n\
             \x20 - name: r\n    kind: registry.entry\n    meta:\n      m: ${env:NOPE_META}\n\
             \x20   x: ${env:NOPE_DATA}\n    y: \"${env:HOST\"\n",
        )]);
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:2: environment variable NOPE_FILE is not set and has no default",
                "_index.yaml:7: entry 'app:r': environment variable NOPE_META is not set and has no default",
                "_index.yaml:8: entry 'app:r': environment variable NOPE_DATA is not set and has no default",
                "_index.yaml:9: entry 'app:r': unterminated '${env:' in \"${env:HOST\" (expected \
                 '${env:NAME}' or '${env:NAME|default}')",
            ]
        );
    }
}
