//! The `text` module through the CLI (`tests/apps/text`): regular expressions, diffs and
//! patches, and the splitters, as on Wippy's page, with hostile patterns and bad options.

use crate::util::{luabox, repo};

#[test]
fn the_text_app_passes() {
    let run = luabox(&["test", &repo("tests/apps/text")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 passed, 0 failed"), "{}", run.stdout);
}
