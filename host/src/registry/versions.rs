//! The registry as code changes it at run time (Wippy: wippyai/docs en/lua/core/registry.md):
//! numbered versions, the loaded entries being version 0 (`v0`, as in Wippy) and each applied
//! changeset the next.
//!
//! Only data changes at run time: an entry created, updated or deleted here is read through the
//! `registry` module (`get`, `find`, snapshots), while what luabox builds from the YAML at load
//! (functions, processes, hosts, databases...) stays as loaded. So a change may only touch
//! `registry.entry` entries and entries of kinds luabox does not build; one that touches any
//! other kind is refused, naming the kind. The last [`KEPT_VERSIONS`] versions are kept for
//! `snapshot_at` and `apply_version`; older ones are forgotten.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock, RwLock};

use serde_json::{Map, Value};

use super::Registry;
use crate::config::{Entry, EntryId, Location, Spec};

/// How many versions are kept.
pub const KEPT_VERSIONS: usize = 64;
/// The most entries a registry may hold after a change.
pub const MAX_ENTRIES: usize = 100_000;

/// One operation of a changeset.
#[derive(Debug, Clone)]
pub enum Op {
    Create(Entry),
    Update(Entry),
    Delete(EntryId),
}

/// Why a change or a lookup failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VersionError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
}

/// The app's registry versions, made from the loaded registry on first use.
#[derive(Default)]
pub struct Live(OnceLock<Versions>);

impl Live {
    pub fn versions(&self, loaded: impl FnOnce() -> Registry) -> &Versions {
        self.0.get_or_init(|| Versions::new(loaded()))
    }
}

pub struct Versions {
    kept: RwLock<VecDeque<(u64, Arc<Registry>)>>,
}

impl Versions {
    pub fn new(loaded: Registry) -> Self {
        Versions {
            kept: RwLock::new(VecDeque::from([(0, Arc::new(loaded))])),
        }
    }

    /// The current version and its entries.
    pub fn current(&self) -> (u64, Arc<Registry>) {
        let kept = self.kept.read().unwrap_or_else(|e| e.into_inner());
        let (version, registry) = kept.back().expect("a registry has a version");
        (*version, registry.clone())
    }

    /// The entries of `version`.
    pub fn at(&self, version: u64) -> Result<Arc<Registry>, VersionError> {
        let kept = self.kept.read().unwrap_or_else(|e| e.into_inner());
        if let Some((_, registry)) = kept.iter().find(|(v, _)| *v == version) {
            return Ok(registry.clone());
        }
        let (oldest, newest) = (
            kept.front().map_or(0, |k| k.0),
            kept.back().map_or(0, |k| k.0),
        );
        Err(VersionError::NotFound(if version < oldest {
            format!(
                "registry version {version} is no longer kept (luabox keeps the last \
                 {KEPT_VERSIONS}: {oldest} to {newest})"
            )
        } else {
            format!("no registry version {version} (the versions are {oldest} to {newest})")
        }))
    }

    /// The versions kept, oldest first.
    pub fn versions(&self) -> Vec<u64> {
        let kept = self.kept.read().unwrap_or_else(|e| e.into_inner());
        kept.iter().map(|(version, _)| *version).collect()
    }

    /// Apply `ops` to the current version, in order, as one new version; its number.
    pub fn apply(&self, ops: Vec<Op>) -> Result<u64, VersionError> {
        if ops.is_empty() {
            return Err(VersionError::Invalid(
                "registry: no changes to apply".into(),
            ));
        }
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        let (_, current) = kept.back().expect("a registry has a version");
        let mut entries: Vec<Entry> = current.entries().cloned().collect();
        for op in ops {
            match op {
                Op::Create(entry) => {
                    if entries.iter().any(|e| e.id == entry.id) {
                        return Err(VersionError::AlreadyExists(format!(
                            "registry: entry '{}' exists already (update it instead)",
                            entry.id
                        )));
                    }
                    entries.push(entry);
                }
                Op::Update(entry) => {
                    let Some(at) = entries.iter().position(|e| e.id == entry.id) else {
                        return Err(VersionError::NotFound(format!(
                            "registry: no entry '{}' to update",
                            entry.id
                        )));
                    };
                    changeable(&entries[at])?;
                    entries[at] = entry;
                }
                Op::Delete(id) => {
                    let Some(at) = entries.iter().position(|e| e.id == id) else {
                        return Err(VersionError::NotFound(format!(
                            "registry: no entry '{id}' to delete"
                        )));
                    };
                    changeable(&entries[at])?;
                    entries.remove(at);
                }
            }
        }
        if entries.len() > MAX_ENTRIES {
            return Err(VersionError::Invalid(format!(
                "registry: the change would make {} entries; luabox holds at most {MAX_ENTRIES}",
                entries.len()
            )));
        }
        Ok(push(&mut kept, Registry::new(entries)))
    }

    /// Make the entries of `version` current again, as a new version; its number.
    pub fn apply_version(&self, version: u64) -> Result<u64, VersionError> {
        let registry = self.at(version)?;
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        let (_, current) = kept.back().expect("a registry has a version");
        // What luabox built at load time must be there in the version gone back to, unchanged.
        for entry in current.entries().filter(|e| changeable(e).is_err()) {
            if registry.get(&entry.id).is_none() {
                return Err(VersionError::Invalid(format!(
                    "registry: version {version} lacks entry '{}' ({}), which luabox built at load",
                    entry.id, entry.kind
                )));
            }
        }
        Ok(push(&mut kept, (*registry).clone()))
    }
}

fn push(kept: &mut VecDeque<(u64, Arc<Registry>)>, registry: Registry) -> u64 {
    let version = kept.back().map_or(0, |k| k.0) + 1;
    kept.push_back((version, Arc::new(registry)));
    while kept.len() > KEPT_VERSIONS {
        kept.pop_front();
    }
    version
}

/// Whether code may change or delete `entry` (it is only data).
fn changeable(entry: &Entry) -> Result<(), VersionError> {
    match entry.spec {
        Spec::Data => Ok(()),
        _ => Err(built(&entry.kind)),
    }
}

fn built(kind: &str) -> VersionError {
    VersionError::Invalid(format!(
        "registry: luabox builds {kind} entries from the app's YAML when it loads and cannot \
         change them at run time (registry.entry and kinds luabox does not build can change): \
         edit the YAML and restart"
    ))
}

/// An entry code hands to `changes:create` / `update`: `{id, kind, meta, data}`.
pub fn entry_from_view(view: &Map<String, Value>, namespace: &str) -> Result<Entry, VersionError> {
    let invalid = |message: String| VersionError::Invalid(format!("registry: {message}"));
    let id = match view.get("id") {
        Some(Value::String(id)) => EntryId::resolve(id, namespace).map_err(invalid)?,
        _ => return Err(invalid("an entry needs an id (\"namespace:name\")".into())),
    };
    let kind = match view.get("kind") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
        _ => return Err(invalid(format!("entry '{id}' needs a kind"))),
    };
    if kind != "registry.entry" && crate::config::find_kind(&kind).is_some() {
        return Err(built(&kind));
    }
    let object = |field: &str| -> Result<Map<String, Value>, VersionError> {
        match view.get(field) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            // An empty Lua table arrives as an empty array.
            Some(Value::Array(items)) if items.is_empty() => Ok(Map::new()),
            Some(_) => Err(invalid(format!(
                "entry '{id}': {field} must be a table with keys"
            ))),
        }
    };
    let (meta, data) = (object("meta")?, object("data")?);
    if let Some(unknown) = view
        .keys()
        .find(|key| !matches!(key.as_str(), "id" | "kind" | "meta" | "data"))
    {
        return Err(invalid(format!(
            "entry '{id}': unknown field '{unknown}' (an entry is {{id, kind, meta, data}})"
        )));
    }
    Ok(Entry {
        id,
        kind,
        meta,
        data,
        location: Location::new("<changed at run time>", 0),
        spec: Spec::Data,
        resource_lifecycle: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: &str, kind: &str) -> Entry {
        let view = json!({"id": id, "kind": kind, "meta": {"type": "room"}, "data": {"n": 1}});
        entry_from_view(view.as_object().unwrap(), "app").unwrap()
    }

    #[test]
    fn changes_make_versions_and_old_versions_stay_readable() {
        let versions = Versions::new(Registry::new(vec![entry("app:a", "registry.entry")]));
        assert_eq!(versions.current().0, 0);
        let v1 = versions
            .apply(vec![
                Op::Create(entry("app:b", "test.kind")),
                Op::Delete(EntryId::resolve("app:a", "").unwrap()),
            ])
            .unwrap();
        assert_eq!(v1, 1);
        let (_, now) = versions.current();
        assert!(now.get(&EntryId::resolve("app:b", "").unwrap()).is_some());
        assert!(now.get(&EntryId::resolve("app:a", "").unwrap()).is_none());
        assert!(
            versions
                .at(0)
                .unwrap()
                .get(&EntryId::resolve("app:a", "").unwrap())
                .is_some()
        );
        assert_eq!(versions.apply_version(0).unwrap(), 2);
        assert!(
            versions
                .current()
                .1
                .get(&EntryId::resolve("app:a", "").unwrap())
                .is_some()
        );
        assert_eq!(versions.versions(), [0, 1, 2]);
    }

    #[test]
    fn a_failed_changeset_changes_nothing() {
        let versions = Versions::new(Registry::new(vec![entry("app:a", "registry.entry")]));
        let error = versions
            .apply(vec![
                Op::Create(entry("app:b", "x")),
                Op::Create(entry("app:a", "x")),
            ])
            .unwrap_err();
        assert!(matches!(error, VersionError::AlreadyExists(_)), "{error}");
        assert_eq!(versions.current().0, 0);
        assert!(matches!(
            versions.apply(vec![]),
            Err(VersionError::Invalid(_))
        ));
        let missing = Op::Update(entry("app:zz", "x"));
        assert!(matches!(
            versions.apply(vec![missing]),
            Err(VersionError::NotFound(_))
        ));
    }

    #[test]
    fn built_kinds_cannot_be_made_or_changed() {
        let view = json!({"id": "app:f", "kind": "function.lua"});
        let error = entry_from_view(view.as_object().unwrap(), "app").unwrap_err();
        assert!(
            error.to_string().contains("function.lua entries"),
            "{error}"
        );
        let view = json!({"id": "app:f", "kind": "x", "source": "..."});
        let error = entry_from_view(view.as_object().unwrap(), "app").unwrap_err();
        assert!(
            error.to_string().contains("unknown field 'source'"),
            "{error}"
        );
    }

    #[test]
    fn only_the_last_versions_are_kept() {
        let versions = Versions::new(Registry::default());
        for i in 0..KEPT_VERSIONS + 10 {
            versions
                .apply(vec![Op::Create(entry(&format!("app:e{i}"), "x"))])
                .unwrap();
        }
        let error = versions.at(1).unwrap_err();
        assert!(error.to_string().contains("no longer kept"), "{error}");
        assert_eq!(versions.versions().len(), KEPT_VERSIONS);
        assert!(
            versions
                .at(999)
                .unwrap_err()
                .to_string()
                .contains("no registry version 999")
        );
    }
}
