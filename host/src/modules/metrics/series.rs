//! An app's metric series: [`Metrics`] holds every counter, gauge and histogram the app's
//! sandboxes record, checks names and labels, and bounds how much host memory they may take.
//!
//! ```text
//! metrics.record(Op::CounterAdd, "orders_total", 1.0, labels(&[("status", "ok")]))?;
//! metrics.render() // "# TYPE orders_total counter\norders_total{status=\"ok\"} 1\n"
//! ```
//!
//! Bounds (a hostile script must not grow host memory without end): at most [`MAX_SERIES`]
//! series per app, [`MAX_LABELS`] labels and [`MAX_LABEL_BYTES`] bytes of label names and values
//! per series, names of at most [`MAX_NAME`] bytes. Past a bound the call fails with `Invalid`
//! and nothing is recorded; existing series keep counting.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::error::ErrorKind;

/// The most series (one name with one set of label values) an app may hold.
pub const MAX_SERIES: usize = 10_000;
/// The most labels of one series.
pub const MAX_LABELS: usize = 16;
/// The most bytes of a metric or label name.
pub const MAX_NAME: usize = 128;
/// The most bytes of label names and values together in one series.
pub const MAX_LABEL_BYTES: usize = 1024;

/// Prometheus's default histogram buckets (upper bounds, seconds-friendly).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a call does to its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    CounterAdd,
    GaugeSet,
    GaugeAdd,
    Observe,
}

/// The kind of a metric family; one name has one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

impl Op {
    fn kind(self) -> Kind {
        match self {
            Op::CounterAdd => Kind::Counter,
            Op::GaugeSet | Op::GaugeAdd => Kind::Gauge,
            Op::Observe => Kind::Histogram,
        }
    }
}

/// Label name → value, sorted by name (so `{a=1,b=2}` and `{b=2,a=1}` are one series).
pub type Labels = Vec<(String, String)>;

/// The value of one series.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Histogram {
        /// Observations at or below each of [`BUCKETS`] (cumulative, as Prometheus shows them).
        buckets: [u64; BUCKETS.len()],
        sum: f64,
        count: u64,
    },
}

/// One metric name: its kind and its series by labels.
#[derive(Debug)]
pub struct Family {
    pub kind: Kind,
    pub series: BTreeMap<Labels, Value>,
}

/// A refused call: its error kind and what to tell the script.
#[derive(Debug, PartialEq)]
pub struct MetricsError {
    pub kind: ErrorKind,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> MetricsError {
    MetricsError {
        kind: ErrorKind::Invalid,
        message: message.into(),
    }
}

#[derive(Default)]
struct Families {
    by_name: BTreeMap<String, Family>,
    series: usize,
}

/// Every series of one app, shared by all its sandboxes.
#[derive(Default)]
pub struct Metrics {
    families: Mutex<Families>,
}

impl Metrics {
    /// Apply `op` with `value` to series `name{labels}`, creating it if the caps allow.
    pub fn record(
        &self,
        op: Op,
        name: &str,
        value: f64,
        labels: HashMap<String, String>,
    ) -> Result<(), MetricsError> {
        check_name(name)?;
        let labels = check_labels(labels)?;
        if !value.is_finite() {
            return Err(invalid(format!("metrics: the value for '{name}' must be finite")));
        }
        if op == Op::CounterAdd && value < 0.0 {
            return Err(invalid(format!(
                "metrics: counter '{name}' only goes up (got {value})"
            )));
        }
        let mut families = self.lock();
        let Families { by_name, series } = &mut *families;
        if let Some(family) = by_name.get(name)
            && family.kind != op.kind()
        {
            return Err(invalid(format!(
                "metrics: '{name}' is a {}, not a {}",
                family.kind.name(),
                op.kind().name()
            )));
        }
        let known = by_name
            .get(name)
            .is_some_and(|family| family.series.contains_key(&labels));
        if !known && *series >= MAX_SERIES {
            return Err(invalid(format!(
                "metrics: the app already has {MAX_SERIES} series (the cap); '{name}' with these \
                 labels is not recorded"
            )));
        }
        let family = by_name.entry(name.to_owned()).or_insert_with(|| Family {
            kind: op.kind(),
            series: BTreeMap::new(),
        });
        let slot = family.series.entry(labels).or_insert_with(|| {
            *series += 1;
            match op {
                Op::Observe => Value::Histogram {
                    buckets: [0; BUCKETS.len()],
                    sum: 0.0,
                    count: 0,
                },
                _ => Value::Number(0.0),
            }
        });
        apply(slot, op, value);
        Ok(())
    }

    /// How many series the app holds.
    #[cfg(test)]
    pub fn series(&self) -> usize {
        self.lock().series
    }

    /// Call `visit` with each family by name, in name order, under the lock.
    pub fn each(&self, mut visit: impl FnMut(&str, &Family)) {
        for (name, family) in &self.lock().by_name {
            visit(name, family);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Families> {
        // Every update leaves the map consistent, so a panic elsewhere cannot poison it for us.
        self.families.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn apply(slot: &mut Value, op: Op, value: f64) {
    match (slot, op) {
        (Value::Number(n), Op::GaugeSet) => *n = value,
        (Value::Number(n), Op::CounterAdd | Op::GaugeAdd) => *n += value,
        (
            Value::Histogram {
                buckets,
                sum,
                count,
            },
            Op::Observe,
        ) => {
            for (bound, bucket) in BUCKETS.iter().zip(buckets.iter_mut()) {
                if value <= *bound {
                    *bucket += 1;
                }
            }
            *sum += value;
            *count += 1;
        }
        // `record` checked the family's kind, and a family's series all share it.
        _ => {}
    }
}

/// A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, at most [`MAX_NAME`] bytes.
fn check_name(name: &str) -> Result<(), MetricsError> {
    if is_name(name, true) {
        return Ok(());
    }
    Err(invalid(format!(
        "metrics: invalid metric name '{}' (letters, digits, '_' and ':', not starting with a \
         digit, at most {MAX_NAME} bytes)",
        shown(name)
    )))
}

fn is_name(name: &str, colon: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
    };
    let mut chars = name.chars();
    name.len() <= MAX_NAME
        && chars.next().is_some_and(|c| ok(c, true))
        && chars.all(|c| ok(c, false))
}

/// Labels named `[a-zA-Z_][a-zA-Z0-9_]*` (not `__`-prefixed, which Prometheus reserves), within
/// [`MAX_LABELS`] and [`MAX_LABEL_BYTES`], sorted by name.
fn check_labels(labels: HashMap<String, String>) -> Result<Labels, MetricsError> {
    if labels.len() > MAX_LABELS {
        return Err(invalid(format!(
            "metrics: {} labels (at most {MAX_LABELS})",
            labels.len()
        )));
    }
    let bytes: usize = labels.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > MAX_LABEL_BYTES {
        return Err(invalid(format!(
            "metrics: the labels take {bytes} bytes (at most {MAX_LABEL_BYTES})"
        )));
    }
    if let Some(bad) = labels
        .keys()
        .find(|k| !is_name(k, false) || k.starts_with("__") || *k == "le")
    {
        return Err(invalid(format!(
            "metrics: invalid label name '{}' (letters, digits and '_', not starting with a digit \
             or '__', not 'le')",
            shown(bad)
        )));
    }
    let mut sorted: Labels = labels.into_iter().collect();
    sorted.sort();
    Ok(sorted)
}

/// At most 64 characters of `text`, for an error message.
fn shown(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn value(metrics: &Metrics, name: &str, pairs: &[(&str, &str)]) -> Option<Value> {
        let mut found = None;
        let mut wanted: Labels = labels(pairs).into_iter().collect();
        wanted.sort();
        metrics.each(|n, family| {
            if n == name {
                found = family.series.get(&wanted).cloned();
            }
        });
        found
    }

    #[test]
    fn counters_and_gauges_add_up_per_label_set() {
        let m = Metrics::default();
        m.record(Op::CounterAdd, "hits", 1.0, labels(&[("a", "1"), ("b", "2")]))
            .unwrap();
        m.record(Op::CounterAdd, "hits", 2.5, labels(&[("b", "2"), ("a", "1")]))
            .unwrap();
        m.record(Op::GaugeAdd, "depth", -1.0, labels(&[])).unwrap();
        m.record(Op::GaugeSet, "level", 7.0, labels(&[])).unwrap();
        assert_eq!(
            value(&m, "hits", &[("a", "1"), ("b", "2")]),
            Some(Value::Number(3.5))
        );
        assert_eq!(value(&m, "depth", &[]), Some(Value::Number(-1.0)));
        assert_eq!(value(&m, "level", &[]), Some(Value::Number(7.0)));
        assert_eq!(m.series(), 3);
    }

    #[test]
    fn histograms_count_into_cumulative_buckets() {
        let m = Metrics::default();
        m.record(Op::Observe, "t", 0.2, labels(&[])).unwrap();
        m.record(Op::Observe, "t", 20.0, labels(&[])).unwrap();
        let Some(Value::Histogram {
            buckets,
            sum,
            count,
        }) = value(&m, "t", &[])
        else {
            panic!("no histogram");
        };
        assert_eq!(buckets[4], 0); // <= 0.1
        assert_eq!(buckets[5], 1); // <= 0.25
        assert_eq!(buckets[10], 1); // <= 10: 20 is only in +Inf
        assert_eq!((sum, count), (20.2, 2));
    }

    #[test]
    fn refuses_bad_input_and_kind_changes() {
        let m = Metrics::default();
        let err = |r: Result<(), MetricsError>| r.unwrap_err().kind;
        assert_eq!(err(m.record(Op::CounterAdd, "9x", 1.0, labels(&[]))), ErrorKind::Invalid);
        assert_eq!(err(m.record(Op::CounterAdd, "", 1.0, labels(&[]))), ErrorKind::Invalid);
        assert_eq!(err(m.record(Op::CounterAdd, "c", -1.0, labels(&[]))), ErrorKind::Invalid);
        assert_eq!(
            err(m.record(Op::GaugeSet, "g", f64::NAN, labels(&[]))),
            ErrorKind::Invalid
        );
        assert_eq!(
            err(m.record(Op::CounterAdd, "c", 1.0, labels(&[("__x", "1")]))),
            ErrorKind::Invalid
        );
        assert_eq!(
            err(m.record(Op::CounterAdd, "c", 1.0, labels(&[("a-b", "1")]))),
            ErrorKind::Invalid
        );
        m.record(Op::CounterAdd, "c", 1.0, labels(&[])).unwrap();
        assert_eq!(err(m.record(Op::GaugeSet, "c", 1.0, labels(&[]))), ErrorKind::Invalid);
        let long = "x".repeat(MAX_LABEL_BYTES);
        assert_eq!(
            err(m.record(Op::CounterAdd, "c", 1.0, labels(&[("a", &long)]))),
            ErrorKind::Invalid
        );
    }

    #[test]
    fn series_past_the_cap_are_refused_and_old_ones_keep_counting() {
        let m = Metrics::default();
        for i in 0..MAX_SERIES {
            m.record(Op::CounterAdd, "c", 1.0, labels(&[("i", &i.to_string())]))
                .unwrap();
        }
        let refused = m.record(Op::CounterAdd, "c", 1.0, labels(&[("i", "new")]));
        assert!(refused.unwrap_err().message.contains("cap"));
        m.record(Op::CounterAdd, "c", 1.0, labels(&[("i", "0")])).unwrap();
        assert_eq!(value(&m, "c", &[("i", "0")]), Some(Value::Number(2.0)));
        assert_eq!(m.series(), MAX_SERIES);
    }
}
