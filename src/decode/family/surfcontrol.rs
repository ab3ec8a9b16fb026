//! SurfControl E-mail Filter (`X-Mailer: SurfControl E-mail Filter`, `X-SEF-Processed`):
//! a delivery-status part whose diagnostic is the remote's reply.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "surfcontrol",
    parse,
};

const RULES: &[(&str, Reason)] = &[("service currently unavailable", Reason::SystemError)];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail.header("x-sef-processed").is_some()
        || mail
            .headers_named("x-mailer")
            .any(|v| v.contains("SurfControl E-mail Filter"));
    if !ours {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "surfcontrol")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_surfcontrol_report() {
        let raw = b"From: <>\nSubject: hi\nX-Mailer: SurfControl E-mail Filter\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nFailed.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nDiagnostic-Code: smtp; 554 Service currently unavailable\nStatus: 5.0.0\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::SystemError);
    }
}
