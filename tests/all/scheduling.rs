//! Many sandboxes in one process: a busy sandbox yields to others (epoch interruption), limit
//! breaches leave the engine healthy, pool slots are returned, and waits do not hold threads.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use luabox::codec::{json_to_values, values_to_json};
use luabox::engine::{Engine, Invocation, Limits};
use luabox::error::RunError;
use serde_json::json;

use crate::util::{engine, engine_with_slots, script, with_modules};

const BUSY: &str = "local s = 0 for i = 1, 60000000 do s = s + i % 7 end return s";
const BUSY_SUM: i64 = 179_999_998;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .event_interval(1)
        .build()
        .unwrap()
}

async fn run_labelled(
    engine: &Engine,
    invocation: Invocation,
    label: &'static str,
    order: &Mutex<Vec<&'static str>>,
) -> serde_json::Value {
    let result = engine.run(invocation).await.expect("runs");
    order.lock().unwrap().push(label);
    values_to_json(&result).unwrap()
}

/// On a single-threaded runtime a sleeper can only finish first if the busy sandboxes yield.
#[test]
fn busy_sandboxes_yield_so_others_progress() {
    let engine = engine();
    let order = Mutex::new(Vec::new());
    let sleeper = with_modules(
        script("require('time').sleep('20ms') return 'rested'"),
        &["time"],
    );
    let (a, b, c) = current_thread().block_on(async {
        tokio::join!(
            run_labelled(&engine, script(BUSY), "busy-a", &order),
            run_labelled(&engine, script(BUSY), "busy-b", &order),
            run_labelled(&engine, sleeper, "sleeper", &order),
        )
    });
    assert_eq!(a, json!(BUSY_SUM));
    assert_eq!(b, json!(BUSY_SUM));
    assert_eq!(c, json!("rested"));
    let order = order.into_inner().unwrap();
    assert_eq!(order[0], "sleeper", "completion order {order:?}");
}

fn hostile_then_normal(engine: &Engine, runtime: &tokio::runtime::Runtime) {
    // Deadlines for the loops; enough time for the others to reach their own limit first.
    let limited = |source: &str, deadline_ms: u64| {
        let mut invocation = script(source);
        invocation.limits = Limits {
            memory: 16 << 20,
            deadline: std::time::Duration::from_millis(deadline_ms),
            ..Limits::default()
        };
        invocation
    };
    let cases: [(&str, u64, &str); 5] = [
        ("while true do end", 100, "deadline"),
        (
            "local t = {} while true do t[#t+1] = ('x'):rep(999) .. #t end",
            10_000,
            "memory",
        ),
        // At 16 MiB the Lua stack reaches the memory limit before its 1,000,000-slot limit.
        (
            "local function f() return f() + 1 end return f()",
            10_000,
            "memory",
        ),
        ("local t = {} t.t = t return t", 10_000, "value"),
        (
            "setmetatable({}, {__gc = function() while true do end end}) collectgarbage()",
            100,
            "deadline",
        ),
    ];
    for (source, deadline_ms, kind) in cases {
        let error = runtime
            .block_on(engine.run(limited(source, deadline_ms)))
            .unwrap_err();
        assert_eq!(error.kind(), kind, "{source}: {error}");
    }
    let ok = runtime
        .block_on(engine.run(script("return 'still fine'")))
        .unwrap();
    assert_eq!(values_to_json(&ok).unwrap(), json!("still fine"));
}

#[test]
fn limit_breaches_leave_the_engine_healthy() {
    let engine = engine();
    let runtime = current_thread();
    for _ in 0..3 {
        hostile_then_normal(&engine, &runtime);
    }
}

#[test]
fn pool_slots_are_returned_after_every_kind_of_ending() {
    let engine = engine_with_slots(4);
    let runtime = current_thread();
    for round in 0..60 {
        let source = match round % 3 {
            0 => "return 1",
            1 => "error('x')",
            _ => "local t = {} t.t = t return t",
        };
        let _ = runtime.block_on(engine.run(script(source)));
    }
    hostile_then_normal(&engine, &runtime);
}

/// One pool slot, so every call reuses the same memory: whatever a call wrote (globals, the
/// standard library, the heap) is gone for the next one.
#[test]
fn state_never_leaks_between_calls() {
    let engine = engine_with_slots(1);
    let runtime = current_thread();
    let tamper = "secret = ('s'):rep(1000000) string.rep = nil package.loaded.string = nil \
                  local t = {} for i = 1, 100000 do t[i] = {i} end hoard = t return true";
    let inspect = "return {secret = secret == nil, rep = type(string.rep), hoard = hoard == nil, \
                   loaded = package.loaded.string == string, counter = (counter or 0) + 1}";
    for _ in 0..3 {
        runtime.block_on(engine.run(script(tamper))).unwrap();
        let result = runtime.block_on(engine.run(script(inspect))).unwrap();
        let expected =
            json!({"secret": true, "rep": "function", "hoard": true, "loaded": true, "counter": 1});
        assert_eq!(values_to_json(&result).unwrap(), expected);
    }
}

/// Waiting sandboxes hold no thread: 200 of them sleep at once on a two-thread runtime.
#[test]
fn many_sandboxes_wait_concurrently() {
    let engine = Arc::new(engine());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let engine = engine.clone();
                tokio::spawn(async move {
                    let mut invocation = with_modules(
                        script(
                            "return function(i) local time = require('time') \
                             time.sleep('50ms') time.sleep('10ms') return i * 2 end",
                        ),
                        &["time"],
                    );
                    invocation.args = json_to_values(&[json!(i)]);
                    engine.run(invocation).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });
    for (i, result) in results.into_iter().enumerate() {
        let value = values_to_json(&result.unwrap()).unwrap();
        assert_eq!(value, json!(i * 2));
    }
}

#[test]
fn deadline_covers_waiting_too() {
    let engine = engine();
    let mut invocation = with_modules(script("require('time').sleep('5s')"), &["time"]);
    invocation.limits.deadline = std::time::Duration::from_millis(50);
    let error = current_thread()
        .block_on(engine.run(invocation))
        .unwrap_err();
    assert!(matches!(error, RunError::Deadline { .. }), "{error}");
}

/// More sandboxes at once than the pool has slots: the extra one fails clearly, the others finish.
#[test]
fn a_full_pool_queues_calls_until_their_deadline() {
    // Two slots, both held by 100 ms sleepers: a third call waits for a slot (back-pressure)
    // and runs; a fourth whose 20 ms deadline passes first gets a clear error, not a trap.
    let engine = engine_with_slots(2);
    let sleeper = || with_modules(script("require('time').sleep('100ms') return 1"), &["time"]);
    let mut hurried = script("return 1");
    hurried.limits.deadline = Duration::from_millis(20);
    let (a, b, queued, late) = current_thread().block_on(async {
        tokio::join!(
            engine.run(sleeper()),
            engine.run(sleeper()),
            engine.run(sleeper()),
            engine.run(hurried)
        )
    });
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert!(queued.is_ok(), "{queued:?}");
    let error = late.unwrap_err();
    assert_eq!(error.kind(), "busy");
    assert_eq!(
        error.to_string(),
        "no free sandbox: all 2 sandboxes of this engine stayed busy until the call's deadline"
    );
}
