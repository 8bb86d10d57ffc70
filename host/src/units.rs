//! Human forms of sizes and durations, as YAML, the CLI and Lua write them: `32MiB`, `200ms`,
//! Go-style `1h30m`.
//!
//! ```
//! use luabox::units::{go_duration, parse_size};
//! assert_eq!(parse_size("32MiB").unwrap(), 32 << 20);
//! assert_eq!(go_duration("1.5s"), Some(std::time::Duration::from_millis(1500)));
//! ```

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Parse a size such as `32MiB`, `64 MiB`, `1GB` or `1048576`.
pub fn parse_size(text: &str) -> Result<u64> {
    let size: bytesize::ByteSize = text
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("invalid size {text:?} (expected e.g. 32MiB)"))?;
    if size.as_u64() == 0 {
        bail!("invalid size {text:?}: must be greater than zero");
    }
    Ok(size.as_u64())
}

/// Parse a duration such as `200ms`, `1.5s` or `2m`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let duration = go_duration(text.trim()).ok_or_else(|| {
        anyhow::anyhow!("invalid duration {text:?} (expected e.g. 200ms, 1.5s, 2m)")
    })?;
    if duration.is_zero() {
        bail!("invalid duration {text:?}: must be greater than zero");
    }
    Ok(duration)
}

/// Go-style durations, the form Lua code uses too: a sequence of decimal numbers with units
/// `ns`, `us`/`µs`, `ms`, `s`, `m`, `h` ("1h30m", "1.5s", "300ms"). No sign: durations here are
/// never negative.
pub fn go_duration(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut nanos = whole.checked_mul(scale)?;
        let mut place = scale;
        for digit in fraction.chars() {
            place /= 10;
            nanos = nanos.checked_add(u128::from(digit.to_digit(10)?) * place)?;
        }
        total_nanos = total_nanos.checked_add(nanos)?;
        rest = after;
    }
    let nanos = u64::try_from(total_nanos).ok()?;
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(
            go_duration("340282366920938463463374607431768211.999us"),
            None
        );
        assert_eq!(go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(go_duration("2us"), Some(Duration::from_micros(2)));
        assert_eq!(go_duration("0"), Some(Duration::ZERO));
        for bad in [
            "",
            "5",
            "ms",
            "1x",
            "-1s",
            "1.2.3s",
            "99999999999999999999h",
        ] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32MiB").unwrap(), 32 << 20);
        assert_eq!(parse_size("64 MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn cli_durations_reject_zero() {
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
