//! Sendmail version 5 (and other pre-DSN sendmails): "Returned mail: ..." with a
//! "----- Transcript of session follows -----" and no delivery-status part. Each failed
//! address stands as `NNN <address>... text`, after the SMTP exchange that failed it.

use super::{common, Family};
use crate::decode::{address, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "v5sendmail",
    parse,
};

/// Remote answers of that era that name a reason the phrase table does not know.
const RULES: &[(&str, Reason)] = &[
    ("insecure mail relay", Reason::NoRelaying),
    ("which is an open relay", Reason::Blocked),
    ("no access from mail server", Reason::Blocked),
    ("host unknown (authoritative answer", Reason::HostUnknown),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail
        .subject
        .to_ascii_lowercase()
        .starts_with("returned mail:")
        || crate::decode::dsn::parse(mail).is_some()
    {
        return None;
    }
    let body = common::after_mark(&mail.text, &["----- transcript of session follows -----"])?;
    let body = common::before_original(body);
    let mut out: Vec<Draft> = Vec::new();
    let (mut host, mut command, mut reply): (Option<String>, Option<String>, Option<String>) =
        (None, None, None);
    for line in body.lines() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("While talking to ") {
            host = Some(h.trim_end_matches(':').trim().to_string());
            command = None;
            reply = None;
        } else if let Some(c) = t.strip_prefix(">>> ") {
            command = c
                .split(|ch: char| !ch.is_ascii_alphabetic())
                .next()
                .map(|w| w.to_ascii_uppercase());
            reply = None;
        } else if let Some(r) = t.strip_prefix("<<< ") {
            reply = Some(r.to_string());
        } else if let Some((rcpt, text)) = recipient_line(t) {
            let mut d = Draft::new(Some(rcpt), Some(reply.take().unwrap_or(text)));
            d.remote_mta = host.clone();
            d.command = command.take();
            out.push(d);
        }
    }
    common::apply_rules(&mut out, RULES, "v5sendmail");
    Some(out)
}

/// `554 <a@example.org>... 550 Host unknown` → (address, text after the dots).
fn recipient_line(t: &str) -> Option<(String, String)> {
    let code = t.get(..4)?;
    let digits = code.get(..3)?;
    if !(code.ends_with(' ') && digits.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let rest = t.get(4..)?.strip_prefix('<')?;
    let (addr, text) = rest.split_once(">...")?;
    let addr = address::clean(addr).filter(|a| a.contains('@'))?;
    Some((addr, format!("{digits} {}", text.trim())))
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_v5_transcript() {
        let raw = b"From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\nSubject: Returned mail: User unknown\n\n   ----- Transcript of session follows -----\nWhile talking to mx.example.org:\n>>> RCPT To:<nobody@example.org>\n<<< 550 <nobody@example.org>... User unknown\n550 <nobody@example.org>... User unknown\n554 <x@example.net>... 550 Host unknown (Authoritative answer from name server)\n\n   ----- Unsent message follows -----\nSubject: hi\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 2);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[1].reason, Reason::HostUnknown);
    }
}
