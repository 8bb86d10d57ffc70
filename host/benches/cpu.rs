//! CPU and call-latency benchmarks: the sandbox against native Lua in the same run.
//!
//! The native baseline is Lua 5.4.8 from the same `lua-src` sources as the guest, built for the
//! host by `mlua` (vendored). Each script in `benches/lua/` runs natively and in a fresh sandbox
//! (epoch interruption on, as in production); the best of several runs is kept. The latency part
//! measures a trivial chunk in a fresh sandbox per call against a fresh native `lua_State`
//! (new state + standard libraries + load + call), then the calls/s of both on 2 threads.
//!
//! The `funcs` part measures `funcs.call` from one entry to another (each call a fresh sandbox
//! for the callee), beside a direct Lua call of the same function in the same run.
//!
//! The `checked` part runs the CPU scripts and the trivial call on the checked guest build
//! (`guest-lua/luabox-guest-checked.wasm`: Lua's API checks and assertions, undefined-behaviour
//! traps) beside the production guest, to show what the checks cost.
//!
//! `cargo bench --bench cpu [-- cpu|call|funcs|checked]` (or `scripts/bench.sh` for every
//! benchmark).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use luabox::app::App;
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use luabox::engine::{Engine, EngineConfig, Invocation, Limits};
use serde_json::json;

const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .event_interval(1)
        .enable_all()
        .build()
        .unwrap();
    let engine = Arc::new(
        Engine::new(EngineConfig::default(), luabox::modules::interfaces()).expect("engine"),
    );
    // `cargo bench` passes `--bench`; a plain word selects one group.
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let selected = |group: &str| only.as_deref().is_none_or(|only| only == group);
    println!("| benchmark | luabox | baseline (native Lua 5.4.8) | ratio | target |");
    println!("|---|---|---|---|---|");
    if selected("cpu") {
        cpu_scripts(&runtime, &engine);
    }
    if selected("call") {
        call_latency(&runtime, &engine);
    }
    if selected("funcs") {
        funcs_call(&runtime);
    }
    if selected("checked") {
        checked_guest(&runtime);
    }
}

/// An engine running the guest component at `path` (relative to the repository).
fn engine_for(path: &str) -> Engine {
    let guest = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    Engine::new(
        EngineConfig {
            guest: Some(guest),
            ..EngineConfig::default()
        },
        luabox::modules::interfaces(),
    )
    .expect("engine")
}

fn checked_guest(runtime: &tokio::runtime::Runtime) {
    let production = engine_for("guest-lua/luabox-guest.wasm");
    let checked = engine_for("guest-lua/luabox-guest-checked.wasm");
    let mut ratios = Vec::new();
    for (name, source) in scripts() {
        let (fast, want) = best_of(|| sandbox_run(runtime, &production, &name, &source));
        let (slow, got) = best_of(|| sandbox_run(runtime, &checked, &name, &source));
        assert_eq!(want, got, "{name}: results differ between the guests");
        let ratio = slow.as_secs_f64() / fast.as_secs_f64();
        ratios.push(ratio);
        println!(
            "| checked guest cpu/{name} (baseline: production guest) | {:.1} ms | {:.1} ms | {ratio:.2}x | |",
            ms(slow),
            ms(fast)
        );
    }
    let geomean = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
    println!(
        "| checked guest cpu/geomean (baseline: production guest) | | | {:.2}x | |",
        geomean.exp()
    );
    let trivial = |engine: &Engine| {
        percentiles((0..2000).map(|_| {
            let start = Instant::now();
            runtime
                .block_on(engine.run(Invocation::script("trivial", "return 1")))
                .expect("trivial call");
            start.elapsed()
        }))
    };
    let (fast, slow) = (trivial(&production), trivial(&checked));
    println!(
        "| checked guest trivial call p50 (baseline: production guest) | {:.1} us | {:.1} us | {:.2}x | |",
        us(slow[0]),
        us(fast[0]),
        slow[0].as_secs_f64() / fast[0].as_secs_f64()
    );
}

/// The CPU scripts of `benches/lua/`, by name.
fn scripts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/lua");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    scripts.sort();
    scripts
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// Run a CPU script in a fresh sandbox of `engine`; its result as JSON text.
fn sandbox_run(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    name: &str,
    source: &str,
) -> String {
    let mut invocation = Invocation::script(name, source);
    invocation.limits = Limits {
        memory: 512 << 20,
        deadline: Duration::from_secs(120),
        ..Limits::default()
    };
    let payload = runtime
        .block_on(engine.run(invocation))
        .expect("script runs");
    values_to_json(&payload).unwrap().to_string()
}

fn funcs_call(runtime: &tokio::runtime::Runtime) {
    const CALLS: i64 = 20_000;
    const WAVE: i64 = 16;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/apps/funcs");
    let engine =
        Engine::new(EngineConfig::default(), luabox::modules::interfaces()).expect("engine");
    let app = runtime
        .block_on(App::load(&dir, engine))
        .expect("bench app loads");
    let caller: EntryId = "bench:caller".parse().unwrap();
    let args = json_to_values(&[json!(CALLS), json!(WAVE)]);
    let result = runtime
        .block_on(app.call(&caller, args, 0))
        .expect("caller runs");
    let result = values_to_json(&result).unwrap();
    let seconds = |path: &str| result.pointer(path).and_then(|v| v.as_f64()).unwrap();
    for (label, field, target) in [("p50", "p50", ""), ("p99", "p99", "")] {
        let call = seconds(&format!("/sequential/{field}"));
        let direct = seconds(&format!("/direct/{field}"));
        println!(
            "| funcs.call {label} (baseline: direct Lua call) | {:.1} us | {:.3} us | {:.0}x | {target} |",
            call * 1e6,
            direct * 1e6,
            call / direct
        );
    }
    let sequential = seconds("/sequential/per_second");
    let direct = seconds("/direct/per_second");
    println!(
        "| funcs.call calls/s, one after another (baseline: direct) | {sequential:.0} | {direct:.0} | {:.0}x | |",
        direct / sequential
    );
    let concurrent = seconds("/concurrent");
    println!(
        "| funcs.call calls/s, waves of {WAVE} funcs.async (baseline: direct) | {concurrent:.0} | {direct:.0} | {:.0}x | |",
        direct / concurrent
    );
}

fn cpu_scripts(runtime: &tokio::runtime::Runtime, engine: &Engine) {
    let mut ratios = Vec::new();
    for (name, source) in scripts() {
        let (native, native_result) = best_of(|| native_run(&source));
        let (sandbox, sandbox_result) = best_of(|| sandbox_run(runtime, engine, &name, &source));
        assert_eq!(native_result, sandbox_result, "{name}: results differ");
        let ratio = sandbox.as_secs_f64() / native.as_secs_f64();
        ratios.push(ratio);
        println!(
            "| cpu/{name} | {:.1} ms | {:.1} ms | {ratio:.2}x | <= 1.5x |",
            ms(sandbox),
            ms(native)
        );
    }
    let geomean = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
    println!("| cpu/geomean | | | {:.2}x | <= 1.5x |", geomean.exp());
}

fn native_run(source: &str) -> String {
    let lua = mlua::Lua::new();
    let value: mlua::Value = lua.load(source).eval().expect("native run");
    match value {
        mlua::Value::Integer(i) => i.to_string(),
        mlua::Value::Number(n) => serde_json::json!(n).to_string(),
        other => panic!("benchmarks return numbers, got {other:?}"),
    }
}

fn best_of(mut run: impl FnMut() -> String) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut result = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        result = run();
        best = best.min(start.elapsed());
    }
    (best, result)
}

fn call_latency(runtime: &tokio::runtime::Runtime, engine: &Arc<Engine>) {
    const CALLS: usize = 5000;
    let trivial = "return 1";
    let native = percentiles((0..CALLS).map(|_| {
        let start = Instant::now();
        let lua = mlua::Lua::new();
        let one: i64 = lua.load(trivial).eval().unwrap();
        assert_eq!(one, 1);
        start.elapsed()
    }));
    let sandbox = percentiles((0..CALLS).map(|_| {
        let start = Instant::now();
        runtime
            .block_on(engine.run(Invocation::script("trivial", trivial)))
            .unwrap();
        start.elapsed()
    }));
    for (label, index, target) in [("p50", 0, "<= 30 us"), ("p99", 1, "")] {
        println!(
            "| call/fresh sandbox {label} | {:.1} us | {:.1} us | {:.2}x | {target} |",
            us(sandbox[index]),
            us(native[index]),
            sandbox[index].as_secs_f64() / native[index].as_secs_f64()
        );
    }

    let window = Duration::from_secs(3);
    let native_rate = native_throughput(window);
    let sandbox_rate = runtime.block_on(sandbox_throughput(engine.clone(), window));
    println!(
        "| call/fresh sandbox calls/s (2 threads) | {sandbox_rate:.0} | {native_rate:.0} | {:.2}x | >= 50000 |",
        native_rate / sandbox_rate
    );
}

fn percentiles(samples: impl Iterator<Item = Duration>) -> [Duration; 2] {
    let mut samples: Vec<Duration> = samples.collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    [at(0.50), at(0.99)]
}

fn native_throughput(window: Duration) -> f64 {
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut calls = 0u64;
                while start.elapsed() < window {
                    let lua = mlua::Lua::new();
                    let _: i64 = lua.load("return 1").eval().unwrap();
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let calls: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    calls as f64 / window.as_secs_f64()
}

async fn sandbox_throughput(engine: Arc<Engine>, window: Duration) -> f64 {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let mut calls = 0u64;
                while start.elapsed() < window {
                    engine
                        .run(Invocation::script("trivial", "return 1"))
                        .await
                        .unwrap();
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let mut calls = 0;
    for task in tasks {
        calls += task.await.unwrap();
    }
    calls as f64 / window.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
