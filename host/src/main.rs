//! The `luabox` binary: parse the command line, run it, exit with its code.

fn main() -> std::process::ExitCode {
    luabox::cli::main()
}
