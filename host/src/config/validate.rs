//! Checks across entries, once every file is read: duplicate ids, references that must name an
//! existing entry of the right kind (imports → a Lua entry, `storage` → `env.storage.*`,
//! a service's `process` → `process.lua` and `host` → `process.host`), import cycles, and
//! start-order cycles among services (`lifecycle.requires`, and a service's implicit need of
//! its host).
//!
//! ```text
//! lib.yaml:4: entry 'app:a': import cycle: app:a -> app:b -> app:a
//! ```

use std::collections::{HashMap, HashSet};

use super::build::{Candidate, Reference};
use super::error::{ConfigError, Location};
use super::id::EntryId;
use super::kinds::{LIFECYCLE_KINDS, suggest_within, typo_budget};

pub fn check(candidates: &[Candidate], errors: &mut Vec<ConfigError>) {
    let index = first_definitions(candidates, errors);
    references(candidates, &index, errors);
    super::contract::check_methods(candidates, errors);
    let import = |r: &Reference| r.expect == super::lua::IMPORTABLE;
    cycles(
        candidates,
        &index,
        (super::lua::IMPORTABLE, import),
        "import cycle",
        errors,
    );
    cycles(
        candidates,
        &index,
        (LIFECYCLE_KINDS.as_slice(), |_| true),
        "start-order cycle",
        errors,
    );
}

/// Id → the candidate that defines it first; later definitions are errors.
fn first_definitions<'a>(
    candidates: &'a [Candidate],
    errors: &mut Vec<ConfigError>,
) -> HashMap<&'a EntryId, usize> {
    let mut index = HashMap::new();
    for (at, candidate) in candidates.iter().enumerate() {
        if let Some(&first) = index.get(&candidate.id) {
            let first: &Candidate = &candidates[first];
            errors.push(ConfigError::new(
                candidate.location.clone(),
                None,
                format!(
                    "duplicate entry id '{}' (first defined at {})",
                    candidate.id, first.location
                ),
            ));
        } else {
            index.insert(&candidate.id, at);
        }
    }
    index
}

fn references(
    candidates: &[Candidate],
    index: &HashMap<&EntryId, usize>,
    errors: &mut Vec<ConfigError>,
) {
    // While a hub component is missing, a reference into a namespace no entry defines most
    // likely names one of its entries: its `ns.dependency` error says so once.
    let awaits_hub = candidates
        .iter()
        .any(|c| c.kind.as_deref() == Some(super::namespace::DEPENDENCY));
    let namespaces: HashSet<&str> = candidates.iter().map(|c| c.id.ns.as_str()).collect();
    let injected = super::namespace::injected(candidates);
    for candidate in candidates {
        for reference in &candidate.refs {
            if injected.contains(&(&candidate.id, reference.label.as_str())) {
                continue;
            }
            let problem = match index.get(&reference.target).map(|&t| &candidates[t]) {
                None if awaits_hub && !namespaces.contains(reference.target.ns.as_str()) => None,
                None => {
                    let mut message = format!(
                        "{} refers to '{}', which does not exist",
                        reference.label, reference.target
                    );
                    let wanted = reference.target.to_string();
                    let names: Vec<String> = candidates
                        .iter()
                        .filter(|c| {
                            c.kind
                                .as_deref()
                                .is_some_and(|k| reference.expect.contains(&k))
                        })
                        .map(|c| c.id.to_string())
                        .collect();
                    // The budget comes from the name alone: a shared namespace would make any
                    // two short names look alike.
                    let budget = typo_budget(&reference.target.name);
                    let near = suggest_within(&wanted, names.iter().map(String::as_str), budget);
                    if let Some(near) = near {
                        message.push_str(&format!("; did you mean '{near}'?"));
                    }
                    Some(message)
                }
                Some(target) => match target.kind.as_deref() {
                    Some(kind) if reference.expect.contains(&kind) => None,
                    Some(kind) => Some(format!(
                        "{} refers to '{}', which is a {kind}, not {}",
                        reference.label,
                        reference.target,
                        expected_kinds(reference.expect)
                    )),
                    None => Some(format!(
                        "{} refers to '{}', which has no valid kind",
                        reference.label, reference.target
                    )),
                },
            };
            if let Some(message) = problem {
                errors.push(ConfigError::new(
                    Location::new(&candidate.location.file, reference.line),
                    Some(candidate.id.to_string()),
                    message,
                ));
            }
        }
    }
}

/// Reports each cycle of the references `follows` keeps among entries of `kinds` once, as
/// "`what`: a -> b -> a", at the reference made by the cycle's entry that comes first in load
/// order.
fn cycles(
    candidates: &[Candidate],
    index: &HashMap<&EntryId, usize>,
    (kinds, follows): (&[&str], fn(&Reference) -> bool),
    what: &str,
    errors: &mut Vec<ConfigError>,
) {
    let in_graph = |at: usize| {
        candidates[at]
            .kind
            .as_deref()
            .is_some_and(|k| kinds.contains(&k))
    };
    // Edges of first definitions only: a duplicate is already an error of its own.
    let edges: Vec<Vec<(usize, usize)>> = candidates
        .iter()
        .enumerate()
        .map(|(at, candidate)| {
            if !in_graph(at) || index.get(&candidate.id) != Some(&at) {
                return Vec::new();
            }
            candidate
                .refs
                .iter()
                .filter(|r| follows(r))
                .filter_map(|r| index.get(&r.target).map(|&t| (t, r.line)))
                .filter(|&(t, _)| in_graph(t))
                .collect()
        })
        .collect();

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; candidates.len()];
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    for start in 0..candidates.len() {
        if state[start] != State::New || edges[start].is_empty() {
            continue;
        }
        // An explicit stack: chains may be long, the thread's stack is not.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = State::OnPath;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let Some(&(target, _)) = edges[node].get(*next) else {
                state[node] = State::Done;
                path.pop();
                continue;
            };
            *next += 1;
            match state[target] {
                State::New => {
                    state[target] = State::OnPath;
                    path.push((target, 0));
                }
                State::OnPath => {
                    let from = path.iter().position(|&(n, _)| n == target).unwrap_or(0);
                    let cycle: Vec<usize> = path[from..].iter().map(|&(n, _)| n).collect();
                    report_cycle(candidates, &edges, cycle, what, &mut seen, errors);
                }
                State::Done => {}
            }
        }
    }
}

fn report_cycle(
    candidates: &[Candidate],
    edges: &[Vec<(usize, usize)>],
    mut cycle: Vec<usize>,
    what: &str,
    seen: &mut HashSet<Vec<usize>>,
    errors: &mut Vec<ConfigError>,
) {
    let Some(first) = cycle
        .iter()
        .enumerate()
        .min_by_key(|&(_, &n)| n)
        .map(|(i, _)| i)
    else {
        return;
    };
    cycle.rotate_left(first);
    if !seen.insert(cycle.clone()) {
        return;
    }
    let head = cycle[0];
    let next = cycle.get(1).copied().unwrap_or(head);
    let line = edges[head]
        .iter()
        .find(|&&(t, _)| t == next)
        .map_or(candidates[head].location.line, |&(_, line)| line);
    let names: Vec<String> = cycle
        .iter()
        .chain(std::iter::once(&head))
        .map(|&n| candidates[n].id.to_string())
        .collect();
    errors.push(ConfigError::new(
        Location::new(&candidates[head].location.file, line),
        Some(candidates[head].id.to_string()),
        format!("{what}: {}", names.join(" -> ")),
    ));
}

/// "a process.lua", "a process.host or terminal.host", or for a long list, what they share.
fn expected_kinds(expect: &[&str]) -> String {
    if expect == super::kinds::LIFECYCLE_KINDS.as_slice() {
        return "a service or resource with a lifecycle (a host, service, database, store, env \
                storage or Temporal entry)"
            .to_owned();
    }
    format!("a {}", expect.join(" or "))
}

#[cfg(test)]
mod tests {
    use crate::config::testing::*;

    #[test]
    fn import_references_must_name_lua_entries() {
        let app = one_file(
            "  - name: f\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20   imports:\n      helpers: helpres\n      fn: g\n      far: other.ns:lib\n      ok: lib\n\
             \x20     data: r\n\
             \x20 - name: g\n    kind: function.lua\n    source: file://main.lua\n    method: main\n\
             \x20 - name: helpers\n    kind: library.lua\n    source: file://lib.lua\n\
             \x20 - name: lib\n    kind: library.lua\n    source: file://lib.lua\n\
             \x20 - {name: r, kind: registry.entry}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:8: entry 'app:f': import 'helpers' refers to 'app:helpres', which does \
                 not exist; did you mean 'app:helpers'?",
                "_index.yaml:10: entry 'app:f': import 'far' refers to 'other.ns:lib', which does not \
                 exist",
                "_index.yaml:12: entry 'app:f': import 'data' refers to 'app:r', which is a \
                 registry.entry, not a library.lua or function.lua or process.lua",
            ]
        );
    }

    #[test]
    fn storage_must_name_a_storage() {
        let app = one_file(
            "  - {name: r, kind: registry.entry}\n\
             \x20 - {name: a, kind: env.variable, variable: A, storage: nope}\n\
             \x20 - {name: b, kind: env.variable, variable: B, storage: r}\n\
             \x20 - {name: c, kind: env.variable, variable: C, storage: other:os}\n\
             \x20 - {name: os, kind: env.storage.os}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:4: entry 'app:a': storage refers to 'app:nope', which does not exist",
                "_index.yaml:5: entry 'app:b': storage refers to 'app:r', which is a registry.entry, \
                 not a env.storage.os or env.storage.memory or env.storage.file",
                "_index.yaml:6: entry 'app:c': storage refers to 'other:os', which does not exist",
            ]
        );
    }

    #[test]
    fn import_cycles() {
        let app = TestApp::new(&[
            (
                "_index.yaml",
                "namespace: app\nentries:\n\
                 \x20 - {name: a, kind: library.lua, source: x, imports: {b: b}}\n\
                 \x20 - {name: b, kind: library.lua, source: x, imports: {a: a, c: c}}\n\
                 \x20 - {name: c, kind: library.lua, source: x, imports: {a: a}}\n\
                 \x20 - {name: self, kind: library.lua, source: x, imports: {me: self}}\n\
                 \x20 - {name: ok, kind: library.lua, source: x, imports: {c: c}}\n\
                 \x20 - {name: f, kind: function.lua, source: x, method: m, imports: {a: a}}\n",
            ),
            (
                "other.yaml",
                "namespace: other\nentries:\n\
                 \x20 - name: x\n    kind: library.lua\n    source: x\n    imports:\n      y: y\n\
                 \x20 - name: y\n    kind: library.lua\n    source: x\n    imports:\n      x: x\n",
            ),
        ]);
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:3: entry 'app:a': import cycle: app:a -> app:b -> app:a",
                "_index.yaml:3: entry 'app:a': import cycle: app:a -> app:b -> app:c -> app:a",
                "_index.yaml:6: entry 'app:self': import cycle: app:self -> app:self",
                "other.yaml:7: entry 'other:x': import cycle: other:x -> other:y -> other:x",
            ]
        );
    }

    #[test]
    fn start_order_cycles_count_a_service_needing_its_host() {
        let app = one_file(
            "  - {name: worker, kind: process.lua, source: file://main.lua}\n\
             \x20 - name: h\n    kind: process.host\n    lifecycle:\n      requires: [b]\n\
             \x20 - {name: a, kind: process.service, process: worker, host: h}\n\
             \x20 - name: b\n    kind: process.service\n    process: worker\n    host: h\n\
             \x20   lifecycle: {depends_on: [a]}\n\
             \x20 - {name: self, kind: process.host, lifecycle: {requires: [self]}}\n",
        );
        assert_eq!(
            app.errors(),
            [
                "_index.yaml:7: entry 'app:h': start-order cycle: app:h -> app:b -> app:h",
                "_index.yaml:7: entry 'app:h': start-order cycle: app:h -> app:b -> app:a -> app:h",
                "_index.yaml:14: entry 'app:self': start-order cycle: app:self -> app:self",
            ]
        );
    }

    #[test]
    fn duplicate_ids_across_files() {
        let app = TestApp::new(&[
            (
                "a.yaml",
                "namespace: app\nentries:\n  - {name: x, kind: registry.entry}\n",
            ),
            (
                "b.yaml",
                "namespace: app\nentries:\n\n  - name: x\n    kind: env.storage.os\n",
            ),
        ]);
        let root = app.root().display().to_string();
        assert_eq!(
            app.errors(),
            [
                format!("b.yaml:4: duplicate entry id 'app:x' (first defined at {root}/a.yaml:3)")
                    .replace(&format!("{root}/"), "")
            ]
        );
    }
}
