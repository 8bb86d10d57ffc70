//! Replaying a recorded history against the current code without a store or side effects:
//! what `luabox workflow replay HISTORY.json` does, so a test suite can keep histories and learn
//! when a code change would break the workflows they came from.
//!
//! The replay passes when the code issues every recorded command in order and then ends the
//! way the history did: it finishes with the same result when the history completed, fails
//! when it failed, and waits for more when the history was still open.

use std::sync::Arc;

use serde_json::Value as Json;

use super::event::{Recorded, Sort};
use super::host::WorkflowHost;
use super::replay::{WorkflowState, workflow_state};
use super::sandbox::replayed_sandbox;
use crate::codec::lossless::values_to_json;
use crate::config::EntryId;
use crate::engine::Progress;
use crate::kinds::function::returned_error;

/// An exported history: what `luabox workflow show --json` prints.
pub struct Exported {
    pub workflow_id: String,
    pub entry: String,
    pub events: Vec<(u64, Recorded)>,
}

impl Exported {
    pub fn parse(json: &Json) -> Result<Exported, String> {
        let text = |name: &str| {
            json[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("the history has no \"{name}\""))
        };
        let workflow_id = text("workflow_id")?;
        let entry = text("entry")?;
        let events = json["events"]
            .as_array()
            .ok_or("the history has no \"events\" list")?;
        let mut parsed = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let mut event = event.clone();
            let seq = event
                .as_object_mut()
                .and_then(|object| {
                    object.remove("recorded_ms");
                    object.remove("seq")
                })
                .and_then(|seq| seq.as_u64())
                .ok_or_else(|| format!("event {}: no \"seq\" number", index + 1))?;
            let recorded: Recorded =
                serde_json::from_value(event).map_err(|error| format!("event #{seq}: {error}"))?;
            parsed.push((seq, recorded));
        }
        Ok(Exported {
            workflow_id,
            entry,
            events: parsed,
        })
    }
}

/// What a successful replay found.
#[derive(Debug)]
pub struct Verified {
    pub events: usize,
    /// How the history ends: `None` while it is open.
    pub closed: Option<&'static str>,
}

/// Replay `history` with `entry` (by default the entry it was recorded with) of `app`.
pub async fn replay(
    app: &Arc<dyn WorkflowHost>,
    history: Exported,
    entry: Option<&EntryId>,
) -> Result<Verified, String> {
    let entry_id = match entry {
        Some(id) => id.clone(),
        None => EntryId::resolve(&history.entry, "")?,
    };
    let workflow = app
        .workflow(&entry_id)
        .ok_or_else(|| format!("the app has no workflow.lua entry '{entry_id}'"))?;
    let input = match history.events.first() {
        Some((_, Recorded::Started { input, .. })) => {
            crate::codec::lossless::json_to_values(input)?
        }
        _ => return Err("the history does not begin with workflow.started".into()),
    };
    let close = history
        .events
        .iter()
        .find(|(_, event)| event.sort() == Sort::Close)
        .map(|(_, event)| event.clone());
    let count = history.events.len();
    let events = history
        .events
        .into_iter()
        .map(|(seq, event)| {
            let size = super::runner::event_size(&event);
            (seq, event, size)
        })
        .collect();
    let state = WorkflowState::new(&history.workflow_id, events)?;
    let (mut session, progress) = replayed_sandbox(app, workflow, state, input)
        .await
        .map_err(|error| format!("cannot create the sandbox: {error}"))?;
    let state = workflow_state(&mut session);
    if let Some(divergence) = state.divergence() {
        return Err(divergence.to_string());
    }
    let replaying = state.replaying();
    let ended = match (&progress, &close) {
        // Ended from outside: the code had got as far as the history goes.
        (_, Some(Recorded::Terminated { .. } | Recorded::WorkflowCanceled { .. })) => Ok(()),
        (Err(_), Some(Recorded::Failed { .. })) => Ok(()),
        (Err(error), _) => Err(format!("the code failed: {}", error.describe())),
        (Ok(Progress::Waiting), None) => Ok(()),
        (Ok(Progress::Waiting), Some(event)) => Err(format!(
            "the history ends with {}, but the code still waits",
            event.kind()
        )),
        (Ok(Progress::Done(values)), Some(Recorded::Completed { values: recorded }))
            if returned_error(values).is_none() =>
        {
            let now = values_to_json(values)?;
            if now == *recorded {
                Ok(())
            } else {
                Err(format!(
                    "the code finished with {now}, but the history recorded {recorded}"
                ))
            }
        }
        (Ok(Progress::Done(values)), Some(Recorded::Failed { .. }))
            if returned_error(values).is_some() =>
        {
            Ok(())
        }
        (Ok(Progress::Done(_)), _) => Err(match &close {
            Some(event) => format!(
                "the code finished, but the history ends with {}",
                event.kind()
            ),
            None => "the code finished, but the history goes on (it was still open)".into(),
        }),
    };
    ended?;
    if replaying && progress.is_ok() {
        return Err("the code stopped before the end of the history".into());
    }
    Ok(Verified {
        events: count,
        closed: close.map(|event| event.kind()),
    })
}
