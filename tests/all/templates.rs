//! The `templates` module and the `template.set` / `template.jet` kinds through the CLI: the
//! Lua tests (`tests/apps/templates`, which follow Wippy's pages wippyai/docs
//! en/lua/text/template.md and en/system/template.md), `luabox check` naming a template's syntax
//! error by file and line, and the module's grant.

use crate::util::{app_dir, luabox, repo};

#[test]
fn the_templates_module_passes_its_lua_tests() {
    let run = luabox(&["test", &repo("tests/apps/templates")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("7 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn check_names_a_template_syntax_error_by_file_and_line() {
    let dir = app_dir(&[
        (
            "_index.yaml",
            "namespace: app\nentries:\n  - {name: views, kind: template.set}\n  - name: page\n    kind: template.jet\n    set: views\n    source: file://views/page.jet\n  - name: inline\n    kind: template.jet\n    set: views\n    source: |\n      ok\n      {{ lenn(x) }}\n",
        ),
        (
            "views/page.jet",
            "<ul>\n{{ range items }}\n  <li>{{ . }}</li>\n",
        ),
    ]);
    let run = luabox(&["check", dir.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let prefix = format!("{}/", dir.path().display());
    let stderr = run.stderr.replace(&prefix, "");
    assert!(
        stderr.contains(
            "_index.yaml:7: entry 'app:page': template syntax error at views/page.jet:2: this \
             {{ range }} is never closed with {{ end }}"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "_index.yaml:12: entry 'app:inline': template syntax error at _index.yaml:13: unknown \
             function 'lenn'; did you mean 'len'?"
        ),
        "{stderr}"
    );
}

#[test]
fn an_entry_without_the_module_cannot_use_it() {
    let dir = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n  - {name: f, kind: function.lua, source: \"return {main = function() return require('templates') end}\", method: main}\n",
    )]);
    let run = luabox(
        &["call", "app:f", "--dir", dir.path().to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("module 'templates' is not allowed in entry 'app:f'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_workflow_renders_and_its_replay_matches() {
    // templates is linked into workflows: a render depends only on its arguments and the app's
    // templates, so replaying the history renders the same text.
    let dir = app_dir(&[(
        "_index.yaml",
        "namespace: w\nentries:\n  - {name: views, kind: template.set}\n  - {name: hi, kind: template.jet, set: views, source: \"{{ range k, v := m }}{{ k }}={{ v }};{{ end }}\"}\n  - name: flow\n    kind: workflow.lua\n    modules: [templates]\n    source: |\n      local templates = require('templates')\n      return function(input)\n        local set = assert(templates.get('views'))\n        return (assert(set:render('hi', {m = input})))\n      end\n",
    )]);
    let path = dir.path().to_str().unwrap();
    let run = luabox(
        &[
            "workflow",
            "--dir",
            path,
            "start",
            "w:flow",
            r#"{"b": 2, "a": 1}"#,
            "--id",
            "t1",
            "--wait",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), r#""a=1;b=2;""#);
    let shown = luabox(&["workflow", "--dir", path, "show", "t1", "--json"], "");
    let exported = dir.path().join("t1.json");
    std::fs::write(&exported, shown.stdout).unwrap();
    let replayed = luabox(
        &[
            "workflow",
            "--dir",
            path,
            "replay",
            exported.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        replayed.stdout.contains("the code matches the history"),
        "{}\n{}",
        replayed.stdout,
        replayed.stderr
    );
}
