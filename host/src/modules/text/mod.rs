//! `wit/text.wit`, the host part of the `text` Lua module (Wippy: wippyai/docs
//! en/lua/text/text.md): regular expressions ([`pattern`], Rust's `regex`) and diffs and
//! patches ([`diff`], diff-match-patch). The Lua face (`guest-lua/glue/lua/text.lua`) builds the
//! Regexp and Differ objects on these calls, and the text splitters in Lua alone.
//!
//! ```lua
//! local text = require("text")
//! local re = text.regexp.compile("(\\w+)@(\\w+)")
//! re:find_string_submatch("me@host")        --> {"me@host", "me", "host"}
//! local d = text.diff.new()
//! d:compare("hello world", "hello there")    --> {{operation="equal", text="hello "}, ...}
//! ```
//!
//! Linked in workflows: every call is a function of its arguments, save that a diff cut short
//! by its `diff_timeout` (wall time) is less minimal — still a correct diff, but a replay could
//! find a different one.

mod diff;
mod pattern;

use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::text::{self, DiffOptions, Groups, Operation, Spans};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

host_module!(Text, "text", text, Linked);

fn invalid(message: String) -> HostError {
    super::host_error(ErrorKind::Invalid, message)
}

fn internal(message: String) -> HostError {
    super::host_error(ErrorKind::Internal, message)
}

impl SandboxState {
    fn regex(&mut self, pattern: &str) -> Result<std::sync::Arc<regex::bytes::Regex>, HostError> {
        self.module_state::<pattern::Cache>()
            .get(pattern)
            .map_err(invalid)
    }
}

impl text::Host for SandboxState {
    fn compile(&mut self, pattern: String) -> wasmtime::Result<Result<Groups, HostError>> {
        Ok(self.regex(&pattern).map(|regex| Groups {
            count: (regex.captures_len() - 1) as u32,
            names: regex
                .capture_names()
                .map(|name| name.unwrap_or_default().to_string())
                .collect(),
        }))
    }

    fn find(
        &mut self,
        pattern: String,
        s: Vec<u8>,
        limit: i64,
        groups: bool,
    ) -> wasmtime::Result<Result<Vec<Spans>, HostError>> {
        let regex = match self.regex(&pattern) {
            Ok(regex) => regex,
            Err(error) => return Ok(Err(error)),
        };
        let mut check = || self.check_deadline();
        Ok(Ok(pattern::find(&regex, &s, limit, groups, &mut check)?))
    }

    fn replace_all(
        &mut self,
        pattern: String,
        s: Vec<u8>,
        repl: Vec<u8>,
    ) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        self.check_deadline()?;
        let regex = match self.regex(&pattern) {
            Ok(regex) => regex,
            Err(error) => return Ok(Err(error)),
        };
        let out = regex.replace_all(&s, repl.as_slice()).into_owned();
        if out.len() > self.max_payload() as usize {
            let message = format!(
                "replace_all_string: the result passes the sandbox's max_payload of {} bytes",
                self.max_payload()
            );
            return Ok(Err(internal(message)));
        }
        Ok(Ok(out))
    }

    fn split(
        &mut self,
        pattern: String,
        s: Vec<u8>,
        n: i64,
    ) -> wasmtime::Result<Result<Vec<Vec<u8>>, HostError>> {
        self.check_deadline()?;
        Ok(self.regex(&pattern).map(|regex| {
            let parts = pattern::split(&regex, &s, n);
            parts.into_iter().map(<[u8]>::to_vec).collect()
        }))
    }

    fn compare(
        &mut self,
        options: DiffOptions,
        a: String,
        b: String,
    ) -> wasmtime::Result<Result<Vec<(Operation, String)>, HostError>> {
        self.check_deadline()?;
        Ok(diff::compare(&options, &a, &b).map_err(internal))
    }

    fn patch_make(
        &mut self,
        options: DiffOptions,
        a: String,
        b: String,
    ) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        self.check_deadline()?;
        Ok(diff::patch_make(&options, &a, &b).map_err(internal))
    }

    fn patch_apply(
        &mut self,
        options: DiffOptions,
        patches: String,
        s: String,
    ) -> wasmtime::Result<Result<(String, bool), HostError>> {
        self.check_deadline()?;
        Ok(diff::patch_apply(&options, &patches, &s).map_err(invalid))
    }
}
