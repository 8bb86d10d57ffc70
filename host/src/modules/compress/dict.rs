//! zstd dictionaries: [`train`] one from samples and [`inspect`] one's header, as plain
//! functions (zstd's own trainer, `ZDICT_trainFromBuffer`, whose output depends only on the
//! samples and the size).

use super::codec::Failure;

/// Options of `compress.zstd.train_dict` (Wippy: wippyai/docs en/lua/data/compress.md).
pub struct Train {
    pub size: Option<i64>,
    pub id: Option<i64>,
    pub level: Option<i64>,
}

const SIZES: std::ops::RangeInclusive<i64> = 256..=1 << 20;
const DEFAULT_SIZE: i64 = 114_688;
/// zstd's dictionary magic number, the header's first four bytes (little-endian); the
/// dictionary ID follows it.
const MAGIC: [u8; 4] = 0xEC30_A437_u32.to_le_bytes();

/// A dictionary trained on `samples`. zstd's trainer runs to its end without a way to stop it:
/// its input is bounded by the sandbox's payload limit, since the samples came from there.
pub fn train(samples: &[Vec<u8>], options: &Train) -> Result<Vec<u8>, Failure> {
    let invalid = |message: String| Failure::Invalid(format!("zstd.train_dict: {message}"));
    let size = options.size.unwrap_or(DEFAULT_SIZE);
    if !SIZES.contains(&size) {
        return Err(invalid(format!(
            "size {size} is out of range {}-{}",
            SIZES.start(),
            SIZES.end()
        )));
    }
    let id = match options.id {
        None => 0,
        Some(id) => u32::try_from(id).map_err(|_| invalid(format!("id {id} is not a u32")))?,
    };
    // zstd's plain trainer has no level parameter (it tunes for its default level), so the
    // level is only checked.
    if let Some(level) = options.level
        && !(1..=22).contains(&level)
    {
        return Err(invalid(format!("level {level} is out of range 1-22")));
    }
    if !samples.iter().any(|sample| sample.len() >= 8) {
        return Err(invalid("needs at least one sample of 8 bytes or more".into()));
    }
    // In range, so it fits.
    let mut dict = zstd::dict::from_samples(samples, size as usize)
        .map_err(|error| invalid(format!("training failed: {error}")))?;
    if id != 0 && dict.len() >= 8 && dict[..4] == MAGIC {
        // The ID is only a label in the header: nothing else in the dictionary depends on it.
        dict[4..8].copy_from_slice(&id.to_le_bytes());
    }
    Ok(dict)
}

/// What `dict`'s header says: its ID and how many bytes of raw content follow the header.
pub fn inspect(dict: &[u8]) -> Result<(u32, u64), Failure> {
    let invalid = || Failure::Invalid("zstd.inspect_dict: not a zstd dictionary".into());
    if dict.len() < 8 || dict[..4] != MAGIC {
        return Err(invalid());
    }
    let id = u32::from_le_bytes([dict[4], dict[5], dict[6], dict[7]]);
    let header = header_size(dict).ok_or_else(invalid)?;
    Ok((id, (dict.len() - header) as u64))
}

/// The size of `dict`'s header (magic, ID, entropy tables), as zstd reads it.
fn header_size(dict: &[u8]) -> Option<usize> {
    use zstd::zstd_safe::zstd_sys;
    // SAFETY: the pointer and length describe `dict`, which zstd only reads.
    let size = unsafe { zstd_sys::ZDICT_getDictHeaderSize(dict.as_ptr().cast(), dict.len()) };
    // SAFETY: a pure function of the code.
    let failed = unsafe { zstd_sys::ZDICT_isError(size) } != 0;
    (!failed && size <= dict.len()).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Vec<u8>> {
        (0..400)
            .map(|i| format!(r#"{{"user":{i},"name":"user-{i}","role":"reader","active":true}}"#))
            .map(String::into_bytes)
            .collect()
    }

    #[test]
    fn a_trained_dictionary_has_the_id_asked_for() {
        let options = Train {
            size: Some(4096),
            id: Some(42),
            level: None,
        };
        let dict = train(&samples(), &options).unwrap();
        let (id, content) = inspect(&dict).unwrap();
        assert_eq!(id, 42);
        assert!(content > 0 && content < dict.len() as u64);
    }

    #[test]
    fn bad_options_and_samples_are_invalid() {
        let bad = |size, id, level, samples: &[Vec<u8>]| {
            let options = Train { size, id, level };
            matches!(train(samples, &options), Err(Failure::Invalid(_)))
        };
        assert!(bad(Some(100), None, None, &samples()));
        assert!(bad(None, Some(-1), None, &samples()));
        assert!(bad(None, None, Some(23), &samples()));
        assert!(bad(None, None, None, &[b"short".to_vec()]));
        assert!(matches!(inspect(b"raw bytes"), Err(Failure::Invalid(_))));
    }
}
