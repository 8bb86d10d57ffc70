//! End-to-end tests through luabox's public surface: the `luabox` binary and the library API.
//! Lua behaviour case by case lives in `tests/cases/` (run by `tests/lua.rs`).

mod allowlist;
mod background;
mod cli_app;
mod cli_eval;
mod compile_cache;
mod compress;
mod contract;
mod ctx;
mod env_storage;
mod events;
mod hostile;
mod http;
mod http_client;
mod mod_crypto;
mod mod_fs;
mod mod_metrics;
mod processes;
mod queue;
mod registry_changes;
mod scheduling;
mod sql;
mod stress;
mod templates;
mod terminal;
mod text;
mod typed;
mod util;
mod wippy_yaml;
mod workflow_suite;
mod workflows;
