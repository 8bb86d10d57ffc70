//! luabox runs Lua entries inside WebAssembly sandboxes.
//!
//! The PUC-Rio Lua 5.4 interpreter is compiled to one wasm component (`guest-lua/`), executed by
//! wasmtime. The only way out of a sandbox is through the WIT interfaces in `wit/`, and an entry
//! is linked only with the interfaces of the modules it lists.
//!
//! The map below follows the layers of `docs/architecture.md` §1, lowest first: no import cycle
//! runs through two folders, the engine and the configuration import nothing above them, and
//! what modules and runtimes need of the app they reach through ports [`app`] implements
//! (`scripts/layers.py` checks it).
//!
//! Leaves:
//! - [`units`]: sizes and durations in their human forms (`32MiB`, `1h30m`).
//! - [`error`]: how a run can end badly.
//! - [`codec`]: values across the boundary (MessagePack) and their JSON form for the CLI.
//! - [`bindings`]: the Rust side of `wit/`, generated once.
//! - [`typed`]: typed Lua (Wippy's type syntax) lowered to plain Lua 5.4, line for line.
//!
//! Configuration:
//! - [`config`]: YAML app directories → typed entries, validated with file:line errors.
//! - [`registry`]: the entry store, its `find` filters and its versions as code changes it.
//! - [`lint`]: what `luabox check` reports beyond what loading refuses.
//!
//! The engine:
//! - [`engine`]: wasmtime, the compiled-component cache, per-module-set linkers and instance
//!   templates, limits, and the driver that runs a sandbox from start to result while it waits on
//!   host operations between export calls (`docs/architecture.md` §3). It knows no module, kind or
//!   app: what they hand a sandbox travels as [`engine::Extensions`].
//!
//! Backends the modules open:
//! - [`sql`]: the app's SQL databases (SQLite, PostgreSQL): pools, statements, transactions.
//! - [`store`]: key-value stores (`store.memory`, `store.sql`).
//! - [`queue`]: message queues (`queue.queue` on `queue.driver.memory`) and their consumers.
//! - [`env`]: the app's `env.variable` entries and the `env.storage.*` entries holding them.
//! - [`terminal`]: this process's terminal, for the process of a `terminal.host`.
//!
//! Modules:
//! - [`modules`]: one file per WIT interface, each behind [`modules::HostModule`]; [`modules::ALL`]
//!   lists them and [`modules::interfaces`] links them for the engine.
//!
//! Entry kinds at run time:
//! - [`kinds`]: a Lua entry's program: its chunks, libraries, modules, grants and limits.
//! - [`process`]: actors: the process table, mailboxes, links, monitors, names, supervision.
//! - [`durable`]: workflows: histories (SQLite), replay, the runner, activities, the service.
//! - [`temporal`]: workflows on a Temporal cluster, through the same recorded commands.
//! - [`http`]: HTTP servers, routers and endpoints.
//!
//! Composition and command line:
//! - [`app`]: a loaded app: builds the registry, compiles every Lua entry, opens the backends,
//!   and calls into its functions, processes and workflows.
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
pub mod queue;
pub mod registry;
pub mod sql;
pub mod store;
pub mod temporal;
pub mod terminal;
pub mod typed;
pub mod units;
