//! Activities: the `function.lua` calls of a workflow (`funcs.call` inside `workflow.lua`), run
//! with a retry policy and timeouts (Wippy: wippyai/docs en/concepts/workflows.md), each attempt in a fresh function sandbox.
//!
//! Options, set with `funcs.new():with_options{...}` in the workflow:
//! - `activity.start_to_close_timeout`: bound on one attempt (default 10m);
//! - `activity.schedule_to_close_timeout`: bound on all attempts together (default none);
//! - `activity.retry_policy`: `{initial_interval = 1000 (ms) or "1s", backoff_coefficient = 2.0,
//!   maximum_interval (default 100 × initial), maximum_attempts (0 = unlimited, the default),
//!   non_retryable_error_types = {"Invalid", ...}}`.
//!
//! What is retried: a returned error unless it says `retryable = false` or its kind is listed
//! as non-retryable; a timeout; a host failure. What is not: a raised Lua error (`Internal`,
//! unless the raised error object says it is retryable), an unknown or non-function target, a
//! sandbox limit (memory, stack). Activities run at least once: one interrupted by a crash runs
//! again after the restart, with the same [`ActivityInfo::id`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;

use super::ActivityInfo;
use futures::future::BoxFuture;

use crate::codec::ErrorObject;
use crate::config::EntryId;
use crate::error::{CallError, ErrorKind, RunError};
use crate::units::go_duration;

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityOptions {
    pub start_to_close: Duration,
    pub schedule_to_close: Option<Duration>,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub initial_interval: Duration,
    pub backoff_coefficient: f64,
    pub maximum_interval: Duration,
    /// 0: unlimited.
    pub maximum_attempts: u32,
    pub non_retryable: Vec<String>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_interval: Duration::from_secs(1),
            backoff_coefficient: 2.0,
            maximum_interval: Duration::from_secs(100),
            maximum_attempts: 0,
            non_retryable: Vec::new(),
        }
    }
}

impl Default for ActivityOptions {
    fn default() -> Self {
        ActivityOptions {
            start_to_close: Duration::from_secs(600),
            schedule_to_close: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// A duration option: milliseconds, or Go-style text.
pub fn duration(name: &str, value: &Json) -> Result<Duration, String> {
    let parsed = match value {
        Json::Number(ms) => ms
            .as_f64()
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        Json::String(text) => go_duration(text),
        _ => None,
    };
    parsed.ok_or_else(|| format!("{name}: invalid duration {value} (milliseconds or e.g. \"30s\")"))
}

impl ActivityOptions {
    /// Read the options map recorded with an `activity.scheduled` event.
    pub fn parse(options: &Json) -> Result<Self, String> {
        let mut parsed = ActivityOptions::default();
        let Some(options) = options.as_object() else {
            return Ok(parsed);
        };
        for (key, value) in options {
            match key.as_str() {
                "activity.start_to_close_timeout" => {
                    parsed.start_to_close = duration(key, value)?;
                }
                "activity.schedule_to_close_timeout" => {
                    parsed.schedule_to_close = Some(duration(key, value)?);
                }
                "activity.retry_policy" => parsed.retry = RetryPolicy::parse(key, value)?,
                _ => {
                    return Err(format!(
                        "unknown activity option {key:?} (known: activity.start_to_close_timeout, \
                         activity.schedule_to_close_timeout, activity.retry_policy)"
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

impl RetryPolicy {
    /// Read retry policy option `option` (`activity.retry_policy`, or a workflow's
    /// `temporal.workflow.retry_policy`). `maximum_attempts` stays within what Temporal takes.
    pub fn parse(option: &str, value: &Json) -> Result<Self, String> {
        let policy = value
            .as_object()
            .ok_or_else(|| format!("{option} must be a table"))?;
        let mut parsed = RetryPolicy::default();
        let mut maximum_interval = None;
        for (key, value) in policy {
            let name = format!("{option}.{key}");
            match key.as_str() {
                "initial_interval" => parsed.initial_interval = duration(&name, value)?,
                "maximum_interval" => maximum_interval = Some(duration(&name, value)?),
                "backoff_coefficient" => {
                    parsed.backoff_coefficient = value
                        .as_f64()
                        .filter(|c| c.is_finite() && *c >= 1.0)
                        .ok_or_else(|| format!("{name}: expected a number >= 1, got {value}"))?;
                }
                "maximum_attempts" => {
                    parsed.maximum_attempts = value
                        .as_u64()
                        .filter(|n| i32::try_from(*n).is_ok())
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            format!("{name}: expected a whole number >= 0, got {value}")
                        })?;
                }
                "non_retryable_error_types" => {
                    let kinds = match value {
                        Json::Array(kinds) => kinds.clone(),
                        Json::Object(empty) if empty.is_empty() => Vec::new(),
                        _ => return Err(format!("{name}: expected a list of error kinds")),
                    };
                    parsed.non_retryable = kinds
                        .iter()
                        .map(|kind| kind.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| format!("{name}: expected a list of error kinds"))?;
                }
                _ => {
                    return Err(format!(
                        "unknown retry policy field {key:?} (known: initial_interval, \
                         backoff_coefficient, maximum_interval, maximum_attempts, \
                         non_retryable_error_types)"
                    ));
                }
            }
        }
        parsed.maximum_interval =
            maximum_interval.unwrap_or(parsed.initial_interval.saturating_mul(100));
        Ok(parsed)
    }

    /// The pause after failed attempt number `attempt` (from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = self
            .backoff_coefficient
            .powi(i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX));
        let pause = self.initial_interval.as_secs_f64() * factor;
        Duration::from_secs_f64(pause.min(self.maximum_interval.as_secs_f64()))
    }
}

/// How an activity ended: its values (a MessagePack array) or its final error, and how many
/// attempts that took.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Vec<u8>, ErrorObject>,
    pub attempts: u32,
}

/// One attempt's failure and whether another attempt may help.
pub fn judge(error: CallError, policy: &RetryPolicy) -> (ErrorObject, bool) {
    let object = error.to_error_object();
    let retryable = match &error {
        CallError::NotFound(_)
        | CallError::NotCallable { .. }
        | CallError::Invalid(_)
        | CallError::TooDeep
        | CallError::NoApp => false,
        CallError::Returned(returned) => returned.retryable != Some(false),
        CallError::TimedOut(_) => true,
        CallError::Run(RunError::Lua(_)) => object.retryable == Some(true),
        CallError::Run(RunError::Deadline { .. } | RunError::Busy { .. } | RunError::Host(_)) => {
            true
        }
        CallError::Run(_) => false,
    };
    let listed = policy.non_retryable.contains(&object.kind);
    (object, retryable && !listed)
}

/// How an activity reaches the function it runs: `app::App` implements it, so the workflow
/// runtime does not depend on the app.
pub trait CallActivity: Send + Sync + 'static {
    /// Call `function.lua` entry `id` with `args` (a MessagePack array) as attempt `info`.
    fn call_activity(
        self: Arc<Self>,
        id: EntryId,
        args: Vec<u8>,
        info: Arc<ActivityInfo>,
    ) -> BoxFuture<'static, Result<Vec<u8>, CallError>>;
}

/// Run activity `target` for workflow `workflow_id` (its command `cmd`) until it succeeds or
/// its policy gives up.
pub async fn run(
    app: Arc<dyn CallActivity>,
    workflow_id: String,
    cmd: u64,
    target: String,
    args: Vec<u8>,
    options: Json,
) -> Outcome {
    let options = match ActivityOptions::parse(&options) {
        Ok(options) => options,
        Err(message) => {
            return Outcome {
                result: Err(ErrorObject::new(ErrorKind::Invalid, message)),
                attempts: 0,
            };
        }
    };
    let id = match EntryId::resolve(&target, "") {
        Ok(id) => id,
        Err(message) => {
            return Outcome {
                result: Err(ErrorObject::new(ErrorKind::Invalid, message)),
                attempts: 0,
            };
        }
    };
    let attempts = attempt_all(&app, &workflow_id, cmd, &id, &args, &options);
    match options.schedule_to_close {
        None => attempts.await,
        Some(limit) => tokio::time::timeout(limit, attempts)
            .await
            .unwrap_or_else(|_| Outcome {
                result: Err(ErrorObject::new(
                    ErrorKind::Timeout,
                    format!(
                        "activity {id} did not finish within its schedule-to-close timeout of {}",
                        humantime::format_duration(limit)
                    ),
                )),
                attempts: 0,
            }),
    }
}

async fn attempt_all(
    app: &Arc<dyn CallActivity>,
    workflow_id: &str,
    cmd: u64,
    id: &EntryId,
    args: &[u8],
    options: &ActivityOptions,
) -> Outcome {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let info = Arc::new(ActivityInfo {
            id: format!("{workflow_id}/{cmd}"),
            workflow_id: workflow_id.to_owned(),
            attempt,
        });
        let call = app.clone().call_activity(id.clone(), args.to_vec(), info);
        let result = tokio::time::timeout(options.start_to_close, call)
            .await
            .unwrap_or(Err(CallError::TimedOut(options.start_to_close)));
        let error = match result {
            Ok(values) => {
                return Outcome {
                    result: Ok(values),
                    attempts: attempt,
                };
            }
            Err(error) => error,
        };
        let (error, retryable) = judge(error, &options.retry);
        let limit = options.retry.maximum_attempts;
        if !retryable || (limit != 0 && attempt >= limit) {
            return Outcome {
                result: Err(error),
                attempts: attempt,
            };
        }
        let pause = options.retry.backoff(attempt);
        tracing::info!(
            workflow = workflow_id,
            activity = %id,
            attempt,
            "activity failed ({error}); retrying in {}",
            humantime::format_duration(pause)
        );
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_and_retry_policies() {
        let options = ActivityOptions::parse(&json!({
            "activity.start_to_close_timeout": "30s",
            "activity.retry_policy": {
                "initial_interval": 100,
                "backoff_coefficient": 3.0,
                "maximum_attempts": 4,
                "non_retryable_error_types": ["Invalid"],
            },
        }))
        .unwrap();
        assert_eq!(options.start_to_close, Duration::from_secs(30));
        let retry = &options.retry;
        assert_eq!(retry.maximum_attempts, 4);
        assert_eq!(retry.backoff(1), Duration::from_millis(100));
        assert_eq!(retry.backoff(3), Duration::from_millis(900));
        assert_eq!(retry.maximum_interval, Duration::from_secs(10));
        assert_eq!(retry.backoff(30), Duration::from_secs(10));
        assert_eq!(
            ActivityOptions::parse(&json!({})).unwrap(),
            ActivityOptions::default()
        );
    }

    #[test]
    fn bad_options_are_named() {
        let unknown = ActivityOptions::parse(&json!({"activity.retry": {}})).unwrap_err();
        assert!(unknown.contains("\"activity.retry\""), "{unknown}");
        let bad = ActivityOptions::parse(&json!({
            "activity.retry_policy": {"backoff_coefficient": 0.5}
        }))
        .unwrap_err();
        assert!(bad.contains("backoff_coefficient"), "{bad}");
    }

    #[test]
    fn what_is_retried() {
        let policy = RetryPolicy {
            non_retryable: vec!["Conflict".into()],
            ..RetryPolicy::default()
        };
        let returned = |kind: &str, retryable| {
            let mut error = ErrorObject::new(kind, "x");
            error.retryable = retryable;
            judge(CallError::Returned(error), &policy).1
        };
        assert!(returned("Unavailable", None));
        assert!(!returned("Unavailable", Some(false)));
        assert!(!returned("Conflict", None));
        assert!(!judge(CallError::Invalid("x".into()), &policy).1);
        assert!(judge(CallError::TimedOut(Duration::from_secs(1)), &policy).1);
    }
}
