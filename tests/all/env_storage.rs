//! `env.storage.file` end to end: `env.set` through `luabox call` is in the file on disk when
//! the call returns, with the configured mode, and a fresh load of the app reads it back;
//! concurrent sets through the library API lose nothing; a missing file stops the load.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use luabox::app::App;
use luabox::codec::{json_to_values, values_to_json};
use luabox::config::EntryId;
use serde_json::json;

use crate::util::{app_dir, engine, luabox, runtime};

const APP: &str = "namespace: app\nentries:\n\
  - {name: secrets, kind: env.storage.file, file_path: conf/secrets.env, auto_create: true, \
     file_mode: \"0640\"}\n\
  - {name: token, kind: env.variable, variable: TOKEN, storage: secrets}\n\
  - {name: note, kind: env.variable, variable: NOTE, storage: secrets, default: none}\n\
  - {name: mem, kind: env.storage.memory}\n\
  - {name: counter, kind: env.variable, variable: COUNTER, storage: mem, default: \"0\"}\n\
  - {name: set, kind: function.lua, source: file://env.lua, method: set, modules: [env]}\n\
  - {name: get, kind: function.lua, source: file://env.lua, method: get, modules: [env]}\n";

const LUA: &str = "local env = require('env')\n\
  return {\n\
    set = function(name, value) return env.set(name, value) end,\n\
    get = function(name) return env.get(name) end,\n\
  }\n";

#[test]
fn a_set_is_on_disk_when_the_call_returns_and_a_fresh_load_reads_it() {
    let app = app_dir(&[("_index.yaml", APP), ("env.lua", LUA)]);
    let dir = app.path().to_str().unwrap();
    let file = app.path().join("conf/secrets.env");
    assert!(!file.exists());

    let run = luabox(
        &[
            "call",
            "app:set",
            "\"TOKEN\"",
            "\"s3cret value\"",
            "--dir",
            dir,
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "true");
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains("\nTOKEN='s3cret value'\n"), "{text}");
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);

    let run = luabox(&["call", "app:get", "\"TOKEN\"", "--dir", dir], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "\"s3cret value\"");
    let run = luabox(&["call", "app:get", "\"NOTE\"", "--dir", dir], "");
    assert_eq!(
        run.stdout.trim(),
        "\"none\"",
        "unset in the file: the default"
    );

    // A refused set leaves the file alone.
    let run = luabox(
        &["call", "app:set", "\"TOKEN\"", "\"a\\rb\"", "--dir", dir],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("carriage return"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn concurrent_sets_lose_nothing_and_memory_lives_with_the_app() {
    let mut yaml = APP.to_owned();
    for i in 0..8 {
        yaml.push_str(&format!(
            "- {{name: v{i}, kind: env.variable, variable: V{i}, storage: secrets}}\n"
        ));
    }
    let app = app_dir(&[("_index.yaml", &yaml), ("env.lua", LUA)]);
    let runtime = runtime();
    let loaded: Arc<App> = runtime.block_on(App::load(app.path(), engine())).unwrap();
    let set: EntryId = "app:set".parse().unwrap();
    let get: EntryId = "app:get".parse().unwrap();
    let call = |app: &Arc<App>, id: &EntryId, args: serde_json::Value| {
        let (app, id) = (app.clone(), id.clone());
        let args: Vec<serde_json::Value> = serde_json::from_value(args).unwrap();
        async move {
            let values = app.call(&id, json_to_values(&args), 0).await.unwrap();
            values_to_json(&values).unwrap()
        }
    };
    runtime.block_on(async {
        let sets = (0..8).map(|i| {
            call(
                &loaded,
                &set,
                json!([format!("V{i}"), format!("value {i}")]),
            )
        });
        let done = futures::future::join_all(sets).await;
        assert!(done.iter().all(|v| *v == json!(true)), "{done:?}");
        assert_eq!(
            call(&loaded, &set, json!(["COUNTER", "5"])).await,
            json!(true)
        );
        assert_eq!(call(&loaded, &get, json!(["COUNTER"])).await, json!("5"));
    });
    let text = fs::read_to_string(app.path().join("conf/secrets.env")).unwrap();
    for i in 0..8 {
        assert!(
            text.contains(&format!("\nV{i}='value {i}'\n")),
            "V{i} was lost: {text}"
        );
    }

    // A fresh load: the file's values are back, memory starts over.
    let fresh: Arc<App> = runtime.block_on(App::load(app.path(), engine())).unwrap();
    runtime.block_on(async {
        assert_eq!(call(&fresh, &get, json!(["V3"])).await, json!("value 3"));
        assert_eq!(call(&fresh, &get, json!(["COUNTER"])).await, json!("0"));
    });
}

#[test]
fn a_missing_file_without_auto_create_stops_the_load() {
    let app = app_dir(&[(
        "_index.yaml",
        "namespace: app\nentries:\n  - {name: f, kind: env.storage.file, file_path: none.env}\n",
    )]);
    let run = luabox(&["check", app.path().to_str().unwrap()], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "_index.yaml:3: entry 'app:f': env.storage.file: file 'none.env' does not exist \
             (create it, or set auto_create: true to start empty)"
        ),
        "{}",
        run.stderr
    );
}
