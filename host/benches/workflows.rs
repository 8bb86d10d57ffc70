//! Durable workflow benchmarks (docs/architecture.md §7): workflows/s with three activities on the SQLite
//! store with durable commits, and the time to replay a 10,000-event history, each beside a
//! baseline measured in the same run.
//!
//! The app (`benches/apps/workflows`) is copied to a fresh temporary directory, so its history
//! store (`.luabox/workflows.db`: WAL, `synchronous=FULL`, one fsync per group commit) starts
//! empty, and served with [`Workflows::serve`] on a 2-worker tokio runtime.
//!
//! - `throughput`: starts [`WORKFLOWS`] `bench:three_steps` workflows (three trivial activities
//!   in sequence), at most [`IN_FLIGHT`] at a time, each started with `Workflows::start` and
//!   awaited with `Workflows::wait_closed`, which must find it completed. The baseline makes the
//!   same three `funcs.call`s from a plain `function.lua` (`bench:three_calls`, via `App::call`)
//!   with the same concurrency: the ratio is what durability costs.
//! - `replay`: runs `bench:long_history` live (5,000 activities in sequence: 10,002 events),
//!   loads its history from the store as `luabox workflow show --json` exports it, and times
//!   [`verify::replay`] of it (the median of [`REPLAYS`]); the baseline is how long the same
//!   workflow took live, start to close.
//!
//! - `temporal`: the same `bench:three_steps` workflows on a Temporal dev server
//!   (`LUABOX_TEST_TEMPORAL`; `scripts/bench.sh` starts one), with this process as the worker
//!   (workflow sandboxes driven by Temporal's activations, activities in fresh function
//!   sandboxes), each started and awaited through the cluster's frontend. The baseline is the
//!   embedded engine under the same load, measured in the same run.
//!
//! `cargo bench --bench workflows [-- throughput|replay|temporal]` (or `scripts/bench.sh` for
//! every benchmark).

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use luabox::app::App;
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use luabox::durable::event::Recorded;
use luabox::durable::service::Workflows;
use luabox::durable::verify::{self, Exported};
use luabox::durable::{Started, Status};
use luabox::temporal::worker::Workers;
use serde_json::json;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Workflows (and baseline calls) timed in the throughput part.
const WORKFLOWS: usize = 5_000;
/// Workflows (and baseline calls) started before the timed ones, to warm everything up.
const WARM_UP: usize = 500;
/// At most this many workflows (or baseline calls) in flight at once.
const IN_FLIGHT: usize = 500;
/// Activities of the long workflow: 2 events each, plus its start and its close.
const LONG_ACTIVITIES: i64 = 5_000;
/// Replays of the long history timed; the median is reported.
const REPLAYS: usize = 11;
/// Workflows timed on each backend in the Temporal part, and at most how many at once.
const TEMPORAL_WORKFLOWS: usize = 500;
const TEMPORAL_IN_FLIGHT: usize = 50;

fn main() {
    common::quiet_logging();
    let selected = common::selection();
    let runtime = common::runtime();
    let (dir, app) = common::load_app(&runtime, "workflows");
    let service = runtime
        .block_on(Workflows::serve(&app.workflow_host()))
        .expect("serving the workflows");
    println!("| benchmark | luabox | baseline | ratio | target |");
    println!("|---|---|---|---|---|");

    if selected("throughput") {
        throughput(&runtime, &app, &service);
    }
    if selected("replay") {
        replay(&runtime, &app, &service);
    }
    if selected("temporal") {
        temporal(&runtime, &app, &service);
    }
    service.stop();
    drop(service);
    drop(app);
    drop(runtime);
    drop(dir);
}

fn throughput(runtime: &Runtime, app: &Arc<App>, service: &Arc<Workflows>) {
    let three_calls: EntryId = "bench:three_calls".parse().unwrap();
    let three_steps: EntryId = "bench:three_steps".parse().unwrap();
    let call = |n: usize| {
        let (app, id) = (app.clone(), three_calls.clone());
        async move {
            let result = app
                .call(&id, json_to_values(&[json!(n)]), 0)
                .await
                .map_err(|error| format!("{id}({n}) failed: {error}"))?;
            check_result(&result, n)
        }
    };
    let workflow = |prefix: &'static str| embedded_job(service, &three_steps, prefix);
    let baseline = runtime.block_on(async {
        windowed(WARM_UP, IN_FLIGHT, &call).await;
        windowed(WORKFLOWS, IN_FLIGHT, &call).await
    });
    let commits = || service.store().commits().unwrap_or_default();
    let (luabox, commits_used) = runtime.block_on(async {
        windowed(WARM_UP, IN_FLIGHT, &workflow("warm-up")).await;
        let before = commits();
        let elapsed = windowed(WORKFLOWS, IN_FLIGHT, &workflow("bench")).await;
        (elapsed, commits() - before)
    });
    let per_second = |elapsed: Duration| WORKFLOWS as f64 / elapsed.as_secs_f64();
    row(
        &format!(
            "durable workflows/s, 3 activities each ({WORKFLOWS}, {IN_FLIGHT} in flight; \
             baseline: the same 3 funcs.call from a function.lua, calls/s)"
        ),
        per_second(luabox),
        per_second(baseline),
        ">= 2,000/s (docs/architecture.md §7)",
    );
    // Each workflow writes 5 times (its start and 4 steps); group commits share the fsyncs.
    println!(
        "| SQLite commits (fsyncs) per workflow, 5 writes each | {:.2} | - | - | - |",
        commits_used as f64 / WORKFLOWS as f64
    );
}

/// A job running workflow `entry` number `n` on the embedded engine, start to close.
fn embedded_job(
    service: &Arc<Workflows>,
    entry: &EntryId,
    prefix: &'static str,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>> {
    let (service, entry) = (service.clone(), entry.clone());
    move |n: usize| {
        let (service, entry) = (service.clone(), entry.clone());
        Box::pin(async move {
            let id = format!("{prefix}-{n}");
            let started = service
                .start(&entry, json_to_values(&[json!(n)]), Some(id.clone()))
                .await
                .map_err(|error| format!("starting {id}: {error}"))?;
            if !matches!(started, Started::New(_)) {
                return Err(format!("{id} existed already"));
            }
            let closed = service
                .wait_closed(&id)
                .await
                .map_err(|error| format!("waiting for {id}: {error}"))?;
            if closed.status != Status::Completed {
                return Err(format!(
                    "{id} {}: {:?}",
                    closed.status.as_str(),
                    closed.outcome.map(|outcome| values_to_json(&outcome))
                ));
            }
            check_result(&closed.outcome.unwrap_or_default(), n)
        })
    }
}

fn temporal(runtime: &Runtime, app: &Arc<App>, service: &Arc<Workflows>) {
    let name = format!(
        "workflows/s on a Temporal dev server, 3 activities each ({TEMPORAL_WORKFLOWS}, \
         {TEMPORAL_IN_FLIGHT} in flight; baseline: the embedded engine, the same load)"
    );
    if std::env::var("LUABOX_TEST_TEMPORAL").is_err() {
        println!(
            "| {name} | not run: LUABOX_TEST_TEMPORAL is unset (scripts/bench.sh starts a dev \
             server) | - | - | - |"
        );
        return;
    }
    let worker: EntryId = "bench:worker".parse().unwrap();
    let three_steps: EntryId = "bench:three_steps".parse().unwrap();
    // Ids of their own, so runs against the same server do not meet.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let on_temporal = |part: &'static str| {
        let (app, worker, entry, run) = (
            app.clone(),
            worker.clone(),
            three_steps.clone(),
            run.clone(),
        );
        move |n: usize| {
            let (app, worker, entry) = (app.clone(), worker.clone(), entry.clone());
            let id = format!("{run}-{part}-{n}");
            async move {
                let remote = app.temporal();
                let options = Default::default();
                let input = json_to_values(&[json!(n)]);
                remote
                    .start(
                        &worker,
                        &entry,
                        Some(id.clone()),
                        &input,
                        &options,
                        Default::default(),
                    )
                    .await
                    .map_err(|error| format!("starting {id}: {error}"))?;
                let values = remote
                    .outcome(&worker, &id)
                    .await
                    .map_err(|error| format!("waiting for {id}: {error}"))?
                    .map_err(|error| format!("{id} failed: {error}"))?;
                check_result(&values, n)
            }
        }
    };
    let workers = runtime.block_on(async { Workers::start(app) });
    // Each timed with the CPU this process spent on it (the Temporal server's own is not
    // counted).
    let (temporal, embedded) = runtime.block_on(async {
        let embedded_run = |part| embedded_job(service, &three_steps, part);
        windowed(
            WARM_UP,
            TEMPORAL_IN_FLIGHT,
            &embedded_run("embedded-warm-up"),
        )
        .await;
        let cpu = common::cpu_time();
        let run = embedded_run("embedded-timed");
        let elapsed = windowed(TEMPORAL_WORKFLOWS, TEMPORAL_IN_FLIGHT, &run).await;
        let embedded = (elapsed, common::cpu_time() - cpu);
        windowed(
            TEMPORAL_IN_FLIGHT,
            TEMPORAL_IN_FLIGHT,
            &on_temporal("warm-up"),
        )
        .await;
        let cpu = common::cpu_time();
        let run = on_temporal("timed");
        let elapsed = windowed(TEMPORAL_WORKFLOWS, TEMPORAL_IN_FLIGHT, &run).await;
        ((elapsed, common::cpu_time() - cpu), embedded)
    });
    runtime.block_on(workers.stop());
    let per_second = |elapsed: Duration| TEMPORAL_WORKFLOWS as f64 / elapsed.as_secs_f64();
    let cpu_ms = |cpu: Duration| cpu.as_secs_f64() * 1e3 / TEMPORAL_WORKFLOWS as f64;
    row(&name, per_second(temporal.0), per_second(embedded.0), "-");
    row(
        "CPU ms per workflow in the luabox process (worker and client; baseline: the embedded \
         engine)",
        cpu_ms(temporal.1),
        cpu_ms(embedded.1),
        "-",
    );
}

fn replay(runtime: &Runtime, app: &Arc<App>, service: &Arc<Workflows>) {
    let entry: EntryId = "bench:long_history".parse().unwrap();
    let id = "bench-long".to_string();
    let live = runtime.block_on(async {
        let start = Instant::now();
        service
            .start(
                &entry,
                json_to_values(&[json!(LONG_ACTIVITIES)]),
                Some(id.clone()),
            )
            .await
            .unwrap_or_else(|error| panic!("starting {id}: {error}"));
        let closed = service
            .wait_closed(&id)
            .await
            .unwrap_or_else(|error| panic!("waiting for {id}: {error}"));
        let elapsed = start.elapsed();
        assert_eq!(closed.status, Status::Completed, "{id}: {closed:?}");
        elapsed
    });
    let history = runtime
        .block_on(app.history_store().expect("history store").load(&id))
        .expect("the long history loads");
    let events: Vec<(u64, Recorded)> = history
        .events
        .iter()
        .map(|event| {
            let recorded = Recorded::parse(&event.payload)
                .unwrap_or_else(|error| panic!("event #{}: {error}", event.seq));
            (event.seq, recorded)
        })
        .collect();
    let count = events.len();
    assert!(count >= 10_000, "the long history has only {count} events");
    let mut times: Vec<Duration> = (0..REPLAYS)
        .map(|_| {
            let exported = Exported {
                workflow_id: id.clone(),
                entry: history.workflow.entry.clone(),
                events: events.clone(),
            };
            let start = Instant::now();
            let verified = runtime
                .block_on(verify::replay(&app.workflow_host(), exported, None))
                .unwrap_or_else(|error| panic!("replaying {id}: {error}"));
            let elapsed = start.elapsed();
            assert_eq!(verified.events, count);
            assert_eq!(verified.closed, Some("workflow.completed"));
            elapsed
        })
        .collect();
    times.sort();
    let ms = |elapsed: Duration| elapsed.as_secs_f64() * 1e3;
    row(
        &format!(
            "replay of a {count}-event history, ms (median of {REPLAYS}; baseline: the same \
             workflow live, start to close, ms)"
        ),
        ms(times[REPLAYS / 2]),
        ms(live),
        "<= 50 ms (docs/architecture.md §7)",
    );
}

/// Run `job(0..count)`, each as its own task, at most `in_flight` at once; returns the time
/// they took together and panics if any failed.
async fn windowed<F, Fut>(count: usize, in_flight: usize, job: &F) -> Duration
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    let mut next = 0;
    while next < count || !tasks.is_empty() {
        while next < count && tasks.len() < in_flight {
            tasks.spawn(job(next));
            next += 1;
        }
        if let Some(done) = tasks.join_next().await {
            done.expect("task")
                .unwrap_or_else(|error| panic!("{error}"));
        }
    }
    start.elapsed()
}

/// Whether `result` (a MessagePack array) is the one value `n + 3`.
fn check_result(result: &[u8], n: usize) -> Result<(), String> {
    let values = values_to_json(result).map_err(|error| error.to_string())?;
    if values.as_u64() == Some(n as u64 + 3) {
        Ok(())
    } else {
        Err(format!("{n} gave {values:?}, not {}", n + 3))
    }
}

fn row(name: &str, luabox: f64, baseline: f64, target: &str) {
    println!(
        "| {name} | {} | {} | {:.2}x | {target} |",
        figure(luabox),
        figure(baseline),
        luabox / baseline
    );
}

/// A figure with the digits that mean something.
fn figure(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}
