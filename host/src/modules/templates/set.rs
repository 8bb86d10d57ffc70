//! A `template.set` with its templates gathered from the registry ([`CompiledSet`]), and the
//! app's cache of them ([`Sets`], kept in the app's `modules::Shared`). Templates are parsed at
//! load and their kinds cannot change while the app runs, so a set is gathered once.
//!
//! Names work like paths inside the set (Wippy: wippyai/docs en/system/template.md, "Template
//! Resolution"): `"./x"` and `"../x"` are relative to the template that names them, a leading
//! `/` is dropped, and a name ending in one of the set's extensions (`"x.jet"`) also finds `x`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::value::Value;
use crate::config::template::{Template, TemplateSet, TemplateSpec};
use crate::config::{EntryId, Spec};
use crate::registry::Registry;

#[derive(Debug)]
pub struct CompiledSet {
    pub id: EntryId,
    templates: HashMap<String, Arc<Template>>,
    /// Longest first, so `.html.jet` is stripped before `.jet`.
    extensions: Vec<String>,
    pub globals: BTreeMap<String, Value>,
}

impl CompiledSet {
    /// Set `id` (a `template.set` entry) and the `template.jet` entries naming it; two
    /// templates with one name are an error.
    pub fn gather(registry: &Registry, id: &EntryId, set: &TemplateSet) -> Result<CompiledSet, String> {
        let mut templates = HashMap::new();
        let mut owners: HashMap<&str, &EntryId> = HashMap::new();
        for entry in registry.entries() {
            let Spec::Template(TemplateSpec::Jet(jet)) = &entry.spec else {
                continue;
            };
            if jet.set != *id {
                continue;
            }
            if let Some(other) = owners.insert(jet.name.as_str(), &entry.id) {
                return Err(format!(
                    "entries '{other}' and '{}' are both named '{}' in set '{id}'",
                    entry.id, jet.name
                ));
            }
            templates.insert(jet.name.clone(), jet.template.clone());
        }
        let mut extensions = set.extensions.clone();
        extensions.sort_by_key(|e| std::cmp::Reverse(e.len()));
        Ok(CompiledSet {
            id: id.clone(),
            templates,
            extensions,
            globals: super::render::globals(&set.globals),
        })
    }

    /// The template `name` refers to from template `from` (`""`: from outside), with its name.
    pub fn find(&self, name: &str, from: &str) -> Option<(&str, &Template)> {
        let path = normalize(name, from)?;
        let found = self.templates.get_key_value(path.as_str()).or_else(|| {
            self.extensions
                .iter()
                .filter_map(|ext| path.strip_suffix(ext.as_str()).filter(|p| !p.is_empty()))
                .find_map(|stripped| self.templates.get_key_value(stripped))
        });
        found.map(|(name, template)| (name.as_str(), &**template))
    }

    /// A set of `templates` (name, text), parsed, with default extensions and `globals`.
    #[cfg(test)]
    pub fn of(templates: &[(&str, &str)], globals: serde_json::Value) -> CompiledSet {
        let parsed = templates.iter().map(|(name, text)| {
            let template = crate::config::template::parse(text, &format!("{name}.jet"), 1)
                .unwrap_or_else(|e| panic!("{e}"));
            (name.to_string(), Arc::new(template))
        });
        let globals = globals.as_object().cloned().unwrap_or_default();
        CompiledSet {
            id: EntryId::new("app", "views"),
            templates: parsed.collect(),
            extensions: vec![".html.jet".into(), ".jet".into()],
            globals: super::render::globals(&globals),
        }
    }

    /// Its templates' names, sorted, for messages.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.templates.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// `name` as a path from the set's root; `None` when `..` climbs out of it.
fn normalize(name: &str, from: &str) -> Option<String> {
    let relative = name.starts_with("./") || name.starts_with("../");
    let mut parts: Vec<&str> = Vec::new();
    if relative {
        parts.extend(from.split('/'));
        parts.pop();
    }
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The app's gathered sets, by id.
#[derive(Default)]
pub struct Sets(Mutex<HashMap<EntryId, Arc<CompiledSet>>>);

impl Sets {
    /// Set `id`, gathered on first use.
    pub fn get(&self, registry: &Registry, id: &EntryId, set: &TemplateSet) -> Result<Arc<CompiledSet>, String> {
        let mut sets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = sets.get(id) {
            return Ok(found.clone());
        }
        let gathered = Arc::new(CompiledSet::gather(registry, id, set)?);
        sets.insert(id.clone(), gathered.clone());
        Ok(gathered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_paths() {
        assert_eq!(normalize("./b", "dir/a").as_deref(), Some("dir/b"));
        assert_eq!(normalize("../b", "dir/sub/a").as_deref(), Some("dir/b"));
        assert_eq!(normalize("/x/y", "dir/a").as_deref(), Some("x/y"));
        assert_eq!(normalize("x", "dir/a").as_deref(), Some("x"));
        assert_eq!(normalize("../../x", "a"), None);
    }
}
