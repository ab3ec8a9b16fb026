//! Yahoo! Mail (and Yahoo! JAPAN): "Sorry, we were unable to deliver your message to the
//! following address." then `<address>:` and the remote's answer, which ends with the SMTP
//! stage in brackets (`[RCPT_TO]`, `[MAIL_FROM]`, `[DATA]`).

use super::{common, Family};
use crate::decode::{Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "yahoo",
    parse,
};

const START: &[&str] = &["sorry, we were unable to deliver your message to the following address"];

/// Yahoo's own wording, first match wins.
const RULES: &[(&str, Reason)] = &[
    ("no mx record found for domain=", Reason::NotAccept),
    // Yahoo's own mail store refusing an address it does not host
    ("dd this user doesn't have a", Reason::UserUnknown),
];

/// The stage tags Yahoo appends, and the SMTP command each names.
const STAGES: &[(&str, &str)] = &[
    ("[rcpt_to]", "RCPT"),
    ("[mail_from]", "MAIL"),
    ("[data]", "DATA"),
    ("[helo]", "HELO"),
    ("[ehlo]", "EHLO"),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let yahoo_headers = mail.header("x-ymailisg").is_some() || mail.header("x-ymail-osg").is_some();
    if !yahoo_headers && !mail.from().to_ascii_lowercase().contains("yahoo") {
        return None;
    }
    let body = common::after_mark(&mail.text, START)?;
    let body = common::before_original(body);
    let mut out = common::address_blocks(body);
    for d in &mut out {
        let diag = d.diagnostic.clone().unwrap_or_default();
        let lower = diag.to_ascii_lowercase();
        d.action = Some(Action::Failed);
        let said = diag
            .split_once("said:")
            .map(|(_, r)| r)
            .unwrap_or(diag.as_str());
        d.replycode = common::leading_reply(said);
        d.command = STAGES
            .iter()
            .find(|(tag, _)| lower.contains(tag))
            .map(|(_, c)| c.to_string());
        if let Some((phrase, r)) = common::rule_for(&diag, RULES) {
            d.reason = Some(r);
            d.rule = Some(format!("yahoo \"{phrase}\""));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_failure_notice() {
        let raw = b"From: MAILER-DAEMON@yahoo.com\r\n\
Subject: Failure Notice\r\n\
X-YMailISG: abc\r\n\
\r\n\
Sorry, we were unable to deliver your message to the following address.\r\n\
\r\n\
<neko@example.jp>:\r\n\
Remote host said: 550 5.1.1 <neko@example.jp>... User Unknown [RCPT_TO]\r\n\
\r\n\
--- Below this line is a copy of the message.\r\n\
\r\n\
From: a@example.org\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[0].command.as_deref(), Some("RCPT"));
    }
}
