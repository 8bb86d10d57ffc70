//! `wit/registry.wit`, the `registry` Lua module (Wippy: wippyai/docs en/lua/core/registry.md):
//! `registry.get(id)` and `registry.find(filter)` over the app's entries, each as
//! `{id, kind, meta, data}`, in the current version or a kept one (snapshots), and the changes
//! code applies at run time ([`crate::registry::versions`]). Filters are those of
//! [`crate::registry::Filter`]: `.kind`/`.ns`/`.name`/`.id`, `meta.*` with globs and operator
//! prefixes, and the plain keys of docs/architecture.md §6 (`{type = "test"}` matches `meta.type`).
//!
//! Each applied change is also sent on the app's event bus ([`super::events`]) as system
//! `registry`, kind `entry.create` / `entry.update` / `entry.delete`, path the entry's id.
//!
//! ```lua
//! local registry = require("registry")
//! local entry, err = registry.get("app:hello")
//! local tests = registry.find({type = "test", [".kind"] = "function.lua"})
//! local changes = registry.snapshot():changes()
//! changes:create({id = "app:room.lobby", kind = "registry.entry", meta = {type = "room"}})
//! local version, err = changes:apply()
//! ```

use std::sync::Arc;

use rmpv::Value;
use serde_json::{Map, Value as Json};

use super::events::bus::{Bus, Event};
use super::{AppSandbox, AppServices, host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::registry;
use crate::codec::{encode_values, json_to_msgpack, msgpack_to_json, table_to_json};
use crate::config::EntryId;
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::registry::versions::{Live, Op, VersionError, Versions, entry_from_view};
use crate::registry::{Filter, Registry as Entries, entry_to_json};

host_module!(Registry, "registry", registry);

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

fn version_error(error: VersionError) -> HostError {
    let kind = match &error {
        VersionError::Invalid(_) => ErrorKind::Invalid,
        VersionError::NotFound(_) => ErrorKind::NotFound,
        VersionError::AlreadyExists(_) => ErrorKind::AlreadyExists,
    };
    host_error(kind, error.to_string())
}

fn invalid(message: impl Into<String>) -> HostError {
    host_error(ErrorKind::Invalid, message)
}

impl SandboxState {
    fn app_or(&self, call: &str) -> Result<Arc<dyn AppServices>, HostError> {
        self.app().cloned().ok_or_else(|| super::no_app(call, "registry"))
    }
}

/// Run `f` on the app's registry versions (made from the loaded registry on first use).
fn with_versions<R>(app: &Arc<dyn AppServices>, f: impl FnOnce(&Versions) -> R) -> R {
    let live = app.shared().get::<Live>();
    f(live.versions(|| app.registry().clone()))
}

/// The registry of `version` (none: the current one).
fn registry_at(app: &Arc<dyn AppServices>, version: Option<u64>) -> Result<Arc<Entries>, HostError> {
    with_versions(app, |versions| match version {
        None => Ok(versions.current().1),
        Some(version) => versions.at(version).map_err(version_error),
    })
}

fn entries_value<'a>(entries: impl Iterator<Item = &'a crate::config::Entry>) -> Vec<u8> {
    let entries = entries
        .map(|entry| json_to_msgpack(&entry_to_json(entry)))
        .collect();
    encode_values(vec![Value::Array(entries)])
}

impl registry::Host for SandboxState {
    fn get(&mut self, id: String, version: Option<u64>) -> Answer<Vec<u8>> {
        let app = match self.app_or("registry.get") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let id = match EntryId::resolve(&id, self.namespace()) {
            Ok(id) => id,
            Err(message) => return Ok(Err(invalid(message))),
        };
        let registry = match registry_at(&app, version) {
            Ok(registry) => registry,
            Err(error) => return Ok(Err(error)),
        };
        Ok(match registry.get(&id) {
            Some(entry) => Ok(encode_values(vec![json_to_msgpack(&entry_to_json(entry))])),
            None => Err(host_error(
                ErrorKind::NotFound,
                format!("no entry '{id}' in the registry"),
            )),
        })
    }

    fn find(&mut self, filter: Vec<u8>, version: Option<u64>) -> Answer<Vec<u8>> {
        let app = match self.app_or("registry.find") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let filter = match one_value(&filter) {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        };
        let filter = match table_to_json(&filter) {
            Some(map) => Filter::from_json(&map),
            None => Err("registry.find expects a table of filters".to_owned()),
        };
        let filter = match filter {
            Ok(filter) => filter,
            Err(message) => return Ok(Err(invalid(message))),
        };
        Ok(registry_at(&app, version)
            .map(|registry| entries_value(registry.find(&filter).into_iter())))
    }

    fn versions(&mut self) -> Answer<(u64, Vec<u64>)> {
        let app = match self.app_or("registry.versions") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok(with_versions(&app, |versions| {
            (versions.current().0, versions.versions())
        })))
    }

    fn apply(&mut self, ops: Vec<u8>) -> Answer<u64> {
        let app = match self.app_or("changes:apply") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        let ops = match one_value(&ops).map(|ops| msgpack_to_json(&ops)) {
            Ok(ops) => ops,
            Err(error) => return Ok(Err(error)),
        };
        let ops = match parse_ops(&ops, self.namespace()) {
            Ok(ops) => ops,
            Err(error) => return Ok(Err(version_error(error))),
        };
        let announced = announcements(&ops);
        let version = match with_versions(&app, |versions| versions.apply(ops)) {
            Ok(version) => version,
            Err(error) => return Ok(Err(version_error(error))),
        };
        let bus = app.shared().get::<Bus>();
        for event in announced {
            bus.publish(event);
        }
        Ok(Ok(version))
    }

    fn apply_version(&mut self, version: u64) -> Answer<u64> {
        let app = match self.app_or("registry.apply_version") {
            Ok(app) => app,
            Err(error) => return Ok(Err(error)),
        };
        Ok(with_versions(&app, |versions| versions.apply_version(version)).map_err(version_error))
    }

    fn build_delta(&mut self, from: Vec<u8>, to: Vec<u8>) -> Answer<Vec<u8>> {
        let lists = one_value(&from).and_then(|from| Ok((from, one_value(&to)?)));
        let (from, to) = match lists {
            Ok((from, to)) => (msgpack_to_json(&from), msgpack_to_json(&to)),
            Err(error) => return Ok(Err(error)),
        };
        Ok(delta(&from, &to)
            .map(|ops| encode_values(vec![json_to_msgpack(&Json::Array(ops))]))
            .map_err(invalid))
    }
}

/// The operations of a changeset as the Lua face sends them.
fn parse_ops(ops: &Json, namespace: &str) -> Result<Vec<Op>, VersionError> {
    let invalid = |message: String| VersionError::Invalid(format!("registry: {message}"));
    let ops = match ops {
        Json::Array(ops) => ops,
        Json::Object(map) if map.is_empty() => return Ok(Vec::new()),
        _ => return Err(invalid("a changeset is a list of operations".into())),
    };
    ops.iter()
        .enumerate()
        .map(|(at, op)| {
            let n = at + 1;
            let (Some(kind), Some(Json::Object(entry))) = (op["kind"].as_str(), op.get("entry"))
            else {
                return Err(invalid(format!(
                    "operation #{n} must be {{kind = \"entry.create\" | \"entry.update\" | \
                     \"entry.delete\", entry = {{...}}}}"
                )));
            };
            match kind {
                "entry.create" => Ok(Op::Create(entry_from_view(entry, namespace)?)),
                "entry.update" => Ok(Op::Update(entry_from_view(entry, namespace)?)),
                "entry.delete" => match entry.get("id") {
                    Some(Json::String(id)) => EntryId::resolve(id, namespace)
                        .map(Op::Delete)
                        .map_err(invalid),
                    _ => Err(invalid(format!("operation #{n} (entry.delete) needs the entry's id"))),
                },
                other => Err(invalid(format!("operation #{n}: unknown kind '{other}'"))),
            }
        })
        .collect()
}

/// The bus events announcing `ops` once they are applied.
fn announcements(ops: &[Op]) -> Vec<Event> {
    ops.iter()
        .map(|op| {
            let (kind, id, view) = match op {
                Op::Create(entry) => ("entry.create", entry.id.to_string(), entry_to_json(entry)),
                Op::Update(entry) => ("entry.update", entry.id.to_string(), entry_to_json(entry)),
                Op::Delete(id) => ("entry.delete", id.to_string(), serde_json::json!({"id": id.to_string()})),
            };
            let mut data = Vec::new();
            // Writes to a Vec cannot fail.
            let _ = rmpv::encode::write_value(&mut data, &json_to_msgpack(&view));
            Event {
                system: "registry".into(),
                kind: kind.into(),
                path: id,
                data,
            }
        })
        .collect()
}

/// `registry.build_delta(from, to)`: creates for ids only in `to`, updates for ids in both
/// whose entries differ, deletes for ids only in `from` (in `to`'s order, then `from`'s).
fn delta(from: &Json, to: &Json) -> Result<Vec<Json>, String> {
    let list = |value: &Json, which: &str| -> Result<Vec<(String, Json)>, String> {
        let items = match value {
            Json::Array(items) => items.clone(),
            Json::Object(map) if map.is_empty() => Vec::new(),
            _ => return Err(format!("registry.build_delta: '{which}' must be a list of entries")),
        };
        items
            .into_iter()
            .map(|item| match item["id"].as_str() {
                Some(id) => Ok((id.to_owned(), item.clone())),
                None => Err(format!("registry.build_delta: every entry of '{which}' needs an id")),
            })
            .collect()
    };
    let (from, to) = (list(from, "from")?, list(to, "to")?);
    let op = |kind: &str, entry: &Json| {
        let mut op = Map::new();
        op.insert("kind".into(), Json::from(kind));
        op.insert("entry".into(), entry.clone());
        Json::Object(op)
    };
    let mut ops = Vec::new();
    for (id, entry) in &to {
        match from.iter().find(|(other, _)| other == id) {
            None => ops.push(op("entry.create", entry)),
            Some((_, before)) if before != entry => ops.push(op("entry.update", entry)),
            Some(_) => {}
        }
    }
    for (id, entry) in &from {
        if !to.iter().any(|(other, _)| other == id) {
            ops.push(op("entry.delete", entry));
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_delta_creates_updates_and_deletes() {
        let from = json!([{"id": "t:a", "kind": "t"}, {"id": "t:same", "kind": "t"}, {"id": "t:old", "kind": "t"}]);
        let to = json!([{"id": "t:same", "kind": "t"}, {"id": "t:a", "kind": "t", "data": {"x": 1}}, {"id": "t:b", "kind": "t"}]);
        let kinds: Vec<(String, String)> = delta(&from, &to)
            .unwrap()
            .iter()
            .map(|op| (op["kind"].as_str().unwrap().into(), op["entry"]["id"].as_str().unwrap().into()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("entry.update".to_owned(), "t:a".to_owned()),
                ("entry.create".to_owned(), "t:b".to_owned()),
                ("entry.delete".to_owned(), "t:old".to_owned()),
            ]
        );
        assert!(delta(&json!("x"), &json!([])).is_err());
    }
}
