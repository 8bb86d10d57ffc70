//! The fields of the Lua kinds (`function.lua`, `library.lua`, `process.lua`, `workflow.lua`)
//! → [`LuaEntry`].
//!
//! Checked here, entry by entry: the source is readable, every `modules:` name is one luabox
//! provides, every import alias is usable with `require` (it may shadow a module, as in
//! Wippy), and every import reference is a well-formed id. Whether the imported entry exists
//! and is a Lua entry is checked once all files are read (`validate.rs`), from the returned [`Reference`]s.

use std::collections::BTreeMap;
use std::path::Path;

use super::build::Reference;
use super::entry::Spec;
use super::entry::{LimitOverrides, LuaEntry, LuaKind, Pool};
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::suggest;
use super::kinds::{Build, EntryKind, Schema};
use super::source::{Site, Sources};
use super::yaml::{Key, Node, Problem};
use super::{limits, pool};
use crate::http::allowlist::HostPattern;

pub struct Context<'a> {
    pub id: &'a EntryId,
    pub yaml: &'a Path,
    pub yaml_dir: &'a Path,
    /// The file's `limits:`, which the entry's own override field by field.
    pub default_limits: LimitOverrides,
    /// The modules luabox provides.
    pub modules: &'a [&'a str],
    pub sources: &'a mut Sources,
}

/// The entry, when all its fields are valid, and its references to other entries.
pub fn build(
    kind: LuaKind,
    fields: &[(Key, Node)],
    cx: Context<'_>,
    problems: &mut Vec<Problem>,
) -> (Option<LuaEntry>, Vec<Reference>) {
    let before = problems.len();
    let field = |name: &str| fields.iter().find(|(k, _)| k.text == name);
    let mut refs = Vec::new();

    let source = field("source").and_then(|(key, node)| {
        let text = fields::string("source", node)
            .map_err(|p| problems.push(p))
            .ok()?;
        let site = Site {
            id: cx.id,
            yaml: cx.yaml,
            yaml_dir: cx.yaml_dir,
            line: key.line,
            value_line: node.line,
        };
        cx.sources
            .resolve(&text, &site)
            .map_err(|m| problems.push(problem(node.line, m)))
            .ok()
    });

    let mut method = None;
    if let Some((_, node)) = field("method") {
        match fields::non_empty_string("method", node) {
            Ok(m) => method = Some(m),
            Err(p) => problems.push(p),
        }
    } else if kind == LuaKind::Workflow {
        method = Some("main".to_string());
    }

    let mut modules: Vec<String> = Vec::new();
    if let Some((_, node)) = field("modules").filter(|(_, n)| !n.is_null()) {
        match fields::string_list("modules", node) {
            Ok(names) => {
                for (name, line) in names {
                    // `channel` is a global in every sandbox, not a module; the reference
                    // runtime tolerates it in `modules:`, so luabox does too, and drops it.
                    if name == "channel" {
                        continue;
                    }
                    if !cx.modules.contains(&name.as_str()) {
                        problems.push(problem(line, unknown_module(&name, cx.modules)));
                    } else if !modules.contains(&name) {
                        modules.push(name);
                    }
                }
            }
            Err(p) => problems.push(p),
        }
    }

    let mut imports = BTreeMap::new();
    let mut module_imports = BTreeMap::new();
    if let Some((_, node)) = field("imports").filter(|(_, n)| !n.is_null()) {
        match fields::mapping("imports", node) {
            Ok(entries) => {
                for (alias, target) in entries {
                    // `:NAME` is luabox's module NAME under another name, granted as if listed.
                    let module = target
                        .as_scalar()
                        .and_then(|s| s.text.strip_prefix(':'))
                        .filter(|name| !name.contains(':'));
                    if let Some(name) = module {
                        if let Err(p) = check_alias(alias) {
                            problems.push(p);
                            continue;
                        }
                        if !cx.modules.contains(&name) {
                            let message = format!(
                                "import '{}': {}",
                                alias.text,
                                unknown_module(name, cx.modules)
                            );
                            problems.push(problem(target.line, message));
                            continue;
                        }
                        if !modules.iter().any(|m| m == name) {
                            modules.push(name.to_owned());
                        }
                        module_imports.insert(alias.text.clone(), name.to_owned());
                        continue;
                    }
                    match import(alias, target, cx.id) {
                        Ok(reference) => {
                            imports.insert(alias.text.clone(), reference.target.clone());
                            refs.push(reference);
                        }
                        Err(p) => problems.push(p),
                    }
                }
            }
            Err(p) => problems.push(p),
        }
    }

    let pool = match field("pool") {
        Some((_, node)) => pool::parse(node).map_err(|ps| problems.extend(ps)).ok(),
        None => Some(Pool::Inline),
    };
    let limits = match field("limits") {
        Some((_, node)) => limits::parse(node).map_err(|ps| problems.extend(ps)).ok(),
        None => Some(Default::default()),
    }
    .map(|own| own.or(cx.default_limits));

    let mut allowed_hosts = Vec::new();
    if let Some((_, node)) = field("allowed_hosts").filter(|(_, n)| !n.is_null()) {
        match fields::string_list("allowed_hosts", node) {
            Ok(patterns) => {
                for (text, line) in patterns {
                    match HostPattern::parse(&text) {
                        Ok(pattern) => allowed_hosts.push(pattern),
                        Err(message) => problems.push(problem(line, message)),
                    }
                }
            }
            Err(p) => problems.push(p),
        }
    }

    let resources = resources(field("resources"), cx.id, &mut refs, problems);
    // Kept in the entry's data, as written, for the security module to come; its shape is
    // checked now so that a mistake shows at load.
    if let Some((_, node)) = field("security").filter(|(_, n)| !n.is_null())
        && let Err(p) = fields::mapping("security", node)
    {
        problems.push(p);
    }

    let entry = match (source, pool, limits) {
        (Some(source), Some(pool), Some(limits)) if problems.len() == before => Some(LuaEntry {
            kind,
            source,
            method,
            modules,
            imports,
            module_imports,
            pool,
            limits,
            allowed_hosts,
            resources,
            temporal: None,
        }),
        _ => None,
    };
    (entry, refs)
}

/// The kinds an entry's `resources:` may name: what `sql.get`, `store.get` and `templates.get`
/// open.
pub const RESOURCE_KINDS: &[&str] = &[
    "db.sql.sqlite",
    "db.sql.postgres",
    "store.memory",
    "store.sql",
    "fs.directory",
    "template.set",
];

/// The `resources:` list: ids of databases and stores the entry may open, each checked later to
/// exist with one of [`RESOURCE_KINDS`].
fn resources(
    field: Option<&(Key, Node)>,
    id: &EntryId,
    refs: &mut Vec<Reference>,
    problems: &mut Vec<Problem>,
) -> Vec<EntryId> {
    let Some((_, node)) = field.filter(|(_, n)| !n.is_null()) else {
        return Vec::new();
    };
    let names = match fields::string_list("resources", node) {
        Ok(names) => names,
        Err(p) => {
            problems.push(p);
            return Vec::new();
        }
    };
    let mut granted: Vec<EntryId> = Vec::new();
    for (text, line) in names {
        match EntryId::resolve(&text, &id.ns) {
            Ok(target) => {
                if !granted.contains(&target) {
                    granted.push(target.clone());
                }
                refs.push(Reference {
                    label: "resources".into(),
                    target,
                    line,
                    expect: RESOURCE_KINDS,
                });
            }
            Err(e) => problems.push(problem(line, format!("resources: {e}"))),
        }
    }
    granted
}

fn unknown_module(name: &str, provided: &[&str]) -> String {
    let mut message = format!(
        "unknown module '{name}' (luabox provides: {})",
        provided.join(", ")
    );
    if let Some(near) = suggest(name, provided.iter().copied()) {
        message.push_str(&format!("; did you mean '{near}'?"));
    }
    message
}

/// The kinds `imports:` may name: any Lua entry whose chunk returns a value, as in Wippy
/// (`require` runs the chunk in the importer's sandbox and returns what it returned; a
/// function's `method:` plays no part).
pub const IMPORTABLE: &[&str] = &["library.lua", "function.lua", "process.lua"];

fn check_alias(alias: &Key) -> Result<(), Problem> {
    let name = alias.text.as_str();
    let usable = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if usable {
        Ok(())
    } else {
        Err(problem(
            alias.line,
            format!("invalid import alias '{name}' (use letters, digits, '_' and '.')"),
        ))
    }
}

fn import(alias: &Key, target: &Node, id: &EntryId) -> Result<Reference, Problem> {
    check_alias(alias)?;
    let name = alias.text.as_str();
    let reference = fields::non_empty_string(&format!("imports.{name}"), target)?;
    let target_id = EntryId::resolve(&reference, &id.ns)
        .map_err(|e| problem(target.line, format!("import '{name}': {e}")))?;
    Ok(Reference {
        label: format!("import '{name}'"),
        target: target_id,
        line: alias.line,
        expect: IMPORTABLE,
    })
}

/// A Lua entry kind: `function.lua`, `library.lua`, `process.lua` or `workflow.lua`.
pub struct Lua {
    kind: LuaKind,
}

pub static FUNCTION: Lua = Lua {
    kind: LuaKind::Function,
};
pub static LIBRARY: Lua = Lua {
    kind: LuaKind::Library,
};
pub static PROCESS: Lua = Lua {
    kind: LuaKind::Process,
};
pub static WORKFLOW: Lua = Lua {
    kind: LuaKind::Workflow,
};

const SCHEMA_FUNCTION: Schema = Schema {
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
};

const SCHEMA_LIBRARY: Schema = Schema {
    kind: "library.lua",
    required: &["source"],
    optional: &["method", "modules", "imports", "limits", "resources"],
    open: false,
};

const SCHEMA_PROCESS: Schema = Schema {
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
};

const SCHEMA_WORKFLOW: Schema = Schema {
    kind: "workflow.lua",
    required: &["source"],
    optional: &["method", "modules", "imports", "limits"],
    open: false,
};

impl EntryKind for Lua {
    fn schema(&self) -> &'static Schema {
        match self.kind {
            LuaKind::Function => &SCHEMA_FUNCTION,
            LuaKind::Library => &SCHEMA_LIBRARY,
            LuaKind::Process => &SCHEMA_PROCESS,
            LuaKind::Workflow => &SCHEMA_WORKFLOW,
        }
    }

    fn build(&self, cx: &mut Build<'_, '_, '_>) -> Option<Spec> {
        let context = Context {
            id: cx.id,
            yaml: cx.file.yaml,
            yaml_dir: cx.file.yaml_dir,
            default_limits: cx.file.limits,
            modules: cx.app.modules,
            sources: &mut cx.app.sources,
        };
        let (lua, found) = build(self.kind, cx.fields, context, cx.problems);
        cx.refs.extend(found);
        let temporal = super::temporal::binding(cx.meta, self.kind, cx.id, cx.refs, cx.problems);
        lua.map(|lua| Spec::Lua(LuaEntry { temporal, ..lua }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::testing::*;
    use crate::config::{EntryId, LimitOverrides, LuaKind, Pool, PoolKind, load_with_env};

    #[test]
    fn a_colon_import_is_a_module_under_another_name() {
        let loaded = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   imports: {base_registry: \":registry\", j: \":json\"}\n    modules: [json]\n",
        )
        .app();
        let f = lua(entry(&loaded, "app:f"));
        assert_eq!(f.modules, ["json", "registry"]);
        assert_eq!(f.module_imports.get("base_registry").unwrap(), "registry");
        assert_eq!(f.module_imports.get("j").unwrap(), "json");
        assert!(f.imports.is_empty());
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   imports: {reg: \":registri\"}\n",
        );
        let errors = app.errors();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with(
                "_index.yaml:7: entry 'app:f': import 'reg': unknown module 'registri' (luabox \
                 provides: "
            ) && errors[0].ends_with("; did you mean 'registry'?"),
            "{errors:?}"
        );
    }

    #[test]
    fn lua_entry_fields() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   modules: [json, time, json]\n    imports: {helpers: lib, other: app:lib}\n\
             \x20   pool: {type: static, size: 4}\n    limits: {memory: 32MiB, timeout: 5s, max_payload: 1KiB}\n\
             \x20 - name: lib\n    kind: library.lua\n    source: file://lib.lua\n\
             \x20 - name: w\n    kind: workflow.lua\n    source: file://main.lua\n",
        );
        let loaded = app.app();
        let f = lua(entry(&loaded, "app:f"));
        assert_eq!(f.kind, LuaKind::Function);
        assert_eq!(f.method.as_deref(), Some("main"));
        assert_eq!(f.modules, ["json", "time"]);
        let lib: EntryId = "app:lib".parse().unwrap();
        assert_eq!(f.imports.get("helpers"), Some(&lib));
        assert_eq!(f.imports.get("other"), Some(&lib));
        assert_eq!(
            f.pool,
            Pool::Bounded {
                kind: PoolKind::Static,
                size: 4
            }
        );
        assert_eq!(
            f.limits,
            LimitOverrides {
                memory: Some(32 << 20),
                timeout: Some(Duration::from_secs(5)),
                max_payload: Some(1024),
                max_pending: None,
            }
        );
        assert_eq!(f.source.chunk_name, "@main.lua");
        assert_eq!(&*f.source.text, "return { main = function() end }");
        assert_eq!(f.source.path, app.root().join("main.lua"));
        let w = lua(entry(&loaded, "app:w"));
        assert_eq!(w.kind, LuaKind::Workflow);
        assert_eq!(w.method.as_deref(), Some("main"));
        assert_eq!(w.pool, Pool::Inline);
        assert_eq!(w.limits, LimitOverrides::default());
    }

    #[test]
    fn inline_source() {
        let loaded = one_file(
            "  - name: f\n    kind: function.lua\n    method: main\n    source: |\n      return 1\n",
        )
        .app();
        let source = &lua(entry(&loaded, "app:f")).source;
        assert_eq!(source.chunk_name, "=app:f");
        assert_eq!(&*source.text, "return 1\n");
        assert_eq!(source.location.line, 6);
        assert_eq!(source.first_line, 7);
    }

    #[test]
    fn source_errors() {
        let app = TestApp::new(&[
            (
                "app/sub/_index.yaml",
                "namespace: app\nentries:\n\
                 \x20 - {name: a, kind: library.lua, source: \"file://../../outside.lua\"}\n\
                 \x20 - {name: b, kind: library.lua, source: \"file:///etc/passwd\"}\n\
                 \x20 - {name: c, kind: library.lua, source: \"file://nothere.lua\"}\n\
                 \x20 - {name: d, kind: library.lua, source: \"file://../ok.lua\"}\n\
                 \x20 - {name: e, kind: library.lua, source: \"file://link.lua\"}\n",
            ),
            ("app/ok.lua", "return {}"),
            ("outside.lua", "return {}"),
        ]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            app.root().join("outside.lua"),
            app.root().join("app/sub/link.lua"),
        )
        .unwrap();
        let errors = load_with_env(&app.root().join("app"), MODULES, &env).unwrap_err();
        let shown: Vec<String> = errors
            .iter()
            .map(|e| {
                e.to_string()
                    .replace(&format!("{}/", app.root().display()), "")
            })
            .collect();
        let mut expected = vec![
            "app/sub/_index.yaml:3: entry 'app:a': source path '../../outside.lua' leaves the app directory",
            "app/sub/_index.yaml:4: entry 'app:b': source path '/etc/passwd' is absolute; give a path relative to the YAML file",
            "app/sub/_index.yaml:5: entry 'app:c': source file 'nothere.lua' not found",
        ];
        if cfg!(unix) {
            expected.push(
                "app/sub/_index.yaml:7: entry 'app:e': source file 'link.lua' resolves outside the app directory (through a symlink)",
            );
        }
        assert_eq!(shown, expected);
    }

    #[test]
    fn module_errors() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   modules:\n      - json\n      - jsn\n      - sql\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:9: entry 'app:f': unknown module 'jsn' (luabox provides: json, time, \
                 funcs, registry); did you mean 'json'?",
                "_index.yaml:10: entry 'app:f': unknown module 'sql' (luabox provides: json, time, \
                 funcs, registry)",
            ]
        );
    }

    #[test]
    fn channel_is_a_global_and_process_a_module() {
        let app = one_file(
            "  - name: p\n    kind: process.lua\n    source: file://main.lua\n\
             \x20   modules: [channel, process, json, channel]\n",
        );
        let with_process = [MODULES, &["process"]].concat();
        let loaded = load_with_env(app.root(), &with_process, &env).unwrap();
        assert_eq!(lua(entry(&loaded, "app:p")).modules, ["process", "json"]);
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:6: entry 'app:p': unknown module 'process' (luabox provides: json, time, \
              funcs, registry)"
            ]
        );
    }

    #[test]
    fn import_alias_and_reference_syntax() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   imports:\n      json: lib\n      my-lib: lib\n      bad: \"a:b:c\"\n      ok: lib\n\
             \x20 - name: lib\n    kind: library.lua\n    source: file://lib.lua\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:9: entry 'app:f': invalid import alias 'my-lib' (use letters, digits, '_' \
                 and '.')",
                "_index.yaml:10: entry 'app:f': import 'bad': invalid entry id 'a:b:c': invalid name \
                 'b:c' (use letters, digits, '.', '_' and '-')",
            ]
        );
    }

    #[test]
    fn pool_and_limits_errors() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   pool:\n      type: eager\n    limits:\n      memory: lots\n      cpu: 1\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:8: entry 'app:f': unknown pool type 'eager' (expected inline, lazy, static \
                 or adaptive)",
                "_index.yaml:10: entry 'app:f': limits.memory: invalid size \"lots\" (expected e.g. 32MiB)",
                "_index.yaml:11: entry 'app:f': unknown field 'limits.cpu' (expected one of: memory, \
                 timeout, max_payload, max_pending)",
            ]
        );
    }
}
