//! RFC 3463 enhanced status codes (`5.1.1`) and RFC 5321 reply codes (`550`) in text.

use regex::Regex;
use std::sync::LazyLock;

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9.A-Za-z])([245])\.([0-9]{1,3})\.([0-9]{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)",
    )
    .expect("status regex")
});

static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9.:A-Za-z\-/#=+])([245][0-5][0-9])(?:[ \-]|$)").expect("reply regex")
});

/// The first RFC 3463 status code in the text, e.g. `5.1.1`. Codes of class 2, 4 and 5
/// with a subject of at most 7 (RFC 3463 section 3 defines 0 to 7).
pub(crate) fn find_status(text: &str) -> Option<String> {
    for c in STATUS.captures_iter(text) {
        let subject: u32 = c[2].parse().unwrap_or(99);
        if subject > 7 {
            continue;
        }
        return Some(format!("{}.{}.{}", &c[1], &c[2], &c[3]));
    }
    None
}

/// The first SMTP reply code in the text.
pub(crate) fn find_replycode(text: &str) -> Option<String> {
    REPLY.captures(text).map(|c| c[1].to_string())
}

/// Normalises a `Status:` field value: `5.1.1 (user unknown)` becomes `5.1.1`.
pub(crate) fn normalize(s: &str) -> Option<String> {
    find_status(s.trim())
}

/// The class digit of a status or reply code: `5` of `5.1.1` or `550`.
pub(crate) fn class(code: &str) -> Option<char> {
    code.chars().next().filter(|c| matches!(c, '2' | '4' | '5'))
}

/// True when a status code only says "failed" without saying why (`5.0.0`, `4.1.0`).
pub(crate) fn is_vague(code: &str) -> bool {
    code.ends_with(".0.0") || code.ends_with(".1.0") || code.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_status_codes() {
        assert_eq!(
            find_status("550 5.1.1 <a@b>... User unknown").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(find_status("(#5.5.0)").as_deref(), Some("5.5.0"));
        assert_eq!(find_status("host 192.0.2.1 said"), None);
        assert_eq!(find_status("5.7.26 DMARC").as_deref(), Some("5.7.26"));
        assert_eq!(find_status("version 1.5.1.2"), None);
    }

    #[test]
    fn finds_reply_codes() {
        assert_eq!(
            find_replycode("host said: 550 5.1.1 no").as_deref(),
            Some("550")
        );
        assert_eq!(
            find_replycode("550-5.1.1 The email").as_deref(),
            Some("550")
        );
        assert_eq!(find_replycode("Date 2013 at 192.0.2.1"), None);
    }
}
