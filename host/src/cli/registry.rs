//! `luabox registry list [--dir DIR] [--kind GLOB] [--ns GLOB] [--meta KEY=VALUE]... [--json]`
//! and `luabox registry show ID [--dir DIR]`: inspect an app's entries. Filters are those of
//! `registry.find` in Lua.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Map, Value as Json};

use super::app::{load, resolve_id};
use super::exit;
use crate::registry::{Filter, entry_to_json};

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// List entries, optionally filtered.
    List {
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Only entries whose kind matches (`*` globs).
        #[arg(long)]
        kind: Option<String>,
        /// Only entries whose namespace matches (`*` globs).
        #[arg(long)]
        ns: Option<String>,
        /// Only entries whose meta field KEY matches VALUE (repeatable).
        #[arg(long, value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// Print the entries as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry as JSON.
    Show {
        id: String,
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

pub async fn run(args: RegistryArgs) -> u8 {
    match args.command {
        RegistryCommand::List {
            dir,
            kind,
            ns,
            meta,
            json,
        } => {
            let mut filter = Map::new();
            if let Some(kind) = kind {
                filter.insert(".kind".into(), Json::String(kind));
            }
            if let Some(ns) = ns {
                filter.insert(".ns".into(), Json::String(ns));
            }
            for pair in meta {
                let Some((key, value)) = pair.split_once('=') else {
                    eprintln!("error: --meta expects KEY=VALUE, got '{pair}'");
                    return exit::FAILED;
                };
                filter.insert(format!("meta.{key}"), Json::String(value.into()));
            }
            let filter = match Filter::from_json(&filter) {
                Ok(filter) => filter,
                Err(message) => {
                    eprintln!("error: {message}");
                    return exit::FAILED;
                }
            };
            let app = match load(&dir).await {
                Ok(app) => app,
                Err(code) => return code,
            };
            let entries = app.registry().find(&filter);
            if json {
                let list: Vec<Json> = entries.iter().map(|entry| entry_to_json(entry)).collect();
                println!("{}", Json::Array(list));
                return 0;
            }
            let width = entries
                .iter()
                .map(|e| e.id.to_string().len())
                .max()
                .unwrap_or(0);
            for entry in &entries {
                let meta = if entry.meta.is_empty() {
                    String::new()
                } else {
                    Json::Object(entry.meta.clone()).to_string()
                };
                println!("{:width$}  {:16}  {meta}", entry.id.to_string(), entry.kind);
            }
            eprintln!("{} entries", entries.len());
            0
        }
        RegistryCommand::Show { id, dir } => {
            let app = match load(&dir).await {
                Ok(app) => app,
                Err(code) => return code,
            };
            let entry = resolve_id(&app, &id).and_then(|id| {
                app.registry()
                    .get(&id)
                    .ok_or_else(|| format!("no entry '{id}' in the registry"))
            });
            match entry {
                Ok(entry) => {
                    let shown =
                        serde_json::to_string_pretty(&entry_to_json(entry)).unwrap_or_default();
                    println!("{shown}");
                    println!("// declared at {}", entry.location);
                    0
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    exit::FAILED
                }
            }
        }
    }
}
