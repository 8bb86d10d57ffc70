//! A bounded fuzz of the guest boundary (issue 18), driven by proptest: every place the host hands
//! bytes to the guest gets arbitrary MessagePack (valid values of every type and nesting, then
//! the same bytes mutated or truncated, then plain noise), and generated Lua programs run against
//! a model of what they must compute. The oracles:
//! - no input ever traps the sandbox or fails the host: malformed data is a Lua-level error, and
//!   on the checked guest (`LUABOX_GUEST`, see `scripts/test.sh`) a failed Lua API check,
//!   assertion or undefined-behaviour check would be a trap;
//! - a value that went in comes out as a fixed point: decoding what the guest encoded and sending
//!   it again gives the same bytes, whether it entered as arguments or as a completion;
//! - a workflow replaying a mutated history either matches or reports why, never traps;
//! - generated programs compute what native Lua 5.4 computes (pure Lua), or what the generator's
//!   model says (tasks, channels, selects, waits inside coroutines and pcall, errors).
//!
//! `PROPTEST_CASES=N` sets the cases per property (the defaults keep a run near half a minute
//! per guest); a failure is shrunk, printed, and saved to `tests/fuzz.proptest-regressions`,
//! which later runs replay first. Every finding also becomes a named case in `tests/cases/`.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use luabox::bindings::Completion;
use luabox::codec::{decode_values, encode_values, values_to_json};
use luabox::engine::{Engine, EngineConfig, Extensions, Invocation, Progress};
use luabox::error::RunError;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use rmpv::Value;

struct Shared {
    engine: Engine,
    runtime: tokio::runtime::Runtime,
}

fn shared() -> &'static Arc<Shared> {
    static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .event_interval(1)
            .enable_all()
            .build()
            .unwrap();
        let engine = Engine::new(EngineConfig::default(), luabox::modules::interfaces())
            .expect("engine starts");
        Arc::new(Shared { engine, runtime })
    })
}

/// `cases` per property unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

// ---- MessagePack inputs ---------------------------------------------------------------------

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-40i64..300).prop_map(Value::from),
        any::<f64>().prop_map(Value::F64),
        any::<f32>().prop_map(Value::F32),
        ".{0,40}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Binary),
    ]
}

/// Any MessagePack value: scalars, arrays and maps (keys of every type) nested up to ~140
/// levels (past the guest's 128), and extensions, luabox's error objects among them.
fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(140, 400, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..5).prop_map(Value::Map),
            (inner.clone(), any::<bool>()).prop_map(|(v, error_ext)| {
                let mut bytes = Vec::new();
                let map = Value::Map(vec![(Value::from("message"), v)]);
                rmpv::encode::write_value(&mut bytes, &map).unwrap();
                Value::Ext(if error_ext { 1 } else { 7 }, bytes)
            }),
            inner.prop_map(|v| Value::Array(vec![v])),
        ]
    })
}

fn encoded(values: &[Value]) -> Vec<u8> {
    encode_values(values.to_vec())
}

/// Arrays nested `depth` deep around a value: across the 128-level limit.
fn deep() -> impl Strategy<Value = Value> {
    (100usize..140, scalar())
        .prop_map(|(depth, leaf)| (0..depth).fold(leaf, |inner, _| Value::Array(vec![inner])))
}

/// The values of one call or completion, encoded as the MessagePack array the guest expects.
fn valid() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![6 => value(), 1 => deep()], 0..4)
        .prop_map(|v| encoded(&v))
}

/// Valid values, the same bytes damaged (a byte changed, cut short, bytes inserted; lengths and
/// counts claiming more than is there), or noise.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => valid(),
        2 => (valid(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut b, i, x)| {
            let at = i.index(b.len());
            b[at] = x;
            b
        }),
        1 => (valid(), any::<prop::sample::Index>()).prop_map(|(mut b, i)| {
            b.truncate(i.index(b.len()));
            b
        }),
        1 => (valid(), any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(mut b, i, extra)| {
                let at = i.index(b.len() + 1);
                b.splice(at..at, extra);
                b
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(
            prop_oneof![Just(0xc9u8), Just(0xdd), Just(0xdf), Just(0xdb), Just(0xff), any::<u8>()],
            1..24
        ),
        2 => hostile_header(),
    ]
}

/// One value whose header claims an extreme length or count (0, 2^31, 2^32 - 1, ...) for the
/// bytes that follow: where 32-bit size arithmetic would wrap.
fn hostile_header() -> impl Strategy<Value = Vec<u8>> {
    let tag = prop::sample::select(vec![
        (0xc4u8, 1usize),
        (0xc5, 2),
        (0xc6, 4),
        (0xc7, 1),
        (0xc8, 2),
        (0xc9, 4),
        (0xd9, 1),
        (0xda, 2),
        (0xdb, 4),
        (0xdc, 2),
        (0xdd, 4),
        (0xde, 2),
        (0xdf, 4),
    ]);
    let length = prop_oneof![
        prop::sample::select(vec![
            0u32,
            1,
            0x7f,
            0x80,
            0xff,
            0xffff,
            1 << 31,
            u32::MAX - 1,
            u32::MAX
        ]),
        any::<u32>(),
    ];
    (tag, length, proptest::collection::vec(any::<u8>(), 0..16)).prop_map(
        |((tag, width), length, rest)| {
            let mut bytes = vec![0x91, tag];
            bytes.extend_from_slice(&length.to_be_bytes()[4 - width..]);
            bytes.push(1); // an extension's type: luabox's error objects
            bytes.extend(rest);
            bytes
        },
    )
}

/// A failure a hostile input may cause: a Lua error or a value the boundary refuses. Anything
/// else (a trap, a host error, a failed check of the checked guest) is a finding.
fn expected_failure(error: &RunError) -> Result<(), TestCaseError> {
    match error {
        RunError::Lua(_) => Ok(()),
        other => Err(TestCaseError::fail(format!("{}: {other}", other.kind()))),
    }
}

fn run(source: &str, args: Vec<u8>, modules: &[&str]) -> Result<Vec<u8>, RunError> {
    let mut invocation = Invocation::script("fuzz", source).allow_modules(modules);
    invocation.args = args;
    let shared = shared();
    shared.runtime.block_on(shared.engine.run(invocation))
}

const ECHO: &str = "return function(...) return ... end";

/// `payload` re-encoded with map entries in a canonical order: a Lua table's iteration order
/// depends on how it was built, so equal tables may encode their keys in different orders. (As
/// bytes, a NaN equals itself.)
fn canonical(payload: &[u8]) -> Vec<u8> {
    fn sort(value: Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.into_iter().map(sort).collect()),
            Value::Map(entries) => {
                let mut entries: Vec<(Value, Value)> = entries
                    .into_iter()
                    .map(|(k, v)| (sort(k), sort(v)))
                    .collect();
                entries.sort_by_key(|(k, _)| encoded(std::slice::from_ref(k)));
                Value::Map(entries)
            }
            Value::Ext(kind, bytes) => {
                let inner = rmpv::decode::read_value(&mut &bytes[..]).map(sort);
                let mut out = Vec::new();
                if let Ok(inner) = inner {
                    rmpv::encode::write_value(&mut out, &inner).unwrap();
                }
                Value::Ext(kind, out)
            }
            other => other,
        }
    }
    let values: Vec<Value> = decode_values(payload)
        .expect("the guest encodes valid MessagePack")
        .into_iter()
        .map(sort)
        .collect();
    encoded(&values)
}

/// The guest's values for `payload` entered as arguments: None when it refused them.
fn through_args(payload: &[u8]) -> Result<Option<Vec<u8>>, TestCaseError> {
    match run(ECHO, payload.to_vec(), &[]) {
        Ok(out) => Ok(Some(out)),
        Err(error) => expected_failure(&error).map(|()| None),
    }
}

/// The guest's values for `payload` delivered as the completion of a wait (`time.sleep`'s
/// values are its completion's), among completions of handles nobody waits on.
fn through_completion(payload: &[u8], strays: &[u64]) -> Result<Vec<u8>, TestCaseError> {
    let source = "local time = require('time')\n\
                  return function() return time.sleep('1h') end";
    let invocation = Invocation::script("fuzz", source).allow_modules(&["time"]);
    let shared = shared();
    shared.runtime.block_on(async {
        let mut session = shared
            .engine
            .session(&invocation, Extensions::default(), |_| {})
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        match session.start(invocation.clone()).await {
            Ok(Progress::Waiting) => {}
            other => return Err(TestCaseError::fail(format!("did not wait: {other:?}"))),
        }
        let mut completions: Vec<Completion> = strays
            .iter()
            .map(|&handle| Completion {
                handle,
                values: payload.to_vec(),
            })
            .collect();
        // The sleep is the sandbox's first host operation: handle 1.
        completions.push(Completion {
            handle: 1,
            values: payload.to_vec(),
        });
        match session.resume(&completions).await {
            Ok(Progress::Done(out)) => Ok(out),
            Ok(Progress::Waiting) => Err(TestCaseError::fail("still waits after its completion")),
            Err(error) => expected_failure(&error).map(|()| Vec::new()),
        }
    })
}

proptest! {
    #![proptest_config(config(15000))]

    /// Arguments: whatever the guest accepts it hands back as a fixed point.
    #[test]
    fn arguments_round_trip_or_fail_cleanly(payload in payload()) {
        if let Some(out) = through_args(&payload)? {
            let again = through_args(&out)?.expect("the guest accepts what it encoded");
            prop_assert_eq!(canonical(&again), canonical(&out), "not a fixed point");
        }
    }

    /// Completions: the same decoding as arguments, wherever in a batch they come.
    #[test]
    fn completions_decode_like_arguments(
        payload in payload(),
        strays in proptest::collection::vec(2u64..1000, 0..4),
    ) {
        let out = through_completion(&payload, &strays)?;
        if let (Some(args), true) = (through_args(&payload)?, !out.is_empty()) {
            // A wait that got values returns them; one that got malformed data returns nil and
            // an error. Either way, equal inputs give equal outputs on both paths.
            prop_assert_eq!(canonical(&out), canonical(&args));
        }
    }
}

// ---- Workflow histories ---------------------------------------------------------------------

struct Replayer {
    app: Arc<luabox::app::App>,
    history: serde_json::Value,
}

/// The stress app's workflow, run once; its history is what the mutations start from.
fn replayer() -> &'static Replayer {
    static REPLAYER: OnceLock<Replayer> = OnceLock::new();
    REPLAYER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/apps/stress");
        for file in std::fs::read_dir(&source).unwrap() {
            let path = file.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
        let luabox = env!("CARGO_BIN_EXE_luabox");
        let dir_arg = dir.to_str().unwrap();
        let start = std::process::Command::new(luabox)
            .args([
                "workflow",
                "--dir",
                dir_arg,
                "start",
                "stress:workflow",
                "8",
                "3",
            ])
            .args(["--id", "fuzz", "--wait"])
            .output()
            .unwrap();
        assert!(
            start.status.success(),
            "{}",
            String::from_utf8_lossy(&start.stderr)
        );
        let show = std::process::Command::new(luabox)
            .args(["workflow", "--dir", dir_arg, "show", "fuzz", "--json"])
            .output()
            .unwrap();
        let history = luabox::codec::lossless::parse_json(&show.stdout).unwrap();
        let shared = shared();
        let engine = Engine::new(EngineConfig::default(), luabox::modules::interfaces()).unwrap();
        let app = shared
            .runtime
            .block_on(luabox::app::App::load(&dir, engine))
            .unwrap();
        Replayer { app, history }
    })
}

/// A JSON value for the places a history holds values (inputs, results, signal payloads).
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(130, 300, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value of one field of one event.
    Field(prop::sample::Index, prop::sample::Index, serde_json::Value),
    /// Remove one event.
    Drop(prop::sample::Index),
    /// Repeat one event.
    Repeat(prop::sample::Index),
    /// Swap two events.
    Swap(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), json())
            .prop_map(|(e, f, v)| Mutation::Field(e, f, v)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Drop),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Repeat),
        1 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

fn mutate(history: &mut serde_json::Value, mutation: &Mutation) {
    let events = history["events"].as_array_mut().unwrap();
    match mutation {
        Mutation::Field(event, field, value) => {
            let at = event.index(events.len());
            let event = &mut events[at];
            if let Some(object) = event.as_object_mut() {
                let keys: Vec<String> = object.keys().cloned().collect();
                let key = &keys[field.index(keys.len())];
                object.insert(key.clone(), value.clone());
            }
        }
        Mutation::Drop(at) => {
            let at = at.index(events.len());
            events.remove(at);
        }
        Mutation::Repeat(at) => {
            let event = events[at.index(events.len())].clone();
            events.push(event);
        }
        Mutation::Swap(a, b) => {
            let (a, b) = (a.index(events.len()), b.index(events.len()));
            events.swap(a, b);
        }
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Workflow events: a damaged history replays to a verdict, never to a trap.
    #[test]
    fn mutated_histories_replay_to_a_verdict(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let replayer = replayer();
        let mut history = replayer.history.clone();
        for m in &mutations {
            if history["events"].as_array().is_some_and(|e| !e.is_empty()) {
                mutate(&mut history, m);
            }
        }
        let Ok(exported) = luabox::durable::verify::Exported::parse(&history) else {
            return Ok(()); // refused before any sandbox saw it
        };
        let verdict = shared().runtime.block_on(luabox::durable::verify::replay(
            &replayer.app.workflow_host(),
            exported,
            None,
        ));
        if let Err(message) = verdict {
            for sign in ["sandbox trapped", "guest check failed", "host error", "wasm trap"] {
                prop_assert!(!message.contains(sign), "{}", message);
            }
        }
    }
}

// ---- Generated programs: pure Lua against native Lua ----------------------------------------

/// An expression of a small Lua grammar: integer and float arithmetic (wrapping, floor division,
/// modulo, shifts), strings (concatenation, rep, sub, format, byte), tables (constructors,
/// length, concat, sort) and closures, each kept small.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| format!("({n})")),
        (-100i64..100).prop_map(|n| format!("({n})")),
        (-1000.0f64..1000.0).prop_map(|f| format!("({f:?})")),
        "[a-z]{0,6}".prop_map(|s| format!("{s:?}")),
        Just("math.maxinteger".to_owned()),
        Just("math.mininteger".to_owned()),
    ];
    leaf.prop_recursive(6, 48, 3, |inner| {
        let int = "math.tointeger";
        prop_oneof![
            (inner.clone(), inner.clone(), prop::sample::select(vec!["+", "-", "*"]))
                .prop_map(|(a, b, op)| format!("(N({a}) {op} N({b}))")),
            (inner.clone(), inner.clone(), prop::sample::select(vec!["//", "%"]))
                .prop_map(|(a, b, op)| format!("(NZ({a}) {op} NZ({b}))")),
            (inner.clone(), inner.clone(), prop::sample::select(vec!["&", "|", "~", "<<", ">>"]))
                .prop_map(move |(a, b, op)| format!("(I({a}) {op} I({b}))")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(S({a}) .. S({b}))")),
            (inner.clone(), 0u8..4).prop_map(|(a, n)| format!("string.rep(S({a}), {n}, ',')")),
            (inner.clone(), -4i8..6, -4i8..6)
                .prop_map(|(a, i, j)| format!("string.sub(S({a}), {i}, {j})")),
            inner.clone().prop_map(|a| format!("string.format('%q|%s', S({a}), S({a}))")),
            inner.clone().prop_map(|a| format!("#S({a})")),
            inner.clone().prop_map(move |a| format!("({int}(N({a})) or 0)")),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(|items| {
                format!("table.concat(sorted({{{}}}), ';')", items.join(", "))
            }),
            (inner.clone(), inner).prop_map(|(a, b)| {
                format!("(function(x) local f = function(y) return S(x) .. S(y) end return f({b}) end)({a})")
            }),
        ]
    })
}

/// The helpers generated expressions use: coercions that keep every operation defined.
const PRELUDE: &str = r#"
local function N(v) if type(v) == "number" then return v end return #tostring(v) end
local function NZ(v) v = N(v) if v == 0 then return 7 end return v end
local function I(v) v = N(v) return math.tointeger(v) or (v >= 0 and 1 or -1) end
local function S(v) if type(v) == "number" and v ~= v then return "nan" end return tostring(v) end
local function sorted(t)
  local s = {} for i, v in ipairs(t) do s[i] = S(v) end table.sort(s) return s
end
"#;

fn native(source: &str) -> Result<Vec<String>, String> {
    let lua = mlua::Lua::new();
    lua.load(source)
        .eval::<mlua::MultiValue>()
        .map(|values| {
            values
                .iter()
                .map(|v| v.to_string().unwrap_or_default())
                .collect()
        })
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(config(7500))]

    /// Pure Lua: the sandbox computes what native Lua 5.4 computes.
    #[test]
    fn generated_lua_matches_native_lua(exprs in proptest::collection::vec(expr(), 1..5)) {
        // Strings on both sides, so integer and float results compare exactly as Lua prints them.
        let body = exprs.iter().map(|e| format!("S({e})")).collect::<Vec<_>>().join(", ");
        let source = format!("{PRELUDE}\nreturn {body}");
        let want = native(&source);
        let got = run(&source, encode_values(Vec::new()), &[]);
        match (want, got) {
            (Ok(want), Ok(out)) => {
                let got: Vec<String> = decode_values(&out)
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
                prop_assert_eq!(got, want, "{}", source);
            }
            (Err(_), Err(error)) => expected_failure(&error)?,
            (want, got) => prop_assert!(
                false,
                "native {:?}, sandbox {:?}\n{}",
                want,
                got.map(|out| values_to_json(&out).ok()),
                source
            ),
        }
    }
}

// ---- Generated programs: tasks, channels and waits against a model ---------------------------

/// One stage of a pipeline: how it transforms each value, and the ways it waits and fails on the
/// way (each a feature of the scheduler: host waits, yields, user coroutines, pcall, select).
#[derive(Debug, Clone)]
struct Stage {
    add: i64,
    times: i64,
    buffer: u8,
    sleep_every: u8,
    yield_every: u8,
    nest: u8,
    in_pcall: bool,
    raise_every: u8,
    select_timeout: bool,
}

fn stage() -> impl Strategy<Value = Stage> {
    (
        -50i64..50,
        -3i64..4,
        0u8..3,
        0u8..4,
        0u8..4,
        0u8..4,
        any::<bool>(),
        0u8..4,
        any::<bool>(),
    )
        .prop_map(
            |(
                add,
                times,
                buffer,
                sleep_every,
                yield_every,
                nest,
                in_pcall,
                raise_every,
                select_timeout,
            )| Stage {
                add,
                times,
                buffer,
                sleep_every,
                yield_every,
                nest,
                in_pcall,
                raise_every,
                select_timeout,
            },
        )
}

/// A program whose tasks form a pipeline over `values`; the sink's sum is the model's answer.
fn pipeline(stages: &[Stage], values: &[i64]) -> (String, i64) {
    let mut lua = String::from(
        "local time = require('time')\n\
         local function every(n, i) return n > 0 and i % n == 0 end\n",
    );
    lua += &format!("local ch = {{ [0] = channel.new({}) }}\n", values.len());
    for (i, s) in stages.iter().enumerate() {
        let i = i + 1;
        lua += &format!("ch[{i}] = channel.new({})\n", s.buffer);
        // The stage's work on one value, wrapped `nest` times in user coroutines, maybe in pcall;
        // its waits pass out through them to the scheduler.
        let mut work = format!(
            "if every({sleep}, k) then time.sleep(0) end\n\
             if every({raise}, k) then local ok, e = pcall(error, {{ k = k }}) assert(not ok and e.k == k) end\n\
             return v * {times} + {add}",
            sleep = s.sleep_every,
            raise = s.raise_every,
            times = s.times,
            add = s.add,
        );
        for _ in 0..s.nest {
            work = format!("return coroutine.wrap(function()\n{work}\nend)()");
        }
        if s.in_pcall {
            work = format!("local ok, r = pcall(function()\n{work}\nend)\nassert(ok, r)\nreturn r");
        }
        let receive = if s.select_timeout {
            format!(
                "local r = channel.select({{ ch[{p}]:case_receive(), time.after('1h'):case_receive() }})\n\
                 local v, ok = r.value, r.ok",
                p = i - 1
            )
        } else {
            format!("local v, ok = ch[{}]:receive()", i - 1)
        };
        lua += &format!(
            "coroutine.spawn(function()\n  local k = 0\n  while true do\n    {receive}\n    \
             if not ok then break end\n    k = k + 1\n    \
             if every({yield_}, k) then coroutine.yield() end -- lets the other tasks go first\n    \
             local out = (function()\n{work}\nend)()\n    \
             ch[{i}]:send(out)\n  end\n  ch[{i}]:close()\nend)\n",
            yield_ = s.yield_every,
        );
    }
    for v in values {
        lua += &format!("ch[0]:send({v})\n");
    }
    lua += "ch[0]:close()\n";
    lua += &format!(
        "local sum = 0\nfor v in function() local v, ok = ch[{}]:receive() if ok then return v end end do sum = sum + v end\nreturn sum\n",
        stages.len()
    );
    let sum = values
        .iter()
        .map(|&v| {
            stages
                .iter()
                .fold(v, |v, s| v.wrapping_mul(s.times).wrapping_add(s.add))
        })
        .fold(0i64, i64::wrapping_add);
    (lua, sum)
}

proptest! {
    #![proptest_config(config(3000))]

    /// Scheduler programs: a pipeline of tasks computes exactly the model's sum.
    #[test]
    fn generated_pipelines_compute_the_model(
        stages in proptest::collection::vec(stage(), 1..6),
        values in proptest::collection::vec(-1000i64..1000, 0..30),
    ) {
        let (source, want) = pipeline(&stages, &values);
        match run(&source, encode_values(Vec::new()), &["time"]) {
            Ok(out) => {
                let got = decode_values(&out).unwrap();
                prop_assert_eq!(got, vec![Value::from(want)], "{}", source);
            }
            Err(error) => prop_assert!(false, "{}\n{}", error.describe(), source),
        }
    }
}
