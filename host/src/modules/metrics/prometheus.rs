//! [`render`]: an app's [`Metrics`] in the Prometheus text exposition format (version 0.0.4),
//! what `GET /metrics` serves (Wippy: wippyai/docs en/guides/observability.md).
//!
//! ```text
//! # TYPE orders_total counter
//! orders_total{status="ok"} 2
//! # TYPE request_duration_seconds histogram
//! request_duration_seconds_bucket{endpoint="create_order",le="0.005"} 2
//! ...
//! request_duration_seconds_sum{endpoint="create_order"} 0.0004
//! request_duration_seconds_count{endpoint="create_order"} 2
//! ```

use std::fmt::Write;

use super::series::{BUCKETS, Kind, Labels, Metrics, Value};

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every family of `metrics`, in name order.
pub fn render(metrics: &Metrics) -> String {
    let mut out = String::new();
    metrics.each(|name, family| {
        let _ = writeln!(out, "# TYPE {name} {}", family.kind.name());
        for (labels, value) in &family.series {
            match (family.kind, value) {
                (Kind::Histogram, Value::Histogram { buckets, sum, count }) => {
                    for (bound, n) in BUCKETS.iter().zip(buckets) {
                        let le = number(*bound);
                        line(&mut out, &format!("{name}_bucket"), labels, Some(&le), *n as f64);
                    }
                    line(&mut out, &format!("{name}_bucket"), labels, Some("+Inf"), *count as f64);
                    line(&mut out, &format!("{name}_sum"), labels, None, *sum);
                    line(&mut out, &format!("{name}_count"), labels, None, *count as f64);
                }
                (_, Value::Number(n)) => line(&mut out, name, labels, None, *n),
                // A family's series all have its kind (series.rs).
                _ => {}
            }
        }
    });
    out
}

fn line(out: &mut String, name: &str, labels: &Labels, le: Option<&str>, value: f64) {
    out.push_str(name);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        let extra = le.map(|le| ("le", le));
        let pairs = labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        for (i, (k, v)) in pairs.chain(extra).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", number(value));
}

/// A label value with `\`, `"` and newlines escaped, as the format asks.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: integers without a fraction, others as Rust's shortest round-trip text.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::series::Op;
    use super::*;

    #[test]
    fn renders_each_kind() {
        let m = Metrics::default();
        let labels = |v: &str| HashMap::from([("status".to_owned(), v.to_owned())]);
        m.record(Op::CounterAdd, "orders_total", 2.0, labels("o\"k"))
            .unwrap();
        m.record(Op::GaugeSet, "depth", 1.5, HashMap::new()).unwrap();
        m.record(Op::Observe, "t", 0.3, labels("ok")).unwrap();
        let text = render(&m);
        assert!(text.contains("# TYPE orders_total counter\norders_total{status=\"o\\\"k\"} 2\n"));
        assert!(text.contains("# TYPE depth gauge\ndepth 1.5\n"));
        assert!(text.contains("t_bucket{status=\"ok\",le=\"0.25\"} 0\n"));
        assert!(text.contains("t_bucket{status=\"ok\",le=\"0.5\"} 1\n"));
        assert!(text.contains("t_bucket{status=\"ok\",le=\"+Inf\"} 1\n"));
        assert!(text.contains("t_sum{status=\"ok\"} 0.3\nt_count{status=\"ok\"} 1\n"));
    }
}
