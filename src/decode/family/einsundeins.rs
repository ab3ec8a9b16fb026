//! 1&1 / IONOS (kundenserver.de): an Exim-like "Mail delivery failed: returning message to
//! sender" whose failed addresses follow "The following address failed:" (with the reason
//! after "For the following reason:") or stand as `address:` blocks.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "einsundeins",
    parse,
};

const RULES: &[(&str, Reason)] = &[("mail size limit exceeded", Reason::MesgTooBig)];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    let ours = from.contains("kundenserver") || mail.header("x-ui-out-filterresults").is_some();
    if !ours || !mail.subject.starts_with("Mail delivery failed") {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &["the following address failed:", "the following address(es)"],
    )?;
    let body = body
        .split("--- The header of the original message")
        .next()
        .unwrap_or(body);
    let body = common::before_original(body);
    let mut out = if let Some((addrs, reason)) = body.split_once("For the following reason:") {
        let reason = common::squeeze_lines(reason, 4);
        addrs
            .lines()
            .filter_map(common::address_in)
            .map(|a| Draft::new(Some(a), Some(reason.clone())))
            .collect()
    } else {
        common::address_blocks(body)
    };
    for d in &mut out {
        let diag = d.diagnostic.as_deref().unwrap_or("");
        if let Some((_, rest)) = diag.split_once("host: ") {
            d.remote_mta = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some((_, rest)) = diag.split_once(" reason: ") {
            d.diagnostic = Some(rest.trim().to_string());
        }
    }
    common::apply_rules(&mut out, RULES, "einsundeins");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_size_refusal() {
        let raw = b"From: \"Mail Delivery System\" <mailer-daemon@kundenserver.de>\nSubject: Mail delivery failed: returning message to sender\n\nThis message was created automatically by mail delivery software.\n\nThe following address failed:\n\nbig@example.org\n\nFor the following reason:\n\nMail size limit exceeded. For explanation visit\nhttp://postmaster.1and1.com/en/error-messages\n\n--- The header of the original message is following. ---\n\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("big@example.org"));
        assert_eq!(r.bounces[0].reason, Reason::MesgTooBig);
    }
}
