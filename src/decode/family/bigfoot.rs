//! Bigfoot (bigfoot.com, LiteMail): delivery-status reports from MAILER-DAEMON@bigfoot.com.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "bigfoot",
    parse,
};

const RULES: &[(&str, Reason)] = &[("invalid recipient", Reason::UserUnknown)];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail.from().to_ascii_lowercase().contains("@bigfoot.com")
        || common::header_has(mail, "received", ".bigfoot.com (litemail");
    if !ours {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "bigfoot")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_bigfoot_report() {
        let raw = b"From: Mail Delivery Subsystem <MAILER-DAEMON@bigfoot.com>\nSubject: Returned mail\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; litemail00.bigfoot.com\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 553 Invalid recipient a@example.org (Mode: normal)\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
