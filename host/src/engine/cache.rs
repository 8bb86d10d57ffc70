//! The on-disk cache of compiled components.
//!
//! Pre-initialising and compiling the Lua guest takes a second or two; a serialized artifact
//! loads in milliseconds. The file name is a hash of the source component's bytes, this engine's
//! compatibility hash (wasmtime version and the settings that affect code) and luabox's version,
//! so a changed guest or engine never loads a stale artifact. Writes go through a temporary file
//! and a rename, so a crash never leaves a torn artifact behind; an unreadable artifact is
//! recompiled.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

/// Where artifacts live unless configured: `$LUABOX_CACHE_DIR`, else `$XDG_CACHE_HOME/luabox`,
/// else `~/.cache/luabox`, else the system temporary directory.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LUABOX_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("luabox");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".cache").join("luabox");
    }
    std::env::temp_dir().join("luabox-cache")
}

/// The artifact's file name for `bytes` compiled by `engine`.
fn artifact_name(engine: &wasmtime::Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::hash::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut digest = Sha256::new();
    digest.update(bytes);
    digest.update(engine_hash.finish().to_le_bytes());
    digest.update(env!("CARGO_PKG_VERSION").as_bytes());
    format!("{}.cwasm", hex::encode(&digest.finalize()[..16]))
}

/// Load the component that `prepare` makes from `source` (the bytes to compile), from the cache
/// in `dir` when an artifact is there.
pub fn load_component(
    engine: &wasmtime::Engine,
    source: &[u8],
    prepare: impl FnOnce() -> Result<Vec<u8>>,
    dir: &Path,
) -> Result<Component> {
    let path = dir.join(artifact_name(engine, source));
    if path.exists() {
        // SAFETY: the artifact was written by `Component::serialize` of an engine with the same
        // compatibility hash (it is part of the name) into luabox's own cache directory, which
        // is trusted like the luabox binary itself.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(error) => tracing::warn!(path = %path.display(), "recompiling: {error:#}"),
        }
    }
    let component = Component::new(engine, prepare()?)
        .map_err(anyhow::Error::from)
        .context("compiling the Lua guest component")?;
    if let Err(error) = store(&component, dir, &path) {
        tracing::warn!(dir = %dir.display(), "cannot cache the compiled guest: {error:#}");
    }
    Ok(component)
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize()?;
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}
