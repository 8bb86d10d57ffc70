//! Process benchmarks: ping-pong round trips, spawn+exit rate and memory per idle process, beside
//! the same figures from Erlang/OTP measured in the same run (`scripts/bench/processes.erl`).
//!
//! Each part execs an entry of `benches/apps/processes` the way `luabox run --exec` does and
//! times it. Memory per idle process is the growth of this benchmark's own resident memory
//! (`/proc/self/smaps_rollup`) while 10,000 processes sit blocked in their inboxes, divided by
//! their count: RSS (as the issue asks) and PSS, which counts a page shared copy-on-write by `k`
//! processes as 1/k of a page.
//!
//! `cargo bench --bench processes` (or `scripts/bench.sh` for every benchmark).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use luabox::app::{App, EXEC_HOST};
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use luabox::engine::{Engine, EngineConfig};
use luabox::process::supervisor;
use serde_json::{Value as Json, json};

const ROUND_TRIPS: i64 = 200_000;
const SPAWNS: i64 = 50_000;
const SPAWN_WAVE: i64 = 100;
const IDLE: i64 = 10_000;
const HOST: &str = "bench:workers";

fn main() {
    common::quiet_logging();
    let selected = common::selection();
    let runtime = common::runtime();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/apps/processes");
    let engine =
        Engine::new(EngineConfig::default(), luabox::modules::interfaces()).expect("engine");
    let app = runtime
        .block_on(App::load(&dir, engine))
        .expect("bench app loads");
    let services = runtime
        .block_on(supervisor::start(&app))
        .expect("the benchmark app's services start");
    let erlang = erlang_figures();
    let baseline = |name: &str| match &erlang {
        Ok(figures) => figures
            .iter()
            .find(|(key, _)| key == name)
            .map_or("missing".into(), |(_, value)| format!("{value:.0}")),
        Err(why) => why.clone(),
    };
    println!("| benchmark | luabox | baseline (Erlang/OTP) | ratio | target |");
    println!("|---|---|---|---|---|");

    if selected("pingpong") {
        let elapsed = exec(&runtime, &app, "bench:pingpong", json!([HOST, ROUND_TRIPS]));
        let round_trips = ROUND_TRIPS as f64 / elapsed.as_secs_f64();
        row(
            "ping-pong round trips/s",
            round_trips,
            &baseline("pingpong_round_trips_per_s"),
            ">= 200000 (docs/architecture.md §7)",
        );
    }
    if selected("spawn") {
        let elapsed = exec(
            &runtime,
            &app,
            "bench:spawn_exit",
            json!([HOST, SPAWNS, SPAWN_WAVE]),
        );
        let spawns = SPAWNS as f64 / elapsed.as_secs_f64();
        row("spawn+exit/s", spawns, &baseline("spawn_exit_per_s"), "-");
    }
    if selected("idle") {
        let before = resident();
        exec(&runtime, &app, "bench:idle_spawner", json!([HOST, IDLE]));
        let after = resident();
        if let Ok(path) = std::env::var("DUMP_MAPS") {
            std::fs::copy("/proc/self/maps", path).unwrap();
        }
        let per_process =
            |f: fn(&Resident) -> u64| (f(&after).saturating_sub(f(&before))) as f64 / IDLE as f64;
        row(
            "RSS bytes per idle process (10,000 live)",
            per_process(|r| r.rss),
            &baseline("idle_bytes_per_process"),
            "<= 240000 (100k in 24 GiB, docs/architecture.md §7)",
        );
        row(
            "PSS bytes per idle process (10,000 live)",
            per_process(|r| r.pss),
            &baseline("idle_bytes_per_process"),
            "<= 240000",
        );
    }
    runtime.block_on(services.stop());
}

/// Execs `id` with `args` on the exec host and returns how long it took; panics if it failed.
fn exec(runtime: &tokio::runtime::Runtime, app: &Arc<App>, id: &str, args: Json) -> Duration {
    let id: EntryId = id.parse().unwrap();
    let Json::Array(args) = args else {
        unreachable!()
    };
    let _inside = runtime.enter();
    let start = Instant::now();
    let (_slot, task) = app
        .spawn(
            &id,
            EXEC_HOST,
            json_to_values(&args),
            None,
            Default::default(),
        )
        .unwrap_or_else(|err| panic!("spawning {id}: {err}"));
    let result = runtime
        .block_on(task)
        .expect("process task")
        .unwrap_or_else(|err| panic!("{id} failed: {}", err.describe()));
    let elapsed = start.elapsed();
    values_to_json(&result).expect("result decodes");
    elapsed
}

fn row(name: &str, luabox: f64, baseline: &str, target: &str) {
    let ratio = baseline
        .parse::<f64>()
        .map_or("-".into(), |baseline| format!("{:.2}x", luabox / baseline));
    println!("| {name} | {luabox:.0} | {baseline} | {ratio} | {target} |");
}

struct Resident {
    rss: u64,
    pss: u64,
}

fn resident() -> Resident {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").expect("smaps_rollup");
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kib| kib * 1024)
    };
    Resident {
        rss: field("Rss:"),
        pss: field("Pss:"),
    }
}

/// The Erlang figures, or why there are none (the baseline column then says so).
fn erlang_figures() -> Result<Vec<(String, f64)>, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench/processes.erl");
    let output = Command::new("escript")
        .arg(&script)
        .args([
            ROUND_TRIPS.to_string(),
            SPAWNS.to_string(),
            IDLE.to_string(),
        ])
        .output()
        .map_err(|_| "n/a: no escript (apt-get install erlang-base)".to_string())?;
    if !output.status.success() {
        return Err(format!("n/a: escript failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(char::is_whitespace)?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect())
}
