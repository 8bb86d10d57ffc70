//! The `compress` module through the CLI (`tests/apps/compress`): every code block of Wippy's
//! page, the level ranges and errors, and decompression bombs stopped at their bound.

use crate::util::{luabox, repo};

#[test]
fn the_compress_app_passes() {
    let run = luabox(&["test", &repo("tests/apps/compress")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("8 passed, 0 failed"), "{}", run.stdout);
}
