//! Starting and stopping an app's services (`luabox run`): `process.host` entries and the
//! `process.service` entries that keep a process running on them (Wippy: wippyai/docs en/guides/supervision.md–§1.9).
//!
//! Start: every `auto_start` entry and what it requires, in dependency order (hosts before their
//! services). A service's supervisor spawns its process and watches it:
//! - a normal return ends the service (state Exited): it is not restarted;
//! - a failure (a raised error, a limit, termination) is logged with the Lua error and traceback,
//!   and the process is restarted after `initial_delay × backoff_factor^(n-1)`, capped at
//!   `max_delay`, ± `jitter`, where n counts failures since the process last ran longer than
//!   `stable_threshold`;
//! - it gives up, and says so, after `max_attempts` failures in a row (0 = never), or — the
//!   OTP-style intensity limit — when more than `intensity` restarts fall within `period`.
//!
//! `queue.consumer` entries start their workers here ([`crate::queue::consumer`]).
//! `http.service` entries start their servers here too ([`crate::http::server`]); one that cannot
//! listen stops the start, and what had started is stopped again. A database (or a `store.sql`)
//! with `auto_start`, or one a started entry requires, is opened here: a connection is made
//! within `start_timeout`, so a wrong address fails the start (or, with `startup: optional`, is
//! logged) instead of the first query. Other resources (env storages, memory stores, Temporal
//! entries) are ready once the app is loaded.
//!
//! Stop: in reverse start order (a server drains its requests in flight); each service's process gets a CANCEL event and `stop_timeout`
//! to return before it is terminated; then the hosts stop, ending whatever else runs on them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::codec::json_to_values;
use crate::config::queue::QueueConsumer;
use crate::config::{EntryId, ProcessService, RestartPolicy, Spec, needs, start_order};
use crate::error::RunError;
use crate::http::server::Server;
use crate::queue::consumer::{self, Consumer};

/// The services `start` started, until `stop`.
pub struct Services {
    app: Arc<App>,
    /// In start order.
    started: Vec<Started>,
    shutdown: watch::Sender<bool>,
}

enum Started {
    Host(EntryId),
    Service(JoinHandle<()>),
    Http(Server),
    Queue(Consumer),
}

/// Start the app's `auto_start` hosts and services and what they require. On failure (a server
/// that cannot listen), what had started is stopped and the error says why.
pub async fn start(app: &Arc<App>) -> Result<Services, String> {
    let (shutdown, _) = watch::channel(false);
    let mut services = Services {
        app: app.clone(),
        started: Vec::new(),
        shutdown,
    };
    let entries: Vec<_> = app.registry().entries().cloned().collect();
    let wanted = wanted(&entries);
    for id in start_order(&entries) {
        if !wanted.contains(id) {
            continue;
        }
        let Some(entry) = app.registry().get(id) else {
            continue;
        };
        match &entry.spec {
            Spec::ProcessHost(_) => {
                app.node().set_host_running(&id.to_string(), true);
                tracing::info!(entry = %id, "process host started");
                services.started.push(Started::Host(id.clone()));
            }
            Spec::ProcessService(service) => {
                let task = tokio::spawn(supervise(
                    app.clone(),
                    id.clone(),
                    service.clone(),
                    services.shutdown.subscribe(),
                ));
                services.started.push(Started::Service(task));
            }
            Spec::HttpService(service) => match Server::start(app, id, service) {
                Ok(server) => services.started.push(Started::Http(server)),
                Err(message) => {
                    services.stop().await;
                    return Err(message);
                }
            },
            Spec::QueueConsumer(consumer) => match start_consumer(app, id, consumer) {
                Ok(consumer) => services.started.push(Started::Queue(consumer)),
                Err(message) => {
                    services.stop().await;
                    return Err(message);
                }
            },
            Spec::SqlDatabase(_) | Spec::Store(_) => {
                if let Err(message) = open_resource(app, entry).await {
                    services.stop().await;
                    return Err(message);
                }
            }
            _ => {}
        }
    }
    Ok(services)
}

/// Start a `queue.consumer`'s workers, calling its function for each message.
fn start_consumer(app: &Arc<App>, id: &EntryId, spec: &QueueConsumer) -> Result<Consumer, String> {
    let live = app.shared().get::<crate::queue::Live>();
    let queues = live.queues(|| crate::queue::Queues::new(app.registry()));
    let Some(queue) = queues.get(&spec.queue).cloned() else {
        return Err(format!(
            "{id}: no queue '{}' on a driver luabox runs",
            spec.queue
        ));
    };
    let (app, func) = (app.clone(), spec.func.clone());
    let call: consumer::Call = Arc::new(move |caller, args| {
        let (app, func) = (app.clone(), func.clone());
        Box::pin(async move { app.call_with(&func, args, 0, caller).await })
    });
    Ok(Consumer::start(id.clone(), spec, queue, call))
}

/// Make a connection to a database entry's database, or to a `store.sql`'s.
async fn open_resource(app: &App, entry: &crate::config::Entry) -> Result<(), String> {
    let database = match &entry.spec {
        Spec::SqlDatabase(_) => &entry.id,
        Spec::Store(store) => match &store.backend {
            crate::config::store::StoreBackend::Sql(sql) => &sql.database,
            crate::config::store::StoreBackend::Memory { .. } => return Ok(()),
        },
        _ => return Ok(()),
    };
    let Some(lifecycle) = entry.lifecycle() else {
        return Ok(());
    };
    let Some(db) = app.databases().get(database) else {
        return Err(format!("{}: no database '{database}'", entry.id));
    };
    let opened = tokio::time::timeout(lifecycle.start_timeout, db.prepare("SELECT 1".into()))
        .await
        .map_err(|_| format!("no connection within {:?}", lifecycle.start_timeout))
        .and_then(|checked| checked.map_err(|error| error.message));
    match opened {
        Ok(()) => {
            tracing::info!(entry = %entry.id, "resource started");
            Ok(())
        }
        Err(why) if lifecycle.startup == crate::config::Startup::Optional => {
            tracing::warn!(entry = %entry.id, "optional resource did not start: {why}");
            Ok(())
        }
        Err(why) => Err(format!(
            "{}: cannot open database '{database}': {why}",
            entry.id
        )),
    }
}

/// The ids of `auto_start` entries and, transitively, what they need.
fn wanted(entries: &[crate::config::Entry]) -> Vec<EntryId> {
    let mut wanted: Vec<EntryId> = Vec::new();
    let mut queue: VecDeque<EntryId> = entries
        .iter()
        .filter(|entry| entry.lifecycle().is_some_and(|l| l.auto_start))
        .map(|entry| entry.id.clone())
        .collect();
    while let Some(id) = queue.pop_front() {
        if wanted.contains(&id) {
            continue;
        }
        if let Some(entry) = entries.iter().find(|entry| entry.id == id) {
            queue.extend(needs(entry).cloned());
        }
        wanted.push(id);
    }
    wanted
}

impl Services {
    /// Stop everything `start` started, in reverse order, and end any other process.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for started in self.started.into_iter().rev() {
            match started {
                Started::Service(task) => {
                    let _ = task.await;
                }
                Started::Http(server) => server.stop().await,
                Started::Queue(consumer) => consumer.stop().await,
                Started::Host(id) => {
                    let id = id.to_string();
                    self.app.node().set_host_running(&id, false);
                    self.app.node().stop_host(&id, "its process host stopped");
                    tracing::info!(entry = %id, "process host stopped");
                }
            }
        }
    }
}

/// Keep `service`'s process running until shutdown, a normal return, or giving up.
async fn supervise(
    app: Arc<App>,
    id: EntryId,
    service: ProcessService,
    mut shutdown: watch::Receiver<bool>,
) {
    let policy = &service.lifecycle.restart;
    let host = service.host.to_string();
    let args = json_to_values(&service.input);
    let mut failures: u32 = 0;
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    loop {
        let began = Instant::now();
        let handed = crate::engine::Extensions::default();
        let outcome = match app.spawn(&service.process, &host, args.clone(), None, handed) {
            Err(error) => Err(error.to_string()),
            Ok((slot, mut task)) => {
                tracing::info!(entry = %id, pid = %slot.pid_text(), process = %service.process, "service started");
                tokio::select! {
                    result = &mut task => outcome(result),
                    _ = shutdown_requested(&mut shutdown) => {
                        stop_gracefully(&app, &id, &slot, task, service.lifecycle.stop_timeout).await;
                        return;
                    }
                }
            }
        };
        match outcome {
            Ok(()) => {
                tracing::info!(entry = %id, "service process returned normally; not restarted");
                return;
            }
            Err(message) => {
                tracing::warn!(entry = %id, "service process failed: {message}");
            }
        }
        if began.elapsed() >= service.lifecycle.stable_threshold {
            failures = 0;
        }
        failures += 1;
        if policy.max_attempts > 0 && failures >= policy.max_attempts {
            tracing::error!(entry = %id, attempts = failures, "service gave up: it failed {failures} times in a row (restart.max_attempts)");
            return;
        }
        if let Some(intensity) = &policy.intensity {
            let now = Instant::now();
            restarts.push_back(now);
            while restarts
                .front()
                .is_some_and(|at| now.duration_since(*at) > intensity.period)
            {
                restarts.pop_front();
            }
            if restarts.len() > intensity.max_restarts as usize {
                tracing::error!(entry = %id, "service gave up: more than {} restarts within {} (restart.intensity)", intensity.max_restarts, humantime::format_duration(intensity.period));
                return;
            }
        }
        let delay = backoff(policy, failures, jitter_sample());
        tracing::info!(entry = %id, attempt = failures + 1, "restarting service in {} ms", delay.as_millis());
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown_requested(&mut shutdown) => return,
        }
    }
}

async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it here, not across an await.
    let _ = shutdown.wait_for(|stop| *stop).await.is_ok();
}

/// A finished process task as a service outcome: `Err` with the error and traceback on failure.
fn outcome(
    joined: Result<Result<Vec<u8>, RunError>, tokio::task::JoinError>,
) -> Result<(), String> {
    match joined {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.describe()),
        Err(error) => Err(format!("the process task failed: {error}")),
    }
}

/// Send CANCEL, give the process `timeout` to return, then terminate it.
async fn stop_gracefully(
    app: &App,
    id: &EntryId,
    slot: &super::Slot,
    mut task: JoinHandle<Result<Vec<u8>, RunError>>,
    timeout: Duration,
) {
    let _ = app.node().cancel(None, slot.pid_text(), "shutdown");
    if tokio::time::timeout(timeout, &mut task).await.is_err() {
        tracing::warn!(entry = %id, "service did not stop within {} of CANCEL; terminating it", humantime::format_duration(timeout));
        slot.stop("terminated at shutdown (stop_timeout)".into());
        let _ = task.await;
    }
    tracing::info!(entry = %id, "service stopped");
}

/// The delay before restart number `failures` (1 for the first): exponential, capped, jittered
/// by `sample` in [-1, 1].
fn backoff(policy: &RestartPolicy, failures: u32, sample: f64) -> Duration {
    let exponent = i32::try_from(failures.saturating_sub(1)).unwrap_or(i32::MAX);
    let base = policy.initial_delay.as_secs_f64() * policy.backoff_factor.powi(exponent);
    let capped = base.min(policy.max_delay.as_secs_f64());
    let jittered = capped * (1.0 + policy.jitter * sample);
    Duration::from_secs_f64(jittered.max(0.0))
}

/// A number in [-1, 1] from the clock's low bits: jitter only has to spread restarts apart.
fn jitter_sample() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 2001) / 1000.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            backoff_factor: 2.0,
            jitter: 0.1,
            max_attempts: 0,
            intensity: None,
        }
    }

    #[test]
    fn delays_grow_then_cap() {
        let delays: Vec<u128> = (1..=6)
            .map(|n| backoff(&policy(), n, 0.0).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        assert_eq!(backoff(&policy(), 1, 1.0).as_millis(), 110);
        assert_eq!(backoff(&policy(), 1, -1.0).as_millis(), 90);
        let sample = jitter_sample();
        assert!((-1.0..=1.0).contains(&sample), "{sample}");
    }
}
