//! `wit/http.wit`, the `http` Lua module: inside the `function.lua` of an `http.endpoint`, the
//! request it handles and the response it writes (Wippy: wippyai/docs en/lua/http/http.md). The server hands the
//! sandbox an [`Exchange`] through its caller; every call made outside a request is an
//! `Invalid` error. The Lua face is `guest-lua/glue/lua/http.lua`.
//!
//! ```lua
//! local http = require("http")
//! local req = http.request()
//! local res = http.response()
//! res:write_json({ message = "hello " .. req:param("name") })
//! ```

use std::sync::Arc;

use serde_json::Value as JsonValue;

use super::{host_error, one_value};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::http;
use crate::codec::{encode_values, json_to_msgpack};
use crate::engine::SandboxState;
use crate::error::ErrorKind;
use crate::http::exchange::{Exchange, WriteError};

host_module!(Http, "http", http);

impl SandboxState {
    fn exchange(&self, call: &str) -> Result<Arc<Exchange>, HostError> {
        self.extension_arc::<crate::http::exchange::Exchange>()
            .ok_or_else(|| {
                host_error(
                    ErrorKind::Invalid,
                    format!(
                        "http.{call}: this sandbox is not handling an HTTP request (only the \
                     function of an http.endpoint is)"
                    ),
                )
            })
    }
}

fn write_error(call: &str, error: WriteError) -> HostError {
    host_error(ErrorKind::Invalid, format!("http: {call}: {error}"))
}

impl http::Host for SandboxState {
    fn request(&mut self) -> wasmtime::Result<Result<http::RequestInfo, HostError>> {
        Ok(self.exchange("request").map(|exchange| {
            let request = exchange.request();
            http::RequestInfo {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                headers: request.headers.clone(),
                params: request.params.clone(),
                host: request.host.clone(),
                remote_addr: request.remote_addr.clone(),
                body_size: request.body.len() as u64,
            }
        }))
    }

    fn body(&mut self) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        Ok(self
            .exchange("request")
            .map(|exchange| exchange.request().body.to_vec()))
    }

    fn body_json(&mut self) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let exchange = match self.exchange("request") {
            Ok(exchange) => exchange,
            Err(error) => return Ok(Err(error)),
        };
        Ok(
            serde_json::from_slice::<JsonValue>(&exchange.request().body)
                .map(|json| encode_values(vec![json_to_msgpack(&json)]))
                .map_err(|error| {
                    host_error(
                        ErrorKind::Invalid,
                        format!("http: the request body is not valid JSON: {error}"),
                    )
                }),
        )
    }

    fn set_status(&mut self, code: u16) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self.exchange("response").and_then(|exchange| {
            if !(100..=999).contains(&code) {
                return Err(host_error(
                    ErrorKind::Invalid,
                    format!("http: set_status: {code} is not a status code (100 to 999)"),
                ));
            }
            exchange
                .set_status(code)
                .map_err(|error| write_error("set_status", error))
        }))
    }

    fn set_header(
        &mut self,
        name: String,
        value: String,
    ) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self.exchange("response").and_then(|exchange| {
            exchange
                .set_header(&name, &value)
                .map_err(|error| write_error("set_header", error))
        }))
    }

    fn write(&mut self, data: Vec<u8>) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self.exchange("response").and_then(|exchange| {
            exchange
                .write(&data)
                .map_err(|error| write_error("write", error))
        }))
    }

    fn write_json(&mut self, value: Vec<u8>) -> wasmtime::Result<Result<(), HostError>> {
        Ok(self.exchange("response").and_then(|exchange| {
            let value = one_value(&value)?;
            let json = crate::codec::strict::to_json(&value, &mut String::from("value")).map_err(
                |message| host_error(ErrorKind::Invalid, format!("http: write_json: {message}")),
            )?;
            exchange.default_header("content-type", "application/json");
            let text = serde_json::to_vec(&json).map_err(|error| {
                host_error(ErrorKind::Internal, format!("http: write_json: {error}"))
            })?;
            exchange
                .write(&text)
                .map_err(|error| write_error("write_json", error))
        }))
    }
}
