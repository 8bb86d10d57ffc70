//! The Prometheus endpoint of `luabox run`: when the app directory's `.wippy.yaml` says
//!
//! ```yaml
//! prometheus:
//!   enabled: true
//!   address: "localhost:9090"
//! ```
//!
//! (Wippy: wippyai/docs en/guides/observability.md), [`Exporter::start`] serves the app's metrics
//! at `GET /metrics` on that address, in the text format of [`super::prometheus`]. Any other path
//! is 404. The address may be `:PORT` (every interface) and port 0 (a free port, which the log
//! line `prometheus metrics at http://ADDR/metrics` names).

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::series::Metrics;

/// The file beside the app's YAML that holds Wippy's runtime settings.
pub const CONFIG_FILE: &str = ".wippy.yaml";

/// The address `root/.wippy.yaml` asks metrics to be served on, if it enables them.
pub fn configured_address(root: &Path) -> Result<Option<String>, String> {
    let path = root.join(CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let docs = yaml_rust2::YamlLoader::load_from_str(&text)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let Some(section) = docs.first().map(|doc| &doc["prometheus"]) else {
        return Ok(None);
    };
    if section.is_badvalue() || section["enabled"].as_bool() != Some(true) {
        return Ok(None);
    }
    match section["address"].as_str() {
        Some(address) => Ok(Some(address.to_owned())),
        None => Err(format!(
            "{}: prometheus.address must be text such as \"localhost:9090\"",
            path.display()
        )),
    }
}

/// A running `/metrics` listener, until [`Exporter::stop`].
pub struct Exporter {
    task: JoinHandle<()>,
}

impl Exporter {
    /// Serve `metrics` on `address` if `root/.wippy.yaml` enables it.
    pub async fn start_configured(
        root: &Path,
        metrics: Arc<Metrics>,
    ) -> Result<Option<Exporter>, String> {
        match configured_address(root)? {
            Some(address) => Exporter::start(&address, metrics).await.map(Some),
            None => Ok(None),
        }
    }

    /// Bind `address` and serve `metrics` there.
    pub async fn start(address: &str, metrics: Arc<Metrics>) -> Result<Exporter, String> {
        let wanted = match address.strip_prefix(':') {
            Some(port) => format!("0.0.0.0:{port}"),
            None => address.to_owned(),
        };
        let listener = TcpListener::bind(&wanted)
            .await
            .map_err(|error| format!("prometheus cannot listen on {address}: {error}"))?;
        let addr = listener
            .local_addr()
            .map_err(|error| format!("prometheus: {error}"))?;
        tracing::info!("prometheus metrics at http://{addr}/metrics");
        let task = tokio::spawn(accept(listener, metrics));
        Ok(Exporter { task })
    }

    /// Close the listener and the connections it serves.
    pub fn stop(self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, metrics: Arc<Metrics>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        let service = service_fn(move |request| {
            let metrics = metrics.clone();
            async move { Ok::<_, Infallible>(respond(&request, &metrics)) }
        });
        connections.spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Finished connections are reaped so the set does not grow with every scrape.
        while connections.try_join_next().is_some() {}
    }
}

fn respond<B>(request: &Request<B>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let (status, content_type, body) = if request.uri().path() == "/metrics" {
        let text = super::prometheus::render(metrics);
        (StatusCode::OK, super::prometheus::CONTENT_TYPE, text)
    } else {
        (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: metrics are at /metrics\n".to_owned(),
        )
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_prometheus_section() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(configured_address(dir.path()), Ok(None));
        let write = |text: &str| std::fs::write(dir.path().join(CONFIG_FILE), text).unwrap();
        write("version: \"1.0\"\nprometheus:\n  enabled: true\n  address: \"localhost:9090\"\n");
        assert_eq!(
            configured_address(dir.path()),
            Ok(Some("localhost:9090".to_owned()))
        );
        write("prometheus:\n  enabled: false\n  address: \":9090\"\n");
        assert_eq!(configured_address(dir.path()), Ok(None));
        write("prometheus:\n  enabled: true\n");
        assert!(configured_address(dir.path()).is_err());
    }
}
