//! `wit/hash.wit`, the `hash` Lua module: MD5, SHA-1, SHA-256 and SHA-512 digests and HMACs
//! (RustCrypto crates), hex by default, and FNV-1a. Long inputs are hashed a chunk at a time,
//! within the sandbox's deadline (see [`super::in_chunks`]).
//!
//! ```lua
//! local hash = require("hash")
//! hash.sha256("abc")                 --> "ba7816bf..."
//! hash.hmac_sha256("data", "secret") --> hex HMAC
//! hash.md5("abc", true)              --> 16 raw bytes
//! ```

use hmac::{Hmac, Mac};
use sha2::Digest;

use crate::bindings::luabox::sandbox::hash::{self, Algorithm};
use crate::engine::SandboxState;

host_module!(Hash, "hash", hash, Linked);

impl hash::Host for SandboxState {
    fn digest(
        &mut self,
        algorithm: Algorithm,
        data: Vec<u8>,
        raw: bool,
    ) -> wasmtime::Result<Vec<u8>> {
        fn run<D: Digest>(state: &SandboxState, data: &[u8]) -> wasmtime::Result<Vec<u8>> {
            let mut digest = D::new();
            super::in_chunks(state, data, |chunk| digest.update(chunk))?;
            Ok(digest.finalize().to_vec())
        }
        let digest = match algorithm {
            Algorithm::Md5 => run::<md5::Md5>(self, &data)?,
            Algorithm::Sha1 => run::<sha1::Sha1>(self, &data)?,
            Algorithm::Sha256 => run::<sha2::Sha256>(self, &data)?,
            Algorithm::Sha512 => run::<sha2::Sha512>(self, &data)?,
        };
        Ok(output(digest, raw))
    }

    fn hmac(
        &mut self,
        algorithm: Algorithm,
        data: Vec<u8>,
        key: Vec<u8>,
        raw: bool,
    ) -> wasmtime::Result<Vec<u8>> {
        fn mac<M: Mac + hmac::digest::KeyInit>(
            state: &SandboxState,
            key: &[u8],
            data: &[u8],
        ) -> wasmtime::Result<Vec<u8>> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .expect("HMAC accepts keys of any length");
            super::in_chunks(state, data, |chunk| mac.update(chunk))?;
            Ok(mac.finalize().into_bytes().to_vec())
        }
        let tag = match algorithm {
            Algorithm::Md5 => mac::<Hmac<md5::Md5>>(self, &key, &data)?,
            Algorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(self, &key, &data)?,
            Algorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(self, &key, &data)?,
            Algorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(self, &key, &data)?,
        };
        Ok(output(tag, raw))
    }

    fn fnv32(&mut self, data: Vec<u8>) -> wasmtime::Result<u32> {
        let mut h = 0x811c_9dc5_u32;
        super::in_chunks(self, &data, |chunk| {
            for b in chunk {
                h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
            }
        })?;
        Ok(h)
    }

    fn fnv64(&mut self, data: Vec<u8>) -> wasmtime::Result<u64> {
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        super::in_chunks(self, &data, |chunk| {
            for b in chunk {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        })?;
        Ok(h)
    }
}

fn output(bytes: Vec<u8>, raw: bool) -> Vec<u8> {
    if raw {
        bytes
    } else {
        hex::encode(bytes).into_bytes()
    }
}
