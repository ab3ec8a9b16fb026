//! MailFoundry: "Message delivery has failed" with "Unable to deliver message to:
//! <address>" and the remote's answer after "Delivery failed for the following reason:".

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "mailfoundry",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if mail.subject != "Message delivery has failed"
        || !mail.text.contains("Unable to deliver message to:")
    {
        return None;
    }
    let body = common::before_original(&mail.text);
    let mut out: Vec<Draft> = Vec::new();
    let mut reading = false;
    for line in body.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Unable to deliver message to:") {
            reading = false;
            if let Some(a) = common::address_in(rest) {
                out.push(Draft::new(Some(a), Some(String::new())));
            }
        } else if t.starts_with("Delivery failed for the following reason:") {
            reading = true;
        } else if t.is_empty() || t.starts_with("This has been a permanent failure") {
            reading = false;
        } else if reading {
            if let Some(d) = out.last_mut() {
                let diag = d.diagnostic.get_or_insert_with(String::new);
                if !diag.is_empty() {
                    diag.push(' ');
                }
                diag.push_str(t);
            }
        }
    }
    for d in &mut out {
        // "Server mx.example.org[192.0.2.2] failed with: 550 ..." → the remote and its reply
        let diag = d.diagnostic.clone().unwrap_or_default();
        if let Some((head, reply)) = diag
            .split_once(" failed with: ")
            .or_else(|| diag.split_once(" responded with failure: "))
        {
            d.remote_mta = head
                .trim_start_matches("Server ")
                .split('[')
                .next()
                .map(|h| h.trim().to_string());
            d.diagnostic = Some(reply.trim().to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_mailfoundry_notice() {
        let raw = b"From: MAILER-DAEMON@example.org\nSubject: Message delivery has failed\n\nUnable to deliver message to: <box@example.org>\nDelivery failed for the following reason:\nmail.example.org[192.0.2.2] responded with failure: 552 sorry, mailbox box@example.org is over quota temporarily (#5.1.1)\n\nThis has been a permanent failure.  No further delivery attempts will be made.\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("box@example.org"));
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
        assert_eq!(r.bounces[0].remote_mta.as_deref(), Some("mail.example.org"));
    }
}
