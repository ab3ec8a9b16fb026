//! The receipt ID in a server's acceptance reply: what the relay calls the queued message,
//! found again later in its DSNs (Postfix `X-Postfix-Queue-ID`, `Final-Log-ID`, Received).

use regex::Regex;
use std::sync::LazyLock;

/// (what, pattern with the ID in group 1), tried in order.
static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("postfix", r"(?i)\bqueued as ([0-9A-Za-z]+)"),
        ("exim", r"(?i)\bOK id=([0-9A-Za-z\-]+)"),
        (
            "sendmail",
            r"(?i)\b([0-9A-Za-z]{8,}) Message accepted for delivery",
        ),
        ("exchange", r"(?i)\[InternalId=([0-9]+)"),
        ("gmail", r"(?i)\b([0-9A-Za-z\-._]+) - gsmtp"),
        ("ses", r"(?i)^(?:250 )?Ok ([0-9a-f][0-9a-f\-]{20,})"),
        (
            "generic",
            r"(?i)\b(?:id|queue id|message id)[=: ]+<?([0-9A-Za-z\-._@]+?)>?(?:\s|$)",
        ),
    ]
    .into_iter()
    .map(|(n, p)| (n, Regex::new(p).expect("receipt pattern")))
    .collect()
});

/// The receipt ID, or the whole reply when no known form matches (it still identifies
/// the acceptance for a person).
pub fn receipt_id(reply: &str) -> String {
    for (_, re) in PATTERNS.iter() {
        if let Some(c) = re.captures(reply) {
            return c[1].to_string();
        }
    }
    reply.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_replies() {
        assert_eq!(receipt_id("250 2.0.0 Ok: queued as 4F3A2B1C"), "4F3A2B1C");
        assert_eq!(receipt_id("250 OK id=1rXyZa-0004Ab-2C"), "1rXyZa-0004Ab-2C");
        assert_eq!(
            receipt_id("250 2.0.0 4ASBx1a3012345 Message accepted for delivery"),
            "4ASBx1a3012345"
        );
        assert_eq!(
            receipt_id(
                "250 2.6.0 <a@b> [InternalId=1234567, Hostname=EX01] Queued mail for delivery"
            ),
            "1234567"
        );
        assert_eq!(
            receipt_id("250 2.0.0 OK  1700000000 d9443c01a7336-1f2e3d4c5b6a7.12 - gsmtp"),
            "d9443c01a7336-1f2e3d4c5b6a7.12"
        );
        assert_eq!(
            receipt_id("250 Ok 0100018c1b2c3d4e-5f6a7b8c-9d0e-1f2a-3b4c-5d6e7f8a9b0c-000000"),
            "0100018c1b2c3d4e-5f6a7b8c-9d0e-1f2a-3b4c-5d6e7f8a9b0c-000000"
        );
        assert_eq!(receipt_id("250 fine"), "250 fine");
        assert_eq!(receipt_id("250 2.0.0 Ok: QUEUED AS 4F3A2B1C"), "4F3A2B1C");
        assert_eq!(receipt_id("250 2.0.0 Ok: queued as 4F3A2B1C."), "4F3A2B1C");
    }
}
