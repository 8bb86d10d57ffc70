//! `luabox workflow start|signal|cancel|terminate|wait --worker ID`: workflows on the Temporal
//! cluster of `temporal.worker` entry ID (see [`crate::temporal`]). A `luabox run` of the app
//! (or any worker polling the same task queue) runs them; these commands only talk to the
//! cluster.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::app::{parse_json_args, resolve_id};
use super::exit;
use crate::app::App;
use crate::codec::{ErrorObject, json_to_values};
use crate::config::EntryId;
use crate::temporal::remote::parse_options;

fn failed(error: ErrorObject) -> String {
    error.to_string()
}

/// Start `entry` on `worker`; prints its id, run id and pid (or, with `wait`, its result).
pub async fn start(
    app: &Arc<App>,
    worker: &str,
    entry: &str,
    json_args: &[String],
    id: Option<String>,
    options: Option<&str>,
    wait: bool,
) -> Result<u8, String> {
    let worker = resolve_id(app, worker)?;
    let entry = resolve_id(app, entry)?;
    let input = json_to_values(&parse_json_args(json_args)?);
    let options: Json = match options {
        Some(text) => serde_json::from_str(text)
            .map_err(|error| format!("--options: invalid JSON ({error}): {text}"))?,
        None => Json::Null,
    };
    let (options, option_id) = parse_options(&options).map_err(failed)?;
    let started = app
        .temporal()
        .start(
            &worker,
            &entry,
            id.or(option_id),
            &input,
            &options,
            Default::default(),
        )
        .await
        .map_err(failed)?;
    if !wait {
        println!(
            "{}",
            json!({"workflow_id": started.workflow_id, "run_id": started.run_id, "pid": started.pid})
        );
        return Ok(0);
    }
    await_outcome(app, &worker, &started.workflow_id).await
}

async fn await_outcome(app: &Arc<App>, worker: &EntryId, id: &str) -> Result<u8, String> {
    match app.temporal().outcome(worker, id).await.map_err(failed)? {
        Ok(values) => {
            let result = crate::codec::values_to_json(&values).unwrap_or(Json::Null);
            println!("{result}");
            Ok(0)
        }
        Err(error) => {
            eprintln!("error: workflow {id} failed: {error}");
            Ok(exit::FAILED)
        }
    }
}

/// Wait for workflow `id` to close and print its result.
pub async fn wait(app: &Arc<App>, worker: &str, id: &str) -> Result<u8, String> {
    let worker = resolve_id(app, worker)?;
    await_outcome(app, &worker, id).await
}

pub async fn signal(
    app: &Arc<App>,
    worker: &str,
    id: &str,
    topic: &str,
    json_args: &[String],
) -> Result<u8, String> {
    let worker = resolve_id(app, worker)?;
    let values = json_to_values(&parse_json_args(json_args)?);
    app.temporal()
        .signal(&worker, id, topic, &values, None)
        .await
        .map_err(failed)?;
    Ok(0)
}

/// Cancel workflow `id`, or with `terminate` end it at once.
pub async fn stop(
    app: &Arc<App>,
    worker: &str,
    id: &str,
    reason: &str,
    terminate: bool,
) -> Result<u8, String> {
    let worker = resolve_id(app, worker)?;
    app.temporal()
        .stop(&worker, id, reason, terminate)
        .await
        .map_err(failed)?;
    Ok(0)
}
