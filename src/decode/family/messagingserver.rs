//! Oracle (Sun ONE, iPlanet, PMDF) Messaging Server: "This report relates to a message you
//! sent with the following header fields:", then per recipient the indented fields
//! `Recipient address:`, `Original address:`, `Reason:`, `Diagnostic code:` and
//! `Remote system:`. The text names the original address where the delivery-status part
//! gives only a routed one, so this family goes before the generic DSN parser.

use super::{common, Family};
use crate::decode::{address, dsn, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "messagingserver",
    parse,
};

const START: &[&str] =
    &["this report relates to a message you sent with the following header fields"];

/// Messaging Server's own wording (its `Reason:` line and its local errors).
const RULES: &[(&str, Reason)] = &[("illegal host/domain name found", Reason::HostUnknown)];

#[derive(Default)]
struct Block {
    recipient: Option<String>,
    original: Option<String>,
    reason: Option<String>,
    diagnostic: Option<String>,
    remote: Option<String>,
}

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let body = common::after_mark(&mail.text, START)?;
    let mut blocks: Vec<Block> = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let Some((name, value)) = t.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "recipient address" => blocks.push(Block {
                recipient: Some(value.to_string()),
                ..Block::default()
            }),
            "original address" => {
                if let Some(b) = blocks.last_mut() {
                    b.original = address::clean(value);
                }
            }
            "reason" => {
                if let Some(b) = blocks.last_mut() {
                    b.reason = Some(value.to_string());
                }
            }
            "diagnostic code" => {
                if let Some(b) = blocks.last_mut() {
                    let text = value.split_once(';').map(|(_, t)| t).unwrap_or(value);
                    b.diagnostic = Some(text.trim().to_string());
                }
            }
            "remote system" => {
                if let Some(b) = blocks.last_mut() {
                    let host = value.split_once(';').map(|(_, h)| h).unwrap_or(value);
                    b.remote = host.split_whitespace().next().map(str::to_string);
                }
            }
            _ => {}
        }
    }
    let fields = mail
        .parts
        .iter()
        .find(|p| p.ctype == "message/delivery-status")
        .map(|p| dsn::parse_fields(&p.text))
        .unwrap_or_default();
    let out: Vec<Draft> = blocks
        .into_iter()
        .filter_map(|b| {
            // A routed address (`@relay:user@host`) is not the one the sender wrote.
            let given = b
                .recipient
                .as_deref()
                .filter(|r| !r.starts_with('@') && !r.contains(':'))
                .and_then(address::clean);
            let recipient = b.original.clone().filter(|_| given.is_none()).or(given)?;
            let diag = b.diagnostic.clone().or_else(|| b.reason.clone());
            let mut d = Draft::new(Some(recipient.clone()), diag);
            if let Some(f) = fields.iter().find(|f| {
                f.recipient
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&recipient))
                    || f.original_recipient
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(&recipient))
            }) {
                d.status = f.status.clone();
                d.action = f.action;
                d.reporting_mta = f.reporting_mta.clone();
                d.envelope_id = f.envelope_id.clone();
            }
            d.remote_mta = b.remote.clone();
            let why = b.reason.as_deref().unwrap_or("").to_ascii_lowercase();
            if why.contains("mail from") {
                d.command = Some("MAIL".into());
            }
            let all = format!("{} {}", d.diagnostic.as_deref().unwrap_or(""), why);
            if let Some((phrase, r)) = common::rule_for(&all, RULES) {
                d.reason = Some(r);
                d.rule = Some(format!("messagingserver \"{phrase}\""));
            }
            Some(d)
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_field_blocks() {
        let raw = b"From: postmaster@example.net\r\n\
Subject: Delivery Notification: Delivery has failed\r\n\
\r\n\
This report relates to a message you sent with the following header fields:\r\n\
\r\n\
  Message-id: <x@example.com>\r\n\
  To: neko@example.net\r\n\
\r\n\
Your message cannot be delivered to the following recipients:\r\n\
\r\n\
  Recipient address: @relay.example.net:neko@store\r\n\
  Original address: neko@example.net\r\n\
  Reason: Remote SMTP server has rejected address\r\n\
  Diagnostic code: smtp;550 5.1.1 <neko@example.net>... User Unknown\r\n\
  Remote system: dns;mx.example.net (TCP|192.0.2.1|1|192.0.2.2|25)\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.net"));
        assert_eq!(d[0].remote_mta.as_deref(), Some("mx.example.net"));
    }
}
