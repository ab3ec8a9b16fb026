//! McAfee SaaS Email Protection, formerly MX Logic (`X-MX-Bounce`, `X-MXL-*` headers): an
//! Exim-derived notice whose failed addresses follow "The following address(es) failed:"
//! as `<address>: reply` lines.

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "mxlogic",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail.header("x-mx-bounce").is_some()
        || common::has_header_prefix(mail, "x-mxl-")
        || common::header_has(mail, "received", "(mxl_mta-");
    if !ours {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &[
            "the following address failed:",
            "the following addresses failed:",
        ],
    )?;
    let body = body
        .split("Included is a copy of the message header")
        .next()
        .unwrap_or(body);
    Some(common::address_blocks(body))
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_mxlogic_notice() {
        let raw = b"From: Mail Delivery System <MAILER-DAEMON@relay.mxlogic.net>\nSubject: Mail delivery failed\nX-MX-Bounce: mta/src/queue/bounce\n\nA message that you have sent could not be delivered to one or more\nrecipients.  This is a permanent error.  The following address failed:\n\n  <nobody@example.co.jp>: 550 5.1.1 <nobody@example.co.jp>: Recipient address rejected: User unknown in local recipient table\n\n\nIncluded is a copy of the message header:\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.co.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
