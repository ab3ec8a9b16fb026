//! GMX and mail.com (1&1 Mail & Media): an Exim-like report whose failed addresses stand
//! quoted on their own line (`"address":`), followed by "SMTP error from remote server
//! after RCPT command:", the remote host and its answer.

use super::{common, Family};
use crate::decode::{address, draft, Draft, Mail};

pub(crate) static FAMILY: Family = Family { name: "gmx", parse };

const START: &[&str] = &["this message was created automatically by mail delivery software"];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let gmx = mail.header("x-gmx-antispam").is_some()
        || mail.header("x-ui-out-filterresults").is_some()
        || mail.from().to_ascii_lowercase().contains("gmx.");
    if !gmx {
        return None;
    }
    let body = common::after_mark(&mail.text, START)?;
    let body = common::before_original(body);
    let mut out: Vec<Draft> = Vec::new();
    let mut cur: Option<(String, Vec<String>)> = None;
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with('"') && t.ends_with("\":") {
            if let Some(addr) = address::clean(t.trim_end_matches(':')).filter(|a| a.contains('@'))
            {
                if let Some((a, lines)) = cur.take() {
                    out.push(block(a, &lines));
                }
                cur = Some((addr, Vec::new()));
                continue;
            }
        }
        if t.is_empty() {
            if let Some((a, lines)) = cur.take() {
                out.push(block(a, &lines));
            }
            continue;
        }
        if let Some((_, lines)) = cur.as_mut() {
            lines.push(t.to_string());
        }
    }
    if let Some((a, lines)) = cur.take() {
        out.push(block(a, &lines));
    }
    Some(out)
}

fn block(recipient: String, lines: &[String]) -> Draft {
    let diag = draft::squeeze(&lines.join(" "));
    let lower = diag.to_ascii_lowercase();
    let mut d = Draft::new(Some(recipient), Some(diag));
    d.command = if lower.contains("after rcpt command") {
        Some("RCPT".into())
    } else if lower.contains("after mail command") {
        Some("MAIL".into())
    } else if lower.contains("after data command") {
        Some("DATA".into())
    } else {
        None
    };
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_blocks() {
        let raw = b"From: MAILER-DAEMON@mail.gmx.com\r\n\
Subject: Mail delivery failed: returning message to sender\r\n\
X-GMX-Antispam: 0\r\n\
\r\n\
This message was created automatically by mail delivery software.\r\n\
\r\n\
\"neko@example.jp\":\r\n\
SMTP error from remote server after RCPT command:\r\n\
host: mx.example.jp\r\n\
5.1.1 <neko@example.jp>... User Unknown\r\n\
\"tora@example.jp\":\r\n\
SMTP error from remote server after RCPT command:\r\n\
host: mx.example.jp\r\n\
5.2.2 <tora@example.jp>... Mailbox Full\r\n\
\r\n\
--- The header of the original message is following. ---\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].recipient.as_deref(), Some("tora@example.jp"));
        assert_eq!(d[1].command.as_deref(), Some("RCPT"));
        assert!(d[1]
            .diagnostic
            .as_deref()
            .unwrap_or("")
            .ends_with("Mailbox Full"));
    }
}
