//! qmail (and its descendants, netqmail, notqmail): "Hi. This is the qmail-send program".
//! Each failed address stands as `<address>:` followed by the remote's answer.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "qmail",
    parse,
};

const START: &[&str] = &[
    "this is the qmail-send program",
    "we're sorry. there's a problem",
    "i'm afraid i wasn't able to deliver your message",
    "this is the machine generated message from mail service",
    "unable to deliver your message to the following addresses",
];

/// qmail's own wording of its local and remote failures (qmail-remote.c, qmail-send.c).
const RULES: &[(&str, Reason)] = &[
    ("sorry, i couldn't find any host named", Reason::HostUnknown),
    (
        "sorry, i couldn't find any host by that name",
        Reason::HostUnknown,
    ),
    (
        "sorry, i couldn't find a mail exchanger or ip address",
        Reason::NotAccept,
    ),
    ("sorry, no mailbox here by that name", Reason::UserUnknown),
    ("this address no longer accepts mail", Reason::UserUnknown),
    (
        "sorry, i wasn't able to establish an smtp connection",
        Reason::NetworkError,
    ),
    ("this message is looping", Reason::NetworkError),
    (
        "sorry. although i'm listed as a best-preference mx",
        Reason::NetworkError,
    ),
    ("unable to switch to", Reason::SystemError),
    ("the recipient's mailbox is full", Reason::MailboxFull),
    (
        "sorry, that domain isn't in my list of allowed rcpthosts",
        Reason::NoRelaying,
    ),
    ("mail server permanently rejected message", Reason::Filtered),
];

/// qmail-remote's words for the stage of the SMTP session that failed.
const STAGES: &[(&str, &str)] = &[
    ("but greeting failed", "CONN"),
    ("but my name was rejected", "HELO"),
    ("but sender was rejected", "MAIL"),
    ("does not like recipient", "RCPT"),
    ("failed on data command", "DATA"),
    ("failed after i sent the message", "DATA"),
    ("rcpt to", "RCPT"),
    ("mail from", "MAIL"),
    ("data command", "DATA"),
    ("after end of data", "DATA"),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let text = &mail.text;
    let lower = text.to_ascii_lowercase();
    let claimed = lower.contains("qmail-send")
        || mail
            .headers_named("received")
            .any(|r| r.contains("invoked for bounce"));
    if !claimed {
        return None;
    }
    let body = common::after_mark(text, START).unwrap_or(text);
    let body = common::before_original(body);
    let mut out = common::address_blocks(body);
    for d in &mut out {
        let diag = d.diagnostic.as_deref().unwrap_or("").to_ascii_lowercase();
        if let Some((phrase, reason)) = RULES.iter().find(|(p, _)| diag.contains(p)) {
            d.reason = Some(*reason);
            d.rule = Some(format!("qmail \"{phrase}\""));
        }
        d.command = STAGES
            .iter()
            .find(|(p, _)| diag.contains(p))
            .map(|(_, c)| c.to_string());
        if d.reason.is_none() && matches!(d.command.as_deref(), Some("HELO" | "CONN")) {
            // turned away before any address was given: the sending host was refused
            d.reason = Some(Reason::Blocked);
            d.rule = Some("qmail: rejected at greeting or HELO".into());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_addresses_and_stages() {
        let raw = [
            "From: MAILER-DAEMON@mx.example.org",
            "Subject: failure notice",
            "",
            "Hi. This is the qmail-send program at mx.example.org.",
            "I'm afraid I wasn't able to deliver your message to the following addresses.",
            "This is a permanent error; I've given up. Sorry it didn't work out.",
            "",
            "<neko@example.jp>:",
            "192.0.2.1 does not like recipient.",
            "Remote host said: 550 5.1.1 <neko@example.jp>... User Unknown",
            "Giving up on 192.0.2.1.",
            "",
            "<tora@example.jp>:",
            "Connected to 192.0.2.2 but my name was rejected.",
            "Remote host said: 501 5.0.0 Invalid domain name",
            "",
            "--- Below this line is a copy of the message.",
            "",
            "From: a@example.org",
        ]
        .join("\n");
        let mail = Mail::parse(raw.as_bytes()).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[0].command.as_deref(), Some("RCPT"));
        assert_eq!(d[1].command.as_deref(), Some("HELO"));
        assert_eq!(d[1].reason, Some(Reason::Blocked));
    }
}
