//! Typed Lua (Wippy's gradual types) through the CLI: the Lua tests of `tests/apps/typed`, and
//! what `check` and `eval` say about typed sources.

use crate::util::{app_dir, luabox, repo};

#[test]
fn typed_lua_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/typed")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("6 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn typed_syntax_that_cannot_be_read_is_a_syntax_error_at_its_line() {
    let app = app_dir(&[
        (
            "_index.yaml",
            "namespace: app\nentries:\n\
             \x20 - {name: bad, kind: function.lua, source: file://bad.lua, method: main}\n\
             \x20 - {name: plain, kind: function.lua, source: file://plain.lua, method: main}\n",
        ),
        (
            "bad.lua",
            "type Point = {x: number}\n\nlocal p: Point @shiny(1) = {x = 1}\nreturn {main = function() end}\n",
        ),
        ("plain.lua", "local x = = 1\n"),
    ]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let dir = app.path().display();
    assert!(
        run.stderr.contains(&format!(
            "{dir}/bad.lua:3: entry 'app:bad': Lua syntax error: unknown validator '@shiny': \
             luabox knows @min, @max, @min_len, @max_len, @pattern"
        )),
        "{}",
        run.stderr
    );
    // Lua's own syntax errors are reported beside it, as before.
    assert!(
        run.stderr.contains(&format!(
            "{dir}/plain.lua:1: entry 'app:plain': Lua syntax error: unexpected symbol near '='"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_typed_script_keeps_its_line_numbers() {
    let scripts = app_dir(&[(
        "t.lua",
        "type Pair = {\n  left: integer,\n  right: integer,\n}\n\
         local function sum(p: Pair): integer\n  return p.left + p.right\nend\n\
         local p: Pair = Pair({left = 1, right = 2})\n\
         assert(sum(p) == 3)\n\
         error(\"line 10\")\n",
    )]);
    let path = scripts.path().join("t.lua");
    let run = luabox(&["eval", path.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{}:10: line 10", path.display())),
        "{}",
        run.stderr
    );
    let bad = scripts.path().join("bad.lua");
    std::fs::write(&bad, "local a = 1\nlocal b: = 2\n").unwrap();
    let run = luabox(&["eval", bad.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{}:2: expected a type, found '='", bad.display())),
        "{}",
        run.stderr
    );
}
