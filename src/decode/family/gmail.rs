//! Gmail's own text-only bounce ("Delivery Status Notification" from
//! mailer-daemon@googlemail.com): indented recipient lines after "Delivery to the following
//! recipient", then the technical details, often ending in a "(state N)" code.

use super::{common, Family};
use crate::decode::{Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "gmail",
    parse,
};

const START: &str = "delivery to the following recipient";

/// Gmail's "(state N)" codes of its SMTP client: (state, command, reason).
const STATES: &[(&str, &str, Reason)] = &[
    ("6", "MAIL", Reason::FailedStartTls),
    ("8", "AUTH", Reason::SystemError),
    ("9", "AUTH", Reason::FailedStartTls),
    ("12", "AUTH", Reason::NoRelaying),
    ("13", "EHLO", Reason::Blocked),
    ("14", "RCPT", Reason::UserUnknown),
    ("15", "DATA", Reason::Filtered),
    ("17", "DATA", Reason::Filtered),
    ("18", "DATA", Reason::Filtered),
];

/// Gmail's own wording when there is no state code.
const RULES: &[(&str, Reason)] = &[
    ("dns error: could not contact dns servers", Reason::Expired),
    (
        "delivery to the following recipient has been delayed",
        Reason::Expired,
    ),
    (
        "the recipient server did not accept our requests to connect",
        Reason::Expired,
    ),
    ("dns error: domain name not found", Reason::HostUnknown),
    (
        "dns error: dns server returned answer with no data",
        Reason::HostUnknown,
    ),
    ("storage quota exceeded", Reason::MailboxFull),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !(from.contains("mailer-daemon@googlemail.com") || from.contains("mailer-daemon@google.com"))
        || !mail.subject.contains("Delivery Status Notification")
    {
        return None;
    }
    let lower = mail.text.to_ascii_lowercase();
    let at = lower.find(START)?;
    let body = common::before_original(mail.text.get(at..)?);
    let delayed = body.to_ascii_lowercase().contains("has been delayed");
    // The "Delivery to..." line itself is part of the first record's diagnostic.
    let first_line = body.lines().next().unwrap_or("").trim().to_string();
    let mut out = common::line_records(body, |l| {
        (l.starts_with(' ') && l.contains('@'))
            .then(|| common::address_in(l))
            .flatten()
    });
    for d in &mut out {
        let diag = d.diagnostic.take().unwrap_or_default();
        let diag = format!("{first_line} {diag}");
        if delayed {
            d.action = Some(Action::Delayed);
        }
        if let Some((_, r)) = common::specific_status_reason(&diag) {
            d.reason = Some(r);
            d.rule = Some("gmail: status code".into());
        } else if let Some((state, cmd, r)) = state_of(&diag) {
            d.command = Some(cmd.to_string());
            d.reason = Some(r);
            d.rule = Some(format!("gmail (state {state})"));
        }
        // the "Delivery to..." intro is not the remote's answer: keep the rest
        d.diagnostic = Some(diag);
    }
    common::apply_rules(&mut out, RULES, "gmail");
    for d in &mut out {
        if let Some(diag) = d.diagnostic.as_mut() {
            if let Some(rest) = diag.split_once(':').map(|(_, r)| r.trim().to_string()) {
                *diag = rest;
            }
        }
    }
    Some(out)
}

/// The "(state N)" code of a diagnostic, when Gmail's table knows it.
fn state_of(diag: &str) -> Option<(&'static str, &'static str, Reason)> {
    let i = diag.find("(state ")?;
    let rest = diag.get(i + 7..)?;
    let num: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    STATES.iter().find(|(s, _, _)| *s == num).copied()
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_gmail_bounce() {
        let raw = b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: a@example.org\r\nSubject: Delivery Status Notification (Failure)\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient failed permanently:\r\n\r\n     nobody@example.net\r\n\r\nTechnical details of permanent failure:\r\nGoogle tried to deliver your message, but it was rejected by the recipient domain. The error that the other server returned was: 550 550 5.7.1 Access denied (state 13).\r\n\r\n----- Original message -----\r\nSubject: hi\r\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        let b = &r.bounces[0];
        assert_eq!(b.recipient.as_deref(), Some("nobody@example.net"));
        assert_eq!(b.reason, Reason::Blocked);
        assert_eq!(b.status.as_deref(), Some("5.7.1"));
    }
}
