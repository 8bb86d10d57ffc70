//! `crypto.random`: bytes from the operating system's generator, strings of characters picked
//! uniformly from a charset (rejection sampling, so no character is likelier than another).

use super::{internal, invalid};
use crate::bindings::HostError;

/// The charset of `random.string` when none is given (the doc page's "alphanumeric").
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// The largest charset: a character list the host holds while it picks from it.
const MAX_CHARSET: usize = 1 << 20;

/// `length` random bytes.
pub(super) fn bytes(length: usize) -> Result<Vec<u8>, HostError> {
    let mut out = vec![0; length];
    fill(&mut out)?;
    Ok(out)
}

/// `length` characters of `charset` (UTF-8 text), each picked uniformly by position.
pub(super) fn string(length: usize, charset: Option<&[u8]>) -> Result<String, HostError> {
    let charset = charset.unwrap_or(ALPHANUMERIC);
    if charset.is_empty() {
        return Err(invalid("crypto.random.string: the charset is empty"));
    }
    if charset.len() > MAX_CHARSET {
        return Err(invalid(format!(
            "crypto.random.string: the charset is longer than {MAX_CHARSET} bytes"
        )));
    }
    let Ok(text) = std::str::from_utf8(charset) else {
        return Err(invalid("crypto.random.string: the charset must be UTF-8 text"));
    };
    let chars: Vec<char> = text.chars().collect();
    let mut entropy = Entropy::default();
    let mut out = String::with_capacity(length);
    for _ in 0..length {
        out.push(chars[entropy.below(chars.len() as u32)? as usize]);
    }
    Ok(out)
}

pub(super) fn fill(buf: &mut [u8]) -> Result<(), HostError> {
    getrandom::fill(buf)
        .map_err(|error| internal(format!("crypto.random: no randomness from the system: {error}")))
}

/// Random numbers drawn from a buffer of system randomness, refilled as it runs out.
struct Entropy {
    buf: [u8; 4096],
    at: usize,
}

impl Default for Entropy {
    fn default() -> Self {
        let buf = [0; 4096];
        Entropy { at: buf.len(), buf }
    }
}

impl Entropy {
    fn next_u32(&mut self) -> Result<u32, HostError> {
        if self.at + 4 > self.buf.len() {
            fill(&mut self.buf)?;
            self.at = 0;
        }
        let word = u32::from_le_bytes(self.buf[self.at..self.at + 4].try_into().unwrap_or_default());
        self.at += 4;
        Ok(word)
    }

    /// A number in 0..`n` (`n` > 0), every one equally likely: draws from the largest multiple
    /// of `n` that a u32 holds are kept, the rest drawn again.
    fn below(&mut self, n: u32) -> Result<u32, HostError> {
        let zone = u32::MAX - (u32::MAX - n + 1) % n;
        loop {
            let draw = self.next_u32()?;
            if draw <= zone {
                return Ok(draw % n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_take_their_characters_from_the_charset() {
        let text = string(1000, None).unwrap();
        assert_eq!(text.len(), 1000);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()));
        let text = string(50, Some("αβ".as_bytes())).unwrap();
        assert_eq!(text.chars().count(), 50);
        assert!(text.chars().all(|c| c == 'α' || c == 'β'));
        assert!(string(5, Some(b"")).is_err());
        assert!(string(5, Some(b"\xff")).is_err());
    }

    #[test]
    fn every_number_below_n_comes_up() {
        let mut entropy = Entropy::default();
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            seen[entropy.below(3).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800), "{seen:?}");
        assert_eq!(entropy.below(1).unwrap(), 0);
    }

    #[test]
    fn bytes_differ_between_draws() {
        assert_eq!(bytes(32).unwrap().len(), 32);
        assert_ne!(bytes(32).unwrap(), bytes(32).unwrap());
    }
}
