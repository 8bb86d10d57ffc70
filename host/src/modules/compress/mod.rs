//! `wit/compress.wit`, the `compress` Lua module (Wippy: wippyai/docs en/lua/data/compress.md):
//! gzip, deflate and zlib (`flate2`), brotli (`brotli`) and zstd with dictionaries (`zstd`).
//!
//! ```lua
//! local compress = require("compress")
//! local packed = compress.gzip.encode(body, {level = 9})
//! local body, err = compress.gzip.decode(packed, {max_size = 10 * 1024 * 1024})
//! local dict = compress.zstd.train_dict(samples, {size = 4096})
//! ```
//!
//! Decompression bombs are the risk here: every decode stops, with an `Internal` error, as soon
//! as its output would pass its bound — `max_size` (128 MiB when not given, at most 1 GiB) or
//! the sandbox's `max_payload`, whichever is smaller — so it never holds more than the bound.
//! Both ways check the sandbox's deadline between steps ([`codec`]).
//!
//! Linked in workflows: the output is a pure function of the input and options (the encoders
//! are deterministic, and so is zstd's dictionary trainer).

mod codec;
mod dict;

use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::compress::{self, DictInfo, Format, TrainOptions};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

use codec::Failure;

host_module!(Compress, "compress", compress, Linked);

/// `max_size` when not given, and the most it may be (Wippy's).
const DEFAULT_MAX_SIZE: i64 = 128 << 20;
const MOST_MAX_SIZE: i64 = 1 << 30;

impl compress::Host for SandboxState {
    fn encode(
        &mut self,
        format: Format,
        data: Vec<u8>,
        level: Option<i64>,
        dict: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let mut check = || self.check_deadline();
        let packed = codec::encode(format, &data, level, dict.as_deref(), &mut check);
        let limit = self.max_payload() as usize;
        match packed {
            // Incompressible input grows a little; the result must still fit the sandbox.
            Ok(packed) if packed.len() > limit => Ok(Err(too_large(format, "encode", limit))),
            result => answer(result, format, "encode"),
        }
    }

    fn decode(
        &mut self,
        format: Format,
        data: Vec<u8>,
        max_size: Option<i64>,
        dict: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        let max_size = max_size.unwrap_or(DEFAULT_MAX_SIZE);
        if max_size <= 0 {
            let message = format!("{}.decode: max_size must be positive", codec::name(format));
            return Ok(Err(super::host_error(ErrorKind::Invalid, message)));
        }
        let bound = max_size.min(MOST_MAX_SIZE) as usize;
        let bound = bound.min(self.max_payload() as usize);
        let mut check = || self.check_deadline();
        let result = codec::decode(format, &data, bound, dict.as_deref(), &mut check);
        answer(result, format, "decode")
    }

    fn train_dict(
        &mut self,
        samples: Vec<Vec<u8>>,
        options: TrainOptions,
    ) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        self.check_deadline()?;
        let options = dict::Train {
            size: options.size,
            id: options.id,
            level: options.level,
        };
        answer(dict::train(&samples, &options), Format::Zstd, "train_dict")
    }

    fn inspect_dict(&mut self, dict: Vec<u8>) -> wasmtime::Result<Result<DictInfo, HostError>> {
        let info = dict::inspect(&dict).map(|(id, content_size)| DictInfo { id, content_size });
        answer(info, Format::Zstd, "inspect_dict")
    }
}

/// A codec's result as the WIT result: a stop for the deadline is a trap that ends the run.
fn answer<T>(
    result: Result<T, Failure>,
    format: Format,
    call: &str,
) -> wasmtime::Result<Result<T, HostError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Failure::Invalid(message)) => Ok(Err(super::host_error(ErrorKind::Invalid, message))),
        Err(Failure::TooLarge(bound)) => Ok(Err(too_large(format, call, bound))),
        Err(Failure::Stopped(error)) => Err(error),
    }
}

/// Wippy's kind for an output past its limit is `Internal`.
fn too_large(format: Format, call: &str, bound: usize) -> HostError {
    super::host_error(
        ErrorKind::Internal,
        format!(
            "{}.{call}: the output would exceed its limit of {bound} bytes (max_size, or the \
             sandbox's max_payload)",
            codec::name(format)
        ),
    )
}
