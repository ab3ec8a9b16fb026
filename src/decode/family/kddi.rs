//! KDDI au one net (dion.ne.jp, auone-net.jp): "Your mail sent on: ... Could not be
//! delivered to: <address> As their mailbox is full."

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "kddi",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("as their mailbox is full", Reason::MailboxFull),
    (
        "due to the following smtp relay error",
        Reason::NetworkError,
    ),
    ("as the remote domain doesnt exist", Reason::HostUnknown),
    ("as the remote domain doesn't exist", Reason::HostUnknown),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    let kddi = (from.contains("no-reply@")
        && (from.contains(".dion.ne.jp") || from.contains("auone-net.jp")))
        || common::header_has(mail, "received", ".auone-net.jp");
    if !kddi {
        return None;
    }
    let body = common::after_mark(&mail.text, &["your mail sent on:"])?;
    let body = common::before_original(body);
    let mut out = common::line_records(body, |l| {
        l.trim_start()
            .strip_prefix("Could not be delivered to:")
            .and_then(common::address_in)
    });
    common::apply_rules(&mut out, RULES, "kddi");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_kddi_notice() {
        let raw = b"From: no-reply@box.dion.ne.jp\nSubject: Mail\n\nYour mail sent on: Thu, 29 Apr 2013 00:00:00 +0900\n     Could not be delivered to: <cat@box.dion.ne.jp>\n     As their mailbox is full.\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("cat@box.dion.ne.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
    }
}
