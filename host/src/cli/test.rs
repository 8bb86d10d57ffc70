//! `luabox test [DIR] [FILTER]`
//!
//! Runs every `function.lua` entry with `meta.type: test` (whose id contains FILTER, or matches
//! it as a `*` glob), each in a fresh sandbox with no arguments, in id order (`meta.order` first
//! when given). A test passes when it returns without error and does not return `false`. Prints
//! one line per test and a summary `N passed, M failed`; exits 1 if any failed or none matched.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::app::{describe, load};
use super::exit;
use crate::codec::{decode_values, json_to_values};
use crate::config::Entry;
use crate::registry::Filter;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Only tests whose id contains this text (or matches it, with `*` globs).
    filter: Option<String>,
}

pub async fn run(args: TestArgs) -> u8 {
    let app = match load(&args.dir).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let filter = Filter::from_json(
        json!({".kind": "function.lua", "meta.type": "test"})
            .as_object()
            .expect("a literal object"),
    )
    .expect("a valid filter");
    let mut tests: Vec<&Entry> = app
        .registry()
        .find(&filter)
        .into_iter()
        .filter(|entry| selected(&entry.id.to_string(), args.filter.as_deref()))
        .collect();
    tests.sort_by_key(|entry| (order(entry), entry.id.clone()));
    if tests.is_empty() {
        eprintln!("no tests matched in {}", args.dir.display());
        return exit::FAILED;
    }
    let (mut passed, mut failed) = (0, 0);
    for entry in tests {
        let started = Instant::now();
        let outcome = match app.call(&entry.id, json_to_values(&[]), 0).await {
            Ok(values) if returned_false(&values) => Err("returned false".to_owned()),
            Ok(_) => Ok(()),
            Err(error) => Err(describe(&error)),
        };
        let elapsed = started.elapsed();
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("ok    {} ({:.1?})", entry.id, elapsed);
            }
            Err(message) => {
                failed += 1;
                println!(
                    "FAIL  {} ({:.1?})\n      {}",
                    entry.id,
                    elapsed,
                    message.replace('\n', "\n      ")
                );
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { exit::FAILED } else { 0 }
}

fn selected(id: &str, filter: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(pattern) if pattern.contains('*') => crate::registry::glob_match(pattern, id),
        Some(text) => id.contains(text),
    }
}

/// `meta.order` sorts first (lower first); tests without it come after, by id.
fn order(entry: &Entry) -> i64 {
    entry
        .meta
        .get("order")
        .and_then(|v| v.as_i64())
        .unwrap_or(i64::MAX)
}

fn returned_false(values: &[u8]) -> bool {
    matches!(
        decode_values(values).as_deref(),
        Ok([rmpv::Value::Boolean(false), ..])
    )
}
