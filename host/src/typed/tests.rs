//! The lowering, source in and plain Lua out: every line stays where it was.

use super::{TypedError, to_plain_lua};

fn lowered(source: &str) -> String {
    let out = to_plain_lua(source).unwrap_or_else(|e| panic!("{e}\n{source}"));
    assert_eq!(
        out.matches('\n').count(),
        source.matches('\n').count(),
        "lines moved:\n{out}"
    );
    out.into_owned()
}

fn squeezed(source: &str) -> String {
    lowered(source)
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn error(source: &str) -> TypedError {
    to_plain_lua(source).expect_err("an error")
}

#[test]
fn plain_lua_passes_through_borrowed() {
    let source = "local t = {type = 1, as = 2}\nlocal as = t.as\n::top:: goto top\nreturn type(as)";
    assert!(matches!(
        to_plain_lua(source),
        Ok(std::borrow::Cow::Borrowed(_))
    ));
    // `as` on the next line is a statement of its own; `type` after `=` is a value.
    let source = "local f = print\nf()\nas = 3\nlocal x = type\nX = 1\nf() as(1) f() as \"s\"";
    assert!(matches!(
        to_plain_lua(source),
        Ok(std::borrow::Cow::Borrowed(_))
    ));
}

#[test]
fn annotations_on_locals_parameters_results_and_for_names_become_spaces() {
    assert_eq!(squeezed("local n: number = 3.14"), "local n = 3.14");
    assert_eq!(
        squeezed("local a: string?, b: {[string]: number} = f()"),
        "local a , b = f()"
    );
    assert_eq!(
        squeezed("local function add(a: number, b: number): number\n  return a + b\nend"),
        "local function add(a , b )\nreturn a + b\nend"
    );
    assert_eq!(
        squeezed("function M.fetch(url: string): (string?, error?) return nil end"),
        "function M.fetch(url ) return nil end"
    );
    assert_eq!(
        squeezed("local function ask(r: {p: string?}): string?, string?\n  return nil, 'x'\nend"),
        "local function ask(r )\nreturn nil, 'x'\nend"
    );
    assert_eq!(
        squeezed("function obj:sum(...: number): number end"),
        "function obj:sum(... ) end"
    );
    assert_eq!(
        squeezed("local double: (number) -> number = function(x: number): number return x * 2 end"),
        "local double = function(x ) return x * 2 end"
    );
    assert_eq!(
        squeezed("local function greet<T: HasName>(obj: T): string end"),
        "local function greet (obj ) end"
    );
    assert_eq!(
        squeezed("for k: string, v: number in pairs(t) do end"),
        "for k , v in pairs(t) do end"
    );
    assert_eq!(
        squeezed("local x <const>: integer = 1"),
        "local x <const> = 1"
    );
    assert_eq!(
        squeezed("local x: number @min(0) @max(100) = 50"),
        "local x = 50"
    );
    assert_eq!(
        squeezed("local cb: (self, key: string, ...any) -> () = nil"),
        "local cb = nil"
    );
}

#[test]
fn casts_and_the_non_nil_assertion_become_spaces_and_labels_stay() {
    assert_eq!(
        squeezed("return result :: BootloaderResult"),
        "return result"
    );
    assert_eq!(
        squeezed("local e = {a = 1} :: {Entry}, x"),
        "local e = {a = 1} , x"
    );
    assert_eq!(squeezed("local u = data as User"), "local u = data");
    assert_eq!(
        squeezed("local name = (user!).name"),
        "local name = (user ).name"
    );
    assert_eq!(
        squeezed("::continue::\ngoto continue"),
        "::continue::\ngoto continue"
    );
}

#[test]
fn a_declaration_becomes_a_local_holding_its_value_on_its_first_line() {
    let source =
        "type Config = {\n  host: string,\n  timeout?: number, -- seconds\n}\nreturn Config";
    assert_eq!(
        lowered(source),
        "local Config; Config = __luabox_types.named(\"Config\", __luabox_types.record({{\"host\", \
         __luabox_types[\"string\"]}, {\"timeout\", __luabox_types[\"number\"], true}, }))\n\n\n\n\
         return Config"
    );
    assert_eq!(
        squeezed("type Status = \"pending\" | \"done\""),
        "local Status; Status = __luabox_types.named(\"Status\", __luabox_types.union({\
         __luabox_types.literal(\"pending\"), __luabox_types.literal(\"done\"), }))"
    );
    assert_eq!(
        squeezed("type Result<T, E> =\n  {ok: true, value: T}\n  | {ok: false, error: E}"),
        "local Result; Result = __luabox_types.named(\"Result\", __luabox_types.union({\
         __luabox_types.record({{\"ok\", __luabox_types.literal(true)}, {\"value\", \
         __luabox_types.any}, }), __luabox_types.record({{\"ok\", __luabox_types.literal(false)}, \
         {\"error\", __luabox_types.any}, }), }))\n"
    );
    assert_eq!(
        squeezed("type P = Named & {age: integer @min(0)}"),
        "local P; P = __luabox_types.named(\"P\", __luabox_types.intersection({\
         __luabox_types.ref(\"Named\", function() return Named end), __luabox_types.record({\
         {\"age\", __luabox_types.validated(__luabox_types[\"integer\"], {{\"min\", 0}, })}, }), }))"
    );
}

#[test]
fn nested_generic_arguments_close_with_a_shift_token() {
    assert_eq!(
        squeezed("local m: Map<string, List<number>> = {}"),
        "local m = {}"
    );
}

#[test]
fn what_cannot_be_lowered_is_an_error_at_its_line() {
    assert_eq!(
        error("local a = 1\nlocal x: = 2"),
        TypedError {
            line: 2,
            message: "expected a type, found '='".into()
        }
    );
    assert_eq!(
        error("type T = string @email").message,
        "unknown validator '@email': luabox knows @min, @max, @min_len, @max_len, @pattern"
    );
    assert_eq!(
        error("type T = {x: }").message,
        "expected a type, found '}'"
    );
    assert_eq!(
        error("local x: number @min(]) = 1").message,
        "unbalanced ']' in the arguments of '@min'"
    );
}

#[test]
fn typeof_stands_for_a_declared_type_or_asks_the_value() {
    assert_eq!(
        squeezed(
            "local ids: {integer} = {}
return typeof(ids), typeof(other)"
        ),
        "local ids = {}
return __luabox_types.array(__luabox_types[\"integer\"]), typeof(other)"
    );
    assert_eq!(
        squeezed("type R = {of: typeof(registry)}"),
        "local R; R = __luabox_types.named(\"R\", __luabox_types.record({{\"of\", \
         __luabox_types.ref(\"typeof(registry)\", function() return typeof(registry) end)}, }))"
    );
    assert_eq!(squeezed("local names: string[] = {}"), "local names = {}");
}
