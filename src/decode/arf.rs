//! Complaint reports: ARF (RFC 5965 `message/feedback-report`), Microsoft's JMRP
//! (returned message with `X-HmXmrOriginalRecipient`), and one-click unsubscribe notices
//! (Apple Mail's `X-Apple-Unsubscribe`).

use super::{address, draft::squeeze, mime, Draft, Mail, Reason};

/// Feedback records, or `None` when the message is no complaint.
pub(crate) fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if let Some(part) = mail.part("message/feedback-report") {
        return Some(from_report(mail, &part.text));
    }
    if let Some(rcpt) = mail.original_header("x-hmxmroriginalrecipient") {
        let mut d = Draft::new(address::clean(rcpt), first_text(mail));
        d.feedback_type = Some("abuse".into());
        return Some(vec![d.decided(Reason::Feedback, "Microsoft JMRP header")]);
    }
    if mail
        .header("x-apple-unsubscribe")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        let mut d = Draft::new(address::clean(mail.from()), None);
        d.feedback_type = Some("opt-out".into());
        return Some(vec![d.decided(Reason::Feedback, "X-Apple-Unsubscribe")]);
    }
    None
}

fn from_report(mail: &Mail, report: &str) -> Vec<Draft> {
    let fields = mime::parse_header_lines(report);
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let kind = get("feedback-type")
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "abuse".into());
    let mut rcpts: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "original-rcpt-to" || k == "removal-recipient")
        .filter_map(|(_, v)| address::clean(v))
        .collect();
    rcpts.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if rcpts.is_empty() {
        if let Some(to) = mail.original_header("to").and_then(address::clean) {
            if to.contains('@') {
                rcpts.push(to);
            }
        }
    }
    let diag = first_text(mail);
    let make = |r: Option<String>| {
        let mut d = Draft::new(r, diag.clone());
        d.feedback_type = Some(kind.clone());
        d.reporting_mta = get("reporting-mta").map(|v| v.trim().to_string());
        d.decided(Reason::Feedback, "ARF feedback report")
    };
    if rcpts.is_empty() {
        return vec![make(None)];
    }
    rcpts.into_iter().map(|r| make(Some(r))).collect()
}

/// The human-readable part's text, squeezed to one line.
fn first_text(mail: &Mail) -> Option<String> {
    mail.parts
        .iter()
        .find(|p| p.ctype == "text/plain")
        .map(|p| squeeze(&p.text))
        .filter(|s| !s.is_empty())
}
