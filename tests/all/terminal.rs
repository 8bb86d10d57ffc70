//! Terminal apps (`terminal.host` and the `io` module) through `luabox run -x`, with stdin, stdout,
//! stderr and the exit code as a user sees them: `tests/apps/terminal`.

use crate::util::{luabox, repo};

fn app() -> String {
    repo("tests/apps/terminal")
}

#[test]
fn the_process_of_a_terminal_host_reads_stdin_and_writes_stdout() {
    let app = app();
    let args = [
        "run",
        &app,
        "-x",
        "app:session",
        "one",
        "two words",
        "--host",
        "app:terminal",
    ];
    let run = luabox(&args, "Ada\r\nxyz");
    assert_eq!(
        run.stdout,
        "args:\t2\tone|two words\n\
         name? hello\tAda\tnil\n\
         bytes:\txy\tz\n\
         after the end:\tnil\tInternal\tend of input\n\
         raw:\tnil\tUnavailable\n\
         function:\tnil\tio: entry 'app:helper' has no terminal: only the process of a \
         terminal.host does (luabox run --exec on an app with one)\n\
         process:\tnil\tUnavailable\n",
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("to stderr\t42\n"), "{}", run.stderr);
    // The exit code is what main returns (here the number of arguments); no JSON result is
    // printed, and luabox's own info logs are left out.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("INFO"), "{}", run.stderr);
}

#[test]
fn a_named_command_runs_like_exec_and_list_names_the_commands() {
    let app = app();
    let run = luabox(&["run", &app, "session", "--host", "app:terminal"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("args:\t0\t\nname? hello\tnil\tend of input\n"),
        "{}",
        run.stdout
    );
    let list = luabox(&["run", &app, "list"], "");
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(
        list.stdout,
        "Available commands:\n  session  Read a name and some bytes, then report what io allows \
         where (app:session)\n"
    );
    let unknown = luabox(&["run", &app, "sesion"], "");
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains(
            "error: no command 'sesion' in this app (commands: session; an entry declares one \
             with meta.command.name)"
        ),
        "{}",
        unknown.stderr
    );
}

#[test]
fn hide_logs_keeps_the_process_log_off_the_terminal() {
    let app = app();
    let shown = luabox(&["run", &app, "-x", "chatty", "--host", "app:terminal"], "");
    let hidden = luabox(
        &["run", &app, "-x", "chatty", "--host", "app:quiet_terminal"],
        "",
    );
    for run in [&shown, &hidden] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, "chatty wrote this\n");
    }
    assert!(
        shown.stderr.contains("a warning from chatty"),
        "{}",
        shown.stderr
    );
    assert!(
        !hidden.stderr.contains("a warning from chatty"),
        "{}",
        hidden.stderr
    );
}

#[test]
fn choosing_a_terminal_is_checked() {
    let app = app();
    let several = luabox(&["run", &app, "-x", "app:chatty"], "");
    assert_eq!(several.code, 1);
    assert!(
        several.stderr.contains(
            "error: the app has 2 terminal hosts (app:terminal, app:quiet_terminal): choose one \
             with --host"
        ),
        "{}",
        several.stderr
    );
    let not_terminal = luabox(
        &["run", &app, "-x", "chatty", "--host", "app:processes"],
        "",
    );
    assert_eq!(not_terminal.code, 1);
    assert!(
        not_terminal
            .stderr
            .contains("error: --host: 'app:processes' is not a terminal.host of this app"),
        "{}",
        not_terminal.stderr
    );
}

#[test]
fn sigint_stops_a_terminal_app_waiting_for_input() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(["run", &app(), "-x", "app:session", "--host", "app:terminal"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("luabox starts");
    // Wait for the prompt: the process now waits on stdin, which stays open.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).ends_with("name? ") {
        assert_eq!(stdout.read(&mut byte).unwrap(), 1, "stdout ended: {seen:?}");
        seen.push(byte[0]);
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    // A run that ignores the signal fails the test instead of holding up the suite.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("luabox kept running after SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    drop(child.stdin.take());
}
