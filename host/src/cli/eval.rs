//! `luabox eval FILE [--arg JSON]... [--timeout DUR] [--memory SIZE] [--modules a,b] [--json]`
//!
//! Runs the file (or stdin for `-`) in a fresh sandbox. If the chunk returns a function it is
//! called with the arguments. The result is printed as JSON: one value as itself, none as `null`,
//! several as an array; `nil, err` is a failure. A Lua error prints its message and traceback
//! to stderr and exits 1; a limit breach exits 2.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value as Json, json};

use super::exit;
use crate::codec::{decode_values, json_to_values, msgpack_to_json, values_to_json};
use crate::engine::{Engine, EngineConfig, Invocation, Limits};
use crate::error::RunError;
use crate::units::{parse_duration, parse_size};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The Lua file to run; `-` reads it from stdin.
    file: PathBuf,
    /// An argument for the function the chunk returns, as JSON (repeatable).
    #[arg(long = "arg", value_name = "JSON")]
    args: Vec<String>,
    /// Wall-clock limit for the whole run.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    timeout: String,
    /// Linear-memory limit of the sandbox.
    #[arg(long, value_name = "SIZE", default_value = "64MiB")]
    memory: String,
    /// Modules the script may `require` (comma-separated).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    modules: Vec<String>,
    /// Print a JSON object with the result or the error instead of plain output.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: EvalArgs) -> u8 {
    let json = args.json;
    match prepare(args) {
        Ok(invocation) => report(execute(invocation).await, json),
        Err(message) => report(Err(Failure::Input(message)), json),
    }
}

enum Failure {
    Input(String),
    Run(RunError),
    /// The chunk returned `nil, err`.
    Returned(Json),
}

fn prepare(args: EvalArgs) -> Result<Invocation, String> {
    let (source, chunk_name, entry) = if args.file.as_os_str() == "-" {
        let mut source = Vec::new();
        std::io::stdin()
            .read_to_end(&mut source)
            .map_err(|e| format!("cannot read the script from stdin: {e}"))?;
        (source, "=stdin".to_owned(), "eval:stdin".to_owned())
    } else {
        let path = args.file.display().to_string();
        let source = std::fs::read(&args.file).map_err(|e| format!("cannot read {path}: {e}"))?;
        (source, format!("@{path}"), format!("eval:{path}"))
    };
    // Typed Lua becomes plain Lua line for line; bytes that are not UTF-8 are left to Lua.
    let source = match std::str::from_utf8(&source) {
        Ok(text) => match crate::typed::to_plain_lua(text) {
            Ok(plain) => plain.into_owned().into_bytes(),
            Err(error) => {
                let shown = crate::config::shown_chunk_name(&chunk_name);
                return Err(format!("{shown}:{}: {}", error.line, error.message));
            }
        },
        Err(_) => source,
    };
    let arguments = args
        .args
        .iter()
        .enumerate()
        .map(|(i, text)| {
            serde_json::from_str(text).map_err(|e| format!("--arg #{}: invalid JSON: {e}", i + 1))
        })
        .collect::<Result<Vec<Json>, _>>()?;
    let limits = Limits {
        memory: parse_size(&args.memory).map_err(|e| format!("--memory: {e:#}"))?,
        deadline: parse_duration(&args.timeout).map_err(|e| format!("--timeout: {e:#}"))?,
        ..Limits::default()
    };
    let modules: Vec<&str> = args.modules.iter().map(String::as_str).collect();
    let mut invocation = Invocation::script(&entry, "").allow_modules(&modules);
    invocation.chunks[0].chunk_name = chunk_name;
    invocation.chunks[0].code = source.into();
    invocation.args = json_to_values(&arguments);
    invocation.limits = limits;
    Ok(invocation)
}

async fn execute(invocation: Invocation) -> Result<Json, Failure> {
    let engine = Engine::new(EngineConfig::default(), crate::modules::interfaces())
        .map_err(|e| Failure::Input(format!("cannot start the engine: {e:#}")))?;
    let payload = engine.run(invocation).await.map_err(Failure::Run)?;
    let values = decode_values(&payload).map_err(|e| Failure::Run(RunError::Host(e)))?;
    match values.as_slice() {
        [] => Ok(Json::Null),
        [value] => Ok(msgpack_to_json(value)),
        [rmpv::Value::Nil, error, ..] if !error.is_nil() => {
            Err(Failure::Returned(msgpack_to_json(error)))
        }
        values => Ok(Json::Array(values.iter().map(msgpack_to_json).collect())),
    }
}

/// What a failed run reports: on stderr for people, as one JSON object with `--json`.
struct Report {
    code: u8,
    kind: &'static str,
    message: String,
    traceback: String,
    /// The raised value when it was not a string (an error table).
    value: Option<Json>,
}

impl Report {
    fn new(code: u8, kind: &'static str, message: String) -> Self {
        Report {
            code,
            kind,
            message,
            traceback: String::new(),
            value: None,
        }
    }
}

fn report(outcome: Result<Json, Failure>, as_json: bool) -> u8 {
    let report = match outcome {
        Ok(result) => {
            if as_json {
                println!("{}", json!({"ok": true, "result": result}));
            } else {
                println!("{result}");
            }
            return 0;
        }
        Err(Failure::Input(message)) => Report::new(exit::FAILED, "input", message),
        Err(Failure::Returned(error)) => {
            let message = match error {
                Json::String(text) => text,
                other => other.to_string(),
            };
            Report::new(exit::FAILED, "returned", message)
        }
        Err(Failure::Run(RunError::Lua(failure))) => Report {
            code: exit::FAILED,
            kind: failure.kind.name(),
            message: failure.message,
            traceback: failure.traceback,
            value: failure
                .value
                .and_then(|payload| values_to_json(&payload).ok()),
        },
        Err(Failure::Run(error)) => {
            let code = if error.is_limit() {
                exit::LIMIT
            } else {
                exit::FAILED
            };
            Report::new(code, error.kind(), error.to_string())
        }
    };
    if as_json {
        let error = json!({
            "kind": report.kind,
            "message": report.message,
            "traceback": report.traceback,
            "value": report.value,
        });
        println!("{}", json!({"ok": false, "error": error}));
    } else if report.traceback.is_empty() {
        eprintln!("error: {}", report.message);
    } else {
        eprintln!("error: {}\n{}", report.message, report.traceback);
    }
    report.code
}
