//! Lotus Notes SMTP MTA (older than Domino's): "Undeliverable message" with
//! "------- Failure Reasons --------", the reason and the addresses, then
//! "------- Returned Message --------".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "notes",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    (
        "user not listed in public name & address book",
        Reason::UserUnknown,
    ),
    (
        "not listed in public name & address book",
        Reason::UserUnknown,
    ),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.subject.starts_with("Undeliverable message") {
        return None;
    }
    let body = common::after_mark(&mail.text, &["------- failure reasons"])?;
    let body = body
        .split("------- Returned Message")
        .next()
        .unwrap_or(body);
    let mut reason = String::new();
    let mut out: Vec<Draft> = Vec::new();
    for line in body.lines().skip(1) {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        match common::address_in(t).filter(|a| a.len() + 2 >= t.len()) {
            Some(a) => out.push(Draft::new(Some(a), Some(reason.clone()))),
            None => {
                if !reason.is_empty() {
                    reason.push(' ');
                }
                reason.push_str(t);
            }
        }
    }
    common::apply_rules(&mut out, RULES, "notes");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_notes_notice() {
        let raw = b"From: postmaster@example.co.jp\nSubject: Undeliverable message\n\n------- Failure Reasons  --------\n\nUser not listed in public Name & Address Book\nnobody@example.co.jp\n\n------- Returned Message --------\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.co.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
