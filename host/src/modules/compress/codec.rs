//! The compression formats as plain functions of their input: [`encode`] and [`decode`], with
//! the bound that stops a decompression bomb and a `check` callback the work calls between
//! steps (the sandbox's deadline).
//!
//! Decoding reads the output a [`STEP`] at a time and fails as soon as it would pass its
//! bound, so a small input that expands without end costs at most the bound in memory.

use std::io::{Read, Write};

use crate::bindings::luabox::sandbox::compress::Format;

/// How much input an encoder takes, or output a decoder gives, between two checks.
const STEP: usize = 64 << 10;

/// Why a compression stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: empty, corrupt, a level out of range, a mismatched dictionary.
    Invalid(String),
    /// The output would have passed the bound (bytes).
    TooLarge(usize),
    /// `check` said to stop (the deadline passed): this ends the run.
    Stopped(wasmtime::Error),
}

/// What the work calls between steps; an error stops it.
pub type Check<'a> = &'a mut dyn FnMut() -> wasmtime::Result<()>;

/// `format`'s level range and default (Wippy: wippyai/docs en/lua/data/compress.md).
pub fn levels(format: Format) -> (i64, i64, i64) {
    match format {
        Format::Gzip | Format::Deflate | Format::Zlib => (1, 9, 6),
        Format::Brotli => (0, 11, 6),
        Format::Zstd => (1, 22, 3),
    }
}

/// The name Lua uses for `format`, for messages.
pub fn name(format: Format) -> &'static str {
    match format {
        Format::Gzip => "gzip",
        Format::Deflate => "deflate",
        Format::Zlib => "zlib",
        Format::Brotli => "brotli",
        Format::Zstd => "zstd",
    }
}

/// `data` compressed in `format` at `level` (the default when `None`).
pub fn encode(
    format: Format,
    data: &[u8],
    level: Option<i64>,
    dict: Option<&[u8]>,
    check: Check,
) -> Result<Vec<u8>, Failure> {
    let name = name(format);
    if data.is_empty() {
        return Err(Failure::Invalid(format!("{name}.encode: empty input")));
    }
    let (low, high, default) = levels(format);
    let level = level.unwrap_or(default);
    if !(low..=high).contains(&level) {
        return Err(Failure::Invalid(format!(
            "{name}.encode: level {level} is out of range {low}-{high}"
        )));
    }
    // In range, so it fits every type below.
    let level = level as u32;
    let out = Vec::new();
    match format {
        Format::Gzip => {
            let encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
            feed(encoder, data, check, |e| e.finish())
        }
        Format::Deflate => {
            let encoder = flate2::write::DeflateEncoder::new(out, flate2::Compression::new(level));
            feed(encoder, data, check, |e| e.finish())
        }
        Format::Zlib => {
            let encoder = flate2::write::ZlibEncoder::new(out, flate2::Compression::new(level));
            feed(encoder, data, check, |e| e.finish())
        }
        // A 4 MiB window (lgwin 22), brotli's usual one.
        Format::Brotli => {
            let encoder = brotli::CompressorWriter::new(out, 4096, level, 22);
            feed(encoder, data, check, |e| Ok(e.into_inner()))
        }
        Format::Zstd => {
            let encoder = zstd::stream::write::Encoder::with_dictionary(
                out,
                level as i32,
                dict.unwrap_or_default(),
            )
            .map_err(|error| Failure::Invalid(format!("zstd.encode: {error}")))?;
            // Declaring the size makes a single-segment frame whose window is the content, so
            // small outputs decode within a small window (see `window_log`).
            let mut encoder = encoder;
            encoder
                .set_pledged_src_size(Some(data.len() as u64))
                .and_then(|()| encoder.include_contentsize(true))
                .map_err(|error| Failure::Invalid(format!("zstd.encode: {error}")))?;
            feed(encoder, data, check, |e| e.finish())
        }
    }
}

/// Write `data` to `encoder` a [`STEP`] at a time, then `finish` it.
fn feed<E: Write>(
    mut encoder: E,
    data: &[u8],
    check: Check,
    finish: impl FnOnce(E) -> std::io::Result<Vec<u8>>,
) -> Result<Vec<u8>, Failure> {
    let internal = |error: std::io::Error| Failure::Invalid(error.to_string());
    for step in data.chunks(STEP) {
        check().map_err(Failure::Stopped)?;
        encoder.write_all(step).map_err(internal)?;
    }
    finish(encoder).map_err(internal)
}

/// `data` decompressed from `format`, failing once the output would pass `bound` bytes.
pub fn decode(
    format: Format,
    data: &[u8],
    bound: usize,
    dict: Option<&[u8]>,
    check: Check,
) -> Result<Vec<u8>, Failure> {
    let name = name(format);
    if data.is_empty() {
        return Err(Failure::Invalid(format!("{name}.decode: empty input")));
    }
    let invalid = |error: std::io::Error| Failure::Invalid(format!("{name}.decode: {error}"));
    match format {
        // Every member of a multi-member file, as gzip tools (and Go's reader) read them.
        Format::Gzip => drain(flate2::read::MultiGzDecoder::new(data), bound, check, name),
        Format::Deflate => drain(flate2::read::DeflateDecoder::new(data), bound, check, name),
        Format::Zlib => drain(flate2::read::ZlibDecoder::new(data), bound, check, name),
        Format::Brotli => drain(brotli::Decompressor::new(data, 4096), bound, check, name),
        Format::Zstd => {
            let mut decoder =
                zstd::stream::read::Decoder::with_dictionary(data, dict.unwrap_or_default())
                    .map_err(invalid)?;
            // A frame declares the window its decoder must allocate: refuse windows larger
            // than the output may be, so a hostile header cannot make the host allocate more.
            decoder.window_log_max(window_log(bound)).map_err(invalid)?;
            drain(decoder, bound, check, name).map_err(|failure| match failure {
                Failure::Invalid(message) if message.ends_with(window_too_large()) => {
                    Failure::TooLarge(bound)
                }
                failure => failure,
            })
        }
    }
}

/// The largest zstd window log a decoder bounded to `bound` bytes accepts: enough for the
/// bound, at least 8 MiB (what zstd's levels up to 19 use when the size is not known) and at
/// most zstd's default maximum, 128 MiB.
fn window_log(bound: usize) -> u32 {
    let needed = usize::BITS - bound.saturating_sub(1).leading_zeros();
    needed.clamp(23, 27)
}

/// zstd's message for a frame whose window passes `window_log`: its output may be as large as
/// the window, so it is reported as past the bound.
fn window_too_large() -> &'static str {
    let code = zstd::zstd_safe::zstd_sys::ZSTD_ErrorCode::ZSTD_error_frameParameter_windowTooLarge;
    // zstd's error codes are the negated enum values.
    zstd::zstd_safe::get_error_name(0usize.wrapping_sub(code as usize))
}

/// Read `reader` to its end a [`STEP`] at a time, failing once the output would pass `bound`.
fn drain(
    mut reader: impl Read,
    bound: usize,
    check: Check,
    name: &str,
) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let mut step = vec![0; STEP];
    loop {
        check().map_err(Failure::Stopped)?;
        let n = match reader.read(&mut step) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(Failure::Invalid(format!("{name}.decode: {error}")));
            }
        };
        if out.len() + n > bound {
            return Err(Failure::TooLarge(bound));
        }
        out.extend_from_slice(&step[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Format; 5] = [
        Format::Gzip,
        Format::Deflate,
        Format::Zlib,
        Format::Brotli,
        Format::Zstd,
    ];

    fn go_on() -> wasmtime::Result<()> {
        Ok(())
    }

    #[test]
    fn every_format_round_trips_at_every_level() {
        let text = b"hello hello hello hello, compressed world".repeat(50);
        for format in ALL {
            let (low, high, _) = levels(format);
            for level in [None, Some(low), Some(high)] {
                let packed = encode(format, &text, level, None, &mut go_on).unwrap();
                assert!(packed.len() < text.len(), "{}", name(format));
                let back = decode(format, &packed, 1 << 20, None, &mut go_on).unwrap();
                assert_eq!(back, text);
            }
        }
    }

    #[test]
    fn a_bomb_stops_at_the_bound() {
        let zeros = vec![0u8; 8 << 20];
        for format in ALL {
            let packed = encode(format, &zeros, None, None, &mut go_on).unwrap();
            assert!(packed.len() < 64 << 10, "{}", name(format));
            match decode(format, &packed, 1 << 20, None, &mut go_on) {
                Err(Failure::TooLarge(bound)) => assert_eq!(bound, 1 << 20),
                other => panic!("{}: {other:?}", name(format)),
            }
        }
    }

    #[test]
    fn corrupt_empty_and_out_of_range_are_invalid() {
        for format in ALL {
            let bad = decode(format, b"this is not compressed", 1 << 20, None, &mut go_on);
            assert!(matches!(bad, Err(Failure::Invalid(_))), "{}", name(format));
            let empty = decode(format, b"", 1 << 20, None, &mut go_on);
            assert!(matches!(empty, Err(Failure::Invalid(_))));
            let empty = encode(format, b"", None, None, &mut go_on);
            assert!(matches!(empty, Err(Failure::Invalid(_))));
            let (_, high, _) = levels(format);
            let level = encode(format, b"x", Some(high + 1), None, &mut go_on);
            assert!(matches!(level, Err(Failure::Invalid(_))));
        }
    }

    #[test]
    fn a_truncated_stream_is_invalid() {
        let text = b"some text that will be cut short ".repeat(100);
        for format in ALL {
            let packed = encode(format, &text, None, None, &mut go_on).unwrap();
            let cut = &packed[..packed.len() / 2];
            let result = decode(format, cut, 1 << 20, None, &mut go_on);
            assert!(matches!(result, Err(Failure::Invalid(_))), "{}", name(format));
        }
    }

    #[test]
    fn the_check_stops_the_work() {
        let data = vec![1u8; 1 << 20];
        let mut stop = || Err(wasmtime::Error::msg("deadline"));
        let result = encode(Format::Gzip, &data, None, None, &mut stop);
        assert!(matches!(result, Err(Failure::Stopped(_))));
    }

    #[test]
    fn window_logs_cover_the_bound() {
        assert_eq!(window_log(1), 23);
        assert_eq!(window_log(1 << 24), 24);
        assert_eq!(window_log((1 << 24) + 1), 25);
        assert_eq!(window_log(1 << 30), 27);
        assert_eq!(window_too_large(), "Frame requires too much memory for decoding");
    }
}
