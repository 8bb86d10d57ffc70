//! How many processes the machine's limits let one luabox host keep alive, beyond the process
//! hosts' own `max_processes`: each live process is a sandbox whose memory, GC heap and fiber
//! stack are separate kernel memory mappings, and Linux caps a process's mappings at
//! `vm.max_map_count` (65,530 by default), which ~10,000 live processes exceed.

use std::path::Path;

/// Mappings per live process: the linear memory (copy-on-write image, written tail, reserved
/// rest) and the GC heap (used part, reserved rest).
const MAPPINGS_PER_PROCESS: u64 = 5;
/// Mappings per pooled fiber stack, live or not: the stack and its guard page.
const MAPPINGS_PER_STACK: u64 = 2;
/// What the rest of luabox maps: the binary, libraries, thread stacks, allocator arenas and the
/// function engine's pool (1,000 sandboxes with their stacks).
const MAPPINGS_BESIDES: u64 = 8_000;

/// A `vm.max_map_count` with room for 100,000 live processes (the kernel only counts mappings
/// that exist, so a high limit costs nothing).
pub const SUGGESTED_MAX_MAP_COUNT: u64 = 1_048_576;

/// How many live processes the kernel's mapping limit leaves room for.
#[derive(Debug, Clone, Copy)]
pub struct MappingBudget {
    pub max_map_count: u64,
    pub processes: u64,
}

impl MappingBudget {
    /// The budget with `slots` pooled sandboxes, or `None` where the limit cannot be read (not
    /// Linux).
    pub fn for_slots(slots: u32) -> Option<Self> {
        let max_map_count = read_max_map_count(Path::new("/proc/sys/vm/max_map_count"))?;
        Some(MappingBudget {
            max_map_count,
            processes: fit_under(max_map_count, slots),
        })
    }

    /// Why a process beyond the budget cannot start, and what to do about it.
    pub fn exhausted(&self) -> String {
        format!(
            "luabox has {} live processes, all the memory mappings vm.max_map_count ({}) leaves \
             room for; raise it with `sysctl -w vm.max_map_count={SUGGESTED_MAX_MAP_COUNT}`",
            self.processes, self.max_map_count
        )
    }
}

fn fit_under(max_map_count: u64, slots: u32) -> u64 {
    let stacks = u64::from(slots) * MAPPINGS_PER_STACK;
    max_map_count.saturating_sub(stacks + MAPPINGS_BESIDES) / MAPPINGS_PER_PROCESS
}

fn read_max_map_count(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_does_not_fit_ten_thousand_processes() {
        assert!(fit_under(65_530, 10_016) < 10_000);
        assert!(fit_under(65_530, 1_016) > 5_000);
        assert!(fit_under(SUGGESTED_MAX_MAP_COUNT, 100_016) >= 100_000);
    }
}
