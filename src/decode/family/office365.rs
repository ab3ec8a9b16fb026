//! Microsoft 365 / Exchange Online: "Undeliverable:" reports from *.prod.outlook.com with
//! X-MS-Exchange-* headers. Its delivery-status part is read as usual; Microsoft's own
//! extended status codes (`5.4.312`, `5.7.5xx`, ...) and wording then decide the reason.

use super::{common, Family};
use crate::decode::{status, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "office365",
    parse,
};

/// Exchange Online status codes (from Microsoft's NDR documentation): (prefix or code, reason).
/// A code ending in `.` matches every code that starts with it.
const STATUS: &[(&str, Reason)] = &[
    ("4.4.7", Reason::Expired),
    ("4.4.312", Reason::NetworkError),
    ("4.4.316", Reason::Expired),
    ("4.7.26", Reason::SecurityError),
    ("5.4.1", Reason::NoRelaying),
    ("5.4.312", Reason::NetworkError),
    ("5.4.316", Reason::Expired),
    ("5.4.6", Reason::NetworkError),
    ("5.6.11", Reason::ContentError),
    ("5.7.1", Reason::Rejected),
    ("5.7.12", Reason::Rejected),
    ("5.7.13", Reason::Rejected),
    ("5.7.124", Reason::Rejected),
    ("5.7.133", Reason::Rejected),
    ("5.7.134", Reason::Rejected),
    ("5.7.135", Reason::Rejected),
    ("5.7.136", Reason::Rejected),
    ("5.7.25", Reason::NetworkError),
    ("5.7.501", Reason::SpamDetected),
    ("5.7.502", Reason::SpamDetected),
    ("5.7.503", Reason::SpamDetected),
    ("5.7.504", Reason::Filtered),
    ("5.7.505", Reason::Filtered),
    ("5.7.506", Reason::Blocked),
    ("5.7.507", Reason::Blocked),
    ("5.7.508", Reason::TooManyConn),
    ("5.7.509", Reason::SecurityError),
    ("5.7.510", Reason::NotAccept),
    ("5.7.511", Reason::Rejected),
    ("5.7.512", Reason::SecurityError),
    ("5.7.606", Reason::Blocked),
    ("5.7.607", Reason::Blocked),
    ("5.7.608", Reason::Blocked),
    ("5.7.609", Reason::Blocked),
    ("5.7.61", Reason::Blocked),
    ("5.7.62", Reason::Blocked),
    ("5.7.63", Reason::Blocked),
    ("5.7.64", Reason::Blocked),
    ("5.7.70", Reason::TooManyConn),
    ("5.7.71", Reason::TooManyConn),
    ("5.7.72", Reason::TooManyConn),
    ("5.7.73", Reason::TooManyConn),
    ("5.7.74", Reason::TooManyConn),
    ("4.7.5", Reason::Blocked),
    ("4.7.6", Reason::Blocked),
    ("4.7.85", Reason::Blocked),
    ("4.7.86", Reason::Blocked),
    ("4.7.87", Reason::Blocked),
    ("4.7.88", Reason::Blocked),
    ("4.7.89", Reason::Blocked),
];

/// Exchange Online's own wording.
const RULES: &[(&str, Reason)] = &[
    ("resolver.adr.recipientnotfound", Reason::UserUnknown),
    ("resolver.adr.recipnotfound", Reason::UserUnknown),
    (
        "recipient not found by smtp address lookup",
        Reason::UserUnknown,
    ),
    ("sender address rejected", Reason::Rejected),
    ("per it's spf record", Reason::AuthFailure),
    ("per its spf record", Reason::AuthFailure),
];

fn status_reason(code: &str) -> Option<Reason> {
    STATUS.iter().find_map(|(c, r)| {
        // two-digit detail prefixes (5.7.61 for 5.7.610-619) match three-digit codes
        let hit = code == *c
            || (c.len() == 6
                && code.len() == 7
                && code.starts_with(c)
                && c.matches('.').count() == 2
                && c.rsplit('.').next().is_some_and(|d| d.len() == 2));
        hit.then_some(*r)
    })
}

fn claimed(mail: &Mail) -> bool {
    let mut score = 0;
    if mail.subject.contains("Undeliverable:") {
        score += 1;
    }
    const HEADERS: &[&str] = &[
        "x-ms-exchange-message-is-ndr",
        "x-microsoft-antispam-prvs",
        "x-exchange-antispam-report-test",
        "x-exchange-antispam-report-cfa-test",
        "x-ms-exchange-crosstenant-originalarrivaltime",
        "x-ms-exchange-crosstenant-fromentityheader",
        "x-ms-exchange-transport-crosstenantheadersstamped",
    ];
    score += HEADERS.iter().filter(|h| mail.header(h).is_some()).count();
    let outlook = |v: &str| {
        let l = v.to_ascii_lowercase();
        l.contains(".prod.outlook.com") || l.contains(".outbound.protection.outlook.com")
    };
    if mail.headers_named("received").any(outlook) {
        score += 1;
    }
    if mail.header("message-id").is_some_and(outlook) {
        score += 1;
    }
    score >= 2
}

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !claimed(mail) {
        return None;
    }
    let mut out = crate::decode::dsn::parse(mail).or_else(|| text_report(&mail.text))?;
    for d in &mut out {
        let diag = d.diagnostic.clone().unwrap_or_default();
        let lower = diag.to_ascii_lowercase();
        // the RCPT answer is quoted after "->" with the address it refused
        let quoted = lower
            .split_once("unknown recipient or mailbox unavailable ->")
            .is_some_and(|(_, rest)| rest.contains('@'));
        if quoted {
            d.command = Some("RCPT".into());
        }
        let code = d
            .status
            .as_deref()
            .and_then(status::normalize)
            .filter(|c| !status::is_vague(c))
            .or_else(|| status::find_status(&diag));
        if let Some((c, r)) = code.and_then(|c| status_reason(&c).map(|r| (c, r))) {
            d.reason = Some(r);
            d.rule = Some(format!("office365 status {c}"));
        }
    }
    common::apply_rules(&mut out, RULES, "office365");
    Some(out)
}

/// A report without a delivery-status part: `address<mailto:address>` lines under "Delivery
/// has failed to these recipients or groups:", the remote's answer after "Diagnostic
/// information for administrators:" (`Remote Server returned '550 5.1.1 ...'`).
pub(crate) fn text_report(text: &str) -> Option<Vec<Draft>> {
    let body = common::after_mark(
        text,
        &[
            "delivery has failed to these recipients or groups:",
            "rejected your message to the following e",
        ],
    )?;
    let body = body
        .split("Original message headers:")
        .next()
        .unwrap_or(body);
    let (intro, admin) = body
        .split_once("Diagnostic information for administrators:")
        .unwrap_or((body, ""));
    let mut out: Vec<Draft> = intro
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.trim().split_once("<mailto:")?;
            common::address_in(rest)
        })
        .map(|a| Draft::new(Some(a), None))
        .collect();
    for d in &mut out {
        let rcpt = d.recipient.clone().unwrap_or_default();
        let mut after = false;
        for line in admin.lines().map(str::trim) {
            if line.eq_ignore_ascii_case(&rcpt) {
                after = true;
            } else if after && !line.is_empty() {
                let reply = line
                    .strip_prefix("Remote Server returned ")
                    .map(|r| r.trim_matches(['\'', '"']))
                    .unwrap_or(line);
                d.diagnostic = Some(reply.to_string());
                break;
            }
        }
        if d.diagnostic.is_none() {
            d.diagnostic = Some(common::squeeze_lines(admin, 3));
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::status_reason;
    use crate::decode::{decode, Reason};

    #[test]
    fn knows_exchange_online_codes() {
        assert_eq!(status_reason("5.4.312"), Some(Reason::NetworkError));
        assert_eq!(status_reason("5.7.615"), Some(Reason::Blocked));
        assert_eq!(status_reason("5.7.6"), None);
        assert_eq!(status_reason("5.1.1"), None);
    }

    #[test]
    fn decodes_an_exchange_online_report() {
        let raw = b"From: postmaster@example.onmicrosoft.com\nSubject: Undeliverable: hi\nX-MS-Exchange-Message-Is-Ndr: \nMessage-ID: <abc@AB1PR01MB0001.prod.outlook.com>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nDelivery has failed to these recipients or groups:\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;AB1PR01MB0001.prod.outlook.com\n\nFinal-Recipient: rfc822;nobody@example.jp\nAction: failed\nStatus: 5.4.316\nDiagnostic-Code: smtp;550 5.4.316 Message expired, connection refused\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("nobody@example.jp"));
        assert_eq!(r.bounces[0].reason, Reason::Expired);
    }
}
