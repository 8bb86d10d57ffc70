//! `wit/uuid.wit`, the `uuid` Lua module: random v4 and time-ordered v7 UUIDs from the `uuid`
//! crate; validation and inspection live in the Lua face (`guest-lua/glue/lua/uuid.lua`).

use crate::bindings::luabox::sandbox::uuid;
use crate::engine::SandboxState;

host_module!(Uuid, "uuid", uuid, Recorded);

impl uuid::Host for SandboxState {
    fn v4(&mut self) -> wasmtime::Result<String> {
        Ok(::uuid::Uuid::new_v4().hyphenated().to_string())
    }

    fn v7(&mut self) -> wasmtime::Result<String> {
        Ok(::uuid::Uuid::now_v7().hyphenated().to_string())
    }
}
