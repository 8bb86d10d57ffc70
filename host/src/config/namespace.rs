//! The kinds by which Wippy apps compose packages (Wippy: wippyai/docs en/guides/dependency-management.md,
//! en/framework/overview.md): `ns.definition` (a package's description), `ns.requirement` (a value
//! its consumer injects) and `ns.dependency` (a component from Wippy's hub).
//!
//! luabox keeps the first two as data, readable through `registry`. It cannot fetch hub
//! components, so an `ns.dependency` is an error naming the component and how to go on without
//! the hub; while one is declared, references into namespaces no entry of the app defines are
//! left to that error instead of being reported one by one (`validate.rs`).
//!
//! ```text
//! _index.yaml:21: entry 'app:views': needs the hub component 'wippy/views' (version "*"),
//!     which luabox cannot fetch: ...
//! ```

use std::collections::HashSet;

use super::build::Candidate;
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::{Build, EntryKind, Schema, entry_kind};

/// The kind whose entries name hub components.
pub const DEPENDENCY: &str = "ns.dependency";

entry_kind! {
    /// `ns.dependency`: a hub component, which luabox cannot fetch.
    Dependency: "ns.dependency",
    required: ["component"],
    optional: ["version", "parameters"],
    build: |cx| dependency(cx),
}

fn dependency(cx: &mut Build<'_, '_, '_>) -> Option<Spec> {
    let (_, node) = fields::find(cx.fields, "component")?;
    let component = fields::non_empty_string("component", node)
        .map_err(|p| cx.problems.push(p))
        .ok()?;
    let version = fields::find(cx.fields, "version")
        .and_then(|(_, node)| fields::string("version", node).ok())
        .map_or_else(String::new, |version| format!(" (version \"{version}\")"));
    cx.problems.push(problem(
        cx.line,
        format!(
            "needs the hub component '{component}'{version}, which luabox cannot fetch (it \
             has no access to Wippy's hub): copy the component's entries and files into the app \
             and remove this entry. References into namespaces that no entry of the app defines \
             are not checked while it is declared"
        ),
    ));
    None
}

/// A kind whose entries are data only, any fields allowed (`ns.definition`, `ns.requirement`).
pub struct Open(pub &'static Schema);

impl EntryKind for Open {
    fn schema(&self) -> &'static Schema {
        self.0
    }

    fn build(&self, _: &mut Build<'_, '_, '_>) -> Option<Spec> {
        Some(Spec::Data)
    }
}

/// `ns.definition`: what a package is (its title and description in `meta`).
pub static DEFINITION: Open = Open(&Schema {
    kind: "ns.definition",
    required: &[],
    optional: &[],
    open: true,
});

/// `ns.requirement`: a value a package's consumer injects into its entries (`targets`, each
/// `{entry, path}`). An app run on its own has no consumer, so its entries keep what they say;
/// a reference at a target path is not checked, since the consumer sets it ([`injected`]).
pub static REQUIREMENT: Open = Open(&Schema {
    kind: "ns.requirement",
    required: &[],
    optional: &[],
    open: true,
});

/// The fields that `ns.requirement` entries say their consumer sets: `(entry, field)` pairs, the
/// field as reference labels name it (`meta.router` for the path `.meta.router`).
pub fn injected(candidates: &[Candidate]) -> HashSet<(&EntryId, &str)> {
    let mut fields = HashSet::new();
    let requirements = candidates
        .iter()
        .filter(|c| c.kind.as_deref() == Some(REQUIREMENT.0.kind))
        .filter_map(|c| Some((c, c.entry.as_ref()?.data.get("targets")?.as_array()?)));
    for (requirement, targets) in requirements {
        for target in targets {
            let (Some(entry), Some(path)) = (target["entry"].as_str(), target["path"].as_str())
            else {
                continue;
            };
            let Ok(id) = EntryId::resolve(entry, &requirement.id.ns) else {
                continue;
            };
            if let Some(candidate) = candidates.iter().find(|c| c.id == id) {
                fields.insert((&candidate.id, path.trim_start_matches('.')));
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use crate::config::testing::one_file;

    #[test]
    fn a_hub_dependency_is_the_one_error_and_covers_references_into_its_namespaces() {
        let app = one_file(
            "  - name: deps.llm
    kind: ns.dependency
    component: wippy/llm
    version: \"*\"
    parameters: [{name: process_host, value: app:processes}]
  - name: agent
    kind: function.lua
    source: file://main.lua
    method: main
    imports: {llm: wippy.llm:llm, helper: app:missing}
",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: entry 'app:deps.llm': needs the hub component 'wippy/llm' \
                 (version \"*\"), which luabox cannot fetch (it has no access to Wippy's hub): \
                 copy the component's entries and files into the app and remove this entry. \
                 References into namespaces that no entry of the app defines are not checked \
                 while it is declared",
                // A missing entry of the app's own namespace is still reported.
                "_index.yaml:12: entry 'app:agent': import 'helper' refers to 'app:missing', \
                 which does not exist",
            ]
        );
    }

    #[test]
    fn definitions_and_requirements_are_data_and_requirement_targets_are_left_to_the_consumer() {
        let app = one_file(
            "  - name: definition
    kind: ns.definition
    meta: {title: Graph}
  - name: api_router
    kind: ns.requirement
    meta: {description: the router}
    targets:
      - {entry: app:hello.endpoint, path: .meta.router}
  - name: hello
    kind: function.lua
    source: file://main.lua
    method: main
  - name: hello.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: GET
    path: /hello
    func: app:hello
  - name: other.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: GET
    path: /other
    func: app:hello
",
        );
        // Only the endpoint no requirement targets has its router checked.
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:23: entry 'app:other.endpoint': meta.router refers to 'app:router', \
              which does not exist"
            ]
        );
    }
}
