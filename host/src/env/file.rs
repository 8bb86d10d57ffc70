//! `env.storage.file`: variables kept in a dotenv file inside the app directory.
//!
//! The file is read when the app loads; reads are served from memory after that. A write is
//! durable before it is acknowledged: under the storage's lock it re-reads the file (so edits
//! made since the load are kept), applies the change, writes the whole text to a temporary file
//! in the same directory, fsyncs it, renames it over the file and fsyncs the directory. Only
//! then do reads see the new value. One lock per storage serialises writers, so concurrent sets
//! never lose each other's updates. A file luabox creates (on the first write, when
//! `auto_create` let a missing file start empty) gets `file_mode`; a rewritten file keeps its
//! permission bits. Comments and line order are not kept by a write.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use super::EnvError;
use super::dotenv::{self, ParseError};
use super::storage::Storage;
use crate::config::EntryId;
use crate::config::env_storage::EnvFile;
use crate::error::ErrorKind;

pub struct FileStorage {
    id: EntryId,
    /// The file, under the app directory.
    path: PathBuf,
    /// Its path in the app, for messages.
    shown: PathBuf,
    mode: u32,
    values: RwLock<BTreeMap<String, String>>,
    writer: Mutex<()>,
}

/// Why a storage's file could not be read at load.
#[derive(Debug)]
pub enum OpenError {
    /// The file does not exist and `auto_create` is off.
    Missing,
    Io(io::Error),
    Parse(ParseError),
}

impl FileStorage {
    /// Read the storage's file under `root` (the app directory).
    pub fn open(id: &EntryId, root: &Path, file: &EnvFile) -> Result<FileStorage, OpenError> {
        let path = root.join(&file.path);
        let values = match read(&path) {
            Ok(Some(values)) => values,
            Ok(None) if file.auto_create => BTreeMap::new(),
            Ok(None) => return Err(OpenError::Missing),
            Err(error) => return Err(error),
        };
        Ok(FileStorage {
            id: id.clone(),
            path,
            shown: file.path.clone(),
            mode: file.mode,
            values: RwLock::new(values),
            writer: Mutex::new(()),
        })
    }

    fn failed(&self, what: &str, error: impl std::fmt::Display) -> EnvError {
        EnvError::new(
            ErrorKind::Internal,
            format!(
                "env: env.storage.file '{}' cannot {what} '{}': {error}",
                self.id,
                self.shown.display()
            ),
        )
    }
}

impl Storage for FileStorage {
    fn get(&self, name: &str) -> Option<String> {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        values.get(name).cloned()
    }

    fn set(&self, name: &str, value: &str) -> Result<(), EnvError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut values = match read(&self.path) {
            Ok(Some(values)) => values,
            Ok(None) => BTreeMap::new(),
            Err(OpenError::Parse(error)) => {
                return Err(self.failed(
                    "write",
                    format_args!(
                        "line {}: {} (fix the file first)",
                        error.line, error.message
                    ),
                ));
            }
            Err(OpenError::Io(error)) => return Err(self.failed("read", error)),
            Err(OpenError::Missing) => BTreeMap::new(),
        };
        values.insert(name.to_owned(), value.to_owned());
        write_durably(&self.path, &dotenv::format(&values), self.mode)
            .map_err(|error| self.failed("write", error))?;
        *self.values.write().unwrap_or_else(|e| e.into_inner()) = values;
        Ok(())
    }

    fn blocks(&self) -> bool {
        true
    }

    fn refuses(&self, value: &str) -> Option<String> {
        dotenv::unwritable(value).map(|what| {
            format!(
                "a value in env.storage.file '{}' may not contain {what}",
                self.id
            )
        })
    }
}

/// The values in the file at `path`; `None` when it does not exist.
fn read(path: &Path) -> Result<Option<BTreeMap<String, String>>, OpenError> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            OpenError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "the file is not valid UTF-8",
            ))
        })?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(OpenError::Io(error)),
    };
    dotenv::parse(&text).map(Some).map_err(OpenError::Parse)
}

/// Replace the file at `path` with `text`, durably: a temporary file beside it is written and
/// fsynced, renamed over it, and the directory fsynced. The file keeps its permission bits; a
/// new one gets `mode`.
fn write_durably(path: &Path, text: &str, mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mode = match fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(_) => mode,
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&temp)?;
        // The umask may have cleared bits of `mode` at creation.
        file.set_permissions(Permissions::from_mode(mode))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    File::open(dir)?.sync_all()
}
