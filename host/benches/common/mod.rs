//! What every benchmark binary starts with: quiet logging, the part the command line selects,
//! a two-worker tokio runtime, and its app loaded from `host/benches/apps/NAME`. Each benchmark
//! uses what it needs of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use luabox::app::App;
use luabox::engine::{Engine, EngineConfig};
use tokio::runtime::Runtime;

/// Warnings only: a benchmark's output is its table.
pub fn quiet_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
}

/// Whether a part is selected: `cargo bench --bench B [PART]` (cargo passes `--bench`; a plain
/// word selects one part, none selects all).
pub fn selection() -> impl Fn(&str) -> bool {
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    move |part: &str| only.as_deref().is_none_or(|only| only == part)
}

/// The runtime a benchmark drives luabox on: two workers, as on the machines the figures are for.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The app `host/benches/apps/NAME`, loaded from a copy in a temporary directory (so the files
/// it writes, such as databases, go there), and that directory.
pub fn load_app(runtime: &Runtime, name: &str) -> (tempfile::TempDir, Arc<App>) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/apps")
        .join(name);
    let dir = tempfile::tempdir().expect("temporary directory");
    for file in std::fs::read_dir(&source).expect("bench app") {
        let file = file.expect("bench app file");
        std::fs::copy(file.path(), dir.path().join(file.file_name())).expect("copying the app");
    }
    let engine =
        Engine::new(EngineConfig::default(), luabox::modules::interfaces()).expect("engine");
    let app = runtime
        .block_on(App::load(dir.path(), engine))
        .expect("bench app loads");
    (dir, app)
}

/// User + system CPU time of this process so far (`/proc/self/stat`, in USER_HZ = 100 ticks).
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name: state is the 3rd field, utime the 14th, stime the 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |at: usize| fields.get(at).and_then(|f| f.parse::<u64>().ok());
    let total = ticks(11).unwrap_or(0) + ticks(12).unwrap_or(0);
    Duration::from_millis(total * 10)
}
