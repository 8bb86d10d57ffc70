//! What the app subcommands share: loading an app directory (printing every configuration error
//! with its file and line), parsing entry ids and JSON arguments, and showing a call's outcome.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value as Json;

use super::exit;
use crate::app::{App, LoadError};
use crate::config::EntryId;
use crate::engine::{Engine, EngineConfig};
use crate::error::CallError;

/// Load the app in `dir`, or print why not and return the exit code.
pub async fn load(dir: &Path) -> Result<Arc<App>, u8> {
    let engine =
        Engine::new(EngineConfig::default(), crate::modules::interfaces()).map_err(|error| {
            eprintln!("error: cannot start the engine: {error:#}");
            exit::FAILED
        })?;
    App::load(dir, engine).await.map_err(|error| {
        match error {
            LoadError::Config(errors) => {
                for error in &errors {
                    eprintln!("{error}");
                }
                eprintln!("{}", count_errors(errors.len(), dir));
            }
            LoadError::Host(error) => eprintln!("error: {error:#}"),
        }
        exit::FAILED
    })
}

pub fn count_errors(count: usize, dir: &Path) -> String {
    let noun = if count == 1 { "error" } else { "errors" };
    format!("{count} {noun} in {}", dir.display())
}

/// An entry id from the command line: `ns:name`, or a bare name that only one entry has.
pub fn resolve_id(app: &App, text: &str) -> Result<EntryId, String> {
    if text.contains(':') {
        return text.parse();
    }
    let matches: Vec<_> = app
        .registry()
        .entries()
        .filter(|entry| entry.id.name == text)
        .map(|entry| entry.id.clone())
        .collect();
    match matches.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(format!(
            "no entry named '{text}' (ids look like namespace:name)"
        )),
        _ => Err(format!(
            "'{text}' is ambiguous: {}",
            matches
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub fn parse_json_args(texts: &[String]) -> Result<Vec<Json>, String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            serde_json::from_str(text)
                .map_err(|e| format!("argument #{}: invalid JSON ({e}): {text}", i + 1))
        })
        .collect()
}

/// The exit code for a failed call: limits exit 2, everything else 1.
pub fn exit_code(error: &CallError) -> u8 {
    match error {
        CallError::Run(run) if run.is_limit() => exit::LIMIT,
        _ => exit::FAILED,
    }
}

/// A failed call for people: the message, then the Lua traceback when there is one.
pub fn describe(error: &CallError) -> String {
    match error {
        CallError::Run(run) => run.describe(),
        other => other.to_string(),
    }
}
