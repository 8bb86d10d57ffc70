//! `crypto.pbkdf2`: PBKDF2 (RFC 8018 §5.2) over an HMAC. Written out here rather than taken from
//! a crate so that the work, up to 10,000,000 iterations per output block, stops at the
//! sandbox's deadline: a host call holds the guest, which the epoch deadline cannot interrupt.

use hmac::Mac;
use hmac::digest::KeyInit;

/// How many HMACs run between two looks at the deadline.
const PER_CHECK: u32 = 1 << 12;

/// `length` bytes derived from `password` and `salt` with `iterations` rounds of `M`; `None`
/// once `go_on` says to stop (it is asked every [`PER_CHECK`] rounds).
pub(super) fn derive<M: Mac + KeyInit + Clone>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    length: usize,
    go_on: &mut dyn FnMut() -> bool,
) -> Option<Vec<u8>> {
    // HMAC takes keys of any length, so this never fails; the key schedule is done once and the
    // keyed state cloned for every round.
    let keyed = <M as KeyInit>::new_from_slice(password).ok()?;
    let mut out = Vec::with_capacity(length);
    let mut block = 1u32;
    let mut since_check = 0u32;
    while out.len() < length {
        let mut mac = keyed.clone();
        mac.update(salt);
        mac.update(&block.to_be_bytes());
        let mut u = mac.finalize().into_bytes();
        let mut t = u.clone();
        for _ in 1..iterations {
            since_check += 1;
            if since_check == PER_CHECK {
                since_check = 0;
                if !go_on() {
                    return None;
                }
            }
            let mut mac = keyed.clone();
            mac.update(&u);
            u = mac.finalize().into_bytes();
            t.iter_mut().zip(u.iter()).for_each(|(t, u)| *t ^= u);
        }
        let take = (length - out.len()).min(t.len());
        out.extend_from_slice(&t[..take]);
        block = block.wrapping_add(1);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use hmac::Hmac;

    use super::*;

    fn hex_of<M: Mac + KeyInit + Clone>(p: &[u8], s: &[u8], c: u32, len: usize) -> String {
        hex::encode(derive::<M>(p, s, c, len, &mut || true).unwrap())
    }

    #[test]
    fn matches_known_vectors() {
        type S256 = Hmac<sha2::Sha256>;
        type S512 = Hmac<sha2::Sha512>;
        assert_eq!(
            hex_of::<S256>(b"password", b"salt", 1, 32),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        // Two blocks, the second cut short (Python's hashlib.pbkdf2_hmac gives the same).
        assert_eq!(
            hex_of::<S256>(b"password", b"salt", 4096, 40),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134af7ad98c1b458ce3f"
        );
        assert_eq!(
            hex_of::<S512>(b"password", b"salt", 2, 70),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f7840\
             edce4fef5a82be67335c77a6068e04112754f27ccf4e473e311ad827"
        );
    }

    #[test]
    fn stops_when_told() {
        let mut asked = 0;
        let stopped = derive::<Hmac<sha2::Sha256>>(b"p", b"s", 1_000_000, 32, &mut || {
            asked += 1;
            false
        });
        assert!(stopped.is_none());
        assert_eq!(asked, 1);
    }
}
