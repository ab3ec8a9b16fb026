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
    if needle.is_empty() {
        return Some(0);
    }
    let last_start = hay.len().checked_sub(needle.len())?;
    // Look for the needle's rarest byte (in mail text), then check the whole needle
    // around each occurrence: far fewer false starts than with its first byte.
    let (k, &anchor) = needle
        .iter()
        .enumerate()
        .min_by_key(|(_, &b)| commonness(b))?;
    let (lo, up) = (anchor.to_ascii_lowercase(), anchor.to_ascii_uppercase());
    let mut from = 0usize; // the next candidate start to consider
    while from <= last_start {
        let window = hay.get(from + k..=last_start + k)?;
        let start = from + memchr::memchr2(lo, up, window)?;
        let candidate = hay.get(start..start + needle.len())?;
        if candidate.eq_ignore_ascii_case(needle) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// A rough rank of how common a byte is in English mail text (higher: more common).
fn commonness(b: u8) -> u8 {
    match b.to_ascii_lowercase() {
        b' ' => 255,
        b'e' => 250,
        b't' => 245,
        b'a' | b'o' => 240,
        b'i' | b'n' => 235,
        b's' | b'r' | b'h' => 230,
        b'l' | b'd' => 220,
        b'c' | b'u' | b'm' => 210,
        b'-' | b'\n' | b'\r' => 200,
        b'.' => 190,
        b'f' | b'p' | b'g' | b'w' | b'y' => 180,
        b'0'..=b'9' => 160,
        b'b' | b'v' => 150,
        b'k' => 120,
        b'x' | b'j' | b'q' | b'z' => 80,
        _ => 100,
    }
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
            ("xxthis is the", "this is the"),
            ("This Is The MAILER-DAEMON", "the mailer-daemon"),
            ("tttttttttthis", "this"),
            ("abcabcabd", "abcabd"),
            ("----- Transcript", "----- transcript"),
            ("zzz", "z"),
        ];
        for (hay, needle) in cases {
            let want = hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase());
            assert_eq!(find_ci(hay, needle), want, "{hay:?} / {needle:?}");
        }
    }
}
