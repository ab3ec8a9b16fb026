//! Amazon SES (sending): its bounce, complaint and delivery notifications as JSON (sent
//! through SNS, `x-amz-sns-message-id`), and its emailed delivery reports (`X-SES-Outgoing`)
//! whose status may be a vague `5.1.0` wrapping the remote's quoted reply.

use super::{common, Family};
use crate::decode::{dsn, status, Action, Draft, Mail, Reason};
use serde_json::Value;

pub(crate) static FAMILY: Family = Family {
    name: "amazonses",
    parse,
};

const RULES: &[(&str, Reason)] = &[
    ("delivery expired", Reason::Expired),
    ("message expired", Reason::Expired),
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if mail.header("x-amz-sns-message-id").is_some() || mail.from().contains("@sns.amazonaws.com") {
        return notification(&mail.text);
    }
    if mail
        .headers_named("x-mailer")
        .any(|v| v.starts_with("Amazon WorkMail"))
    {
        return None;
    }
    if mail.header("x-aws-outgoing").is_none() && mail.header("x-ses-outgoing").is_none() {
        return None;
    }
    let mut out = dsn::parse(mail)?;
    for d in &mut out {
        let vague = d.status.as_deref().is_none_or(|s| {
            ["5.0.0", "5.1.0", "4.0.0", "4.1.0"]
                .iter()
                .any(|v| s.starts_with(v))
        });
        if !vague {
            continue;
        }
        // "5.1.0 - Unknown address error 550-'5.7.1 <a@b>... Access denied'"
        let diag = d.diagnostic.clone().unwrap_or_default();
        let quoted = diag
            .split(['\'', '"'])
            .nth(1)
            .filter(|q| q.chars().next().is_some_and(|c| c.is_ascii_digit()));
        if let Some(code) = quoted.and_then(status::find_status) {
            d.status = Some(code);
        }
    }
    for d in &mut out {
        if let Some(code) = d.diagnostic.as_deref().and_then(common::last_quoted_status) {
            d.status = Some(code);
        }
    }
    common::apply_rules(&mut out, RULES, "amazonses");
    Some(out)
}

/// Joins the lines SNS mail folds with a trailing `!` and reads the JSON notification.
fn notification(text: &str) -> Option<Vec<Draft>> {
    let mut json = String::new();
    let mut folded = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line == "--" {
            break;
        }
        let line = if folded { line.trim_start() } else { line };
        folded = line.ends_with('!');
        json.push_str(line.strip_suffix('!').unwrap_or(line));
        if !folded {
            json.push('\n');
        }
    }
    let start = json.find('{')?;
    let end = json.rfind('}')?;
    let outer: Value = serde_json::from_str(json.get(start..=end)?).ok()?;
    let payload = match outer.get("Message").and_then(Value::as_str) {
        Some(inner) => serde_json::from_str(inner).ok()?,
        None => outer,
    };
    let kind = payload.get("notificationType")?.as_str()?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    match kind {
        "Bounce" => {
            let b = payload.get("bounce")?;
            let reporting =
                s(b, "reportingMTA").map(|m| m.trim_start_matches("dsn;").trim().to_string());
            let sub = (
                s(b, "bounceType").unwrap_or_default(),
                s(b, "bounceSubType").unwrap_or_default(),
            );
            let subtype_reason = match (sub.0.as_str(), sub.1.as_str()) {
                ("Transient", "MailboxFull") => Some(Reason::MailboxFull),
                ("Transient", "MessageTooLarge") => Some(Reason::MesgTooBig),
                ("Permanent", "Suppressed" | "OnAccountSuppressionList") => {
                    Some(Reason::Suppressed)
                }
                _ => None,
            };
            for r in b.get("bouncedRecipients")?.as_array()? {
                let code = s(r, "diagnosticCode").unwrap_or_default();
                let (kind, text) = match code.split_once(';') {
                    Some((k, t)) if k.len() < 16 => {
                        (Some(k.trim().to_ascii_lowercase()), t.trim().to_string())
                    }
                    _ => (None, code.clone()),
                };
                let mut d = Draft::new(s(r, "emailAddress"), Some(text));
                d.diagnostic_type = kind;
                d.status = s(r, "status");
                d.action = s(r, "action").as_deref().and_then(Action::parse);
                d.reporting_mta = reporting.clone();
                if let Some(reason) = subtype_reason {
                    d = d.decided(reason, &format!("amazonses bounce {}/{}", sub.0, sub.1));
                }
                out.push(d);
            }
        }
        "Complaint" => {
            let c = payload.get("complaint")?;
            let ftype = s(c, "complaintFeedbackType");
            for r in c.get("complainedRecipients")?.as_array()? {
                let mut d = Draft::new(s(r, "emailAddress"), None);
                d.feedback_type = ftype.clone();
                out.push(d.decided(Reason::Feedback, "amazonses complaint notification"));
            }
        }
        "Delivery" => {
            let v = payload.get("delivery")?;
            let response = s(v, "smtpResponse");
            for r in v.get("recipients")?.as_array()? {
                let mut d = Draft::new(r.as_str().map(str::to_string), response.clone());
                d.action = Some(Action::Delivered);
                d.reporting_mta = s(v, "reportingMTA");
                out.push(d.decided(Reason::Delivered, "amazonses delivery notification"));
            }
        }
        _ => return None,
    }
    out.retain(|d| d.recipient.as_deref().is_some_and(|r| r.contains('@')));
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn reads_a_bounce_notification() {
        let raw = b"From: SES <no-reply@sns.amazonaws.com>\nx-amz-sns-message-id: 1\nSubject: AWS Notification Message\n\n{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"nobody@example.org\",\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"reportingMTA\":\"dsn; a1.smtp-out.amazonses.com\"},\"mail\":{}}\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.org")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[0].status.as_deref(), Some("5.1.1"));
    }

    #[test]
    fn reads_a_folded_complaint() {
        let raw = b"From: SES <no-reply@sns.amazonaws.com>\nx-amz-sns-message-id: 2\n\n{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"who@exa!\n mple.org\"}],\"complaintFeedbackType\":\"abuse\"},\"mail\":{}}\n\n--\nunsubscribe\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].recipient.as_deref(), Some("who@example.org"));
        assert_eq!(r.bounces[0].reason, Reason::Feedback);
        assert_eq!(r.bounces[0].feedback_type.as_deref(), Some("abuse"));
    }
}
