//! `wit/sys.wit`: the clocks and entropy libc and Lua's standard library need, answered by the
//! host so the sandbox has no ambient access to either. `cpu-clock` (what `os.clock` reports)
//! is the time since the sandbox was created. `abort` is how the checked guest build reports a
//! failed check: it ends the sandbox with a trap naming it.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::luabox::sandbox::sys;
use crate::engine::SandboxState;

pub(super) fn link(linker: &mut Linker<SandboxState>) -> Result<()> {
    sys::add_to_linker::<_, HasSelf<SandboxState>>(linker, |state| state)?;
    Ok(())
}

impl sys::Host for SandboxState {
    fn wall_clock(&mut self) -> wasmtime::Result<u64> {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Ok(u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX))
    }

    fn cpu_clock(&mut self) -> wasmtime::Result<u64> {
        Ok(u64::try_from(self.started().elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn random_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok((fresh_u64(), fresh_u64()))
    }

    fn abort(&mut self, message: String) -> wasmtime::Result<()> {
        Err(wasmtime::format_err!("guest check failed: {message}"))
    }
}

/// 64 unpredictable bits: std's `RandomState` is seeded from the OS per thread and varies per
/// instance, which is all a Lua seed needs (not a cryptographic source).
fn fresh_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}
