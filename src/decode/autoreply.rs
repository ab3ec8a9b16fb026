//! Auto-replies (RFC 3834): out-of-office and vacation answers. Recognised and kept apart
//! as reason `vacation`; they are not delivery failures.

use super::{address, draft::squeeze, Draft, Mail, Reason};

const SUBJECT_MARKS: &[&str] = &[
    "auto:",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "away from my mail",
    "on vacation",
    "vacation reply",
    "abwesenheitsnotiz",
    "réponse automatique",
    "absence",
    "不在",
];

/// A `vacation` record for an auto-reply, or `None`.
pub(crate) fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from();
    let sender = address::clean(from)?;
    if address::is_mailer_daemon(&sender) {
        return None;
    }
    let subject = mail.subject.to_lowercase();
    // RFC 3834 section 5: Auto-Submitted other than "no" marks an automatic message.
    let auto_submitted = mail
        .header("auto-submitted")
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("auto-replied"));
    let x_auto = mail.header("x-autoreply").is_some()
        || mail.header("x-autorespond").is_some()
        || mail
            .header("precedence")
            .is_some_and(|v| v.to_ascii_lowercase().contains("auto_reply"));
    let subject_says = SUBJECT_MARKS.iter().any(|m| subject.contains(m));
    let suppress = mail.header("x-auto-response-suppress").is_some();
    if !(auto_submitted || x_auto || (subject_says && (suppress || subject.starts_with("auto")))) {
        return None;
    }
    let body = mail
        .parts
        .iter()
        .find(|p| p.ctype == "text/plain")
        .map(|p| p.text.as_str())
        .unwrap_or("");
    let diag = squeeze(&body.chars().take(500).collect::<String>());
    let d = Draft::new(Some(sender), Some(diag).filter(|s| !s.is_empty()));
    Some(vec![d.decided(Reason::Vacation, "RFC 3834 auto-reply")])
}
