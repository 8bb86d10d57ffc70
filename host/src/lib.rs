//! luabox runs Lua entries inside WebAssembly sandboxes.
//!
//! The PUC-Rio Lua 5.4 interpreter is compiled to one wasm component (`guest-lua/`), executed by
//! wasmtime. The only way out of a sandbox is through the WIT interfaces in `wit/`, and an entry
//! is linked only with the interfaces of the modules it lists.
//!
//! - [`config`]: YAML app directories → typed entries, validated with file:line errors.
//! - [`registry`]: the entry store and its `find` filters.
//! - [`app`]: a loaded app (registry + compiled Lua entries) and calls into its functions.
//! - [`kinds`]: what each entry kind means at run time (`function.lua`, `library.lua`, ...).
//! - [`engine`]: the wasmtime engine, the compiled-component cache, per-module-set linkers and
//!   instance templates, limits, and the driver that runs a sandbox from start to result while it
//!   waits on host operations between export calls (DESIGN §2b).
//! - [`process`]: actors: the process table, mailboxes, links, monitors, names.
//! - [`durable`]: workflows: histories (SQLite), replay, the runner, activities, the service.
//! - [`http`]: HTTP servers, routers and endpoints (route matching so far).
//! - [`store`]: key-value stores (`store.memory`), which the `store` module opens.
//! - [`modules`]: one file per host interface, each behind [`modules::HostModule`].
//! - [`env`]: the app's `env.variable` entries and the `env.storage.*` entries holding them.
//! - [`sql`]: the app's SQL databases (SQLite, PostgreSQL): pools, statements, transactions.
//! - [`typed`]: typed Lua (Wippy's type syntax) lowered to plain Lua 5.4, line for line.
//! - [`codec`]: values across the boundary (MessagePack) and their JSON form for the CLI.
//! - [`error`]: how a run can end badly.
//! - [`cli`]: the `luabox` command line; `main.rs` only calls [`cli::main`].
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use luabox::engine::{Engine, EngineConfig, Invocation};
//! let engine = Engine::new(EngineConfig::default(), luabox::modules::interfaces())?;
//! let result = engine
//!     .run(Invocation::script("demo", "return 1 + 2"))
//!     .await?;
//! assert_eq!(luabox::codec::values_to_json(&result)?, serde_json::json!(3));
//! # Ok(()) }
//! ```

pub mod app;
pub mod bindings;
pub mod cli;
pub mod codec;
pub mod config;
pub mod durable;
pub mod engine;
pub mod env;
pub mod error;
pub mod http;
pub mod kinds;
pub mod lint;
pub mod modules;
pub mod process;
pub mod registry;
pub mod sql;
pub mod store;
pub mod temporal;
pub mod terminal;
pub mod typed;
pub mod units;
