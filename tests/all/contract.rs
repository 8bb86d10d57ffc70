//! Contracts as a user runs them (`tests/apps/contract`): definitions and bindings, method
//! calls with scope and query parameters, async calls, retries and the module's errors.

use crate::util::{luabox, repo};

#[test]
fn contracts_open_call_and_retry_as_in_wippy() {
    let run = luabox(&["test", &repo("tests/apps/contract")], "");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn a_binding_of_an_unknown_method_or_function_fails_the_check() {
    let dir = crate::util::app_dir(&[(
        "_index.yaml",
        "namespace: app
entries:
  - {name: c, kind: contract.definition, methods: [{name: a}]}
  - {name: f, kind: function.lua, source: \"return {main = function() end}\", method: main}
  - name: b
    kind: contract.binding
    contracts: [{contract: c, methods: {a: f, b: nope}}]
",
    )]);
    let run = luabox(&["check", dir.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    for message in [
        "entry 'app:b': contracts[].methods.b refers to 'app:nope', which does not exist",
        "entry 'app:b': contract 'app:c' has no method 'b' (its methods: a)",
    ] {
        assert!(run.stderr.contains(message), "{message} in {}", run.stderr);
    }
}
