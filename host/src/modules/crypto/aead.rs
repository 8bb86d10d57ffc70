//! `crypto.encrypt` and `crypto.decrypt`: AES-GCM (128, 192 or 256-bit key) and
//! ChaCha20-Poly1305 from RustCrypto. Sealed data is the random 12-byte nonce, then the
//! ciphertext, then the 16-byte tag (Wippy: "nonce prepended").

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AesGcm, Nonce, Tag};
use chacha20poly1305::ChaCha20Poly1305;

use super::{internal, invalid};
use crate::bindings::HostError;
use crate::bindings::luabox::sandbox::crypto::Cipher;

const NONCE: usize = 12;
const TAG: usize = 16;

/// The Lua name of `call` ("encrypt" or "decrypt") with `cipher`, for messages.
pub(super) fn name(call: &str, cipher: Cipher) -> &'static str {
    match (call, cipher) {
        ("encrypt", Cipher::AesGcm) => "crypto.encrypt.aes",
        ("encrypt", Cipher::Chacha20Poly1305) => "crypto.encrypt.chacha20",
        (_, Cipher::AesGcm) => "crypto.decrypt.aes",
        (_, Cipher::Chacha20Poly1305) => "crypto.decrypt.chacha20",
    }
}

/// An AEAD with the 12-byte nonce and 16-byte tag both ciphers use.
trait Aead: AeadInPlace<NonceSize = U12, TagSize = U16> + KeyInit {}
impl<C: AeadInPlace<NonceSize = U12, TagSize = U16> + KeyInit> Aead for C {}

/// What one cipher does to a buffer: seal it (returning the tag) or open it (checking `tag`).
enum Step<'a> {
    Seal,
    Open(&'a [u8]),
}

/// Run `step` with `key` on `buf` (the text after the nonce); `None` when sealing fails or the
/// tag does not check.
fn run<C: Aead>(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], step: Step) -> Option<Tag> {
    let aead = C::new_from_slice(key).ok()?;
    let nonce = Nonce::from_slice(nonce);
    match step {
        Step::Seal => aead.encrypt_in_place_detached(nonce, aad, buf).ok(),
        Step::Open(tag) => aead
            .decrypt_in_place_detached(nonce, aad, buf, Tag::from_slice(tag))
            .ok()
            .map(|()| Tag::default()),
    }
}

/// [`run`] with the cipher `cipher` names for a key of `key`'s size, or the `Invalid` error of a
/// key of the wrong size.
fn dispatch(
    call: &str,
    cipher: Cipher,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    step: Step,
) -> Result<Option<Tag>, HostError> {
    Ok(match (cipher, key.len()) {
        (Cipher::AesGcm, 16) => run::<AesGcm<Aes128, U12>>(key, nonce, aad, buf, step),
        (Cipher::AesGcm, 24) => run::<AesGcm<Aes192, U12>>(key, nonce, aad, buf, step),
        (Cipher::AesGcm, 32) => run::<AesGcm<Aes256, U12>>(key, nonce, aad, buf, step),
        (Cipher::Chacha20Poly1305, 32) => run::<ChaCha20Poly1305>(key, nonce, aad, buf, step),
        (Cipher::AesGcm, n) => {
            return Err(invalid(format!(
                "{call}: the key must be 16, 24 or 32 bytes (AES-128/192/256), got {n}"
            )));
        }
        (Cipher::Chacha20Poly1305, n) => {
            return Err(invalid(format!(
                "{call}: the key must be 32 bytes, got {n}"
            )));
        }
    })
}

/// `data` sealed under `key` with `aad`: nonce, ciphertext, tag.
pub(super) fn seal(
    cipher: Cipher,
    data: Vec<u8>,
    key: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, HostError> {
    let call = name("encrypt", cipher);
    let mut out = vec![0; NONCE];
    super::random::fill(&mut out)?;
    out.reserve_exact(data.len() + TAG);
    out.extend_from_slice(&data);
    drop(data);
    let (nonce, text) = out.split_at_mut(NONCE);
    let tag = dispatch(call, cipher, key, nonce, aad, text, Step::Seal)?
        .ok_or_else(|| internal(format!("{call}: encryption failed")))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The plaintext of `data` (as [`seal`] returns it) under `key` with `aad`.
pub(super) fn open(
    cipher: Cipher,
    mut data: Vec<u8>,
    key: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, HostError> {
    let call = name("decrypt", cipher);
    if data.len() < NONCE + TAG {
        return Err(invalid(format!(
            "{call}: {} bytes are too short to be encrypted data (the nonce and tag take {})",
            data.len(),
            NONCE + TAG
        )));
    }
    let tag = data.split_off(data.len() - TAG);
    let (nonce, text) = data.split_at_mut(NONCE);
    dispatch(call, cipher, key, nonce, aad, text, Step::Open(&tag))?.ok_or_else(|| {
        internal(format!(
            "{call}: decryption failed (a wrong key or AAD, or the data was changed)"
        ))
    })?;
    data.drain(..NONCE);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_with_its_key_and_aad_only() {
        for (cipher, size) in [
            (Cipher::AesGcm, 16),
            (Cipher::AesGcm, 24),
            (Cipher::AesGcm, 32),
            (Cipher::Chacha20Poly1305, 32),
        ] {
            let key = vec![7; size];
            let sealed = seal(cipher, b"hello".to_vec(), &key, b"ctx").unwrap();
            assert_eq!(sealed.len(), NONCE + 5 + TAG);
            assert_eq!(open(cipher, sealed.clone(), &key, b"ctx").unwrap(), b"hello");
            let wrong = open(cipher, sealed.clone(), &key, b"other").unwrap_err();
            assert_eq!(wrong.kind, "Internal");
            let mut changed = sealed;
            changed[NONCE] ^= 1;
            assert!(open(cipher, changed, &key, b"ctx").is_err());
        }
    }

    #[test]
    fn wrong_key_sizes_and_short_data_are_invalid() {
        assert_eq!(seal(Cipher::AesGcm, vec![], &[0; 20], b"").unwrap_err().kind, "Invalid");
        let err = seal(Cipher::Chacha20Poly1305, vec![], &[0; 16], b"").unwrap_err();
        assert_eq!(err.kind, "Invalid");
        assert_eq!(open(Cipher::AesGcm, vec![0; 27], &[0; 16], b"").unwrap_err().kind, "Invalid");
    }

    #[test]
    fn aes_gcm_matches_a_known_vector() {
        // NIST GCM test case 2 (AES-128, zero key, zero nonce, one zero block): its ciphertext
        // and tag after the nonce.
        let (key, nonce) = ([0u8; 16], [0u8; 12]);
        let mut buf = [0u8; 16];
        let tag =
            dispatch("t", Cipher::AesGcm, &key, &nonce, b"", &mut buf, Step::Seal).unwrap().unwrap();
        assert_eq!(hex::encode(buf), "0388dace60b6a392f328c2b971b2fe78");
        assert_eq!(hex::encode(tag), "ab6e47d42cec13bdf53a67b21257bddf");
    }
}
