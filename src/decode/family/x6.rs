//! An unnamed MTA (Sisimai's "X6"): "We had trouble delivering your message. Full details
//! follow:" and, per recipient, "SMTP Server <host> rejected recipient <address> (Error
//! following RCPT command). It responded as follows: [reply]".

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family { name: "x6", parse };

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let body = common::after_mark(
        &mail.text,
        &["we had trouble delivering your message. full details follow:"],
    )?;
    let mut out = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix("SMTP Server <") else {
            continue;
        };
        let Some((host, rest)) = rest.split_once('>') else {
            continue;
        };
        let Some((_, rest)) = rest.split_once("recipient") else {
            continue;
        };
        let Some(addr) = common::address_in(rest) else {
            continue;
        };
        let reply = rest
            .split_once("responded as follows:")
            .map(|(_, r)| {
                r.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            })
            .unwrap_or_else(|| t.to_string());
        let mut d = Draft::new(Some(addr), Some(reply));
        d.remote_mta = Some(host.to_string());
        d.command = rest
            .split_once("(Error following ")
            .and_then(|(_, c)| c.split_whitespace().next())
            .map(str::to_ascii_uppercase);
        out.push(d);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_x6_notice() {
        let raw = b"From: mailer-daemon\nSubject: There was an error sending your mail\n\nWe had trouble delivering your message. Full details follow:\n\n1 error(s):\n\nSMTP Server <smtpd.example.org> rejected recipient <nobody@example.org> (Error following RCPT command). It responded as follows: [550 5.1.1 User unknown]\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[0].smtp_command.as_deref(), Some("RCPT"));
    }
}
