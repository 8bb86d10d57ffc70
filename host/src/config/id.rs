//! Entry ids (`namespace:name`) and the rules for their two halves.
//!
//! A namespace is dot-separated segments of `[A-Za-z0-9_-]` (`app.api`); a name is
//! `[A-Za-z0-9._-]` (`get_user.endpoint`). A reference without `:` is resolved in the namespace
//! of the entry that makes it:
//!
//! ```text
//! EntryId::resolve("helpers", "app")         -> app:helpers
//! EntryId::resolve("app.lib:helpers", "app") -> app.lib:helpers
//! ```

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId {
    pub ns: String,
    pub name: String,
}

impl EntryId {
    /// Builds an id from parts that are already known to be valid.
    pub fn new(ns: impl Into<String>, name: impl Into<String>) -> Self {
        EntryId {
            ns: ns.into(),
            name: name.into(),
        }
    }

    /// Resolves a reference written inside namespace `ns`: `name` means `ns:name`.
    pub fn resolve(reference: &str, ns: &str) -> Result<EntryId, String> {
        if reference.contains(':') {
            reference.parse()
        } else {
            check_namespace(ns)?;
            check_name(reference)?;
            Ok(EntryId::new(ns, reference))
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ns, self.name)
    }
}

impl FromStr for EntryId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((ns, name)) = text.split_once(':') else {
            return Err(format!(
                "invalid entry id '{text}': expected 'namespace:name'"
            ));
        };
        check_namespace(ns).map_err(|e| format!("invalid entry id '{text}': {e}"))?;
        check_name(name).map_err(|e| format!("invalid entry id '{text}': {e}"))?;
        Ok(EntryId::new(ns, name))
    }
}

/// The namespace of an entry id as text: `app.api:handler` -> `app.api` (the whole text when
/// it has no `:`).
pub fn namespace_of(entry: &str) -> &str {
    entry
        .split_once(':')
        .map_or(entry, |(namespace, _)| namespace)
}

/// `app`, `app.api`, `my-org.v2_x`.
pub fn check_namespace(ns: &str) -> Result<(), String> {
    if ns.is_empty() {
        return Err("the namespace is empty".into());
    }
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    };
    if ns.split('.').all(segment_ok) {
        Ok(())
    } else {
        Err(format!(
            "invalid namespace '{ns}' (use dot-separated segments of letters, digits, '_' and '-')"
        ))
    }
}

/// `hello`, `get_user.endpoint`, `v2-beta`.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(())
    } else {
        Err(format!(
            "invalid name '{name}' (use letters, digits, '.', '_' and '-')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let id: EntryId = "a.b:c".parse().unwrap();
        assert_eq!(id, EntryId::new("a.b", "c"));
        assert_eq!(id.to_string(), "a.b:c");
        let dotted: EntryId = "app.api:get_user.endpoint".parse().unwrap();
        assert_eq!(dotted.name, "get_user.endpoint");
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "", "abc", ":x", "a:", "a:b:c", "a..b:c", ".a:c", "a b:c", "a:b c", "a:ü",
        ] {
            assert!(
                bad.parse::<EntryId>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(
            "abc".parse::<EntryId>().unwrap_err(),
            "invalid entry id 'abc': expected 'namespace:name'"
        );
    }

    #[test]
    fn resolves_relative_references() {
        assert_eq!(
            EntryId::resolve("helpers", "app").unwrap(),
            EntryId::new("app", "helpers")
        );
        assert_eq!(
            EntryId::resolve("lib.x:helpers", "app").unwrap(),
            EntryId::new("lib.x", "helpers")
        );
        assert!(EntryId::resolve("bad name", "app").is_err());
        assert!(EntryId::resolve(":json", "app").is_err());
        assert!(EntryId::resolve("", "app").is_err());
    }

    #[test]
    fn namespace_and_name_rules() {
        assert!(check_namespace("my-org.v2_x").is_ok());
        assert!(check_namespace("a.").is_err());
        assert!(check_namespace("a.b.c").is_ok());
        assert!(check_name("get_user.endpoint").is_ok());
        assert!(check_name("a:b").is_err());
        assert!(check_name("").is_err());
    }
}
