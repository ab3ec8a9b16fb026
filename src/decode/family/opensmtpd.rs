//! OpenSMTPD: "This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail", then one
//! `address: error` line per recipient before "Below is a copy of the original message".
//! Its newer reports add a delivery-status part without the error text, so this family goes
//! before the generic DSN parser.

use super::{common, Family};
use crate::decode::{Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "opensmtpd",
    parse,
};

/// OpenSMTPD's own failure strings (queue.c, mta.c), first match wins.
const RULES: &[(&str, Reason)] = &[
    ("envelope expired", Reason::Expired),
    ("could not retrieve credentials", Reason::SecurityError),
    ("invalid domain name", Reason::HostUnknown),
    ("domain does not exist", Reason::HostUnknown),
    ("destination seem to reject all mails", Reason::NotAccept),
    ("no mx found for domain", Reason::NotAccept),
    ("no mx found for destination", Reason::NotAccept),
    (
        "address family mismatch on destination mxs",
        Reason::NetworkError,
    ),
    ("all routes to destination blocked", Reason::NetworkError),
    ("bad dns lookup error code", Reason::NetworkError),
    ("could not retrieve source address", Reason::NetworkError),
    ("loop detected", Reason::NetworkError),
    ("network error on destination mxs", Reason::NetworkError),
    ("no valid route to remote mx", Reason::NetworkError),
    ("no valid route to destination", Reason::NetworkError),
    ("temporary failure in mx lookup", Reason::NetworkError),
];

const START: &[&str] = &["this is the mailer-daemon, please do not reply to this"];
const END: &str = "below is a copy of the original message";

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let text = mail
        .part("text/plain")
        .map(|p| p.text.as_str())
        .unwrap_or(mail.text.as_str());
    let body = common::after_mark(text, START)?;
    let lower = body.to_ascii_lowercase();
    let body = body
        .get(..lower.find(END).unwrap_or(body.len()))
        .unwrap_or(body);
    let delayed = lower.contains("a message is delayed for more than");
    let mut out = common::address_colon_lines(body);
    for d in &mut out {
        let diag = d.diagnostic.clone().unwrap_or_default();
        if delayed {
            d.action = Some(Action::Delayed);
        }
        if let Some((phrase, r)) = common::rule_for(&diag, RULES) {
            d.reason = Some(r);
            d.rule = Some(format!("opensmtpd \"{phrase}\""));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_recipient_lines() {
        let raw = b"From: Mailer Daemon <MAILER-DAEMON@mx.example.org>\r\n\
Subject: Delivery status notification: error\r\n\
\r\n\
    Hi!\r\n\
\r\n\
    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\r\n\
\r\n\
    An error has occurred while attempting to deliver a message for\r\n\
    the following list of recipients:\r\n\
\r\n\
neko@example.jp: 550 5.1.1 <neko@example.jp>... User Unknown\r\n\
tora@nowhere.example: Domain does not exist\r\n\
\r\n\
    Below is a copy of the original message:\r\n\
\r\n\
From: a@example.org\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[1].reason, Some(Reason::HostUnknown));
    }
}
