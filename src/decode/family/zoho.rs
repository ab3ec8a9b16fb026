//! Zoho Mail: "This message was created automatically by mail delivery software." then one
//! line per recipient: `address Text, ERROR_CODE :550, ERROR_CODE :5.1.1 <answer>`.

use super::{common, Family};
use crate::decode::{address, Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "zoho",
    parse,
};

const START: &[&str] = &["this message was created automatically by mail delivery software"];

/// Zoho's own wording, first match wins.
const RULES: &[(&str, Reason)] = &[("host not reachable", Reason::Expired)];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let zoho = mail.header("x-zohomail").is_some()
        || mail.from().to_ascii_lowercase().contains("@mail.zoho");
    if !zoho {
        return None;
    }
    let body = common::after_mark(&mail.text, START)?;
    let mut out = Vec::new();
    let mut cur: Option<Draft> = None;
    for line in body.lines() {
        let t = line.trim();
        if is_header_line(line) {
            // the returned message's headers follow without a separator
            break;
        }
        if t.is_empty() {
            if let Some(d) = cur.take() {
                out.push(d);
            }
            continue;
        }
        let (head, rest) = t.split_once(' ').unwrap_or((t, ""));
        if head.contains('@') && rest.contains("ERROR_CODE") {
            if let Some(addr) = address::clean(head) {
                if let Some(d) = cur.take() {
                    out.push(d);
                }
                cur = Some(Draft::new(Some(addr), Some(rest.to_string())));
                continue;
            }
        }
        if let Some(d) = cur.as_mut() {
            let diag = d.diagnostic.get_or_insert_with(String::new);
            diag.push(' ');
            diag.push_str(t);
        }
    }
    if let Some(d) = cur.take() {
        out.push(d);
    }
    for d in &mut out {
        let diag = d.diagnostic.clone().unwrap_or_default();
        // `ERROR_CODE :550, ERROR_CODE :5.1.1 ...`: the first value is the reply code
        d.replycode = diag
            .split_once("ERROR_CODE :")
            .and_then(|(_, r)| common::leading_reply(r));
        if let Some((phrase, r)) = common::rule_for(&diag, RULES) {
            d.reason = Some(r);
            d.rule = Some(format!("zoho \"{phrase}\""));
            if r == Reason::Expired {
                d.action = Some(Action::Delayed);
            }
        }
    }
    Some(out)
}

/// `Name:value` or a folded continuation, as the inline copy of the original starts.
fn is_header_line(line: &str) -> bool {
    if line.starts_with([' ', '\t']) && line.trim_start().starts_with("with ") {
        return true;
    }
    match line.split_once(':') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && name != "ERROR_CODE"
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_code_lines() {
        let raw = b"From: mailer-daemon@mail.zoho.com\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
X-ZohoMail: Si\r\n\
\r\n\
This message was created automatically by mail delivery software.\r\n\
A message that you sent could not be delivered to one or more of its recipients.\r\n\
\r\n\
neko@example.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <neko@example.jp>... User Unknown\r\n\
\r\n";
        let mail = Mail::parse(raw).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert!(d[0]
            .diagnostic
            .as_deref()
            .unwrap_or("")
            .contains("User Unknown"));
    }
}
