//! Verizon Wireless MMS gateway (vzwpix.com / vtext.com): "Message could not be delivered to
//! mobile. Error: ..." with the original message's headers quoted after "Original Message:".

use super::{common, Family};
use crate::decode::{address, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "verizon",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("no valid recipients for this mm", Reason::UserUnknown),
    (
        "message could not be delivered to mobile",
        Reason::UserUnknown,
    ),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !(from.contains("vzwpix.com") || from.contains("vtext.com")) {
        return None;
    }
    let text = &mail.text;
    let (head, original) = text.split_once("Original Message:")?;
    let rcpt = original
        .lines()
        .find_map(|l| l.trim().strip_prefix("To:"))
        .and_then(address::clean)
        .or_else(|| mail.original_header("to").and_then(address::clean))?;
    let diag = common::squeeze_lines(head, 3);
    let mut out = vec![Draft::new(Some(rcpt), Some(diag))];
    common::apply_rules(&mut out, RULES, "verizon");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_verizon_notice() {
        let raw = b"From: MMSC NDR Administrator <sysadmin@m01.vzwpix.com>\nSubject: Undeliverable Message\n\nMessage could not be delivered to mobile.\nError: No valid recipients for this MM\n\n\nOriginal Message:\nFrom: a <a@example.jp>\nTo: 5550000000@vzwpix.com\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("5550000000@vzwpix.com")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
