//! Helpers: run the `luabox` binary, build engines and runtimes for library-level tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use luabox::engine::{Engine, EngineConfig, Invocation};

/// What a `luabox` run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// How long one `luabox` run in a test may take.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// Run `luabox ARGS...` with `stdin` as its input.
pub fn luabox(args: &[&str], stdin: &str) -> Run {
    luabox_with_env(args, stdin, &[])
}

pub fn luabox_with_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("luabox starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    // A hung run fails its test instead of holding up the whole suite.
    let pid = child.id();
    let (finished, done) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = finished.send(());
        output
    });
    if done.recv_timeout(RUN_LIMIT).is_err() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("luabox {args:?} ran longer than {RUN_LIMIT:?}; killed it");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = waiter.join().unwrap().unwrap();
    Run {
        code: status
            .code()
            .expect("luabox exits normally, not by a signal"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn engine() -> Engine {
    Engine::new(EngineConfig::default(), luabox::modules::interfaces()).expect("engine starts")
}

/// An engine whose pool holds `slots` sandboxes at once.
pub fn engine_with_slots(slots: u32) -> Engine {
    Engine::new(
        EngineConfig {
            max_instances: slots,
            ..EngineConfig::default()
        },
        luabox::modules::interfaces(),
    )
    .expect("engine starts")
}

pub fn script(source: &str) -> Invocation {
    Invocation::script("test", source)
}

pub fn with_modules(invocation: Invocation, modules: &[&str]) -> Invocation {
    invocation.allow_modules(modules)
}

/// A path inside the repository (tests run from `host/`).
pub fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the files of the app directory `relative` (to the repository) in a temporary
/// directory: what a test that writes beside the app (a workflow store) runs on.
pub fn copy_app(relative: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(repo(relative)).unwrap() {
        let path = file.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// A temporary app directory holding `files` (relative path, content).
pub fn app_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// A multi-threaded tokio runtime like the one the CLI runs sandboxes on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .event_interval(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
