//! `luabox check [DIR]`
//!
//! Validates an app without running it: every YAML file, every entry, every reference and every
//! Lua source (compiled in a sandbox). All errors are printed at once, each as `file:line:
//! message`, followed by a count; the exit code is 1 if there was any.

use std::path::PathBuf;

use clap::Args;

use super::app::load;
use crate::config::{LuaKind, Spec};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub async fn run(args: CheckArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
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
