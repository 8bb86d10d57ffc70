//! The runtime of an `fs.directory` entry: a [`Volume`], its root opened as a `cap_std::fs::Dir`,
//! and the operations of `wit/fs.wit` on it as plain functions (tested without wasm).
//!
//! Confinement is cap-std's: every lookup goes through the root's directory handle
//! (`openat2(RESOLVE_BENEATH)` on Linux, a component-by-component `O_NOFOLLOW` walk elsewhere),
//! so neither `..` nor a symlink, one planted from outside or swapped in during the call, leads
//! out of the root; such a lookup fails with `PermissionDenied`. Before that, [`relative`] reads a
//! Lua path the way Wippy does: `/` is the root, `.` and empty parts are dropped, and a `..` that
//! would climb above the root is refused by its words alone.
//!
//! ```text
//! relative("/docs/../a.txt")  -> "a.txt"
//! relative("/../etc/passwd")  -> PermissionDenied: path '/../etc/passwd' leaves the volume's root
//! ```

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Dir, DirBuilder, DirBuilderExt, File, Metadata, OpenOptions, OpenOptionsExt};

use crate::bindings::luabox::sandbox::fs::{DirEntry, Info, OpenMode, Whence};
use crate::config::fs_directory::FsDirectory;
use crate::error::ErrorKind;

/// An opened `fs.directory`: its root and what its mode allows.
pub struct Volume {
    pub id: String,
    pub root: Dir,
    pub spec: FsDirectory,
}

/// Why an operation failed: the error kind Lua sees and its message.
#[derive(Debug, PartialEq, Eq)]
pub struct FsError {
    pub kind: ErrorKind,
    pub message: String,
}

pub fn fail<T>(kind: ErrorKind, message: impl Into<String>) -> Result<T, FsError> {
    Err(FsError {
        kind,
        message: message.into(),
    })
}

/// Open the root of `spec` under the app directory `app_root` (creating it first when its
/// `auto_init` says so), refused when what exists of it resolves outside the app directory.
pub fn open_root(app_root: &Path, spec: &FsDirectory) -> Result<Dir, String> {
    let path = crate::config::inside_app(app_root, &spec.directory)?;
    if spec.auto_init && !path.exists() {
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(builder.recursive(true), spec.mode);
        builder
            .create(&path)
            .map_err(|e| format!("cannot create its directory: {e}"))?;
    }
    Dir::open_ambient_dir(&path, cap_std::ambient_authority()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "its directory '{}' does not exist (auto_init: true creates it)",
                spec.directory.display()
            )
        } else {
            format!("cannot open its directory '{}': {e}", spec.directory.display())
        }
    })
}

/// A Lua path as a path relative to the root: `/` and `` name the root (`.`), `.` and repeated
/// slashes are dropped, `..` goes up one part and may not climb above the root.
pub fn relative(path: &str) -> Result<PathBuf, FsError> {
    if path.is_empty() {
        return fail(ErrorKind::Invalid, "the path is empty");
    }
    if path.contains('\0') {
        return fail(ErrorKind::Invalid, "the path holds a NUL byte");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return fail(
                        ErrorKind::PermissionDenied,
                        format!("path '{path}' leaves the volume's root"),
                    );
                }
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Ok(PathBuf::from("."));
    }
    Ok(parts.iter().collect())
}

/// How `path` is shown in messages: from the root, starting with `/`.
fn shown(path: &Path) -> String {
    if path == Path::new(".") {
        "/".into()
    } else {
        format!("/{}", path.display())
    }
}

impl Volume {
    /// An I/O failure on `path` during `call`, with the kind Lua sees.
    pub fn io_error(&self, call: &str, path: &Path, error: std::io::Error) -> FsError {
        use std::io::ErrorKind as Io;
        let kind = match error.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            // cap-std's answer to a lookup that would leave the root.
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::DirectoryNotEmpty
            | Io::IsADirectory
            | Io::NotADirectory
            | Io::InvalidInput
            | Io::InvalidFilename => ErrorKind::Invalid,
            _ if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                ErrorKind::PermissionDenied
            }
            _ => ErrorKind::Unavailable,
        };
        FsError {
            kind,
            message: format!("fs '{}': {call} '{}': {error}", self.id, shown(path)),
        }
    }

    fn check_writable(&self, call: &str, path: &Path) -> Result<(), FsError> {
        if self.spec.writable() {
            return Ok(());
        }
        fail(
            ErrorKind::PermissionDenied,
            format!(
                "fs '{}': {call} '{}': the volume is read-only (mode {:04o})",
                self.id,
                shown(path),
                self.spec.mode
            ),
        )
    }

    fn check_readable(&self, call: &str, path: &Path) -> Result<(), FsError> {
        if self.spec.readable() {
            return Ok(());
        }
        fail(
            ErrorKind::PermissionDenied,
            format!(
                "fs '{}': {call} '{}': the volume's mode {:04o} does not allow reading",
                self.id,
                shown(path),
                self.spec.mode
            ),
        )
    }

    /// The options of `mode`, refused on a volume that does not allow them.
    fn options(&self, call: &str, path: &Path, mode: OpenMode) -> Result<OpenOptions, FsError> {
        let mut options = OpenOptions::new();
        match mode {
            OpenMode::Read => {
                self.check_readable(call, path)?;
                options.read(true);
            }
            OpenMode::Write => {
                options.write(true).create(true).truncate(true);
            }
            OpenMode::Append => {
                options.append(true).create(true);
            }
            OpenMode::Exclusive => {
                options.write(true).create_new(true);
            }
            OpenMode::ReadWrite => {
                self.check_readable(call, path)?;
                options.read(true).write(true);
            }
        }
        if mode != OpenMode::Read {
            self.check_writable(call, path)?;
        }
        options.mode(self.spec.mode & 0o666);
        Ok(options)
    }

    /// Open `path` as `mode` says; a directory is refused.
    pub fn open(&self, call: &str, path: &Path, mode: OpenMode) -> Result<File, FsError> {
        let options = self.options(call, path, mode)?;
        let file = self
            .root
            .open_with(path, &options)
            .map_err(|e| self.io_error(call, path, e))?;
        let meta = file.metadata().map_err(|e| self.io_error(call, path, e))?;
        if meta.is_dir() {
            return fail(
                ErrorKind::Invalid,
                format!("fs '{}': {call} '{}': is a directory", self.id, shown(path)),
            );
        }
        Ok(file)
    }

    /// The whole file, refused when it holds more than `max` bytes.
    pub fn read_file(&self, path: &Path, max: usize) -> Result<Vec<u8>, FsError> {
        let file = self.open("readfile", path, OpenMode::Read)?;
        // The file may grow between a stat and the read: read one byte past `max` to know.
        let mut data = Vec::new();
        file.take(max as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| self.io_error("readfile", path, e))?;
        if data.len() > max {
            return fail(
                ErrorKind::Invalid,
                format!(
                    "fs '{}': readfile '{}': the file is larger than this sandbox's max_payload \
                     ({max} bytes); read it in parts with vol:open",
                    self.id,
                    shown(path)
                ),
            );
        }
        Ok(data)
    }

    pub fn write_file(&self, path: &Path, data: &[u8], mode: OpenMode) -> Result<(), FsError> {
        if matches!(mode, OpenMode::Read | OpenMode::ReadWrite) {
            return fail(
                ErrorKind::Invalid,
                "writefile: the mode must be \"w\", \"a\" or \"wx\"",
            );
        }
        let mut file = self.open("writefile", path, mode)?;
        file.write_all(data)
            .map_err(|e| self.io_error("writefile", path, e))
    }

    pub fn exists(&self, path: &Path) -> Result<bool, FsError> {
        match self.root.metadata(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io_error("exists", path, e)),
        }
    }

    pub fn stat(&self, path: &Path) -> Result<Info, FsError> {
        let meta = self
            .root
            .metadata(path)
            .map_err(|e| self.io_error("stat", path, e))?;
        Ok(info(path, &meta))
    }

    pub fn mkdir(&self, path: &Path) -> Result<(), FsError> {
        self.check_writable("mkdir", path)?;
        if self.exists(path)? {
            return fail(
                ErrorKind::AlreadyExists,
                format!("fs '{}': mkdir '{}': it already exists", self.id, shown(path)),
            );
        }
        let mut builder = DirBuilder::new();
        builder.recursive(true).mode(self.spec.mode);
        self.root
            .create_dir_with(path, &builder)
            .map_err(|e| self.io_error("mkdir", path, e))
    }

    pub fn remove(&self, path: &Path) -> Result<(), FsError> {
        self.check_writable("remove", path)?;
        if path == Path::new(".") {
            return fail(
                ErrorKind::PermissionDenied,
                format!("fs '{}': remove '/': the root cannot be removed", self.id),
            );
        }
        // Not following a last symlink: removing a link removes the link.
        let meta = self
            .root
            .symlink_metadata(path)
            .map_err(|e| self.io_error("remove", path, e))?;
        let removed = if meta.is_dir() {
            self.root.remove_dir(path)
        } else {
            self.root.remove_file(path)
        };
        removed.map_err(|e| self.io_error("remove", path, e))
    }

    /// The entries of directory `path` sorted by name, refused when their names add up to more
    /// than `max` bytes.
    pub fn read_dir(&self, path: &Path, max: usize) -> Result<Vec<DirEntry>, FsError> {
        self.check_readable("readdir", path)?;
        let listing = self
            .root
            .read_dir(path)
            .map_err(|e| self.io_error("readdir", path, e))?;
        let mut entries = Vec::new();
        let mut size = 0usize;
        for found in listing {
            let found = found.map_err(|e| self.io_error("readdir", path, e))?;
            let name = found.file_name().to_string_lossy().into_owned();
            size += name.len() + 16;
            if size > max {
                return fail(
                    ErrorKind::Invalid,
                    format!(
                        "fs '{}': readdir '{}': the listing is larger than this sandbox's \
                         max_payload ({max} bytes)",
                        self.id,
                        shown(path)
                    ),
                );
            }
            // A symlink is a directory when it leads to one inside the root.
            let is_dir = match found.file_type() {
                Ok(kind) if kind.is_symlink() => self
                    .root
                    .metadata(path.join(found.file_name()))
                    .is_ok_and(|meta| meta.is_dir()),
                Ok(kind) => kind.is_dir(),
                Err(e) => return Err(self.io_error("readdir", path, e)),
            };
            entries.push(DirEntry { name, is_dir });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}

/// What `stat` says of `path`.
pub fn info(path: &Path, meta: &Metadata) -> Info {
    let name = path
        .file_name()
        .map_or_else(|| "/".to_owned(), |n| n.to_string_lossy().into_owned());
    let modified = meta
        .modified()
        .ok()
        .map(|time| time.into_std())
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    Info {
        name,
        size: meta.len(),
        mode: cap_std::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
        modified,
        is_dir: meta.is_dir(),
    }
}

/// Up to `size` bytes from `file`'s position.
pub fn read(file: &mut File, size: usize) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    file.take(size as u64).read_to_end(&mut data)?;
    Ok(data)
}

/// Move `file`'s position; a negative position from the start is an error of the OS.
pub fn seek(file: &mut File, whence: Whence, offset: i64) -> std::io::Result<u64> {
    let to = match whence {
        Whence::Set => match u64::try_from(offset) {
            Ok(offset) => SeekFrom::Start(offset),
            Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a position before the start of the file",
                ));
            }
        },
        Whence::Cur => SeekFrom::Current(offset),
        Whence::End => SeekFrom::End(offset),
    };
    file.seek(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(mode: u32) -> (tempfile::TempDir, Volume) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();
        let spec = FsDirectory {
            directory: "root".into(),
            auto_init: false,
            mode,
        };
        let root = open_root(dir.path(), &spec).unwrap();
        let volume = Volume {
            id: "app:files".into(),
            root,
            spec,
        };
        (dir, volume)
    }

    #[test]
    fn paths_are_read_from_the_root() {
        let path = |text: &str| relative(text).map(|p| p.display().to_string());
        assert_eq!(path("/").unwrap(), ".");
        assert_eq!(path("a//b/./c/").unwrap(), "a/b/c");
        assert_eq!(path("/a/../b").unwrap(), "b");
        assert_eq!(
            path("a/../../x").unwrap_err().kind,
            ErrorKind::PermissionDenied
        );
        assert_eq!(path("").unwrap_err().kind, ErrorKind::Invalid);
        assert_eq!(path("a\0b").unwrap_err().kind, ErrorKind::Invalid);
    }

    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let (dir, volume) = volume(0o755);
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("root/out"))
            .unwrap();
        std::os::unix::fs::symlink("../secret", dir.path().join("root/up")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("root/parent")).unwrap();
        for name in ["out", "up", "parent/secret"] {
            let error = volume.read_file(Path::new(name), 100).unwrap_err();
            assert_eq!(error.kind, ErrorKind::PermissionDenied, "{name}: {error:?}");
        }
        let error = volume
            .write_file(Path::new("parent/planted"), b"x", OpenMode::Write)
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::PermissionDenied);
        assert!(!dir.path().join("planted").exists());
        // Removing the link removes the link, not what it points at.
        volume.remove(Path::new("out")).unwrap();
        assert!(dir.path().join("secret").exists());
    }

    #[test]
    fn reads_are_bounded_and_read_only_volumes_refuse_writes() {
        let (dir, volume) = volume(0o755);
        volume
            .write_file(Path::new("big"), &[7; 100], OpenMode::Write)
            .unwrap();
        assert_eq!(volume.read_file(Path::new("big"), 100).unwrap().len(), 100);
        let error = volume.read_file(Path::new("big"), 99).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Invalid);
        assert!(error.message.contains("max_payload (99 bytes)"), "{error:?}");
        drop(volume);

        let spec = FsDirectory {
            directory: "root".into(),
            auto_init: false,
            mode: 0o555,
        };
        let root = open_root(dir.path(), &spec).unwrap();
        let read_only = Volume {
            id: "app:ro".into(),
            root,
            spec,
        };
        assert_eq!(read_only.read_file(Path::new("big"), 100).unwrap().len(), 100);
        for error in [
            read_only
                .write_file(Path::new("big"), b"", OpenMode::Append)
                .unwrap_err(),
            read_only.mkdir(Path::new("d")).unwrap_err(),
            read_only.remove(Path::new("big")).unwrap_err(),
        ] {
            assert_eq!(error.kind, ErrorKind::PermissionDenied);
            assert!(error.message.contains("read-only (mode 0555)"), "{error:?}");
        }
    }

    #[test]
    fn a_missing_root_is_created_only_with_auto_init() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = FsDirectory {
            directory: "made/here".into(),
            auto_init: false,
            mode: 0o750,
        };
        let error = open_root(dir.path(), &spec).err().unwrap();
        assert!(error.contains("does not exist"), "{error}");
        spec.auto_init = true;
        open_root(dir.path(), &spec).unwrap();
        assert!(dir.path().join("made/here").is_dir());
    }
}
