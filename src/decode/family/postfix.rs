//! Postfix's SMTP server error report to the postmaster ("Postfix SMTP server: errors from
//! host[ip]"): a transcript of `In:`/`Out:` lines; the failed recipients are those of the
//! `RCPT TO` commands, the error the server's replies to the last command.

use super::Family;
use crate::decode::{address, Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "postfix",
    parse,
};

/// One transcript line: `In:` (the client's command) or `Out:` (the server's reply).
enum Line {
    In(String),
    Out(String),
}

fn transcript(text: &str) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for raw in text.lines() {
        let t = raw.trim();
        if let Some(rest) = t.strip_prefix("In:") {
            out.push(Line::In(rest.trim().to_string()));
        } else if let Some(rest) = t.strip_prefix("Out:") {
            out.push(Line::Out(rest.trim().to_string()));
        } else if !t.is_empty() && raw.starts_with([' ', '\t']) {
            // a folded command or reply continues the previous line
            match out.last_mut() {
                Some(Line::In(s)) | Some(Line::Out(s)) => {
                    s.push(' ');
                    s.push_str(t);
                }
                None => {}
            }
        }
    }
    out
}

fn is_error(reply: &str) -> bool {
    matches!(reply.as_bytes().first(), Some(b'4' | b'5'))
        && reply
            .as_bytes()
            .get(1..3)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let subject = mail.subject.to_ascii_lowercase();
    let lower = mail.text.to_ascii_lowercase();
    let claimed = subject.starts_with("postfix smtp server: errors from")
        || (lower.contains("transcript of session follows.") && lower.contains("\n out: 220 "));
    if !claimed {
        return None;
    }
    let lines = transcript(&mail.text);
    let mut command = String::new();
    let mut replies: Vec<&str> = Vec::new();
    let mut rcpts: Vec<String> = Vec::new();
    let mut failed_rcpt: Option<String> = None;
    for line in &lines {
        match line {
            Line::In(c) => {
                if is_error_seen(&replies) {
                    break;
                }
                command = c.clone();
                replies.clear();
                if c.to_ascii_uppercase().starts_with("RCPT") {
                    if let Some(a) = c.split_once(':').and_then(|(_, a)| {
                        address::clean(a.split_whitespace().next().unwrap_or(""))
                    }) {
                        rcpts.push(a);
                    }
                }
            }
            Line::Out(r) => {
                replies.push(r);
                if is_error(r) && command.to_ascii_uppercase().starts_with("RCPT") {
                    failed_rcpt = rcpts.last().cloned();
                }
            }
        }
    }
    if !is_error_seen(&replies) {
        return None;
    }
    let verb = command
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    let diag = replies.join(" ");
    let targets = match failed_rcpt {
        Some(a) => vec![a],
        None => rcpts,
    };
    let drafts = targets
        .into_iter()
        .map(|a| {
            let mut d = Draft::new(Some(a), Some(diag.clone()));
            if !verb.is_empty() {
                d.command = Some(verb.clone());
            }
            d
        })
        .collect::<Vec<_>>();
    (!drafts.is_empty()).then_some(drafts)
}

fn is_error_seen(replies: &[&str]) -> bool {
    replies.iter().any(|r| is_error(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_server_transcript() {
        let raw = b"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: postmaster@mx.example.net\nSubject: Postfix SMTP server: errors from client.example.org[192.0.2.9]\n\nTranscript of session follows.\n\n Out: 220 mx.example.net ESMTP\n In:  EHLO client.example.org\n Out: 250-mx.example.net\n Out: 250 8BITMIME\n In:  MAIL FROM:<sender@example.org>\n Out: 250 2.1.0 Ok\n In:  RCPT TO:<neko@example.net>\n Out: 250 2.1.5 Ok\n In:  DATA\n Out: 354 End data with <CR><LF>.<CR><LF>\n Out: 452 4.3.1 Insufficient system storage\n In:  QUIT\n Out: 221 2.0.0 Bye\n";
        let mail = Mail::parse(raw).expect("mail");
        let d = parse(&mail).expect("records");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.net"));
        assert_eq!(d[0].command.as_deref(), Some("DATA"));
        assert_eq!(
            d[0].diagnostic.as_deref(),
            Some("354 End data with <CR><LF>.<CR><LF> 452 4.3.1 Insufficient system storage")
        );
    }
}
