//! Barracuda Spam Firewall: "**Message you sent blocked by our bulk email filter**" with a
//! delivery-status part; its "Message content rejected, UBE" means the message was spam.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "barracuda",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("message content rejected, ube", Reason::SpamDetected),
    ("blocked by our bulk email filter", Reason::SpamDetected),
    ("blocked by barracuda", Reason::SpamDetected),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail
        .subject
        .contains("Message you sent blocked by our bulk email filter")
        || common::header_has(mail, "received", "(barracuda)");
    if !ours {
        return None;
    }
    let mut out = crate::decode::dsn::parse(mail)?;
    if mail.subject.contains("blocked by our bulk email filter") {
        for d in &mut out {
            let diag = d.diagnostic.get_or_insert_with(String::new);
            if diag.is_empty() {
                *diag = mail.subject.clone();
            }
        }
    }
    common::apply_rules(&mut out, RULES, "barracuda");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_barracuda_rejection() {
        let raw = b"From: MAILER-DAEMON <>\nSubject: **Message you sent blocked by our bulk email filter**\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nYour message was blocked.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; spam.example.org\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 Message content rejected, UBE, id=1-2-3\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::SpamDetected);
    }
}
