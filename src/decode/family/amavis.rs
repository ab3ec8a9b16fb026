//! amavisd-new, the content filter: reports from "Content-filter at <host>" with a
//! delivery-status part ("Undeliverable mail, MTA-BLOCKED", "Considered UNSOLICITED BULK
//! EMAIL", "VIRUS in message", "BANNED contents").

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "amavis",
    parse,
};

const RULES: &[(&str, Reason)] = &[];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.from().contains("Content-filter at ") {
        return None;
    }
    let mut out = crate::decode::dsn::parse(mail)?;
    let subject = mail.subject.to_ascii_uppercase();
    let by_subject = if subject.contains("VIRUS") {
        Some(Reason::VirusDetected)
    } else if subject.contains("UNSOLICITED BULK EMAIL") || subject.contains("SPAM") {
        Some(Reason::SpamDetected)
    } else {
        None
    };
    common::apply_rules(&mut out, RULES, "amavis");
    if let Some(r) = by_subject {
        for d in out.iter_mut().filter(|d| d.reason.is_none()) {
            d.reason = Some(r);
            d.rule = Some(format!("amavis subject \"{}\"", mail.subject));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_amavis_report() {
        let raw = b"From: \"Content-filter at mx.example.com\" <postmaster@mx.example.com>\nSubject: VIRUS in message apparently from you\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nblocked\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.7.0\nDiagnostic-Code: smtp; 554 5.7.0 Reject, id=1-2\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::VirusDetected);
    }
}
