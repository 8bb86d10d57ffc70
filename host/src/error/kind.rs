//! The kinds of expected failure a sandbox sees: the `kind` of the error object in `nil, err`
//! (Lua's `errors.INVALID`, `errors.NOT_FOUND`, ...), named once here instead of as strings at
//! every place that fails.
//!
//! ```
//! use luabox::error::ErrorKind;
//! assert_eq!(ErrorKind::NotFound.as_str(), "NotFound");
//! assert_eq!(ErrorKind::parse("Timeout"), Some(ErrorKind::Timeout));
//! ```

/// What went wrong, as Lua code tests it (`err:kind() == errors.TIMEOUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    Invalid,
    PermissionDenied,
    Unavailable,
    Timeout,
    Canceled,
    Conflict,
    Internal,
    RateLimited,
    /// A workflow's code no longer issues the commands its history recorded.
    NonDeterministic,
}

impl ErrorKind {
    /// Every kind: those of Lua's `errors` global, and `NonDeterministic`.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::Invalid,
        ErrorKind::PermissionDenied,
        ErrorKind::Unavailable,
        ErrorKind::Timeout,
        ErrorKind::Canceled,
        ErrorKind::Conflict,
        ErrorKind::Internal,
        ErrorKind::RateLimited,
        ErrorKind::NonDeterministic,
    ];

    /// The kind's name, as Lua sees it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AlreadyExists => "AlreadyExists",
            ErrorKind::Invalid => "Invalid",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::Unavailable => "Unavailable",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Canceled => "Canceled",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Internal => "Internal",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::NonDeterministic => "NonDeterministic",
        }
    }

    /// The kind named `name`, if luabox has one of that name.
    pub fn parse(name: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorKind> for String {
    fn from(kind: ErrorKind) -> String {
        kind.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::parse("Nope"), None);
    }
}
