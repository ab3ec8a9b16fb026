//! Outlook.com / Hotmail (the consumer service): "Delivery Status Notification" reports from
//! hotmail.com hosts with `X-Message-Delivery` / `X-Message-Info`; the delivery-status
//! part is read as usual, Hotmail's own wording then decides.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "outlook",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    (
        "the mail could not be delivered to the recipient because the domain is not reachable",
        Reason::HostUnknown,
    ),
    (
        "requested action not taken: mailbox unavailable",
        Reason::UserUnknown,
    ),
    ("mismatches client ip", Reason::RequirePtr),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let mut score = 0;
    if mail.subject.starts_with("Delivery Status Notification") {
        score += 1;
    }
    score += usize::from(mail.header("x-message-delivery").is_some());
    score += usize::from(mail.header("x-message-info").is_some());
    score += usize::from(common::header_has(mail, "received", ".hotmail.com"));
    if score < 2 {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "outlook")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_hotmail_report() {
        let raw = b"From: postmaster@hotmail.com\nSubject: Delivery Status Notification (Failure)\nX-Message-Delivery: Vj0xLjE7\nX-Message-Info: abc\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThis is an automatically generated Delivery Status Notification.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;BAY0-OMC1-S1.bay0.hotmail.com\n\nFinal-Recipient: rfc822;nobody@example.org\nAction: failed\nStatus: 5.5.0\nDiagnostic-Code: smtp;550 Requested action not taken: mailbox unavailable\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
