//! The fields of `fs.directory` (Wippy: wippyai/docs en/system/filesystem.md) → [`FsDirectory`].
//! What it means at run time (a volume confined to its root) is `modules/fs`'s.
//!
//! ```yaml
//! - name: uploads
//!   kind: fs.directory
//!   directory: data/uploads   # required: a directory inside the app directory
//!   auto_init: true           # default false: create it when it is first opened
//!   mode: "0755"              # default 0755: octal; no owner write bit makes it read-only
//!   base: project             # project (the default) or module: both the app directory here
//! ```
//!
//! Like a SQLite `file` and an env `file_path`, `directory` may not leave the app directory (no
//! absolute path, no `..`): an app's files are part of the app, and a tenant's YAML must not hand
//! its Lua the host's disk. Wippy resolves a relative root against the process's working
//! directory (`project`) or the owning module's root (`module`); luabox has one root for both,
//! the app directory.

use std::path::PathBuf;

use super::entry::Spec;
use super::fields::{self, problem};
use super::kinds::entry_kind;
use super::yaml::{Key, Node, Problem};

/// An `fs.directory` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsDirectory {
    /// The root, relative to the app directory (`.` is the app directory itself).
    pub directory: PathBuf,
    /// Whether a missing root is created when the volume is opened.
    pub auto_init: bool,
    /// Permission bits (`0o755` by default, execute bits added where read bits are): what the
    /// volume allows (no owner write bit: read-only) and the mode of what it creates.
    pub mode: u32,
}

impl FsDirectory {
    pub const DEFAULT_MODE: u32 = 0o755;

    /// Whether the volume takes writes: its mode lets the owner write.
    pub fn writable(&self) -> bool {
        self.mode & 0o200 != 0
    }

    /// Whether the volume may be read: its mode lets the owner read.
    pub fn readable(&self) -> bool {
        self.mode & 0o400 != 0
    }
}

pub fn directory(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<FsDirectory> {
    let before = problems.len();
    let directory = fields::find(fields, "directory").and_then(|(_, node)| {
        fields::path_inside_app("directory", node, "directory")
            .map_err(|p| problems.push(p))
            .ok()
    });
    let mut auto_init = false;
    if let Some((_, node)) = fields::find(fields, "auto_init") {
        match fields::boolean("auto_init", node) {
            Ok(b) => auto_init = b,
            Err(p) => problems.push(p),
        }
    }
    let mut mode = FsDirectory::DEFAULT_MODE;
    if let Some((_, node)) = fields::find(fields, "mode") {
        match fields::octal_mode("mode", node, "0755 or 0555") {
            Ok(m) => mode = with_execute_bits(m),
            Err(p) => problems.push(p),
        }
    }
    if let Some((_, node)) = fields::find(fields, "base") {
        match fields::string("base", node) {
            Ok(base) if base == "project" || base == "module" => {}
            Ok(base) => problems.push(problem(
                node.line,
                format!("field 'base' must be 'project' or 'module', not '{base}'"),
            )),
            Err(p) => problems.push(p),
        }
    }
    match directory {
        Some(directory) if problems.len() == before => Some(FsDirectory {
            directory,
            auto_init,
            mode,
        }),
        _ => None,
    }
}

/// Wippy adds the execute bits where read bits are, so a directory mode like 0644 still lets
/// its subdirectories be entered.
fn with_execute_bits(mode: u32) -> u32 {
    mode | ((mode & 0o444) >> 2)
}

entry_kind! {
    /// `fs.directory`.
    Directory: "fs.directory",
    required: ["directory"],
    optional: ["auto_init", "mode", "base"],
    build: |cx| directory(cx.fields, cx.problems).map(Spec::FsDirectory),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

    #[test]
    fn a_directory_takes_its_defaults() {
        let app = one_file("  - {name: files, kind: fs.directory, directory: ./data}\n").app();
        let Spec::FsDirectory(dir) = &entry(&app, "app:files").spec else {
            panic!("fs.directory not built")
        };
        assert_eq!(
            dir,
            &FsDirectory {
                directory: "./data".into(),
                auto_init: false,
                mode: 0o755
            }
        );
        assert!(dir.writable() && dir.readable());
    }

    #[test]
    fn modes_get_execute_bits_and_a_mode_without_write_is_read_only() {
        let app = one_file(
            "  - {name: ro, kind: fs.directory, directory: d, mode: \"0444\", auto_init: true}\n",
        )
        .app();
        let Spec::FsDirectory(dir) = &entry(&app, "app:ro").spec else {
            panic!("fs.directory not built")
        };
        assert_eq!(dir.mode, 0o555);
        assert!(dir.auto_init && !dir.writable());
    }

    #[test]
    fn bad_fields_are_errors_at_their_lines() {
        let errors = one_file(
            "  - {name: a, kind: fs.directory, directory: /etc}\n\
             \x20 - {name: b, kind: fs.directory, directory: ../up, mode: rwx, base: cwd}\n\
             \x20 - {name: c, kind: fs.directory, auto_init: maybe}\n",
        )
        .errors();
        assert_eq!(
            errors,
            [
                "_index.yaml:3: entry 'app:a': field 'directory' must be a directory inside the \
                 app directory (no absolute path, no '..'), not '/etc'",
                "_index.yaml:4: entry 'app:b': field 'directory' must be a directory inside the \
                 app directory (no absolute path, no '..'), not '../up'",
                "_index.yaml:4: entry 'app:b': field 'mode' must be octal permission bits such as \
                 0755 or 0555, not 'rwx'",
                "_index.yaml:4: entry 'app:b': field 'base' must be 'project' or 'module', not \
                 'cwd'",
                "_index.yaml:5: entry 'app:c': missing required field 'directory' for kind \
                 fs.directory",
                "_index.yaml:5: entry 'app:c': field 'auto_init' must be true or false, not a string",
            ]
        );
    }
}
