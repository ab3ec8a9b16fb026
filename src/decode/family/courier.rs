//! Courier MTA: "NOTICE: mail delivery status." with a delivery-status part; its own
//! wording for local failures ("No such domain.") decides the reason.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "courier",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("no such domain", Reason::HostUnknown),
    ("unknown user", Reason::UserUnknown),
    (
        "delivery to this address has been disabled",
        Reason::Suspend,
    ),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail.subject.starts_with("NOTICE: mail delivery status.")
        || mail
            .headers_named("message-id")
            .any(|v| v.contains(".courier"))
        || common::header_has(mail, "received", "(courier");
    if !ours {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "courier")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_courier_report() {
        let raw = b"From: postmaster@example.org\nSubject: NOTICE: mail delivery status.\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; a@example.cat\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: unknown; No such domain.\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::HostUnknown);
    }
}
