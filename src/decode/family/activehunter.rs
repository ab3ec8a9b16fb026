//! ActiveHunter (TransWARE): a sendmail-like notice marked by an `X-AHMAILID` header; the
//! failed addresses as `>>> address <address>` under "The following addresses had
//! permanent fatal errors", the remote's answer under "Transcript of session follows".

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "activehunter",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    mail.header("x-ahmailid")?;
    let body = common::after_mark(
        &mail.text,
        &["----- the following addresses had permanent fatal errors -----"],
    )?;
    let (addrs, transcript) =
        match common::after_mark(body, &["----- transcript of session follows -----"]) {
            Some(t) => (body.get(..body.len() - t.len()).unwrap_or(body), t),
            None => (body, ""),
        };
    let transcript = common::before_original(transcript);
    let diag = transcript
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .take_while(|l| !l.contains(':') || l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ");
    let out: Vec<Draft> = addrs
        .lines()
        .filter_map(|l| l.trim().strip_prefix(">>>").and_then(common::address_in))
        .map(|a| Draft::new(Some(a), Some(diag.clone())))
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_activehunter_notice() {
        let raw = b"From: MAILER-DAEMON@example.org\nSubject: FAILURE NOTICE : hi\nX-AHMAILID: 20110429T000000+0900-0000\n\n  ----- The following addresses had permanent fatal errors -----\n\n>>> nobody@example.org <nobody@example.org>\n\n  ----- Transcript of session follows -----\n550 sorry, no mailbox here by that name (#5.1.1 - chkusr)\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
