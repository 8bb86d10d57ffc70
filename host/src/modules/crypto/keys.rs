//! The RSA keys of RS256 JWTs, read from PEM: a private key as PKCS#8 (`PRIVATE KEY`) or PKCS#1
//! (`RSA PRIVATE KEY`) for ring to sign with, a public key as SubjectPublicKeyInfo (`PUBLIC
//! KEY`) or PKCS#1 (`RSA PUBLIC KEY`), reduced to the PKCS#1 form ring verifies with.

use ::base64::Engine as _;
use ::base64::engine::general_purpose::STANDARD;
use ring::signature::RsaKeyPair;

use super::invalid;
use crate::bindings::HostError;

/// The DER object identifier rsaEncryption (1.2.840.113549.1.1.1).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The RSA private key in `pem`, for signing.
pub(super) fn private_key(call: &str, pem: &[u8]) -> Result<RsaKeyPair, HostError> {
    let (label, der) = decode_pem(call, pem)?;
    let pair = match label {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
        other => {
            return Err(invalid(format!(
                "{call}: RS256 needs a PEM RSA private key, got a '{other}' block"
            )));
        }
    };
    pair.map_err(|error| invalid(format!("{call}: not a usable RSA private key: {error}")))
}

/// The RSA public key in `pem`, as PKCS#1 DER (RSAPublicKey).
pub(super) fn public_key(call: &str, pem: &[u8]) -> Result<Vec<u8>, HostError> {
    let (label, der) = decode_pem(call, pem)?;
    match label {
        "RSA PUBLIC KEY" => Ok(der),
        "PUBLIC KEY" => rsa_in_spki(&der).map(<[u8]>::to_vec).ok_or_else(|| {
            invalid(format!(
                "{call}: the PUBLIC KEY block does not hold an RSA key"
            ))
        }),
        other => Err(invalid(format!(
            "{call}: RS256 needs a PEM RSA public key, got a '{other}' block"
        ))),
    }
}

/// The label and the decoded body of the first PEM block in `pem`.
fn decode_pem<'a>(call: &str, pem: &'a [u8]) -> Result<(&'a str, Vec<u8>), HostError> {
    let not_pem = || invalid(format!("{call}: the key is not a PEM block (-----BEGIN ...-----)"));
    let text = std::str::from_utf8(pem).map_err(|_| not_pem())?;
    let start = text.find("-----BEGIN ").ok_or_else(not_pem)? + "-----BEGIN ".len();
    let label_end = start + text[start..].find("-----").ok_or_else(not_pem)?;
    let label = &text[start..label_end];
    let body_start = label_end + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_end = body_start + text[body_start..].find(&end_marker).ok_or_else(not_pem)?;
    let body: String = text[body_start..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|error| invalid(format!("{call}: the PEM block's base64: {error}")))?;
    Ok((label, der))
}

/// The RSAPublicKey inside a DER SubjectPublicKeyInfo (RFC 5280 §4.1):
/// SEQUENCE { SEQUENCE { OID rsaEncryption, params }, BIT STRING { 0 unused bits, key } }.
fn rsa_in_spki(der: &[u8]) -> Option<&[u8]> {
    let (info, rest) = element(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (algorithm, rest) = element(info, 0x30)?;
    let (oid, _params) = element(algorithm, 0x06)?;
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (bits, rest) = element(rest, 0x03)?;
    match (bits.split_first(), rest.is_empty()) {
        (Some((0, key)), true) => Some(key),
        _ => None,
    }
}

/// The contents of the DER element at the start of `der` if its tag is `tag`, and what follows
/// it. Lengths take the short form or up to four long-form bytes.
fn element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = der.split_first()?;
    if first != tag {
        return None;
    }
    let (&size, rest) = rest.split_first()?;
    let (len, rest) = if size < 0x80 {
        (usize::from(size), rest)
    } else {
        let count = usize::from(size & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (len <= rest.len()).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_elements_are_read_within_their_bytes() {
        assert_eq!(element(&[0x30, 2, 1, 2, 9], 0x30), Some((&[1, 2][..], &[9][..])));
        assert_eq!(element(&[0x30, 3, 1, 2], 0x30), None);
        assert_eq!(element(&[0x31, 0], 0x30), None);
        assert_eq!(element(&[0x30, 0x81, 1, 5], 0x30), Some((&[5][..], &[][..])));
        assert_eq!(element(&[0x30, 0x85, 0, 0, 0, 0, 1], 0x30), None);
        assert_eq!(element(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], 0x30), None);
        assert_eq!(element(&[], 0x30), None);
    }

    #[test]
    fn malformed_pem_is_invalid() {
        for pem in [&b"nope"[..], b"-----BEGIN PUBLIC KEY-----\nAAAA\n", b"\xff\xfe"] {
            assert_eq!(public_key("t", pem).unwrap_err().kind, "Invalid");
        }
        let wrong = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(private_key("t", wrong).unwrap_err().kind, "Invalid");
        let garbage = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(public_key("t", garbage).unwrap_err().kind, "Invalid");
    }
}
