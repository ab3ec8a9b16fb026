//! An unnamed gateway (Sisimai's "X5"): a notice whose own text part lists nothing, with
//! the real delivery report (multipart/report with its delivery-status part) attached as
//! the returned message.

use super::{common, Family};
use crate::decode::{dsn, Draft, Mail};

pub(crate) static FAMILY: Family = Family { name: "x5", parse };

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if mail.original_status.is_empty() || dsn::parse(mail).is_some() {
        return None;
    }
    let lower = mail.text.to_ascii_lowercase();
    if !(lower.contains("the following addresses had permanent")
        || common::header_has(mail, "from", "mailer-daemon"))
    {
        return None;
    }
    let mut out = dsn::parse_fields(&mail.original_status);
    out.retain(|d| d.recipient.is_some());
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_wrapped_report() {
        let raw = b"From: Mail Delivery Subsystem <MAILER-DAEMON@gw.example.jp>\nSubject: Returned mail: User unknown\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"OUT\"\n\n--OUT\nContent-Type: text/plain\n\n----- The following addresses had permanent delivery errors -----\n\n--OUT\nContent-Type: message/rfc822\n\nFrom: MAILER-DAEMON@mx.example.jp\nSubject: Returned mail: User unknown\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"IN\"\n\n--IN\nContent-Type: text/plain\n\nnobody@example.org\n\n--IN\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: RFC822; nobody@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--IN--\n\n--OUT--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
