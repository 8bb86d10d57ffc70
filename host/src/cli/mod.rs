//! The `luabox` command line: clap types and one function per subcommand. No business logic
//! lives here; each subcommand turns its arguments into library calls and an exit code.

mod app;
mod call;
mod check;
mod eval;
mod registry;
mod run;
mod temporal;
mod test;
mod workflow;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "luabox",
    version,
    about = "Run untrusted Lua safely in WebAssembly sandboxes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a Lua file in a fresh sandbox and print its result as JSON.
    Eval(eval::EvalArgs),
    /// Run an app: start its auto_start services and serve until Ctrl-C (or run one entry with
    /// --exec and stop).
    Run(run::RunArgs),
    /// Call a function entry of an app and print its result as JSON.
    Call(call::CallArgs),
    /// Validate an app: YAML, entries, references and Lua syntax, with file:line errors.
    Check(check::CheckArgs),
    /// Inspect an app's registry.
    Registry(registry::RegistryArgs),
    /// Run an app's test functions (`meta.type: test`).
    Test(test::TestArgs),
    /// Start, signal, inspect, cancel and replay durable workflows.
    Workflow(workflow::WorkflowArgs),
}

/// Exit codes shared by the subcommands.
pub mod exit {
    /// The Lua code failed (an error, a syntax error, a bad value), or the input was unusable.
    pub const FAILED: u8 = 1;
    /// A limit stopped the sandbox (deadline, memory, stack).
    pub const LIMIT: u8 = 2;
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        // Sandboxes yield every few ms; checking timers on every poll keeps them on time.
        .event_interval(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Eval(args) => eval::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Call(args) => call::run(args).await,
            Command::Check(args) => check::run(args).await,
            Command::Registry(args) => registry::run(args).await,
            Command::Test(args) => test::run(args).await,
            Command::Workflow(args) => workflow::run(args).await,
        }
    });
    ExitCode::from(code)
}

/// The default log filter: `info`, without PostgreSQL's notices to statements (`NOTICE: table
/// "x" does not exist, skipping`), which are the app's business, not the host's, and without
/// the Temporal SDK's info spans, which would format every activation and completion (luabox
/// logs what its Temporal workers do itself).
const DEFAULT_LOG: &str =
    "info,tokio_postgres::connection=warn,temporalio_sdk_core=warn,temporalio_client=warn";

/// The filter of a terminal app's run (`luabox run --exec` on a `terminal.host`): the terminal
/// shows what the app writes, and only warnings and errors besides.
const QUIET_LOG: &str = "warn";

type FilterHandle =
    tracing_subscriber::reload::Handle<tracing_subscriber::EnvFilter, tracing_subscriber::Registry>;

/// Set when the default filter is in use, so that [`quiet_logging`] may replace it.
static DEFAULT_FILTER: std::sync::OnceLock<FilterHandle> = std::sync::OnceLock::new();

/// Logs (and Lua's `print`) go to stderr; `RUST_LOG` overrides the default filter.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (filter, default) = match tracing_subscriber::EnvFilter::try_from_default_env() {
        Ok(filter) => (filter, false),
        Err(_) => (tracing_subscriber::EnvFilter::new(DEFAULT_LOG), true),
    };
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    if default {
        let _ = DEFAULT_FILTER.set(handle);
    }
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .without_time(),
        )
        .init();
}

/// Log only warnings and errors from now on, unless `RUST_LOG` chose the filter.
pub(crate) fn quiet_logging() {
    if let Some(handle) = DEFAULT_FILTER.get() {
        let _ = handle.reload(tracing_subscriber::EnvFilter::new(QUIET_LOG));
    }
}
