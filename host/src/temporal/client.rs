//! Talking to a Temporal cluster as a client: connecting with a `temporal.client` entry's
//! settings, and starting, signalling, cancelling, terminating and awaiting workflows through
//! the frontend's gRPC API (what `luabox workflow --worker`, `process.spawn` on a worker and
//! `process.send` to a workflow on Temporal do).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use temporalio_client::{Connection, ConnectionOptions, TlsOptions, Url};
use temporalio_common::protos::temporal::api::common::v1::{
    Header, Payload, Payloads, WorkflowExecution, WorkflowType,
};
use temporalio_common::protos::temporal::api::enums::v1::{
    HistoryEventFilterType, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    GetWorkflowExecutionHistoryRequest, RequestCancelWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest, StartWorkflowExecutionRequest,
    TerminateWorkflowExecutionRequest,
};
use tonic::Code;

use super::{payload, proto_duration, proto_retry};
use crate::codec::ErrorObject;
use crate::config::temporal::TemporalClient;
use crate::durable::activity::RetryPolicy;
use crate::error::ErrorKind;

/// Header of a signal naming the pid of its sender (what `msg:from()` returns).
const FROM_HEADER: &str = "luabox-from";

/// The header fields of a signal from `pid`.
pub fn sender_fields(pid: &str) -> HashMap<String, Payload> {
    let pid = payload::value_payload(&rmpv::Value::from(pid));
    HashMap::from([(FROM_HEADER.to_owned(), pid)])
}

/// The sender a signal's header fields name, if any.
pub fn sender(fields: &HashMap<String, Payload>) -> Option<String> {
    let pid = payload::payload_value(fields.get(FROM_HEADER)?).ok()?;
    pid.as_str().map(str::to_owned)
}

/// What this process calls itself to Temporal.
pub fn identity() -> String {
    format!("{}@luabox", std::process::id())
}

/// Connect to the frontend of `client`.
pub async fn connect(client: &TemporalClient) -> Result<Connection, ErrorObject> {
    let scheme = if client.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = Url::from_str(&format!("{scheme}://{}", client.address)).map_err(|error| {
        ErrorObject::new(
            ErrorKind::Invalid,
            format!("Temporal address {:?}: {error}", client.address),
        )
    })?;
    let tls = client.tls.as_ref().map(|tls| {
        TlsOptions::builder()
            .maybe_domain(tls.server_name.clone())
            .build()
    });
    let options = ConnectionOptions::new(url)
        .identity(identity())
        .maybe_api_key(client.api_key.clone())
        .maybe_tls_options(tls)
        .connect_timeout(Duration::from_secs(10))
        .build();
    Connection::connect(options).await.map_err(|error| {
        ErrorObject::new(
            ErrorKind::Unavailable,
            format!("cannot reach Temporal at {}: {error}", client.address),
        )
    })
}

fn rpc_error(what: &str, status: tonic::Status) -> ErrorObject {
    let kind = match status.code() {
        Code::NotFound => ErrorKind::NotFound,
        Code::AlreadyExists => ErrorKind::AlreadyExists,
        Code::InvalidArgument | Code::FailedPrecondition => ErrorKind::Invalid,
        Code::PermissionDenied | Code::Unauthenticated => ErrorKind::PermissionDenied,
        Code::DeadlineExceeded => ErrorKind::Timeout,
        _ => ErrorKind::Unavailable,
    };
    ErrorObject::new(kind, format!("{what}: {}", status.message()))
}

/// How to start a workflow (Wippy: wippyai/docs en/concepts/workflows.md's `temporal.workflow.*` options that the frontend
/// takes).
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub execution_timeout: Option<Duration>,
    pub run_timeout: Option<Duration>,
    pub task_timeout: Option<Duration>,
    /// When a workflow with the id runs already: use it (the default), fail, or terminate it.
    pub id_conflict: IdConflict,
    pub retry_policy: Option<RetryPolicy>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdConflict {
    #[default]
    UseExisting,
    Fail,
    TerminateExisting,
}

impl FromStr for IdConflict {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "use_existing" => Ok(IdConflict::UseExisting),
            "fail" => Ok(IdConflict::Fail),
            "terminate_existing" => Ok(IdConflict::TerminateExisting),
            other => Err(format!(
                "unknown id conflict policy {other:?} (use_existing, fail, terminate_existing)"
            )),
        }
    }
}

/// A workflow to start.
pub struct Start<'a> {
    pub namespace: &'a str,
    pub task_queue: &'a str,
    pub workflow_type: &'a str,
    pub workflow_id: &'a str,
    pub input: Vec<Payload>,
    pub options: &'a StartOptions,
}

/// Start a workflow; returns its run id (that of the running one under `use_existing`).
pub async fn start(connection: &Connection, start: Start<'_>) -> Result<String, ErrorObject> {
    let conflict = match start.options.id_conflict {
        IdConflict::UseExisting => WorkflowIdConflictPolicy::UseExisting,
        IdConflict::Fail => WorkflowIdConflictPolicy::Fail,
        IdConflict::TerminateExisting => WorkflowIdConflictPolicy::TerminateExisting,
    };
    let request = StartWorkflowExecutionRequest {
        namespace: start.namespace.to_owned(),
        workflow_id: start.workflow_id.to_owned(),
        workflow_type: Some(WorkflowType {
            name: start.workflow_type.to_owned(),
        }),
        task_queue: Some(TaskQueue {
            name: start.task_queue.to_owned(),
            ..TaskQueue::default()
        }),
        input: Some(Payloads {
            payloads: start.input,
        }),
        workflow_execution_timeout: start.options.execution_timeout.and_then(proto_duration),
        workflow_run_timeout: start.options.run_timeout.and_then(proto_duration),
        workflow_task_timeout: start.options.task_timeout.and_then(proto_duration),
        identity: identity(),
        request_id: uuid::Uuid::new_v4().to_string(),
        workflow_id_reuse_policy: WorkflowIdReusePolicy::AllowDuplicate as i32,
        workflow_id_conflict_policy: conflict as i32,
        retry_policy: start.options.retry_policy.as_ref().map(proto_retry),
        ..StartWorkflowExecutionRequest::default()
    };
    let response = connection
        .workflow_service()
        .start_workflow_execution(tonic::Request::new(request))
        .await
        .map_err(|status| rpc_error(&format!("start workflow '{}'", start.workflow_id), status))?;
    Ok(response.into_inner().run_id)
}

fn execution(workflow_id: &str) -> Option<WorkflowExecution> {
    Some(WorkflowExecution {
        workflow_id: workflow_id.to_owned(),
        run_id: String::new(),
    })
}

/// Signal the running workflow `workflow_id` with `topic`; `from` is the sender's pid.
pub async fn signal(
    connection: &Connection,
    namespace: &str,
    workflow_id: &str,
    topic: &str,
    input: Vec<Payload>,
    from: Option<&str>,
) -> Result<(), ErrorObject> {
    let header = from.map(|from| Header {
        fields: sender_fields(from),
    });
    let request = SignalWorkflowExecutionRequest {
        namespace: namespace.to_owned(),
        workflow_execution: execution(workflow_id),
        signal_name: topic.to_owned(),
        input: Some(Payloads { payloads: input }),
        identity: identity(),
        request_id: uuid::Uuid::new_v4().to_string(),
        header,
        ..SignalWorkflowExecutionRequest::default()
    };
    connection
        .workflow_service()
        .signal_workflow_execution(tonic::Request::new(request))
        .await
        .map_err(|status| rpc_error(&format!("signal workflow '{workflow_id}'"), status))?;
    Ok(())
}

/// Ask workflow `workflow_id` to cancel (it sees a CANCEL event or closes as canceled).
pub async fn cancel(
    connection: &Connection,
    namespace: &str,
    workflow_id: &str,
    reason: &str,
) -> Result<(), ErrorObject> {
    let request = RequestCancelWorkflowExecutionRequest {
        namespace: namespace.to_owned(),
        workflow_execution: execution(workflow_id),
        identity: identity(),
        request_id: uuid::Uuid::new_v4().to_string(),
        reason: reason.to_owned(),
        ..RequestCancelWorkflowExecutionRequest::default()
    };
    connection
        .workflow_service()
        .request_cancel_workflow_execution(tonic::Request::new(request))
        .await
        .map_err(|status| rpc_error(&format!("cancel workflow '{workflow_id}'"), status))?;
    Ok(())
}

/// End workflow `workflow_id` at once.
pub async fn terminate(
    connection: &Connection,
    namespace: &str,
    workflow_id: &str,
    reason: &str,
) -> Result<(), ErrorObject> {
    let request = TerminateWorkflowExecutionRequest {
        namespace: namespace.to_owned(),
        workflow_execution: execution(workflow_id),
        reason: reason.to_owned(),
        identity: identity(),
        ..TerminateWorkflowExecutionRequest::default()
    };
    connection
        .workflow_service()
        .terminate_workflow_execution(tonic::Request::new(request))
        .await
        .map_err(|status| rpc_error(&format!("terminate workflow '{workflow_id}'"), status))?;
    Ok(())
}

/// Wait for workflow `workflow_id` (its latest run, following continue-as-new) to close:
/// its values (a MessagePack array) or its error.
pub async fn outcome(
    connection: &Connection,
    namespace: &str,
    workflow_id: &str,
) -> Result<Result<Vec<u8>, ErrorObject>, ErrorObject> {
    let mut run_id = String::new();
    loop {
        let request = GetWorkflowExecutionHistoryRequest {
            namespace: namespace.to_owned(),
            execution: Some(WorkflowExecution {
                workflow_id: workflow_id.to_owned(),
                run_id: run_id.clone(),
            }),
            wait_new_event: true,
            history_event_filter_type: HistoryEventFilterType::CloseEvent as i32,
            skip_archival: true,
            ..GetWorkflowExecutionHistoryRequest::default()
        };
        let response = connection
            .workflow_service()
            .get_workflow_execution_history(tonic::Request::new(request))
            .await;
        let response = match response {
            Ok(response) => response.into_inner(),
            // A long poll that timed out on the server: ask again.
            Err(status) if status.code() == Code::DeadlineExceeded => continue,
            Err(status) => {
                return Err(rpc_error(
                    &format!("await workflow '{workflow_id}'"),
                    status,
                ));
            }
        };
        let close = response
            .history
            .into_iter()
            .flat_map(|history| history.events)
            .filter_map(|event| event.attributes)
            .next_back();
        let Some(close) = close else {
            continue;
        };
        let failed = |error: ErrorObject| Ok(Err(error));
        return match close {
            Attributes::WorkflowExecutionCompletedEventAttributes(done) => {
                let first = done.result.as_ref().and_then(|r| r.payloads.first());
                payload::result_values(first)
                    .map(Ok)
                    .map_err(|message| ErrorObject::new(ErrorKind::Invalid, message))
            }
            Attributes::WorkflowExecutionFailedEventAttributes(failed_run) => {
                let failure = failed_run.failure.unwrap_or_default();
                failed(payload::error_of(&failure))
            }
            Attributes::WorkflowExecutionCanceledEventAttributes(_) => failed(ErrorObject::new(
                ErrorKind::Canceled,
                format!("workflow '{workflow_id}' was canceled"),
            )),
            Attributes::WorkflowExecutionTerminatedEventAttributes(terminated) => {
                failed(ErrorObject::new(
                    ErrorKind::Canceled,
                    format!("workflow terminated: {}", terminated.reason),
                ))
            }
            Attributes::WorkflowExecutionTimedOutEventAttributes(_) => failed(ErrorObject::new(
                ErrorKind::Timeout,
                format!("workflow '{workflow_id}' timed out"),
            )),
            Attributes::WorkflowExecutionContinuedAsNewEventAttributes(next) => {
                run_id = next.new_execution_run_id;
                continue;
            }
            _ => continue,
        };
    }
}
