//! An unnamed MTA (Sisimai's "X1"): "Returned Mail: ..." from "Mail Deliver System", the
//! failed addresses as `address [reason]` under "---The following addresses had delivery
//! errors---".

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family { name: "x1", parse };

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail.from().starts_with("\"Mail Deliver System\"")
        && !mail.from().starts_with("Mail Deliver System")
    {
        return None;
    }
    let body = common::after_mark(
        &mail.text,
        &["---the following addresses had delivery errors---"],
    )?;
    let body = common::before_original(body);
    let out: Vec<Draft> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("---"))
        .filter_map(|l| {
            let (addr, rest) = l.split_once(' ').unwrap_or((l, ""));
            let a = common::address_in(addr)?;
            let reason = rest
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            Some(Draft::new(Some(a), Some(reason)))
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::decode;

    #[test]
    fn decodes_an_x1_notice() {
        let raw = b"From: \"Mail Deliver System\" <MAILER-DAEMON>\nSubject: Returned Mail: User unknown\n\nThe original message was received at Thu, 29 Apr 2011 23:34:45 +0900 (JST)\n\n---The following addresses had delivery errors---\n\nnobody@example.org [User unknown]\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(
            r.bounces[0].diagnostic_code.as_deref(),
            Some("User unknown")
        );
    }
}
