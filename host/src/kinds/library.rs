//! `library.lua`: shared code that entries import by alias (`imports: {alias: ns:name}`).
//!
//! A library runs inside the importing entry's sandbox, on its first `require`, with its own
//! globals and its own `require` scope: its `modules:` and `imports:` apply inside it, the
//! importer's do not. The host compiles each library once (to bytecode, at load) however many
//! entries import it; [`closure`] lays out the chunks one invocation needs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{EntryId, LuaEntry};
use crate::engine::{Chunk, Extensions, Invocation, Limits, modules_of};
use crate::modules::Grants;

/// A Lua entry's compiled chunk and its scope, as the app holds it.
#[derive(Debug, Clone)]
pub struct CompiledLua {
    pub id: EntryId,
    pub chunk_name: String,
    /// Bytecode from [`crate::engine::Engine::compile`].
    pub code: Arc<[u8]>,
    pub spec: LuaEntry,
}

/// The chunks of one invocation: `root` first, then every library it reaches through imports,
/// each once, with imports turned into indexes. `lookup` gives the compiled form of an id; ids
/// it does not know are skipped (the loader has already rejected dangling imports).
pub fn closure<'a>(
    root: &'a CompiledLua,
    lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
) -> Vec<Chunk> {
    let mut order: Vec<&CompiledLua> = vec![root];
    let mut index: HashMap<&EntryId, u32> = HashMap::from([(&root.id, 0)]);
    let mut next = 0;
    while next < order.len() {
        let current = order[next];
        next += 1;
        for target in current.spec.imports.values() {
            if index.contains_key(target) {
                continue;
            }
            if let Some(library) = lookup(target) {
                index.insert(&library.id, order.len() as u32);
                order.push(library);
            }
        }
    }
    // A module imported under an alias (`:registry`) is a chunk of one line that requires it.
    let mut modules: Vec<&str> = Vec::new();
    for compiled in &order {
        for module in compiled.spec.module_imports.values() {
            if !modules.contains(&module.as_str()) {
                modules.push(module);
            }
        }
    }
    let module_index = |module: &str| {
        let at = modules.iter().position(|m| *m == module)?;
        u32::try_from(order.len() + at).ok()
    };
    let mut chunks: Vec<Chunk> = order
        .iter()
        .enumerate()
        .map(|(position, compiled)| Chunk {
            id: compiled.id.to_string(),
            chunk_name: compiled.chunk_name.clone(),
            code: compiled.code.clone(),
            compiled: true,
            modules: compiled.spec.modules.clone(),
            imports: compiled
                .spec
                .imports
                .iter()
                .filter_map(|(alias, target)| Some((alias.clone(), *index.get(target)?)))
                .chain(
                    compiled
                        .spec
                        .module_imports
                        .iter()
                        .filter_map(|(alias, module)| Some((alias.clone(), module_index(module)?))),
                )
                .collect(),
            library: position > 0,
        })
        .collect();
    chunks.extend(modules.iter().map(|module| Chunk {
        id: format!(":{module}"),
        chunk_name: format!("=[luabox:{module}]"),
        code: format!("return require(\"{module}\")").into_bytes().into(),
        compiled: false,
        modules: vec![(*module).to_owned()],
        imports: Vec::new(),
        library: true,
    }));
    chunks
}

/// What every run of a Lua entry shares: its chunks and their scopes, the modules linked for
/// them, its method and limits. [`super::function::Function`] and
/// [`super::process::ProcessEntry`] add what their kind needs on top.
#[derive(Debug)]
pub struct Program {
    id: EntryId,
    method: Option<String>,
    chunks: Vec<Chunk>,
    linked: Vec<String>,
    limits: Limits,
    /// What its sandboxes carry: the entry's [`Grants`].
    extensions: Extensions,
}

impl Program {
    /// The program of `compiled`, whose own chunk may also use the modules in `always`
    /// (whatever its `modules:` lists).
    pub fn new<'a>(
        compiled: &'a CompiledLua,
        lookup: impl Fn(&EntryId) -> Option<&'a CompiledLua>,
        always: &[&str],
    ) -> Self {
        let spec = &compiled.spec;
        let defaults = Limits::default();
        let limits = Limits {
            memory: spec.limits.memory.unwrap_or(defaults.memory),
            deadline: spec.limits.timeout.unwrap_or(defaults.deadline),
            max_payload: spec.limits.max_payload.unwrap_or(defaults.max_payload),
            max_pending: spec.limits.max_pending.unwrap_or(defaults.max_pending),
        };
        let mut chunks = closure(compiled, &lookup);
        let resources = granted_resources(&chunks, &lookup);
        // `process` is always there, in every Lua entry and library, as in Wippy (a function
        // gets a pid only when it first uses it).
        for chunk in &mut chunks {
            if !chunk.modules.iter().any(|m| m == "process") {
                chunk.modules.push("process".to_owned());
            }
        }
        if let Some(own) = chunks.first_mut() {
            for module in always {
                if !own.modules.iter().any(|m| m == module) {
                    own.modules.push((*module).to_owned());
                }
            }
        }
        Program {
            id: compiled.id.clone(),
            method: spec.method.clone(),
            linked: modules_of(&chunks),
            chunks,
            limits,
            extensions: Extensions::default().with(Arc::new(Grants {
                allowed_hosts: spec.allowed_hosts.as_slice().into(),
                resources,
            })),
        }
    }

    /// The invocation of one run with `args` (a MessagePack array).
    pub fn invocation(&self, args: Vec<u8>) -> Invocation {
        Invocation {
            entry: self.id.to_string(),
            method: self.method.clone(),
            chunks: self.chunks.clone(),
            linked: self.linked.clone(),
            args,
            limits: self.limits,
            deterministic: false,
            extensions: self.extensions.clone(),
        }
    }
}

/// The databases and stores an invocation may open: those its entry and the libraries it
/// imports list in `resources:` (as with `modules:`, importing a library grants what the
/// library needs).
fn granted_resources<'a>(
    chunks: &[Chunk],
    lookup: &impl Fn(&EntryId) -> Option<&'a CompiledLua>,
) -> Arc<[EntryId]> {
    let mut granted: Vec<EntryId> = Vec::new();
    for chunk in chunks {
        let Some(compiled) = chunk.id.parse().ok().and_then(|id| lookup(&id)) else {
            continue;
        };
        for resource in &compiled.spec.resources {
            if !granted.contains(resource) {
                granted.push(resource.clone());
            }
        }
    }
    granted.into()
}
