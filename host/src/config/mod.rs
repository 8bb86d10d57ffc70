//! Loading an app: the YAML definition files under a directory → typed, checked [`Entry`]s.
//!
//! [`load`] reads every `.yaml`/`.yml` file below the app directory whose top level has a
//! `namespace:` (other YAML files are not luabox's and are skipped), and checks everything that
//! can be checked before any Lua runs: kinds and their fields, sources, `modules:` against what
//! luabox provides, imports (they must name existing libraries, without cycles), references
//! (a service's process and host, `lifecycle.requires`, without cycles), pool, limits and
//! lifecycle values, `${env:..}` values. It does not stop at the first problem: the error list
//! holds every one, sorted by file and line, each naming `file:line` and the entry.
//!
//! ```no_run
//! # use std::path::Path;
//! match luabox::config::load(Path::new("examples/hello"), &["json", "time"]) {
//!     Ok(app) => println!("{} entries", app.entries.len()),
//!     Err(errors) => errors.iter().for_each(|e| eprintln!("{e}")),
//! }
//! ```
//!
//! The files, one job each:
//! - `discover`: which files; `yaml`: text → tree of nodes with lines; `file`: the two file
//!   forms → raw entries; `interpolate`: `${env:..}`;
//! - `kinds`: the field schema of each kind; `fields`: typed reads of one field; `lua`, `env`,
//!   `env_storage`, `pool`, `limits`, `source`, `process`, `lifecycle`, `db`, `http`: the
//!   fields of the kinds luabox runs;
//! - `build`: one raw entry → [`Entry`]; `validate`: checks across entries;
//! - `order`: the order services start in ([`start_order`]);
//! - `entry`, `id`, `error`: the public types.

mod build;
pub mod contract;
pub mod db;
mod discover;
mod entry;
mod env;
pub mod env_storage;
mod error;
mod fields;
mod file;
pub mod fs_directory;
pub mod http;
mod id;
mod interpolate;
mod kinds;
mod lifecycle;
mod limits;
mod lua;
mod namespace;
mod order;
mod pool;
mod process;
pub mod queue;
mod source;
pub mod store;
pub mod template;
pub mod temporal;
mod validate;
mod yaml;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

pub use entry::{
    Entry, EnvVariable, LimitOverrides, LuaEntry, LuaKind, LuaSource, Pool, PoolKind, ProcessHost,
    ProcessService, Spec, TerminalHost,
};
pub use error::{ConfigError, Location, sort as sort_errors};
pub use id::{EntryId, check_name, check_namespace, namespace_of};
pub use interpolate::Env;
pub use kinds::{PROCESS_HOST_KINDS, REDACTED, find as find_kind, secret_fields};
pub use lifecycle::{Intensity, Lifecycle, RestartPolicy, Startup};
pub use order::{needs, start_order};

use build::{AppContext, Candidate, FileContext};
use source::Sources;
pub use source::{inside_app, shown_chunk_name};
pub use temporal::MAX_RESIDENT_WORKFLOWS;

/// A loaded app.
#[derive(Debug, Clone)]
pub struct App {
    /// The app directory, as given to [`load`].
    pub root: PathBuf,
    /// In load order: files sorted by path, entries in file order.
    pub entries: Vec<Entry>,
}

/// The kinds the loader accepts, in the order messages list them.
pub fn known_kinds() -> impl Iterator<Item = &'static str> {
    kinds::ALL.iter().map(|kind| kind.schema().kind)
}

/// Loads the app in `dir`; `modules` are the module names luabox provides. `${env:..}` reads
/// the process environment.
pub fn load(dir: &Path, modules: &[&str]) -> Result<App, Vec<ConfigError>> {
    load_with_env(dir, modules, &os_env)
}

/// `${env:NAME}` as an app is loaded for running: the host's environment.
pub fn os_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// [`load`] with `${env:NAME}` looked up through `env`.
pub fn load_with_env(dir: &Path, modules: &[&str], env: Env<'_>) -> Result<App, Vec<ConfigError>> {
    match load_all(dir, modules, env) {
        (app, errors) if errors.is_empty() => Ok(app),
        (_, errors) => Err(errors),
    }
}

/// Everything [`load_with_env`] finds: the entries that built without a problem, even when
/// others did not, and every problem, sorted. What a user is told about an app in one pass
/// (`luabox check`: the Lua of those entries is checked too).
pub fn load_all(dir: &Path, modules: &[&str], env: Env<'_>) -> (App, Vec<ConfigError>) {
    let (entries, mut errors) = read_all(dir, modules, env);
    error::sort(&mut errors);
    let root = dir.to_path_buf();
    (App { root, entries }, errors)
}

/// The entries that built and every problem.
fn read_all(dir: &Path, modules: &[&str], env: Env<'_>) -> (Vec<Entry>, Vec<ConfigError>) {
    let canonical_root = match fs::canonicalize(dir) {
        Ok(path) if path.is_dir() => path,
        Ok(_) => return (Vec::new(), vec![ConfigError::at(dir, 0, "not a directory")]),
        Err(e) => {
            let message = format!("cannot open the app directory: {e}");
            return (Vec::new(), vec![ConfigError::at(dir, 0, message)]);
        }
    };
    let mut errors = Vec::new();
    let files = discover::yaml_files(dir, &canonical_root, &mut errors);
    // Every file is read before any entry is built: an entry may default to what another file
    // declares (a process.service without `host`).
    let read: Vec<_> = files
        .iter()
        .filter_map(|relative| read_file(dir, relative, &mut errors).map(|raw| (relative, raw)))
        .collect();
    let process_hosts = read
        .iter()
        .flat_map(|(_, raw)| &raw.entries)
        .filter(|entry| {
            entry
                .kind
                .as_ref()
                .is_some_and(|(kind, _)| kind == "process.host")
        })
        .filter_map(|entry| entry.id.clone())
        .collect();
    let mut app = AppContext {
        modules,
        env,
        sources: Sources::new(dir, &canonical_root),
        process_hosts,
    };
    let mut candidates = Vec::new();
    for (relative, raw) in read {
        build_file(dir, relative, raw, &mut app, &mut candidates, &mut errors);
    }
    validate::check(&candidates, &mut errors);

    let clean = errors.is_empty();
    let mut entries = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        match candidate.entry {
            Some(entry) => entries.push(entry),
            // Every path that drops an entry reports why; this guards that promise.
            None if clean => errors.push(ConfigError::new(
                candidate.location,
                Some(candidate.id.to_string()),
                "the entry could not be loaded (luabox bug: no reason was recorded)",
            )),
            None => {}
        }
    }
    (entries, errors)
}

/// The entries of one YAML file (`None` for a file that is not an app file, or unreadable).
fn read_file(dir: &Path, relative: &Path, errors: &mut Vec<ConfigError>) -> Option<file::RawFile> {
    let path = dir.join(relative);
    let text = match fs::read(&path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            errors.push(ConfigError::at(&path, 0, "the file is not valid UTF-8"));
            return None;
        }
        Err(e) => {
            errors.push(ConfigError::at(
                &path,
                0,
                format!("cannot read the file: {e}"),
            ));
            return None;
        }
    };
    let document = match yaml::parse(&text) {
        Ok(document) => document,
        Err(problem) => {
            errors.push(ConfigError::at(&path, problem.line, problem.message));
            return None;
        }
    };
    let root = document.root.filter(|r| r.get("namespace").is_some())?;
    for problem in document.problems {
        errors.push(ConfigError::at(&path, problem.line, problem.message));
    }
    file::read(&root, &path, errors)
}

fn build_file(
    dir: &Path,
    relative: &Path,
    raw: file::RawFile,
    app: &mut AppContext<'_>,
    candidates: &mut Vec<Candidate>,
    errors: &mut Vec<ConfigError>,
) {
    let path = dir.join(relative);

    let mut meta = serde_json::Map::new();
    if let Some(mut node) = raw.meta {
        let mut problems = Vec::new();
        interpolate::node(&mut node, app.env, &mut problems);
        for problem in problems {
            errors.push(ConfigError::at(&path, problem.line, problem.message));
        }
        if let Some(map) = node.as_map() {
            meta = yaml::map_to_json(map);
        }
    }
    let mut limits = LimitOverrides::default();
    if let Some(mut node) = raw.limits {
        let mut problems = Vec::new();
        interpolate::node(&mut node, app.env, &mut problems);
        match limits::parse(&node) {
            Ok(parsed) => limits = parsed,
            Err(found) => problems.extend(found),
        }
        for problem in problems {
            errors.push(ConfigError::at(&path, problem.line, problem.message));
        }
    }
    let cx = FileContext {
        yaml: &path,
        yaml_dir: relative.parent().unwrap_or(Path::new("")),
        namespace: &raw.namespace,
        meta: &meta,
        limits,
    };
    for raw_entry in raw.entries {
        candidates.extend(build::entry(raw_entry, &cx, app, errors));
    }
}
