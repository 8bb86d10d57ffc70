//! The module allowlist is a link-time fact (docs/architecture.md §2): an entry without a module cannot reach
//! its host functions, even when the guest's own `require` check is out of the way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use luabox::app::App;
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use luabox::engine::Invocation;
use luabox::error::RunError;
use serde_json::json;

use crate::util::{app_dir, engine, runtime};

const DIGEST: &str = "return require('hash').sha256('abc')";

#[test]
fn an_unlinked_module_traps_even_when_called_through_its_raw_import() {
    let runtime = runtime();
    let engine = engine();
    // The guest-side allowlist lets `require('hash')` through, but the linker was built for an
    // entry whose modules do not include hash: calling the import must trap.
    let mut invocation = Invocation::script("proof:no_hash", DIGEST).allow_modules(&["hash"]);
    invocation.linked.clear();
    let error = runtime.block_on(engine.run(invocation)).unwrap_err();
    let RunError::Trap(message) = &error else {
        panic!("expected a trap, got {error:?}");
    };
    assert!(message.contains("luabox:sandbox/hash"), "{message}");

    // The same call with the module linked works: the trap came from the missing link alone.
    let linked = Invocation::script("proof:hash", DIGEST).allow_modules(&["hash"]);
    let result = runtime.block_on(engine.run(linked)).unwrap();
    assert_eq!(
        values_to_json(&result).unwrap(),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[test]
fn a_library_brings_its_modules_into_the_importers_sandbox_only_for_itself() {
    let app = app_dir(&[
        (
            "app.yaml",
            "namespace: app\nentries:\n  - {name: lib, kind: library.lua, source: file://lib.lua, \
             modules: [hash]}\n  - {name: main, kind: function.lua, source: file://main.lua, \
             method: main, imports: {lib: lib}}\n",
        ),
        (
            "lib.lua",
            "return { digest = function(s) return require('hash').md5(s) end }\n",
        ),
        (
            "main.lua",
            "local lib = require('lib')\nreturn { main = function() \
             return lib.digest('abc'), pcall(require, 'hash') end }\n",
        ),
    ]);
    let runtime = runtime();
    let loaded = runtime.block_on(App::load(app.path(), engine())).unwrap();
    let id: EntryId = "app:main".parse().unwrap();
    let values = runtime
        .block_on(loaded.call(&id, json_to_values(&[]), 0))
        .unwrap();
    let values = values_to_json(&values).unwrap();
    assert_eq!(values[0], json!("900150983cd24fb0d6963f7d28e17f72"));
    assert_eq!(values[1], json!(false));
    assert!(
        values[2]
            .as_str()
            .unwrap()
            .contains("not allowed in entry 'app:main'")
    );
}

#[test]
fn a_bounded_pool_runs_one_call_at_a_time() {
    let app = app_dir(&[
        (
            "app.yaml",
            "namespace: app\nentries:\n  - {name: nap, kind: function.lua, source: file://f.lua, \
             method: nap, modules: [time], pool: {type: static, size: 1}}\n  - {name: fan, \
             kind: function.lua, source: file://f.lua, method: fan, modules: [funcs]}\n",
        ),
        (
            "f.lua",
            "local M = {}\nfunction M.nap() require('time').sleep('100ms') return true end\n\
             function M.fan()\n  local funcs = require('funcs')\n  local fs = {}\n  \
             for i = 1, 3 do fs[i] = funcs.async('nap') end\n  \
             for i = 1, 3 do assert(fs[i]:result()) end\n  return 3\nend\nreturn M\n",
        ),
    ]);
    let runtime = runtime();
    let loaded: Arc<App> = runtime.block_on(App::load(app.path(), engine())).unwrap();
    let started = Instant::now();
    let id: EntryId = "app:fan".parse().unwrap();
    let values = runtime
        .block_on(loaded.call(&id, json_to_values(&[]), 0))
        .unwrap();
    assert_eq!(values_to_json(&values).unwrap(), json!(3));
    // Three 100 ms naps through a pool of one cannot overlap: a lower bound, never flaky.
    assert!(started.elapsed() >= Duration::from_millis(300));
}
