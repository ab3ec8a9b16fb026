//! HCL/IBM Lotus Domino: "Your message ... was not delivered to: <address> because: <reason>".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "domino",
    parse,
};

/// Domino's own reasons.
const RULES: &[(&str, Reason)] = &[
    ("not listed in domino directory", Reason::UserUnknown),
    (
        "not listed in public name & address book",
        Reason::UserUnknown,
    ),
    ("no such user", Reason::UserUnknown),
    ("unknown user", Reason::UserUnknown),
    ("user's mailbox is full", Reason::MailboxFull),
    ("maximum message size exceeded", Reason::MesgTooBig),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let subject = mail.subject.to_ascii_uppercase();
    if !subject.starts_with("DELIVERY FAILURE:") && !subject.starts_with("DELIVERY REPORT ABOUT") {
        return None;
    }
    let body = common::after_mark(&mail.text, &["was not delivered to:"])?;
    let body = common::before_original(body);
    let (addrs, because) = body.split_once("because:")?;
    let because = common::squeeze_lines(because, 4);
    let mut out: Vec<Draft> = addrs
        .lines()
        .filter_map(common::address_in)
        .map(|a| Draft::new(Some(a), Some(because.clone())))
        .collect();
    common::apply_rules(&mut out, RULES, "domino");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_domino_report() {
        let raw = b"From: Postmaster@example.jp\nSubject: DELIVERY FAILURE: User x not listed\n\nYour message\n\n  Subject: hi\n\nwas not delivered to:\n\n  nobody@example.jp\n\nbecause:\n\n  User x (nobody@example.jp) not listed in Domino Directory\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("nobody@example.jp"));
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
