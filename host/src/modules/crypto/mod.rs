//! `wit/crypto.wit`, the `crypto` Lua module (Wippy: wippyai/docs en/lua/security/crypto.md):
//! secure random values, HMAC-SHA256/512, AES-GCM and ChaCha20-Poly1305 encryption, JWTs, PBKDF2
//! and a constant-time compare. This file is the glue: it bounds the arguments, calls the plain
//! functions of [`random`], [`aead`], [`jwt`] and [`pbkdf2`], and keeps long work within the
//! sandbox's deadline.
//!
//! Errors follow the doc page: a bad length, an empty or wrongly sized key, an unknown algorithm
//! or malformed input is `Invalid`; data that fails to decrypt and a token whose signature,
//! algorithm or times do not check are `Internal`.
//!
//! ```lua
//! local crypto = require("crypto")
//! local key = crypto.random.bytes(32)
//! crypto.decrypt.aes(crypto.encrypt.aes("secret", key), key)  --> "secret"
//! crypto.hmac.sha256("key", "data")                           --> 64 hex digits
//! crypto.encrypt.chacha20("x", "short")                       --> nil, error(Invalid)
//! ```

mod aead;
mod jwt;
mod keys;
mod pbkdf2;
mod random;

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

use super::host_error;
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::crypto::{self, Cipher, Digest};
use crate::codec::{TranscodeError, json_text_to_msgpack, strict};
use crate::engine::SandboxState;
use crate::error::ErrorKind;

// Denied in workflows: random bytes, strings, UUIDs and the nonces `encrypt` draws differ on
// every run, so a workflow replaying its history would see other values. Wippy records them as
// workflow commands; luabox's `workflow` interface has no command for them, so a workflow entry
// cannot list `crypto` (its deterministic functions are all in `hash`, which is linked).
host_module!(Crypto, "crypto", crypto, Denied);

/// The most bytes `random.bytes` and `random.string` produce, and the most `pbkdf2` derives
/// (the doc page's bound for the random functions).
const MAX_LENGTH: i64 = 1 << 20;
/// The most PBKDF2 iterations (the doc page's bound).
const MAX_ITERATIONS: i64 = 10_000_000;

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

impl crypto::Host for SandboxState {
    fn random_bytes(&mut self, length: i64) -> Answer<Vec<u8>> {
        let bytes = in_range("crypto.random.bytes: length", length, MAX_LENGTH).and_then(random::bytes);
        Ok(bytes.and_then(|bytes| fits(self, "crypto.random.bytes", bytes)))
    }

    fn random_string(&mut self, length: i64, charset: Option<Vec<u8>>) -> Answer<String> {
        let length = match in_range("crypto.random.string: length", length, MAX_LENGTH) {
            Ok(length) => length,
            Err(error) => return Ok(Err(error)),
        };
        let text = random::string(length, charset.as_deref());
        Ok(text.and_then(|text| fits(self, "crypto.random.string", text)))
    }

    fn random_uuid(&mut self) -> wasmtime::Result<String> {
        Ok(::uuid::Uuid::new_v4().hyphenated().to_string())
    }

    fn hmac(&mut self, digest: Digest, key: Vec<u8>, data: Vec<u8>) -> Answer<String> {
        fn mac<M: Mac + hmac::digest::KeyInit>(
            state: &SandboxState,
            key: &[u8],
            data: &[u8],
        ) -> Answer<String> {
            let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
                return Ok(Err(invalid("crypto.hmac: the key is not usable")));
            };
            super::in_chunks(state, data, |chunk| mac.update(chunk))?;
            Ok(Ok(hex::encode(mac.finalize().into_bytes())))
        }
        let name = match digest {
            Digest::Sha256 => "sha256",
            Digest::Sha512 => "sha512",
        };
        if key.is_empty() {
            return Ok(Err(invalid(format!(
                "crypto.hmac.{name}: the key is empty"
            ))));
        }
        match digest {
            Digest::Sha256 => mac::<Hmac<sha2::Sha256>>(self, &key, &data),
            Digest::Sha512 => mac::<Hmac<sha2::Sha512>>(self, &key, &data),
        }
    }

    fn encrypt(
        &mut self,
        cipher: Cipher,
        data: Vec<u8>,
        key: Vec<u8>,
        aad: Option<Vec<u8>>,
    ) -> Answer<Vec<u8>> {
        let sealed = aead::seal(cipher, data, &key, aad.as_deref().unwrap_or_default());
        Ok(sealed.and_then(|sealed| fits(self, aead::name("encrypt", cipher), sealed)))
    }

    fn decrypt(
        &mut self,
        cipher: Cipher,
        data: Vec<u8>,
        key: Vec<u8>,
        aad: Option<Vec<u8>>,
    ) -> Answer<Vec<u8>> {
        Ok(aead::open(cipher, data, &key, aad.as_deref().unwrap_or_default()))
    }

    fn jwt_encode(
        &mut self,
        claims: Vec<u8>,
        key: Vec<u8>,
        alg: Option<Vec<u8>>,
    ) -> Answer<String> {
        let encoded = jwt::Alg::parse("crypto.jwt.encode", alg.as_deref()).and_then(|alg| {
            let claims = super::one_value(&claims)?;
            let claims = strict::to_json(&claims, &mut String::from("payload"))
                .map_err(|message| invalid(format!("crypto.jwt.encode: {message}")))?;
            jwt::encode(claims, &key, alg)
        });
        Ok(encoded.and_then(|token| fits(self, "crypto.jwt.encode", token)))
    }

    fn jwt_verify(
        &mut self,
        token: Vec<u8>,
        key: Vec<u8>,
        alg: Option<Vec<u8>>,
        require_exp: bool,
    ) -> Answer<Vec<u8>> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        let verified = jwt::Alg::parse("crypto.jwt.verify", alg.as_deref())
            .and_then(|alg| jwt::verify(&token, &key, alg, require_exp, now));
        let claims = match verified {
            Ok(claims) => claims,
            Err(error) => return Ok(Err(error)),
        };
        let limit = self.max_payload() as usize;
        match json_text_to_msgpack(&claims, limit, &mut || self.check_deadline().is_ok()) {
            Ok(values) => Ok(Ok(values)),
            Err(TranscodeError::Invalid(error)) => Ok(Err(invalid(format!(
                "crypto.jwt.verify: the claims: {error}"
            )))),
            Err(TranscodeError::TooLarge { limit }) => Ok(Err(invalid(format!(
                "crypto.jwt.verify: the claims are larger than the sandbox's payload limit \
                 ({limit} bytes; limits.max_payload)"
            )))),
            Err(TranscodeError::Stopped) => self.check_deadline().map(|()| {
                Err(host_error(
                    ErrorKind::Internal,
                    "crypto.jwt.verify: stopped before the deadline",
                ))
            }),
        }
    }

    fn pbkdf2(
        &mut self,
        password: Vec<u8>,
        salt: Vec<u8>,
        iterations: i64,
        key_length: i64,
        hash: Option<Vec<u8>>,
    ) -> Answer<Vec<u8>> {
        let checked = (|| {
            let iterations = in_range("crypto.pbkdf2: iterations", iterations, MAX_ITERATIONS)?;
            let length = in_range("crypto.pbkdf2: key_length", key_length, MAX_LENGTH)?;
            let digest = match hash.as_deref() {
                None | Some(b"sha256") => Digest::Sha256,
                Some(b"sha512") => Digest::Sha512,
                Some(other) => {
                    return Err(invalid(format!(
                        "crypto.pbkdf2: unknown hash '{}' (sha256 or sha512)",
                        String::from_utf8_lossy(other)
                    )));
                }
            };
            Ok((iterations as u32, length, digest))
        })();
        let (iterations, length, digest) = match checked {
            Ok(checked) => checked,
            Err(error) => return Ok(Err(error)),
        };
        // Refused before the work rather than after it.
        if let Err(error) = within_limit(self, "crypto.pbkdf2", length) {
            return Ok(Err(error));
        }
        let mut go_on = || self.check_deadline().is_ok();
        let derived = match digest {
            Digest::Sha256 => pbkdf2::derive::<Hmac<sha2::Sha256>>(
                &password, &salt, iterations, length, &mut go_on,
            ),
            Digest::Sha512 => pbkdf2::derive::<Hmac<sha2::Sha512>>(
                &password, &salt, iterations, length, &mut go_on,
            ),
        };
        match derived {
            Some(key) => Ok(Ok(key)),
            // Stopped: the deadline passed, which check_deadline reports as the trap it is.
            None => self.check_deadline().map(|()| {
                Err(host_error(
                    ErrorKind::Internal,
                    "crypto.pbkdf2: stopped before the deadline",
                ))
            }),
        }
    }

    fn constant_time_compare(&mut self, a: Vec<u8>, b: Vec<u8>) -> wasmtime::Result<bool> {
        Ok(bool::from(a.ct_eq(&b)))
    }
}

/// `value` unless it is larger than the payload limit, the most a sandbox takes in at once.
fn fits<T: AsRef<[u8]>>(state: &SandboxState, call: &str, value: T) -> Result<T, HostError> {
    within_limit(state, call, value.as_ref().len()).map(|()| value)
}

/// Whether a result of `len` bytes is within the payload limit.
fn within_limit(state: &SandboxState, call: &str, len: usize) -> Result<(), HostError> {
    let limit = state.max_payload() as usize;
    if len > limit {
        return Err(invalid(format!(
            "{call}: the result ({len} bytes) is larger than the sandbox's payload limit \
             ({limit} bytes; limits.max_payload)"
        )));
    }
    Ok(())
}

/// `value` as a size, if it is in 1..=`max`; `what` names it in the error.
fn in_range(what: &str, value: i64, max: i64) -> Result<usize, HostError> {
    if (1..=max).contains(&value) {
        Ok(value as usize)
    } else {
        Err(invalid(format!(
            "{what} must be between 1 and {max}, got {value}"
        )))
    }
}

fn invalid(message: impl Into<String>) -> HostError {
    host_error(ErrorKind::Invalid, message)
}

fn internal(message: impl Into<String>) -> HostError {
    host_error(ErrorKind::Internal, message)
}
