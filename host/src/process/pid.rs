//! Process ids: `{host|n}`, where `host` is the `process.host` entry the process runs on and `n`
//! is unique within this luabox host (Wippy: wippyai/docs en/concepts/process-model.md). Lua sees them as strings; any other
//! destination string is a registered name.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pid {
    pub host: String,
    pub id: u64,
}

impl Pid {
    /// Read a pid from its text form; `None` when `text` is not one (it may be a name).
    pub fn parse(text: &str) -> Option<Pid> {
        let inner = text.strip_prefix('{')?.strip_suffix('}')?;
        let (host, id) = inner.rsplit_once('|')?;
        Some(Pid {
            host: host.to_owned(),
            id: id.parse().ok()?,
        })
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}|{}}}", self.host, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_round_trip_and_names_are_not_pids() {
        let pid = Pid {
            host: "app:processes".into(),
            id: 42,
        };
        assert_eq!(pid.to_string(), "{app:processes|42}");
        assert_eq!(Pid::parse("{app:processes|42}"), Some(pid));
        assert_eq!(Pid::parse("ponger"), None);
        assert_eq!(Pid::parse("{app:processes|x}"), None);
    }
}
