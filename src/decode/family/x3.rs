//! An unnamed MTA (Sisimai's "X3"): "Delivery status notification" from "Mail Delivery
//! System", the addresses as `* address` after "Delivery to the following recipients
//! failed permanently:", and "SMTP:RCPT host ...: reply" under "Technical details:". When
//! it adds a delivery-status part, its `Status:` field may contradict the remote's reply
//! (5.1.1 for "552 5.2.2 Over quota"): the reply's code is taken then.

use super::{common, Family};
use crate::decode::{dsn, status, Draft, Mail};

pub(crate) static FAMILY: Family = Family { name: "x3", parse };

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.from().starts_with("Mail Delivery System")
        || !mail.subject.starts_with("Delivery status notification")
    {
        return None;
    }
    if let Some(mut out) = dsn::parse(mail) {
        for d in &mut out {
            if let Some(code) = d.diagnostic.as_deref().and_then(status::find_status) {
                d.status = Some(code);
            }
        }
        return Some(out);
    }
    let body = common::after_mark(
        &mail.text,
        &["to the following recipients failed permanently:"],
    )?;
    let body = common::before_original(body);
    let (addrs, details) = body.split_once("Technical details:").unwrap_or((body, ""));
    let mut details_lines = details
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("====="));
    let detail = details_lines.next().unwrap_or("");
    let (command, diag) = match detail.strip_prefix("SMTP:") {
        Some(rest) => {
            let cmd: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let text = rest.split_once(": ").map(|(_, t)| t).unwrap_or(rest);
            (Some(cmd.to_ascii_uppercase()), text.to_string())
        }
        None => (None, detail.to_string()),
    };
    let out: Vec<Draft> = addrs
        .lines()
        .filter_map(|l| l.trim().strip_prefix("* ").and_then(common::address_in))
        .map(|a| {
            let mut d = Draft::new(Some(a), Some(diag.clone()));
            d.command = command.clone().filter(|c| !c.is_empty());
            d
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_x3_notice() {
        let raw = b"From: Mail Delivery System <Mail.Delivery.System@mx.example.com>\nSubject: Delivery status notification\n\nDelivery to the following recipients failed permanently:\n\n   * nobody@example.com\n\n=====\n                 Technical details:\n\nSMTP:RCPT host 192.0.2.8: 553 5.3.0 <nobody@example.com>... No such user here\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.com")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[0].smtp_command.as_deref(), Some("RCPT"));
    }
}
