//! `wit/fs.wit`, the `fs` Lua module: files in `fs.directory` volumes (Wippy: wippyai/docs
//! en/lua/storage/filesystem.md), each confined to its root ([`volume`]).
//!
//! `open-volume` checks the grant once (the volume is in the entry's namespace or in its
//! `resources:`, as for `store.get`) and gives the sandbox a number for it; files opened on it get
//! numbers too. Both live in [`Opened`], this sandbox's state, so they close when the sandbox
//! ends, and a sandbox reaches only what it was allowed to open. Calls are quick local file
//! operations done at once; every read is bounded by the sandbox's `max_payload`.
//!
//! Workflows cannot list it (`InWorkflows::Denied`): a file's contents are the outside world,
//! which a replayed workflow must not see change.
//!
//! Error kinds (Wippy's table): `Invalid` (an empty path, a bad mode, a closed file, a read past
//! `max_payload`), `NotFound`, `AlreadyExists`, `PermissionDenied` (a path leaving the root, a
//! read-only volume, a volume not granted), `Unavailable` (a root that cannot be opened, other
//! I/O failures).
//!
//! ```lua
//! local vol = require("fs").get("app:data")
//! vol:writefile("/notes.txt", "hello")
//! print(vol:readfile("/notes.txt"))
//! ```

pub mod volume;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use cap_std::fs::File;

use super::{AppSandbox, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::fs::{self as wit, DirEntry, Info, OpenMode, Whence};
use crate::config::{EntryId, Spec};
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use volume::{FsError, Volume, relative};

// Denied in workflows: files observe the world outside the workflow's history.
host_module!(Fs, "fs", wit);

/// The most volumes one sandbox may hold open at once.
pub const MAX_VOLUMES: usize = 1024;
/// The most files one sandbox may hold open at once (each is a host file descriptor).
pub const MAX_FILES: usize = 64;

/// The volumes and files a sandbox has opened, by the number it was given.
#[derive(Default)]
struct Opened {
    last_volume: u32,
    volumes: HashMap<u32, Arc<Volume>>,
    last_file: u32,
    files: HashMap<u32, OpenFile>,
}

struct OpenFile {
    volume: Arc<Volume>,
    path: PathBuf,
    file: File,
    mode: OpenMode,
}

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

fn answer<T>(result: Result<T, FsError>) -> Answer<T> {
    Ok(result.map_err(|error| host_error(error.kind, error.message)))
}

impl wit::Host for SandboxState {
    fn open_volume(&mut self, id: String) -> Answer<(u32, String)> {
        let volume = match self.open_volume_entry(&id) {
            Ok(volume) => volume,
            Err(error) => return Ok(Err(error)),
        };
        let opened = self.module_state::<Opened>();
        if opened.volumes.len() >= MAX_VOLUMES {
            return answer(volume::fail(
                ErrorKind::Unavailable,
                format!("fs.get: this sandbox has {MAX_VOLUMES} volumes open"),
            ));
        }
        // Numbers are not reused while the sandbox lives.
        let Some(number) = opened.last_volume.checked_add(1) else {
            return answer(volume::fail(
                ErrorKind::Unavailable,
                "fs.get: this sandbox has opened too many volumes",
            ));
        };
        opened.last_volume = number;
        let id = volume.id.clone();
        opened.volumes.insert(number, Arc::new(volume));
        Ok(Ok((number, id)))
    }

    fn release_volume(&mut self, volume: u32) -> wasmtime::Result<()> {
        self.module_state::<Opened>().volumes.remove(&volume);
        Ok(())
    }

    fn read_file(&mut self, volume: u32, path: String) -> Answer<Vec<u8>> {
        let max = self.max_payload() as usize;
        self.on_volume(volume, &path, |v, p| v.read_file(p, max))
    }

    fn write_file(
        &mut self,
        volume: u32,
        path: String,
        data: Vec<u8>,
        mode: OpenMode,
    ) -> Answer<()> {
        self.on_volume(volume, &path, |v, p| v.write_file(p, &data, mode))
    }

    fn exists(&mut self, volume: u32, path: String) -> Answer<bool> {
        self.on_volume(volume, &path, |v, p| v.exists(p))
    }

    fn stat(&mut self, volume: u32, path: String) -> Answer<Info> {
        self.on_volume(volume, &path, |v, p| v.stat(p))
    }

    fn mkdir(&mut self, volume: u32, path: String) -> Answer<()> {
        self.on_volume(volume, &path, |v, p| v.mkdir(p))
    }

    fn remove(&mut self, volume: u32, path: String) -> Answer<()> {
        self.on_volume(volume, &path, |v, p| v.remove(p))
    }

    fn read_dir(&mut self, volume: u32, path: String) -> Answer<Vec<DirEntry>> {
        let max = self.max_payload() as usize;
        self.on_volume(volume, &path, |v, p| v.read_dir(p, max))
    }

    fn open(&mut self, volume: u32, path: String, mode: OpenMode) -> Answer<u32> {
        let found = self.volume(volume).and_then(|v| Ok((v, relative(&path)?)));
        let (volume, path) = match found {
            Ok(found) => found,
            Err(error) => return answer(Err(error)),
        };
        let opened = self.module_state::<Opened>();
        if opened.files.len() >= MAX_FILES {
            return answer(volume::fail(
                ErrorKind::Unavailable,
                format!("open: this sandbox has {MAX_FILES} files open; close some"),
            ));
        }
        let Some(number) = opened.last_file.checked_add(1) else {
            return answer(volume::fail(
                ErrorKind::Unavailable,
                "open: this sandbox has opened too many files",
            ));
        };
        let file = match volume.open("open", &path, mode) {
            Ok(file) => file,
            Err(error) => return answer(Err(error)),
        };
        opened.last_file = number;
        let open = OpenFile {
            volume,
            path,
            file,
            mode,
        };
        opened.files.insert(number, open);
        Ok(Ok(number))
    }

    fn read(&mut self, file: u32, size: u32) -> Answer<Vec<u8>> {
        let size = size.min(self.max_payload()) as usize;
        self.on_file(file, "read", |open| {
            if matches!(open.mode, OpenMode::Read | OpenMode::ReadWrite) {
                volume::read(&mut open.file, size).map_err(Some)
            } else {
                Err(None)
            }
        })
    }

    fn write(&mut self, file: u32, data: Vec<u8>) -> Answer<()> {
        self.on_file(file, "write", |open| {
            if open.mode == OpenMode::Read {
                Err(None)
            } else {
                std::io::Write::write_all(&mut open.file, &data).map_err(Some)
            }
        })
    }

    fn seek(&mut self, file: u32, whence: Whence, offset: i64) -> Answer<u64> {
        self.on_file(file, "seek", |open| {
            volume::seek(&mut open.file, whence, offset).map_err(Some)
        })
    }

    fn file_stat(&mut self, file: u32) -> Answer<Info> {
        self.on_file(file, "stat", |open| {
            let meta = open.file.metadata().map_err(Some)?;
            Ok(volume::info(&open.path, &meta))
        })
    }

    fn sync(&mut self, file: u32) -> Answer<()> {
        self.on_file(file, "sync", |open| {
            if open.mode == OpenMode::Read {
                return Ok(());
            }
            open.file.sync_all().map_err(Some)
        })
    }

    fn close(&mut self, file: u32) -> wasmtime::Result<()> {
        self.module_state::<Opened>().files.remove(&file);
        Ok(())
    }
}

impl SandboxState {
    /// Volume entry `reference`, opened, if this sandbox may open it.
    fn open_volume_entry(&self, reference: &str) -> Result<Volume, HostError> {
        let id = EntryId::resolve(reference, self.namespace()).map_err(|error| {
            host_error(
                ErrorKind::Invalid,
                format!("fs.get: invalid volume id '{reference}': {error}"),
            )
        })?;
        let app = self.app().ok_or_else(|| super::no_app("fs.get", "registry"))?;
        let spec = match app.registry().get(&id) {
            None => {
                return Err(host_error(
                    ErrorKind::NotFound,
                    format!("fs.get: no entry '{id}' in the registry"),
                ));
            }
            Some(entry) => match &entry.spec {
                Spec::FsDirectory(spec) => spec.clone(),
                _ => {
                    return Err(host_error(
                        ErrorKind::NotFound,
                        format!("fs.get: '{id}' is a {}, not an fs.directory", entry.kind),
                    ));
                }
            },
        };
        super::check_granted(self, "fs.get", "volume", &id)?;
        let root = volume::open_root(app.app_dir(), &spec).map_err(|why| {
            host_error(
                ErrorKind::Unavailable,
                format!("fs.get: volume '{id}': {why}"),
            )
        })?;
        Ok(Volume {
            id: id.to_string(),
            root,
            spec,
        })
    }

    fn volume(&mut self, number: u32) -> Result<Arc<Volume>, FsError> {
        match self.module_state::<Opened>().volumes.get(&number) {
            Some(volume) => Ok(volume.clone()),
            None => volume::fail(
                ErrorKind::Invalid,
                "fs: this volume was released (fs.get opens it again)",
            ),
        }
    }

    /// Run `operation` on volume `number` with `path` read from its root.
    fn on_volume<T>(
        &mut self,
        number: u32,
        path: &str,
        operation: impl FnOnce(&Volume, &std::path::Path) -> Result<T, FsError>,
    ) -> Answer<T> {
        self.check_deadline()?;
        let volume = match self.volume(number) {
            Ok(volume) => volume,
            Err(error) => return answer(Err(error)),
        };
        answer(relative(path).and_then(|path| operation(&volume, &path)))
    }

    /// Run `operation` on open file `number`: its I/O error, or `None` when the file was not
    /// opened for it.
    fn on_file<T>(
        &mut self,
        number: u32,
        call: &str,
        operation: impl FnOnce(&mut OpenFile) -> Result<T, Option<std::io::Error>>,
    ) -> Answer<T> {
        self.check_deadline()?;
        let Some(open) = self.module_state::<Opened>().files.get_mut(&number) else {
            return answer(volume::fail(
                ErrorKind::Invalid,
                format!("file:{call}: the file is closed"),
            ));
        };
        match operation(open) {
            Ok(value) => Ok(Ok(value)),
            Err(Some(error)) => {
                let error = open.volume.io_error(call, &open.path, error);
                answer(Err(error))
            }
            Err(None) => answer(volume::fail(
                ErrorKind::Invalid,
                format!(
                    "file:{call}: the file was not opened for that (mode {})",
                    mode_name(open.mode)
                ),
            )),
        }
    }
}

/// The Lua mode string of `mode`.
fn mode_name(mode: OpenMode) -> &'static str {
    match mode {
        OpenMode::Read => "r",
        OpenMode::Write => "w",
        OpenMode::Append => "a",
        OpenMode::Exclusive => "wx",
        OpenMode::ReadWrite => "r+",
    }
}
