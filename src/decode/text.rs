//! Small text helpers the decoders share: case-insensitive search that does not copy the
//! text to lower case first.

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` in `hay`; the
/// same answer as `hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())`, without
/// the copies. Linear in `hay` for a needle of bounded length.
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    find_ci_bytes(hay.as_bytes(), needle.as_bytes())
}

/// Whether `hay` contains `needle`, ignoring ASCII case.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle).is_some()
}

fn find_ci_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let last_start = hay.len().checked_sub(needle.len())?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0usize;
    while from <= last_start {
        let window = hay.get(from..=last_start)?;
        let at = from + memchr::memchr2(lo, up, window)?;
        let tail = hay.get(at + 1..at + needle.len())?;
        if tail.eq_ignore_ascii_case(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_lowercasing_does() {
        let cases = [
            ("Hello World", "world"),
            ("Hello World", "WORLD"),
            ("", ""),
            ("abc", ""),
            ("", "a"),
            ("ab", "abc"),
            ("aaab", "aab"),
            ("x Ünïcode ÄB ab", "ab"),
            ("日本語 Mail Delivery", "mail delivery"),
            ("--- Below this line", "below this"),
            ("end", "d"),
            ("end", "e"),
        ];
        for (hay, needle) in cases {
            let want = hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase());
            assert_eq!(find_ci(hay, needle), want, "{hay:?} / {needle:?}");
        }
    }
}
