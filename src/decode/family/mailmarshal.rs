//! Trustwave MailMarshal SMTP: "Your message: ... Could not be delivered because of <reply>
//! The following recipients were affected: <addresses>", then "Additional Information".

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "mailmarshal",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.subject.starts_with("Undeliverable Mail: ") {
        return None;
    }
    let body = common::after_mark(&mail.text, &["could not be delivered because of"])?;
    let (because, rest) = body.split_once("The following recipients were affected:")?;
    let (addrs, info) = rest
        .split_once("Additional Information")
        .unwrap_or((rest, ""));
    let diag = common::squeeze_lines(because, 3);
    let remote = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("Remote-MTA:"))
        .map(|v| v.trim().trim_matches(['<', '>']).to_string());
    let out: Vec<Draft> = addrs
        .lines()
        .filter_map(common::address_in)
        .map(|a| {
            let mut d = Draft::new(Some(a), Some(diag.clone()));
            d.remote_mta = remote.clone();
            d
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_mailmarshal_notice() {
        let raw = b"From: postmaster@example.com\nSubject: Undeliverable Mail: \"hi\"\n\nYour message:\n   From:    a@example.com\n   Subject: hi\n\nCould not be delivered because of\n\n550 5.1.1 User unknown\n\nThe following recipients were affected: \n    nobody@example.net\n\n\nAdditional Information\n======================\nRemote-MTA:\t\t\t<192.0.2.2>\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.net")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
