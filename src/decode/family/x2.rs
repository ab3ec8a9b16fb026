//! An unnamed MTA used by Yahoo! JAPAN and others (Sisimai's "X2"): "Message from
//! example.com. Unable to deliver message to the following address(es)." followed by
//! `<address>:` blocks and "--- Original message follows.".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family { name: "x2", parse };

const MARK: &str = "unable to deliver message to the following address(es).";

/// Its own wording.
const RULES: &[(&str, Reason)] = &[
    (
        "this account has been disabled or discontinued",
        Reason::Suspend,
    ),
    ("this account is over quota", Reason::MailboxFull),
    (
        "this message has been in the queue too long",
        Reason::Expired,
    ),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !from.contains("mailer-daemon@") {
        return None;
    }
    let body = common::after_mark(&mail.text, &[MARK])?;
    let body = body
        .split("--- Original message follows.")
        .next()
        .unwrap_or(body);
    let mut out = common::address_blocks(body);
    common::apply_rules(&mut out, RULES, "x2");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_x2_notice() {
        let raw = b"From: MAILER-DAEMON@example.com\nSubject: Delivery failure\n\nMessage from example.com.\nUnable to deliver message to the following address(es).\n\n<gone@example.com>:\nSorry your message to gone@example.com cannot be delivered. This account has been disabled or discontinued [#102].\n\n--- Original message follows.\n\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("gone@example.com"));
        assert_eq!(r.bounces[0].reason, Reason::Suspend);
    }
}
