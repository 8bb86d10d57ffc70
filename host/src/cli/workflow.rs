//! `luabox workflow start|signal|list|show|cancel|terminate|replay`: durable workflows from the
//! command line (see [`crate::durable`]).
//!
//! These commands write to the app's history store (`.luabox/workflows.db`). A `luabox run` of
//! the same app serves the workflows and picks the writes up within a fraction of a second;
//! without one, `start --wait` serves them here until the started workflow closes.
//!
//! With `--worker ID`, `start`, `signal`, `cancel`, `terminate` and `wait` address the Temporal
//! cluster of `temporal.worker` entry ID instead ([`super::temporal`]).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::{Value as Json, json};

use super::app::{load, parse_json_args, resolve_id};
use super::exit;
use crate::app::App;
use crate::codec::json_to_values;
use crate::durable::event::Recorded;
use crate::durable::runner::{CANCEL_TOPIC, TERMINATE_TOPIC};
use crate::durable::service::{self, Workflows, is_served, outcome_of, start_in};
use crate::durable::verify::{self, Exported};
use crate::durable::{Started, Status, Workflow};

#[derive(Debug, Args)]
pub struct WorkflowArgs {
    /// The app directory.
    #[arg(long, global = true, default_value = ".")]
    dir: PathBuf,
    #[command(subcommand)]
    command: WorkflowCommand,
}

#[derive(Debug, Subcommand)]
enum WorkflowCommand {
    /// Start a workflow.lua entry with JSON arguments; prints its id (or, with --wait, its result).
    Start {
        entry: String,
        #[arg(value_name = "JSON")]
        args: Vec<String>,
        /// The workflow id (default: a new UUID). Starting an id that exists returns that workflow.
        #[arg(long)]
        id: Option<String>,
        /// Wait for the workflow to close and print its result (served here if no `luabox run`
        /// serves the app; on Temporal, a worker must run it).
        #[arg(long)]
        wait: bool,
        /// Start it on the Temporal cluster of this temporal.worker entry (the entry must be
        /// registered with it); the default is the embedded engine.
        #[arg(long)]
        worker: Option<String>,
        /// Temporal start options as JSON: {"temporal.workflow.execution_timeout": "1h",
        /// "temporal.workflow.id_conflict_policy": "fail", "temporal.workflow.retry_policy": {...}}.
        #[arg(long, requires = "worker")]
        options: Option<String>,
    },
    /// Wait for a workflow to close and print its result (or its error, exit 1).
    Wait {
        workflow_id: String,
        /// The workflow runs on the Temporal cluster of this temporal.worker entry.
        #[arg(long)]
        worker: Option<String>,
    },
    /// Send a signal: delivered to the workflow's process.inbox() / process.listen(TOPIC).
    Signal {
        workflow_id: String,
        topic: String,
        #[arg(value_name = "JSON")]
        args: Vec<String>,
        /// The workflow runs on the Temporal cluster of this temporal.worker entry.
        #[arg(long)]
        worker: Option<String>,
    },
    /// List workflows, newest first.
    List {
        /// Only workflows with this status (running, completed, failed, canceled, terminated).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a workflow's history as a table, or as JSON for `luabox workflow replay`.
    Show {
        workflow_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Ask a workflow to cancel: a CANCEL event on its process.events(), or closed as canceled
    /// when it is not listening.
    Cancel {
        workflow_id: String,
        #[arg(default_value = "canceled from the command line")]
        reason: String,
        /// The workflow runs on the Temporal cluster of this temporal.worker entry.
        #[arg(long)]
        worker: Option<String>,
    },
    /// End a workflow at once.
    Terminate {
        workflow_id: String,
        #[arg(default_value = "terminated from the command line")]
        reason: String,
        /// The workflow runs on the Temporal cluster of this temporal.worker entry.
        #[arg(long)]
        worker: Option<String>,
    },
    /// Replay an exported history (from `show --json`) against the current code; exits 1 if
    /// the code no longer does what the history recorded.
    Replay {
        history: PathBuf,
        /// The workflow.lua entry to replay with (default: the one the history names).
        #[arg(long)]
        entry: Option<String>,
    },
}

pub async fn run(args: WorkflowArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let outcome = match args.command {
        WorkflowCommand::Start {
            entry,
            args: json_args,
            id,
            wait,
            worker: Some(worker),
            options,
        } => {
            super::temporal::start(
                &app,
                &worker,
                &entry,
                &json_args,
                id,
                options.as_deref(),
                wait,
            )
            .await
        }
        WorkflowCommand::Start {
            entry,
            args: json_args,
            id,
            wait,
            ..
        } => start(&app, &entry, &json_args, id, wait).await,
        WorkflowCommand::Wait {
            workflow_id,
            worker: Some(worker),
        } => super::temporal::wait(&app, &worker, &workflow_id).await,
        WorkflowCommand::Wait { workflow_id, .. } => wait(&app, &workflow_id).await,
        WorkflowCommand::Signal {
            workflow_id,
            topic,
            args: json_args,
            worker: Some(worker),
        } => super::temporal::signal(&app, &worker, &workflow_id, &topic, &json_args).await,
        WorkflowCommand::Signal {
            workflow_id,
            topic,
            args: json_args,
            ..
        } => signal(&app, &workflow_id, &topic, &json_args).await,
        WorkflowCommand::List { status, json } => list(&app, status.as_deref(), json).await,
        WorkflowCommand::Show { workflow_id, json } => show(&app, &workflow_id, json).await,
        WorkflowCommand::Cancel {
            workflow_id,
            reason,
            worker: Some(worker),
        } => super::temporal::stop(&app, &worker, &workflow_id, &reason, false).await,
        WorkflowCommand::Cancel {
            workflow_id,
            reason,
            ..
        } => request(&app, &workflow_id, CANCEL_TOPIC, &reason).await,
        WorkflowCommand::Terminate {
            workflow_id,
            reason,
            worker: Some(worker),
        } => super::temporal::stop(&app, &worker, &workflow_id, &reason, true).await,
        WorkflowCommand::Terminate {
            workflow_id,
            reason,
            ..
        } => request(&app, &workflow_id, TERMINATE_TOPIC, &reason).await,
        WorkflowCommand::Replay { history, entry } => {
            replay(&app, &history, entry.as_deref()).await
        }
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            exit::FAILED
        }
    }
}

fn not_served_note(app: &App, what: &str) {
    if !is_served(app.root()) {
        eprintln!(
            "note: no `luabox run` serves {}; {what} when one does",
            app.root().display()
        );
    }
}

async fn start(
    app: &Arc<App>,
    entry: &str,
    json_args: &[String],
    id: Option<String>,
    wait: bool,
) -> Result<u8, String> {
    let entry = resolve_id(app, entry)?;
    let input = json_to_values(&parse_json_args(json_args)?);
    let serving = if wait && !is_served(app.root()) {
        Some(Workflows::serve(&app.workflow_host()).await?)
    } else {
        None
    };
    let store = app.history_store().map_err(|e| e.to_string())?;
    let started = match &serving {
        Some(service) => service.start(&entry, input, id).await,
        None => start_in(&*app.workflow_host(), &store, &entry, input, id, None)
            .await
            .map(|(started, _)| started),
    }
    .map_err(|e| e.to_string())?;
    let (workflow, existing) = match started {
        Started::New(workflow) => (workflow, false),
        Started::Existing(workflow) => (workflow, true),
    };
    if !wait {
        println!(
            "{}",
            json!({"workflow_id": workflow.id, "status": workflow.status.as_str(), "existing": existing})
        );
        if workflow.status == Status::Running {
            not_served_note(app, "it runs");
        }
        return Ok(0);
    }
    let closed = match &serving {
        Some(service) => service.wait_closed(&workflow.id).await,
        None => poll_closed(&store, &workflow.id).await,
    }
    .map_err(|e| e.to_string())?;
    if let Some(service) = serving {
        service.stop();
    }
    Ok(print_outcome(&closed))
}

/// Wait for workflow `id` to close (served here if no `luabox run` serves the app) and print
/// its result.
async fn wait(app: &Arc<App>, id: &str) -> Result<u8, String> {
    let store = app.history_store().map_err(|e| e.to_string())?;
    let closed = if is_served(app.root()) {
        poll_closed(&store, id).await
    } else {
        let service = Workflows::serve(&app.workflow_host()).await?;
        let closed = service.wait_closed(id).await;
        service.stop();
        closed
    }
    .map_err(|e| e.to_string())?;
    Ok(print_outcome(&closed))
}

async fn poll_closed(
    store: &Arc<dyn crate::durable::HistoryStore>,
    id: &str,
) -> Result<Workflow, crate::durable::StoreError> {
    loop {
        let workflow = store.get(id).await?;
        if workflow.status != Status::Running {
            return Ok(workflow);
        }
        tokio::time::sleep(service::POLL_INTERVAL).await;
    }
}

/// Print a closed workflow's result (stdout) or error (stderr); the exit code.
fn print_outcome(workflow: &Workflow) -> u8 {
    match outcome_of(workflow) {
        Ok(values) => {
            let result = crate::codec::values_to_json(&values).unwrap_or(Json::Null);
            println!("{result}");
            0
        }
        Err(error) => {
            eprintln!(
                "error: workflow {} {}: {error}",
                workflow.id,
                workflow.status.as_str()
            );
            exit::FAILED
        }
    }
}

async fn signal(app: &Arc<App>, id: &str, topic: &str, json_args: &[String]) -> Result<u8, String> {
    let values = json_to_values(&parse_json_args(json_args)?);
    let store = app.history_store().map_err(|e| e.to_string())?;
    service::enqueue(&store, id, topic, None, values)
        .await
        .map_err(|e| e.to_string())?;
    not_served_note(app, "the workflow receives it");
    Ok(0)
}

async fn request(app: &Arc<App>, id: &str, topic: &str, reason: &str) -> Result<u8, String> {
    let store = app.history_store().map_err(|e| e.to_string())?;
    service::request(&store, id, topic, reason)
        .await
        .map_err(|e| e.to_string())?;
    not_served_note(app, "it takes effect");
    Ok(0)
}

fn workflow_json(workflow: &Workflow) -> Json {
    json!({
        "workflow_id": workflow.id,
        "entry": workflow.entry,
        "status": workflow.status.as_str(),
        "events": workflow.events,
        "created_ms": workflow.created_ms,
        "updated_ms": workflow.updated_ms,
    })
}

async fn list(app: &Arc<App>, status: Option<&str>, json: bool) -> Result<u8, String> {
    let status = status
        .map(|text| {
            Status::parse(text).ok_or_else(|| {
                format!(
                    "unknown status '{text}' (running, completed, failed, canceled, terminated)"
                )
            })
        })
        .transpose()?;
    let store = app.history_store().map_err(|e| e.to_string())?;
    let workflows = store.list(status).await.map_err(|e| e.to_string())?;
    if json {
        let all: Vec<Json> = workflows.iter().map(workflow_json).collect();
        println!("{}", Json::Array(all));
        return Ok(0);
    }
    println!(
        "{:<40} {:<24} {:<10} {:>6}  CREATED",
        "WORKFLOW", "ENTRY", "STATUS", "EVENTS"
    );
    for workflow in &workflows {
        println!(
            "{:<40} {:<24} {:<10} {:>6}  {}",
            workflow.id,
            workflow.entry,
            workflow.status.as_str(),
            workflow.events,
            format_ms(workflow.created_ms)
        );
    }
    Ok(0)
}

fn format_ms(ms: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}

async fn show(app: &Arc<App>, id: &str, json: bool) -> Result<u8, String> {
    let store = app.history_store().map_err(|e| e.to_string())?;
    let history = store.load(id).await.map_err(|e| e.to_string())?;
    let mut events = Vec::with_capacity(history.events.len());
    for event in &history.events {
        let recorded = Recorded::parse(&event.payload)
            .map_err(|message| format!("event #{}: {message}", event.seq))?;
        events.push((event.seq, event.recorded_ms, recorded));
    }
    let workflow = &history.workflow;
    if json {
        let mut export = workflow_json(workflow);
        let exported: Vec<Json> = events
            .iter()
            .map(|(seq, recorded_ms, event)| {
                let mut object = json!({"seq": seq, "recorded_ms": recorded_ms});
                if let (Some(object), Ok(Json::Object(fields))) =
                    (object.as_object_mut(), serde_json::to_value(event))
                {
                    object.extend(fields);
                }
                object
            })
            .collect();
        export["events"] = Json::Array(exported);
        println!(
            "{}",
            serde_json::to_string_pretty(&export).unwrap_or_default()
        );
        return Ok(0);
    }
    println!("workflow  {}", workflow.id);
    println!("entry     {}", workflow.entry);
    println!("status    {}", workflow.status.as_str());
    println!("created   {}", format_ms(workflow.created_ms));
    if workflow.status != Status::Running {
        let outcome = match outcome_of(workflow) {
            Ok(values) => crate::codec::values_to_json(&values)
                .unwrap_or(Json::Null)
                .to_string(),
            Err(error) => format!("error: {error}"),
        };
        println!("closed    {}", format_ms(workflow.updated_ms));
        println!("result    {outcome}");
    }
    if !history.signals.is_empty() {
        println!("inbox     {} signal(s) waiting", history.signals.len());
    }
    println!();
    println!(
        "{:>5}  {:<24} {:<20} {:<5} {:<20} DETAILS",
        "SEQ", "TIME", "EVENT", "CMD", "LINE"
    );
    for (seq, recorded_ms, event) in &events {
        let cmd = event.cmd().map_or(String::new(), |cmd| format!("#{cmd}"));
        println!(
            "{seq:>5}  {:<24} {:<20} {cmd:<5} {:<20} {}",
            format_ms(*recorded_ms),
            event.kind(),
            event.line().unwrap_or(""),
            event.describe()
        );
    }
    Ok(0)
}

async fn replay(app: &Arc<App>, path: &PathBuf, entry: Option<&str>) -> Result<u8, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Json = crate::codec::lossless::parse_json(text.as_bytes())
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let history = Exported::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?;
    let entry = entry.map(|text| resolve_id(app, text)).transpose()?;
    let workflow_id = history.workflow_id.clone();
    match verify::replay(&app.workflow_host(), history, entry.as_ref()).await {
        Ok(verified) => {
            println!(
                "replayed {} events of workflow {workflow_id}: the code matches the history ({})",
                verified.events,
                verified.closed.unwrap_or("still open")
            );
            Ok(0)
        }
        Err(message) => {
            eprintln!("{}: {message}", path.display());
            Ok(exit::FAILED)
        }
    }
}
