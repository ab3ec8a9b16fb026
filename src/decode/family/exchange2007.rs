//! Microsoft Exchange Server 2007 to 2019 (on premises): "Undeliverable:" reports with a
//! `Content-Language` header whose diagnostics carry Exchange's component codes
//! (`RESOLVER.ADR.RecipNotFound`, `STOREDRV.Deliver: mailbox full`, ...).

use super::{common, office365, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "exchange2007",
    parse,
};

/// Exchange's component codes.
const RULES: &[(&str, Reason)] = &[
    ("resolver.adr.recipnotfound", Reason::UserUnknown),
    ("resolver.adr.exrecipnotfound", Reason::UserUnknown),
    ("resolver.adr.recipientnotfound", Reason::UserUnknown),
    ("storedrv.deliver: mailbox full", Reason::MailboxFull),
    ("resolver.rst.recipsizelimit", Reason::ExceedLimit),
    ("resolver.rst.authrequired", Reason::SecurityError),
    ("resolver.rst.notauthorized", Reason::SecurityError),
    ("queue.expired", Reason::Expired),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let subject = mail.subject.as_str();
    let undeliverable = [
        "Undeliverable:",
        "Non remis:",
        "Unzustellbar:",
        "Onbestelbaar:",
        "Non recapitabile:",
    ]
    .iter()
    .any(|s| subject.starts_with(s));
    if !undeliverable || mail.header("content-language").is_none() {
        return None;
    }
    let lower = mail.text.to_ascii_lowercase();
    if !lower.contains("diagnostic information for administrators")
        && !lower.contains("remote server returned")
    {
        return None;
    }
    let mut out = crate::decode::dsn::parse(mail).or_else(|| office365::text_report(&mail.text))?;
    common::apply_rules(&mut out, RULES, "exchange2007");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_exchange_text_report() {
        let raw = b"From: postmaster@example.com\nSubject: Undeliverable: hi\nContent-Language: en-US\n\nDelivery has failed to these recipients or groups:\n\nnobody@example.com<mailto:nobody@example.com>\nThe e-mail address you entered couldn't be found.\n\nDiagnostic information for administrators:\n\nGenerating server: mx.example.com\n\nnobody@example.com\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n\nOriginal message headers:\n\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.com")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
