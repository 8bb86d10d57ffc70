//! `luabox run [DIR] [COMMAND [ARG]...] [-x ID [ARG]...] [--host HOST]`
//!
//! Loads the app and starts its `auto_start` process hosts and services (see
//! [`crate::process::supervisor`]). Without `--exec` it runs until SIGINT or SIGTERM, then stops
//! the services gracefully. With `--exec` (`-x`), once the services are up it runs that entry
//! and stops the services after it:
//!
//! - a `process.lua`, when the app has a `terminal.host` (or `--host` names one), runs as that
//!   host's process, with the terminal (the `io` module) and the ARGs as `io.args()`; luabox's
//!   own info logs are left out (`--verbose` keeps them), and the exit code is the integer
//!   `main` returns (0 when it returns none);
//! - otherwise a `process.lua` runs as a process of its own and a `function.lua` as a call, with
//!   the ARGs as JSON arguments; the result is printed as JSON, and the exit code is 0, or 1 with
//!   the error (2 for a limit).
//!
//! A COMMAND is the `meta.command.name` of a `process.lua` entry, run as `-x` runs it; `list`
//! lists them.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::app::{describe, exit_code, load, parse_json_args, resolve_id};
use super::exit;
use crate::app::{App, EXEC_HOST};
use crate::codec::{decode_values, encode_values, json_to_values, values_to_json};
use crate::config::{EntryId, LuaKind, Spec};
use crate::durable::service::Workflows;
use crate::error::CallError;
use crate::kinds::function::returned_error;
use crate::modules::metrics::export::Exporter;
use crate::process::supervisor;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// A command an entry declares (`meta.command.name`) and its arguments, run as --exec runs
    /// the entry; `list` lists the commands.
    #[arg(num_args = 0.., value_name = "COMMAND [ARG]", allow_negative_numbers = true)]
    command: Vec<String>,
    /// Run this entry once the app is up, and stop: a process.lua on the app's terminal.host
    /// (ARGs are its `io.args()`), else the entry with these JSON arguments, printing its result.
    #[arg(short = 'x', long, num_args = 1.., value_name = "ID [ARG]", allow_negative_numbers = true)]
    exec: Option<Vec<String>>,
    /// The terminal.host that runs --exec's process (needed when the app has several).
    #[arg(long, value_name = "ID")]
    host: Option<String>,
    /// With --exec on a terminal.host: keep luabox's own info logs.
    #[arg(short, long)]
    verbose: bool,
}

pub async fn run(args: RunArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let exec = match plan(&app, &args) {
        Ok(Plan::Listed) => return 0,
        Ok(Plan::Serve) => None,
        Ok(Plan::Exec(exec)) => Some(exec),
        Err(message) => {
            eprintln!("error: {message}");
            return exit::FAILED;
        }
    };
    if matches!(exec, Some(Exec::Terminal { .. })) && !args.verbose {
        super::quiet_logging();
    }
    let workflows = if app.has_workflows() || app.root().join(crate::app::HISTORY_FILE).exists() {
        match Workflows::serve(&app.workflow_host()).await {
            Ok(service) => Some(service),
            Err(message) => {
                eprintln!("error: {message}");
                return exit::FAILED;
            }
        }
    } else {
        None
    };
    // Listening before anything starts: a SIGTERM that arrives while services start up must
    // stop them gracefully, not kill the host.
    let shutdown = shutdown_signal();
    let services = match supervisor::start(&app).await {
        Ok(services) => services,
        Err(message) => {
            eprintln!("error: {message}");
            if let Some(workflows) = workflows {
                workflows.stop();
            }
            return exit::FAILED;
        }
    };
    let temporal = crate::temporal::worker::Workers::start(&app);
    let exporter = match Exporter::start_configured(app.root(), app.shared().get()).await {
        Ok(exporter) => exporter,
        Err(message) => {
            eprintln!("error: {message}");
            services.stop().await;
            temporal.stop().await;
            if let Some(workflows) = workflows {
                workflows.stop();
            }
            return exit::FAILED;
        }
    };
    tracing::info!(app = %app.root().display(), "serving");
    let code = match exec {
        // Ctrl-C (or SIGTERM) stops an exec too: what it runs is stopped with the services.
        Some(exec) => tokio::select! {
            code = run_exec(&app, exec) => code,
            () = shutdown => {
                tracing::info!("interrupted; shutting down");
                INTERRUPTED
            }
        },
        None => {
            shutdown.await;
            tracing::info!("shutting down");
            0
        }
    };
    services.stop().await;
    temporal.stop().await;
    if let Some(exporter) = exporter {
        exporter.stop();
    }
    if let Some(workflows) = workflows {
        workflows.stop();
    }
    app.databases().close();
    code
}

/// The exit code of an exec stopped by SIGINT or SIGTERM (a shell's 128 + SIGINT).
const INTERRUPTED: u8 = 130;

async fn run_exec(app: &Arc<App>, exec: Exec) -> u8 {
    match exec {
        Exec::Terminal { id, host, args } => run_on_terminal(app, &id, &host, &args).await,
        Exec::Entry { id, values } => run_entry(app, &id, values).await,
    }
}

/// What `luabox run` was asked to do.
enum Plan {
    /// Serve until a signal.
    Serve,
    /// Run an entry and stop.
    Exec(Exec),
    /// The commands were listed: nothing to run.
    Listed,
}

enum Exec {
    /// A process.lua as the process of terminal.host `host`, with `args` as its `io.args()`.
    Terminal {
        id: EntryId,
        host: String,
        args: Vec<String>,
    },
    /// An entry with these arguments (a MessagePack array), its result printed.
    Entry { id: EntryId, values: Vec<u8> },
}

/// Read the COMMAND, `--exec` and `--host` arguments against the app.
fn plan(app: &App, args: &RunArgs) -> Result<Plan, String> {
    let exec = match (&args.exec, args.command.split_first()) {
        (Some(_), Some(_)) => return Err("give either a COMMAND or --exec, not both".into()),
        (None, Some((name, _))) if name == "list" => {
            list_commands(app);
            return Ok(Plan::Listed);
        }
        (None, Some((name, rest))) => {
            [vec![command_entry(app, name)?.to_string()], rest.to_vec()].concat()
        }
        (Some(exec), None) => exec.clone(),
        (None, None) if args.host.is_some() => return Err("--host goes with --exec".into()),
        (None, None) => return Ok(Plan::Serve),
    };
    let (id, rest) = exec.split_first().ok_or("--exec needs an entry id")?;
    let id = resolve_id(app, id)?;
    let kind = app.registry().get(&id).map(|entry| entry.kind.as_str());
    if let Some(host) = terminal_host(app, args.host.as_deref(), kind)? {
        let args = rest.to_vec();
        return Ok(Plan::Exec(Exec::Terminal { id, host, args }));
    }
    let values = json_to_values(&parse_json_args(rest)?);
    Ok(Plan::Exec(Exec::Entry { id, values }))
}

/// Run `id` with `values` (a process.lua as a process of its own) and print its result.
async fn run_entry(app: &Arc<App>, id: &EntryId, values: Vec<u8>) -> u8 {
    let kind = app.registry().get(id).map(|entry| entry.kind.clone());
    let result = if kind.as_deref() == Some("process.lua") {
        run_process(app, id, EXEC_HOST, values).await
    } else {
        app.call(id, values, 0).await
    };
    match result {
        Ok(values) => {
            let result = values_to_json(&values).unwrap_or_else(|e| json!(format!("{e:#}")));
            println!("{result}");
            0
        }
        Err(error) => {
            eprintln!("error: {id}: {}", describe(&error));
            exit_code(&error)
        }
    }
}

/// The terminal.host that runs a `kind` entry: `host`, else the app's only one (none for a
/// function, or in an app without one).
fn terminal_host(
    app: &App,
    host: Option<&str>,
    kind: Option<&str>,
) -> Result<Option<String>, String> {
    let terminals: Vec<String> = app
        .registry()
        .entries()
        .filter(|entry| matches!(&entry.spec, Spec::ProcessHost(host) if host.terminal.is_some()))
        .map(|entry| entry.id.to_string())
        .collect();
    match host {
        Some(host) => {
            let host = resolve_id(app, host)?.to_string();
            if !terminals.contains(&host) {
                return Err(format!(
                    "--host: '{host}' is not a terminal.host of this app"
                ));
            }
            if kind != Some("process.lua") {
                return Err(format!(
                    "--host runs a process.lua on a terminal, and this entry is a {}",
                    kind.unwrap_or("missing entry")
                ));
            }
            Ok(Some(host))
        }
        None if kind != Some("process.lua") => Ok(None),
        None => match terminals.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => Err(format!(
                "the app has {} terminal hosts ({}): choose one with --host",
                many.len(),
                many.join(", ")
            )),
        },
    }
}

/// Run `id` as the process of terminal host `host`, with `args` as its `io.args()`; the exit code
/// is the integer its main function returns.
async fn run_on_terminal(app: &Arc<App>, id: &EntryId, host: &str, args: &[String]) -> u8 {
    app.terminal().set_args(args.to_vec());
    // `-x` names the terminal: it serves this run even without lifecycle.auto_start.
    app.node().set_host_running(host, true);
    let values = match run_process(app, id, host, encode_values(Vec::new())).await {
        Ok(values) => values,
        Err(error) => {
            eprintln!("error: {id}: {}", describe(&error));
            return exit_code(&error);
        }
    };
    match decode_values(&values)
        .ok()
        .and_then(|v| v.into_iter().next())
    {
        Some(rmpv::Value::Integer(n)) => n
            .as_i64()
            .map_or(exit::FAILED, |n| u8::try_from(n).unwrap_or(exit::FAILED)),
        _ => 0,
    }
}

/// Spawn process `id` on `host` with `args` (a MessagePack array) and wait for its result; a
/// returned `nil, err` is an error.
async fn run_process(
    app: &Arc<App>,
    id: &EntryId,
    host: &str,
    args: Vec<u8>,
) -> Result<Vec<u8>, CallError> {
    let (_, task) = app
        .spawn(id, host, args, None, crate::engine::Extensions::default())
        .map_err(|error| CallError::Invalid(error.message))?;
    match task.await {
        Ok(Ok(values)) => match returned_error(&values) {
            Some(error) => Err(CallError::Returned(error)),
            None => Ok(values),
        },
        Ok(Err(error)) => Err(CallError::Run(error)),
        Err(error) => Err(CallError::Invalid(format!(
            "the process task failed: {error}"
        ))),
    }
}

/// The `process.lua` entry whose `meta.command.name` is `name`.
fn command_entry(app: &App, name: &str) -> Result<EntryId, String> {
    let commands = commands(app);
    match commands.iter().find(|(command, _, _)| command == name) {
        Some((_, id, _)) => Ok(id.clone()),
        None => {
            let names: Vec<&str> = commands.iter().map(|(n, _, _)| n.as_str()).collect();
            Err(format!(
                "no command '{name}' in this app (commands: {}; an entry declares one with \
                 meta.command.name)",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        }
    }
}

fn list_commands(app: &App) {
    let commands = commands(app);
    if commands.is_empty() {
        println!("no commands (a process.lua entry declares one with meta.command.name)");
        return;
    }
    let width = commands
        .iter()
        .map(|(name, _, _)| name.len())
        .max()
        .unwrap_or(0);
    println!("Available commands:");
    for (name, id, short) in commands {
        println!("  {name:width$}  {short} ({id})");
    }
}

/// (name, entry, short description) of every command the app's process.lua entries declare.
fn commands(app: &App) -> Vec<(String, EntryId, String)> {
    let mut commands: Vec<_> = app
        .registry()
        .entries()
        .filter(|entry| entry.lua_kind() == Some(LuaKind::Process))
        .filter_map(|entry| {
            let command = entry.meta.get("command")?;
            let name = command.get("name")?.as_str()?;
            let short = command.get("short").and_then(|s| s.as_str()).unwrap_or("");
            Some((name.to_owned(), entry.id.clone(), short.to_owned()))
        })
        .collect();
    commands.sort();
    commands
}

/// Resolves on SIGINT or SIGTERM; the handlers are installed when this is called, not when
/// it is first awaited.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
