//! au by KDDI EZweb (ezweb.ne.jp) mobile mail: "Each of the following recipients was
//! rejected by a remote mail server", the recipient as `<address>` or `Recipient: <address>`
//! and, when the remote answered, its `>>>` command and `<<<` reply.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "ezweb",
    parse,
};

const MARK: &str = "each of the following recipients was rejected by a remote";

/// EZweb's own wording, and remote answers it relays.
const RULES: &[(&str, Reason)] = &[
    ("the user(s) account is disabled", Reason::Suspend),
    ("recipient address unknown", Reason::UserUnknown),
    ("was not delivered within", Reason::Expired),
    (
        "too many unwanted messages have been sent from",
        Reason::Blocked,
    ),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !from.contains("postmaster@ezweb.ne.jp")
        && !common::header_has(mail, "received", "(ezweb mail)")
    {
        return None;
    }
    let lower = mail.text.to_ascii_lowercase();
    if !lower.contains(MARK) {
        return None;
    }
    let body = common::before_original(&mail.text);
    let body = body.split("\n-----").next().unwrap_or(body);
    let mut out: Vec<Draft> = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if let Some(r) = t
            .strip_prefix("Recipient:")
            .map(str::trim)
            .or_else(|| (t.starts_with('<') && t.ends_with('>') && t.contains('@')).then_some(t))
        {
            if let Some(a) = common::address_in(r) {
                out.push(Draft::new(Some(a), Some(String::new())));
            }
        } else if let Some(c) = t.strip_prefix(">>>") {
            if let Some(d) = out.last_mut() {
                d.command = c.split_whitespace().next().map(|w| w.to_ascii_uppercase());
            }
        } else if let Some(r) = t.strip_prefix("<<<") {
            if let Some(d) = out.last_mut() {
                d.diagnostic = Some(r.trim().to_string());
            }
        }
    }
    common::apply_rules(&mut out, RULES, "ezweb");
    for d in &mut out {
        if d.diagnostic.as_deref().is_none_or(str::is_empty) {
            // No answer of the remote server: the address was refused by the receiving
            // side's filter (EZweb's domain and address filters).
            d.diagnostic = Some(
                "Each of the following recipients was rejected by a remote mail server.".into(),
            );
            if d.reason.is_none() {
                d.reason = Some(Reason::Filtered);
                d.rule = Some("ezweb: rejected without an SMTP reply".into());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_ezweb_notice() {
        let raw = b"From: <Postmaster@ezweb.ne.jp>\nSubject: Mail System Error - Returned Mail\n\n<someone@ezweb.ne.jp>\n\nEach of the following recipients was rejected by a remote mail server.\n---------------------------------------------------\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("someone@ezweb.ne.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::Filtered);
    }
}
