//! `luabox check [DIR]`
//!
//! Validates an app without running it, in one pass: every YAML file, every entry, every
//! reference, every Lua source (compiled in a sandbox, also when other entries have problems),
//! and what [`crate::lint`] finds (requires of names an entry cannot load, endpoints whose
//! function lacks `http`). All errors are printed at once, each as `file:line: message`, sorted,
//! followed by a count; the exit code is 1 if there was any.

use std::path::PathBuf;

use clap::Args;

use super::app::count_errors;
use super::exit;
use crate::app::{App, LoadError};
use crate::config::{self, LuaKind, Spec};
use crate::engine::{Engine, EngineConfig};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub async fn run(args: CheckArgs) -> u8 {
    let engine = match Engine::new(EngineConfig::default(), crate::modules::interfaces()) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("error: cannot start the engine: {error:#}");
            return exit::FAILED;
        }
    };
    let (loaded, problems) = config::load_all(&args.dir, &crate::modules::names(), &config::os_env);
    // The entries that built, whatever else failed, for what loading does not judge.
    let mut errors = crate::lint::lint(&loaded.entries);
    let app = match App::from_config(&args.dir, loaded, problems, engine).await {
        Ok(app) => Some(app),
        Err(LoadError::Config(found)) => {
            errors.extend(found);
            None
        }
        Err(LoadError::Host(error)) => {
            eprintln!("error: {error:#}");
            return exit::FAILED;
        }
    };
    if !errors.is_empty() {
        config::sort_errors(&mut errors);
        for error in &errors {
            eprintln!("{error}");
        }
        eprintln!("{}", count_errors(errors.len(), &args.dir));
        return exit::FAILED;
    }
    let Some(app) = app else {
        return exit::FAILED;
    };
    let entries: Vec<_> = app.registry().entries().collect();
    let count = |kind: LuaKind| {
        entries
            .iter()
            .filter(|entry| matches!(&entry.spec, Spec::Lua(lua) if lua.kind == kind))
            .count()
    };
    println!(
        "ok: {} entries ({} functions, {} libraries) in {}",
        entries.len(),
        count(LuaKind::Function),
        count(LuaKind::Library),
        args.dir.display()
    );
    0
}
