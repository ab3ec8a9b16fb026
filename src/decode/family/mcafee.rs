//! McAfee Email and Web Security Appliance (`X-NAI-Header: Modified by McAfee ...`): a
//! delivery-status report relaying the remote's answer.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "mcafee",
    parse,
};

const RULES: &[(&str, Reason)] = &[];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !common::header_has(mail, "x-nai-header", "mcafee") {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "mcafee")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_mcafee_report() {
        let raw = b"From: <MAILER-DAEMON@gw.example.jp>\nSubject: Delivery Status\nX-NAI-Header: Modified by McAfee Email and Web Security Appliance\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; gw.example.jp\n\nFinal-Recipient: RFC822; a@example.jp\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.jp>... User unknown\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
