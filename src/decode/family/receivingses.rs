//! Amazon SES (receiving): "This message could not be delivered." with a delivery-status
//! part whose diagnostic is one of the fixed texts of SES receipt-rule bounce actions.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "receivingses",
    parse,
};

/// The bounce-action templates of SES receipt rules.
const RULES: &[(&str, Reason)] = &[
    ("mailbox does not exist", Reason::Filtered),
    ("message too large", Reason::MesgTooBig),
    ("mailbox full", Reason::MailboxFull),
    ("message content rejected", Reason::SpamDetected),
    // the generic "450 4.0.0 Temporary failure" template says nothing more
    ("temporary failure", Reason::OnHold),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    mail.header("x-ses-outgoing")?;
    if !mail.text.contains("This message could not be delivered.") {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "receivingses")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_receipt_rule_bounce() {
        let raw = b"From: MAILER-DAEMON@us-west-2.amazonses.com\nSubject: Delivery Status Notification (Failure)\nX-SES-Outgoing: 2015.10.01-54.240.27.7\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThis message could not be delivered.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; inbound-smtp.us-west-2.amazonaws.com\n\nFinal-Recipient: rfc822; box@example.jp\nAction: failed\nStatus: 5.6.1\nDiagnostic-Code: smtp; 500 5.6.1 Message content rejected\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::SpamDetected);
    }
}
