//! `crypto.jwt`: JSON Web Tokens (RFC 7519) signed with HMAC (HS256, HS384, HS512) or RSA
//! PKCS#1 v1.5 with SHA-256 (RS256, through ring). `encode` takes the claims as JSON, with an
//! optional `_header` object whose fields join the header; `verify` checks the token's `alg` is
//! the expected one (never `none`), its signature, and its times, and hands back the claims'
//! JSON text.
//!
//! Times (RFC 7519 §4.1.4-5): `exp` is checked whenever present and, with `require_exp` (the
//! default), must be present; `nbf` is checked whenever present. Both are seconds since the
//! epoch, compared without leeway.

use ::base64::Engine as _;
use ::base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey};
use serde_json::{Map, Value as Json};

use super::{internal, invalid, keys};
use crate::bindings::HostError;

const ENCODE: &str = "crypto.jwt.encode";
const VERIFY: &str = "crypto.jwt.verify";

/// A signing algorithm of the doc page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alg {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
}

impl Alg {
    /// The algorithm `name` names (HS256 when none); `call` names the Lua function in the error.
    pub(super) fn parse(call: &str, name: Option<&[u8]>) -> Result<Alg, HostError> {
        match name {
            None | Some(b"HS256") => Ok(Alg::Hs256),
            Some(b"HS384") => Ok(Alg::Hs384),
            Some(b"HS512") => Ok(Alg::Hs512),
            Some(b"RS256") => Ok(Alg::Rs256),
            Some(other) => Err(invalid(format!(
                "{call}: unknown algorithm '{}' (HS256, HS384, HS512 or RS256)",
                String::from_utf8_lossy(other)
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
            Alg::Rs256 => "RS256",
        }
    }
}

/// The token of `claims` (a table's JSON: an object, or `[]` for the empty table) signed with
/// `key` by `alg`.
pub(super) fn encode(claims: Json, key: &[u8], alg: Alg) -> Result<String, HostError> {
    let mut claims = match claims {
        Json::Object(claims) => claims,
        Json::Array(items) if items.is_empty() => Map::new(),
        _ => return Err(invalid(format!("{ENCODE}: the payload must be a table of claims"))),
    };
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    match claims.remove("_header") {
        None => {}
        Some(Json::Object(fields)) => header.extend(fields),
        Some(Json::Array(items)) if items.is_empty() => {}
        Some(_) => return Err(invalid(format!("{ENCODE}: _header must be a table"))),
    }
    // Set last: a `_header` cannot make the header name another algorithm than the signature's.
    header.insert("alg".into(), alg.name().into());
    let mut token = URL_SAFE_NO_PAD.encode(Json::Object(header).to_string());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(Json::Object(claims).to_string(), &mut token);
    let signature = sign(token.as_bytes(), key, alg)?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// The claims' JSON text of `token` once its header names `alg`, its signature checks under
/// `key` and its times hold at `now` (seconds since the epoch).
pub(super) fn verify(
    token: &[u8],
    key: &[u8],
    alg: Alg,
    require_exp: bool,
    now: f64,
) -> Result<String, HostError> {
    let malformed = |what: &str| invalid(format!("{VERIFY}: malformed token: {what}"));
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a JWT has three parts separated by dots"));
    };
    let header: Json = decode_part(header).ok_or_else(|| malformed("the header"))?;
    let claims_text = URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| malformed("the claims are not base64url"))?;
    let claims: Json = serde_json::from_slice(&claims_text).map_err(|_| malformed("the claims"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| malformed("the signature is not base64url"))?;
    if !header.is_object() || !claims.is_object() {
        return Err(malformed("the header and claims must be JSON objects"));
    }

    match header.get("alg").and_then(Json::as_str) {
        Some(named) if named == alg.name() => {}
        named => {
            return Err(internal(format!(
                "{VERIFY}: the token is signed with {}, not the expected {}",
                named.unwrap_or("no algorithm"),
                alg.name()
            )));
        }
    }
    let signed = &token[..header_and_claims_len(token)];
    check_signature(signed, &signature, key, alg)?;

    match claims.get("exp") {
        None if require_exp => {
            return Err(internal(format!("{VERIFY}: the token has no exp claim")));
        }
        None => {}
        Some(exp) => match exp.as_f64() {
            Some(exp) if now < exp => {}
            Some(_) => return Err(internal(format!("{VERIFY}: the token has expired"))),
            None => return Err(invalid(format!("{VERIFY}: exp must be a number"))),
        },
    }
    match claims.get("nbf").map(Json::as_f64) {
        None => {}
        Some(Some(nbf)) if now >= nbf => {}
        Some(Some(_)) => return Err(internal(format!("{VERIFY}: the token is not valid yet"))),
        Some(None) => return Err(invalid(format!("{VERIFY}: nbf must be a number"))),
    }
    String::from_utf8(claims_text).map_err(|_| malformed("the claims are not UTF-8"))
}

/// The length of `header.claims`, the signed part of `token` (which has two dots).
fn header_and_claims_len(token: &[u8]) -> usize {
    token.iter().rposition(|&b| b == b'.').unwrap_or(token.len())
}

fn decode_part(part: &[u8]) -> Option<Json> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

fn empty_secret(call: &str) -> HostError {
    invalid(format!("{call}: the secret is empty"))
}

fn sign(input: &[u8], key: &[u8], alg: Alg) -> Result<Vec<u8>, HostError> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8]) -> Option<Vec<u8>> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).ok()?;
        mac.update(input);
        Some(mac.finalize().into_bytes().to_vec())
    }
    if key.is_empty() {
        return Err(empty_secret(ENCODE));
    }
    let tag = match alg {
        Alg::Hs256 => mac::<Hmac<sha2::Sha256>>(key, input),
        Alg::Hs384 => mac::<Hmac<sha2::Sha384>>(key, input),
        Alg::Hs512 => mac::<Hmac<sha2::Sha512>>(key, input),
        Alg::Rs256 => {
            let pair = keys::private_key(ENCODE, key)?;
            let mut signature = vec![0; pair.public().modulus_len()];
            let rng = ring::rand::SystemRandom::new();
            pair.sign(&RSA_PKCS1_SHA256, &rng, input, &mut signature)
                .map_err(|_| internal(format!("{ENCODE}: RSA signing failed")))?;
            Some(signature)
        }
    };
    tag.ok_or_else(|| invalid(format!("{ENCODE}: the key is not usable")))
}

fn check_signature(input: &[u8], signature: &[u8], key: &[u8], alg: Alg) -> Result<(), HostError> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8], signature: &[u8]) -> bool {
        let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
            return false;
        };
        mac.update(input);
        // verify_slice compares in constant time.
        mac.verify_slice(signature).is_ok()
    }
    if key.is_empty() {
        return Err(empty_secret(VERIFY));
    }
    let good = match alg {
        Alg::Hs256 => mac::<Hmac<sha2::Sha256>>(key, input, signature),
        Alg::Hs384 => mac::<Hmac<sha2::Sha384>>(key, input, signature),
        Alg::Hs512 => mac::<Hmac<sha2::Sha512>>(key, input, signature),
        Alg::Rs256 => {
            let public = keys::public_key(VERIFY, key)?;
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
                .verify(input, signature)
                .is_ok()
        }
    };
    if good {
        Ok(())
    } else {
        Err(internal(format!("{VERIFY}: the signature does not match")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hs_tokens_round_trip_and_carry_header_fields() {
        for alg in [Alg::Hs256, Alg::Hs384, Alg::Hs512] {
            let claims = json!({"sub": "u1", "exp": 2000.0, "_header": {"kid": "k1", "alg": "none"}});
            let token = encode(claims, b"secret", alg).unwrap();
            let header: Json = decode_part(token.split('.').next().unwrap().as_bytes()).unwrap();
            assert_eq!(header, json!({"alg": alg.name(), "typ": "JWT", "kid": "k1"}));
            let text = verify(token.as_bytes(), b"secret", alg, true, 1000.0).unwrap();
            assert_eq!(serde_json::from_str::<Json>(&text).unwrap(), json!({"sub": "u1", "exp": 2000.0}));
            let wrong = verify(token.as_bytes(), b"other", alg, true, 1000.0).unwrap_err();
            assert_eq!(wrong.kind, "Internal");
        }
    }

    #[test]
    fn a_known_hs256_token_verifies() {
        // RFC 7515 appendix A.1's example key and token.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let text = verify(token.as_bytes(), &key, Alg::Hs256, true, 1_300_000_000.0).unwrap();
        assert!(text.contains("\"iss\":\"joe\""));
        let late = verify(token.as_bytes(), &key, Alg::Hs256, true, 1_300_819_380.0).unwrap_err();
        assert!(late.message.contains("expired"), "{}", late.message);
    }

    #[test]
    fn times_algorithms_and_shapes_are_checked() {
        let token = encode(json!({"nbf": 500}), b"k", Alg::Hs256).unwrap();
        let bytes = token.as_bytes();
        assert!(verify(bytes, b"k", Alg::Hs256, true, 600.0).unwrap_err().message.contains("no exp"));
        assert!(verify(bytes, b"k", Alg::Hs256, false, 600.0).is_ok());
        assert!(verify(bytes, b"k", Alg::Hs256, false, 400.0).unwrap_err().message.contains("not valid yet"));
        let other = verify(bytes, b"k", Alg::Hs512, false, 600.0).unwrap_err();
        assert!(other.message.contains("signed with HS256"), "{}", other.message);
        for bad in [&b"a.b"[..], b"a.b.c.d", b"!!.e30.", b""] {
            assert_eq!(verify(bad, b"k", Alg::Hs256, false, 0.0).unwrap_err().kind, "Invalid");
        }
        assert_eq!(encode(json!("text"), b"k", Alg::Hs256).unwrap_err().kind, "Invalid");
        assert_eq!(encode(json!({}), b"", Alg::Hs256).unwrap_err().kind, "Invalid");
        assert_eq!(encode(json!([]), b"k", Alg::Rs256).unwrap_err().kind, "Invalid");
        assert!(Alg::parse("t", Some(b"none")).is_err());
    }
}
