//! Ipswitch IMail Server (`X-Mailer: <SMTP32 vN.NN>`): "Undeliverable Mail" with one
//! `reason: address` line per recipient before "Original message follows.".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "imailserver",
    parse,
};

/// IMail's own messages, at the start of the line.
const RULES: &[(&str, Reason)] = &[
    ("user mailbox exceeds allowed size", Reason::MailboxFull),
    ("unknown user", Reason::UserUnknown),
    ("invalid final delivery userid", Reason::UserUnknown),
    ("unknown host", Reason::HostUnknown),
    (
        "requested action not taken: virus detected",
        Reason::VirusDetected,
    ),
    ("delivery failed", Reason::Expired),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail
        .headers_named("x-mailer")
        .any(|v| v.trim_start().starts_with("<SMTP32 v"))
    {
        return None;
    }
    let body = mail
        .text
        .split("Original message follows.")
        .next()
        .unwrap_or(&mail.text);
    let mut out: Vec<Draft> = body
        .lines()
        .filter_map(|l| {
            let (text, addr) = l.trim().rsplit_once(": ")?;
            let a = common::address_in(addr)?;
            Some(Draft::new(Some(a), Some(l.trim().to_string())).with_text(text))
        })
        .collect();
    common::apply_rules(&mut out, RULES, "imailserver");
    Some(out)
}

trait WithText {
    fn with_text(self, text: &str) -> Self;
}

impl WithText for Draft {
    /// Keeps the message part (without the address) as the diagnostic.
    fn with_text(mut self, text: &str) -> Self {
        if !text.trim().is_empty() {
            self.diagnostic = Some(text.trim().to_string());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_imail_notice() {
        let raw = b"From: \"Postmaster\" <postmaster@example.co.jp>\nSubject: Undeliverable Mail\nX-Mailer: <SMTP32 v8.22>\n\nUser mailbox exceeds allowed size: box@example.co.jp\n\n\nOriginal message follows.\n\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("box@example.co.jp"));
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
    }
}
