//! PowerMTA (Port25): delivery reports whose recipient blocks carry
//! `X-PowerMTA-BounceCategory`, PowerMTA's own classification of the failure.

use super::Family;
use crate::decode::{dsn, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "powermta",
    parse,
};

/// PowerMTA bounce categories.
const CATEGORIES: &[(&str, Reason)] = &[
    ("bad-domain", Reason::HostUnknown),
    ("bad-mailbox", Reason::UserUnknown),
    ("inactive-mailbox", Reason::Suspend),
    ("message-expired", Reason::Expired),
    ("no-answer-from-host", Reason::NetworkError),
    ("policy-related", Reason::PolicyViolation),
    ("quota-issues", Reason::MailboxFull),
    ("routing-errors", Reason::SystemError),
    ("spam-related", Reason::SpamDetected),
    ("content-related", Reason::ContentError),
    ("relaying-issues", Reason::NoRelaying),
    ("invalid-sender", Reason::Rejected),
    ("virus-related", Reason::VirusDetected),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let status = mail.part("message/delivery-status")?;
    let lower = status.text.to_ascii_lowercase();
    if !lower.contains("x-powermta-")
        && !mail
            .headers_named("received")
            .any(|r| r.contains("(PowerMTA(TM)"))
    {
        return None;
    }
    let mut out = dsn::parse(mail)?;
    // the categories, in recipient order
    let cats: Vec<String> = status
        .text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("x-powermta-bouncecategory")
                .then(|| v.trim().to_ascii_lowercase())
        })
        .collect();
    for (d, cat) in out.iter_mut().zip(cats.iter()) {
        if let Some((c, r)) = CATEGORIES.iter().find(|(c, _)| c == cat) {
            d.reason = Some(*r);
            d.rule = Some(format!("powermta category {c}"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn uses_the_bounce_category() {
        let raw = b"From: postmaster@example.net\nSubject: Delivery report\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nreport\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.net\nX-PowerMTA-VirtualMTA: example.net\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0 (undefined status)\nDiagnostic-Code: smtp;554 delivery error: dd This user doesn't have an account\nX-PowerMTA-BounceCategory: bad-mailbox\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
