//! The Rust side of `wit/`: one `bindgen!` for the `entry` world.
//!
//! Imports are synchronous (they never block: a waiting call starts an operation and returns a
//! handle, docs/architecture.md §3) and trappable, so a host bug or limit breach becomes a trap. Exports are
//! async so epoch interruption can make a long export call yield to tokio.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "entry",
    imports: { default: trappable },
    exports: { default: async },
});

pub use self::luabox::sandbox::types::HostError;
pub use self::luabox::sandbox::types::{Completion, Duration, ErrorKind, LuaError, Step};
pub use exports::luabox::sandbox::runner::{Chunk, Invocation};
