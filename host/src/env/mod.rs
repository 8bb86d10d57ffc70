//! The app's environment: its `env.variable` entries and the `env.storage.*` entries holding
//! their values, opened once per app by [`AppEnv::open`] in `App::load`. The `env` Lua module
//! (`modules/env.rs`) is glue over [`AppEnv::get`], [`AppEnv::prepare_set`] and [`AppEnv::all`].
//!
//! A variable is found by its public name (`variable:`) or its entry id (relative ids resolve in
//! the caller's namespace); one without `variable:` is private, found by its entry id only and
//! kept in its storage under its entry's name. Its value is its storage's value of that name, else its `default`;
//! one without a storage has only its default and cannot be set, nor can a `readonly` one.
//! Storages ([`storage`], [`file`]): `env.storage.os` reads the host environment and writes to
//! an overlay inside luabox (the real environment is never changed); `env.storage.memory` keeps
//! values while the app runs; `env.storage.file` is a dotenv file ([`dotenv`]) written durably.
//!
//! ```yaml
//! - {name: store, kind: env.storage.file, file_path: app.env, auto_create: true}
//! - {name: token, kind: env.variable, variable: API_TOKEN, storage: store}
//! ```
//! ```lua
//! local env = require("env")
//! assert(env.set("API_TOKEN", "s3cret"))   -- in app.env once this returns
//! print(env.get("API_TOKEN"))
//! ```

pub mod dotenv;
pub mod file;
pub mod storage;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::config::env_storage::EnvStorage;
use crate::config::{ConfigError, Entry, EntryId, Location, Spec};
use crate::error::ErrorKind;
use file::{FileStorage, OpenError};
use storage::{MemoryStorage, OsStorage, Storage};

/// The longest value `env.set` takes, in bytes.
pub const MAX_VALUE: usize = 64 << 10;

/// An expected failure of an `env` call; Lua sees `nil, err` of this kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    pub kind: ErrorKind,
    pub message: String,
}

impl EnvError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> EnvError {
        EnvError {
            kind,
            message: message.into(),
        }
    }
}

struct Variable {
    id: EntryId,
    /// Its name in its storage: the public name, or the entry's name for a private variable.
    name: String,
    /// Found by `name` as well as by entry id (a variable without `variable:` is private).
    public: bool,
    /// The storage entry and its backend.
    storage: Option<(EntryId, Arc<dyn Storage>)>,
    default: Option<String>,
    readonly: bool,
}

impl Variable {
    fn value(&self) -> Option<String> {
        self.storage
            .as_ref()
            .and_then(|(_, storage)| storage.get(&self.name))
            .or_else(|| self.default.clone())
    }
}

/// The variables of one app, in registry order.
#[derive(Default)]
pub struct AppEnv {
    variables: Vec<Variable>,
}

/// A checked `env.set`, ready to run: [`Write::apply`] stores the value.
pub struct Write {
    storage: Arc<dyn Storage>,
    name: String,
    value: String,
}

impl Write {
    /// Whether [`Write::apply`] waits on the disk (run it with `spawn_blocking` then).
    pub fn blocks(&self) -> bool {
        self.storage.blocks()
    }

    pub fn apply(self) -> Result<(), EnvError> {
        self.storage.set(&self.name, &self.value)
    }
}

impl AppEnv {
    /// Open every storage of `entries` (files are read from under `root`) and bind each variable
    /// to its storage. A storage file that is missing (without `auto_create`), unreadable or
    /// malformed is an error at the entry or at the file's line, as is a variable whose name a
    /// dotenv file cannot hold.
    pub fn open(root: &Path, entries: &[Entry]) -> Result<AppEnv, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut storages: HashMap<&EntryId, (Arc<dyn Storage>, bool)> = HashMap::new();
        let mut files: HashMap<&Path, &EntryId> = HashMap::new();
        for entry in entries {
            let Spec::EnvStorage(spec) = &entry.spec else {
                continue;
            };
            let storage: Arc<dyn Storage> = match spec {
                EnvStorage::Os => Arc::new(OsStorage::default()),
                EnvStorage::Memory(values) => Arc::new(MemoryStorage::new(values.clone())),
                EnvStorage::File(file) => {
                    if let Some(first) = files.insert(&file.path, &entry.id) {
                        errors.push(at_entry(
                            entry,
                            format!(
                                "file '{}' is already the storage of '{first}'",
                                file.path.display()
                            ),
                        ));
                        continue;
                    }
                    if let Err(error) = crate::config::inside_app(root, &file.path) {
                        let message = format!("env.storage.file: field 'file_path': {error}");
                        errors.push(at_entry(entry, message));
                        continue;
                    }
                    match FileStorage::open(&entry.id, root, file) {
                        Ok(storage) => Arc::new(storage),
                        Err(error) => {
                            errors.push(open_error(root, entry, &file.path, error));
                            continue;
                        }
                    }
                }
            };
            let is_file = matches!(spec, EnvStorage::File(_));
            storages.insert(&entry.id, (storage, is_file));
        }

        let mut variables = Vec::new();
        for entry in entries {
            let Spec::EnvVariable(spec) = &entry.spec else {
                continue;
            };
            let name = spec
                .variable
                .clone()
                .unwrap_or_else(|| entry.id.name.clone());
            let storage = spec.storage.as_ref().and_then(|target| {
                let (storage, is_file) = storages.get(target)?;
                if *is_file && !dotenv::valid_name(&name) {
                    errors.push(at_entry(
                        entry,
                        format!(
                            "variable '{}' cannot be kept in env.storage.file '{target}': a \
                             dotenv name is ASCII letters, digits, '_' and '.', not starting with \
                             a digit",
                            name
                        ),
                    ));
                }
                Some((target.clone(), storage.clone()))
            });
            variables.push(Variable {
                id: entry.id.clone(),
                name,
                public: spec.variable.is_some(),
                storage,
                default: spec.default.clone(),
                readonly: spec.readonly,
            });
        }
        if errors.is_empty() {
            Ok(AppEnv { variables })
        } else {
            Err(errors)
        }
    }

    /// The declared variable `name` (public name or entry id, relative to `namespace`).
    fn find(&self, name: &str, namespace: &str) -> Result<&Variable, EnvError> {
        let by_id = EntryId::resolve(name, namespace).ok();
        self.variables
            .iter()
            .find(|v| (v.public && v.name == name) || Some(&v.id) == by_id.as_ref())
            .ok_or_else(|| {
                EnvError::new(
                    ErrorKind::NotFound,
                    format!("env: no env.variable entry declares '{name}'"),
                )
            })
    }

    /// The value of variable `name`: its storage's, else its default.
    pub fn get(&self, name: &str, namespace: &str) -> Result<String, EnvError> {
        self.find(name, namespace)?.value().ok_or_else(|| {
            EnvError::new(
                ErrorKind::NotFound,
                format!("env: variable '{name}' is not set and has no default"),
            )
        })
    }

    /// Check that variable `name` may be set to `value`; the returned [`Write`] does it.
    pub fn prepare_set(
        &self,
        name: &str,
        namespace: &str,
        value: String,
    ) -> Result<Write, EnvError> {
        let variable = self.find(name, namespace)?;
        let denied = |why: String| {
            EnvError::new(
                ErrorKind::PermissionDenied,
                format!(
                    "env: variable '{}' (entry '{}') {why}",
                    variable.name, variable.id
                ),
            )
        };
        if variable.readonly {
            return Err(denied("is readonly".into()));
        }
        let Some((storage_id, storage)) = &variable.storage else {
            return Err(denied(
                "has no storage, so it cannot be set: its value is its default".into(),
            ));
        };
        if value.len() > MAX_VALUE {
            return Err(EnvError::new(
                ErrorKind::Invalid,
                format!(
                    "env: the value for '{}' is {} bytes; a value is at most {MAX_VALUE}",
                    variable.name,
                    value.len()
                ),
            ));
        }
        if let Some(why) = storage.refuses(&value) {
            return Err(EnvError::new(
                ErrorKind::Invalid,
                format!(
                    "env: cannot set '{}' in '{storage_id}': {why}",
                    variable.name
                ),
            ));
        }
        Ok(Write {
            storage: storage.clone(),
            name: variable.name.clone(),
            value,
        })
    }

    /// Every declared variable that has a value, by public name (the first entry declaring a
    /// name wins, as for [`AppEnv::get`]).
    pub fn all(&self) -> BTreeMap<String, String> {
        let mut all = BTreeMap::new();
        for variable in self.variables.iter().filter(|v| v.public) {
            if all.contains_key(&variable.name) {
                continue;
            }
            if let Some(value) = variable.value() {
                all.insert(variable.name.clone(), value);
            }
        }
        all
    }
}

fn at_entry(entry: &Entry, message: String) -> ConfigError {
    ConfigError::new(entry.location.clone(), Some(entry.id.to_string()), message)
}

fn open_error(root: &Path, entry: &Entry, path: &Path, error: OpenError) -> ConfigError {
    let shown = path.display();
    match error {
        OpenError::Missing => at_entry(
            entry,
            format!(
                "env.storage.file: file '{shown}' does not exist (create it, or set auto_create: \
                 true to start empty)"
            ),
        ),
        OpenError::Io(error) => at_entry(
            entry,
            format!("env.storage.file: cannot read '{shown}': {error}"),
        ),
        OpenError::Parse(error) if error.line > 0 => ConfigError::new(
            Location::new(root.join(path), error.line),
            Some(entry.id.to_string()),
            format!("env.storage.file: {}", error.message),
        ),
        OpenError::Parse(error) => at_entry(
            entry,
            format!("env.storage.file: cannot read '{shown}': {}", error.message),
        ),
    }
}

#[cfg(test)]
mod tests;
