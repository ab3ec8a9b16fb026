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

/// The first RFC 3463 status code of a failure (class 4 or 5) in the text, else the first
/// of class 2, e.g. `5.1.1`. A subject of at most 7 (RFC 3463 section 3 defines 0 to 7).
/// A quoted transcript lists the accepted steps first (`250 2.1.0 Ok` to MAIL FROM): the
/// failure's own code is the one that counts.
pub(crate) fn find_status(text: &str) -> Option<String> {
    let mut success = None;
    for c in STATUS.captures_iter(text) {
        let subject: u32 = c[2].parse().unwrap_or(99);
        if subject > 7 {
            continue;
        }
        let code = format!("{}.{}.{}", &c[1], &c[2], &c[3]);
        if &c[1] != "2" {
            return Some(code);
        }
        success.get_or_insert(code);
    }
    success
}

/// The first SMTP reply code of a failure (4xx, 5xx) in the text, else the first 2xx.
pub(crate) fn find_replycode(text: &str) -> Option<String> {
    let mut success = None;
    for c in REPLY.captures_iter(text) {
        if !c[1].starts_with('2') {
            return Some(c[1].to_string());
        }
        success.get_or_insert_with(|| c[1].to_string());
    }
    success
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
        // a transcript: the refusal's code, not the accepted MAIL FROM's
        let transcript = "--> MAIL From:<s@a> <-- 250 2.1.0 Ok --> RCPT To:<r@b> <-- 550 5.1.1 no";
        assert_eq!(find_status(transcript).as_deref(), Some("5.1.1"));
        assert_eq!(find_replycode(transcript).as_deref(), Some("550"));
        assert_eq!(find_status("250 2.0.0 Ok").as_deref(), Some("2.0.0"));
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
