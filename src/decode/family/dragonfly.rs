//! DragonFly Mail Agent (dma): "This is the DragonFly Mail Agent ... There was an error
//! delivering your mail to <address>." followed by the remote's answer or dma's own error,
//! up to "Message headers follow." or "Original message follows.".

use super::{common, Family};
use crate::decode::{address, Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "dragonfly",
    parse,
};

/// dma's own failure strings (dma.c, dns.c, net.c), first match wins.
const RULES: &[(&str, Reason)] = &[
    ("could not deliver for the last", Reason::Expired),
    ("dns lookup failure", Reason::HostUnknown),
];

const ERROR: &str = "there was an error delivering your mail to ";
const END: &[&str] = &["message headers follow", "original message follows"];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let text = mail
        .part("text/plain")
        .map(|p| p.text.as_str())
        .unwrap_or(mail.text.as_str());
    let lower = text.to_ascii_lowercase();
    if !lower.contains("this is the dragonfly mail agent") {
        return None;
    }
    let at = lower.find(ERROR)? + ERROR.len();
    let rest = text.get(at..)?;
    let (head, tail) = rest.split_once('\n').unwrap_or((rest, ""));
    let recipient = address::clean(head.trim().trim_end_matches('.'))?;
    let tail_lower = tail.to_ascii_lowercase();
    let end = END
        .iter()
        .filter_map(|m| tail_lower.find(m))
        .min()
        .unwrap_or(tail.len());
    let diag = crate::decode::draft::squeeze(tail.get(..end).unwrap_or(tail));
    let mut d = Draft::new(Some(recipient), Some(diag.clone()));
    let dl = diag.to_ascii_lowercase();
    d.command = if dl.contains("did not like our rcpt to") {
        Some("RCPT".into())
    } else if dl.contains("did not like our mail from") {
        Some("MAIL".into())
    } else if dl.contains("did not like our final data") || dl.contains("did not like our data") {
        Some("DATA".into())
    } else {
        None
    };
    if let Some((phrase, r)) = common::rule_for(&diag, RULES) {
        d.reason = Some(r);
        d.rule = Some(format!("dragonfly \"{phrase}\""));
        if r == Reason::Expired {
            d.action = Some(Action::Delayed);
        }
    }
    Some(vec![d])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_dma_report() {
        let raw = b"From: MAILER-DAEMON <>\r\n\
Subject: Mail delivery failed\r\n\
\r\n\
This is the DragonFly Mail Agent v0.13 at mx.example.org.\r\n\
\r\n\
There was an error delivering your mail to <neko@example.jp>.\r\n\
\r\n\
mx.example.jp [192.0.2.1] did not like our RCPT TO:\r\n\
550 5.1.1 <neko@example.jp>: Recipient address rejected: User unknown\r\n\
\r\n\
Message headers follow.\r\n\
\r\n\
To: <neko@example.jp>\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[0].command.as_deref(), Some("RCPT"));
        assert!(d[0]
            .diagnostic
            .as_deref()
            .unwrap_or("")
            .starts_with("mx.example.jp"));
    }
}
