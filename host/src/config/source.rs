//! The `source:` field of a Lua entry → [`LuaSource`]: a `file://` path read from the app, or
//! inline Lua text.
//!
//! A `file://` path is relative to the YAML file's directory and must stay inside the app
//! directory: absolute paths, `..` that climbs out, and symlinks resolving outside are refused,
//! because the app directory is all a tenant is allowed to hand luabox. Files shared by several
//! entries are read once.
//!
//! ```yaml
//! source: file://handlers/hello.lua   # chunk name "@src/handlers/hello.lua" for src/_index.yaml
//! source: |                            # chunk name "=app:hello"
//!   return function() return "hi" end
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::entry::LuaSource;
use super::error::Location;
use super::id::EntryId;

/// A chunk name as Lua shows it in messages: without its leading `@` (a file) or `=` (a name).
pub fn shown_chunk_name(chunk_name: &str) -> &str {
    chunk_name
        .strip_prefix('@')
        .or_else(|| chunk_name.strip_prefix('='))
        .unwrap_or(chunk_name)
}

/// Larger sources are refused rather than read into memory.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Reads sources below one app directory, each file once.
pub struct Sources {
    /// The app directory as the user wrote it (paths in messages start with it).
    root: PathBuf,
    /// The same directory, canonical, for the containment check.
    canonical_root: PathBuf,
    cache: HashMap<PathBuf, Arc<str>>,
}

/// Where the `source:` field was written.
pub struct Site<'a> {
    pub id: &'a EntryId,
    /// The YAML file, as shown in messages.
    pub yaml: &'a Path,
    /// The YAML file's directory relative to the app root.
    pub yaml_dir: &'a Path,
    /// The line of the `source:` key.
    pub line: usize,
    /// The line where the value starts (an inline text's first line).
    pub value_line: usize,
}

impl Sources {
    pub fn new(root: &Path, canonical_root: &Path) -> Self {
        Sources {
            root: root.to_path_buf(),
            canonical_root: canonical_root.to_path_buf(),
            cache: HashMap::new(),
        }
    }

    pub fn resolve(&mut self, value: &str, site: &Site<'_>) -> Result<LuaSource, String> {
        let location = Location::new(site.yaml, site.line);
        let Some(written) = value.strip_prefix("file://") else {
            if value.trim().is_empty() {
                return Err("field 'source' must not be empty".into());
            }
            return Ok(LuaSource {
                path: site.yaml.to_path_buf(),
                chunk_name: format!("={}", site.id),
                text: Arc::from(value),
                location,
                first_line: site.value_line,
            });
        };
        let relative = inside_root(site.yaml_dir, written)?;
        let path = self.root.join(&relative);
        let canonical = fs::canonicalize(&path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => format!("source file '{written}' not found"),
            _ => format!("source file '{written}' cannot be read: {e}"),
        })?;
        if !canonical.starts_with(&self.canonical_root) {
            return Err(format!(
                "source file '{written}' resolves outside the app directory (through a symlink)"
            ));
        }
        let text = self.read(&canonical, written)?;
        let chunk_path: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Ok(LuaSource {
            path,
            chunk_name: format!("@{}", chunk_path.join("/")),
            text,
            location,
            first_line: 1,
        })
    }

    fn read(&mut self, canonical: &Path, written: &str) -> Result<Arc<str>, String> {
        if let Some(text) = self.cache.get(canonical) {
            return Ok(text.clone());
        }
        let metadata = fs::metadata(canonical)
            .map_err(|e| format!("source file '{written}' cannot be read: {e}"))?;
        if !metadata.is_file() {
            return Err(format!("source file '{written}' is not a file"));
        }
        if metadata.len() > MAX_SOURCE_BYTES {
            return Err(format!(
                "source file '{written}' is larger than {} MiB",
                MAX_SOURCE_BYTES >> 20
            ));
        }
        let text = fs::read_to_string(canonical).map_err(|e| match e.kind() {
            ErrorKind::InvalidData => format!("source file '{written}' is not valid UTF-8"),
            _ => format!("source file '{written}' cannot be read: {e}"),
        })?;
        let text: Arc<str> = Arc::from(text);
        self.cache.insert(canonical.to_path_buf(), text.clone());
        Ok(text)
    }
}

/// `relative` (a path whose words stay inside, checked at load) under the app directory `root`,
/// refused when the part of it that exists resolves outside `root` through a symlink (a
/// symlinked directory, or a symlink, dangling too, as the file itself): the path a file-backed
/// resource (a SQLite file, an env file) reads and creates, with its existing part resolved.
pub fn inside_app(root: &Path, relative: &Path) -> Result<PathBuf, String> {
    let shown = relative.display();
    let root = fs::canonicalize(root).map_err(|e| format!("cannot open the app directory: {e}"))?;
    let mut existing = root.join(relative);
    let mut missing = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        let Some(name) = existing.file_name() else {
            break;
        };
        missing.push(name.to_owned());
        existing.pop();
    }
    let resolved = fs::canonicalize(&existing)
        .map_err(|e| format!("'{shown}' cannot be resolved (a dangling symlink?): {e}"))?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "'{shown}' resolves outside the app directory (through a symlink)"
        ));
    }
    Ok(missing
        .iter()
        .rev()
        .fold(resolved, |path, name| path.join(name)))
}

/// `written` (relative to `yaml_dir`) as a normal path relative to the app root, or why it
/// is refused. Checked on the words alone, before the file system is asked anything.
fn inside_root(yaml_dir: &Path, written: &str) -> Result<PathBuf, String> {
    if written.is_empty() {
        return Err("source 'file://' names no file".into());
    }
    let path = Path::new(written);
    if path.has_root() || path.is_absolute() {
        return Err(format!(
            "source path '{written}' is absolute; give a path relative to the YAML file"
        ));
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in yaml_dir.components().chain(path.components()) {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!("source path '{written}' leaves the app directory"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "source path '{written}' is absolute; give a path relative to the YAML file"
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(format!("source path '{written}' names no file"));
    }
    Ok(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Sources) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("app/src")).unwrap();
        fs::write(dir.path().join("app/src/hello.lua"), "return 1").unwrap();
        fs::write(dir.path().join("app/top.lua"), "return 2").unwrap();
        fs::write(dir.path().join("outside.lua"), "return 3").unwrap();
        let root = dir.path().join("app");
        let canonical = fs::canonicalize(&root).unwrap();
        let sources = Sources::new(&root, &canonical);
        (dir, sources)
    }

    fn resolve(sources: &mut Sources, yaml_dir: &str, value: &str) -> Result<LuaSource, String> {
        let id = EntryId::new("app", "x");
        let yaml = Path::new("app").join(yaml_dir).join("_index.yaml");
        let site = Site {
            id: &id,
            yaml: &yaml,
            yaml_dir: Path::new(yaml_dir),
            line: 4,
            value_line: 5,
        };
        sources.resolve(value, &site)
    }

    #[test]
    fn reads_files_relative_to_the_yaml_file() {
        let (dir, mut sources) = setup();
        let source = resolve(&mut sources, "src", "file://hello.lua").unwrap();
        assert_eq!(&*source.text, "return 1");
        assert_eq!(source.chunk_name, "@src/hello.lua");
        assert_eq!(source.path, dir.path().join("app/src/hello.lua"));
        assert_eq!(source.location.line, 4);
        assert_eq!(source.first_line, 1);
        let up = resolve(&mut sources, "src", "file://../top.lua").unwrap();
        assert_eq!(up.chunk_name, "@top.lua");
        let dotted = resolve(&mut sources, "", "file://./src/../src/hello.lua").unwrap();
        assert_eq!(dotted.chunk_name, "@src/hello.lua");
        assert!(Arc::ptr_eq(&source.text, &dotted.text), "read once");
    }

    #[test]
    fn inline_sources() {
        let (_dir, mut sources) = setup();
        let source = resolve(&mut sources, "", "return 42").unwrap();
        assert_eq!(source.chunk_name, "=app:x");
        assert_eq!(&*source.text, "return 42");
        assert_eq!(source.first_line, 5);
        assert_eq!(
            resolve(&mut sources, "", "  ").unwrap_err(),
            "field 'source' must not be empty"
        );
    }

    #[test]
    fn refuses_paths_out_of_the_app() {
        let (_dir, mut sources) = setup();
        assert_eq!(
            resolve(&mut sources, "", "file://../outside.lua").unwrap_err(),
            "source path '../outside.lua' leaves the app directory"
        );
        assert_eq!(
            resolve(&mut sources, "src", "file://../../outside.lua").unwrap_err(),
            "source path '../../outside.lua' leaves the app directory"
        );
        assert_eq!(
            resolve(&mut sources, "", "file:///etc/passwd").unwrap_err(),
            "source path '/etc/passwd' is absolute; give a path relative to the YAML file"
        );
        assert_eq!(
            resolve(&mut sources, "", "file://").unwrap_err(),
            "source 'file://' names no file"
        );
        assert_eq!(
            resolve(&mut sources, "", "file://src/..").unwrap_err(),
            "source path 'src/..' names no file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_out_of_the_app() {
        let (dir, mut sources) = setup();
        std::os::unix::fs::symlink(
            dir.path().join("outside.lua"),
            dir.path().join("app/link.lua"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("app/top.lua"),
            dir.path().join("app/in.lua"),
        )
        .unwrap();
        assert_eq!(
            resolve(&mut sources, "", "file://link.lua").unwrap_err(),
            "source file 'link.lua' resolves outside the app directory (through a symlink)"
        );
        assert_eq!(
            &*resolve(&mut sources, "", "file://in.lua").unwrap().text,
            "return 2"
        );
    }

    #[test]
    fn missing_unreadable_and_odd_files() {
        let (dir, mut sources) = setup();
        assert_eq!(
            resolve(&mut sources, "", "file://nothere.lua").unwrap_err(),
            "source file 'nothere.lua' not found"
        );
        assert_eq!(
            resolve(&mut sources, "", "file://src").unwrap_err(),
            "source file 'src' is not a file"
        );
        fs::write(dir.path().join("app/bin.lua"), [0xff, 0xfe, 0x00]).unwrap();
        assert_eq!(
            resolve(&mut sources, "", "file://bin.lua").unwrap_err(),
            "source file 'bin.lua' is not valid UTF-8"
        );
    }
}
