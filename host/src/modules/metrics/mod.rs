//! `wit/metrics.wit`, the `metrics` Lua module (Wippy: wippyai/docs en/lua/system/metrics.md):
//! counters, gauges and histograms that every sandbox of an app records into one app-wide
//! [`Metrics`] (the app's, kept in its [`super::Shared`]), served in the
//! Prometheus text format by [`export`] when `.wippy.yaml` enables it.
//!
//! ```lua
//! local metrics = require("metrics")
//! metrics.counter_inc("requests_total", {method = "POST"})        --> true
//! metrics.histogram("duration_seconds", 0.123, {method = "GET"})  --> true
//! metrics.counter_add("bytes_total", -1)                          --> nil, err (Invalid)
//! ```
//!
//! Glue only: the rules and caps are [`series`]'s. The guest face (`mod_metrics.c`) maps each
//! Lua function onto one [`Op`]: `counter_inc` is `counter_add` of 1, `gauge_inc`/`gauge_dec`
//! are `gauge_add` of ±1.

pub mod export;
pub mod prometheus;
pub mod series;

use std::collections::HashMap;

use rmpv::Value;

pub use self::series::{Metrics, MetricsError, Op};
use super::{AppSandbox, host_error};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::metrics::{self, Op as WitOp};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Denied in workflows: recording a metric is an effect outside the workflow's history, which a
// replay would repeat.
host_module!(MetricsModule, "metrics", metrics);

impl metrics::Host for SandboxState {
    fn update(
        &mut self,
        op: WitOp,
        name: Vec<u8>,
        value: f64,
        labels: Vec<u8>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        let Some(app) = self.app() else {
            // Wippy's "collector not available".
            return Ok(Err(host_error(
                ErrorKind::Internal,
                "metrics: this sandbox runs outside an app (luabox eval), so there is no collector",
            )));
        };
        let Ok(name) = String::from_utf8(name) else {
            return Ok(Err(host_error(
                ErrorKind::Invalid,
                "metrics: the metric name must be UTF-8 text",
            )));
        };
        let op = match op {
            WitOp::CounterAdd => Op::CounterAdd,
            WitOp::GaugeSet => Op::GaugeSet,
            WitOp::GaugeAdd => Op::GaugeAdd,
            WitOp::Observe => Op::Observe,
        };
        Ok(decode_labels(&labels)
            .and_then(|labels| app.shared().get::<Metrics>().record(op, &name, value, labels))
            .map_err(|error| host_error(error.kind, error.message)))
    }
}

/// The labels the guest sent: nil (none) or a map of label name to text, number or boolean.
fn decode_labels(payload: &[u8]) -> Result<HashMap<String, String>, MetricsError> {
    let invalid = |message: String| MetricsError {
        kind: ErrorKind::Invalid,
        message,
    };
    let value = super::one_value(payload).map_err(|error| MetricsError {
        kind: ErrorKind::Internal,
        message: error.message,
    })?;
    let pairs = match value {
        Value::Nil => return Ok(HashMap::new()),
        Value::Map(pairs) => pairs,
        // An empty Lua table crosses as an empty array.
        Value::Array(items) if items.is_empty() => return Ok(HashMap::new()),
        _ => return Err(invalid("metrics: labels must be a table of name = value".into())),
    };
    if pairs.len() > series::MAX_LABELS {
        return Err(invalid(format!(
            "metrics: {} labels (at most {})",
            pairs.len(),
            series::MAX_LABELS
        )));
    }
    let mut labels = HashMap::with_capacity(pairs.len());
    for (key, value) in pairs {
        let Some(key) = key.as_str() else {
            return Err(invalid("metrics: label names must be UTF-8 text".into()));
        };
        let text = match &value {
            Value::String(s) => s.as_str().map(str::to_owned),
            Value::Integer(i) => Some(i.to_string()),
            Value::F64(f) => Some(f.to_string()),
            Value::F32(f) => Some(f.to_string()),
            Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        };
        let Some(text) = text else {
            return Err(invalid(format!(
                "metrics: label '{key}' must be text, a number or a boolean"
            )));
        };
        labels.insert(key.to_owned(), text);
    }
    Ok(labels)
}
