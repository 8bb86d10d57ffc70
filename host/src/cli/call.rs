//! `luabox call ID [JSON]... [--dir DIR] [--json]`
//!
//! Loads the app, calls one `function.lua` entry with the JSON arguments in a fresh sandbox and
//! prints its result as JSON (one value as itself, none as `null`, several as an array). A
//! failure (`nil, err`, a raised error, a limit) prints the error to stderr and exits 1, or 2
//! for a limit.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::app::{describe, exit_code, load, parse_json_args, resolve_id};
use super::exit;
use crate::codec::{json_to_values, values_to_json};

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The function entry to call: `namespace:name` (a bare name if only one entry has it).
    id: String,
    /// Arguments, each one JSON value.
    args: Vec<String>,
    /// The app directory.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Print one JSON object with the result or the error.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: CallArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let prepared = resolve_id(&app, &args.id).and_then(|id| Ok((id, parse_json_args(&args.args)?)));
    let (id, values) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::FAILED;
        }
    };
    match app.call(&id, json_to_values(&values), 0).await {
        Ok(payload) => {
            let result = values_to_json(&payload).unwrap_or_else(|e| json!(format!("{e:#}")));
            if args.json {
                println!("{}", json!({"ok": true, "result": result}));
            } else {
                println!("{result}");
            }
            0
        }
        Err(error) => {
            if args.json {
                let object = error.to_error_object();
                println!("{}", json!({"ok": false, "error": object.to_json()}));
            } else {
                eprintln!("error: {}: {}", id, describe(&error));
            }
            exit_code(&error)
        }
    }
}
