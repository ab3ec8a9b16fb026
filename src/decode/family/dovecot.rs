//! Dovecot LDA/LMTP rejections (Pigeonhole `reject`, quota, disk full): "Your message to
//! <rcpt> was automatically rejected:" followed by the reason, usually with a
//! delivery-status part whose diagnostic is only the relay's summary.

use super::Family;
use crate::decode::{address, dsn, status, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "dovecot",
    parse,
};

const MARK: &str = "was automatically rejected:";

/// Dovecot's own wording of why it refused delivery.
const RULES: &[(&str, Reason)] = &[
    ("not enough disk space", Reason::MailboxFull),
    ("quota exceeded", Reason::MailboxFull),
    ("mailbox is full", Reason::MailboxFull),
    ("too large", Reason::MesgTooBig),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let text = mail
        .parts
        .iter()
        .find(|p| p.ctype == "text/plain" && p.text.to_ascii_lowercase().contains(MARK))?;
    let lower = text.text.to_ascii_lowercase();
    let at = lower.find(MARK)?;
    let head = text.text.get(..at)?;
    let reason_text: String = text
        .text
        .get(at + MARK.len()..)?
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if reason_text.is_empty() {
        return None;
    }
    let mut drafts = dsn::parse(mail).unwrap_or_default();
    if drafts.is_empty() {
        let rcpt = head.rsplit("message to").next().and_then(address::clean)?;
        drafts.push(Draft::new(Some(rcpt), None));
    }
    let rule = RULES
        .iter()
        .find(|(p, _)| reason_text.to_ascii_lowercase().contains(p));
    for d in &mut drafts {
        if d.replycode.is_none() {
            d.replycode = d.diagnostic.as_deref().and_then(status::find_replycode);
        }
        d.diagnostic = Some(reason_text.clone());
        if let Some((phrase, reason)) = rule {
            d.reason = Some(*reason);
            d.rule = Some(format!("dovecot \"{phrase}\""));
        }
    }
    Some(drafts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rejection() {
        let raw = b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>\nTo: <a@example.org>\nSubject: Rejected: hello\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nYour message to <neko@example.jp> was automatically rejected:\nQuota exceeded (mailbox for user is full)\n\n--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: rfc822; neko@example.jp\nAction: failed\nStatus: 5.2.2\n\n--b1--\n";
        let mail = Mail::parse(raw).expect("mail");
        let d = parse(&mail).expect("records");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[0].reason, Some(Reason::MailboxFull));
        assert_eq!(
            d[0].diagnostic.as_deref(),
            Some("Quota exceeded (mailbox for user is full)")
        );
    }
}
