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
