//! The fields of `contract.definition` and `contract.binding` (Wippy: wippyai/docs
//! en/guides/entry-kinds.md "Contracts", en/lua/core/contract.md) → [`ContractDefinition`],
//! [`ContractBinding`]. What they do at run time is the `contract` module's
//! (`modules/contract.rs`).
//!
//! ```yaml
//! - name: greeter
//!   kind: contract.definition
//!   methods:
//!     - name: greet                      # required, unique
//!       description: Returns a greeting
//!       input_schemas: [{format: application/schema+json, definition: {type: string}}]
//!       output_schemas: [...]
//! - name: greeter_impl
//!   kind: contract.binding
//!   contracts:
//!     - contract: app:greeter            # a contract.definition
//!       default: true                    # the binding `contract.get(...):open()` picks
//!       methods: {greet: app:greet_fn}   # method → function.lua
//! ```
//!
//! A binding may leave methods of its contract unbound (calling one is a `NotFound` error); a
//! method it binds must be one the contract defines, and the function must exist.

use super::build::{self, Candidate, Reference};
use super::entry::Spec;
use super::error::{ConfigError, Location};
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

/// A `contract.definition`: its methods' names, in order (the rest of each method stays in the
/// entry's data, which the `contract` module reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDefinition {
    pub methods: Vec<String>,
}

/// A `contract.binding`: the contracts it implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractBinding {
    pub contracts: Vec<BoundContract>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundContract {
    pub contract: EntryId,
    pub default: bool,
    /// Method name → the function that implements it.
    pub methods: Vec<(String, EntryId)>,
}

impl ContractBinding {
    /// The function bound to `method` (in the first contract that binds it), if any.
    pub fn target(&self, method: &str) -> Option<&EntryId> {
        self.contracts
            .iter()
            .flat_map(|c| &c.methods)
            .find(|(name, _)| name == method)
            .map(|(_, target)| target)
    }
}

entry_kind! {
    /// `contract.definition`.
    Definition: "contract.definition",
    required: ["methods"],
    optional: ["context_required", "default_binding"],
    build: |cx| definition(cx.fields, cx.problems).map(Spec::ContractDefinition),
}

entry_kind! {
    /// `contract.binding`.
    Binding: "contract.binding",
    required: ["contracts"],
    optional: ["context_required"],
    build: |cx| {
        let (binding, found) = binding(cx.fields, cx.id, cx.problems);
        cx.refs.extend(found);
        binding.map(Spec::ContractBinding)
    },
}

const METHOD_FIELDS: &[&str] = &["name", "description", "input_schemas", "output_schemas"];

fn definition(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<ContractDefinition> {
    let before = problems.len();
    let (_, node) = fields::find(fields, "methods")?;
    let Some(items) = node.as_seq() else {
        problems.push(problem(
            node.line,
            "field 'methods' must be a list of methods",
        ));
        return None;
    };
    let mut methods: Vec<String> = Vec::new();
    for item in items {
        let mut name = None;
        fields::each_field("methods[]", item, problems, |key, value, field, _| {
            match key.text.as_str() {
                "name" => {
                    fields::non_empty_string(field, value).map(|n| name = Some((n, value.line)))
                }
                "description" => fields::string(field, value).map(drop),
                // Schemas are kept as data: luabox does not validate calls against them.
                "input_schemas" | "output_schemas" => Ok(()),
                _ => Err(fields::unknown("methods[]", key, METHOD_FIELDS)),
            }
        });
        match name {
            Some((name, line)) if methods.contains(&name) => {
                problems.push(problem(line, format!("method '{name}' is defined twice")));
            }
            Some((name, _)) => methods.push(name),
            None => problems.push(problem(item.line, "a method needs a name")),
        }
    }
    (problems.len() == before).then_some(ContractDefinition { methods })
}

fn binding(
    fields: &[(Key, Node)],
    id: &EntryId,
    problems: &mut Vec<Problem>,
) -> (Option<ContractBinding>, Vec<Reference>) {
    let before = problems.len();
    let mut refs = Vec::new();
    let mut contracts = Vec::new();
    let Some((_, node)) = fields::find(fields, "contracts") else {
        return (None, refs);
    };
    let Some(items) = node.as_seq() else {
        problems.push(problem(node.line, "field 'contracts' must be a list"));
        return (None, refs);
    };
    for item in items {
        let mut contract = None;
        let mut default = false;
        let mut methods = Vec::new();
        fields::each_field(
            "contracts[]",
            item,
            problems,
            |key, value, field, problems| match key.text.as_str() {
                "contract" => {
                    contract = build::reference(
                        field,
                        value,
                        value.line,
                        &["contract.definition"],
                        &id.ns,
                        &mut refs,
                        problems,
                    );
                    Ok(())
                }
                "default" => fields::boolean(field, value).map(|b| default = b),
                "methods" => {
                    fields::each_field(
                        field,
                        value,
                        problems,
                        |method, target, field, problems| {
                            let target = build::reference(
                                field,
                                target,
                                target.line,
                                &["function.lua"],
                                &id.ns,
                                &mut refs,
                                problems,
                            );
                            if let Some(target) = target {
                                methods.push((method.text.clone(), target));
                            }
                            Ok(())
                        },
                    );
                    Ok(())
                }
                "context_required" => Ok(()),
                _ => Err(fields::unknown(
                    "contracts[]",
                    key,
                    &["contract", "default", "methods", "context_required"],
                )),
            },
        );
        match contract {
            Some(contract) => contracts.push(BoundContract {
                contract,
                default,
                methods,
            }),
            None if problems.len() == before => {
                problems.push(problem(item.line, "a bound contract needs 'contract'"));
            }
            None => {}
        }
    }
    let binding = (problems.len() == before).then_some(ContractBinding { contracts });
    (binding, refs)
}

/// Once every file is read: each method a binding binds must be one its contract defines.
pub fn check_methods(candidates: &[Candidate], errors: &mut Vec<ConfigError>) {
    let definition = |id: &EntryId| {
        candidates
            .iter()
            .find_map(|c| match c.entry.as_ref().map(|e| &e.spec) {
                Some(Spec::ContractDefinition(definition)) if &c.id == id => Some(definition),
                _ => None,
            })
    };
    for candidate in candidates {
        let Some(Spec::ContractBinding(binding)) = candidate.entry.as_ref().map(|e| &e.spec) else {
            continue;
        };
        for bound in &binding.contracts {
            let Some(definition) = definition(&bound.contract) else {
                continue;
            };
            for (method, _) in &bound.methods {
                if !definition.methods.contains(method) {
                    let mut message = format!(
                        "contract '{}' has no method '{method}' (its methods: {})",
                        bound.contract,
                        definition.methods.join(", ")
                    );
                    let near = super::kinds::suggest(
                        method,
                        definition.methods.iter().map(String::as_str),
                    );
                    if let Some(near) = near {
                        message.push_str(&format!("; did you mean '{near}'?"));
                    }
                    errors.push(ConfigError::new(
                        Location::new(&candidate.location.file, candidate.location.line),
                        Some(candidate.id.to_string()),
                        message,
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

    const APP: &str = "  - name: greeter
    kind: contract.definition
    methods:
      - {name: greet, description: Says hello}
      - name: greet_with_name
        input_schemas: [{format: application/schema+json, definition: {type: string}}]
  - {name: greet_fn, kind: function.lua, source: file://main.lua, method: main}
  - name: greeter_impl
    kind: contract.binding
    contracts:
      - contract: greeter
        default: true
        methods: {greet: greet_fn, greet_with_name: app:greet_fn}
";

    #[test]
    fn definitions_and_bindings_are_read() {
        let app = one_file(APP).app();
        let Spec::ContractDefinition(definition) = &entry(&app, "app:greeter").spec else {
            panic!("contract.definition not built")
        };
        assert_eq!(definition.methods, ["greet", "greet_with_name"]);
        let Spec::ContractBinding(binding) = &entry(&app, "app:greeter_impl").spec else {
            panic!("contract.binding not built")
        };
        assert!(binding.contracts[0].default);
        assert_eq!(
            binding.target("greet").map(ToString::to_string).as_deref(),
            Some("app:greet_fn")
        );
        assert!(binding.target("nope").is_none());
    }

    #[test]
    fn bad_contracts_name_their_lines() {
        let app = one_file(
            "  - name: c
    kind: contract.definition
    methods:
      - {name: a}
      - {name: a, descripton: x}
  - name: b
    kind: contract.binding
    contracts:
      - {contract: app:nope, methods: {a: app:missing}}
  - name: d
    kind: contract.binding
    contracts:
      - {contract: app:ok, methods: {gret: app:f}}
  - {name: ok, kind: contract.definition, methods: [{name: greet}]}
  - {name: f, kind: function.lua, source: file://main.lua, method: main}
",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:7: entry 'app:c': unknown field 'methods[].descripton' (expected \
                 one of: name, description, input_schemas, output_schemas); did you mean \
                 'description'?",
                "_index.yaml:7: entry 'app:c': method 'a' is defined twice",
                "_index.yaml:11: entry 'app:b': contracts[].contract refers to 'app:nope', \
                 which does not exist",
                "_index.yaml:11: entry 'app:b': contracts[].methods.a refers to 'app:missing', \
                 which does not exist",
                "_index.yaml:12: entry 'app:d': contract 'app:ok' has no method 'gret' (its \
                 methods: greet); did you mean 'greet'?",
            ]
        );
    }
}
