//! The listening side of an `http.service`: binds its address, serves HTTP/1.1 connections on
//! hyper, closes idle kept-alive connections, and on stop drains the requests in flight.
//!
//! Timeouts (`timeouts:` of the entry): `read` bounds reading a request's headers (hyper's
//! header read timeout; 30 s when not set) and its body (408); `write` bounds producing the
//! response, the function included (504); `idle` closes a kept-alive connection that waits
//! longer for its next request (60 s when not set).
//!
//! Stop: the listener closes at once, idle connections close, and requests in flight get up to
//! [`DRAIN_TIMEOUT`] to finish before their connections are dropped.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::handler::Site;
use crate::app::App;
use crate::config::EntryId;
use crate::config::http::HttpService;

const DEFAULT_HEADER_READ: Duration = Duration::from_secs(30);
const DEFAULT_IDLE: Duration = Duration::from_secs(60);
/// How long a stopping server waits for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server, until [`Server::stop`].
pub struct Server {
    id: EntryId,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Bind `service`'s address and start serving. The error says what could not be bound.
    pub fn start(app: &Arc<App>, id: &EntryId, service: &HttpService) -> Result<Server, String> {
        let wanted = listen_addr(&service.addr);
        let listener = std::net::TcpListener::bind(&wanted)
            .and_then(|listener| {
                listener.set_nonblocking(true)?;
                TcpListener::from_std(listener)
            })
            .map_err(|error| {
                format!(
                    "http.service '{id}' cannot listen on {}: {error}",
                    service.addr
                )
            })?;
        let addr = listener
            .local_addr()
            .map_err(|error| format!("http.service '{id}': {error}"))?;
        let site = Arc::new(Site::new(app.clone(), id.clone(), service));
        tracing::info!(
            entry = %id,
            routes = site.routes().routes().len(),
            "http.service listening on http://{addr}"
        );
        let (stop, stopped) = watch::channel(false);
        let limits = ConnectionLimits {
            header_read: service.timeouts.read.unwrap_or(DEFAULT_HEADER_READ),
            idle: service.timeouts.idle.unwrap_or(DEFAULT_IDLE),
        };
        let task = tokio::spawn(accept(listener, site, limits, stopped));
        Ok(Server {
            id: id.clone(),
            addr,
            stop,
            task,
        })
    }

    /// The address it listens on (with the port picked when the entry asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting, and wait for the requests in flight (at most [`DRAIN_TIMEOUT`]).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        tracing::info!(entry = %self.id, "http.service stopped");
    }
}

/// `":8080"` is every interface.
fn listen_addr(addr: &str) -> String {
    match addr.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => addr.to_owned(),
    }
}

#[derive(Clone, Copy)]
struct ConnectionLimits {
    header_read: Duration,
    idle: Duration,
}

async fn accept(
    listener: TcpListener,
    site: Arc<Site>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    connections.spawn(serve(stream, remote, site.clone(), limits, stopped.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(entry = %site.server(), "http.service cannot accept: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let open = connections.len();
    if open > 0 {
        tracing::info!(entry = %site.server(), "http.service draining {open} connection(s)");
    }
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            entry = %site.server(),
            "http.service dropped {} connection(s) still busy after {}",
            connections.len(),
            humantime::format_duration(DRAIN_TIMEOUT)
        );
        connections.abort_all();
    }
}

/// Serve one connection until the client closes it, it stays idle too long, or the server stops.
async fn serve(
    stream: TcpStream,
    remote: SocketAddr,
    site: Arc<Site>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let active = Arc::new(AtomicUsize::new(0));
    let (activity, mut activity_seen) = watch::channel(());
    let service = {
        let active = active.clone();
        service_fn(move |request| {
            let site = site.clone();
            let active = active.clone();
            let activity = activity.clone();
            async move {
                active.fetch_add(1, Ordering::SeqCst);
                let response = site.handle(request, remote).await;
                active.fetch_sub(1, Ordering::SeqCst);
                activity.send_replace(());
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let mut connection = pin!(
        http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .serve_connection(TokioIo::new(stream), service)
    );
    let mut closing = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopped.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            idle = tokio::time::timeout(limits.idle, activity_seen.changed()), if !closing => {
                if idle.is_err() && active.load(Ordering::SeqCst) == 0 {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
