use super::ast::{Expr, Node};
use super::*;
use crate::config::testing::*;

fn parsed(text: &str) -> Template {
    parse(text, "t.jet", 1).unwrap_or_else(|e| panic!("{e}"))
}

fn fails(text: &str) -> String {
    parse(text, "t.jet", 1).unwrap_err()
}

#[test]
fn statements_and_blocks() {
    let t = parsed(
        "{{ extends \"layout\" }}\n{{ import \"blocks\" }}\n{{ block title() }}{{ if a }}x{{ else if b }}y{{ else }}z{{ end }}{{ end }}\n\
         {{ block body(x, y=2) }}{{ range i, v := items }}{{ v }}{{ else }}none{{ end }}{{ yield content }}{{ content }}c{{ end }}",
    );
    assert_eq!(t.extends, Some(("layout".into(), 1)));
    assert_eq!(t.imports, [("blocks".into(), 2)]);
    let names: Vec<&str> = t.blocks.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["title", "body"]);
    assert!(t.blocks[1].content.is_some());
    assert!(
        matches!(&t.blocks[0].body[0], Node::If { branches, otherwise: Some(_), .. } if branches.len() == 2)
    );
}

#[test]
fn expressions_pipelines_and_prefix_calls() {
    let t = parsed(
        "{{ a.b[0].c }}{{ x | upper | repeat(2) }}{{ raw: y }}{{ 2 | repeat(\"a\", _) }}{{ .name }}",
    );
    let outputs: Vec<&Expr> = t
        .body
        .iter()
        .filter_map(|n| match n {
            Node::Output(e, _) => Some(e),
            _ => None,
        })
        .collect();
    assert!(matches!(outputs[0], Expr::Field(_, f) if f == "c"));
    assert!(matches!(outputs[1], Expr::Pipe(_, stages) if stages.len() == 2));
    assert!(matches!(outputs[2], Expr::Call(f, args) if f == "raw" && args.len() == 1));
    assert!(matches!(outputs[3], Expr::Pipe(_, stages) if matches!(stages[0].1[1], Expr::Slot)));
    assert!(
        matches!(outputs[4], Expr::Field(ctx, f) if matches!(**ctx, Expr::Context) && f == "name")
    );
}

#[test]
fn syntax_errors_name_file_and_line() {
    assert_eq!(
        fails("a\n{{ if x }}\nb"),
        "t.jet:2: this {{ if }} is never closed with {{ end }}"
    );
    assert_eq!(
        fails("\n\n{{ end }}"),
        "t.jet:3: {{ end }} without an open if, range, block, try or yield"
    );
    assert_eq!(fails("{{ frob(x) }}"), "t.jet:1: unknown function 'frob'");
    assert_eq!(
        fails("{{ lenn(x) }}"),
        "t.jet:1: unknown function 'lenn'; did you mean 'len'?"
    );
    assert_eq!(
        fails("{{ u.Name() }}"),
        "t.jet:1: method calls are not supported by luabox's Jet (only built-in functions)"
    );
    assert_eq!(
        fails("x\n{{ extends \"a\" }}"),
        "t.jet:2: {{ extends }} must come first in a template"
    );
    assert_eq!(
        fails("{{ return 1 }}"),
        "t.jet:1: {{ return }} is not supported by luabox's Jet (there is no exec())"
    );
    assert_eq!(fails("{{ a + }}"), "t.jet:1: expected a value before }}");
    assert_eq!(fails("{{ }}"), "t.jet:1: empty action {{ }}");
    assert_eq!(
        parse("\n{{ x y }}", "f.jet", 10).unwrap_err(),
        "f.jet:11: unexpected 'y' in an output"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = "{{ if a }}".repeat(100) + &"{{ end }}".repeat(100);
    assert!(fails(&deep).contains("statements nest more than 48 deep"));
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(200), ")".repeat(200));
    assert!(fails(&parens).contains("expression nests more than 64 deep"));
    let unary = format!("{{{{ {}1 }}}}", "!".repeat(500));
    assert!(fails(&unary).contains("nests more than"));
}

#[test]
fn kinds_check_their_fields_and_sources() {
    let app = TestApp::new(&[
        (
            "_index.yaml",
            "namespace: app\nentries:\n\
             \x20 - {name: views, kind: template.set, engine: {globals: {site: X}, extensions: [.jet]}}\n\
             \x20 - name: page\n    kind: template.jet\n    set: views\n    meta: {name: pages/home}\n    data_func: app:data\n    source: file://t/page.jet\n\
             \x20 - {name: inline, kind: template.jet, set: views, source: \"hi {{ name }}\"}\n",
        ),
        ("t/page.jet", "{{ extends \"layout\" }}"),
    ])
    .app();
    let Spec::Template(TemplateSpec::Jet(page)) = &entry(&app, "app:page").spec else {
        panic!("not a template")
    };
    assert_eq!(
        (page.name.as_str(), page.set.to_string()),
        ("pages/home", "app:views".into())
    );
    assert_eq!(page.template.file, "t/page.jet");
    let Spec::Template(TemplateSpec::Set(set)) = &entry(&app, "app:views").spec else {
        panic!("not a set")
    };
    assert_eq!(set.extensions, [".jet"]);
    assert_eq!(set.globals["site"], "X");
    assert_eq!(entry(&app, "app:page").data["data_func"], "app:data");

    let errors = TestApp::new(&[
        (
            "_index.yaml",
            "namespace: app\nentries:\n\
             \x20 - {name: views, kind: template.set, engine: {delimiters: {left: '[['}, extension: []}}\n\
             \x20 - {name: bad, kind: template.jet, set: views, source: file://bad.jet}\n\
             \x20 - {name: lost, kind: template.jet, set: nowhere, source: file://missing.jet}\n\
             \x20 - {name: wrong, kind: template.jet, set: bad, source: x}\n",
        ),
        ("bad.jet", "ok\n{{ if x }}\n{{ else }}{{ else }}"),
    ])
    .errors();
    assert_eq!(
        errors,
        [
            "_index.yaml:3: entry 'app:views': field 'engine.delimiters.left' is '[[': luabox \
             supports only the default delimiters {{ }} and {* *}",
            "_index.yaml:3: entry 'app:views': unknown field 'engine.extension' (expected one of: \
             development_mode, delimiters, extensions, globals); did you mean 'extensions'?",
            "_index.yaml:4: entry 'app:bad': template syntax error at bad.jet:3: unexpected {{ else }} inside {{ if }}",
            "_index.yaml:5: entry 'app:lost': template file 'missing.jet' not found",
            "_index.yaml:5: entry 'app:lost': set refers to 'app:nowhere', which does not exist",
            "_index.yaml:6: entry 'app:wrong': set refers to 'app:bad', which is a template.jet, not a template.set",
        ]
    );
}
