use serde_json::json;

use super::*;

fn run_with(templates: &[(&str, &str)], data: serde_json::Value, max: usize) -> Result<String, Failure> {
    let set = CompiledSet::of(templates, json!({"site": "Example"}));
    render(&set, templates[0].0, Value::from_json(&data), max, &mut || true)
}

fn run(templates: &[(&str, &str)], data: serde_json::Value) -> String {
    match run_with(templates, data, 1 << 20) {
        Ok(text) => text,
        Err(failure) => panic!("{failure:?}"),
    }
}

fn error(templates: &[(&str, &str)], data: serde_json::Value) -> String {
    match run_with(templates, data, 1 << 20) {
        Err(Failure::Error(message)) => message,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn output_escapes_unless_raw() {
    let data = json!({"x": "<b>\"hi\" & 'yo'</b>"});
    assert_eq!(
        run(&[("t", "{{ x }}|{{ x | raw }}|{{ raw: x }}|{{ unsafe(x) }}")], data),
        "&lt;b&gt;&#34;hi&#34; &amp; &#39;yo&#39;&lt;/b&gt;|<b>\"hi\" & 'yo'</b>|<b>\"hi\" & 'yo'</b>|<b>\"hi\" & 'yo'</b>"
    );
    assert_eq!(run(&[("t", "{{ safeJs: \"a'b\" }} {{ nil }}.")], json!({})), "a\\'b .");
}

#[test]
fn variables_fields_indexes_and_operators() {
    let data = json!({"user": {"name": "Ada", "tags": ["a", "b"]}, "items": [{"price": 3}], "n": 7});
    let text = "{{ user.name }} {{ items[0].price }} {{ user.tags[1] }} {{ .user.name }} {{ site }} \
                {{ n * 2 + 1 }} {{ n / 2 }} {{ n % 4 }} {{ 1.5 + n }} {{ \"a\" + n }} {{ n > 5 && !false }} \
                {{ n == 7.0 ? \"seven\" : \"other\" }} {{ user.missing }}. {{ len(user.tags) }} {{ user.tags[0:1] }}";
    assert_eq!(run(&[("t", text)], data), "Ada 3 b Ada Example 15 3 3 8.5 a7 true seven . 2 [a]");
    assert_eq!(run(&[("t", "{{ x := 1 }}{{ x = x + 1 }}{{ x }}{{ _ := 5 }}")], json!({})), "2");
}

#[test]
fn conditionals_as_the_doc_gives_them() {
    let t = "{{ if order.shipped }}Shipped{{ else if order.processing }}Processing{{ else }}Received{{ end }}";
    assert_eq!(run(&[("t", t)], json!({"order": {"shipped": true}})), "Shipped");
    assert_eq!(run(&[("t", t)], json!({"order": {"processing": true}})), "Processing");
    assert_eq!(run(&[("t", t)], json!({"order": {}})), "Received");
}

#[test]
fn ranges_over_lists_maps_and_ints() {
    let data = json!({"items": [{"name": "a", "price": 1}, {"name": "b", "price": 2}], "m": {"y": 2, "x": 1}, "none": []});
    assert_eq!(
        run(&[("t", "{{ range items }}<{{ .name }}-{{ .price }}>{{ end }}")], data.clone()),
        "<a-1><b-2>"
    );
    assert_eq!(run(&[("t", "{{ range i, item := items }}{{ i }}.{{ item.name }} {{ end }}")], data.clone()), "0.a 1.b ");
    assert_eq!(run(&[("t", "{{ range k, v := m }}{{ k }}={{ v }};{{ end }}")], data.clone()), "x=1;y=2;");
    assert_eq!(run(&[("t", "{{ range i := ints(2, 5) }}{{ . }}{{ end }}")], data.clone()), "234");
    assert_eq!(run(&[("t", "{{ range none }}x{{ else }}empty{{ end }}")], data), "empty");
}

#[test]
fn inheritance_blocks_imports_and_includes() {
    let layout = "<title>{{ yield title() }}</title><body>{{ yield body() }}</body>{{ block footer() }}default{{ end }}";
    let page = "{{ extends \"layout.jet\" }}\n{{ block title() }}My Page{{ end }}\n{{ block body() }}<p>{{ name }}</p>{{ end }}\nignored";
    assert_eq!(
        run(&[("page", page), ("layout", layout)], json!({"name": "Bob"})),
        "<title>My Page</title><body><p>Bob</p></body>default"
    );
    let index = "{{ import \"./blocks\" }}{{ yield card(title=\"T\") }}|{{ yield link(href=\"/x\") content }}go{{ end }}|{{ include \"partials/head\" }}";
    let blocks = "{{ block card(title, body=\"none\") }}[{{ title }}:{{ body }}]{{ end }}{{ block link(href) }}<a href=\"{{ href }}\">{{ yield content }}</a>{{ end }}";
    let head = "<h>{{ site }}{{ include \"./sub\" }}</h>";
    let sub = "sub";
    assert_eq!(
        run(&[("index", index), ("blocks", blocks), ("partials/head", head), ("partials/sub", sub)], json!({})),
        "[T:none]|<a href=\"/x\">go</a>|<h>Example" .to_owned() + "sub</h>"
    );
    let recursive = "{{ block menu() }}<ul>{{ range . }}<li>{{ .text }}{{ if len(.children) }}{{ yield menu() .children }}{{ end }}</li>{{ end }}</ul>{{ end }}";
    let tree = json!([{"text": "a", "children": [{"text": "b", "children": []}]}]);
    assert_eq!(run(&[("t", recursive)], tree), "<ul><li>a<ul><li>b</li></ul></li></ul>");
}

#[test]
fn try_catch_and_isset() {
    assert_eq!(run(&[("t", "a{{ try }}b{{ missing }}{{ end }}c")], json!({})), "ac");
    assert_eq!(
        run(&[("t", "{{ try }}{{ missing }}{{ catch err }}caught: {{ err }}{{ end }}")], json!({})),
        "caught: t.jet:1: undefined variable &#39;missing&#39;"
    );
    assert_eq!(run(&[("t", "{{ isset(a, b.c) }} {{ isset(a) }}")], json!({"a": 1})), "false true");
}

#[test]
fn errors_name_file_and_line() {
    assert_eq!(error(&[("t", "\n\n{{ nope }}")], json!({})), "t.jet:3: undefined variable 'nope'");
    assert_eq!(error(&[("t", "{{ 1 / 0 }}")], json!({})), "t.jet:1: division by zero");
    assert_eq!(error(&[("t", "{{ x.y }}")], json!({"x": 3})), "t.jet:1: cannot read field 'y' of a number");
    assert_eq!(error(&[("t", "{{ include \"gone\" }}")], json!({})), "t.jet:1: include 'gone': no such template in set 'app:views'");
    assert_eq!(error(&[("t", "{{ extends \"gone\" }}")], json!({})), "t.jet:1: extends 'gone', which is not in set 'app:views'");
    assert_eq!(error(&[("t", "{{ yield b() }}")], json!({})), "t.jet:1: no block 'b' to yield (blocks here: )");
    assert_eq!(error(&[("t", "{{ range 3 }}{{ end }}")], json!({})), "t.jet:1: cannot range over a number");
    assert_eq!(
        error(&[("a", "{{ extends \"b\" }}"), ("b", "{{ extends \"a\" }}")], json!({})),
        "b.jet:1: extends 'a' in a cycle"
    );
}

#[test]
fn bombs_hit_their_bounds() {
    let bomb = "{{ range ints(0, 100000) }}{{ range ints(0, 100000) }}xxxxxxxxxx{{ end }}{{ end }}";
    assert_eq!(
        run_with(&[("t", bomb)], json!({}), 1000),
        Err(Failure::Limit("the output is larger than 1000 bytes (the sandbox's max_payload)".into()))
    );
    assert!(matches!(run_with(&[("t", "{{ repeat(\"ab\", 1000000) }}")], json!({}), 1000), Err(Failure::Error(m)) if m.contains("output limit")));
    let recursive = run_with(&[("t", "{{ include \"t\" }}")], json!({}), 1000);
    assert!(matches!(recursive, Err(Failure::Limit(m)) if m.contains("nest more than")));
    let quiet = "{{ range ints(0, 1000000000) }}{{ end }}";
    let set = CompiledSet::of(&[("t", quiet)], json!({}));
    let mut looks = 0;
    let stopped = render(&set, "t", Value::Nil, 1000, &mut || {
        looks += 1;
        looks < 3
    });
    assert_eq!(stopped, Err(Failure::Stopped));
}

#[test]
fn values_sharing_their_parts_cannot_blow_up() {
    // Each line quadruples what `x` prints and compares, while memory stays small.
    let grow = "{{ x = slice(x, x, x, x) }}".repeat(30);
    let printed = format!("{{{{ x := 1 }}}}{grow}{{{{ x }}}}");
    assert!(matches!(run_with(&[("t", &printed)], json!({}), 1 << 16), Err(Failure::Error(m)) if m.contains("prints longer")));
    let json = format!("{{{{ x := 1 }}}}{grow}{{{{ json(x) }}}}");
    assert!(matches!(run_with(&[("t", &json)], json!({}), 1 << 16), Err(Failure::Error(m)) if m.contains("larger than the output limit")));
    let compared = format!("{{{{ x := 1 }}}}{{{{ y := 1 }}}}{grow}{}{{{{ x == y }}}}", grow.replace('x', "y"));
    assert!(matches!(run_with(&[("t", &compared)], json!({}), 1 << 16), Err(Failure::Error(m)) if m.contains("too large to compare")));
}

#[test]
fn deepest_nesting_fits_a_small_stack() {
    // Host calls run on wasmtime's fiber stack: the deepest render must fit well within it.
    let nested = "{{ if true }}".repeat(40) + "{{ include \"t\" }}" + &"{{ end }}".repeat(40);
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || run_with(&[("t", &nested)], json!({}), 1000))
        .unwrap();
    assert!(matches!(handle.join().unwrap(), Err(Failure::Limit(m)) if m.contains("nest more than")));
}
