//! The compiled guest is cached on disk: the first run compiles and writes the artifact, later
//! runs load it, and a damaged artifact is replaced instead of trusted.

use std::path::{Path, PathBuf};

use crate::util::luabox_with_env;

fn artifacts(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|ext| ext == "cwasm"))
                .collect()
        })
        .unwrap_or_default()
}

fn eval_with_cache(dir: &Path) -> String {
    let run = luabox_with_env(
        &["eval", "-"],
        "return 6 * 7",
        &[("LUABOX_CACHE_DIR", dir.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.trim().to_owned()
}

#[test]
fn first_run_writes_the_artifact_and_later_runs_reuse_it() {
    let cache = tempfile::tempdir().unwrap();
    assert!(artifacts(cache.path()).is_empty());
    assert_eq!(eval_with_cache(cache.path()), "42");
    let written = artifacts(cache.path());
    assert_eq!(written.len(), 1, "one artifact after the first run");
    let modified = std::fs::metadata(&written[0]).unwrap().modified().unwrap();

    assert_eq!(eval_with_cache(cache.path()), "42");
    assert_eq!(artifacts(cache.path()), written, "no new artifact");
    let again = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
    assert_eq!(modified, again, "the artifact was loaded, not rewritten");
}

#[test]
fn a_damaged_artifact_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    eval_with_cache(cache.path());
    let artifact = artifacts(cache.path()).remove(0);
    std::fs::write(&artifact, b"not a compiled component").unwrap();
    assert_eq!(eval_with_cache(cache.path()), "42");
    let repaired = std::fs::read(&artifact).unwrap();
    assert_ne!(repaired, b"not a compiled component");
}
