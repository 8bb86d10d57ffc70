//! One suite run against every storage backend, then the variable rules of [`AppEnv`] on apps
//! loaded from YAML.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use super::file::FileStorage;
use super::storage::{MemoryStorage, OsStorage, Storage};
use super::*;
use crate::config::env_storage::EnvFile;
use crate::config::testing::TestApp;

/// Each backend, fresh, with a name for messages (the temp dir keeps a file backend's file).
fn backends() -> Vec<(&'static str, Arc<dyn Storage>, tempfile::TempDir)> {
    let dir = || tempfile::tempdir().unwrap();
    let file = dir();
    let spec = EnvFile {
        path: "sub/test.env".into(),
        auto_create: true,
        mode: EnvFile::DEFAULT_MODE,
    };
    let id: EntryId = "app:file".parse().unwrap();
    let file_storage = FileStorage::open(&id, file.path(), &spec).unwrap();
    vec![
        ("os", Arc::new(OsStorage::default()), dir()),
        (
            "memory",
            Arc::new(MemoryStorage::new(BTreeMap::new())),
            dir(),
        ),
        ("file", Arc::new(file_storage), file),
    ]
}

#[test]
fn every_backend_stores_and_overwrites() {
    for (backend, storage, _dir) in backends() {
        let name = "LUABOX_ENV_SUITE_SURELY_UNSET";
        assert_eq!(storage.get(name), None, "{backend}");
        storage.set(name, "one").unwrap();
        assert_eq!(storage.get(name).as_deref(), Some("one"), "{backend}");
        storage.set(name, "two words $HOME 'q' \"d\" \\").unwrap();
        assert_eq!(
            storage.get(name).as_deref(),
            Some("two words $HOME 'q' \"d\" \\"),
            "{backend}"
        );
        storage.set(name, "").unwrap();
        assert_eq!(storage.get(name).as_deref(), Some(""), "{backend}");
        assert!(storage.refuses("nul\0").is_some(), "{backend}");
        assert!(storage.refuses("fine\nlines").is_none(), "{backend}");
    }
}

#[test]
fn every_backend_keeps_concurrent_sets() {
    for (backend, storage, _dir) in backends() {
        std::thread::scope(|scope| {
            for i in 0..8 {
                let storage = storage.clone();
                scope.spawn(move || {
                    for round in 0..5 {
                        storage
                            .set(&format!("LUABOX_ENV_CONCURRENT_{i}"), &round.to_string())
                            .unwrap();
                    }
                });
            }
        });
        for i in 0..8 {
            assert_eq!(
                storage
                    .get(&format!("LUABOX_ENV_CONCURRENT_{i}"))
                    .as_deref(),
                Some("4"),
                "{backend}"
            );
        }
    }
}

#[test]
fn the_os_storage_reads_the_host_and_never_writes_it() {
    let storage = OsStorage::default();
    let path = std::env::var("PATH").unwrap();
    assert_eq!(storage.get("PATH"), Some(path.clone()));
    storage.set("PATH", "/overlay").unwrap();
    assert_eq!(storage.get("PATH").as_deref(), Some("/overlay"));
    assert_eq!(std::env::var("PATH").unwrap(), path);
}

#[test]
fn a_file_write_is_on_disk_with_its_mode_and_keeps_outside_edits() {
    let dir = tempfile::tempdir().unwrap();
    let spec = EnvFile {
        path: "conf/app.env".into(),
        auto_create: true,
        mode: 0o640,
    };
    let id: EntryId = "app:f".parse().unwrap();
    let storage = FileStorage::open(&id, dir.path(), &spec).unwrap();
    let path = dir.path().join("conf/app.env");
    assert!(
        !path.exists(),
        "a missing file is created by the first write, not at load"
    );
    storage.set("TOKEN", "a b").unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nTOKEN='a b'\n"), "{text}");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);

    // An edit by someone else since the load survives the next write; the mode is kept.
    fs::write(&path, "TOKEN=x\nOTHER=kept\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    storage.set("TOKEN", "y").unwrap();
    let reread = dotenv::parse(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(reread.get("OTHER").map(String::as_str), Some("kept"));
    assert_eq!(reread.get("TOKEN").map(String::as_str), Some("y"));
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("conf"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["app.env"], "no temporary file is left behind");

    // A fresh open reads what was written.
    let again = FileStorage::open(&id, dir.path(), &spec).unwrap();
    assert_eq!(again.get("TOKEN").as_deref(), Some("y"));
    assert_eq!(
        again.refuses("cr\r").as_deref(),
        Some("a value in env.storage.file 'app:f' may not contain a carriage return")
    );
}

const APP: &str = "namespace: app\nentries:\n\
  - {name: mem, kind: env.storage.memory, values: {PRESET: p}}\n\
  - {name: os, kind: env.storage.os}\n\
  - {name: greeting, kind: env.variable, variable: GREETING, default: hello}\n\
  - {name: preset, kind: env.variable, variable: PRESET, storage: mem}\n\
  - {name: counter, kind: env.variable, variable: COUNTER, storage: mem, default: \"0\"}\n\
  - {name: locked, kind: env.variable, variable: LOCKED, storage: mem, default: x, readonly: true}\n\
  - {name: unset, kind: env.variable, variable: LUABOX_ENV_SURELY_UNSET, storage: os}\n";

fn open(files: &[(&str, &str)]) -> (TestApp, Result<AppEnv, Vec<String>>) {
    let app = TestApp::new(files);
    let loaded = app.app();
    let env = AppEnv::open(app.root(), &loaded.entries).map_err(|errors| app.show(&errors));
    (app, env)
}

#[test]
fn variables_resolve_and_fall_back_to_their_default() {
    let (_app, env) = open(&[("_index.yaml", APP)]);
    let env = env.unwrap();
    assert_eq!(env.get("GREETING", "app").unwrap(), "hello");
    assert_eq!(env.get("app:greeting", "other").unwrap(), "hello");
    assert_eq!(env.get("greeting", "app").unwrap(), "hello");
    assert_eq!(env.get("PRESET", "app").unwrap(), "p");
    assert_eq!(env.get("COUNTER", "app").unwrap(), "0");
    let missing = env.get("NOPE", "app").unwrap_err();
    assert_eq!(missing.kind, crate::error::ErrorKind::NotFound);
    let unset = env.get("LUABOX_ENV_SURELY_UNSET", "app").unwrap_err();
    assert_eq!(
        unset.message,
        "env: variable 'LUABOX_ENV_SURELY_UNSET' is not set and has no default"
    );

    env.prepare_set("COUNTER", "app", "1".into())
        .unwrap()
        .apply()
        .unwrap();
    assert_eq!(env.get("app:counter", "app").unwrap(), "1");
    let all = env.all();
    assert_eq!(
        all.into_iter().collect::<Vec<_>>(),
        [
            ("COUNTER".to_string(), "1".to_string()),
            ("GREETING".into(), "hello".into()),
            ("LOCKED".into(), "x".into()),
            ("PRESET".into(), "p".into()),
        ]
    );
}

#[test]
fn sets_that_are_refused() {
    let (_app, env) = open(&[("_index.yaml", APP)]);
    let env = env.unwrap();
    let refused = |name: &str, value: &str| {
        env.prepare_set(name, "app", value.into())
            .err()
            .expect("refused")
    };
    assert_eq!(
        refused("LOCKED", "y"),
        EnvError::new(
            crate::error::ErrorKind::PermissionDenied,
            "env: variable 'LOCKED' (entry 'app:locked') is readonly"
        )
    );
    assert_eq!(
        refused("GREETING", "y"),
        EnvError::new(
            crate::error::ErrorKind::PermissionDenied,
            "env: variable 'GREETING' (entry 'app:greeting') has no storage, so it cannot be set: \
             its value is its default"
        )
    );
    assert_eq!(refused("NOPE", "y").kind, crate::error::ErrorKind::NotFound);
    assert_eq!(
        refused("PRESET", "a\0b").kind,
        crate::error::ErrorKind::Invalid
    );
    let big = refused("PRESET", &"x".repeat(MAX_VALUE + 1));
    assert_eq!(big.kind, crate::error::ErrorKind::Invalid);
    assert!(big.message.contains("at most 65536"), "{}", big.message);
}

#[test]
fn storage_files_are_checked_at_load() {
    let yaml = "namespace: app\nentries:\n\
      - {name: missing, kind: env.storage.file, file_path: missing.env}\n\
      - {name: bad, kind: env.storage.file, file_path: bad.env}\n\
      - {name: twice, kind: env.storage.file, file_path: bad.env, auto_create: true}\n\
      - {name: good, kind: env.storage.file, file_path: good.env}\n\
      - {name: v, kind: env.variable, variable: \"NOT A NAME\", storage: good}\n";
    let (_app, env) = open(&[
        ("_index.yaml", yaml),
        ("bad.env", "A=1\n\nB='two words\n"),
        ("good.env", "A=1\n"),
    ]);
    assert_eq!(
        env.err().unwrap(),
        [
            "_index.yaml:3: entry 'app:missing': env.storage.file: file 'missing.env' does not \
             exist (create it, or set auto_create: true to start empty)",
            "bad.env:3: entry 'app:bad': env.storage.file: cannot parse this line (expected \
             NAME=value, a # comment or a blank line; quotes must be closed)",
            "_index.yaml:5: entry 'app:twice': file 'bad.env' is already the storage of 'app:bad'",
            "_index.yaml:7: entry 'app:v': variable 'NOT A NAME' cannot be kept in \
             env.storage.file 'app:good': a dotenv name is ASCII letters, digits, '_' and '.', \
             not starting with a digit",
        ]
    );
}
