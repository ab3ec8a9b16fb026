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
        Reason::HostUnknown,
    ),
    ("sorry, no mailbox here by that name", Reason::UserUnknown),
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
        if diag.contains("rcpt to") {
            d.command = Some("RCPT".into());
        } else if diag.contains("mail from") {
            d.command = Some("MAIL".into());
        } else if diag.contains("data command") || diag.contains("after end of data") {
            d.command = Some("DATA".into());
        }
    }
    Some(out)
}
