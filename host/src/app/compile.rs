//! Compiling an app's Lua at load: every entry's source to bytecode in one sandbox, with each
//! syntax error placed at its file and line.

use std::collections::HashMap;
use std::path::Path;

use super::LoadError;
use crate::config::{self, ConfigError, EntryId, Spec};
use crate::engine::Engine;
use crate::kinds::library::CompiledLua;

/// Compile every Lua entry's source in one sandbox; syntax errors become configuration errors at
/// the Lua line.
pub(super) async fn compile_all(
    dir: &Path,
    engine: &Engine,
    entries: &[config::Entry],
) -> Result<HashMap<EntryId, CompiledLua>, LoadError> {
    let lua: Vec<_> = entries
        .iter()
        .filter_map(|entry| match &entry.spec {
            Spec::Lua(spec) => Some((entry, spec)),
            _ => None,
        })
        .collect();
    // Typed Lua is lowered to plain Lua first (line for line); what cannot be lowered is
    // reported the way Lua's own syntax errors are.
    let mut errors = Vec::new();
    let mut plain = Vec::with_capacity(lua.len());
    for (entry, spec) in lua {
        match crate::typed::to_plain_lua(&spec.source.text) {
            Ok(text) => plain.push((entry, spec, text)),
            Err(error) => {
                let message = format!(
                    "{}:{}: {}",
                    config::shown_chunk_name(&spec.source.chunk_name),
                    error.line,
                    error.message
                );
                errors.push(syntax_error(dir, entry, &spec.source, &message));
            }
        }
    }
    let sources: Vec<(&str, &[u8])> = plain
        .iter()
        .map(|(_, spec, text)| (spec.source.chunk_name.as_str(), text.as_bytes()))
        .collect();
    let results = engine
        .compile(&sources)
        .await
        .map_err(|error| LoadError::Host(anyhow::anyhow!("compiling Lua sources: {error}")))?;
    let mut compiled = HashMap::new();
    for ((entry, spec, _), result) in plain.into_iter().zip(results) {
        match result {
            Ok(code) => {
                compiled.insert(
                    entry.id.clone(),
                    CompiledLua {
                        id: entry.id.clone(),
                        chunk_name: spec.source.chunk_name.clone(),
                        code: code.into(),
                        spec: spec.clone(),
                    },
                );
            }
            Err(message) => errors.push(syntax_error(dir, entry, &spec.source, &message)),
        }
    }
    if errors.is_empty() {
        Ok(compiled)
    } else {
        Err(LoadError::Config(errors))
    }
}

/// Place Lua's syntax message ("src/a.lua:3: unexpected symbol near 'x'") at its file and line.
fn syntax_error(
    dir: &Path,
    entry: &config::Entry,
    source: &config::LuaSource,
    message: &str,
) -> ConfigError {
    let shown = config::shown_chunk_name(&source.chunk_name);
    let parsed = message
        .strip_prefix(shown)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(line, text)| Some((line.parse::<usize>().ok()?, text)));
    let (location, text) = match parsed {
        Some((line, text)) if source.chunk_name.starts_with('@') => (
            config::Location {
                file: dir.join(shown),
                line,
            },
            text.to_owned(),
        ),
        Some((line, text)) => (
            config::Location {
                file: source.location.file.clone(),
                line: source.first_line + line - 1,
            },
            format!("inline source line {line}: {text}"),
        ),
        None => (source.location.clone(), message.to_owned()),
    };
    ConfigError::new(
        location,
        Some(entry.id.to_string()),
        format!("Lua syntax error: {text}"),
    )
}
