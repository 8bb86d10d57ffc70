//! The order services start in: [`start_order`].
//!
//! A service starts after its host and after every entry its `lifecycle.requires` names. The
//! order goes level by level, as the reference runtime starts them (in parallel within a level):
//! first the services that need nothing, then those whose needs are all in earlier levels, and
//! so on; within a level, in load order.
//!
//! ```text
//! app:processes           (process.host)
//! app:db.service          (process.service on app:processes)
//! app:api.service         (process.service, requires: [db.service])
//! ```

use std::collections::HashMap;

use super::entry::{Entry, Spec};
use super::id::EntryId;

/// The ids of the entries with a lifecycle (`process.host`, `process.service`), dependencies
/// first. Needs of entries not in `entries` are ignored; entries in a cycle (which loading
/// rejects) come last, in load order.
pub fn start_order(entries: &[Entry]) -> Vec<&EntryId> {
    let services: Vec<&Entry> = entries.iter().filter(|e| e.lifecycle().is_some()).collect();
    let mut index = HashMap::new();
    for (at, entry) in services.iter().enumerate() {
        index.entry(&entry.id).or_insert(at);
    }
    let mut waiting = vec![0usize; services.len()];
    let mut dependents = vec![Vec::new(); services.len()];
    for (at, entry) in services.iter().enumerate() {
        for need in needs(entry).filter_map(|id| index.get(id)) {
            waiting[at] += 1;
            dependents[*need].push(at);
        }
    }

    let mut order = Vec::with_capacity(services.len());
    let mut level: Vec<usize> = (0..services.len()).filter(|&at| waiting[at] == 0).collect();
    while !level.is_empty() {
        let mut next = Vec::new();
        for &at in &level {
            for &dependent in &dependents[at] {
                waiting[dependent] -= 1;
                if waiting[dependent] == 0 {
                    next.push(dependent);
                }
            }
        }
        order.append(&mut level);
        next.sort_unstable();
        level = next;
    }
    order.extend((0..services.len()).filter(|&at| waiting[at] > 0));
    order.into_iter().map(|at| &services[at].id).collect()
}

/// What an entry must start after: a service's host, then `lifecycle.requires`.
pub fn needs(entry: &Entry) -> impl Iterator<Item = &EntryId> {
    let host = match &entry.spec {
        Spec::ProcessService(service) => Some(&service.host),
        _ => None,
    };
    let requires = entry
        .lifecycle()
        .map(|l| l.requires.as_slice())
        .unwrap_or_default();
    host.into_iter().chain(requires)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

    fn order(entries: &[Entry]) -> Vec<String> {
        start_order(entries)
            .into_iter()
            .map(ToString::to_string)
            .collect()
    }

    fn requires(entry: &mut Entry, ids: &[&str]) {
        let lifecycle = match &mut entry.spec {
            Spec::ProcessHost(host) => &mut host.lifecycle,
            Spec::ProcessService(service) => &mut service.lifecycle,
            other => panic!("no lifecycle: {other:?}"),
        };
        lifecycle.requires = ids.iter().map(|id| id.parse().unwrap()).collect();
    }

    #[test]
    fn hosts_and_requirements_first_then_load_order() {
        let mut entries = one_file(
            "  - {name: worker, kind: process.lua, source: file://main.lua}\n\
             \x20 - {name: api, kind: process.service, process: worker, host: h2, \
             lifecycle: {requires: [db]}}\n\
             \x20 - {name: db, kind: process.service, process: worker, host: h1}\n\
             \x20 - {name: h2, kind: process.host, lifecycle: {requires: [h1]}}\n\
             \x20 - {name: cache, kind: process.service, process: worker, host: h1}\n\
             \x20 - {name: h1, kind: process.host}\n",
        )
        .app()
        .entries;
        assert_eq!(
            order(&entries),
            ["app:h1", "app:db", "app:h2", "app:cache", "app:api"]
        );

        // Loading rejects both; the order still covers every service.
        requires(&mut entries[3], &["app:h1", "app:api"]);
        requires(&mut entries[5], &["other:missing"]);
        assert_eq!(
            order(&entries),
            ["app:h1", "app:db", "app:cache", "app:api", "app:h2"]
        );
        assert!(order(&entries[..1]).is_empty());
    }
}
