//! Test helpers shared by the loader's test modules: temp apps written from (path, text) pairs
//! and loaded with a fixed module list and environment.

use std::fs;
use std::path::Path;

use super::{App, ConfigError, Entry, EntryId, LuaEntry, Spec, load_with_env};

pub const MODULES: &[&str] = &["json", "time", "funcs", "registry"];

/// The environment tests see: `HOST` and the `config_ok` fixture's greeting are set.
pub fn env(name: &str) -> Option<String> {
    match name {
        "HOST" => Some("db.local".into()),
        "LUABOX_CONFIG_OK_GREETING" => Some("bonjour".into()),
        _ => None,
    }
}

pub struct TestApp {
    dir: tempfile::TempDir,
}

impl TestApp {
    pub fn new(files: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (path, text) in files {
            let path = dir.path().join(path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("a test directory");
            }
            fs::write(path, text).expect("a test file");
        }
        TestApp { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn load(&self) -> Result<App, Vec<ConfigError>> {
        load_with_env(self.root(), MODULES, &env)
    }

    pub fn app(&self) -> App {
        match self.load() {
            Ok(app) => app,
            Err(errors) => panic!(
                "expected the app to load, got:\n{}",
                self.show(&errors).join("\n")
            ),
        }
    }

    /// The errors as displayed, with the temp dir's path left out.
    pub fn errors(&self) -> Vec<String> {
        match self.load() {
            Ok(_) => panic!("expected errors"),
            Err(errors) => self.show(&errors),
        }
    }

    pub fn show(&self, errors: &[ConfigError]) -> Vec<String> {
        let prefix = format!("{}/", self.root().display());
        errors
            .iter()
            .map(|e| e.to_string().replace(&prefix, ""))
            .collect()
    }
}

/// One `_index.yaml` in namespace `app` holding `entries` (indented as list items; the first
/// entry line is line 3), plus `main.lua` and `lib.lua`.
pub fn one_file(entries: &str) -> TestApp {
    TestApp::new(&[
        (
            "_index.yaml",
            &format!("namespace: app\nentries:\n{entries}"),
        ),
        ("main.lua", "return { main = function() end }"),
        ("lib.lua", "return {}"),
    ])
}

pub fn entry<'a>(app: &'a App, id: &str) -> &'a Entry {
    let id: EntryId = id.parse().expect("a valid id");
    app.entries.iter().find(|e| e.id == id).expect("the entry")
}

pub fn lua(entry: &Entry) -> &LuaEntry {
    match &entry.spec {
        Spec::Lua(lua) => lua,
        other => panic!("not a Lua entry: {other:?}"),
    }
}
