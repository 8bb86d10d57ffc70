//! Where a configuration problem is ([`Location`]) and what it is ([`ConfigError`]).
//!
//! Every message the loader produces names a file and a 1-based line, and the entry when the
//! problem sits inside one, so `luabox check` can print a list a user can walk top to bottom:
//!
//! ```text
//! app/_index.yaml:7: entry 'app:hello': unknown module 'jsn' (luabox provides: json, time)
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use super::id::EntryId;

/// A file and a 1-based line in it. Line 0 means "the file as a whole" (it could not be read,
/// for instance) and is displayed without a line number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// One problem found while loading an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub location: Location,
    /// The `ns:name` of the entry the problem is in, when it is in one.
    pub entry: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub fn new(location: Location, entry: Option<String>, message: impl Into<String>) -> Self {
        ConfigError {
            location,
            entry,
            message: message.into(),
        }
    }

    /// A problem at `file:line` outside any entry.
    pub fn at(file: &Path, line: usize, message: impl Into<String>) -> Self {
        ConfigError::new(Location::new(file, line), None, message)
    }

    /// A problem at `file:line` inside the entry `id`.
    pub fn in_entry(file: &Path, line: usize, id: &EntryId, message: impl Into<String>) -> Self {
        ConfigError::new(Location::new(file, line), Some(id.to_string()), message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "{}: entry '{entry}': {}", self.location, self.message),
            None => write!(f, "{}: {}", self.location, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Sorts by file, then line; problems on one line keep the order they were found in.
pub fn sort(errors: &mut [ConfigError]) {
    errors.sort_by(|a, b| a.location.cmp(&b.location));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_entry() {
        let id: EntryId = "app:hello".parse().unwrap();
        let plain = ConfigError::at(Path::new("app/_index.yaml"), 7, "bad");
        assert_eq!(plain.to_string(), "app/_index.yaml:7: bad");
        let inside = ConfigError::in_entry(Path::new("app/_index.yaml"), 9, &id, "worse");
        assert_eq!(
            inside.to_string(),
            "app/_index.yaml:9: entry 'app:hello': worse"
        );
        let whole = ConfigError::at(Path::new("app/x.yaml"), 0, "unreadable");
        assert_eq!(whole.to_string(), "app/x.yaml: unreadable");
    }

    #[test]
    fn sorts_by_file_then_line_stably() {
        let mut errors = vec![
            ConfigError::at(Path::new("b.yaml"), 1, "b1"),
            ConfigError::at(Path::new("a.yaml"), 9, "a9"),
            ConfigError::at(Path::new("a.yaml"), 2, "a2-first"),
            ConfigError::at(Path::new("a.yaml"), 2, "a2-second"),
        ];
        sort(&mut errors);
        let order: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["a2-first", "a2-second", "a9", "b1"]);
    }
}
