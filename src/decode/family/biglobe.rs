//! BIGLOBE (biglobe.ne.jp): "----- The following addresses had delivery problems -----",
//! the addresses, then "----- Non-delivered information -----" and the reason.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "biglobe",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    (
        "the number of messages in recipient's mailbox exceeded the local limit",
        Reason::MailboxFull,
    ),
    (
        "the encoded size of the message exceeded",
        Reason::MesgTooBig,
    ),
    ("message was rejected", Reason::Filtered),
    ("mailbox not found", Reason::UserUnknown),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.from().to_ascii_lowercase().contains("postmaster@")
        || !mail.from().to_ascii_lowercase().contains("biglobe.ne.jp")
    {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &["----- the following addresses had delivery problems -----"],
    )?;
    let (addrs, info) = body
        .split_once("----- Non-delivered information -----")
        .unwrap_or((body, ""));
    let info = crate::decode::draft::squeeze(common::before_original(info));
    let mut out: Vec<Draft> = addrs
        .lines()
        .filter_map(common::address_in)
        .map(|a| Draft::new(Some(a), Some(info.clone())))
        .collect();
    common::apply_rules(&mut out, RULES, "biglobe");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_biglobe_notice() {
        let raw = b"From: postmaster@biglobe.ne.jp\nSubject: Returned mail: Service unavailable\n\n   ----- The following addresses had delivery problems -----\nbox@biglobe.ne.jp\n\n   ----- Non-delivered information -----\nThe number of messages in recipient's mailbox exceeded the local limit.\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::MailboxFull);
    }
}
