//! Google Workspace (Gmail) "** Message not delivered **" notices without a delivery-status
//! part: the reason in prose, then "The response was:" and the remote's answer.

use super::{common, Family};
use crate::decode::{address, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "googleworkspace",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("because the address couldn't be found", Reason::UserUnknown),
    ("'send mail as'", Reason::Rejected),
    ("p=customfromdenied", Reason::Rejected),
    ("because the domain", Reason::HostUnknown),
    ("inbox is full", Reason::MailboxFull),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !(from.contains("mailer-daemon@googlemail.com") || from.contains("mailer-daemon@google.com"))
    {
        return None;
    }
    if crate::decode::dsn::parse(mail).is_some() {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &["** message not delivered **", "** address not found **"],
    )?;
    let body = common::before_original(body);
    let rcpt = mail
        .header("x-failed-recipients")
        .and_then(|v| v.split(',').find_map(address::clean))
        .or_else(|| mail.original_header("to").and_then(address::clean))?;
    let diag = common::squeeze_lines(body, 12);
    let mut out = vec![Draft::new(Some(rcpt), Some(diag))];
    common::apply_rules(&mut out, RULES, "googleworkspace");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_send_as_refusal() {
        let raw = b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Failure)\nX-Failed-Recipients: team@example.net\n\n** Message not delivered **\n\nYou're sending this from a different address or alias using the 'Send mail as' feature.\nThe response was:\nSmtp server does not advertise AUTH capability\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("team@example.net"));
        assert_eq!(r.bounces[0].reason, Reason::Rejected);
    }
}
