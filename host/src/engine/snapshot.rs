//! Pre-initialising the guest with wasmtime-wizer.
//!
//! Building a Lua state (allocator, standard library, sandbox, prelude) costs more than
//! instantiating the component. The guest's `wizer-initialize` export builds it; wizer runs that
//! once and writes a component whose memory already holds the ready state, so each sandbox
//! starts copy-on-write from it. The snapshot bakes in Lua's string-hash seed; `math.random` is
//! reseeded from the host on every `start`.

use anyhow::{Context, Result};
use wasmtime::component::Linker;
use wasmtime_wizer::Wizer;

use super::{Interfaces, Limits, SandboxState};

/// Ticks the initialisation may run before it is treated as hung.
const INIT_DEADLINE_TICKS: u64 = 60_000;

/// The guest component with its Lua state built.
pub fn pre_initialise(
    engine: &wasmtime::Engine,
    guest: &[u8],
    interfaces: &dyn Interfaces,
) -> Result<Vec<u8>> {
    let mut store = SandboxState::store(
        engine,
        "luabox:snapshot",
        &Limits::default(),
        Default::default(),
    );
    store.set_epoch_deadline(INIT_DEADLINE_TICKS);
    let mut wizer = Wizer::new();
    // The host's bindings expect the export; calling it again is a no-op.
    wizer.keep_init_func(true);
    let run = wizer.run_component(&mut store, guest, async |store, component| {
        let mut linker = Linker::new(store.engine());
        interfaces
            .link_base(&mut linker, false)
            .map_err(wasmtime::Error::from_anyhow)?;
        linker.define_unknown_imports_as_traps(component)?;
        linker.instantiate_async(store, component).await
    });
    let (snapshot, _) = futures::executor::block_on(run)
        .map_err(anyhow::Error::from)
        .context("pre-initialising the Lua guest")?;
    Ok(snapshot)
}
