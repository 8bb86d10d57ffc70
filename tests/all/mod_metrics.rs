//! The `metrics` and `system` modules: their Lua tests (tests/apps/metrics), and an order
//! service (tests/apps/metrics_http) run with `luabox run`, sent orders over HTTP, whose series
//! are read back from the Prometheus endpoint its `.wippy.yaml` enables.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{luabox, repo};

#[test]
fn metrics_and_system_pass_their_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/metrics")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("5 passed, 0 failed"), "{}", run.stdout);
}

/// A `luabox run` of the order service, killed on drop.
struct Running {
    child: Child,
    log: std::path::PathBuf,
    _logs: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The URL after `marker` in the log, once it is there.
    fn url_after(&self, marker: &str) -> String {
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(at) = text.find(marker) {
                let rest = &text[at + marker.len()..];
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                return rest[..end].to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no '{marker}' in the log:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn post(url: &str, body: &str) -> u16 {
    match ureq::post(url)
        .set("Content-Type", "application/json")
        .send_string(body)
    {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("POST {url}: {error}"),
    }
}

#[test]
fn orders_over_http_show_up_in_the_prometheus_endpoint() {
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("run.log");
    let child = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(["run", &repo("tests/apps/metrics_http")])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("luabox run starts");
    let running = Running {
        child,
        log,
        _logs: logs,
    };
    let metrics = running.url_after("prometheus metrics at ");
    let base = running.url_after("listening on ");

    for _ in 0..3 {
        let order = r#"{"sku":"lamp","qty":2,"price":10.5}"#;
        assert_eq!(post(&format!("{base}/api/orders"), order), 201);
    }
    assert_eq!(post(&format!("{base}/api/orders"), "{}"), 400);

    let body = ureq::get(&format!("{base}/api/stats"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(stats["tasks"].as_u64().is_some_and(|n| n > 0), "{stats}");
    assert!(
        stats["memory"]["alloc"].as_u64().is_some_and(|n| n > 0),
        "{stats}"
    );

    let response = ureq::get(&metrics).call().unwrap();
    assert!(response.content_type().starts_with("text/plain"));
    let text = response.into_string().unwrap();
    for line in [
        "# TYPE shop_orders_total counter",
        "shop_orders_total{outcome=\"ok\"} 3",
        "shop_orders_total{outcome=\"rejected\"} 1",
        "shop_revenue_total{sku=\"lamp\"} 63",
        "# TYPE shop_orders_in_flight gauge",
        "shop_orders_in_flight 0",
        "# TYPE shop_order_seconds histogram",
        "shop_order_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 3",
        "shop_order_seconds_count{outcome=\"ok\"} 3",
        "shop_order_seconds_count{outcome=\"rejected\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no '{line}' in:\n{text}");
    }
    let missing = ureq::get(&metrics.replace("/metrics", "/other")).call();
    assert!(matches!(missing, Err(ureq::Error::Status(404, _))));
}
