//! SendGrid: delivery reports marked by `X-SendGrid-*` headers; SendGrid writes
//! `Action: expired` (not an RFC 3464 value) for messages it gave up on.

use super::Family;
use crate::decode::{Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "sendgrid",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let status = mail.part("message/delivery-status")?;
    let ours = mail.header("x-sendgrid-queueid").is_some()
        || mail.header("x-sendgrid-sender").is_some()
        || status
            .text
            .to_ascii_lowercase()
            .contains("x-sendgrid-queueid:");
    if !ours {
        return None;
    }
    let mut out = crate::decode::dsn::parse(mail)?;
    let actions: Vec<String> = status
        .text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("action")
                .then(|| v.trim().to_ascii_lowercase())
        })
        .collect();
    for (d, a) in out.iter_mut().zip(actions.iter()) {
        if a == "expired" {
            d.action = Some(Action::Failed);
            d.reason = Some(Reason::Expired);
            d.rule = Some("sendgrid Action: expired".into());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn reads_action_expired() {
        let raw = b"From: MAILER-DAEMON@example.jp\nSubject: Undelivered Mail Returned to Sender\nX-SendGrid-QueueID: 1\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nreport\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.jp\n\nFinal-Recipient: rfc822; a@example.org\nAction: expired\nStatus: \nDiagnostic-Code: Connection timed out\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::Expired);
    }
}
