//! fml, the Japanese mailing-list manager (`X-MLServer: fml`): its error notices to the
//! list owner or poster, e.g. "Loop Alert: Duplicated Message-ID", "you are not a member".

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family { name: "fml", parse };

const RULES: &[(&str, Reason)] = &[
    ("duplicated message-id", Reason::SystemError),
    ("loop alert", Reason::SystemError),
    ("you are not a member", Reason::Rejected),
    ("not member", Reason::Rejected),
    ("is not allowed to post", Reason::Rejected),
    ("security alert", Reason::SecurityError),
    ("message is too big", Reason::MesgTooBig),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail
        .headers_named("x-mlserver")
        .any(|v| v.trim_start().starts_with("fml"))
    {
        return None;
    }
    let subject = mail.subject.to_ascii_lowercase();
    let body = common::before_original(&mail.text);
    let body = body
        .split("Original mail as follows:")
        .next()
        .unwrap_or(body);
    let diag = format!("{} {}", mail.subject, common::squeeze_lines(body, 4));
    let lower = diag.to_ascii_lowercase();
    if !RULES.iter().any(|(p, _)| lower.contains(p)) && !subject.contains("error") {
        return None;
    }
    let rcpt = common::address_in(body).or_else(|| {
        mail.original_header("to")
            .and_then(crate::decode::address::clean)
    })?;
    let mut out = vec![Draft::new(Some(rcpt), Some(diag))];
    common::apply_rules(&mut out, RULES, "fml");
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_loop_alert() {
        let raw = b"From: list-admin@example.co.jp\nSubject: Loop Alert: Duplicated Message-ID (list ML)\nX-MLServer: fml [fml 4.0.3 release]\n\nDuplicated Message-ID in <list@example.co.jp>.\n\n\nOriginal mail as follows:\n\n   Subject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("list@example.co.jp")
        );
        assert_eq!(r.bounces[0].reason, Reason::SystemError);
    }
}
