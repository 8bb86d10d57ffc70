//! Finds the definition files of an app: every `.yaml`/`.yml` below the app directory, sorted
//! so that loading (and the order of entries and errors) is the same on every machine.
//!
//! Hidden files and directories (`.luabox/`, `.git/`) and `node_modules/` are skipped.
//! Symlinked directories are not followed (no loops); a symlinked file is read only if it
//! resolves inside the app directory, like a `file://` source.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// Paths relative to `root`, sorted.
pub fn yaml_files(
    root: &Path,
    canonical_root: &Path,
    errors: &mut Vec<ConfigError>,
) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative_dir) = pending.pop() {
        let dir = root.join(&relative_dir);
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) => {
                errors.push(ConfigError::at(
                    &dir,
                    0,
                    format!("cannot list directory: {e}"),
                ));
                continue;
            }
        };
        for item in listing {
            let item = match item {
                Ok(item) => item,
                Err(e) => {
                    errors.push(ConfigError::at(
                        &dir,
                        0,
                        format!("cannot list directory: {e}"),
                    ));
                    continue;
                }
            };
            let name = item.file_name();
            let name_text = name.to_string_lossy();
            if name_text.starts_with('.') || name_text == "node_modules" {
                continue;
            }
            let relative = relative_dir.join(&name);
            let Ok(file_type) = item.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                pending.push(relative);
            } else if is_yaml(&name_text) {
                if file_type.is_symlink() && !symlink_inside(&root.join(&relative), canonical_root)
                {
                    errors.push(ConfigError::at(
                        &root.join(&relative),
                        0,
                        "the file is a symlink that resolves outside the app directory",
                    ));
                    continue;
                }
                if file_type.is_file() || fs::metadata(item.path()).is_ok_and(|m| m.is_file()) {
                    found.push(relative);
                }
            }
        }
    }
    found.sort();
    found
}

fn is_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

fn symlink_inside(path: &Path, canonical_root: &Path) -> bool {
    fs::canonicalize(path).is_ok_and(|target| target.starts_with(canonical_root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sorted_yaml_and_skips_hidden_and_node_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "b.yaml",
            "a.yml",
            "z/_index.yaml",
            "m/n/deep.YAML",
            ".luabox/state.yaml",
            "node_modules/x.yaml",
            ".hidden.yaml",
            "notes.txt",
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "a: 1\n").unwrap();
        }
        let mut errors = Vec::new();
        let canonical = fs::canonicalize(root).unwrap();
        let files = yaml_files(root, &canonical, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["a.yml", "b.yaml", "m/n/deep.YAML", "z/_index.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/in.yaml"), "a: 1\n").unwrap();
        fs::write(dir.path().join("out.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("loop")).unwrap();
        std::os::unix::fs::symlink(root.join("real/in.yaml"), root.join("ok.yaml")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("out.yaml"), root.join("out.yaml")).unwrap();
        let mut errors = Vec::new();
        let canonical = fs::canonicalize(&root).unwrap();
        let files = yaml_files(&root, &canonical, &mut errors);
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["ok.yaml", "real/in.yaml"]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().ends_with(
            "app/out.yaml: the file is a symlink that resolves outside the app directory"
        ));
    }
}
