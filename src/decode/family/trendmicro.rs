//! Trend Micro InterScan Messaging Security Suite: "InterScan" notices, either the SMTP
//! exchange (`Sent <<< RCPT TO:<address>` / `Received >>> reply`) or "Unable to deliver
//! message to <address> (and other recipients in the same domain)".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "trendmicro",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from();
    if !(from.contains("InterScan MSS") || from.contains("InterScan Notification")) {
        return None;
    }
    let body = common::before_original(&mail.text);
    let mut out: Vec<Draft> = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Sent <<< ") {
            let cmd = rest
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            if cmd == "RCPT" {
                if let Some(a) = common::address_in(rest) {
                    let mut d = Draft::new(Some(a), Some(String::new()));
                    d.command = Some(cmd);
                    out.push(d);
                }
            }
        } else if let Some(reply) = t.strip_prefix("Received >>> ") {
            if let Some(d) = out.last_mut() {
                d.diagnostic = Some(reply.to_string());
            }
        } else if let Some(rest) = t.strip_prefix("Unable to deliver message to ") {
            if let Some(a) = common::address_in(rest) {
                // InterScan's own wording when the recipient's server refused the address
                let d = Draft::new(Some(a), Some(t.to_string()));
                out.push(d.decided(
                    Reason::UserUnknown,
                    "trendmicro \"unable to deliver message to\"",
                ));
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_interscan_transcript() {
        let raw = b"From: \"InterScan MSS\" <postmaster@example.co.jp>\nSubject: failed\n\n...\nSent <<< RCPT TO:<nobody@example.co.jp>\nReceived >>> 550 5.1.1 <nobody@example.co.jp>... user unknown\n...\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.co.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[0].status.as_deref(), Some("5.1.1"));
    }
}
