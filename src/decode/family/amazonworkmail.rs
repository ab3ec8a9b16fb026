//! Amazon WorkMail: "An error occurred while trying to deliver the mail to the following
//! recipients:" with the delivery-status fields written inline after "Technical report:".

use super::{common, Family};
use crate::decode::{dsn, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "amazonworkmail",
    parse,
};

const RULES: &[(&str, Reason)] = &[("message expired", Reason::Expired)];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let workmail = mail
        .headers_named("x-mailer")
        .chain(mail.headers_named("x-original-mailer"))
        .any(|v| v.contains("Amazon WorkMail"));
    if !workmail {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &["an error occurred while trying to deliver the mail to the following recipients:"],
    )?;
    let report = common::after_mark(body, &["technical report:"])?;
    let mut out = dsn::parse_fields(report);
    out.retain(|d| d.recipient.is_some());
    for d in &mut out {
        if let Some(code) = d.diagnostic.as_deref().and_then(common::last_quoted_status) {
            d.status = Some(code);
        }
    }
    common::apply_rules(&mut out, RULES, "amazonworkmail");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_workmail_report() {
        let raw = b"From: MAILER-DAEMON@us-west-2.amazonses.com\nSubject: Delivery Status Notification (Failure)\nX-Mailer: Amazon WorkMail\n\nAn error occurred while trying to deliver the mail to the following recipients:\nbox@example.jp\n\nTechnical report:\n\nReporting-MTA: dsn; a1.smtp-out.us-west-2.amazonses.com\nAction: failed\nFinal-Recipient: rfc822; box@example.jp\nDiagnostic-Code: smtp; 550 5.2.2 <box@example.jp>... Mailbox Full\nStatus: 5.2.2\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("box@example.jp"));
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
    }
}
