//! Lua values and error objects in Temporal's terms: payloads and failures.
//!
//! A payload is one Lua value as `json/plain`, in the lossless JSON of
//! [`crate::durable::values`], so the Temporal CLI and UI show it readably and a `--input` typed
//! there reaches Lua as the table it reads as. Arguments are one payload each. A result is one
//! payload: the value itself when there is exactly one, otherwise the array of values, marked
//! with `luabox: values` in its metadata so it reads back as several.
//!
//! An error object travels as an `ApplicationFailure` whose type is its kind, with the object
//! itself in the details; failures raised elsewhere (timeouts, cancellations, failures of other
//! SDKs' code) become error objects of the matching kind.

use std::collections::HashMap;

use rmpv::Value;
use serde_json::Value as Json;
use temporalio_common::protos::temporal::api::common::v1::{Payload, Payloads};
use temporalio_common::protos::temporal::api::enums::v1::TimeoutType;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::failure::v1::{ApplicationFailureInfo, Failure};

use crate::codec::lossless::{from_json, to_json};
use crate::codec::{ErrorObject, decode_values, encode_values};
use crate::error::ErrorKind;

const ENCODING: &str = "encoding";
const JSON_PLAIN: &str = "json/plain";
const BINARY_NULL: &str = "binary/null";
/// Metadata marking a result payload that holds several values (or none) as an array.
const VALUES_MARK: &str = "luabox";
/// Where a failure's source says it came from luabox.
pub const SOURCE: &str = "luabox";

pub fn value_payload(value: &Value) -> Payload {
    let data = serde_json::to_vec(&to_json(value)).unwrap_or_else(|_| b"null".to_vec());
    Payload {
        metadata: HashMap::from([(ENCODING.to_owned(), JSON_PLAIN.as_bytes().to_vec())]),
        data,
        ..Payload::default()
    }
}

/// The Lua value in a payload.
pub fn payload_value(payload: &Payload) -> Result<Value, String> {
    let encoding = payload
        .metadata
        .get(ENCODING)
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .unwrap_or_default();
    match encoding.as_str() {
        JSON_PLAIN => {
            let json: Json = crate::codec::lossless::parse_json(&payload.data)
                .map_err(|error| format!("a json/plain payload that is not JSON: {error}"))?;
            from_json(&json)
        }
        BINARY_NULL => Ok(Value::Nil),
        "binary/plain" => Ok(Value::Binary(payload.data.clone())),
        other => Err(format!(
            "a payload encoded as {other:?}: luabox reads json/plain, binary/plain and binary/null"
        )),
    }
}

/// One payload per value of a MessagePack array.
pub fn arguments(values: &[u8]) -> Result<Vec<Payload>, String> {
    let values = decode_values(values).map_err(|error| format!("malformed values: {error}"))?;
    Ok(values.iter().map(value_payload).collect())
}

/// The MessagePack array of the values in `payloads`.
pub fn values_of(payloads: &[Payload]) -> Result<Vec<u8>, String> {
    let values = payloads
        .iter()
        .map(payload_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encode_values(values))
}

/// The result payload of a MessagePack array of values.
pub fn result(values: &[u8]) -> Result<Payload, String> {
    let mut values = decode_values(values).map_err(|error| format!("malformed values: {error}"))?;
    if values.len() == 1 {
        return Ok(value_payload(&values.remove(0)));
    }
    let mut payload = value_payload(&Value::Array(values));
    payload
        .metadata
        .insert(VALUES_MARK.to_owned(), b"values".to_vec());
    Ok(payload)
}

/// The MessagePack array of values a result payload holds (none for a missing payload).
pub fn result_values(payload: Option<&Payload>) -> Result<Vec<u8>, String> {
    let Some(payload) = payload else {
        return Ok(encode_values(Vec::new()));
    };
    let value = payload_value(payload)?;
    if payload.metadata.contains_key(VALUES_MARK)
        && let Value::Array(values) = value
    {
        return Ok(encode_values(values));
    }
    Ok(encode_values(vec![value]))
}

/// The failure carrying `error`.
pub fn failure(error: &ErrorObject) -> Failure {
    let kind = if error.kind.is_empty() {
        "Error"
    } else {
        error.kind.as_str()
    };
    let details = Payloads {
        payloads: vec![value_payload(&error.to_msgpack())],
    };
    Failure {
        message: error.message.clone(),
        source: SOURCE.to_owned(),
        failure_info: Some(FailureInfo::ApplicationFailureInfo(
            ApplicationFailureInfo {
                r#type: kind.to_owned(),
                non_retryable: error.retryable == Some(false),
                details: Some(details),
                ..ApplicationFailureInfo::default()
            },
        )),
        ..Failure::default()
    }
}

/// The error object a failure stands for. Wrappers (an activity's or child workflow's failure)
/// give way to their cause, which says what went wrong.
pub fn error_of(failure: &Failure) -> ErrorObject {
    let wrapped = matches!(
        failure.failure_info,
        Some(
            FailureInfo::ActivityFailureInfo(_) | FailureInfo::ChildWorkflowExecutionFailureInfo(_)
        )
    );
    if wrapped && let Some(cause) = &failure.cause {
        return error_of(cause);
    }
    let mut error = match &failure.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(info)) => {
            let carried = info
                .details
                .as_ref()
                .and_then(|details| details.payloads.first())
                .and_then(|payload| payload_value(payload).ok())
                .and_then(|value| ErrorObject::from_msgpack(&value));
            if let Some(carried) = carried {
                return carried;
            }
            let mut error = ErrorObject::new(&info.r#type, failure.message.clone());
            error.retryable = info.non_retryable.then_some(false);
            error
        }
        Some(FailureInfo::TimeoutFailureInfo(info)) => {
            let what = TimeoutType::try_from(info.timeout_type)
                .map(|t| t.as_str_name().to_lowercase())
                .unwrap_or_default();
            let mut error =
                ErrorObject::new(ErrorKind::Timeout, format!("{} ({what})", failure.message));
            error.retryable = Some(true);
            error
        }
        Some(FailureInfo::CanceledFailureInfo(_)) => {
            ErrorObject::new(ErrorKind::Canceled, failure.message.clone())
        }
        Some(FailureInfo::TerminatedFailureInfo(_)) => ErrorObject::new(
            ErrorKind::Canceled,
            format!("terminated: {}", failure.message),
        ),
        _ => ErrorObject::new(ErrorKind::Internal, failure.message.clone()),
    };
    if error.message.is_empty() {
        error.message = "failed".into();
    }
    error
}

/// The MessagePack array `nil, error` a failed operation gives Lua.
pub fn failed_values(error: &ErrorObject) -> Vec<u8> {
    encode_values(vec![Value::Nil, error.to_msgpack()])
}

/// The values an error-carrying failure yields, as JSON (for the books of a workflow state).
pub fn error_json(error: &ErrorObject) -> Json {
    to_json(&error.to_msgpack())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_payloads() {
        let values = encode_values(vec![
            Value::from("order-1"),
            Value::Map(vec![(Value::from("amount"), Value::F64(12.5))]),
            Value::Nil,
        ]);
        let payloads = arguments(&values).unwrap();
        assert_eq!(payloads.len(), 3);
        assert_eq!(payloads[0].data, b"\"order-1\"");
        assert_eq!(values_of(&payloads).unwrap(), values);
        for values in [
            encode_values(vec![Value::from(1)]),
            encode_values(Vec::new()),
            encode_values(vec![Value::from(1), Value::from("two")]),
        ] {
            let payload = result(&values).unwrap();
            assert_eq!(result_values(Some(&payload)).unwrap(), values);
        }
    }

    #[test]
    fn errors_round_trip_and_foreign_failures_get_kinds() {
        let mut error = ErrorObject::new("Conflict", "taken");
        error.retryable = Some(false);
        let failure = failure(&error);
        assert_eq!(error_of(&failure), error);
        let wrapped = Failure {
            message: "activity failed".into(),
            cause: Some(Box::new(failure)),
            failure_info: Some(FailureInfo::ActivityFailureInfo(Default::default())),
            ..Failure::default()
        };
        assert_eq!(error_of(&wrapped).kind, "Conflict");
        let foreign = Failure {
            message: "boom".into(),
            failure_info: Some(FailureInfo::ApplicationFailureInfo(
                ApplicationFailureInfo {
                    r#type: "ValueError".into(),
                    ..Default::default()
                },
            )),
            ..Failure::default()
        };
        assert_eq!(error_of(&foreign).kind, "ValueError");
    }
}
