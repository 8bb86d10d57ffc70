//! Activity tasks of a Temporal worker: each runs its `function.lua` entry in a fresh sandbox,
//! as the embedded engine's activities do, and reports the values or the error object back.
//! Temporal applies the retry policy the workflow scheduled the activity with; a failure says
//! whether another attempt may help, judged as on the embedded engine.

use std::sync::Arc;

use temporalio_common::protos::coresdk::ActivityTaskCompletion;
use temporalio_common::protos::coresdk::activity_result::ActivityExecutionResult;
use temporalio_common::protos::coresdk::activity_task::Start;

use super::WorkerEntry;
use super::payload;
use crate::app::App;
use crate::codec::ErrorObject;
use crate::durable::ActivityInfo;
use crate::durable::activity::{RetryPolicy, judge};
use crate::error::ErrorKind;

/// Run activity task `start` (its token `task_token`) and say how it ended.
pub async fn run(
    app: Arc<App>,
    worker: &WorkerEntry,
    task_token: Vec<u8>,
    start: Start,
) -> ActivityTaskCompletion {
    let result = match attempt(&app, worker, start).await {
        Ok(values) => match payload::result(&values) {
            Ok(result) => ActivityExecutionResult::ok(result),
            Err(message) => failed(&ErrorObject::new(ErrorKind::Internal, message), false),
        },
        Err((error, retryable)) => failed(&error, retryable),
    };
    ActivityTaskCompletion {
        task_token,
        result: Some(result),
    }
}

fn failed(error: &ErrorObject, retryable: bool) -> ActivityExecutionResult {
    let mut error = error.clone();
    if !retryable {
        error.retryable = Some(false);
    }
    ActivityExecutionResult::fail(payload::failure(&error))
}

async fn attempt(
    app: &Arc<App>,
    worker: &WorkerEntry,
    start: Start,
) -> Result<Vec<u8>, (ErrorObject, bool)> {
    let Some(entry) = worker.activities.get(&start.activity_type) else {
        let mut known: Vec<&String> = worker.activities.keys().collect();
        known.sort();
        let message = format!(
            "activity type '{}' is not registered on temporal.worker '{}' (registered: {known:?})",
            start.activity_type, worker.id
        );
        return Err((ErrorObject::new(ErrorKind::NotFound, message), false));
    };
    let args = payload::values_of(&start.input)
        .map_err(|message| (ErrorObject::new(ErrorKind::Invalid, message), false))?;
    let workflow_id = start
        .workflow_execution
        .map(|execution| execution.workflow_id)
        .unwrap_or_default();
    let info = Arc::new(ActivityInfo {
        id: format!("{workflow_id}/{}", start.activity_id),
        workflow_id,
        attempt: start.attempt.max(1),
    });
    app.call_activity(entry, args, info)
        .await
        .map_err(|error| judge(error, &RetryPolicy::default()))
}
