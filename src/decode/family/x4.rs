//! A qmail derivative (Sisimai's "X4"): "Your mail message to the following address(es)
//! could not be delivered." then `<address>:` blocks ("child status 100...") and
//! "--- Below this line is a copy of the message.".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family { name: "x4", parse };

const RULES: &[(&str, Reason)] = &[
    ("mailfolder is full", Reason::MailboxFull),
    ("mailbox is full", Reason::MailboxFull),
    ("user does not exist", Reason::UserUnknown),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let body = common::after_mark(
        &mail.text,
        &["your mail message to the following address(es) could not be delivered"],
    )?;
    let body = common::before_original(body);
    let mut out = common::address_blocks(body);
    common::apply_rules(&mut out, RULES, "x4");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_x4_notice() {
        let raw = b"From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\nYour mail message to the following address(es) could not be delivered. This\nis a permanent error.\n\n<box@example.com>:\nchild status 100...The e-mail message could not be delivered because the user's mailfolder is full.\n\n--- Below this line is a copy of the message.\n\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("box@example.com"));
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
    }
}
