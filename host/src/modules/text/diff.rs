//! `text.diff` as plain functions on diff-match-patch (`diff-match-patch-rs`, in its `Compat`
//! mode: diffs and patches on characters, readable by other diff-match-patch ports such as
//! go-diff, which Wippy uses).

use diff_match_patch_rs::{Compat, DiffMatchPatch, Efficient, Ops, PatchInput};

use crate::bindings::luabox::sandbox::text::{DiffOptions, Operation};

/// The longest `diff_timeout`: diff-match-patch cannot be interrupted, and a timeout of 0
/// (none, in go-diff) would let one diff hold the host for as long as it takes.
const MOST_TIMEOUT_MS: f64 = 10_000.0;

fn engine(options: &DiffOptions) -> DiffMatchPatch {
    let mut dmp = DiffMatchPatch::new();
    let timeout = if options.timeout > 0.0 {
        (options.timeout * 1000.0).min(MOST_TIMEOUT_MS)
    } else {
        MOST_TIMEOUT_MS
    };
    dmp.set_timeout(Some(timeout.max(1.0) as u32));
    dmp.set_edit_cost(options.edit_cost as usize);
    dmp.set_match_threshold(options.match_threshold);
    dmp.set_match_distance(options.match_distance as usize);
    dmp.set_delete_threshold(options.delete_threshold);
    dmp
}

/// The edits that turn `a` into `b`, cleaned up to read as words (go-diff's
/// `DiffCleanupSemantic`).
pub fn compare(
    options: &DiffOptions,
    a: &str,
    b: &str,
) -> Result<Vec<(Operation, String)>, String> {
    let dmp = engine(options);
    // `Efficient` works on bytes (its semantic cleanup is the one the crate exposes), so a
    // multi-byte character the two texts share part of can be cut; `whole_characters` mends it.
    let mut diffs = dmp
        .diff_main::<Efficient>(a, b)
        .map_err(|error| format!("{error:?}"))?;
    DiffMatchPatch::diff_cleanup_semantic(&mut diffs);
    let runs = diffs.iter().map(|diff| {
        let op = match diff.op() {
            Ops::Equal => Operation::Equal,
            Ops::Delete => Operation::Delete,
            Ops::Insert => Operation::Insert,
        };
        (op, diff.data().to_vec())
    });
    whole_characters(runs.collect())
        .into_iter()
        .map(|(op, data)| {
            String::from_utf8(data)
                .map(|text| (op, text))
                .map_err(|_| "a diff cut a character in two".to_string())
        })
        .collect()
}

/// Moves the bytes of a character that an equality shares only in part into the edits beside
/// it: its leading continuation bytes to the end of the edits before, an unfinished last
/// character to the start of the edits after.
fn whole_characters(diffs: Vec<(Operation, Vec<u8>)>) -> Vec<(Operation, Vec<u8>)> {
    let mut out: Vec<(Operation, Vec<u8>)> = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < diffs.len() {
        let (op, data) = &diffs[i];
        if *op != Operation::Equal {
            // A run of edits: the carried bytes start both sides, and the next equality's
            // leading continuation bytes end them.
            let mut deleted = carry.clone();
            let mut inserted = std::mem::take(&mut carry);
            while i < diffs.len() && diffs[i].0 != Operation::Equal {
                match diffs[i].0 {
                    Operation::Delete => deleted.extend_from_slice(&diffs[i].1),
                    _ => inserted.extend_from_slice(&diffs[i].1),
                }
                i += 1;
            }
            if let Some((_, next)) = diffs.get(i) {
                let lead = next.iter().take_while(|b| (**b & 0xC0) == 0x80).count();
                deleted.extend_from_slice(&next[..lead]);
                inserted.extend_from_slice(&next[..lead]);
                carry = next[lead..].to_vec();
                i += 1;
            }
            push_edits(&mut out, deleted, inserted);
            if !carry.is_empty() {
                push_equal(&mut out, &mut carry, i < diffs.len());
            }
            continue;
        }
        carry.extend_from_slice(data);
        i += 1;
        push_equal(&mut out, &mut carry, i < diffs.len());
    }
    out
}

fn push_edits(out: &mut Vec<(Operation, Vec<u8>)>, deleted: Vec<u8>, inserted: Vec<u8>) {
    if !deleted.is_empty() {
        out.push((Operation::Delete, deleted));
    }
    if !inserted.is_empty() {
        out.push((Operation::Insert, inserted));
    }
}

/// Push the equality in `carry`, keeping its unfinished last character in `carry` when edits
/// follow (`more`).
fn push_equal(out: &mut Vec<(Operation, Vec<u8>)>, carry: &mut Vec<u8>, more: bool) {
    let keep = if more { unfinished_tail(carry) } else { 0 };
    let tail = carry.split_off(carry.len() - keep);
    if !carry.is_empty() {
        out.push((Operation::Equal, std::mem::take(carry)));
    }
    *carry = tail;
}

/// How many bytes at the end of `data` start a character that does not end there.
fn unfinished_tail(data: &[u8]) -> usize {
    for back in 1..=data.len().min(4) {
        let byte = data[data.len() - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let width = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if width > back { back } else { 0 };
    }
    0
}

/// Patches from `a` to `b`, each in diff-match-patch's text form.
pub fn patch_make(options: &DiffOptions, a: &str, b: &str) -> Result<Vec<String>, String> {
    let dmp = engine(options);
    let patches = dmp
        .patch_make::<Compat>(PatchInput::new_text_text(a, b))
        .map_err(|error| format!("{error:?}"))?;
    let text = dmp.patch_to_text(&patches);
    Ok(split_patches(&text))
}

/// The patches of diff-match-patch's text form, one per `@@` header.
fn split_patches(text: &str) -> Vec<String> {
    let mut patches: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        match patches.last_mut() {
            Some(patch) if !line.starts_with("@@ ") => patch.push_str(line),
            _ => patches.push(line.to_string()),
        }
    }
    patches
}

/// `patches` (text form) applied to `s`, and whether every one applied.
pub fn patch_apply(options: &DiffOptions, patches: &str, s: &str) -> Result<(String, bool), String> {
    let dmp = engine(options);
    let patches = dmp
        .patch_from_text::<Compat>(patches)
        .map_err(|error| format!("invalid patch: {error:?}"))?;
    let (text, applied) = dmp
        .patch_apply(&patches, s)
        .map_err(|error| format!("{error:?}"))?;
    Ok((text, applied.iter().all(|ok| *ok)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> DiffOptions {
        DiffOptions {
            timeout: 1.0,
            edit_cost: 4,
            match_threshold: 0.5,
            match_distance: 1000,
            delete_threshold: 0.5,
            margin: 4,
        }
    }

    #[test]
    fn the_pages_example() {
        let diffs = compare(&options(), "hello world", "hello there").unwrap();
        let want = [
            (Operation::Equal, "hello "),
            (Operation::Delete, "world"),
            (Operation::Insert, "there"),
        ];
        assert_eq!(diffs.len(), 3);
        for ((op, text), (want_op, want_text)) in diffs.iter().zip(want) {
            assert!(*op == want_op && text == want_text, "{diffs:?}");
        }
    }

    #[test]
    fn characters_stay_whole() {
        for (a, b) in [("héllo wörld ✓", "hällo wörld ✗"), ("aé", "aĩ"), ("é", "ĩx"), ("✓", "✗")] {
            let diffs = compare(&options(), a, b).unwrap();
            let side = |skip| -> String {
                let kept = diffs.iter().filter(|(op, _)| *op != skip);
                kept.map(|(_, t)| t.as_str()).collect()
            };
            assert_eq!(side(Operation::Insert), a, "{diffs:?}");
            assert_eq!(side(Operation::Delete), b, "{diffs:?}");
        }
    }

    #[test]
    fn patches_round_trip() {
        let (a, b) = (
            "The quick brown fox jumps over the lazy dog",
            "The quick red fox jumps over the lazy cat",
        );
        let patches = patch_make(&options(), a, b).unwrap();
        assert!(!patches.is_empty());
        let (text, ok) = patch_apply(&options(), &patches.concat(), a).unwrap();
        assert!(ok);
        assert_eq!(text, b);
        assert!(patch_apply(&options(), "@@ nonsense", a).is_err());
    }
}
