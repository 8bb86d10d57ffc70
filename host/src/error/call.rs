//! Why a call of a `function.lua` entry did not produce values, and the error object the
//! calling Lua code receives for it.

use crate::codec::ErrorObject;
use crate::config::EntryId;
use crate::error::{ErrorKind, RunError};

/// How many `funcs.call`s may be nested before a call fails (a guard against unbounded recursion
/// between entries, each level of which holds a sandbox).
pub const MAX_CALL_DEPTH: u32 = 32;

/// Why a call did not produce values.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no entry '{0}' in the registry")]
    NotFound(EntryId),
    #[error("entry '{id}' is a {kind}, not a function.lua")]
    NotCallable { id: EntryId, kind: String },
    #[error("{0}")]
    Invalid(String),
    #[error("calls are nested more than {MAX_CALL_DEPTH} deep (funcs.call recursion?)")]
    TooDeep,
    #[error("the call did not finish within its {} timeout", humantime::format_duration(*.0))]
    TimedOut(std::time::Duration),
    #[error("this sandbox runs outside an app (luabox eval), so it cannot call entries")]
    NoApp,
    /// The function returned `nil, err`.
    #[error("{0}")]
    Returned(ErrorObject),
    #[error("{0}")]
    Run(RunError),
}

impl CallError {
    /// The error object a calling Lua sandbox receives.
    pub fn to_error_object(&self) -> ErrorObject {
        match self {
            CallError::NotFound(_) => ErrorObject::new(ErrorKind::NotFound, self.to_string()),
            CallError::NotCallable { .. } | CallError::Invalid(_) => {
                ErrorObject::new(ErrorKind::Invalid, self.to_string())
            }
            CallError::TooDeep | CallError::NoApp => {
                ErrorObject::new(ErrorKind::Internal, self.to_string())
            }
            CallError::Returned(error) => error.clone(),
            CallError::Run(error) => Self::run_error_object(error),
            CallError::TimedOut(_) => timeout(self.to_string()),
        }
    }

    /// The error object for a failed run: the raised error object itself, `Timeout` for a
    /// deadline, `Internal` for anything else.
    pub fn run_error_object(error: &RunError) -> ErrorObject {
        match error {
            RunError::Lua(failure) => failure
                .value
                .as_deref()
                .and_then(|values| crate::codec::decode_values(values).ok())
                .and_then(|values| values.first().and_then(ErrorObject::from_msgpack))
                .unwrap_or_else(|| ErrorObject::new(ErrorKind::Internal, failure.message.clone())),
            RunError::Deadline { .. } => timeout(error.to_string()),
            RunError::Stopped(reason) => ErrorObject::new(ErrorKind::Canceled, reason.clone()),
            RunError::Busy { .. } => ErrorObject::new(ErrorKind::Unavailable, error.to_string()),
            error => ErrorObject::new(ErrorKind::Internal, error.to_string()),
        }
    }
}

fn timeout(message: String) -> ErrorObject {
    let mut timeout = ErrorObject::new(ErrorKind::Timeout, message);
    timeout.retryable = Some(true);
    timeout
}
