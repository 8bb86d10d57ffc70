//! Data-driven Lua cases: one trial per folder under `tests/cases/`.
//!
//! A folder holds `main.lua` and either `expect.json` (the result, as `luabox eval` prints it)
//! or `error.txt`: a first line `kind: NAME` (runtime, syntax, value, deadline, memory, ...) and
//! then lines that must each appear in the error message. `main.lua` may start with directives:
//!
//! ```lua
//! --! args: [1, {"x": 2}]     JSON array of arguments
//! --! modules: time           modules the script may require
//! --! timeout: 200ms
//! --! memory: 32MiB
//! --! max-payload: 1024
//! --! max-pending: 100
//! ```
//!
//! Every case runs in-process on one shared engine, so a hostile case that leaves the engine in
//! a bad state fails the cases after it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use luabox::codec::{json_to_values, values_to_json};
use luabox::engine::{Engine, EngineConfig, Invocation, Limits};
use luabox::units::{parse_duration, parse_size};
use serde_json::Value as Json;

fn main() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases)
        .expect("tests/cases exists")
        .map(|entry| entry.expect("readable tests/cases").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    let trials = dirs
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run_case(&dir))
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

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

fn run_case(dir: &Path) -> Result<(), Failed> {
    let source = std::fs::read_to_string(dir.join("main.lua"))?;
    let invocation = invocation_for(dir, &source)?;
    let shared = shared();
    let outcome = shared.runtime.block_on(shared.engine.run(invocation));
    let expect = dir.join("expect.json");
    let error = dir.join("error.txt");
    match (outcome, expect.exists(), error.exists()) {
        (Ok(payload), true, false) => {
            let want: Json = serde_json::from_str(&std::fs::read_to_string(&expect)?)?;
            let got = values_to_json(&payload)?;
            if got != want {
                return Err(format!("result {got}\n  expected {want}").into());
            }
            Ok(())
        }
        (Err(err), false, true) => {
            let text = std::fs::read_to_string(&error)?;
            let mut lines = text.lines();
            let kind = lines
                .next()
                .and_then(|line| line.strip_prefix("kind: "))
                .ok_or("error.txt must start with `kind: NAME`")?;
            if err.kind() != kind {
                return Err(format!("error kind {} (expected {kind}): {err}", err.kind()).into());
            }
            let message = err.to_string();
            for needle in lines.filter(|line| !line.trim().is_empty()) {
                if !message.contains(needle) {
                    return Err(format!("error lacks {needle:?}:\n{message}").into());
                }
            }
            Ok(())
        }
        (Ok(payload), false, true) => {
            Err(format!("expected an error, got {}", values_to_json(&payload)?).into())
        }
        (Err(err), true, false) => Err(format!("expected a result, got error: {err}").into()),
        _ => Err("a case needs exactly one of expect.json and error.txt".into()),
    }
}

fn invocation_for(dir: &Path, source: &str) -> Result<Invocation, Failed> {
    let name = dir.file_name().unwrap().to_string_lossy();
    let mut invocation = Invocation::script(&format!("case:{name}"), source);
    invocation.chunks[0].chunk_name = format!("@{name}/main.lua");
    let mut limits = Limits::default();
    for line in source.lines().map_while(|line| line.strip_prefix("--! ")) {
        let (key, value) = line.split_once(':').ok_or("directive needs `key: value`")?;
        let value = value.trim();
        match key.trim() {
            "args" => {
                let args: Vec<Json> = serde_json::from_str(value)?;
                invocation.args = json_to_values(&args);
            }
            "modules" => {
                let modules: Vec<&str> = value.split(',').map(str::trim).collect();
                invocation = invocation.allow_modules(&modules);
            }
            "timeout" => limits.deadline = parse_duration(value)?,
            "memory" => limits.memory = parse_size(value)?,
            "max-payload" => limits.max_payload = value.parse()?,
            "max-pending" => limits.max_pending = value.parse()?,
            other => return Err(format!("unknown directive {other:?}").into()),
        }
    }
    invocation.limits = limits;
    Ok(invocation)
}
