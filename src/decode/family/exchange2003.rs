//! Microsoft Exchange Server 5.5 to 2003 (Internet Mail Service): "Your message ... did not
//! reach the following recipient(s):", one `address on date` line per recipient followed by
//! the reason and an `MSEXCH:IMS:... (000C05A6) Unknown Recipient` line.

use super::{common, Family};
use crate::decode::{address, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "exchange2003",
    parse,
};

const MARK: &str = "did not reach the following recipient(s):";

/// The hexadecimal MSEXCH error codes and their reasons.
const CODES: &[(&str, Reason)] = &[
    ("000C05A6", Reason::UserUnknown),   // Unknown Recipient
    ("000C0595", Reason::Filtered),      // Ambiguous Recipient
    ("00010256", Reason::SystemError),   // Too many recipients
    ("000D06B5", Reason::SystemError),   // No proxy for recipient
    ("00120270", Reason::NetworkError),  // Too many hops
    ("00050311", Reason::ContentError),  // Conversion to Internet format failed
    ("000502CC", Reason::ContentError),  // Conversion to Internet format failed
    ("000B0981", Reason::SecurityError), // Server does not support AUTH
];

fn claimed(mail: &Mail) -> bool {
    mail.header("x-ms-embedded-report").is_some()
        || mail.headers_named("x-mailer").any(|v| {
            v.starts_with("Internet Mail Service (")
                || v.starts_with("Microsoft Exchange Server Internet Mail Connector")
        })
        || mail
            .headers_named("x-mimeole")
            .any(|v| v.starts_with("Produced By Microsoft Exchange"))
        || mail
            .headers_named("received")
            .any(|v| v.contains(" with Internet Mail Service ("))
        || (mail.text.contains("MSEXCH:") && mail.text.contains(MARK))
}

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !claimed(mail) {
        return None;
    }
    let body = common::after_mark(&mail.text, &[MARK])?;
    let body = common::before_original(body);
    let mut out = common::line_records(body, recipient_of);
    for d in &mut out {
        let diag = d.diagnostic.clone().unwrap_or_default();
        let code = diag
            .split_once("MSEXCH:")
            .and_then(|(_, r)| r.split_once('('))
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(c, _)| c.trim().to_ascii_uppercase());
        if let Some((c, r)) = code.and_then(|c| CODES.iter().find(|(k, _)| *k == c)) {
            d.reason = Some(*r);
            d.rule = Some(format!("exchange2003 code {c}"));
        }
    }
    Some(out)
}

/// `kijitora@example.jp on Thu, 29 Apr 2010 ...` or `...:SMTP=a@b; on ...` → the address.
fn recipient_of(line: &str) -> Option<String> {
    let (head, _) = line.split_once(" on ")?;
    let lower = head.to_ascii_lowercase();
    if let Some(i) = lower.find(":smtp=") {
        return address::clean(head.get(i + 6..)?.trim_end_matches(';'));
    }
    let head = head.trim();
    if head.contains(' ') || !head.contains('@') {
        return None;
    }
    address::clean(head)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_exchange_report() {
        let raw = b"From: System Administrator <postmaster@example.jp>\nSubject: Undeliverable: hi\nX-Mailer: Internet Mail Service (5.5.2653.19)\n\nYour message\n\n  To:      a@example.jp\n  Subject: hi\n\ndid not reach the following recipient(s):\n\nnobody@example.jp on Thu, 29 Apr 2010 00:00:00 -0000\n    The recipient name is not recognized\n    MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("nobody@example.jp"));
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
