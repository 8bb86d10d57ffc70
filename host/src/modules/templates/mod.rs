//! `wit/templates.wit`, the `templates` Lua module (Wippy: wippyai/docs en/lua/text/template.md):
//! renders the Jet templates of the app's `template.set` / `template.jet` entries (parsed at
//! load by `config::template`).
//!
//! ```lua
//! local templates = require("templates")
//! local set, err = templates.get("app.views:emails")
//! local html, err = set:render("welcome", {user = {name = "Alice"}})
//! set:release()
//! ```
//!
//! One job per file: `set` gathers a set's templates from the registry and caches them for the
//! app; `render` runs one with data, within the sandbox's bounds; `value` is what it computes
//! with; `ops` its operators; `builtins` the functions templates call. The guest's Set object
//! (`guest-lua/glue/lua/templates.lua`) holds the set's id and whether it was released, so the
//! host keeps no state per sandbox.
//!
//! Error kinds as Wippy's page gives them: `Invalid` (empty id or name), `PermissionDenied` (a
//! set of another namespace not in the entry's `resources:`), `NotFound` (no such set or
//! template), `Internal` (a render error, at the template's file and line).

mod builtins;
mod ops;
mod render;
mod set;
mod value;

use std::sync::Arc;

use render::Failure;
use set::{CompiledSet, Sets};

use super::{AppSandbox, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::templates;
use crate::config::template::TemplateSpec;
use crate::config::{EntryId, Spec};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Linked in workflows: a render is a function of its arguments and of the app's templates,
// which are read at load and cannot change while the app runs (maps print in key order, and
// no built-in reads a clock or randomness), so a replay renders the same text.
host_module!(Templates, "templates", templates, Linked);

impl SandboxState {
    /// Set `reference` (an id, relative ones in the entry's namespace), checked and gathered.
    fn template_set(&self, call: &str, reference: &str) -> Result<Arc<CompiledSet>, HostError> {
        if reference.trim().is_empty() {
            return Err(host_error(ErrorKind::Invalid, format!("{call}: the set id must not be empty")));
        }
        let id = EntryId::resolve(reference, self.namespace()).map_err(|error| {
            host_error(ErrorKind::Invalid, format!("{call}: invalid set id '{reference}': {error}"))
        })?;
        let app = self.app().ok_or_else(|| super::no_app(call, "registry"))?;
        let set = match app.registry().get(&id).map(|entry| (&entry.spec, &entry.kind)) {
            None => {
                return Err(host_error(ErrorKind::NotFound, format!("{call}: no template set '{id}' in the registry")));
            }
            Some((Spec::Template(TemplateSpec::Set(set)), _)) => set.clone(),
            Some((_, kind)) => {
                return Err(host_error(ErrorKind::NotFound, format!("{call}: '{id}' is a {kind}, not a template.set")));
            }
        };
        super::check_granted(self, call, "template set", &id)?;
        app.shared()
            .get::<Sets>()
            .get(app.registry(), &id, &set)
            .map_err(|message| host_error(ErrorKind::Internal, format!("{call}: {message}")))
    }
}

impl templates::Host for SandboxState {
    fn get(&mut self, id: String) -> wasmtime::Result<Result<String, HostError>> {
        Ok(self.template_set("templates.get", &id).map(|set| set.id.to_string()))
    }

    fn render(&mut self, set: String, name: String, data: Vec<u8>) -> wasmtime::Result<Result<String, HostError>> {
        let call = "set:render";
        let set = match self.template_set(call, &set) {
            Ok(set) => set,
            Err(error) => return Ok(Err(error)),
        };
        if name.trim().is_empty() {
            return Ok(Err(host_error(ErrorKind::Invalid, format!("{call}: the template name must not be empty"))));
        }
        if set.find(&name, "").is_none() {
            return Ok(Err(host_error(
                ErrorKind::NotFound,
                format!("{call}: no template '{name}' in set '{}' (it has: {})", set.id, set.names().join(", ")),
            )));
        }
        let data = match crate::codec::decode_values(&data) {
            Ok(values) if values.len() <= 1 => values.into_iter().next().map_or(value::Value::Nil, value::Value::from_msgpack),
            _ => {
                return Ok(Err(host_error(ErrorKind::Invalid, format!("{call}: the data must be one value"))));
            }
        };
        let max_output = self.max_payload() as usize;
        let rendered = render::render(&set, &name, data, max_output, &mut || self.check_deadline().is_ok());
        match rendered {
            Ok(text) => Ok(Ok(text)),
            Err(Failure::Error(message) | Failure::Limit(message)) => Ok(Err(host_error(
                ErrorKind::Internal,
                format!("{call}: template '{name}' of set '{}': {message}", set.id),
            ))),
            // Past the deadline: end the run with the deadline's own error.
            Err(Failure::Stopped) => self.check_deadline().map(|()| {
                Err(host_error(ErrorKind::Internal, format!("{call}: stopped early")))
            }),
        }
    }
}
