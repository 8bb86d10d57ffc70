//! The `fs` module and `fs.directory` end to end: `luabox test` on a copy of `tests/apps/fs`
//! with symlinks planted in its volume that lead out of it (to a file, a directory, and through
//! `..`), as someone with access to the host could plant them; then nothing outside the volumes
//! may have changed, and no file may have appeared beside them.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::util::{luabox, repo};

/// Copy the folder `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for found in fs::read_dir(from).unwrap() {
        let path = found.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every file below `dir` (symlinks not followed) with its contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for found in fs::read_dir(&folder).unwrap() {
            let path = found.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if meta.is_dir() {
                files.insert(format!("{name}/"), Vec::new());
                stack.push(path);
            } else if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap();
                files.insert(name, target.display().to_string().into_bytes());
            } else {
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn the_fs_app_passes_and_nothing_outside_its_volumes_changes() {
    let temp = tempfile::tempdir().unwrap();
    let app = temp.path().join("app");
    copy_tree(Path::new(&repo("tests/apps/fs")), &app);
    // What lies outside the app: a secret file and a directory holding one.
    let outside = temp.path().join("outside");
    fs::create_dir_all(outside.join("dir")).unwrap();
    fs::write(outside.join("secret.txt"), "outside secret").unwrap();
    fs::write(outside.join("dir/secret.txt"), "outside dir secret").unwrap();
    let files = app.join("files");
    symlink(outside.join("secret.txt"), files.join("escape")).unwrap();
    symlink(outside.join("dir"), files.join("outside")).unwrap();
    symlink("../../outside/secret.txt", files.join("up")).unwrap();
    fs::write(files.join("planted"), "").unwrap();
    let before_outside = snapshot(&outside);
    let before_files = snapshot(&files);

    let run = luabox(&["test", app.to_str().unwrap()], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("11 passed, 0 failed"), "{}", run.stdout);

    assert_eq!(
        snapshot(&outside),
        before_outside,
        "outside the app changed"
    );
    assert_eq!(snapshot(&files), before_files, "the fixtures changed");
    // Beside the volumes, the app holds only what it held, and the scratch volume auto_init made.
    let mut top: Vec<String> = fs::read_dir(&app)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".lua"))
        .collect();
    top.sort();
    assert_eq!(top, ["_index.yaml", "files", "scratch"]);
    assert!(
        fs::read_dir(temp.path()).unwrap().count() == 2,
        "nothing beside app/ and outside/"
    );
}

#[test]
fn a_directory_outside_the_app_is_refused_at_load() {
    let temp = tempfile::tempdir().unwrap();
    let app = temp.path().join("app");
    fs::create_dir_all(&app).unwrap();
    fs::write(
        app.join("_index.yaml"),
        "namespace: app\nentries:\n  - name: host\n    kind: fs.directory\n    directory: /etc\n",
    )
    .unwrap();
    let run = luabox(&["check", app.to_str().unwrap()], "");
    assert_ne!(run.code, 0);
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(
        shown.contains(
            "_index.yaml:5: entry 'app:host': field 'directory' must be a directory inside the \
             app directory (no absolute path, no '..'), not '/etc'"
        ),
        "{shown}"
    );
}
