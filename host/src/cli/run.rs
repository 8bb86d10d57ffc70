//! `luabox run [DIR] [--exec ID [JSON]...]`
//!
//! Loads the app and starts its `auto_start` process hosts and services (see
//! [`crate::process::supervisor`]). Without `--exec` it runs until SIGINT or SIGTERM, then stops
//! the services gracefully. With `--exec`, once the services are up it runs that entry — a
//! `process.lua` as a process of its own, a `function.lua` as a call — prints its result as JSON,
//! stops the services and exits 0, or 1 with the error (2 for a limit).

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::app::{describe, exit_code, load, parse_json_args, resolve_id};
use super::exit;
use crate::app::{App, CallError, EXEC_HOST};
use crate::codec::{json_to_values, values_to_json};
use crate::durable::service::Workflows;
use crate::kinds::function::returned_error;
use crate::process::supervisor;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Run this entry (process.lua or function.lua) with these JSON arguments once the app is up,
    /// print its result, and stop.
    #[arg(long, num_args = 1.., value_name = "ID [JSON]")]
    exec: Option<Vec<String>>,
}

pub async fn run(args: RunArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let workflows = if app.has_workflows() || app.root().join(crate::app::HISTORY_FILE).exists() {
        match Workflows::serve(&app).await {
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
    tracing::info!(app = %app.root().display(), "serving");
    let code = match &args.exec {
        Some(exec) => run_exec(&app, exec).await,
        None => {
            shutdown.await;
            tracing::info!("shutting down");
            0
        }
    };
    services.stop().await;
    temporal.stop().await;
    if let Some(workflows) = workflows {
        workflows.stop();
    }
    app.databases().close();
    code
}

async fn run_exec(app: &std::sync::Arc<App>, exec: &[String]) -> u8 {
    let Some((id, json_args)) = exec.split_first() else {
        eprintln!("error: --exec needs an entry id");
        return exit::FAILED;
    };
    let prepared =
        resolve_id(app, id).and_then(|id| Ok((id, json_to_values(&parse_json_args(json_args)?))));
    let (id, values) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::FAILED;
        }
    };
    let kind = app.registry().get(&id).map(|entry| entry.kind.clone());
    let result = if kind.as_deref() == Some("process.lua") {
        match app.spawn(&id, EXEC_HOST, values, None) {
            Err(error) => Err(CallError::Invalid(error.message)),
            Ok((_, task)) => match task.await {
                Ok(Ok(values)) => match returned_error(&values) {
                    Some(error) => Err(CallError::Returned(error)),
                    None => Ok(values),
                },
                Ok(Err(error)) => Err(CallError::Run(error)),
                Err(error) => Err(CallError::Invalid(format!(
                    "the process task failed: {error}"
                ))),
            },
        }
    } else {
        app.call(&id, values, 0).await
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
